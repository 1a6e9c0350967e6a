package io.maskstream.sinks.web;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may see the live view: users with a password (HTTP basic auth) and bearer tokens, or anyone
 * ({@link #none()}).
 *
 * <p>Secrets are kept only as HMAC-SHA256 digests under a key drawn at random when the set is
 * built, never as text, and every check compares the digests of all users and tokens in constant
 * time ({@link MessageDigest#isEqual}), so neither the time taken nor an early exit tells which
 * part was wrong. A token is also accepted as the password of any user name: that is how a browser,
 * which asks for a user name and password, can use a token.
 *
 * <p>Immutable and thread-safe.
 */
public final class WebAuth {
  private static final Logger LOG = LoggerFactory.getLogger(WebAuth.class);
  private static final String HMAC = "HmacSHA256";
  private static final WebAuth NONE = new WebAuth(Map.of(), List.of());

  /** Environment variable holding one more user, as {@code user:password}. */
  public static final String USERS_ENV = "MASKSTREAM_WEB_AUTH";

  /** Environment variable holding one more token. */
  public static final String TOKEN_ENV = "MASKSTREAM_WEB_TOKEN";

  /** Shortest token accepted: a guessable token is no protection. */
  public static final int MIN_TOKEN_LENGTH = 16;

  private final SecretKeySpec key;
  private final List<byte[][]> users; // {name digest, password digest}
  private final List<byte[]> tokens;

  private WebAuth(Map<String, String> users, Collection<String> tokens) {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    this.key = new SecretKeySpec(k, HMAC);
    List<byte[][]> u = new ArrayList<>();
    users.forEach((name, password) -> u.add(new byte[][] {digest(name), digest(password)}));
    this.users = List.copyOf(u);
    this.tokens = tokens.stream().map(this::digest).toList();
  }

  /** Nobody in particular: the view is open to anyone who reaches it. */
  public static WebAuth none() {
    return NONE;
  }

  /**
   * Users ({@code name -> password}) and tokens.
   *
   * @throws IllegalArgumentException for an empty name or password, a name with a colon, or a token
   *     shorter than {@value #MIN_TOKEN_LENGTH} characters or with white space
   */
  public static WebAuth of(Map<String, String> users, Collection<String> tokens) {
    users.forEach(
        (name, password) -> {
          if (name.isEmpty() || name.indexOf(':') >= 0 || password.isEmpty()) {
            throw new IllegalArgumentException(
                "a user needs a name without ':' and a password that is not empty");
          }
        });
    for (String token : tokens) {
      if (!validToken(token)) {
        throw new IllegalArgumentException(tokenRule());
      }
    }
    return users.isEmpty() && tokens.isEmpty() ? NONE : new WebAuth(users, tokens);
  }

  /**
   * Parses {@code user:password} lines: the password is everything after the first colon, up to the
   * end of the line; blank lines and lines starting with {@code #} are skipped.
   *
   * @param source what the lines are, for messages (e.g. {@code --auth-file users.txt})
   * @throws IllegalArgumentException naming the line (never its content) that is not {@code
   *     user:password}, or a user given twice
   */
  public static Map<String, String> parseUsers(List<String> lines, String source) {
    Map<String, String> users = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = stripCr(lines.get(i));
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int colon = line.indexOf(':');
      if (colon <= 0 || colon == line.length() - 1) {
        throw new IllegalArgumentException(
            source + " line " + (i + 1) + ": write user:password (both not empty)");
      }
      String name = line.substring(0, colon);
      if (users.putIfAbsent(name, line.substring(colon + 1)) != null) {
        throw new IllegalArgumentException(
            source + " line " + (i + 1) + ": user '" + safe(name) + "' is given twice");
      }
    }
    return users;
  }

  /**
   * Parses tokens, one per line; blank lines and lines starting with {@code #} are skipped, white
   * space around a token is ignored.
   *
   * @throws IllegalArgumentException naming the line (never its content) holding no valid token
   */
  public static List<String> parseTokens(List<String> lines, String source) {
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      if (!validToken(line)) {
        throw new IllegalArgumentException(source + " line " + (i + 1) + ": " + tokenRule());
      }
      tokens.add(line);
    }
    return tokens;
  }

  /**
   * The lines of a secrets file (UTF-8), with a warning in the log when others than its owner may
   * read it.
   *
   * @throws IllegalArgumentException when it is missing or unreadable
   */
  public static List<String> readLines(Path file, String source) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(source + " does not exist", e);
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(source + " is not UTF-8 text", e);
    } catch (IOException e) {
      throw new IllegalArgumentException(source + " cannot be read: " + e.getMessage(), e);
    }
    PosixFileAttributeView posix = Files.getFileAttributeView(file, PosixFileAttributeView.class);
    if (posix != null) {
      try {
        Set<PosixFilePermission> p = posix.readAttributes().permissions();
        if (p.contains(PosixFilePermission.GROUP_READ)
            || p.contains(PosixFilePermission.OTHERS_READ)) {
          LOG.warn("{} can be read by other users than its owner: chmod 600 it", source);
        }
      } catch (IOException e) {
        // permissions unknown: nothing to warn about
      }
    }
    return lines;
  }

  /** True when nobody in particular is required: no users and no tokens. */
  public boolean isEmpty() {
    return users.isEmpty() && tokens.isEmpty();
  }

  /** Number of users. */
  public int userCount() {
    return users.size();
  }

  /** Number of tokens. */
  public int tokenCount() {
    return tokens.size();
  }

  /**
   * True when {@code name} and {@code password} are those of a user, or {@code password} is a token
   * (whatever the name). Takes the same time whichever part is wrong.
   */
  public boolean allowsBasic(String name, String password) {
    byte[] n = digest(name);
    byte[] p = digest(password);
    boolean ok = false;
    for (byte[][] user : users) {
      ok |= MessageDigest.isEqual(user[0], n) & MessageDigest.isEqual(user[1], p);
    }
    return ok | matchesToken(p);
  }

  /** True when {@code token} is one of the tokens, compared in constant time. */
  public boolean allowsToken(String token) {
    return matchesToken(digest(token));
  }

  private boolean matchesToken(byte[] d) {
    boolean ok = false;
    for (byte[] t : tokens) {
      ok |= MessageDigest.isEqual(t, d);
    }
    return ok;
  }

  /** E.g. {@code 2 users, 1 token} - never a secret. */
  @Override
  public String toString() {
    return isEmpty()
        ? "no authentication"
        : users.size()
            + (users.size() == 1 ? " user, " : " users, ")
            + tokens.size()
            + (tokens.size() == 1 ? " token" : " tokens");
  }

  private byte[] digest(String secret) {
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(key);
      return mac.doFinal(secret.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no " + HMAC, e);
    }
  }

  private static boolean validToken(String token) {
    return token.length() >= MIN_TOKEN_LENGTH && token.chars().noneMatch(Character::isWhitespace);
  }

  private static String tokenRule() {
    return "a token is one word of at least "
        + MIN_TOKEN_LENGTH
        + " characters (make one with: openssl rand -hex 32)";
  }

  private static String stripCr(String line) {
    return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
  }

  /** A user name fit for a message: printable ASCII only, at most 40 characters. */
  private static String safe(String name) {
    String s = name.replaceAll("[^\\x20-\\x7e]", "?");
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }
}
