package io.maskstream.detector.offline;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.maskstream.detector.Instance;
import io.maskstream.detector.Segmentation;
import io.maskstream.detector.model.ClassNames;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Streams COCO results JSON: a list of {@code {"image_id", "category_id", "bbox":[x,y,w,h],
 * "score", "segmentation":{"size":[h,w],"counts":"..."}}}, masks as compressed RLE. Owns the output
 * file until {@link #close()}; not thread-safe.
 */
public final class CocoResultsWriter implements AutoCloseable {
  private final JsonGenerator json;
  private final ClassNames classes;
  private long written;

  /**
   * Opens {@code out} for writing (replacing it).
   *
   * @param classes maps the model's class ids to COCO category ids
   * @throws IOException when the file cannot be created
   */
  public CocoResultsWriter(Path out, ClassNames classes) throws IOException {
    this.classes = classes;
    this.json = new JsonFactory().createGenerator(out.toFile(), JsonEncoding.UTF8);
    json.writeStartArray();
  }

  /** Writes every instance of one image. */
  public void write(long imageId, Segmentation segmentation) throws IOException {
    for (Instance d : segmentation.instances()) {
      json.writeStartObject();
      json.writeNumberField("image_id", imageId);
      json.writeNumberField("category_id", classes.categoryId(d.classId()));
      json.writeArrayFieldStart("bbox");
      json.writeNumber(d.x1());
      json.writeNumber(d.y1());
      json.writeNumber(d.x2() - d.x1());
      json.writeNumber(d.y2() - d.y1());
      json.writeEndArray();
      json.writeNumberField("score", d.score());
      if (d.mask() != null) {
        json.writeObjectFieldStart("segmentation");
        json.writeArrayFieldStart("size");
        json.writeNumber(d.mask().height());
        json.writeNumber(d.mask().width());
        json.writeEndArray();
        json.writeStringField("counts", d.mask().toCompressedString());
        json.writeEndObject();
      }
      if (d.keypoints() != null) {
        // COCO's x, y, v; v = 1 as torchvision's evaluation writes it (OKS reads no v of results)
        json.writeArrayFieldStart("keypoints");
        for (int j = 0; j + 2 < d.keypoints().length; j += 3) {
          json.writeNumber(d.keypoints()[j]);
          json.writeNumber(d.keypoints()[j + 1]);
          json.writeNumber(1);
        }
        json.writeEndArray();
      }
      json.writeEndObject();
      written++;
    }
  }

  /** Results written so far. */
  public long written() {
    return written;
  }

  /** Ends the list and closes the file. */
  @Override
  public void close() throws IOException {
    json.writeEndArray();
    json.close();
  }
}
