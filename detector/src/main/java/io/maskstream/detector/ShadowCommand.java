package io.maskstream.detector;

import io.maskstream.detector.gate.ModelGate;
import io.maskstream.detector.model.Device;
import io.maskstream.detector.model.ModelLoadException;
import io.maskstream.detector.model.OnnxMaskRcnn;
import io.maskstream.detector.shadow.ShadowTotals;
import io.maskstream.detector.shadow.ShadowWatcher;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.ModelAnnouncement;
import io.maskstream.schemas.avro.ModelContract;
import io.maskstream.schemas.avro.ShadowCandidate;
import io.maskstream.schemas.avro.ShadowReport;
import io.maskstream.schemas.avro.ShadowState;
import io.maskstream.schemas.cli.KafkaOptions;
import io.maskstream.schemas.cli.TextTable;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.schemas.models.ModelRegistry;
import io.maskstream.schemas.models.ModelStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code maskstream shadow}: runs a candidate model beside the one serving on a sample of the live
 * frames of every detector serving it, without emitting the candidate's events, and reports how the
 * two agree; then promotes the candidate (published as the serving version, through {@code publish}
 * and its gate) or discards it. The candidate is set on the shadow topic ({@code MODELS.shadow});
 * detectors report on the shadow reports topic ({@link ShadowWatcher}).
 */
@Command(
    name = "shadow",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a candidate model beside the serving one on a sample of live frames, without emitting"
          + " its events, and reports how they agree; then promote or discard it.",
      "Without a subcommand: show."
    },
    subcommands = {
      ShadowCommand.Start.class,
      ShadowCommand.Show.class,
      ShadowCommand.Promote.class,
      ShadowCommand.Discard.class
    })
