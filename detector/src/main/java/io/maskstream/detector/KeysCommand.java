package io.maskstream.detector;

import io.maskstream.detector.store.ModelSignatures;
import io.maskstream.schemas.cli.UserException;
import java.io.IOException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code maskstream keys}: the Ed25519 keys that sign published models. */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    description = "Keys that sign published models (publish --sign, detect --trust).",
    subcommands = {KeysCommand.Generate.class})
public final class KeysCommand {
  /** {@code maskstream keys generate}. */
  @Command(
      name = "generate",
      mixinStandardHelpOptions = true,
      description =
          "Writes a new Ed25519 key pair: NAME.key (private, readable by you only) and NAME.pub.")
  static final class Generate implements Callable<Integer> {
    @Option(
        names = "--out",
        paramLabel = "DIR",
        defaultValue = ".",
        description = "Folder to write the keys to (default: the current folder).")
    Path out;

    @Option(
        names = "--name",
        paramLabel = "NAME",
        defaultValue = "publisher",
        description = "File name of the keys (default: ${DEFAULT-VALUE}).")
    String name;

    @Override
    public Integer call() {
      if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
        throw new UserException("--name " + name + ": use 1-64 of A-Z a-z 0-9 . _ -");
      }
      KeyPair pair = ModelSignatures.generate();
      List<Path> files;
      try {
        files = ModelSignatures.write(pair, out, name);
      } catch (IOException e) {
        throw new UserException("cannot write the keys: " + e.getMessage(), e);
      }
      System.out.println(
          "private key " + files.get(0) + " (keep it secret: publish --sign " + files.get(0) + ")");
      System.out.println(
          "public key  "
              + files.get(1)
              + " id "
              + ModelSignatures.keyId(pair.getPublic())
              + " (for detectors: detect --trust "
              + files.get(1)
              + ")");
      return 0;
    }
  }
}
