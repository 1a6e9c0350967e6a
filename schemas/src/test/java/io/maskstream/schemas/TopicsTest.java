package io.maskstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

class TopicsTest {

  @Test
  void framesTakeEightMibAndAreShortLived() {
    Topics.Spec frames = spec("maskstream.frames");
    assertThat(frames.partitions()).isEqualTo(4);
    assertThat(frames.configs())
        .containsEntry("max.message.bytes", "8388608")
        .containsEntry("retention.ms", "3600000");
  }

  @Test
  void modelsAreCompactedInOnePartition() {
    Topics.Spec models = spec("maskstream.models");
    assertThat(models.partitions()).isEqualTo(1);
    assertThat(models.configs()).containsEntry("cleanup.policy", "compact");
  }

  @Test
  void modelVersionsAndWhatDetectorsServeAreCompactedBesideTheModelsTopic() {
    for (String name :
        List.of(
            "maskstream.models.versions",
            "maskstream.models.serving",
            "maskstream.models.shadow",
            "maskstream.models.shadow.reports")) {
      assertThat(spec(name).partitions()).isEqualTo(1);
      assertThat(spec(name).configs()).containsEntry("cleanup.policy", "compact");
    }
    TopicNames site = TopicNames.from(Map.of("maskstream.topic.models", "site1.models"));
    assertThat(Topics.specs(site, 1))
        .extracting(Topics.Spec::name)
        .contains(
            "site1.models.versions",
            "site1.models.serving",
            "site1.models.shadow",
            "site1.models.shadow.reports");
  }

  @Test
  void camerasAreCompactedWithThePerCameraPartitionCount() {
    Topics.Spec cameras = spec("maskstream.cameras");
    assertThat(cameras.partitions()).isEqualTo(Topics.DEFAULT_PARTITIONS);
    assertThat(cameras.configs()).containsEntry("cleanup.policy", "compact");
    assertThat(TopicNames.from(Map.of("maskstream.topic.cameras", "site1.cameras")).cameras())
        .isEqualTo("site1.cameras");
  }

  @Test
  void zonesAreCompactedAndZoneEventsPartitionedByCamera() {
    Topics.Spec zones = spec("maskstream.zones");
    assertThat(zones.partitions()).isEqualTo(1);
    assertThat(zones.configs()).containsEntry("cleanup.policy", "compact");
    assertThat(spec("maskstream.zone-events").partitions()).isEqualTo(4);
    assertThat(TopicNames.from(Map.of("maskstream.topic.zone-events", "a.b")).zoneEvents())
        .isEqualTo("a.b");
  }

  @Test
  void deadLettersTakeAWholeFramePlusTheReason() {
    assertThat(Integer.parseInt(spec("maskstream.dlq").configs().get("max.message.bytes")))
        .isGreaterThan(Topics.MAX_FRAME_BYTES);
  }

  @Test
  void newTopicUsesTheClusterReplicationFactor() {
    NewTopic topic = spec("maskstream.detections").toNewTopic();
    assertThat(topic.replicationFactor()).isEqualTo((short) -1);
    assertThat(topic.numPartitions()).isEqualTo(4);
  }

  @Test
  void namesComeFromPropertiesAndAreValidated() {
    TopicNames names = TopicNames.from(Map.of("maskstream.topic.frames", "site1.frames"));
    assertThat(names.frames()).isEqualTo("site1.frames");
    assertThat(names.detections()).isEqualTo("maskstream.detections");
    assertThatThrownBy(() -> TopicNames.from(Map.of("maskstream.topic.dlq", "bad name")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid topic name 'bad name'");
    assertThatThrownBy(() -> Topics.specs(TopicNames.DEFAULTS, 0))
        .hasMessageContaining("at least 1");
  }

  private static Topics.Spec spec(String name) {
    List<Topics.Spec> specs = Topics.specs(TopicNames.DEFAULTS, Topics.DEFAULT_PARTITIONS);
    return specs.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
  }
}
