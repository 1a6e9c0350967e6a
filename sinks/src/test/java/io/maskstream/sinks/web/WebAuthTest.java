package io.maskstream.sinks.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.maskstream.sinks.SinkConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Credentials of the live view: parsing, comparison, and when the view needs them. */
class WebAuthTest {
  static final String TOKEN = "0123456789abcdef0123456789abcdef";

  @Test
  void parsesUserPasswordLines() {
    Map<String, String> users =
        WebAuth.parseUsers(
            List.of(
                "# who may watch",
                "",
                "alice:s3cret",
                "bob:pass:with:colons\r",
                "   ",
                "carol: spaced password "),
            "f");
    assertThat(users)
        .containsExactly(
            Map.entry("alice", "s3cret"),
            Map.entry("bob", "pass:with:colons"),
            Map.entry("carol", " spaced password "));
  }

  @Test
  void aBadLineIsNamedButNeverShown() {
    for (String bad : List.of("no-colon-hunter2", ":hunter2", "alice:")) {
      assertThatThrownBy(() -> WebAuth.parseUsers(List.of("# x", bad), "--auth-file u.txt"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("--auth-file u.txt line 2: write user:password (both not empty)");
    }
    assertThatThrownBy(() -> WebAuth.parseUsers(List.of("a:hunter2", "a:other"), "f"))
        .hasMessage("f line 2: user 'a' is given twice")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void parsesTokensOnePerLine() {
    assertThat(WebAuth.parseTokens(List.of("# tokens", "  " + TOKEN + "  ", "", TOKEN + "x"), "t"))
        .containsExactly(TOKEN, TOKEN + "x");
    assertThatThrownBy(() -> WebAuth.parseTokens(List.of("short-hunter2"), "--token-file t"))
        .hasMessageStartingWith("--token-file t line 1: a token is one word of at least 16")
        .hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> WebAuth.parseTokens(List.of("two words but long enough"), "t"))
        .hasMessageContaining("one word");
  }

  @Test
  void readsFilesAndSaysWhenOneIsMissing(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("users"), "alice:s3cret\n");
    assertThat(WebAuth.readLines(file, "--auth-file users")).containsExactly("alice:s3cret");
    assertThatThrownBy(() -> WebAuth.readLines(dir.resolve("nope"), "--auth-file nope"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--auth-file nope does not exist");
  }

  @Test
  void allowsTheRightUserAndPasswordOnly() {
    WebAuth auth = WebAuth.of(Map.of("alice", "s3cret", "bob", "other"), List.of());
    assertThat(auth.allowsBasic("alice", "s3cret")).isTrue();
    assertThat(auth.allowsBasic("bob", "other")).isTrue();
    assertThat(auth.allowsBasic("alice", "other")).as("bob's password for alice").isFalse();
    assertThat(auth.allowsBasic("alice", "s3cret ")).isFalse();
    assertThat(auth.allowsBasic("Alice", "s3cret")).isFalse();
    assertThat(auth.allowsBasic("", "")).isFalse();
    assertThat(auth.allowsToken("s3cret")).isFalse();
    assertThat(auth.isEmpty()).isFalse();
  }

  @Test
  void aTokenWorksAsBearerAndAsThePasswordOfAnyName() {
    WebAuth auth = WebAuth.of(Map.of(), List.of(TOKEN));
    assertThat(auth.allowsToken(TOKEN)).isTrue();
    assertThat(auth.allowsToken(TOKEN.substring(1))).isFalse();
    assertThat(auth.allowsToken(TOKEN + "0")).isFalse();
    assertThat(auth.allowsBasic("anyone", TOKEN)).isTrue();
    assertThat(auth.allowsBasic(TOKEN, "anyone")).isFalse();
  }

  @Test
  void keepsNoSecretAsText() throws Exception {
    WebAuth auth = WebAuth.of(Map.of("alice", "s3cret-hunter2"), List.of(TOKEN));
    assertThat(auth.toString()).isEqualTo("1 user, 1 token");
    for (var field : WebAuth.class.getDeclaredFields()) {
      if (java.lang.reflect.Modifier.isStatic(field.getModifiers())) {
        continue;
      }
      field.setAccessible(true);
      Object value = field.get(auth);
      assertThat(value).isNotInstanceOf(String.class);
      if (value instanceof List<?> list) {
        for (Object e : list) {
          assertThat(e).isInstanceOfAny(byte[].class, byte[][].class);
        }
      }
    }
    // two sets of the same secrets hold different digests: each draws its own key
    WebAuth again = WebAuth.of(Map.of("alice", "s3cret-hunter2"), List.of(TOKEN));
    assertThat(again.allowsBasic("alice", "s3cret-hunter2")).isTrue();
  }

  @Test
  void noneIsEmptyAndAllowsNothing() {
    assertThat(WebAuth.none().isEmpty()).isTrue();
    assertThat(WebAuth.of(Map.of(), List.of()).isEmpty()).isTrue();
    assertThat(WebAuth.none().allowsBasic("a", "b")).isFalse();
    assertThat(WebAuth.none().allowsToken(TOKEN)).isFalse();
  }

  @Test
  void loopbackMeansThisMachineOnly() {
    for (String host : List.of("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost")) {
      assertThat(SinkConfig.Web.isLoopback(host)).as(host).isTrue();
    }
    for (String host : List.of("0.0.0.0", "::", "192.0.2.1", "10.0.0.1", "fd00::1")) {
      assertThat(SinkConfig.Web.isLoopback(host)).as(host).isFalse();
    }
  }

  @Test
  void aViewOtherMachinesReachNeedsCredentialsOrTheOptOut() {
    assertThat(SinkConfig.Web.of("127.0.0.1", 0).auth().isEmpty()).isTrue();
    assertThatThrownBy(() -> SinkConfig.Web.of("0.0.0.0", 8080))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("--host 0.0.0.0 can be reached from other machines")
        .hasMessageContaining("--auth-file FILE")
        .hasMessageContaining("--token-file FILE")
        .hasMessageContaining("--allow-unauthenticated")
        .hasMessageNotContaining("\n");
    WebAuth auth = WebAuth.of(Map.of("alice", "s3cret"), List.of());
    assertThat(SinkConfig.Web.of("0.0.0.0", 8080, auth).auth()).isSameAs(auth);
    assertThat(new SinkConfig.Web("0.0.0.0", 8080, 10, 10, WebAuth.none(), true).unauthenticated())
        .isTrue();
    assertThatThrownBy(() -> new SinkConfig.Web("0.0.0.0", 8080, 10, 10, auth, true))
        .hasMessageContaining("exclude each other");
    assertThatThrownBy(() -> SinkConfig.Web.of(" ", 8080, auth))
        .hasMessageContaining("--host must not be empty");
  }
}
