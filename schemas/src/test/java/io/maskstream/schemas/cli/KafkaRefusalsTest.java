package io.maskstream.schemas.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLHandshakeException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

class KafkaRefusalsTest {
  static final Map<String, String> SCRAM =
      Map.of(
          "bootstrap.servers", "127.0.0.1:9092",
          "security.protocol", "SASL_SSL",
          "sasl.mechanism", "SCRAM-SHA-512",
          "sasl.jaas.config",
              "org.apache.kafka.common.security.scram.ScramLoginModule required"
                  + " username=\"ingest\" password=\"secret\";");

  @Test
  void wrongCredentialsNameTheUserAndTheSetting() {
    Exception e =
        new KafkaException(
            "cannot create topics",
            new ExecutionException(new SaslAuthenticationException("invalid credentials")));
    assertThat(KafkaRefusals.describe(e, SCRAM))
        .contains(
            "Kafka refused the credentials of user ingest (SCRAM-SHA-512): check sasl.jaas.config"
                + " in --kafka-config");
    assertThat(KafkaRefusals.isAuthenticationFailure(e)).isTrue();
  }

  @Test
  void anUntrustedBrokerCertificateIsSaidSo() {
    Exception e =
        new SslAuthenticationException(
            "SSL handshake failed",
            new SSLHandshakeException(
                "PKIX path building failed: unable to find valid certification path"));
    assertThat(KafkaRefusals.describe(e, SCRAM).orElseThrow())
        .startsWith(
            "the TLS handshake with Kafka at 127.0.0.1:9092 failed (the broker's certificate is"
                + " not signed by a CA in the trust store): check that ssl.truststore.location")
        .doesNotContain("\n");
  }

  @Test
  void aRefusedClientCertificatePointsAtTheKeyStore() {
    Exception e =
        new SslAuthenticationException(
            "Failed to process post-handshake messages",
            new SSLHandshakeException("Received fatal alert: bad_certificate"));
    assertThat(
            KafkaRefusals.describe(
                e, Map.of("bootstrap.servers", "127.0.0.1:9093", "security.protocol", "SSL")))
        .contains(
            "the TLS handshake with Kafka at 127.0.0.1:9093 failed (the broker did not accept the"
                + " client certificate): check that ssl.keystore.location in --kafka-config holds"
                + " a certificate signed by a CA the broker trusts");
  }

  @Test
  void missingAclsNameUserAndResource() {
    assertThat(
            KafkaRefusals.describe(
                new TopicAuthorizationException(Set.of("maskstream.models.store")), SCRAM))
        .contains(
            "Kafka denied user ingest access to topic maskstream.models.store: use the"
                + " --kafka-config of a user that may, or grant ingest an ACL for it");
    assertThat(
            KafkaRefusals.describe(
                new GroupAuthorizationException("denied", "maskstream-detector"), Map.of()))
        .hasValueSatisfying(
            m -> assertThat(m).startsWith("Kafka denied user ANONYMOUS access to consumer group"));
    assertThat(KafkaRefusals.isAuthenticationFailure(new TopicAuthorizationException("x")))
        .isFalse();
  }

  @Test
  void otherFailuresAreNoRefusal() {
    assertThat(KafkaRefusals.describe(new KafkaException(new TimeoutException("slow")), SCRAM))
        .isEmpty();
    assertThat(KafkaRefusals.isRefusal(new IllegalStateException())).isFalse();
  }
}
