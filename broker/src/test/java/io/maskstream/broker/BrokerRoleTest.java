package io.maskstream.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BrokerRoleTest {

  /** The roles allowed {@code operation} on the literal topic {@code maskstream.NAME}. */
  static List<BrokerRole> allowed(AclOperation operation, String name) {
    return Arrays.stream(BrokerRole.values())
        .filter(
            role ->
                role.acls().stream()
                    .anyMatch(
                        acl ->
                            acl.pattern().resourceType() == ResourceType.TOPIC
                                && acl.pattern().patternType() == PatternType.LITERAL
                                && acl.pattern().name().equals("maskstream." + name)
                                && acl.entry().operation() == operation))
        .toList();
  }

  @Test
  void eachTopicHasTheWritersAndReadersOfItsRoles() {
    assertThat(allowed(AclOperation.WRITE, "frames")).containsExactly(BrokerRole.INGEST);
    assertThat(allowed(AclOperation.WRITE, "models")).containsExactly(BrokerRole.PUBLISHER);
    assertThat(allowed(AclOperation.WRITE, "models.store")).containsExactly(BrokerRole.PUBLISHER);
    assertThat(allowed(AclOperation.WRITE, "models.versions"))
        .containsExactly(BrokerRole.PUBLISHER);
    assertThat(allowed(AclOperation.WRITE, "models.serving")).containsExactly(BrokerRole.DETECTOR);
    assertThat(allowed(AclOperation.READ, "models.serving")).containsExactly(BrokerRole.PUBLISHER);
    assertThat(allowed(AclOperation.WRITE, "models.shadow")).containsExactly(BrokerRole.PUBLISHER);
    assertThat(allowed(AclOperation.READ, "models.shadow"))
        .containsExactly(BrokerRole.DETECTOR, BrokerRole.PUBLISHER);
    assertThat(allowed(AclOperation.WRITE, "models.shadow.reports"))
        .containsExactly(BrokerRole.DETECTOR);
    assertThat(allowed(AclOperation.READ, "models.shadow.reports"))
        .containsExactly(BrokerRole.PUBLISHER);
    assertThat(allowed(AclOperation.WRITE, "zones")).containsExactly(BrokerRole.PUBLISHER);
    assertThat(allowed(AclOperation.WRITE, "detections")).containsExactly(BrokerRole.DETECTOR);
    assertThat(allowed(AclOperation.WRITE, "dlq"))
        .containsExactly(BrokerRole.DETECTOR, BrokerRole.SINK);
    assertThat(allowed(AclOperation.READ, "frames"))
        .containsExactly(BrokerRole.INGEST, BrokerRole.DETECTOR, BrokerRole.SINK);
    assertThat(allowed(AclOperation.WRITE, "camera-status"))
        .containsExactly(BrokerRole.INGEST, BrokerRole.PUBLISHER);
    assertThat(allowed(AclOperation.READ, "camera-status"))
        .containsExactly(BrokerRole.INGEST, BrokerRole.SINK, BrokerRole.PUBLISHER);
    assertThat(allowed(AclOperation.READ, "cameras"))
        .containsExactly(BrokerRole.INGEST, BrokerRole.SINK, BrokerRole.PUBLISHER);
    assertThat(allowed(AclOperation.READ, "detections")).containsExactly(BrokerRole.SINK);
  }

  @Test
  void onlyAdminMayCreateTopicsAtWill() {
    for (BrokerRole role : BrokerRole.values()) {
      boolean anyTopic =
          role.acls().stream()
              .map(AclBinding::pattern)
              .anyMatch(p -> p.resourceType() == ResourceType.CLUSTER || p.name().equals("*"));
      assertThat(anyTopic).as(role.name()).isEqualTo(role == BrokerRole.ADMIN);
    }
  }

  @Test
  void theSecuredModeListensOnSaslSslAndTlsOnlyWithTheStandardAuthorizer(@TempDir Path dir) {
    SecureBrokerFiles files = SecureBrokerFiles.createOrLoad(dir);
    Map<String, String> config = EmbeddedKafka.securityConfig(files, 9092, 9093, 9094);
    assertThat(config.get("listener.security.protocol.map"))
        .isEqualTo("CLIENT:SASL_SSL,INTERNAL:SSL,CONTROLLER:SSL");
    assertThat(config.get("listeners")).doesNotContain("PLAINTEXT");
    assertThat(config)
        .containsEntry("authorizer.class.name", EmbeddedKafka.AUTHORIZER)
        .containsEntry("allow.everyone.if.no.acl.found", "false")
        .containsEntry("super.users", "User:broker")
        .containsEntry("listener.name.internal.ssl.client.auth", "required");
    // the same folder again: the same secrets
    assertThat(SecureBrokerFiles.createOrLoad(dir).password(BrokerRole.INGEST))
        .isEqualTo(files.password(BrokerRole.INGEST));
  }
}
