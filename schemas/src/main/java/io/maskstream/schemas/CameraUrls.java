package io.maskstream.schemas;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Camera URLs as every component shows and checks them: passwords masked wherever a URL is logged,
 * measured or printed, and one rule for what counts as a parsable URL.
 *
 * <p>A URL may hold {@code ${env:NAME}} references, replaced on the ingest host by that environment
 * variable, so a password need not be stored where the URL is (the cameras topic, a YAML file).
 */
public final class CameraUrls {
  /** A reference to an environment variable of the ingest host: {@code ${env:NAME}}. */
  public static final Pattern ENV_REFERENCE =
      Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)}");

  /**
   * {@code scheme://user:password@}, anywhere in a text; group 1 is everything but the password.
   */
  private static final Pattern CREDENTIALS =
      Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://[^\\s/@:?#]*):([^\\s/@?#]*)@");

  /**
   * A query parameter that carries a secret by its name ({@code ?password=}, {@code &token=},
   * {@code &api_key=}, ...), as many cameras and stream gateways take credentials; group 1 is the
   * name with its separator and {@code =}, group 2 the value.
   */
  private static final Pattern SECRET_PARAMETER =
      Pattern.compile(
          "([?&;](?:password|passwd|pass|pwd|pw|token|access_token|auth|authorization|key|apikey"
              + "|api_key|secret|signature|sig|sessionid|session)=)"
              // the value ends where the URL does, also before a colon that ends a sentence
              + "([^&;\\s#'\"]*?)(?=$|[&;\\s#'\"]|:(?:\\s|$))",
          Pattern.CASE_INSENSITIVE);

  private static final Pattern SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://.*");

  /** What replaces a password. */
  public static final String MASK = "***";

  private CameraUrls() {}

  /**
   * {@code text} with the password of every {@code scheme://user:password@host} in it, and the
   * value of every query parameter named like a secret ({@code password}, {@code token}, {@code
   * key}, ...), replaced by {@value #MASK}, unless it is a {@code ${env:NAME}} reference; for URLs,
   * log lines and error messages alike.
   */
  public static String mask(String text) {
    if (text == null) {
      return null;
    }
    // a reference to the ingest host's environment is no secret: it says where the password is
    String parametersMasked =
        SECRET_PARAMETER
            .matcher(text)
            .replaceAll(
                m ->
                    Matcher.quoteReplacement(
                        m.group(1)
                            + (m.group(2).isEmpty() || ENV_REFERENCE.matcher(m.group(2)).matches()
                                ? m.group(2)
                                : MASK)));
    return CREDENTIALS
        .matcher(parametersMasked)
        .replaceAll(
            m ->
                Matcher.quoteReplacement(
                    m.group(1)
                        + ":"
                        + (ENV_REFERENCE.matcher(m.group(2)).matches() ? m.group(2) : MASK)
                        + "@"));
  }

  /**
   * Checks that {@code url} can be opened as a camera: not blank, and, when it has a {@code
   * scheme://}, a URL with a host (file URLs aside). {@code ${env:NAME}} references count as plain
   * text here, they are resolved on the ingest host.
   *
   * @throws IllegalArgumentException with a one-line message that says what to change
   */
  public static void check(String url) {
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("the url is empty: give a stream URL, a device or a path");
    }
    if (!url.strip().equals(url) || url.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw new IllegalArgumentException(
          "url " + quote(url) + " has spaces or control characters at its ends or inside");
    }
    if (!SCHEME.matcher(url).matches()) {
      return; // a path or a device
    }
    String plain = ENV_REFERENCE.matcher(url).replaceAll("x");
    URI uri;
    try {
      uri = new URI(plain);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "url "
              + quote(url)
              + " is not a valid URL ("
              + e.getReason()
              + " at index "
              + e.getIndex()
              + "): write it as scheme://[user:password@]host[:port]/path, with %-escapes for"
              + " spaces and reserved characters");
    }
    if (!"file".equals(uri.getScheme().toLowerCase(Locale.ROOT)) && uri.getHost() == null) {
      throw new IllegalArgumentException(
          "url "
              + quote(url)
              + " has no host: write it as scheme://[user:password@]host[:port]/path");
    }
  }

  private static String quote(String url) {
    return "'" + mask(url).replaceAll("\\p{Cntrl}", "?") + "'";
  }
}
