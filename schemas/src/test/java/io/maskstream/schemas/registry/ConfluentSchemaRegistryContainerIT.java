package io.maskstream.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.schemas.AvroSerde;
import io.maskstream.schemas.avro.Frame;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.ConfluentKafkaContainer;

/**
 * Our registry client against Confluent's real Schema Registry. Needs a Docker engine; skipped
 * cleanly where there is none.
 */
@Testcontainers(disabledWithoutDocker = true)
class ConfluentSchemaRegistryContainerIT {
  private static final String CONFLUENT_VERSION = "7.9.0";
  private static final Network NETWORK = Network.newNetwork();

  @Container
  static final ConfluentKafkaContainer KAFKA =
      new ConfluentKafkaContainer("confluentinc/cp-kafka:" + CONFLUENT_VERSION)
          .withNetwork(NETWORK)
          .withListener("kafka:19092");

  @Container
  static final GenericContainer<?> REGISTRY =
      new GenericContainer<>("confluentinc/cp-schema-registry:" + CONFLUENT_VERSION)
          .withNetwork(NETWORK)
          .dependsOn(KAFKA)
          .withExposedPorts(8081)
          .withEnv("SCHEMA_REGISTRY_HOST_NAME", "schema-registry")
          .withEnv("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:8081")
          .withEnv("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "PLAINTEXT://kafka:19092")
          .waitingFor(Wait.forHttp("/subjects").forStatusCode(200));

  @Test
  void registersWritesAndReadsBackThroughTheRealRegistry() throws Exception {
    String url = "http://" + REGISTRY.getHost() + ":" + REGISTRY.getMappedPort(8081);
    Map<String, Object> config = Map.of("schema.registry.url", url);
    AvroSerde<Frame> writer = new AvroSerde<>(Frame.class, config, false);
    AvroSerde<Frame> reader = new AvroSerde<>(Frame.class, config, false);

    Frame frame = ConfluentWireFormatTest.frame(7);
    byte[] bytes = writer.serialize("maskstream.frames", frame);
    assertThat(bytes[0]).isZero();
    assertThat(reader.deserialize("maskstream.frames", bytes)).isEqualTo(frame);

    int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
    HttpResponse<String> byId =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url + "/schemas/ids/" + id)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(byId.statusCode()).isEqualTo(200);
    assertThat(byId.body()).contains("io.maskstream.schemas.avro");

    AvroSerde<Frame> strict =
        new AvroSerde<>(
            Frame.class, Map.of("schema.registry.url", url, "auto.register.schemas", false), false);
    assertThat(ByteBuffer.wrap(strict.serialize("maskstream.frames", frame), 1, 4).getInt())
        .isEqualTo(id);
  }
}
