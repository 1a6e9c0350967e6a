package io.maskstream.detector;

import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.ModelAnnouncement;
import io.maskstream.schemas.cli.KafkaOptions;
import io.maskstream.schemas.cli.UserException;
import io.maskstream.schemas.models.ModelRegistry;
import io.maskstream.schemas.models.ModelStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code maskstream rollback}: announces an earlier published version of a model again, so that the
 * detectors following its name swap back to it through the same checks as any announcement (fetch,
 * sha256, signature, contract, warm-up). The version is taken from the versions topic as it was
 * published, its signature included; the command first fetches its file from where it was stored
 * and checks its sha256, so a version the store no longer has is refused and nothing is announced.
 */
@Command(
    name = "rollback",
    mixinStandardHelpOptions = true,
    description = {
      "Announces an earlier version of a model again; detectors following it swap back.",
      "Without --to, the version published before the one announced now."
    })
public final class RollbackCommand implements Callable<Integer> {
  /** The provenance entry of a rollback's announcement: the version it replaced. */
  public static final String ROLLBACK_FROM = "maskstream.rollback.from";

  private static final Logger log = LoggerFactory.getLogger(RollbackCommand.class);

  @Spec CommandSpec spec;

  @Option(
      names = "--model",
      paramLabel = "NAME",
      required = true,
      description = "The model name detectors follow.")
  String name;

  @Option(
      names = "--to",
      paramLabel = "VERSION",
      description =
          "The version to go back to, or the first digits of it (default: the one published"
              + " before the version announced now).")
  String to;

  @Mixin KafkaOptions kafka;

  @Override
  public Integer call() throws IOException {
    TopicNames topics = CommandSupport.topics(kafka.clientProperties());
    ModelRegistry registry = new ModelRegistry(kafka.clientProperties(), topics.models());
    ModelAnnouncement current =
        registry
            .announced(name)
            .orElseThrow(
                () ->
                    new UserException(
                        "no model "
                            + name
                            + " is announced on "
                            + topics.models()
                            + ": nothing to roll back ('maskstream models' lists the models)"));
    List<ModelAnnouncement> versions = registry.versions(name);
    ModelAnnouncement target = target(versions, current, registry);
    checkStored(name + "@" + target.getVersion(), target, registry.store());
    Map<String, String> provenance = new TreeMap<>(target.getProvenance());
    provenance.put(ROLLBACK_FROM, current.getVersion());
    ModelAnnouncement again =
        ModelAnnouncement.newBuilder(target)
            .setPublishedTime(Instant.now())
            .setProvenance(provenance)
            .build();
    registry.announce(again);
    log.info(
        "rolled {} back from {} to {} (published {}{})",
        name,
        current.getVersion(),
        target.getVersion(),
        target.getPublishedTime(),
        target.getSigningKey() == null
            ? ", unsigned"
            : ", signed by key " + target.getSigningKey());
    PrintWriter out = spec.commandLine().getOut();
    out.println(
        name
            + "@"
            + target.getVersion()
            + " announced again, replacing "
            + name
            + "@"
            + current.getVersion()
            + ": detectors following "
            + name
            + " swap back to it");
    out.flush();
    return 0;
  }

  private ModelAnnouncement target(
      List<ModelAnnouncement> versions, ModelAnnouncement current, ModelRegistry registry) {
    String versionsTopic = ModelRegistry.versionsTopic(registry.modelsTopic());
    if (to == null) {
      Optional<ModelAnnouncement> previous = ModelRegistry.previous(versions, current.getVersion());
      return previous.orElseThrow(
          () ->
              new UserException(
                  name
                      + "@"
                      + current.getVersion()
                      + (versions.size() > 1 ? " is the oldest" : " is the only")
                      + " version of "
                      + name
                      + " in "
                      + versionsTopic
                      + ": nothing to roll back to"
                      + (versions.size() > 1 ? " (--to VERSION announces another)" : "")));
    }
    if (!to.matches("[0-9a-fA-F]{1,64}")) {
      throw new UserException("--to " + to + ": a version is hex digits, e.g. 3f2a9c01b7de");
    }
    ModelAnnouncement target =
        onlyVersion(
            name,
            to,
            versions,
            versionsTopic,
            matches ->
                "--to "
                    + to
                    + " matches "
                    + String.join(", ", matches.stream().map(v -> v.getVersion()).toList())
                    + ": give more digits");
    if (target.getVersion().equals(current.getVersion())) {
      throw new UserException(
          name + "@" + target.getVersion() + " is the version announced now: nothing to do");
    }
    return target;
  }

  /**
   * The one version of {@code model} among {@code versions} whose version starts with {@code
   * prefix}.
   *
   * @param several the refusal when the prefix names more than one, given them
   * @throws UserException when it names none (the known versions listed) or several
   */
  static ModelAnnouncement onlyVersion(
      String model,
      String prefix,
      List<ModelAnnouncement> versions,
      String versionsTopic,
      java.util.function.Function<List<ModelAnnouncement>, String> several) {
    List<ModelAnnouncement> matches = ModelRegistry.matching(versions, prefix);
    if (matches.isEmpty()) {
      throw new UserException(
          model
              + " has no version "
              + prefix
              + " in "
              + versionsTopic
              + " (known: "
              + (versions.isEmpty()
                  ? "none"
                  : String.join(", ", versions.stream().map(v -> v.getVersion()).toList()))
              + ")");
    }
    if (matches.size() > 1) {
      throw new UserException(several.apply(matches));
    }
    return matches.get(0);
  }

  /**
   * Fetches the version's file as a detector would and checks it is the file published.
   *
   * @param what the version as the user knows it, for the error line
   * @return the file
   */
  static byte[] checkStored(String what, ModelAnnouncement target, ModelStore store) {
    byte[] bytes;
    try {
      bytes = store.fetch(target.getLocation());
    } catch (IOException e) {
      throw new UserException(
          what
              + " cannot be fetched from "
              + target.getLocation()
              + " ("
              + e.getMessage()
              + "): publish its file again instead",
          e);
    }
    String sha = ModelStore.sha256Hex(bytes);
    if (!sha.equalsIgnoreCase(target.getSha256())) {
      throw new UserException(
          what
              + " at "
              + target.getLocation()
              + " is no longer the file published (sha256 "
              + sha
              + ", published "
              + target.getSha256()
              + "): publish its file again instead");
    }
    return bytes;
  }
}
