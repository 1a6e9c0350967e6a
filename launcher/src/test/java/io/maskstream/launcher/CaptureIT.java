package io.maskstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.schemas.avro.Box;
import io.maskstream.schemas.avro.Detection;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.avro.FrameRef;
import io.maskstream.schemas.avro.ImageEncoding;
import io.maskstream.schemas.avro.InstanceMask;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.avro.ModelRef;
import io.maskstream.schemas.avro.Rle;
import io.maskstream.schemas.avro.Timings;
import io.maskstream.sinks.EventSamples;
import io.maskstream.trainer.data.CocoDataset;
import io.maskstream.trainer.shapes.ShapesConfig;
import io.maskstream.trainer.shapes.ShapesGenerator;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code maskstream capture} against a real broker: generated shapes frames of two cameras with
 * synthetic detections and masks (unsure scores, a detection that appears, one that disappears for
 * a frame, a near-duplicate frame, a frame over the rate), read from the beginning. Asserts exactly
 * which frames are kept and why, that the bounds stop it, that a second run continues the dataset,
 * and that the dataset loads as the trainer loads it and evaluates against itself at AP 1.
 */
class CaptureIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ShapesGenerator SHAPES = new ShapesGenerator(ShapesConfig.defaults());

  private static final Box B1 = new Box(10f, 10f, 40f, 40f);
  private static final Box B2 = new Box(60f, 10f, 90f, 40f);
  private static final Box B3 = new Box(10f, 60f, 40f, 90f);

  @BeforeAll
  static void frames() throws Exception {
    EventSamples.createTopics(kafka, 1);
    try (EventSamples events = new EventSamples(kafka.bootstrapServers())) {
      // gate: 1 steady; 2 a circle appears, unsure; 3 steady; 4 unsure; 5 a re-encoded copy of
      // 4; 6 unsure; 7 unsure but 1 s after 6; 8 steady (the last: judged without a next frame)
      BufferedImage g4 = SHAPES.image(11, 4).image();
      send(events, "gate", 1, 1000, jpeg(SHAPES.image(11, 1).image(), 0.75f), d(1, B1, 0.95f));
      send(
          events,
          "gate",
          2,
          2000,
          jpeg(SHAPES.image(11, 2).image(), 0.75f),
          d(1, B1, 0.95f),
          d(2, B2, 0.45f));
      send(
          events,
          "gate",
          3,
          3000,
          jpeg(SHAPES.image(11, 3).image(), 0.75f),
          d(1, B1, 0.95f),
          d(2, B2, 0.9f));
      send(events, "gate", 4, 4000, jpeg(g4, 0.75f), d(1, B1, 0.95f), d(2, B2, 0.5f));
      send(events, "gate", 5, 6000, jpeg(g4, 0.95f), d(1, B1, 0.95f), d(2, B2, 0.5f));
      send(
          events,
          "gate",
          6,
          7000,
          jpeg(SHAPES.image(11, 6).image(), 0.75f),
          d(1, B1, 0.95f),
          d(2, B2, 0.5f));
      send(
          events,
          "gate",
          7,
          8000,
          jpeg(SHAPES.image(11, 7).image(), 0.75f),
          d(1, B1, 0.95f),
          d(2, B2, 0.5f));
      send(
          events,
          "gate",
          8,
          9000,
          jpeg(SHAPES.image(11, 8).image(), 0.75f),
          d(1, B1, 0.95f),
          d(2, B2, 0.95f));
      // yard: the triangle of 1 is gone in 2 and back in 3; 4 steady
      send(events, "yard", 1, 1000, jpeg(SHAPES.image(12, 1).image(), 0.75f), d(3, B3, 0.9f));
      send(events, "yard", 2, 2000, jpeg(SHAPES.image(12, 2).image(), 0.75f));
      send(events, "yard", 3, 3000, jpeg(SHAPES.image(12, 3).image(), 0.75f), d(3, B3, 0.9f));
      send(events, "yard", 4, 4000, jpeg(SHAPES.image(12, 4).image(), 0.75f), d(3, B3, 0.9f));
      // another camera's frames are not considered
      send(events, "other", 1, 1000, jpeg(SHAPES.image(13, 1).image(), 0.75f), d(2, B2, 0.4f));
      events.flush();
    }
  }

  @Test
  void keepsTheUsefulFramesOnceWithTheirReasonsAndTheDatasetTrainsAndEvaluates(@TempDir Path dir)
      throws Exception {
    Path out = dir.resolve("captured");
    CommandRun run =
        run(
            "capture",
            "--camera",
            "gate",
            "--camera",
            "yard",
            "--camera",
            "nowhere",
            "--out",
            out.toString(),
            "--from-beginning",
            "--every",
            "2s",
            "--duration",
            "11s");
    System.out.println(run.out());
    assertThat(run.exitCode()).as(run.err()).isZero();
    List<String> kept = run.out().lines().filter(l -> l.startsWith("kept ")).sorted().toList();
    assertThat(kept)
        .map(l -> l.replaceAll(" as image \\d+ ", " "))
        .containsExactly(
            "kept gate #2 (2 annotations): unsure (circle 0.45); flicker (not in the previous"
                + " frame: circle)",
            "kept gate #4 (2 annotations): unsure (circle 0.50)",
            "kept gate #6 (2 annotations): unsure (circle 0.50)",
            "kept yard #1 (1 annotation): flicker (not in the next frame: triangle)",
            "kept yard #3 (1 annotation): flicker (not in the previous frame: triangle)");
    assertThat(run.out())
        .contains("no frames of camera nowhere in 10 s (seen: gate, yard); still waiting")
        .contains("capture finished (--duration 11s passed): 5 frames kept")
        .contains("now has 5 images (0 before), 8 annotations")
        .contains("  kept for: unsure 3, flicker 3, sample 0")
        .contains(
            "  skipped: 1 near-duplicates, 1 over --every, 5 with no reason, 0 already in the"
                + " dataset");

    JsonNode root = JSON.readTree(out.resolve("annotations.json").toFile());
    assertThat(root.get("images"))
        .extracting(n -> n.get("file_name").asText())
        .containsExactlyInAnyOrder(
            "gate-2.jpg", "gate-4.jpg", "gate-6.jpg", "yard-1.jpg", "yard-3.jpg");
    assertThat(root.get("categories"))
        .extracting(n -> n.get("id").asInt() + " " + n.get("name").asText())
        .containsExactlyInAnyOrder("1 square", "2 circle", "3 triangle");
    // the frames' bytes as they were on the topic
    assertThat(Files.readAllBytes(out.resolve("images/gate-4.jpg")))
        .isEqualTo(jpeg(SHAPES.image(11, 4).image(), 0.75f));

    // the trainer reads it, and the pre-annotations evaluate against themselves at AP 1
    CocoDataset dataset = CocoDataset.load(out, false);
    assertThat(dataset.samples()).hasSize(5);
    assertThat(dataset.skippedAnnotations()).isZero();
    Path results = dir.resolve("results.json");
    JSON.writeValue(results.toFile(), root.get("annotations"));
    CommandRun eval = run("eval", "--data", out.toString(), "--results", results.toString());
    assertThat(eval.exitCode()).as(eval.err()).isZero();
    assertThat(eval.out().lines().filter(l -> l.contains("IoU=0.50:0.95 | area=   all")))
        .filteredOn(l -> l.contains("Average Precision"))
        .hasSize(2)
        .allSatisfy(l -> assertThat(l).endsWith("= 1.000"));

    // a second run into the same folder continues it: nothing is there twice
    CommandRun again =
        run(
            "capture",
            "--camera",
            "gate",
            "--camera",
            "yard",
            "--out",
            out.toString(),
            "--from-beginning",
            "--all",
            "--every",
            "0s",
            "--duration",
            "4s");
    assertThat(again.exitCode()).as(again.err()).isZero();
    System.out.println(again.out());
    JsonNode after = JSON.readTree(out.resolve("annotations.json").toFile());
    List<String> names = new ArrayList<>();
    after.get("images").forEach(n -> names.add(n.get("file_name").asText()));
    assertThat(names).doesNotHaveDuplicates();
    assertThat(names.subList(0, 5))
        .containsExactlyInAnyOrder(
            "gate-2.jpg", "gate-4.jpg", "gate-6.jpg", "yard-1.jpg", "yard-3.jpg");
    // every frame not there yet is kept (--all, no rate) except gate 5, 4's near-duplicate
    assertThat(names.subList(5, names.size()))
        .containsExactlyInAnyOrder(
            "gate-1.jpg", "gate-3.jpg", "gate-7.jpg", "gate-8.jpg", "yard-2.jpg", "yard-4.jpg");
    List<Long> ids = new ArrayList<>();
    after.get("images").forEach(n -> ids.add(n.get("id").asLong()));
    assertThat(ids).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L);
    assertThat(again.out())
        .contains("now has 11 images (5 before)")
        .contains("5 already in the dataset")
        .contains("1 near-duplicates");
    assertThat(CocoDataset.load(out, false).samples()).hasSize(11);
  }

  @Test
  void stopsAtTheFrameCountAndBeforeTheSize(@TempDir Path dir) throws Exception {
    CommandRun count =
        run(
            "capture",
            "--camera",
            "gate",
            "--camera",
            "yard",
            "--out",
            dir.resolve("two").toString(),
            "--from-beginning",
            "--all",
            "--every",
            "0s",
            "--max-frames",
            "2",
            "--polygons",
            "--duration",
            "20s");
    assertThat(count.exitCode()).as(count.err()).isZero();
    assertThat(count.out()).contains("capture finished (--max-frames 2 reached): 2 frames kept");
    assertThat(count.out().lines().filter(l -> l.startsWith("kept "))).hasSize(2);
    assertThat(files(dir.resolve("two/images"))).hasSize(2);
    JsonNode two = JSON.readTree(dir.resolve("two/annotations.json").toFile());
    assertThat(two.get("images")).hasSize(2);
    // --polygons: the rectangle masks as their four corners, and the trainer reads them
    assertThat(two.get("annotations"))
        .allSatisfy(a -> assertThat(a.get("segmentation").get(0)).hasSize(8));
    assertThat(CocoDataset.load(dir.resolve("two"), false).skippedAnnotations()).isZero();

    long bound = 3 * jpeg(SHAPES.image(11, 1).image(), 0.75f).length;
    CommandRun size =
        run(
            "capture",
            "--camera",
            "gate",
            "--out",
            dir.resolve("small").toString(),
            "--from-beginning",
            "--all",
            "--every",
            "0s",
            "--max-size",
            bound + "B",
            "--duration",
            "20s");
    assertThat(size.exitCode()).as(size.err()).isZero();
    assertThat(size.out()).contains("capture finished (--max-size reached)");
    List<Path> written = files(dir.resolve("small/images"));
    long total = 0;
    for (Path p : written) {
      total += Files.size(p);
    }
    assertThat(written).hasSizeBetween(1, 6);
    assertThat(total).isLessThanOrEqualTo(bound);
    assertThat(JSON.readTree(dir.resolve("small/annotations.json").toFile()).get("images"))
        .hasSize(written.size());
  }

  @Test
  void badInputIsOneLine(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("annotations.json"), "[]");
    CommandRun notCoco =
        run("capture", "--camera", "gate", "--out", dir.toString(), "--duration", "5s");
    assertThat(notCoco.exitCode()).isEqualTo(2);
    assertThat(notCoco.err().lines())
        .singleElement()
        .asString()
        .isEqualTo(
            "maskstream capture: "
                + dir.resolve("annotations.json")
                + " is not a COCO instances file (no \"images\" list): give another --out folder"
                + " to capture into");

    Path props = dir.resolve("other-topics.properties");
    Files.writeString(props, "maskstream.topic.frames=no.such.frames\n");
    CommandRun missing =
        run(
            "capture",
            "--camera",
            "gate",
            "--out",
            dir.resolve("x").toString(),
            "--kafka-config",
            props.toString());
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err().lines())
        .singleElement()
        .asString()
        .isEqualTo(
            "maskstream capture: topic no.such.frames does not exist: start the ingest and the"
                + " detector first, or name the topics with maskstream.topic.* in --kafka-config");

    CommandRun band =
        run("capture", "--camera", "gate", "--out", dir.toString(), "--unsure", "0.7,0.2");
    assertThat(band.exitCode()).isEqualTo(2);
    assertThat(band.err().lines()).singleElement().asString().contains("--unsure '0.7,0.2'");
  }

  private static List<Path> files(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }

  private static Detection d(int classId, Box box, float score) {
    String label =
        switch (classId) {
          case 1 -> "square";
          case 2 -> "circle";
          default -> "triangle";
        };
    return new Detection(classId, label, score, box, null, null);
  }

  private static void send(
      EventSamples events, String camera, long seq, long millis, byte[] jpeg, Detection... dets)
      throws Exception {
    BufferedImage image = ImageIO.read(new java.io.ByteArrayInputStream(jpeg));
    int w = image.getWidth();
    int h = image.getHeight();
    Instant t = T0.plusMillis(millis);
    events.send(new Frame(camera, seq, t, w, h, ImageEncoding.JPEG, ByteBuffer.wrap(jpeg), null));
    FrameRef ref = new FrameRef(camera, seq, t, w, h);
    ModelRef model = new ModelRef("shapes", "0123456789ab");
    events.send(
        new Detections(
            ref, model, new Timings(1f, 1f, 1f, 1f, t), List.of(dets), List.of(), List.of()));
    List<InstanceMask> masks = new ArrayList<>();
    for (int i = 0; i < dets.length; i++) {
      Box b = dets[i].getBox();
      String counts =
          EventSamples.rectangle(
                  w, h, (int) b.getX1(), (int) b.getY1(), (int) b.getX2(), (int) b.getY2())
              .toCompressedString();
      masks.add(new InstanceMask(i, new Rle(h, w, counts)));
    }
    events.send(new Masks(ref, model, masks));
  }

  private static byte[] jpeg(BufferedImage image, float quality) throws Exception {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpg").next();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
      writer.setOutput(out);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(quality);
      writer.write(null, new IIOImage(image, null, null), param);
    } finally {
      writer.dispose();
    }
    return bytes.toByteArray();
  }

  private static CommandRun run(String... args) {
    return args[0].equals("capture")
        ? CommandRun.on(kafka.bootstrapServers(), args)
        : CommandRun.of(args);
  }
}
