package io.maskstream.ingest.publish;

import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;

/** Prepares the frames topic before ingest produces to it. */
public final class FrameTopic {
  private FrameTopic() {}

  /**
   * Creates the frames topic of {@code names} when it is missing (with {@link Topics}' configs) and
   * waits until every partition has a leader, so the first frames are not sent to a partition that
   * is still being created.
   *
   * @throws KafkaException when Kafka cannot be reached or refuses within {@code timeout}
   */
  public static void prepare(Properties clientProperties, TopicNames names, Duration timeout) {
    Admin admin = Admin.create(clientProperties);
    try {
      Topics.ensure(
          admin,
          Topics.specs(names, Topics.DEFAULT_PARTITIONS).stream()
              .filter(spec -> spec.name().equals(names.frames()))
              .toList(),
          timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        TopicDescription description =
            admin
                .describeTopics(List.of(names.frames()))
                .allTopicNames()
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .get(names.frames());
        boolean led =
            description.partitions().stream()
                .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
        if (led || System.nanoTime() > deadline) {
          return;
        }
        Thread.sleep(100);
      }
    } catch (ExecutionException e) {
      throw new KafkaException(
          "cannot describe topic " + names.frames() + ": " + e.getCause().getMessage(),
          e.getCause());
    } catch (TimeoutException e) {
      throw new KafkaException(
          "Kafka did not answer within " + timeout.toSeconds() + " s: check --bootstrap", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while preparing " + names.frames(), e);
    } finally {
      // calls still pending when Kafka did not answer are abandoned, not awaited
      admin.close(Duration.ZERO);
    }
  }
}
