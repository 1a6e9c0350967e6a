package io.maskstream.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.broker.testing.KafkaBrokerExtension;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The secured mode: TLS, SCRAM users, mutual TLS, ACLs per role, secrets kept across starts. */
class SecureEmbeddedKafkaIT {
  @RegisterExtension static KafkaBrokerExtension kafka = KafkaBrokerExtension.secured();

  @BeforeAll
  static void topics() {
    kafka.createTopic("maskstream.frames", 1);
    kafka.createTopic("maskstream.models", 1);
  }

  static Properties load(Path file) throws Exception {
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file)) {
      p.load(in);
    }
    return p;
  }

  static void send(Properties props, String topic, String value) throws Exception {
    props.put("max.block.ms", "10000");
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(topic, "cam", value)).get(20, TimeUnit.SECONDS);
    }
  }

  static Throwable cause(ThrowingRunnable r) {
    try {
      r.run();
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      return e;
    }
    throw new AssertionError("no failure");
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void rolesWriteAndReadWhatTheirAclsAllow() throws Exception {
    SecureBrokerFiles secrets = kafka.secrets();
    Properties ingest = load(kafka.clientProperties(BrokerRole.INGEST));
    assertThat(ingest.getProperty("security.protocol")).isEqualTo("SASL_SSL");
    assertThat(ingest.getProperty("bootstrap.servers")).isEqualTo(kafka.bootstrapServers());
    send(ingest, "maskstream.frames", "over SASL_SSL");
    // mutual TLS, the certificate's CN being the user
    send(load(secrets.mtlsClientProperties(BrokerRole.INGEST)), "maskstream.frames", "over mTLS");

    Properties sink = load(kafka.clientProperties(BrokerRole.SINK));
    sink.put("group.id", "maskstream-sink-it");
    sink.put("auto.offset.reset", "earliest");
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(sink, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of("maskstream.frames"));
      List<String> values = new java.util.ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (values.size() < 2 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          values.add(r.value());
        }
      }
      assertThat(values).containsExactly("over SASL_SSL", "over mTLS");
    }

    // only the publisher writes models
    assertThat(
            cause(
                () ->
                    send(
                        load(kafka.clientProperties(BrokerRole.INGEST)), "maskstream.models", "x")))
        .isInstanceOf(TopicAuthorizationException.class);
    send(load(kafka.clientProperties(BrokerRole.PUBLISHER)), "maskstream.models", "model");
    // only admin creates topics at will
    try (Admin admin = Admin.create(load(kafka.clientProperties(BrokerRole.ADMIN)))) {
      admin
          .createTopics(
              List.of(new org.apache.kafka.clients.admin.NewTopic("by-admin", 1, (short) 1)))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aWrongPasswordOrAnUntrustedBrokerIsRefused(@TempDir Path dir) throws Exception {
    Properties wrong = load(kafka.clientProperties(BrokerRole.INGEST));
    wrong.put("sasl.jaas.config", SecureBrokerFiles.scramJaas("ingest", "not-the-password"));
    assertThat(cause(() -> send(wrong, "maskstream.frames", "x")))
        .isInstanceOf(SaslAuthenticationException.class);

    // a trust store without the broker's CA
    Path otherCa = dir.resolve("other");
    SecureBrokerFiles other = SecureBrokerFiles.createOrLoad(otherCa);
    Properties untrusting = load(kafka.clientProperties(BrokerRole.INGEST));
    untrusting.put("ssl.truststore.location", other.truststore().toString());
    untrusting.put("ssl.truststore.password", other.storePassword());
    assertThat(cause(() -> send(untrusting, "maskstream.frames", "x")))
        .isInstanceOf(SslAuthenticationException.class);

    // mutual TLS with a client certificate of another CA
    Properties stranger = load(kafka.secrets().mtlsClientProperties(BrokerRole.INGEST));
    stranger.put("ssl.keystore.location", other.keystore(BrokerRole.INGEST).toString());
    stranger.put("ssl.keystore.password", other.storePassword());
    stranger.put("ssl.key.password", other.storePassword());
    assertThat(cause(() -> send(stranger, "maskstream.frames", "x")))
        .isInstanceOf(SslAuthenticationException.class)
        .hasRootCauseMessage("Received fatal alert: bad_certificate");
  }

  @Test
  void secretsAreOwnerOnlyAndKeptAcrossStarts(@TempDir Path dir) throws Exception {
    Path secretsDir = dir.resolve("secrets");
    String password;
    try (EmbeddedKafka first =
        EmbeddedKafka.builder().dataDir(dir.resolve("data")).secure(secretsDir).build().start()) {
      password = first.secrets().password(BrokerRole.DETECTOR);
      for (String file :
          List.of(
              "secrets.properties",
              "ingest.properties",
              "detector.properties",
              "sink.properties",
              "publisher.properties",
              "admin.properties",
              "broker.p12",
              "ingest.p12",
              "truststore.p12",
              "ca.crt")) {
        assertThat(secretsDir.resolve(file)).isRegularFile();
        assertThat(
                PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(secretsDir.resolve(file))))
            .as(file)
            .isEqualTo("rw-------");
      }
    }
    try (EmbeddedKafka again =
        EmbeddedKafka.builder().dataDir(dir.resolve("data")).secure(secretsDir).build().start()) {
      assertThat(again.secrets().password(BrokerRole.DETECTOR)).isEqualTo(password);
      Properties detector = load(again.secrets().clientProperties(BrokerRole.DETECTOR));
      assertThat(detector.getProperty("bootstrap.servers")).isEqualTo(again.bootstrapServers());
      try (Admin admin = Admin.create(detector)) {
        assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).hasSize(1);
      }
    }
  }
}
