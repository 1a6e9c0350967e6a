package io.maskstream.trainer.shapes;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.maskstream.schemas.rle.CocoRle;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;

/**
 * Draws the synthetic shapes dataset: shapes of {@link ShapeKind} in random colours, sizes, angles
 * and positions on plain, gradient, noise, stripe or checkerboard backgrounds, later shapes
 * occluding earlier ones; and clips of such shapes moving, with ground truth for every frame.
 *
 * <p>Shapes are rasterised by Java2D without antialiasing into an index map (which object owns each
 * pixel), and the colour image is painted from that map, so every ground-truth mask is exactly the
 * pixels of its object's colour. Still images whose objects are mostly hidden drop those objects
 * entirely, so no unlabelled fragment remains. Everything is a pure function of the seed (and image
 * index): the same seed gives the same files. Instances are immutable and thread-safe.
 */
public final class ShapesGenerator {
  /** Smallest colour distance (sum over channels) between an object and what surrounds it. */
  private static final int MIN_CONTRAST = 90;

  private final ShapesConfig config;
  private final boolean keypoints;

  /** A generator drawing as {@code config} says. */
  public ShapesGenerator(ShapesConfig config) {
    this(config, false);
  }

  /**
   * A generator drawing as {@code config} says that, with {@code keypoints}, also writes each
   * object's {@link ShapeKeypoints} into the annotations (COCO's {@code keypoints}, {@code
   * num_keypoints}; the categories' {@code keypoints}, {@code skeleton} and {@code flip_map}). The
   * images are the same either way.
   */
  public ShapesGenerator(ShapesConfig config, boolean keypoints) {
    this.config = config;
    this.keypoints = keypoints;
  }

