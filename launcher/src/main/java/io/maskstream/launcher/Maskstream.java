package io.maskstream.launcher;

import io.maskstream.detector.DetectCommand;
import io.maskstream.detector.InferCommand;
import io.maskstream.detector.KeysCommand;
import io.maskstream.detector.ModelsCommand;
import io.maskstream.detector.PublishCommand;
import io.maskstream.detector.RollbackCommand;
import io.maskstream.detector.ShadowCommand;
import io.maskstream.detector.ZonesCommand;
import io.maskstream.detector.mask.MaskPolygons;
import io.maskstream.ingest.IngestBenchmark;
import io.maskstream.ingest.IngestCommand;
import io.maskstream.ingest.cameras.CameraCommand;
import io.maskstream.schemas.cli.KafkaOptions;
import io.maskstream.schemas.cli.KafkaRefusals;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.sinks.CaptureCommand;
import io.maskstream.sinks.SinkCommand;
import io.maskstream.trainer.EvalCommand;
import io.maskstream.trainer.ShapesCommand;
import io.maskstream.trainer.TrackEvalCommand;
import io.maskstream.trainer.TrainCommand;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * The {@code maskstream} command: one entry point for every role (broker, ingest, detector, sinks,
 * trainer, tools). Exit codes: 0 success, 1 failure while running, 2 bad input or a command this
 * build does not include.
 */
@Command(
    name = "maskstream",
    mixinStandardHelpOptions = true,
    versionProvider = Maskstream.Version.class,
    description = "Mask R-CNN instance segmentation on live video, built on Kafka.",
    synopsisSubcommandLabel = "COMMAND",
    subcommands = {
      DemoCommand.class,
      BrokerCommand.class,
      IngestCommand.class,
      CameraCommand.class,
      IngestBenchmark.class,
      DetectCommand.class,
      ZonesCommand.class,
      SinkCommand.class,
      CaptureCommand.class,
      InferCommand.class,
      EvalCommand.class,
      TrackEvalCommand.class,
      TrainCommand.class,
      PublishCommand.class,
      ModelsCommand.class,
      RollbackCommand.class,
      ShadowCommand.class,
      KeysCommand.class,
      ShapesCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {"", "Run 'maskstream COMMAND --help' for the options of a command."})
public final class Maskstream implements Runnable {
  /** Exit code of a command that ran and failed. */
  public static final int EXIT_FAILURE = 1;

  /** Exit code of bad input: wrong options, unreadable files, unavailable commands. */
  public static final int EXIT_USAGE = 2;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "a command is required");
  }

  /** Runs the command line and exits the JVM with its exit code. */
  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns the exit code, without exiting. */
  public static int execute(String... args) {
    return commandLine().execute(args);
  }

  /** The configured command line, with one-line error reporting. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Maskstream(), new Factory());
    cli.setParameterExceptionHandler(new OneLineParameterErrors());
    cli.setExecutionExceptionHandler(new OneLineExecutionErrors());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    return cli;
  }

  /**
   * Creates the commands; {@code publish} and {@code shadow promote} get the model evaluation of
   * {@code --gate}, which needs both the detector's inference and the trainer's evaluator, and
   * {@code capture} the detector's OpenCV mask-to-polygon conversion for {@code --polygons}.
   */
  static final class Factory implements CommandLine.IFactory {
    private final CommandLine.IFactory defaults = CommandLine.defaultFactory();

    @Override
    public <K> K create(Class<K> type) throws Exception {
      if (type == PublishCommand.class) {
        return type.cast(new PublishCommand(new CocoModelGate()));
      }
      if (type == CaptureCommand.class) {
        return type.cast(new CaptureCommand(MaskPolygons::of));
      }
      if (type == ShadowCommand.Promote.class) {
        return type.cast(new ShadowCommand.Promote(new CocoModelGate()));
      }
      return defaults.create(type);
    }
  }

  /** Bad options: one line naming the command and the problem, then exit 2. */
  static final class OneLineParameterErrors implements IParameterExceptionHandler {
    @Override
    public int handleParseException(ParameterException e, String[] args) {
      CommandLine cmd = e.getCommandLine();
      PrintWriter err = cmd.getErr();
      String name = cmd.getCommandSpec().qualifiedName();
      err.println(name + ": " + e.getMessage() + " (see '" + name + " --help')");
      err.flush();
      return EXIT_USAGE;
    }
  }

  /**
   * Failures while running: one line; user errors exit 2, anything else 1. Kafka's refusals (wrong
   * credentials, an untrusted certificate, a missing ACL) exit 1 with a line that says which user
   * was refused what, whatever wraps them.
   */
  static final class OneLineExecutionErrors implements IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
      PrintWriter err = cmd.getErr();
      String name = cmd.getCommandSpec().qualifiedName();
      Optional<String> refusal = KafkaRefusals.describe(e, kafkaProperties(cmd.getCommandSpec()));
      if (refusal.isPresent()) {
        err.println(name + ": " + refusal.get());
        err.flush();
        if (Boolean.getBoolean("maskstream.debug")) {
          e.printStackTrace(err);
        }
        return EXIT_FAILURE;
      }
      if (e instanceof UserException) {
        err.println(name + ": " + e.getMessage());
        err.flush();
        return EXIT_USAGE;
      }
      err.println(name + ": " + oneLine(e));
      err.flush();
      if (Boolean.getBoolean("maskstream.debug")) {
        e.printStackTrace(err);
      }
      return EXIT_FAILURE;
    }

    /** The client properties of the command's {@code --kafka-config}, if it has the option. */
    private static Properties kafkaProperties(CommandSpec spec) {
      for (CommandSpec mixin : spec.mixins().values()) {
        if (mixin.userObject() instanceof KafkaOptions) {
          return ((KafkaOptions) mixin.userObject()).clientPropertiesOrEmpty();
        }
      }
      return new Properties();
    }

    private static String oneLine(Throwable e) {
      String message = e.getMessage();
      if (message == null || message.isBlank()) {
        message = e.getClass().getSimpleName();
      }
      return message.replaceAll("\\s*\\R\\s*", " ");
    }
  }

  /** The version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Maskstream.class.getPackage().getImplementationVersion();
      return new String[] {"maskstream " + (version == null ? "(development build)" : version)};
    }
  }
}
