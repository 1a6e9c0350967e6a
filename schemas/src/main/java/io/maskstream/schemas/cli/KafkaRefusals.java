package io.maskstream.schemas.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;

/**
 * Kafka's security refusals (wrong credentials, an untrusted certificate, a missing ACL) said in
 * one line that names the user, the cause and what to change. Retrying cannot cure them, so
 * commands stop on them.
 */
public final class KafkaRefusals {
  private static final Pattern USERNAME = Pattern.compile("username\\s*=\\s*\"([^\"]*)\"");

  private static final String CLIENT_CERTIFICATE_REFUSED =
      "the broker did not accept the client certificate";

  private KafkaRefusals() {}

  /**
   * {@code cause}, or for a topic refusal that names no topic (as the admin client's are) the same
   * refusal naming {@code topic}.
   */
  public static Throwable namingTopic(Throwable cause, String topic) {
    if (cause instanceof TopicAuthorizationException
        && ((TopicAuthorizationException) cause).unauthorizedTopics().isEmpty()) {
      return new TopicAuthorizationException(cause.getMessage(), Set.of(topic));
    }
    return cause;
  }

  /** Whether {@code e} or one of its causes is an authentication or authorization refusal. */
  public static boolean isRefusal(Throwable e) {
    return refusal(e) != null;
  }

  /** Whether {@code e} or one of its causes is an authentication failure (credentials, TLS). */
  public static boolean isAuthenticationFailure(Throwable e) {
    return refusal(e) instanceof AuthenticationException;
  }

  /**
   * One line for the refusal in {@code e} or its causes, made with the client properties that were
   * used; empty when {@code e} is no refusal.
   */
  public static Optional<String> describe(Throwable e, Map<?, ?> clientProperties) {
    Throwable refusal = refusal(e);
    if (refusal == null) {
      return Optional.empty();
    }
    Map<?, ?> props = clientProperties == null ? Map.of() : clientProperties;
    String user = user(props);
    String bootstrap = String.valueOf(props.get("bootstrap.servers"));
    if (refusal instanceof SaslAuthenticationException) {
      return Optional.of(
          "Kafka refused the credentials of user "
              + user
              + " ("
              + mechanism(props)
              + "): check sasl.jaas.config in --kafka-config");
    }
    if (refusal instanceof SslAuthenticationException) {
      String reason = tlsReason(refusal);
      return Optional.of(
          "the TLS handshake with Kafka at "
              + bootstrap
              + " failed ("
              + reason
              + "): "
              + (reason.equals(CLIENT_CERTIFICATE_REFUSED)
                  ? "check that ssl.keystore.location in --kafka-config holds a certificate signed"
                      + " by a CA the broker trusts"
                  : "check that ssl.truststore.location in --kafka-config holds the broker's CA"
                      + " certificate"));
    }
    if (refusal instanceof AuthenticationException) {
      return Optional.of(
          "Kafka refused to authenticate user "
              + user
              + " ("
              + oneLine(refusal.getMessage())
              + "): check the SASL and TLS settings in --kafka-config");
    }
    String what;
    if (refusal instanceof TopicAuthorizationException) {
      Set<String> topics =
          new TreeSet<>(((TopicAuthorizationException) refusal).unauthorizedTopics());
      what =
          topics.isEmpty()
              ? "a topic"
              : (topics.size() == 1 ? "topic " : "topics ") + String.join(", ", topics);
    } else if (refusal instanceof GroupAuthorizationException) {
      String group = ((GroupAuthorizationException) refusal).groupId();
      what = group == null ? "its consumer group" : "consumer group " + group;
    } else if (refusal instanceof TransactionalIdAuthorizationException) {
      what = "its transactional id";
    } else if (refusal instanceof ClusterAuthorizationException) {
      what = "a cluster operation (such as creating topics)";
    } else {
      what = "an operation (" + oneLine(refusal.getMessage()) + ")";
    }
    return Optional.of(
        "Kafka denied user "
            + user
            + " access to "
            + what
            + ": use the --kafka-config of a user that may, or grant "
            + user
            + " an ACL for it");
  }

  /** The refusal among {@code e} and its causes, or {@code null}. */
  private static Throwable refusal(Throwable e) {
    List<Throwable> seen = new ArrayList<>();
    for (Throwable t = e; t != null && !seen.contains(t); t = t.getCause()) {
      seen.add(t);
      if (t instanceof AuthenticationException || t instanceof AuthorizationException) {
        return t;
      }
    }
    return null;
  }

  /** Who the client properties log in as, for messages. */
  static String user(Map<?, ?> props) {
    Object jaas = props.get("sasl.jaas.config");
    String protocol = String.valueOf(props.get("security.protocol"));
    if (jaas != null && protocol.startsWith("SASL")) {
      Matcher m = USERNAME.matcher(jaas.toString());
      if (m.find()) {
        return m.group(1);
      }
    }
    Object keystore = props.get("ssl.keystore.location");
    if (keystore != null && "SSL".equals(protocol)) {
      return "of the certificate in " + keystore;
    }
    if (jaas != null) {
      Matcher m = USERNAME.matcher(jaas.toString());
      if (m.find()) {
        return m.group(1);
      }
    }
    return "ANONYMOUS";
  }

  private static String mechanism(Map<?, ?> props) {
    Object mechanism = props.get("sasl.mechanism");
    return mechanism == null ? "GSSAPI" : mechanism.toString();
  }

  private static String tlsReason(Throwable e) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      all.append(' ').append(t.getMessage());
    }
    String text = all.toString();
    if (text.contains("PKIX path") || text.contains("unable to find valid certification path")) {
      return "the broker's certificate is not signed by a CA in the trust store";
    }
    if (text.contains("No subject alternative") || text.contains("No name matching")) {
      return "the broker's certificate does not name the host of --bootstrap";
    }
    if (text.contains("bad_certificate") || text.contains("certificate_required")) {
      return CLIENT_CERTIFICATE_REFUSED;
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return oneLine(root.getMessage());
  }

  private static String oneLine(String message) {
    return message == null ? "no details" : message.replaceAll("\\s*\\R\\s*", " ");
  }
}
