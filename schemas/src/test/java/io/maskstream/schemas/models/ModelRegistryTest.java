package io.maskstream.schemas.models;

import static org.assertj.core.api.Assertions.assertThat;

import io.maskstream.schemas.avro.ModelAnnouncement;
import io.maskstream.schemas.internal.TrustedClasses;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ModelRegistryTest {
  @BeforeAll
  static void trust() {
    TrustedClasses.install();
  }

  private static ModelAnnouncement version(String version, long publishedSecond) {
    return ModelAnnouncement.newBuilder()
        .setName("shapes")
        .setVersion(version)
        .setLocation("kafka://maskstream.models.store/" + version)
        .setSha256(version)
        .setSizeBytes(1)
        .setMetrics(new HashMap<>())
        .setProvenance(new HashMap<>())
        .setPublishedTime(Instant.ofEpochSecond(publishedSecond))
        .build();
  }

  @Test
  void theTopicsAreNamedAfterTheModelsTopic() {
    assertThat(ModelRegistry.versionsTopic("site.models")).isEqualTo("site.models.versions");
    assertThat(ModelRegistry.servingTopic("site.models")).isEqualTo("site.models.serving");
    assertThat(ModelStore.topicFor("site.models")).isEqualTo("site.models.store");
    assertThat(ModelRegistry.versionKey("shapes", "3f2a9c01b7de")).isEqualTo("shapes@3f2a9c01b7de");
  }

  @Test
  void aRollbackGoesToTheVersionPublishedBeforeTheCurrentOneAndFurtherBackEachTime() {
    List<ModelAnnouncement> versions =
        List.of(version("aaaa01", 1), version("bbbb02", 2), version("cccc03", 3));
    assertThat(ModelRegistry.previous(versions, "cccc03"))
        .map(a -> a.getVersion())
        .hasValue("bbbb02");
    // after rolling back to bbbb02, the next rollback goes further back, not forward again
    assertThat(ModelRegistry.previous(versions, "bbbb02"))
        .map(a -> a.getVersion())
        .hasValue("aaaa01");
    assertThat(ModelRegistry.previous(versions, "aaaa01")).isEmpty();
    // a current version announced before versions were recorded: the newest recorded one
    assertThat(ModelRegistry.previous(versions, "ffff00"))
        .map(a -> a.getVersion())
        .hasValue("cccc03");
    assertThat(ModelRegistry.previous(List.of(), "ffff00")).isEmpty();
  }

  @Test
  void versionsAreFoundByTheirFirstDigits() {
    List<ModelAnnouncement> versions =
        List.of(version("3f2a9c01b7de", 1), version("3f2b00000000", 2), version("9e8d7c6b5a41", 3));
    assertThat(ModelRegistry.matching(versions, "9E8D"))
        .extracting(a -> a.getVersion())
        .containsExactly("9e8d7c6b5a41");
    assertThat(ModelRegistry.matching(versions, "3f2")).hasSize(2);
    assertThat(ModelRegistry.matching(versions, "3f2a9c01b7de")).hasSize(1);
    assertThat(ModelRegistry.matching(versions, "0000")).isEmpty();
  }
}
