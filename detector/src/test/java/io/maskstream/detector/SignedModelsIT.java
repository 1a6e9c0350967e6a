package io.maskstream.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.maskstream.broker.testing.KafkaBrokerExtension;
import io.maskstream.detector.model.OnnxMaskRcnn;
import io.maskstream.detector.store.ModelSignatures;
import io.maskstream.detector.store.ModelWatcher;
import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.avro.ModelAnnouncement;
import io.maskstream.schemas.models.ModelStore;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * A detector that trusts one publisher key: unsigned models, models signed by another key, a
 * signature made for another model name and a tampered file are each refused with their reason
 * while the old model keeps serving; the model published with {@code publish --sign} swaps in.
 */
class SignedModelsIT {
  @RegisterExtension static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  private static final String NAME = "shapes-torchvision";

  @Test
  void onlyModelsSignedByATrustedKeySwapIn(@TempDir Path dir) throws Exception {
    String bootstrap = kafka.bootstrapServers();
    TopicNames topics = DetectorItKit.createTopics(bootstrap, "signed", 1);
    Properties client = DetectorItKit.client(bootstrap);
    Path clientFile =
        Files.write(dir.resolve("client.properties"), DetectorItKit.topicLines(topics));
    Path keys = dir.resolve("keys");
    assertThat(
            new CommandLine(new KeysCommand())
                .execute("generate", "--out", keys.toString(), "--name", "publisher"))
        .isZero();
    KeyPair stranger = ModelSignatures.generate();
    ModelSignatures.write(stranger, dir, "stranger");

    byte[] original = Files.readAllBytes(Fixtures.model());
    byte[] v2 = HotSwapIT.withMetadata(original, "maskstream.note", "signed");
    String v1Version = OnnxMaskRcnn.sha256Hex(original).substring(0, 12);
    String v2Sha = OnnxMaskRcnn.sha256Hex(v2);
    Path v2File = Files.write(dir.resolve(NAME + ".onnx"), v2);

    Logger watcherLog = (Logger) LoggerFactory.getLogger(ModelWatcher.class);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    watcherLog.addAppender(logged);
    DetectorConfig config =
        DetectorItKit.config(topics, "detector-signed", client).toBuilder()
            .trust(ModelSignatures.Trust.load(keys.resolve("publisher.pub")))
            .build();
    try (DetectorService service = DetectorService.start(config)) {
      ModelStore store = new ModelStore(client, ModelStore.topicFor(topics.models()));
      String v2Location = store.put(v2);
      byte[] v2Message = ModelSignatures.message(NAME, v2Sha);
      String publisherId =
          ModelSignatures.keyId(ModelSignatures.readPublic(keys.resolve("publisher.pub")));
      byte[] publisherSignature =
          ModelSignatures.sign(
              ModelSignatures.readPrivate(keys.resolve("publisher.key")), v2Message);

      // unsigned
      announce(topics, DetectorItKit.announcement(NAME, v2, v2Location, null));
      // signed by a key the detector does not trust
      announce(
          topics,
          DetectorItKit.announcement(NAME, v2, v2Location, null)
              .setSignature(ByteBuffer.wrap(ModelSignatures.sign(stranger.getPrivate(), v2Message)))
              .setSigningKey(ModelSignatures.keyId(stranger.getPublic())));
      // the trusted key's signature of another model name
      announce(
          topics,
          DetectorItKit.announcement(NAME, v2, v2Location, null)
              .setSignature(
                  ByteBuffer.wrap(
                      ModelSignatures.sign(
                          ModelSignatures.readPrivate(keys.resolve("publisher.key")),
                          ModelSignatures.message("other-model", v2Sha))))
              .setSigningKey(publisherId));
      // a correctly signed announcement whose stored file was tampered with
      byte[] tampered = v2.clone();
      tampered[tampered.length - 3] ^= 1;
      announce(
          topics,
          DetectorItKit.announcement(NAME, v2, store.put(tampered), null)
              .setSignature(ByteBuffer.wrap(publisherSignature))
              .setSigningKey(publisherId));

      await().atMost(Duration.ofMinutes(1)).until(() -> refusals(logged).size() >= 4);
      List<String> refusals = refusals(logged);
      assertThat(refusals.get(0)).contains("the model is not signed");
      assertThat(refusals.get(1))
          .contains("signed by key " + ModelSignatures.keyId(stranger.getPublic()))
          .contains("does not trust");
      assertThat(refusals.get(2)).contains("does not match the model's name and sha256");
      assertThat(refusals.get(3)).contains("sha256 of the fetched file is");
      assertThat(refusals).allSatisfy(r -> assertThat(r).contains("still serving"));
      assertThat(service.segmenter().model().version()).isEqualTo(v1Version);

      // published and signed as a user does: swaps in
      int exit =
          new CommandLine(new PublishCommand())
              .execute(
                  "--model",
                  v2File.toString(),
                  "--sign",
                  keys.resolve("publisher.key").toString(),
                  "--bootstrap",
                  bootstrap,
                  "--kafka-config",
                  clientFile.toString());
      assertThat(exit).isZero();
      await()
          .atMost(Duration.ofMinutes(2))
          .until(() -> service.segmenter().model().version().equals(v2Sha.substring(0, 12)));
    } finally {
      watcherLog.detachAppender(logged);
    }
  }

  private static void announce(TopicNames topics, ModelAnnouncement.Builder a) throws Exception {
    DetectorItKit.announce(kafka.bootstrapServers(), topics, a.build());
    Thread.sleep(1500); // one poll of the watcher each: the newest of a poll is the one considered
  }

  private static List<String> refusals(ListAppender<ILoggingEvent> logged) {
    return logged.list.stream()
        .map(ILoggingEvent::getFormattedMessage)
        .filter(m -> m.startsWith("refused model"))
        .toList();
  }
}
