package io.maskstream.detector.offline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.detector.image.DecodedImage;
import io.maskstream.detector.image.FrameLimits;
import io.maskstream.detector.image.ImageDecoder;
import io.maskstream.schemas.cli.UserException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * The images of an offline run, each with its COCO image id: a dataset's images (ids from its
 * {@code annotations.json}), a folder's images (ids 0, 1, ... in file-name order) or a video's
 * frames (id = frame index from 0).
 */
public sealed interface ImageSource permits ImageSource.Files, ImageSource.Video {
  /** Receives images in order. */
  @FunctionalInterface
  interface Sink {
    /** One image; {@code image} is null when the file did not decode ({@code reason} says why). */
    void accept(long imageId, String name, DecodedImage image, String reason) throws IOException;
  }

  /** Feeds every image to {@code sink}, in order. */
  void forEach(FrameLimits limits, Sink sink) throws IOException;

  /** The images of a COCO dataset folder. */
  static ImageSource dataset(Path dir) {
    Path annotations = dir.resolve("annotations.json");
    if (!java.nio.file.Files.isRegularFile(annotations)) {
      throw new UserException(
          "--data " + dir + " has no annotations.json: give a COCO dataset folder");
    }
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(annotations.toFile());
    } catch (IOException e) {
      throw new UserException("cannot read " + annotations + ": " + e.getMessage(), e);
    }
    List<Entry> entries = new ArrayList<>();
    for (JsonNode image : root.path("images")) {
      String name = image.path("file_name").asText(null);
      if (name == null || !image.has("id")) {
        throw new UserException(annotations + ": every image needs an id and a file_name");
      }
      Path file = dir.resolve(name);
      if (!java.nio.file.Files.exists(file)) {
        file = dir.resolve("images").resolve(name);
      }
      entries.add(new Entry(image.get("id").asLong(), file));
    }
    return new Files(entries);
  }

  /** The images of a folder, ids in file-name order. */
  static ImageSource folder(Path dir) {
    if (!java.nio.file.Files.isDirectory(dir)) {
      throw new UserException("--images " + dir + " is not a folder");
    }
    List<Path> files;
    try (Stream<Path> s = java.nio.file.Files.list(dir)) {
      files =
          s.filter(
                  p ->
                      p.getFileName()
                          .toString()
                          .toLowerCase(Locale.ROOT)
                          .matches(".*\\.(jpe?g|png|bmp)"))
              .sorted()
              .toList();
    } catch (IOException e) {
      throw new UserException("cannot list --images " + dir + ": " + e.getMessage(), e);
    }
    if (files.isEmpty()) {
      throw new UserException("--images " + dir + " has no .jpg, .jpeg, .png or .bmp files");
    }
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      entries.add(new Entry(i, files.get(i)));
    }
    return new Files(entries);
  }

  /** The frames of a video file. */
  static ImageSource video(Path file) {
    if (!java.nio.file.Files.isRegularFile(file)) {
      throw new UserException("--video " + file + " does not exist");
    }
    return new Video(file);
  }

  /** An image file and its id. */
  record Entry(long id, Path file) {}

  /** Image files decoded one by one. */
  record Files(List<Entry> entries) implements ImageSource {
    @Override
    public void forEach(FrameLimits limits, Sink sink) throws IOException {
      for (Entry e : entries) {
        String name = e.file().getFileName().toString();
        byte[] bytes;
        try {
          bytes = java.nio.file.Files.readAllBytes(e.file());
        } catch (IOException ex) {
          sink.accept(e.id(), name, null, "cannot read " + e.file() + ": " + ex.getMessage());
          continue;
        }
        try {
          sink.accept(e.id(), name, ImageDecoder.decode(bytes, limits), null);
        } catch (io.maskstream.detector.SegmentationException ex) {
          sink.accept(e.id(), name, null, ex.getMessage());
        }
      }
    }
  }

  /** Frames of a video, grabbed with FFmpeg; each is copied before the next grab. */
  record Video(Path file) implements ImageSource {
    @Override
    public void forEach(FrameLimits limits, Sink sink) throws IOException {
      try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(file.toFile());
          OpenCVFrameConverter.ToMat converter = new OpenCVFrameConverter.ToMat()) {
        grabber.start();
        long index = 0;
        Frame frame;
        while ((frame = grabber.grabImage()) != null) {
          Mat mat = converter.convert(frame);
          sink.accept(index, "frame " + index, ImageDecoder.fromMat(mat, limits), null);
          index++;
        }
        grabber.stop();
      } catch (FrameGrabber.Exception e) {
        throw new UserException("cannot read --video " + file + ": " + e.getMessage(), e);
      }
    }
  }
}