  /** Still image {@code index} of the dataset of {@code seed}. */
  public ShapesImage image(long seed, int index) {
    SplittableRandom r = new SplittableRandom(mix(seed, index));
    int width = config.minSide() + r.nextInt(config.maxSide() - config.minSide() + 1);
    int height = config.minSide() + r.nextInt(config.maxSide() - config.minSide() + 1);
    int[] background = new int[width * height];
    Background.random(r).paint(background, width, height);
    int backgroundMean = meanColor(background);
    int count = config.minObjects() + r.nextInt(config.maxObjects() - config.minObjects() + 1);
    List<Placed> objects = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      objects.add(place(r, width, height, backgroundMean, objects));
    }
    return compose(objects, background, width, height, true);
  }

  /**
   * Writes {@code n} still images to {@code out/images/} (PNG) and their ground truth to {@code
   * out/annotations.json} (COCO instances, masks as compressed RLE, image ids from 1).
   */
  public void writeDataset(Path out, int n, long seed) throws IOException {
    Path imagesDir = Files.createDirectories(out.resolve("images"));
    List<ImageEntry> entries;
    try {
      entries =
          IntStream.range(0, n)
              .parallel()
              .mapToObj(
                  i -> {
                    ShapesImage image = image(seed, i);
                    String name = String.format("%06d.png", i + 1);
                    writePng(image.image(), imagesDir.resolve(name));
                    return new ImageEntry(i + 1, name, image);
                  })
              .toList();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    writeAnnotations(out.resolve("annotations.json"), entries, false, keypoints);
  }

  /**
   * Writes a clip of {@code frames} frames of moving shapes: {@code out/clip.mp4}, every frame as
   * PNG under {@code out/images/}, the ground truth of every frame in {@code out/annotations.json}
   * (image ids are the frame indices from 0; each annotation's {@code track_id} names its object
   * across frames) and the same boxes with their track ids in {@code out/gt.txt}, MOTChallenge
   * format (frames from 1). Objects enter and leave the frame, cross and hide each other, and one
   * stands still (see {@link ClipScript}); an object wholly hidden or outside the frame has no
   * ground truth in that frame.
   */
  public void writeClip(Path out, int frames, long seed) throws IOException {
    int width = config.videoWidth();
    int height = config.videoHeight();
    int[] background = new int[width * height];
    ClipScript script = planClip(frames, seed, background);
    Path imagesDir = Files.createDirectories(out.resolve("images"));
    List<ImageEntry> entries = new ArrayList<>(frames);
    try (ClipWriter clip = new ClipWriter(out.resolve("clip.mp4"), width, height, config.fps())) {
      for (int t = 0; t < frames; t++) {
        ShapesImage frame = compose(script.at(t), background, width, height, false);
        String name = String.format("frame_%06d.png", t);
        writePng(frame.image(), imagesDir.resolve(name));
        clip.write(frame.image());
        entries.add(new ImageEntry(t, name, frame));
      }
    }
    // track ids from 1 in order of first appearance
    Map<Integer, Integer> trackIds = new HashMap<>();
    for (ImageEntry e : entries) {
      for (ShapesObject o : e.image.objects()) {
        trackIds.putIfAbsent(o.trackId(), trackIds.size() + 1);
      }
    }
    List<ImageEntry> tracked = new ArrayList<>(entries.size());
    for (ImageEntry e : entries) {
      List<ShapesObject> objects = new ArrayList<>();
      for (ShapesObject o : e.image.objects()) {
        objects.add(new ShapesObject(o.kind(), o.color(), o.mask(), trackIds.get(o.trackId())));
      }
      tracked.add(new ImageEntry(e.id, e.fileName, new ShapesImage(e.image.image(), objects)));
    }
    writeAnnotations(out.resolve("annotations.json"), tracked, true, keypoints);
    writeMotGroundTruth(out.resolve("gt.txt"), tracked);
  }

  /** The clip's plan for {@code seed}: which objects exist when, and where. */
  ClipScript clipScript(int frames, long seed) {
    return planClip(frames, seed, new int[config.videoWidth() * config.videoHeight()]);
  }

  /** Paints the clip's background into {@code background} and plans its motion. */
  private ClipScript planClip(int frames, long seed, int[] background) {
    SplittableRandom r = new SplittableRandom(mix(seed, -1));
    int width = config.videoWidth();
    int height = config.videoHeight();
    Background.random(r).paint(background, width, height);
    int backgroundMean = meanColor(background);
    return ClipScript.plan(
        r, width, height, frames, (random, taken) -> pickColor(random, backgroundMean, taken));
  }

  /**
   * Writes {@code gt.txt}: {@code frame,id,left,top,width,height,1,-1,-1,-1} per object and frame
   * (frames from 1, the box of the visible mask, ids ascending within a frame).
   */
  private static void writeMotGroundTruth(Path file, List<ImageEntry> entries) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (ImageEntry e : entries) {
      List<ShapesObject> objects = new ArrayList<>(e.image.objects());
      objects.sort(Comparator.comparingInt(ShapesObject::trackId));
      for (ShapesObject o : objects) {
        double[] box = o.mask().toBbox();
        sb.append(e.id + 1).append(',').append(o.trackId());
        for (double v : box) {
          sb.append(',').append(number(v));
        }
        sb.append(",1,-1,-1,-1\n");
      }
    }
    Files.writeString(file, sb, StandardCharsets.UTF_8);
  }

  private static String number(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  private Placed place(
      SplittableRandom r, int width, int height, int backgroundMean, List<Placed> others) {
    ShapeKind kind = ShapeKind.values()[r.nextInt(ShapeKind.values().length)];
    int side = Math.min(width, height);
    double radius = side * (0.08 + r.nextDouble() * 0.22);
    double cx = radius * 0.5 + r.nextDouble() * Math.max(1, width - radius);
    double cy = radius * 0.5 + r.nextDouble() * Math.max(1, height - radius);
    double angle = r.nextDouble() * 2 * Math.PI;
    int color = pickColor(r, backgroundMean, others.stream().map(Placed::color).toList());
    return new Placed(kind, cx, cy, radius, angle, color);
  }

  /** A colour that stands out from the background and from {@code taken} (50 tries at most). */
  private static int pickColor(SplittableRandom r, int backgroundMean, List<Integer> taken) {
    int color = 0;
    for (int attempt = 0; attempt < 50; attempt++) {
      color = r.nextInt(0x1000000);
      boolean distinct = Background.distance(color, backgroundMean) >= MIN_CONTRAST;
      for (int other : taken) {
        distinct &= Background.distance(color, other) >= MIN_CONTRAST;
      }
      if (distinct) {
        break;
      }
    }
    return color;
  }

  /**
   * Rasterises the objects into an index map and paints the image from it. With {@code dropHidden}
   * objects mostly hidden by those in front are removed (and the rest drawn again) until every
   * drawn object is well visible.
   */
  ShapesImage compose(
      List<Placed> placed, int[] background, int width, int height, boolean dropHidden) {
    List<Placed> objects = new ArrayList<>(placed);
    BufferedImage canvas = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    int[] pixels = ((DataBufferInt) canvas.getRaster().getDataBuffer()).getData();
    while (true) {
      int[] full = new int[objects.size()];
      if (dropHidden) {
        for (int i = 0; i < objects.size(); i++) {
          Arrays.fill(pixels, 0);
          fill(canvas, objects.get(i), 1);
          full[i] = countEqual(pixels, 1);
        }
      }
      Arrays.fill(pixels, 0);
      for (int i = 0; i < objects.size(); i++) {
        fill(canvas, objects.get(i), i + 1);
      }
      int[] visible = new int[objects.size()];
      for (int p : pixels) {
        if (p != 0) {
          visible[(p & 0xffffff) - 1]++;
        }
      }
      int worst = -1;
      if (dropHidden) {
        for (int i = 0; i < objects.size(); i++) {
          int needed = Math.max(config.minVisiblePixels(), full[i] / 5);
          if (visible[i] < needed && (worst < 0 || visible[i] < visible[worst])) {
            worst = i;
          }
        }
      }
      if (worst < 0) {
        return paint(objects, pixels.clone(), visible, background, width, height);
      }
      objects.remove(worst);
    }
  }

  private static ShapesImage paint(
      List<Placed> objects, int[] index, int[] visible, int[] background, int width, int height) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    int[] rgb = ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
    byte[][] masks = new byte[objects.size()][];
    for (int i = 0; i < objects.size(); i++) {
      if (visible[i] > 0) {
        masks[i] = new byte[width * height];
      }
    }
    for (int p = 0; p < rgb.length; p++) {
      int owner = index[p] & 0xffffff;
      if (owner == 0) {
        rgb[p] = background[p];
      } else {
        rgb[p] = objects.get(owner - 1).color;
        masks[owner - 1][p] = 1;
      }
    }
    List<ShapesObject> out = new ArrayList<>();
    for (int i = 0; i < objects.size(); i++) {
      if (masks[i] != null) {
        Placed o = objects.get(i);
        double[] points =
            ShapeKeypoints.keypoints(
                o.kind.outline(o.cx, o.cy, o.radius, o.angle), index, i + 1, width, height);
        out.add(
            new ShapesObject(
                o.kind, o.color, CocoRle.encodeRowMajor(masks[i], height, width), o.id, points));
      }
    }
    return new ShapesImage(image, out);
  }

  private static void fill(BufferedImage canvas, Placed o, int value) {
    Graphics2D g = canvas.createGraphics();
    try {
      // no antialiasing: a pixel belongs to one object or to none
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
      g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
      g.setColor(new Color(value));
      Shape shape = o.kind.outline(o.cx, o.cy, o.radius, o.angle);
      g.fill(shape);
    } finally {
      g.dispose();
    }
  }

  private static int countEqual(int[] pixels, int value) {
    int n = 0;
    for (int p : pixels) {
      if ((p & 0xffffff) == value) {
        n++;
      }
    }
    return n;
  }

  private static int meanColor(int[] rgb) {
    long r = 0;
    long g = 0;
    long b = 0;
    for (int p : rgb) {
      r += (p >> 16) & 0xff;
      g += (p >> 8) & 0xff;
      b += p & 0xff;
    }
    int n = Math.max(1, rgb.length);
    return (int) (r / n) << 16 | (int) (g / n) << 8 | (int) (b / n);
  }

  private static void writePng(BufferedImage image, Path file) {
    try {
      if (!ImageIO.write(image, "png", file.toFile())) {
        throw new IOException("no PNG writer in this JVM");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  private static void writeAnnotations(
      Path file, List<ImageEntry> entries, boolean tracks, boolean keypoints) throws IOException {
    try (JsonGenerator json = new JsonFactory().createGenerator(file.toFile(), JsonEncoding.UTF8)) {
      json.writeStartObject();
      json.writeObjectFieldStart("info");
      json.writeStringField("description", "maskstream synthetic shapes");
      json.writeEndObject();
      json.writeArrayFieldStart("images");
      for (ImageEntry e : entries) {
        json.writeStartObject();
        json.writeNumberField("id", e.id);
        json.writeStringField("file_name", e.fileName);
        json.writeNumberField("width", e.image.image().getWidth());
        json.writeNumberField("height", e.image.image().getHeight());
        json.writeEndObject();
      }
      json.writeEndArray();
      json.writeArrayFieldStart("annotations");
      long annotationId = 1;
      for (ImageEntry e : entries) {
        for (ShapesObject o : e.image.objects()) {
          CocoRle mask = o.mask();
          double[] box = mask.toBbox();
          json.writeStartObject();
          json.writeNumberField("id", annotationId++);
          json.writeNumberField("image_id", e.id);
          json.writeNumberField("category_id", o.kind().categoryId());
          json.writeObjectFieldStart("segmentation");
          json.writeArrayFieldStart("size");
          json.writeNumber(mask.height());
          json.writeNumber(mask.width());
          json.writeEndArray();
          json.writeStringField("counts", mask.toCompressedString());
          json.writeEndObject();
          json.writeNumberField("area", mask.area());
          json.writeArrayFieldStart("bbox");
          for (double v : box) {
            json.writeNumber(v);
          }
          json.writeEndArray();
          json.writeNumberField("iscrowd", 0);
          if (keypoints) {
            double[] points = o.keypoints();
            json.writeArrayFieldStart("keypoints");
            int labelled = 0;
            for (int k = 0; k < points.length; k += 3) {
              // two decimals are far below a pixel and keep the file small
              json.writeNumber(Math.round(points[k] * 100) / 100.0);
              json.writeNumber(Math.round(points[k + 1] * 100) / 100.0);
              json.writeNumber((int) points[k + 2]);
              labelled += points[k + 2] > 0 ? 1 : 0;
            }
            json.writeEndArray();
            json.writeNumberField("num_keypoints", labelled);
          }
          if (tracks) {
            json.writeNumberField("track_id", o.trackId());
          }
          json.writeEndObject();
        }
      }
      json.writeEndArray();
      json.writeArrayFieldStart("categories");
      for (ShapeKind kind : ShapeKind.values()) {
        json.writeStartObject();
        json.writeNumberField("id", kind.categoryId());
        json.writeStringField("name", kind.label());
        json.writeStringField("supercategory", "shape");
        if (keypoints) {
          json.writeArrayFieldStart("keypoints");
          for (String name : ShapeKeypoints.NAMES) {
            json.writeString(name);
          }
          json.writeEndArray();
          json.writeArrayFieldStart("skeleton");
          for (List<Integer> edge : ShapeKeypoints.SKELETON) {
            json.writeArray(edge.stream().mapToInt(Integer::intValue).toArray(), 0, 2);
          }
          json.writeEndArray();
          json.writeArrayFieldStart("flip_map");
          for (List<String> pair : ShapeKeypoints.FLIP_MAP) {
            json.writeArray(pair.toArray(String[]::new), 0, 2);
          }
          json.writeEndArray();
        }
        json.writeEndObject();
      }
      json.writeEndArray();
      json.writeEndObject();
    }
  }

  /** A per-image seed: the SplitMix64 finaliser of the dataset seed and the index. */
  private static long mix(long seed, long index) {
    long z = seed + 0x9E3779B97F4A7C15L * (index + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** An object before rendering; {@code id} is carried to its {@link ShapesObject#trackId()}. */
  record Placed(
      ShapeKind kind, double cx, double cy, double radius, double angle, int color, int id) {
    /** An object of a still image (id 0). */
    Placed(ShapeKind kind, double cx, double cy, double radius, double angle, int color) {
      this(kind, cx, cy, radius, angle, color, 0);
    }
  }

  private record ImageEntry(long id, String fileName, ShapesImage image) {}
}
