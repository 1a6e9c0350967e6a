package io.maskstream.sinks.capture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maskstream.schemas.avro.Box;
import io.maskstream.schemas.avro.Detection;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.avro.ImageEncoding;
import io.maskstream.schemas.avro.InstanceMask;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.schemas.rle.CocoRle;
import io.maskstream.sinks.Sink;
import io.maskstream.sinks.SinkConfig;
import io.maskstream.sinks.join.EventJoiner;
import io.maskstream.sinks.join.JoinedFrame;
import io.maskstream.sinks.kafka.EventDecoder;
import io.maskstream.sinks.kafka.EventDecoder.UnusableRecordException;
import io.maskstream.sinks.kafka.SinkClients;
import io.maskstream.sinks.kafka.StopSignal;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code maskstream capture}: reads the frames topic and the detector's detections and masks
 * (read_committed, outside any consumer group, so it commits nothing and disturbs no sink), joins
 * each frame with its events, lets a {@link FrameSelector} pick the frames worth labelling, drops
 * those over the rate ({@link RateLimit}) and near-duplicates ({@link DifferenceHash}), and writes
 * the rest into a {@link CaptureDataset} with the serving model's predictions as pre-annotations.
 *
 * <p>Stops by itself at {@code --max-frames}, before {@code --max-size} would be exceeded, after
 * {@code --duration}, or on {@link #stop()}; {@code annotations.json} is complete and valid at
 * every moment. Prints one line per kept frame and a summary to {@code out}.
 *
 * <p>Owns its consumer from {@link #run()} until it returns.
 */
public final class FrameCapture implements Sink {
  private static final Logger LOG = LoggerFactory.getLogger(FrameCapture.class);
  private static final long SAVE_INTERVAL_MS = 1000;
  private static final int BUFFERED = 2000;

  /**
   * Image bytes of frames waiting for their events, at most: in realtime mode the detector skips
   * frames, whose events never come, and the oldest waiting frames go first.
   */
  private static final long BUFFERED_FRAME_BYTES = 128L << 20;

  private final CaptureSettings settings;
  private final SinkConfig config;
  private final PrintWriter out;
  private final Function<CocoRle, List<double[]>> polygons;
  private final StopSignal stop = new StopSignal();
  private final FrameSelector<Pair> selector;
  private final RateLimit rate;
  private final EventJoiner<Long> joiner;
  private final LinkedHashMap<String, Frame> frames = new LinkedHashMap<>();
  private final LinkedHashMap<String, JoinedFrame<Long>> events = new LinkedHashMap<>();
  private final Map<Reason, Integer> reasonCounts = new EnumMap<>(Reason.class);
  private final Set<String> camerasSeen = new HashSet<>();
  private long bufferedFrameBytes;
  private CaptureDataset dataset;
  private String stoppedBecause;
  private boolean boundReached;
  private final CaptureBudget budget;
  private int duplicates;
  private int overRate;
  private int notUseful;
  private int alreadyThere;
  private int withoutPolygon;
  private int undecodable;

  /** A frame with its joined events. */
  private record Pair(Frame frame, JoinedFrame<Long> events) {}

  /**
   * A capture as {@code settings} says, reading with {@code config}'s Kafka settings and topics.
   *
   * @param polygons turns a mask into polygons (for {@code --polygons}); null when unavailable
   */
  public FrameCapture(
      CaptureSettings settings,
      SinkConfig config,
      PrintWriter out,
      Function<CocoRle, List<double[]>> polygons) {
    if (settings.polygons() && polygons == null) {
      throw new UserException("--polygons is not available in this build");
    }
    this.settings = settings;
    this.config = config;
    this.out = out;
    this.polygons = polygons;
    this.selector =
        new FrameSelector<>(settings.unsureLow(), settings.unsureHigh(), settings.flicker());
    this.rate = new RateLimit(settings.every());
    this.budget = new CaptureBudget(settings.maxFrames(), settings.maxBytes());
    this.joiner = new EventJoiner<>(config.joinTimeout(), 50_000);
  }

  @Override
  public void run() throws IOException {
    dataset = CaptureDataset.open(settings.out());
    EventDecoder decoder = new EventDecoder(config.kafka(), config.topics(), true);
    try (KafkaConsumer<byte[], byte[]> consumer =
        SinkClients.reader(config, "maskstream-capture")) {
      stop.attach(consumer);
      if (!start(consumer)) {
        stoppedBecause = "stopped";
      } else {
        loop(consumer, decoder);
      }
    } finally {
      stop.detach();
    }
    if (!boundReached) {
      for (Selection<Pair> s : selector.flush()) {
        consider(s);
        if (boundReached) {
          break;
        }
      }
    }
    if (dataset.dirty()) {
      dataset.save();
    }
    summary();
  }

  /** Assigns and positions the consumer; false when stopped meanwhile. */
  private boolean start(KafkaConsumer<byte[], byte[]> consumer) {
    try {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic :
          List.of(
              config.topics().frames(), config.topics().detections(), config.topics().masks())) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
        if (infos == null || infos.isEmpty()) {
          throw new UserException(
              "topic "
                  + topic
                  + " does not exist: start the ingest and the detector first, or name the"
                  + " topics with maskstream.topic.* in --kafka-config");
        }
        infos.forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
      }
      consumer.assign(partitions);
      seek(consumer, partitions);
    } catch (WakeupException e) {
      return false;
    }
    out.printf(
        Locale.ROOT,
        "capturing cameras %s into %s (%d images there), %s%n",
        String.join(", ", new TreeSet<>(settings.cameras())),
        settings.out(),
        dataset.imageCount(),
        startText());
    out.flush();
    return true;
  }

  private String startText() {
    return switch (settings.start().kind()) {
      case NOW -> "from now";
      case BEGINNING -> "from the beginning of the topics";
      case SINCE -> "from " + settings.start().since();
    };
  }

  private void seek(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions) {
    switch (settings.start().kind()) {
      case NOW -> consumer.seekToEnd(partitions);
      case BEGINNING -> consumer.seekToBeginning(partitions);
      case SINCE -> {
        Map<TopicPartition, Long> query = new HashMap<>();
        long t = settings.start().since().toEpochMilli();
        partitions.forEach(p -> query.put(p, t));
        Map<TopicPartition, OffsetAndTimestamp> found =
            consumer.offsetsForTimes(query, Duration.ofSeconds(30));
        List<TopicPartition> toEnd = new ArrayList<>();
        for (TopicPartition p : partitions) {
          OffsetAndTimestamp at = found.get(p);
          if (at == null) {
            toEnd.add(p); // nothing that recent yet: from now on
          } else {
            consumer.seek(p, at.offset());
          }
        }
        if (!toEnd.isEmpty()) {
          consumer.seekToEnd(toEnd);
        }
      }
    }
    partitions.forEach(consumer::position); // resolve now: "from now" means now
  }

  private void loop(KafkaConsumer<byte[], byte[]> consumer, EventDecoder decoder)
      throws IOException {
    long started = System.currentTimeMillis();
    long deadline =
        settings.duration() == null ? Long.MAX_VALUE : started + settings.duration().toMillis();
    long lastSave = started;
    boolean warned = false;
    while (!boundReached) {
      if (stop.stopping()) {
        stoppedBecause = "stopped";
        return;
      }
      long now = System.currentTimeMillis();
      if (now >= deadline) {
        stoppedBecause = "--duration " + settings.duration().toSeconds() + "s passed";
        return;
      }
      try {
        for (ConsumerRecord<byte[], byte[]> record :
            consumer.poll(Duration.ofMillis(Math.min(200, Math.max(1, deadline - now))))) {
          handle(record, decoder, System.currentTimeMillis());
          if (boundReached) {
            return;
          }
        }
      } catch (WakeupException e) {
        stoppedBecause = "stopped";
        return;
      }
      now = System.currentTimeMillis();
      joiner.expire(now); // a half whose other half never came is of no use here
      if (!warned && now - started >= CaptureSettings.CAMERA_WAIT.toMillis()) {
        warned = true;
        Set<String> silent = new TreeSet<>(settings.cameras());
        silent.removeAll(camerasSeen);
        if (!silent.isEmpty()) {
          out.printf(
              Locale.ROOT,
              "no frames of camera %s in %d s (seen: %s); still waiting%n",
              String.join(", ", silent),
              CaptureSettings.CAMERA_WAIT.toSeconds(),
              camerasSeen.isEmpty() ? "none" : String.join(", ", new TreeSet<>(camerasSeen)));
          out.flush();
        }
      }
      if (dataset.dirty() && now - lastSave >= SAVE_INTERVAL_MS) {
        dataset.save();
        lastSave = now;
      }
    }
  }

  private void handle(ConsumerRecord<byte[], byte[]> record, EventDecoder decoder, long now)
      throws IOException {
    SpecificRecord event;
    try {
      event = decoder.decode(record);
    } catch (UnusableRecordException e) {
      undecodable++;
      LOG.warn(
          "skipping record {}-{}@{}: {}",
          record.topic(),
          record.partition(),
          record.offset(),
          e.getMessage());
      return;
    }
    if (event instanceof Frame frame) {
      if (!settings.cameras().contains(frame.getCamera())) {
        return;
      }
      camerasSeen.add(frame.getCamera());
      String key = key(frame.getCamera(), frame.getSequence());
      JoinedFrame<Long> joined = events.remove(key);
      if (joined != null) {
        observe(new Pair(frame, joined));
      } else {
        bufferFrame(key, frame);
      }
      return;
    }
    JoinedFrame<Long> joined;
    if (event instanceof Detections d) {
      if (!settings.cameras().contains(d.getFrame().getCamera())) {
        return;
      }
      joined = joiner.offer(d, record.offset(), now);
    } else if (event instanceof Masks m) {
      if (!settings.cameras().contains(m.getFrame().getCamera())) {
        return;
      }
      joined = joiner.offer(m, record.offset(), now);
    } else {
      return;
    }
    if (joined == null) {
      return;
    }
    String key = key(joined.key().camera(), joined.key().sequence());
    Frame frame = frames.remove(key);
    if (frame != null) {
      bufferedFrameBytes -= frame.getImage().remaining();
      observe(new Pair(frame, joined));
    } else {
      put(events, key, joined);
    }
  }

  private void bufferFrame(String key, Frame frame) {
    Frame replaced = frames.put(key, frame);
    if (replaced != null) {
      bufferedFrameBytes -= replaced.getImage().remaining();
    }
    bufferedFrameBytes += frame.getImage().remaining();
    while (frames.size() > BUFFERED || bufferedFrameBytes > BUFFERED_FRAME_BYTES) {
      String oldest = frames.keySet().iterator().next();
      bufferedFrameBytes -= frames.remove(oldest).getImage().remaining();
    }
  }

  private static <V> void put(LinkedHashMap<String, V> map, String key, V value) {
    map.put(key, value);
    while (map.size() > BUFFERED) {
      map.remove(map.keySet().iterator().next());
    }
  }

  private static String key(String camera, long sequence) {
    return camera + "\u0000" + sequence;
  }

  private void observe(Pair pair) throws IOException {
    Frame f = pair.frame();
    Selection<Pair> verdict =
        selector.offer(
            new Observation<>(
                f.getCamera(),
                f.getSequence(),
                f.getCaptureTime().toEpochMilli(),
                pair.events().detections().getDetections(),
                pair));
    if (verdict != null) {
      consider(verdict);
    }
  }

  private void consider(Selection<Pair> verdict) throws IOException {
    Observation<Pair> o = verdict.observation();
    List<Reason> reasons = verdict.orderedReasons();
    String why = verdict.why();
    if (!verdict.useful()) {
      if (!settings.all()) {
        notUseful++;
        return;
      }
      reasons = List.of(Reason.SAMPLE);
      why = "sample";
    }
    if (!rate.allows(o.camera(), o.captureMillis())) {
      overRate++;
      return;
    }
    Frame frame = o.payload().frame();
    String extension = frame.getEncoding() == ImageEncoding.PNG ? "png" : "jpg";
    if (dataset.contains(CaptureDataset.fileName(o.camera(), o.sequence(), extension))) {
      alreadyThere++;
      return;
    }
    byte[] image = bytes(frame.getImage());
    long hash;
    try {
      hash = DifferenceHash.of(image);
    } catch (IOException e) {
      undecodable++;
      LOG.warn("{} #{}: unreadable image ({}), skipped", o.camera(), o.sequence(), e.getMessage());
      return;
    }
    if (settings.dedupDistance() >= 0) {
      for (long other : dataset.hashes(o.camera())) {
        if (DifferenceHash.distance(hash, other) <= settings.dedupDistance()) {
          duplicates++;
          return;
        }
      }
    }
    if (!budget.admits(image.length)) {
      stoppedBecause = budget.exhausted();
      boundReached = true;
      return;
    }
    JoinedFrame<Long> events = o.payload().events();
    List<CaptureDataset.Prediction> predictions = predictions(events, frame);
    long id =
        dataset.add(
            new CaptureDataset.Entry(
                o.camera(),
                o.sequence(),
                Instant.ofEpochMilli(o.captureMillis()),
                frame.getWidth(),
                frame.getHeight(),
                extension,
                image,
                events.model().getName() + "@" + events.model().getVersion(),
                reasons,
                hash,
                predictions));
    rate.kept(o.camera(), o.captureMillis());
    budget.spend(image.length);
    reasons.forEach(r -> reasonCounts.merge(r, 1, Integer::sum));
    out.printf(
        Locale.ROOT,
        "kept %s #%d as image %d (%s): %s%n",
        o.camera(),
        o.sequence(),
        id,
        predictions.size() == 1 ? "1 annotation" : predictions.size() + " annotations",
        why);
    out.flush();
    if (budget.exhausted() != null) {
      stoppedBecause = budget.exhausted();
      boundReached = true;
    }
  }

  private List<CaptureDataset.Prediction> predictions(JoinedFrame<Long> events, Frame frame) {
    Map<Integer, InstanceMask> masks = new HashMap<>();
    for (InstanceMask m : events.masks().getMasks()) {
      masks.put(m.getDetectionIndex(), m);
    }
    List<Detection> detections = events.detections().getDetections();
    List<CaptureDataset.Prediction> out = new ArrayList<>();
    for (int i = 0; i < detections.size(); i++) {
      Detection d = detections.get(i);
      InstanceMask mask = masks.get(i);
      if (mask == null) {
        continue; // Mask R-CNN trains on masks: a detection without one is no pre-annotation
      }
      CocoRle rle =
          CocoRle.fromString(
              mask.getRle().getHeight(), mask.getRle().getWidth(), mask.getRle().getCounts());
      if (rle.height() != frame.getHeight() || rle.width() != frame.getWidth()) {
        continue;
      }
      JsonNode segmentation;
      if (settings.polygons()) {
        List<double[]> rings = polygons.apply(rle);
        if (rings.isEmpty()) {
          withoutPolygon++;
          continue;
        }
        ArrayNode list = JsonNodeFactory.instance.arrayNode();
        for (double[] ring : rings) {
          ArrayNode r = list.addArray();
          for (double v : ring) {
            r.add(v);
          }
        }
        segmentation = list;
      } else {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.putArray("size").add(rle.height()).add(rle.width());
        node.put("counts", rle.toCompressedString());
        segmentation = node;
      }
      Box b = d.getBox();
      out.add(
          new CaptureDataset.Prediction(
              d.getClassId(),
              d.getLabel(),
              d.getScore(),
              new double[] {b.getX1(), b.getY1(), b.getX2() - b.getX1(), b.getY2() - b.getY1()},
              rle.area(),
              segmentation));
    }
    return out;
  }

  private static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer b = buffer.duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  private void summary() {
    String reasons =
        String.join(
            ", ",
            java.util.Arrays.stream(Reason.values())
                .map(r -> r.label() + " " + reasonCounts.getOrDefault(r, 0))
                .toList());
    out.printf(
        Locale.ROOT,
        "capture finished (%s): %d frames kept, %s of images written; %s now has %d images"
            + " (%d before), %d annotations%n",
        stoppedBecause == null ? "stopped" : stoppedBecause,
        budget.frames(),
        size(budget.bytes()),
        settings.out(),
        dataset.imageCount(),
        dataset.imagesAtStart(),
        dataset.annotationCount());
    out.printf(Locale.ROOT, "  kept for: %s%n", reasons);
    out.printf(
        Locale.ROOT,
        "  skipped: %d near-duplicates, %d over --every, %d with no reason, %d already in the"
            + " dataset%s%s%n",
        duplicates,
        overRate,
        notUseful,
        alreadyThere,
        undecodable > 0 ? ", " + undecodable + " unreadable records" : "",
        withoutPolygon > 0 ? ", " + withoutPolygon + " masks too small for a polygon" : "");
    out.flush();
  }

  private static String size(long bytes) {
    return bytes >= 1_000_000
        ? String.format(Locale.ROOT, "%.1f MB", bytes / 1e6)
        : String.format(Locale.ROOT, "%.1f KB", bytes / 1e3);
  }

  /** Frames kept so far. */
  public int kept() {
    return budget.frames();
  }

  @Override
  public void stop() {
    stop.stop();
  }
}
