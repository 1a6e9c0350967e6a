package io.maskstream.detector;

import io.maskstream.detector.store.ServingReporter;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.GateResult;
import io.maskstream.schemas.avro.ModelAnnouncement;
import io.maskstream.schemas.avro.ModelServing;
import io.maskstream.schemas.cli.KafkaOptions;
import io.maskstream.schemas.cli.TextTable;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.schemas.models.ModelFile;
import io.maskstream.schemas.models.ModelRegistry;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code maskstream models}: every published model with its versions (oldest first, the one
 * announced now marked {@code *}), their figures, and what each running detector serves, from the
 * models topic, its versions topic and its serving topic.
 */
@Command(
    name = "models",
    mixinStandardHelpOptions = true,
    description =
        "Lists published models: their versions and figures, the version announced, and which"
            + " detectors serve which version.")
public final class ModelsCommand implements Callable<Integer> {
  /** A detector that has not reported for this long has stopped without saying so. */
  static final Duration SILENT_AFTER = ServingReporter.INTERVAL.multipliedBy(3);

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

  @Spec CommandSpec spec;

  @Option(names = "--model", paramLabel = "NAME", description = "Only this model.")
  String name;

  @Option(
      names = "--all",
      description =
          "Also list detectors that stopped reporting (killed without stopping cleanly) for over"
              + " 90 s.")
  boolean all;

  @Mixin KafkaOptions kafka;

  @Override
  public Integer call() {
    TopicNames topics = CommandSupport.topics(kafka.clientProperties());
    ModelRegistry registry = new ModelRegistry(kafka.clientProperties(), topics.models());
    Map<String, ModelAnnouncement> announced = registry.announced();
    Map<String, List<ModelAnnouncement>> versions = registry.versions();
    Map<String, ModelServing> serving = registry.serving();
    TreeSet<String> names = new TreeSet<>(announced.keySet());
    names.addAll(versions.keySet());
    serving.values().forEach(s -> names.add(s.getModel()));
    PrintWriter out = spec.commandLine().getOut();
    if (name != null) {
      if (!names.contains(name)) {
        throw new UserException(
            "no model "
                + name
                + " is published or served"
                + (names.isEmpty() ? "" : " (known: " + String.join(", ", names) + ")"));
      }
      names.retainAll(List.of(name));
    }
    if (names.isEmpty()) {
      out.println(
          "no model is published on " + topics.models() + " yet: maskstream publish --model FILE");
      out.flush();
      return 0;
    }
    Instant now = Instant.now();
    boolean first = true;
    for (String model : names) {
      if (!first) {
        out.println();
      }
      first = false;
      lines(model, announced.get(model), versions.getOrDefault(model, List.of()), serving, now)
          .forEach(out::println);
    }
    out.flush();
    return 0;
  }

