package io.maskstream.ingest.source;

import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_to_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avformat.av_find_best_stream;
import static org.bytedeco.ffmpeg.global.avformat.av_find_input_format;
import static org.bytedeco.ffmpeg.global.avformat.av_guess_frame_rate;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avformat.avformat_alloc_context;
import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_find_stream_info;
import static org.bytedeco.ffmpeg.global.avformat.avformat_free_context;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EAGAIN;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EXIT;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_DICT_IGNORE_SUFFIX;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_BGR24;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_get;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;
import static org.bytedeco.ffmpeg.global.avutil.av_strerror;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCachedContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOInterruptCB;
import org.bytedeco.ffmpeg.avformat.AVInputFormat;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVDictionaryEntry;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Demuxes and decodes the video stream of one FFmpeg input into BGR {@link Mat}s, with a wall-clock
 * limit on every blocking step.
 *
 * <p>FFmpeg's protocol timeouts ({@code timeout}, {@code rw_timeout}) only fire when no byte
 * arrives. A source that sends bytes but never completes the stream probe (or never yields a
 * decodable picture) would keep {@code avformat_open_input}, {@code avformat_find_stream_info} or
 * {@code av_read_frame} busy for as long as it sends. This reader installs FFmpeg's interrupt
 * callback on the format context before opening it: each blocking step gets a deadline ({@code
 * openTimeout} for connecting and probing, {@code readTimeout} for each picture), and FFmpeg
 * abandons the step with {@code AVERROR_EXIT} once it passes or once {@link #abort()} is called, so
 * the caller's reconnect loop goes on.
 *
 * <p>Not thread-safe, except {@link #abort()}. The reader owns every native object it allocates and
 * frees them in {@link #close()}; the {@link Mat} returned by {@link #grab()} is reused by the next
 * call and freed by {@link #close()}.
 */
public final class FfmpegVideoReader implements AutoCloseable {
  static {
    try {
      // loads the natives, initialises networking and registers capture devices (V4L2)
      FFmpegFrameGrabber.tryLoad();
    } catch (org.bytedeco.javacv.FrameGrabber.Exception e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** The readers that are open, by the id FFmpeg hands back to the interrupt callback. */
  private static final Map<Long, FfmpegVideoReader> OPEN = new ConcurrentHashMap<>();

  private static final AtomicLong IDS = new AtomicLong();

  /**
   * One callback for every reader: JavaCPP allocates a native thunk per callback object and keeps a
   * limited number of them, so readers are told apart by the opaque pointer instead.
   */
  private static final InterruptCallback INTERRUPT = new InterruptCallback();

  private static final class InterruptCallback extends AVIOInterruptCB.Callback_Pointer {
    @Override
    public int call(Pointer opaque) {
      FfmpegVideoReader reader =
          opaque == null || opaque.isNull() ? null : OPEN.get(new LongPointer(opaque).get());
      return reader != null && reader.interrupted() ? 1 : 0;
    }
  }

  /** What a reader gives for each decoded picture. */
  public interface Picture {
    /** The picture in BGR, 8 bits per channel; valid until the next {@link #grab()}. */
    Mat image();

    /** Presentation time in microseconds, in the stream's time line. */
    long timestampMicros();
  }

  private final long id = IDS.incrementAndGet();
  private final String url;
  private final Duration readTimeout;
  private Duration openTimeout = Duration.ZERO;
  private final LongPointer opaque = new LongPointer(1);
  private volatile boolean aborted;
  private volatile long deadlineNanos;
  private volatile String step = "opening";

  private AVFormatContext format;
  private boolean formatOpen;
  private AVCodecContext codec;
  private AVStream stream;
  private AVPacket packet;
  private AVFrame frame;
  private SwsContext scaler;
  private Mat image;
  private PointerPointer<BytePointer> dstData;
  private IntPointer dstStride;
  private boolean flushing;
  private String endReason;
  private long lastTimestamp = Long.MIN_VALUE;
  private double frameRate;
  private List<String> ignoredOptions = List.of();
  private final MutablePicture picture = new MutablePicture();

  private static final class MutablePicture implements Picture {
    Mat image;
    long timestamp;

    @Override
    public Mat image() {
      return image;
    }

    @Override
    public long timestampMicros() {
      return timestamp;
    }
  }

  /**
   * A reader of {@code url}; nothing is opened until {@link #open}.
   *
   * @param readTimeout how long each {@link #grab()} may take
   */
  public FfmpegVideoReader(String url, Duration readTimeout) {
    this.url = url;
    this.readTimeout = readTimeout;
    opaque.put(id);
    OPEN.put(id, this);
  }

  /**
   * Opens the input, probes it and opens the decoder of its best video stream. Call once.
   *
   * @param inputFormat the FFmpeg input format to force, or {@code null} to probe
   * @param options FFmpeg options for the input, the protocol and the decoder
   * @param openTimeout how long connecting and probing may take in all
   * @throws IOException when the input cannot be opened, has no decodable video stream, did not
   *     open within {@code openTimeout} or the reader was aborted
   */
  public void open(String inputFormat, Map<String, String> options, Duration openTimeout)
      throws IOException {
    if (format != null || codec != null) {
      throw new IllegalStateException("already opened");
    }
    this.openTimeout = openTimeout;
    deadlineNanos = System.nanoTime() + openTimeout.toNanos();
    AVInputFormat forced = null;
    if (inputFormat != null) {
      forced = av_find_input_format(inputFormat);
      if (forced == null) {
        throw new IOException("FFmpeg has no input format " + inputFormat);
      }
    }
    format = avformat_alloc_context();
    if (format == null) {
      throw new IOException("out of memory");
    }
    format.interrupt_callback().callback(INTERRUPT).opaque(opaque);
    AVDictionary formatOptions = dictionary(options);
    try {
      step = "opening";
      int ret = avformat_open_input(format, url, forced, formatOptions);
      if (ret < 0) {
        // avformat_open_input frees the context on failure
        format = null;
        throw failure("cannot open", ret);
      }
      formatOpen = true;
      ignoredOptions = keys(formatOptions);
    } finally {
      av_dict_free(formatOptions);
    }
    step = "probing";
    int ret = avformat_find_stream_info(format, (PointerPointer<?>) null);
    if (ret < 0 || interrupted()) {
      // FFmpeg may end an interrupted probe with what it found so far: that is no success
      throw failure("cannot probe", ret < 0 ? ret : AVERROR_EXIT);
    }
    int index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, (AVCodec) null, 0);
    if (index < 0) {
      throw new IOException("no video stream (format " + format.iformat().name().getString() + ")");
    }
    stream = format.streams(index);
    AVCodecParameters parameters = stream.codecpar();
    AVCodec decoder = avcodec_find_decoder(parameters.codec_id());
    if (decoder == null) {
      throw new IOException("FFmpeg has no decoder for codec id " + parameters.codec_id());
    }
    codec = avcodec_alloc_context3(decoder);
    ret = avcodec_parameters_to_context(codec, parameters);
    if (ret < 0) {
      throw failure("cannot set up the decoder", ret);
    }
    codec.thread_count(0);
    AVDictionary codecOptions = dictionary(options);
    try {
      ret = avcodec_open2(codec, decoder, codecOptions);
      if (ret < 0) {
        throw failure("cannot open the decoder", ret);
      }
      List<String> ignoredByBoth = new ArrayList<>(keys(codecOptions));
      ignoredByBoth.retainAll(ignoredOptions);
      ignoredOptions = List.copyOf(ignoredByBoth);
    } finally {
      av_dict_free(codecOptions);
    }
    AVRational rate = av_guess_frame_rate(format, stream, null);
    frameRate = rate.den() == 0 ? 0 : (double) rate.num() / rate.den();
    packet = av_packet_alloc();
    frame = av_frame_alloc();
    step = "reading";
  }

  /** The name of the input format FFmpeg chose, e.g. {@code mpegts}. */
  public String formatName() {
    return format.iformat().name().getString();
  }

  /** Width of the video stream as probed. */
  public int width() {
    return codec.width();
  }

  /** Height of the video stream as probed. */
  public int height() {
    return codec.height();
  }

  /** Frame rate of the video stream as FFmpeg guesses it, 0 when unknown. */
  public double frameRate() {
    return frameRate;
  }

  /** Options FFmpeg did not recognise (misspelt or meant for another protocol). */
  public List<String> ignoredOptions() {
    return ignoredOptions;
  }

  /**
   * Why the input ended before its end of file (FFmpeg's text of the read error), or {@code null}
   * when it ended normally or has not ended.
   */
  public String endReason() {
    return endReason;
  }

  /**
   * Decodes the next picture of the video stream.
   *
   * @return the picture, or {@code null} at the end of the input
   * @throws IOException on a read error, or when no picture came within the read timeout
   */
  public Picture grab() throws IOException {
    deadlineNanos = System.nanoTime() + readTimeout.toNanos();
    while (true) {
      int ret = avcodec_receive_frame(codec, frame);
      if (ret == 0) {
        Picture result = convert();
        av_frame_unref(frame);
        return result;
      }
      if (ret == AVERROR_EOF) {
        return null;
      }
      if (ret != AVERROR_EAGAIN()) {
        throw failure("cannot decode", ret);
      }
      if (flushing) {
        return null;
      }
      ret = av_read_frame(format, packet);
      if (ret < 0) {
        if (interrupted() || ret == AVERROR_EXIT) {
          throw failure("cannot read", ret);
        }
        // the end of a file, or a stream that ended or failed: drain the decoder first
        if (ret != AVERROR_EOF) {
          endReason = errorText(ret);
        }
        flushing = true;
        avcodec_send_packet(codec, null);
        continue;
      }
      try {
        if (packet.stream_index() == stream.index()) {
          // a corrupt packet (a reader joining mid-stream) is skipped like FFmpeg's player does
          avcodec_send_packet(codec, packet);
        }
      } finally {
        av_packet_unref(packet);
      }
    }
  }

  private Picture convert() throws IOException {
    int width = frame.width();
    int height = frame.height();
    if (image == null || image.cols() != width || image.rows() != height) {
      if (image != null) {
        image.close();
      }
      image = new Mat(height, width, opencv_core.CV_8UC3);
      if (dstData == null) {
        dstData = new PointerPointer<>(4);
        dstStride = new IntPointer(4);
      }
    }
    scaler =
        sws_getCachedContext(
            scaler,
            width,
            height,
            frame.format(),
            width,
            height,
            AV_PIX_FMT_BGR24,
            SWS_BILINEAR,
            null,
            null,
            (DoublePointer) null);
    if (scaler == null) {
      throw new IOException("cannot convert pixel format " + frame.format() + " to BGR");
    }
    dstData.put(0, image.data());
    dstStride.put(0, (int) image.step());
    sws_scale(scaler, frame.data(), frame.linesize(), 0, height, dstData, dstStride);
    long pts = frame.best_effort_timestamp();
    long micros;
    if (pts == AV_NOPTS_VALUE) {
      long interval = frameRate > 0 ? Math.round(1_000_000 / frameRate) : 40_000;
      micros = lastTimestamp == Long.MIN_VALUE ? 0 : lastTimestamp + interval;
    } else {
      AVRational base = stream.time_base();
      micros = Math.round(pts * 1_000_000.0 * base.num() / base.den());
    }
    lastTimestamp = micros;
    picture.image = image;
    picture.timestamp = micros;
    return picture;
  }

  /**
   * Makes the blocking step in progress (and every later one) fail at once; callable from any
   * thread.
   */
  public void abort() {
    aborted = true;
  }

  private boolean pastDeadline() {
    return System.nanoTime() - deadlineNanos > 0;
  }

  private boolean interrupted() {
    return aborted || pastDeadline();
  }

  private IOException failure(String what, int code) {
    if (aborted) {
      return new IOException(what + " " + url + ": stopped");
    }
    if (pastDeadline() || code == AVERROR_EXIT) {
      return new IOException(
          switch (step) {
            case "opening" ->
                "did not open within "
                    + seconds(openTimeout)
                    + " (no answer, or the format was not recognised)";
            case "probing" ->
                "did not open within "
                    + seconds(openTimeout)
                    + " (data arrives but the stream probe does not complete)";
            default -> "no picture within " + seconds(readTimeout);
          });
    }
    return new IOException(what + ": error " + code + " [" + errorText(code) + "]");
  }

  private static String seconds(Duration duration) {
    return duration.toMillis() / 1000.0 + " s";
  }

  /** FFmpeg's text for an error code. */
  static String errorText(int code) {
    try (BytePointer text = new BytePointer(256)) {
      av_strerror(code, text, 256);
      byte[] bytes = new byte[256];
      text.get(bytes);
      int end = 0;
      while (end < bytes.length && bytes[end] != 0) {
        end++;
      }
      return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }
  }

  private static AVDictionary dictionary(Map<String, String> options) {
    AVDictionary dictionary = new AVDictionary(null);
    for (Map.Entry<String, String> option : options.entrySet()) {
      av_dict_set(dictionary, option.getKey(), option.getValue(), 0);
    }
    return dictionary;
  }

  /** The keys left in {@code dictionary}: those FFmpeg did not take. */
  private static List<String> keys(AVDictionary dictionary) {
    List<String> keys = new ArrayList<>();
    AVDictionaryEntry entry = null;
    while ((entry = av_dict_get(dictionary, "", entry, AV_DICT_IGNORE_SUFFIX)) != null) {
      keys.add(entry.key().getString());
    }
    return keys;
  }

  /** Frees everything; idempotent. */
  @Override
  public void close() {
    aborted = true;
    if (scaler != null) {
      sws_freeContext(scaler);
      scaler = null;
    }
    if (frame != null) {
      av_frame_free(frame);
      frame = null;
    }
    if (packet != null) {
      av_packet_free(packet);
      packet = null;
    }
    if (codec != null) {
      avcodec_free_context(codec);
      codec = null;
    }
    if (format != null) {
      if (formatOpen) {
        avformat_close_input(format);
      } else {
        avformat_free_context(format);
      }
      format = null;
    }
    if (image != null) {
      image.close();
      image = null;
    }
    if (dstData != null) {
      dstData.close();
      dstStride.close();
      dstData = null;
    }
    OPEN.remove(id);
    opaque.close();
  }
}
