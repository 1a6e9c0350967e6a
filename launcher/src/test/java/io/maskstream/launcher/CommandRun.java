package io.maskstream.launcher;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * A {@code maskstream} command run in the test's JVM, as the launcher parses it, with what it
 * printed.
 *
 * @param exitCode the command's exit code
 * @param out its standard output
 * @param err its standard error
 */
record CommandRun(int exitCode, String out, String err) {
  /** Runs {@code args}. */
  static CommandRun of(String... args) {
    CommandLine cli = Maskstream.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new CommandRun(code, out.toString(), err.toString());
  }

  /** Runs {@code args} against the Kafka at {@code bootstrap} ({@code --bootstrap} added). */
  static CommandRun on(String bootstrap, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--bootstrap", bootstrap));
    return of(all.toArray(String[]::new));
  }
}
