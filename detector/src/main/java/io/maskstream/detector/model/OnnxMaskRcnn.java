package io.maskstream.detector.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.Instance;
import io.maskstream.detector.KeypointLayout;
import io.maskstream.detector.ModelIdentity;
import io.maskstream.detector.Segmentation;
import io.maskstream.detector.SegmentationException;
import io.maskstream.detector.StageTimes;
import io.maskstream.detector.image.DecodedImage;
import io.maskstream.schemas.masks.MaskEncoder;
import io.maskstream.schemas.masks.MaskPaster;
import io.maskstream.schemas.models.CocoCategories;
import io.maskstream.schemas.models.ModelFile;
import io.maskstream.schemas.models.ModelStore;
import io.maskstream.schemas.rle.CocoRle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Mask R-CNN ONNX model running in ONNX Runtime: one session for one model version, with the pre-
 * and post-processing of its {@link GraphContract}.
 *
 * <p>The instance owns its {@link OrtSession} and closes it in {@link #close()}; the process-wide
 * {@link OrtEnvironment} is shared and never closed. {@link #segment} is thread-safe (ONNX Runtime
 * sessions accept concurrent runs); input tensors wrap per-thread direct buffers, and every tensor
 * and result is closed before {@code segment} returns.
 */
public final class OnnxMaskRcnn implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OnnxMaskRcnn.class);

  private static final int ZOO_MIN_SIZE = 800;
  private static final int ZOO_MAX_SIZE = 1333;
  private static final int ZOO_DIVISIBILITY = 32;
  private static final float[] ZOO_BGR_MEAN = {102.9801f, 115.9465f, 122.7717f};

  private final OrtSession session;
  private final GraphContract contract;
  private final ClassNames classes;
  private final ModelIdentity identity;
  private final Map<String, String> metadata;
  private final String sha256;
  private final long sizeBytes;
  private final String inputName;
  private final Outputs outputs;
  private final boolean pastesMasks;
  private final KeypointLayout keypointLayout;
  private final float scoreThreshold;
  private final float maskThreshold;
  private final int topK;
  private final ThreadLocal<FloatBuffer> inputBuffers = new ThreadLocal<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  private OnnxMaskRcnn(
      OrtSession session,
      GraphContract contract,
      ClassNames classes,
      ModelIdentity identity,
      Map<String, String> metadata,
      String sha256,
      long sizeBytes,
      String inputName,
      Outputs outputs,
      boolean pastesMasks,
      DetectorConfig config) {
    this.metadata = Map.copyOf(metadata);
    this.session = session;
    this.pastesMasks = pastesMasks;
    this.contract = contract;
    this.classes = classes;
    this.identity = identity;
    this.sha256 = sha256;
    this.sizeBytes = sizeBytes;
    this.inputName = inputName;
    this.outputs = outputs;
    this.keypointLayout = keypointLayoutOf(metadata, outputs);
    this.scoreThreshold = config.scoreThreshold();
    this.maskThreshold = config.maskThreshold();
    this.topK = config.topK();
  }

  /**
   * Loads {@code config.model()}: reads the file, hashes it, creates the session on the configured
   * device, recognises (or checks) the contract and resolves class names.
   *
   * @throws ModelLoadException when the file is missing, not ONNX, or not a Mask R-CNN graph of a
   *     known contract
   */
  public static OnnxMaskRcnn load(DetectorConfig config) throws ModelLoadException {
    Path file = config.model();
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new ModelLoadException("model file " + file + " does not exist");
    } catch (IOException e) {
      throw new ModelLoadException("cannot read model file " + file + ": " + e.getMessage(), e);
    }
    String name = file.getFileName().toString().replaceFirst("\\.onnx$", "");
    return load(bytes, name, config);
  }

  /**
   * Loads a model from its bytes (e.g. fetched from the model store).
   *
   * @param defaultName the model name unless its metadata names it
   * @throws ModelLoadException as {@link #load(DetectorConfig)}
   */
  public static OnnxMaskRcnn load(byte[] bytes, String defaultName, DetectorConfig config)
      throws ModelLoadException {
    String sha = sha256Hex(bytes);
    PasteFreeGraph.Cut cut = PasteFreeGraph.cut(bytes);
    OrtSession session = null;
    if (cut != null) {
      try {
        session = createSession(cut.model(), config);
      } catch (OrtException e) {
        log.warn(
            "the graph without its paste loop does not load ({}); running it as it is",
            firstLine(e.getMessage()));
        cut = null;
      }
    }
    if (session == null) {
      try {
        session = createSession(bytes, config);
      } catch (OrtException e) {
        throw new ModelLoadException(
            "not a usable ONNX model (" + firstLine(e.getMessage()) + "); give a .onnx file", e);
      }
    }
    try {
      Map<String, String> metadata = session.getMetadata().getCustomMetadata();
      String inputName = checkInput(session);
      Outputs outputs = Outputs.find(session);
      if (outputs.keypoints != null
          && outputs.keypointCount == 0
          && !metadata.containsKey(ModelFile.KEYPOINTS_KEY)) {
        outputs = outputs.withKeypointCount(probeKeypointCount(session, inputName, outputs));
      }
      GraphContract contract = contractOf(config.contract(), metadata, outputs);
      ClassNames classes = classesOf(config.labels(), metadata, contract);
      String name = metadata.getOrDefault(ModelFile.NAME_KEY, defaultName);
      ModelIdentity identity = new ModelIdentity(name, sha.substring(0, 12));
      boolean pastes = contract == GraphContract.ONNX_ZOO || cut != null;
      if (cut != null) {
        log.debug(
            "model {}: the detector pastes each mask itself (the graph's paste loop, which holds"
                + " every detection's image-sized mask at once, is left out)",
            identity);
      }
      return new OnnxMaskRcnn(
          session,
          contract,
          classes,
          identity,
          metadata,
          sha,
          bytes.length,
          inputName,
          outputs,
          pastes,
          config);
    } catch (ModelLoadException | RuntimeException e) {
      closeQuietly(session);
      throw e;
    } catch (OrtException e) {
      closeQuietly(session);
      throw new ModelLoadException("cannot inspect the model: " + firstLine(e.getMessage()), e);
    }
  }

  private static OrtSession createSession(byte[] model, DetectorConfig config) throws OrtException {
    try (OrtSession.SessionOptions options = sessionOptions(config)) {
      return environment().createSession(model, options);
    }
  }

  private static OrtSession.SessionOptions sessionOptions(DetectorConfig config)
      throws OrtException {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    if (config.intraOpThreads() > 0) {
      options.setIntraOpNumThreads(config.intraOpThreads());
    }
    if (config.device() != Device.CPU) {
      try {
        options.addCUDA(0);
        log.info("inference on CUDA device 0");
      } catch (OrtException | UnsatisfiedLinkError e) {
        String reason = firstLine(e.getMessage());
        if (config.device() == Device.CUDA) {
          log.warn("CUDA requested but not usable ({}); running on the CPU", reason);
        } else {
          log.info("no usable CUDA ({}); running on the CPU", reason);
        }
      }
    }
    return options;
  }

  private static String checkInput(OrtSession session) throws OrtException, ModelLoadException {
    Map<String, NodeInfo> inputs = session.getInputInfo();
    if (inputs.size() != 1) {
      throw new ModelLoadException(
          "expected a Mask R-CNN graph with one image input, found inputs " + inputs.keySet());
    }
    NodeInfo input = inputs.values().iterator().next();
    if (!(input.getInfo() instanceof TensorInfo info)
        || info.type != OnnxJavaType.FLOAT
        || info.getShape().length != 3
        || (info.getShape()[0] != 3 && info.getShape()[0] != -1)) {
      throw new ModelLoadException(
          "expected a Mask R-CNN graph whose input is one float image [3,H,W], found "
              + input.getName()
              + " "
              + input.getInfo());
    }
    return input.getName();
  }

  private static GraphContract contractOf(
      GraphContract requested, Map<String, String> metadata, Outputs outputs)
      throws ModelLoadException {
    boolean smallMasks = outputs.maskSide > 0;
    GraphContract recognised;
    if (smallMasks) {
      recognised = GraphContract.ONNX_ZOO;
    } else if (metadata.containsKey(ModelFile.CONTRACT_KEY)) {
      recognised = GraphContract.MASKSTREAM;
    } else {
      recognised = GraphContract.TORCHVISION;
    }
    if (requested == null) {
      return recognised;
    }
    boolean requestedSmall = requested == GraphContract.ONNX_ZOO;
    if (requestedSmall != smallMasks) {
      throw new ModelLoadException(
          "the graph does not follow the "
              + requested.name().toLowerCase(java.util.Locale.ROOT)
              + " contract: its masks are "
              + (smallMasks ? "fixed " + outputs.maskSide + "x" + outputs.maskSide : "image-sized")
              + " (looks like "
              + recognised.name().toLowerCase(java.util.Locale.ROOT)
              + "); drop --contract or name the right one");
    }
    return requested;
  }

  /**
   * The number of keypoints of a graph that leaves it dynamic (torchvision's exports): its
   * keypoints output's second dimension on a small grey image.
   */
  private static int probeKeypointCount(OrtSession session, String input, Outputs outputs)
      throws OrtException, ModelLoadException {
    int side = 64;
    float[] grey = new float[3 * side * side];
    java.util.Arrays.fill(grey, 0.5f);
    try (OnnxTensor image =
            OnnxTensor.createTensor(
                environment(), FloatBuffer.wrap(grey), new long[] {3, side, side});
        OrtSession.Result result = session.run(Map.of(input, image))) {
      OnnxValue value = result.get(outputs.keypoints).orElse(null);
      long[] shape = value instanceof OnnxTensor t ? t.getInfo().getShape() : new long[0];
      if (shape.length != 3 || shape[1] <= 0) {
        throw new ModelLoadException(
            "cannot tell how many keypoints the model finds (its "
                + outputs.keypoints
                + " output is "
                + java.util.Arrays.toString(shape)
                + " on a blank image): name them in the model's "
                + ModelFile.KEYPOINTS_KEY
                + " metadata");
      }
      return (int) shape[1];
    }
  }

  /**
   * The keypoints of a model with a keypoint head: named by its metadata ({@link
   * ModelFile#KEYPOINTS_KEY}, a trainer export), else COCO's person keypoints for 17 (torchvision's
   * Keypoint R-CNN), else numbered.
   */
  private static KeypointLayout keypointLayoutOf(Map<String, String> metadata, Outputs outputs) {
    if (outputs.keypoints == null) {
      return KeypointLayout.NONE;
    }
    String names = metadata.get(ModelFile.KEYPOINTS_KEY);
    if (names != null) {
      try {
        String skeleton = metadata.get(ModelFile.SKELETON_KEY);
        return new KeypointLayout(
            ModelFile.classes(names), skeleton == null ? List.of() : ModelFile.skeleton(skeleton));
      } catch (IllegalArgumentException e) {
        log.warn(
            "the model's keypoint metadata is unreadable ({}); numbering them", e.getMessage());
      }
    }
    return new KeypointLayout(
        CocoCategories.keypointNames(outputs.keypointCount),
        CocoCategories.keypointSkeleton(outputs.keypointCount));
  }

  /** The names and skeleton of the keypoints the model finds ({@link KeypointLayout#NONE}). */
  public KeypointLayout keypointLayout() {
    return keypointLayout;
  }

  private static ClassNames classesOf(
      Path labels, Map<String, String> metadata, GraphContract contract) throws ModelLoadException {
    if (labels != null) {
      try {
        return ClassNames.fromFile(labels);
      } catch (IOException e) {
        throw new ModelLoadException("cannot read --labels " + labels + ": " + e.getMessage(), e);
      }
    }
    String fromModel = metadata.get(ModelFile.CLASSES_KEY);
    if (fromModel != null) {
      try {
        return ClassNames.fromMetadata(fromModel);
      } catch (IllegalArgumentException e) {
        throw new ModelLoadException("bad model metadata: " + e.getMessage(), e);
      }
    }
    return contract == GraphContract.ONNX_ZOO ? ClassNames.coco80Contiguous() : ClassNames.coco91();
  }

  /**
   * Runs the model on one image and post-processes its output: score threshold, top-k, masks
   * thresholded and encoded, boxes in pixels - all at the frame's size, also when the image is a
   * downscaled copy of the frame ({@link DecodedImage#downscaled()}).
   *
   * @param decodeMs time spent decoding, reported in the timings
   * @throws SegmentationException ({@code INFERENCE}) when ONNX Runtime fails on the image
   * @throws IllegalStateException after {@link #close()}
   */
  public Segmentation segment(DecodedImage image, float decodeMs) throws SegmentationException {
    if (closed.get()) {
      throw new IllegalStateException("model " + identity + " is closed");
    }
    long t0 = System.nanoTime();
    Input input = contract == GraphContract.ONNX_ZOO ? zooInput(image) : torchvisionInput(image);
    long t1 = System.nanoTime();
    OrtEnvironment env = environment();
    try (OnnxTensor tensor = OnnxTensor.createTensor(env, input.data, input.shape);
        OrtSession.Result result = session.run(Map.of(inputName, tensor))) {
      long t2 = System.nanoTime();
      List<Instance> instances = postprocess(result, image, input);
      long t3 = System.nanoTime();
      return new Segmentation(
          image.frameWidth(),
          image.frameHeight(),
          instances,
          identity,
          new StageTimes(decodeMs, ms(t1 - t0), ms(t2 - t1), ms(t3 - t2)),
          keypointLayout);
    } catch (OrtException e) {
      throw new SegmentationException(
          SegmentationException.Kind.INFERENCE,
          "model " + identity + " failed: " + firstLine(e.getMessage()),
          e);
    }
  }

  private List<Instance> postprocess(OrtSession.Result result, DecodedImage image, Input input)
      throws OrtException, SegmentationException {
    OnnxTensor boxesT = tensor(result, outputs.boxes);
    OnnxTensor scoresT = tensor(result, outputs.scores);
    OnnxTensor labelsT = tensor(result, outputs.labels);
    OnnxTensor masksT = outputs.masks == null ? null : tensor(result, outputs.masks);
    int n = (int) scoresT.getInfo().getShape()[0];
    FloatBuffer scores = scoresT.getFloatBuffer();
    int keep = 0;
    while (keep < n && keep < topK && scores.get(keep) >= scoreThreshold) {
      keep++;
    }
    List<Instance> instances = new ArrayList<>(keep);
    if (keep == 0) {
      return instances;
    }
    FloatBuffer boxes = boxesT.getFloatBuffer();
    long[] labels = labelsOf(labelsT, n);
    FloatBuffer masks = masksT == null ? null : masksT.getFloatBuffer();
    long[] maskShape = masksT == null ? new long[] {n, 1, 0, 0} : masksT.getInfo().getShape();
    int points = keypointLayout.count();
    FloatBuffer keypoints = null;
    FloatBuffer keypointScores = null;
    if (outputs.keypoints != null) {
      OnnxTensor keypointsT = tensor(result, outputs.keypoints);
      long[] shape = keypointsT.getInfo().getShape();
      if (shape[0] != n || shape[1] != points || shape[2] != 3) {
        throw new SegmentationException(
            SegmentationException.Kind.INFERENCE,
            "model "
                + identity
                + " returned keypoints "
                + java.util.Arrays.toString(shape)
                + " for "
                + n
                + " detections; expected ["
                + n
                + ", "
                + points
                + ", 3]");
      }
      keypoints = keypointsT.getFloatBuffer();
      keypointScores = tensor(result, outputs.keypointScores).getFloatBuffer();
    }
    int h = image.height();
    int w = image.width();
    int frameH = image.frameHeight();
    int frameW = image.frameWidth();
    float toFrameX = (float) frameW / w;
    float toFrameY = (float) frameH / h;
    int mh = (int) maskShape[2];
    int mw = (int) maskShape[3];
    if (masks != null && pastesMasks && (mh != mw || maskShape[0] != n)) {
      throw new SegmentationException(
          SegmentationException.Kind.INFERENCE,
          "model "
              + identity
              + " returned "
              + maskShape[0]
              + " masks of "
              + mw
              + "x"
              + mh
              + " for "
              + n
              + " detections; expected one square mask each");
    }
    float[] canvas = pastesMasks ? new float[h * w] : null;
    float[] small = pastesMasks ? new float[mh * mw] : null;
    for (int i = 0; i < keep; i++) {
      // boxes in image pixels, inside the image: zoo graphs clip to their padded input, which can
      // reach up to 31 resized pixels past the image's right and bottom edges
      float[] box = {
        clip(boxes.get(4 * i) / input.scaleX, w),
        clip(boxes.get(4 * i + 1) / input.scaleY, h),
        clip(boxes.get(4 * i + 2) / input.scaleX, w),
        clip(boxes.get(4 * i + 3) / input.scaleY, h)
      };
      // each mask is thresholded and encoded at the frame's size on its own, straight from the
      // image-sized probabilities, so no frame-sized mask is ever held
      CocoRle rle = null;
      if (masks == null) {
        // a model without a mask head: keypoints only
      } else if (pastesMasks) {
        // the paste writes every pixel of its support, and the encoder reads only that support,
        // so the canvas needs no clearing between detections
        masks.get(i * mh * mw, small);
        MaskPaster.paste(small, 0, mh, box, h, w, canvas);
        rle =
            MaskEncoder.encode(
                FloatBuffer.wrap(canvas),
                0,
                h,
                w,
                maskThreshold,
                MaskPaster.support(box, mh, h, w),
                frameH,
                frameW);
      } else {
        if (mh != h || mw != w) {
          throw new SegmentationException(
              SegmentationException.Kind.INFERENCE,
              "model "
                  + identity
                  + " returned "
                  + mw
                  + "x"
                  + mh
                  + " masks for a "
                  + w
                  + "x"
                  + h
                  + " image");
        }
        // torchvision pastes in the graph with paste_masks_in_image: zero outside the paste
        // rectangle of the box (box scaled by (M + 2) / M), so only that rectangle is read; the
        // rectangle is computed for M = 8, a superset for every mask head of 8 px or more
        rle =
            MaskEncoder.encode(
                masks,
                i * h * w,
                h,
                w,
                maskThreshold,
                MaskPaster.support(box, 8, h, w),
                frameH,
                frameW);
      }
      float[] points3 = null;
      if (keypoints != null) {
        points3 = new float[3 * points];
        for (int j = 0; j < points; j++) {
          int at = i * points + j;
          points3[3 * j] = clip(keypoints.get(3 * at) / input.scaleX * toFrameX, frameW);
          points3[3 * j + 1] = clip(keypoints.get(3 * at + 1) / input.scaleY * toFrameY, frameH);
          points3[3 * j + 2] = keypointScores.get(at);
        }
      }
      int classId = (int) labels[i];
      instances.add(
          new Instance(
              classId,
              classes.label(classId),
              scores.get(i),
              clip(box[0] * toFrameX, frameW),
              clip(box[1] * toFrameY, frameH),
              clip(box[2] * toFrameX, frameW),
              clip(box[3] * toFrameY, frameH),
              rle,
              points3));
    }
    return instances;
  }

  private static float clip(float v, int size) {
    return Math.min(Math.max(v, 0f), size);
  }

  private static long[] labelsOf(OnnxTensor t, int n) {
    long[] out = new long[n];
    if (t.getInfo().type == OnnxJavaType.INT32) {
      IntBuffer b = t.getIntBuffer();
      for (int i = 0; i < n; i++) {
        out[i] = b.get(i);
      }
    } else {
      LongBuffer b = t.getLongBuffer();
      b.get(0, out);
    }
    return out;
  }

  private static OnnxTensor tensor(OrtSession.Result result, String name)
      throws SegmentationException {
    OnnxValue v = result.get(name).orElse(null);
    if (!(v instanceof OnnxTensor t)) {
      throw new SegmentationException(
          SegmentationException.Kind.INFERENCE, "model returned no tensor '" + name + "'");
    }
    return t;
  }

  private Input torchvisionInput(DecodedImage image) {
    int w = image.width();
    int h = image.height();
    int plane = w * h;
    FloatBuffer buf = buffer(3 * plane);
    byte[] bgr = image.bgr();
    for (int i = 0, p = 0; i < plane; i++, p += 3) {
      buf.put(i, (bgr[p + 2] & 0xff) / 255.0f);
      buf.put(plane + i, (bgr[p + 1] & 0xff) / 255.0f);
      buf.put(2 * plane + i, (bgr[p] & 0xff) / 255.0f);
    }
    return new Input(buf, new long[] {3, h, w}, 1f, 1f);
  }

  /** maskrcnn-benchmark's Resize(800, 1333), BGR minus means, zero pad to a multiple of 32. */
  private Input zooInput(DecodedImage image) {
    int w = image.width();
    int h = image.height();
    double size = ZOO_MIN_SIZE;
    double minOrig = Math.min(w, h);
    double maxOrig = Math.max(w, h);
    if (maxOrig / minOrig * size > ZOO_MAX_SIZE) {
      size = Math.round(ZOO_MAX_SIZE * minOrig / maxOrig);
    }
    int ow;
    int oh;
    if (w < h) {
      ow = (int) size;
      oh = (int) (size * h / w);
    } else {
      oh = (int) size;
      ow = (int) (size * w / h);
    }
    byte[] resized = resizeBgr(image, ow, oh);
    int pw = (ow + ZOO_DIVISIBILITY - 1) / ZOO_DIVISIBILITY * ZOO_DIVISIBILITY;
    int ph = (oh + ZOO_DIVISIBILITY - 1) / ZOO_DIVISIBILITY * ZOO_DIVISIBILITY;
    int plane = pw * ph;
    FloatBuffer buf = buffer(3 * plane);
    for (int i = 0; i < 3 * plane; i++) {
      buf.put(i, 0f);
    }
    for (int y = 0; y < oh; y++) {
      for (int x = 0; x < ow; x++) {
        int p = (y * ow + x) * 3;
        int i = y * pw + x;
        for (int c = 0; c < 3; c++) {
          buf.put(c * plane + i, (resized[p + c] & 0xff) - ZOO_BGR_MEAN[c]);
        }
      }
    }
    return new Input(buf, new long[] {3, ph, pw}, (float) ow / w, (float) oh / h);
  }

  private static byte[] resizeBgr(DecodedImage image, int ow, int oh) {
    if (ow == image.width() && oh == image.height()) {
      return image.bgr();
    }
    try (org.bytedeco.javacpp.BytePointer src = new org.bytedeco.javacpp.BytePointer(image.bgr());
        org.bytedeco.opencv.opencv_core.Mat in =
            new org.bytedeco.opencv.opencv_core.Mat(
                image.height(),
                image.width(),
                org.bytedeco.opencv.global.opencv_core.CV_8UC3,
                src);
        org.bytedeco.opencv.opencv_core.Mat out = new org.bytedeco.opencv.opencv_core.Mat()) {
      org.bytedeco.opencv.global.opencv_imgproc.resize(
          in,
          out,
          new org.bytedeco.opencv.opencv_core.Size(ow, oh),
          0,
          0,
          org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR);
      byte[] pixels = new byte[ow * oh * 3];
      out.data().get(pixels);
      return pixels;
    }
  }

  /** A per-thread direct native-order buffer of at least {@code n} floats, viewed as exactly n. */
  private FloatBuffer buffer(int n) {
    FloatBuffer b = inputBuffers.get();
    if (b == null || b.capacity() < n) {
      b = ByteBuffer.allocateDirect(n * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
      inputBuffers.set(b);
    }
    return b.slice(0, n);
  }

  /** The graph's convention. */
  public GraphContract contract() {
    return contract;
  }

  /**
   * Whether the detector pastes the masks itself: the graph returns small masks (an ONNX Model Zoo
   * graph, or one whose paste {@link PasteFreeGraph} took out).
   */
  public boolean pastesMasks() {
    return pastesMasks;
  }

  /** The class names. */
  public ClassNames classes() {
    return classes;
  }

  /** The graph's custom metadata (class names, name, training provenance, ...); immutable. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Name and version (leading 12 hex digits of the file's sha256). */
  public ModelIdentity identity() {
    return identity;
  }

  /** Hex sha256 of the model file. */
  public String sha256() {
    return sha256;
  }

  /** Size of the model file in bytes. */
  public long sizeBytes() {
    return sizeBytes;
  }

  /** Closes the ONNX Runtime session; idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      closeQuietly(session);
    }
  }

  private static void closeQuietly(OrtSession session) {
    try {
      session.close();
    } catch (OrtException e) {
      log.warn("closing the ONNX Runtime session failed: {}", e.getMessage());
    }
  }

  /**
   * The process-wide ONNX Runtime environment. Its own logger is limited to fatal messages: every
   * failure reaches us as an {@link OrtException} and is logged once, in one line, by us.
   */
  static OrtEnvironment environment() {
    return OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, "maskstream");
  }

  /** Hex sha256 of some bytes. */
  public static String sha256Hex(byte[] bytes) {
    return ModelStore.sha256Hex(bytes);
  }

  private static float ms(long nanos) {
    return nanos / 1e6f;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "no detail";
    }
    int nl = message.indexOf('\n');
    return (nl < 0 ? message : message.substring(0, nl)).strip();
  }

  private record Input(FloatBuffer data, long[] shape, float scaleX, float scaleY) {}

  /**
   * The names of the outputs, found by name or else by type and rank: boxes, labels, scores, and
   * masks and/or keypoints with their scores (torchvision's Keypoint R-CNN has no masks).
   */
  private record Outputs(
      String boxes,
      String labels,
      String scores,
      String masks,
      int maskSide,
      String keypoints,
      String keypointScores,
      int keypointCount) {
    static Outputs find(OrtSession session) throws OrtException, ModelLoadException {
      String boxes = null;
      String labels = null;
      String scores = null;
      String masks = null;
      String keypoints = null;
      String keypointScores = null;
      int side = 0;
      int count = 0;
      for (NodeInfo node : session.getOutputInfo().values()) {
        if (!(node.getInfo() instanceof TensorInfo info)) {
          continue;
        }
        long[] shape = info.getShape();
        boolean isFloat = info.type == OnnxJavaType.FLOAT;
        boolean isInt = info.type == OnnxJavaType.INT64 || info.type == OnnxJavaType.INT32;
        String n = node.getName();
        if (isFloat && shape.length == 2 && n.equals(ModelFile.OUTPUT_KEYPOINT_SCORES)) {
          keypointScores = n;
        } else if (isFloat
            && shape.length == 2
            && (shape[1] == 4 || shape[1] < 0)
            && (boxes == null || n.equals(ModelFile.OUTPUT_BOXES))) {
          boxes = n;
        } else if (isInt
            && shape.length == 1
            && (labels == null || n.equals(ModelFile.OUTPUT_LABELS))) {
          labels = n;
        } else if (isFloat
            && shape.length == 1
            && (scores == null || n.equals(ModelFile.OUTPUT_SCORES))) {
          scores = n;
        } else if (isFloat
            && shape.length == 4
            && (masks == null || n.equals(ModelFile.OUTPUT_MASKS))) {
          masks = n;
          side = shape[2] > 0 && shape[2] == shape[3] && shape[2] <= 64 ? (int) shape[2] : 0;
        } else if (isFloat
            && shape.length == 3
            && (keypoints == null || n.equals(ModelFile.OUTPUT_KEYPOINTS))) {
          keypoints = n;
          count = shape[1] > 0 ? (int) shape[1] : 0;
        }
      }
      if (keypoints != null && keypointScores == null) {
        keypointScores = otherRankTwo(session, boxes);
      }
      if (boxes == null
          || labels == null
          || scores == null
          || (masks == null && keypoints == null)
          || (keypoints != null && keypointScores == null)) {
        throw new ModelLoadException(
            "not a Mask R-CNN graph: expected outputs boxes [N,4], labels [N], scores [N] and"
                + " masks [N,1,H,W] (or keypoints [N,K,3] and keypoints_scores [N,K]), found "
                + session.getOutputInfo().keySet());
      }
      return new Outputs(boxes, labels, scores, masks, side, keypoints, keypointScores, count);
    }

    Outputs withKeypointCount(int count) {
      return new Outputs(boxes, labels, scores, masks, maskSide, keypoints, keypointScores, count);
    }

    /** A float rank-2 output other than the boxes: the keypoint scores of an unnamed graph. */
    private static String otherRankTwo(OrtSession session, String boxes) throws OrtException {
      for (NodeInfo node : session.getOutputInfo().values()) {
        if (node.getInfo() instanceof TensorInfo info
            && info.type == OnnxJavaType.FLOAT
            && info.getShape().length == 2
            && !node.getName().equals(boxes)) {
          return node.getName();
        }
      }
      return null;
    }
  }
}