  /** The lines of one model: a title, its versions, its detectors. */
  List<String> lines(
      String model,
      ModelAnnouncement current,
      List<ModelAnnouncement> published,
      Map<String, ModelServing> serving,
      Instant now) {
    List<String> lines = new ArrayList<>();
    List<ModelAnnouncement> versions = new ArrayList<>(published);
    if (current != null
        && versions.stream().noneMatch(v -> v.getVersion().equals(current.getVersion()))) {
      versions.add(current); // announced before versions were recorded
    }
    if (current == null) {
      lines.add(model + ": no version announced");
    } else {
      String from = current.getProvenance().get(RollbackCommand.ROLLBACK_FROM);
      lines.add(
          model
              + ": "
              + current.getVersion()
              + " announced "
              + TIME.format(current.getPublishedTime())
              + (from == null ? "" : ", a rollback from " + from));
    }
    if (!versions.isEmpty()) {
      TextTable table =
          new TextTable(
              List.of(
                  "  VERSION",
                  "PUBLISHED",
                  "SIZE",
                  "SIGNED BY",
                  "WEIGHTS",
                  "BOX AP",
                  "MASK AP",
                  "MEASURED ON"),
              2,
              5,
              6);
      for (ModelAnnouncement v : versions) {
        boolean announcedNow = current != null && v.getVersion().equals(current.getVersion());
        String[] figures = figures(v);
        table.add(
            (announcedNow ? "* " : "  ") + v.getVersion(),
            TIME.format(v.getPublishedTime()),
            size(v.getSizeBytes()),
            v.getSigningKey() == null ? "-" : v.getSigningKey(),
            v.getWeightsLocation() == null ? "-" : "yes",
            figures[0],
            figures[1],
            figures[2]);
      }
      lines.addAll(table.lines("  "));
    }
    List<ModelServing> detectors =
        serving.values().stream().filter(s -> s.getModel().equals(model)).toList();
    int silent = 0;
    TextTable table =
        new TextTable(List.of("DETECTOR", "APPLICATION", "SERVES", "SINCE", "LAST REPORT"));
    List<String> refusals = new ArrayList<>();
    for (ModelServing s : detectors) {
      Duration age = Duration.between(s.getReportedTime(), now);
      boolean quiet = age.compareTo(SILENT_AFTER) > 0;
      if (quiet) {
        silent++;
        if (!all) {
          continue;
        }
      }
      table.add(
          s.getDetector(),
          s.getApplicationId(),
          s.getVersion(),
          TIME.format(s.getSince()),
          ago(age) + (quiet ? " (silent: stopped without saying so?)" : ""));
      if (s.getRefusedVersion() != null) {
        refusals.add(
            "  " + s.getDetector() + " refused " + s.getRefusedVersion() + ": " + s.getRefusal());
      }
    }
    int listed = all ? detectors.size() : detectors.size() - silent;
    if (listed == 0) {
      lines.add("  no detector reports serving " + model);
    } else {
      lines.addAll(table.lines("  "));
      lines.addAll(refusals);
    }
    if (silent > 0 && !all) {
      lines.add(
          "  "
              + silent
              + " detector(s) silent for over "
              + SILENT_AFTER.toSeconds()
              + " s are not listed (--all lists them)");
    }
    return lines;
  }

  /**
   * Box AP, mask AP and where they were measured: the gate's dataset when it was published through
   * the gate, else the trainer's validation when the announcement carries it, else dashes.
   */
  static String[] figures(ModelAnnouncement v) {
    GateResult gate = v.getGate();
    if (gate != null) {
      return new String[] {
        ap(gate.getCandidate().getBoxAp()),
        ap(gate.getCandidate().getMaskAp()),
        "gate "
            + gate.getData()
            + " ("
            + gate.getImages()
            + " images"
            + (gate.getServingVersion() == null ? "" : ", against " + gate.getServingVersion())
            + (gate.getForced() ? ", refused, published with --force" : "")
            + ")"
      };
    }
    Double box = v.getMetrics().get(PublishCommand.METRIC_BOX_AP);
    Double mask = v.getMetrics().get(PublishCommand.METRIC_MASK_AP);
    if (box == null && mask == null) {
      return new String[] {"-", "-", "-"};
    }
    String data = v.getProvenance().get(ModelFile.VALIDATION_KEY);
    return new String[] {
      ap(box), ap(mask), "training validation" + (data == null ? "" : " " + data)
    };
  }

  static String ap(Double value) {
    return value == null ? "-" : String.format(Locale.ROOT, "%.3f", value);
  }

  static String size(long bytes) {
    if (bytes < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
    }
    return String.format(Locale.ROOT, "%.1f MB", bytes / (1024.0 * 1024));
  }

  static String ago(Duration d) {
    long s = Math.max(0, d.toSeconds());
    if (s < 120) {
      return s + " s ago";
    }
    if (s < 7200) {
      return s / 60 + " min ago";
    }
    return s / 3600 + " h ago";
  }
}
