package io.maskstream.sinks;

import io.maskstream.schemas.cli.UserException;
import io.maskstream.sinks.web.WebAuth;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * Who may see the live web view, as options of {@code sink web} and {@code demo}: secrets come from
 * files and environment variables, never from the command line (which every user of the machine can
 * read).
 */
public final class WebAuthOptions {
  @Option(
      names = "--auth-file",
      paramLabel = "FILE",
      description =
          "Users who may see the page, its events and /metrics: one user:password per line"
              + " (HTTP basic auth; the browser asks for them). One more may come from "
              + WebAuth.USERS_ENV
              + "=user:password.")
  Path authFile;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description =
          "Bearer tokens, one per line, at least "
              + WebAuth.MIN_TOKEN_LENGTH
              + " characters, for scripts and Prometheus (Authorization: Bearer TOKEN; in a"
              + " browser: any user name, the token as password). One more may come from "
              + WebAuth.TOKEN_ENV
              + ".")
  Path tokenFile;

  @Option(
      names = "--allow-unauthenticated",
      description =
          "Serve a --host other than a loopback address without credentials: only when a proxy"
              + " in front of it authenticates.")
  boolean allowUnauthenticated;

  /** Where the environment variables are read (tests replace it). */
  Function<String, String> env = System::getenv;

  /**
   * The users and tokens of {@code --auth-file}, {@code --token-file} and the environment.
   *
   * @throws UserException when a file is missing, unreadable, empty or malformed, or a user is
   *     given twice
   */
  public WebAuth auth() {
    Map<String, String> users = new LinkedHashMap<>();
    List<String> tokens = new ArrayList<>();
    if (authFile != null) {
      String source = "--auth-file " + authFile;
      users.putAll(
          SinkCommand.valid(() -> WebAuth.parseUsers(WebAuth.readLines(authFile, source), source)));
      if (users.isEmpty()) {
        throw new UserException(source + " holds no user:password line");
      }
    }
    if (tokenFile != null) {
      String source = "--token-file " + tokenFile;
      tokens.addAll(
          SinkCommand.valid(
              () -> WebAuth.parseTokens(WebAuth.readLines(tokenFile, source), source)));
      if (tokens.isEmpty()) {
        throw new UserException(source + " holds no token");
      }
    }
    String user = env.apply(WebAuth.USERS_ENV);
    if (user != null && !user.isEmpty()) {
      int colon = user.indexOf(':');
      if (colon <= 0 || colon == user.length() - 1) {
        throw new UserException(WebAuth.USERS_ENV + " must be user:password (both not empty)");
      }
      if (users.putIfAbsent(user.substring(0, colon), user.substring(colon + 1)) != null) {
        throw new UserException(
            "the user of " + WebAuth.USERS_ENV + " is in --auth-file too: keep one of them");
      }
    }
    String token = env.apply(WebAuth.TOKEN_ENV);
    if (token != null && !token.isBlank()) {
      try {
        WebAuth.of(Map.of(), List.of(token.strip()));
      } catch (IllegalArgumentException e) {
        throw new UserException(WebAuth.TOKEN_ENV + ": " + e.getMessage(), e);
      }
      tokens.add(token.strip());
    }
    return SinkCommand.valid(() -> WebAuth.of(users, tokens));
  }

  /**
   * The web view's settings with these credentials.
   *
   * @throws UserException for bad credentials or values, or a non-loopback {@code host} without
   *     credentials nor {@code --allow-unauthenticated}
   */
  public SinkConfig.Web web(String host, int port, int framesPerCamera, int backlog) {
    WebAuth auth = auth();
    return SinkCommand.valid(
        () -> new SinkConfig.Web(host, port, framesPerCamera, backlog, auth, allowUnauthenticated));
  }
}