public final class ShadowCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ShadowCommand.class);

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

  @Option(names = "--model", paramLabel = "NAME", description = "Only this model.")
  String name;

  @Mixin KafkaOptions kafka;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    return show(name, kafka, spec.commandLine().getOut());
  }

  /** {@code maskstream shadow start}. */
  @Command(
      name = "start",
      mixinStandardHelpOptions = true,
      description =
          "Sets a candidate to run beside a model: detectors serving it start within seconds.")
  static final class Start implements Callable<Integer> {
    @Option(
        names = "--model",
        paramLabel = "NAME",
        required = true,
        description = "The model serving, as detectors follow it.")
    String name;

    @Option(
        names = "--candidate",
        paramLabel = "FILE.onnx|NAME@VERSION",
        required = true,
        description =
            "The candidate: a model file (put in the model store), or a published version.")
    String candidate;

    @Option(
        names = "--sample",
        paramLabel = "F",
        defaultValue = "0.2",
        description = "Fraction of the frames the candidate runs on (default: ${DEFAULT-VALUE}).")
    double sample;

    @Option(
        names = "--sign",
        paramLabel = "KEY",
        description =
            "Sign the candidate with this private key, for detectors started with --trust.")
    Path sign;

    @Mixin KafkaOptions kafka;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      if (!(sample > 0 && sample <= 1)) {
        throw new UserException("--sample must be more than 0 and at most 1, got " + sample);
      }
      Properties props = kafka.clientProperties();
      TopicNames topics = CommandSupport.topics(props);
      PublishCommand.ensureTopics(props, topics);
      ModelRegistry registry = new ModelRegistry(props, topics.models());
      ModelAnnouncement serving = announced(registry, name, "nothing to shadow");
      long detectors =
          registry.serving().values().stream().filter(s -> s.getModel().equals(name)).count();
      if (detectors == 0) {
        throw new UserException(
            "no running detector serves "
                + name
                + " ('maskstream models' lists what detectors serve): start one, then shadow");
      }
      ModelAnnouncement c =
          looksLikeFile(candidate) ? fromFile(registry, serving) : fromVersion(registry, serving);
      ShadowCandidate shadow =
          ShadowCandidate.newBuilder()
              .setModel(name)
              .setCandidate(c)
              .setSample(sample)
              .setStartedTime(Instant.now())
              .build();
      registry.shadow(shadow);
      log.info(
          "shadowing {}@{} beside {}@{} ({}{})",
          name,
          c.getVersion(),
          name,
          serving.getVersion(),
          c.getLocation(),
          c.getSigningKey() == null ? ", unsigned" : ", signed by key " + c.getSigningKey());
      PrintWriter out = spec.commandLine().getOut();
      out.println(
          name
              + "@"
              + c.getVersion()
              + " runs beside "
              + name
              + "@"
              + serving.getVersion()
              + " on "
              + percent(sample)
              + " of the frames of "
              + detectors
              + " detector(s): 'maskstream shadow show --model "
              + name
              + "' shows how they agree");
      out.flush();
      return 0;
    }

    /**
     * A candidate from a file: loaded as {@code publish} checks a model, checked against the
     * serving model, then stored.
     */
    private ModelAnnouncement fromFile(ModelRegistry registry, ModelAnnouncement serving)
        throws IOException {
      Path file = Path.of(candidate);
      byte[] bytes;
      try {
        bytes = Files.readAllBytes(file);
      } catch (NoSuchFileException e) {
        throw new UserException(
            "--candidate " + candidate + " does not exist: give a .onnx file or NAME@VERSION");
      } catch (IOException e) {
        throw new UserException("--candidate " + candidate + ": " + e.getMessage(), e);
      }
      DetectorConfig check = DetectorConfig.builder().model(file).device(Device.CPU).build();
      PublishCommand publish = new PublishCommand();
      publish.model = file;
      publish.sign = sign;
      ModelAnnouncement.Builder a = ModelAnnouncement.newBuilder();
      byte[] weights;
      try (OnnxMaskRcnn m = OnnxMaskRcnn.load(bytes, name, check)) {
        a.setName(name)
            .setVersion(m.identity().version())
            .setSha256(m.sha256())
            .setSizeBytes(m.sizeBytes())
            .setContract(m.contract().toAvro())
            .setClasses(m.classes().names())
            .setProvenance(Map.of("file", file.getFileName().toString()))
            .setMetrics(PublishCommand.validationMetrics(m.metadata()));
        weights = publish.trainingWeights(m.metadata());
      } catch (ModelLoadException e) {
        throw new UserException("--candidate " + candidate + " refused: " + e.getMessage(), e);
      }
      checkFits(a.getVersion(), a.getContract(), a.getClasses(), serving);
      if (sign != null) {
        publish.signInto(a);
      }
      ModelStore store = registry.store();
      a.setLocation(store.put(bytes)).setPublishedTime(Instant.now());
      if (weights != null) {
        a.setWeightsLocation(store.put(weights)).setWeightsSha256(ModelStore.sha256Hex(weights));
      }
      return a.build();
    }

    /** A candidate from the versions topic: a version published before, still in the store. */
    private ModelAnnouncement fromVersion(ModelRegistry registry, ModelAnnouncement serving) {
      int at = candidate.lastIndexOf('@');
      if (at <= 0 || at == candidate.length() - 1) {
        throw new UserException(
            "--candidate "
                + candidate
                + ": give a .onnx file or NAME@VERSION (a published version, e.g. "
                + name
                + "@3f2a9c01b7de)");
      }
      String model = candidate.substring(0, at);
      String version = candidate.substring(at + 1);
      ModelAnnouncement found =
          RollbackCommand.onlyVersion(
              model,
              version,
              registry.versions(model),
              ModelRegistry.versionsTopic(registry.modelsTopic()),
              matches ->
                  "--candidate " + candidate + " matches several versions: give more digits");
      checkFits(found.getVersion(), found.getContract(), found.getClasses(), serving);
      RollbackCommand.checkStored(model + "@" + found.getVersion(), found, registry.store());
      ModelAnnouncement.Builder a = ModelAnnouncement.newBuilder(found).setName(name);
      if (sign != null) {
        PublishCommand publish = new PublishCommand();
        publish.sign = sign;
        publish.signInto(a);
      } else if (!model.equals(name) && found.getSignature() != null) {
        // its signature is for its own name: detectors that trust keys would refuse it here
        a.setSignature(null).setSigningKey(null);
        log.warn(
            "{} was signed for the name {}, not {}: give --sign KEY for detectors that trust keys",
            candidate,
            model,
            name);
      }
      return a.build();
    }

    /** The candidate must take the serving model's input and know the same classes. */
    private void checkFits(
        String version, ModelContract contract, List<String> classes, ModelAnnouncement serving) {
      if (version.equals(serving.getVersion())) {
        throw new UserException(
            name + "@" + version + " is the version serving: nothing to compare it with");
      }
      boolean zooC = contract == ModelContract.ONNX_ZOO;
      boolean zooS = serving.getContract() == ModelContract.ONNX_ZOO;
      if (contract != ModelContract.UNKNOWN
          && serving.getContract() != ModelContract.UNKNOWN
          && zooC != zooS) {
        throw new UserException(
            "--candidate "
                + candidate
                + " follows the "
                + contract.name().toLowerCase(Locale.ROOT).replace('_', '-')
                + " contract, "
                + name
                + "@"
                + serving.getVersion()
                + " the "
                + serving.getContract().name().toLowerCase(Locale.ROOT).replace('_', '-')
                + " contract: their detections cannot be compared frame by frame");
      }
      if (!classes.isEmpty()
          && !serving.getClasses().isEmpty()
          && !classes.equals(serving.getClasses())) {
        throw new UserException(
            "--candidate "
                + candidate
                + " knows the classes "
                + classes
                + ", "
                + name
                + "@"
                + serving.getVersion()
                + " "
                + serving.getClasses()
                + ": a candidate must know the same classes (publish it under another name)");
      }
    }
  }

  /** {@code maskstream shadow show}. */
  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "How candidates agree with the models serving, all detectors summed.")
  static final class Show implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "NAME", description = "Only this model.")
    String name;

    @Mixin KafkaOptions kafka;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      return show(name, kafka, spec.commandLine().getOut());
    }
  }

  /** {@code maskstream shadow promote}. */
  @Command(
      name = "promote",
      mixinStandardHelpOptions = true,
      description =
          "Publishes the candidate as the serving version (as publish does, --gate included) and"
              + " ends its shadow.")
  public static final class Promote implements Callable<Integer> {
    @Option(
        names = "--model",
        paramLabel = "NAME",
        required = true,
        description = "The model whose candidate to promote.")
    String name;

    @Option(
        names = "--sign",
        paramLabel = "KEY",
        description = "Sign the announcement (default: keep the candidate's signature).")
    Path sign;

    @Option(
        names = "--gate",
        paramLabel = "DATA_DIR",
        description = "As publish --gate: promote only if not worse on this held-out dataset.")
    Path gate;

    @Option(
        names = "--gate-margin",
        paramLabel = "AP",
        defaultValue = "0.01",
        description = "How much lower box and mask AP may each be (default: ${DEFAULT-VALUE}).")
    double gateMargin;

    @Option(names = "--force", description = "With --gate: promote even when the gate refuses.")
    boolean force;

    @Mixin KafkaOptions kafka;

    @Spec CommandSpec spec;

    private final ModelGate evaluator;

    /** The command without model evaluation: {@code --gate} is refused. */
    public Promote() {
      this(null);
    }

    /** The command whose {@code --gate} measures models with {@code evaluator}. */
    public Promote(ModelGate evaluator) {
      this.evaluator = evaluator;
    }

    @Override
    public Integer call() throws IOException {
      Properties props = kafka.clientProperties();
      TopicNames topics = CommandSupport.topics(props);
      ModelRegistry registry = new ModelRegistry(props, topics.models());
      ShadowCandidate shadow = shadowed(registry, name, "nothing to promote");
      ModelAnnouncement c = shadow.getCandidate();
      String what = name + "@" + c.getVersion();
      byte[] bytes = RollbackCommand.checkStored(what, c, registry.store());
      Path dir = Files.createTempDirectory("maskstream-promote");
      try {
        Path file = Files.write(dir.resolve(name + ".onnx"), bytes);
        PublishCommand publish = new PublishCommand(evaluator);
        CommandLine cli = new CommandLine(publish);
        cli.setOut(spec.commandLine().getOut());
        cli.setErr(spec.commandLine().getErr());
        publish.model = file;
        publish.name = name;
        publish.sign = sign;
        publish.signedAs = c;
        publish.gate = gate;
        publish.gateMargin = gateMargin;
        publish.force = force;
        publish.kafka = kafka;
        if (c.getWeightsLocation() != null) {
          publish.weights =
              Files.write(
                  dir.resolve(name + ".safetensors"),
                  registry.store().fetch(c.getWeightsLocation()));
        }
        int code = publish.call();
        if (code != 0) {
          return code; // the gate refused: the shadow goes on
        }
      } finally {
        try (var files = Files.list(dir)) {
          for (Path f : files.toList()) {
            Files.deleteIfExists(f);
          }
        }
        Files.deleteIfExists(dir);
      }
      registry.endShadow(name);
      PrintWriter out = spec.commandLine().getOut();
      out.println(what + " promoted: detectors following " + name + " swap to it");
      out.flush();
      return 0;
    }
  }

  /** {@code maskstream shadow discard}. */
  @Command(
      name = "discard",
      mixinStandardHelpOptions = true,
      description = "Ends a model's shadow: detectors stop running the candidate within seconds.")
  static final class Discard implements Callable<Integer> {
    @Option(
        names = "--model",
        paramLabel = "NAME",
        required = true,
        description = "The model whose candidate to discard.")
    String name;

    @Mixin KafkaOptions kafka;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      Properties props = kafka.clientProperties();
      TopicNames topics = CommandSupport.topics(props);
      ModelRegistry registry = new ModelRegistry(props, topics.models());
      ShadowCandidate shadow = shadowed(registry, name, "nothing to discard");
      registry.endShadow(name);
      PrintWriter out = spec.commandLine().getOut();
      out.println(
          "the shadow of "
              + name
              + "@"
              + shadow.getCandidate().getVersion()
              + " ended: detectors stop running it within seconds");
      out.flush();
      return 0;
    }
  }

  private static ModelAnnouncement announced(ModelRegistry registry, String name, String why) {
    return registry
        .announced(name)
        .orElseThrow(
            () ->
                new UserException(
                    "no model "
                        + name
                        + " is announced on "
                        + registry.modelsTopic()
                        + ": "
                        + why
                        + " ('maskstream models' lists the models)"));
  }

  private static ShadowCandidate shadowed(ModelRegistry registry, String name, String why) {
    ShadowCandidate c = registry.shadowCandidates().get(name);
    if (c == null) {
      announced(registry, name, why);
      throw new UserException(
          "no candidate runs beside "
              + name
              + ": "
              + why
              + " ('maskstream shadow start' sets one)");
    }
    return c;
  }

  /** Prints the agreement of every candidate with reports, the one shadowed now first. */
  static int show(String name, KafkaOptions kafka, PrintWriter out) {
    Properties props = kafka.clientProperties();
    TopicNames topics = CommandSupport.topics(props);
    ModelRegistry registry = new ModelRegistry(props, topics.models());
    Map<String, ShadowCandidate> now = registry.shadowCandidates();
    // model -> candidate version -> that candidate's reports
    Map<String, Map<String, List<ShadowReport>>> byModel = new TreeMap<>();
    for (ShadowReport r : registry.shadowReports().values()) {
      byModel
          .computeIfAbsent(r.getModel(), k -> new TreeMap<>())
          .computeIfAbsent(r.getCandidateVersion(), k -> new ArrayList<>())
          .add(r);
    }
    now.forEach(
        (model, c) ->
            byModel
                .computeIfAbsent(model, k -> new TreeMap<>())
                .computeIfAbsent(c.getCandidate().getVersion(), k -> new ArrayList<>()));
    if (name != null) {
      byModel.keySet().retainAll(List.of(name));
      if (byModel.isEmpty()) {
        announced(registry, name, "no shadow to show");
        out.println(name + ": no candidate was shadowed ('maskstream shadow start' sets one)");
        out.flush();
        return 0;
      }
    }
    if (byModel.isEmpty()) {
      out.println("no candidate was shadowed ('maskstream shadow start' sets one)");
    }
    byModel.forEach(
        (model, candidates) -> {
          ShadowCandidate current = now.get(model);
          Map<String, List<ShadowReport>> ordered = new LinkedHashMap<>();
          if (current != null) {
            String v = current.getCandidate().getVersion();
            ordered.put(v, candidates.remove(v));
          }
          ordered.putAll(candidates);
          ordered.forEach((version, reports) -> print(model, version, current, reports, out));
        });
    out.flush();
    return 0;
  }

  private static void print(
      String model,
      String version,
      ShadowCandidate current,
      List<ShadowReport> reports,
      PrintWriter out) {
    boolean running = current != null && current.getCandidate().getVersion().equals(version);
    ShadowTotals sum = ShadowTotals.EMPTY;
    List<String> serving = new ArrayList<>();
    for (ShadowReport r : reports) {
      sum = sum.plus(ShadowTotals.of(r));
      if (!serving.contains(r.getServingVersion())) {
        serving.add(r.getServingVersion());
      }
    }
    StringBuilder head = new StringBuilder(model + ": candidate " + version);
    if (!serving.isEmpty()) {
      head.append(" beside ").append(String.join(", ", serving));
    }
    if (running) {
      head.append(", shadowing since ")
          .append(TIME.format(current.getStartedTime()))
          .append(" on ")
          .append(percent(current.getSample()))
          .append(" of the frames");
    } else {
      head.append(", ended");
    }
    head.append(", ").append(reports.size()).append(" detector(s) reporting");
    out.println(head);
    TextTable totals =
        new TextTable(
            List.of(
                "FRAMES",
                "DROPPED",
                "SERVING",
                "CANDIDATE",
                "MATCHED",
                "ONLY SERVING",
                "ONLY CANDIDATE",
                "MASK IOU",
                "SCORE SHIFT"),
            0,
            1,
            2,
            3,
            4,
            5,
            6,
            7,
            8);
    totals.add(
        Long.toString(sum.compared()),
        Long.toString(sum.dropped()),
        Long.toString(sum.serving()),
        Long.toString(sum.candidate()),
        Long.toString(sum.matched()),
        Long.toString(sum.unmatchedServing()),
        Long.toString(sum.unmatchedCandidate()),
        figure(sum.meanMaskIou(), "%.3f"),
        figure(sum.meanScoreShift(), "%+.3f"));
    totals.lines("  ").forEach(out::println);
    if (!sum.classes().isEmpty()) {
      TextTable classes =
          new TextTable(
              List.of("CLASS", "SERVING", "CANDIDATE", "MATCHED", "ONLY SERVING", "ONLY CANDIDATE"),
              1,
              2,
              3,
              4,
              5);
      sum.classes()
          .forEach(
              (c, k) ->
                  classes.add(
                      c,
                      Long.toString(k.serving()),
                      Long.toString(k.candidate()),
                      Long.toString(k.matched()),
                      Long.toString(k.serving() - k.matched()),
                      Long.toString(k.candidate() - k.matched())));
      classes.lines("  ").forEach(out::println);
    }
    for (ShadowReport r : reports) {
      if (r.getState() == ShadowState.REFUSED || r.getState() == ShadowState.FAILED) {
        out.println(
            "  "
                + r.getDetector()
                + (r.getState() == ShadowState.REFUSED ? " refused it: " : " stopped it: ")
                + r.getReason());
      }
    }
  }

  /** A file when it names one that exists, ends in .onnx, or has no {@code @VERSION}. */
  static boolean looksLikeFile(String candidate) {
    return candidate.toLowerCase(Locale.ROOT).endsWith(".onnx")
        || Files.exists(Path.of(candidate))
        || candidate.indexOf('@') < 0;
  }

  private static String figure(double v, String format) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, format, v);
  }

  static String percent(double sample) {
    double p = sample * 100;
    return (p == Math.rint(p)
            ? Long.toString(Math.round(p))
            : String.format(Locale.ROOT, "%.1f", p))
        + "%";
  }
}
