package io.maskstream.broker;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The users of the secured embedded broker, one per maskstream role, and what each may do (its
 * ACLs). The user name is the role's name in lower case; its client properties file is {@code
 * NAME.properties}. The ACLs name the product's default topics ({@code maskstream.*}), consumer
 * groups and transactional ids.
 *
 * <p>Every role may describe the {@code maskstream.*} topics and their configs, which each command
 * does to check the topics before it starts.
 */
public enum BrokerRole {
  /**
   * {@code maskstream ingest}: writes frames (and creates the frames topic when missing) and its
   * cameras' status reports; reads the cameras topic in its group.
   */
  INGEST,
  /**
   * {@code maskstream detect}: reads frames, zones and models, writes the event and dead-letter
   * topics, what it serves (the models serving topic) and how a shadowed candidate agrees with it
   * (the shadow reports topic), in its Kafka Streams application (group, transactional ids and
   * internal topics prefixed by its application id, {@value #DETECTOR_APPLICATION_PREFIX} by
   * default).
   */
  DETECTOR,
  /**
   * {@code maskstream sink ...}: reads frames, zones, cameras, their status and the event topics in
   * groups {@value #SINK_GROUP_PREFIX}*, writes dead letters. Also {@code maskstream capture}: a
   * consumer of frames and events like the sinks, it reads frames, detections and masks with
   * assigned partitions outside any group, so the sink's read ACLs are all it needs and no role of
   * its own is added.
   */
  SINK,
  /**
   * {@code maskstream publish}, {@code rollback}, {@code models}, {@code shadow}, {@code zones} and
   * {@code camera}: the only writer of models (and their store, versions and shadow candidates),
   * zones and cameras; reads what detectors serve.
   */
  PUBLISHER,
  /** Creates, configures and deletes topics, describes groups: runs the cluster. */
  ADMIN;

  /** Prefix of the product's topic names. */
  public static final String TOPIC_PREFIX = "maskstream.";

  /** The default application id of {@code maskstream detect}, a prefix for the detector's ACLs. */
  public static final String DETECTOR_APPLICATION_PREFIX = "maskstream-detector";

  /** The ingest processes' default consumer group on the cameras topic. */
  public static final String INGEST_GROUP = "maskstream-ingest";

  /** The prefix of the sinks' default consumer groups ({@code maskstream-sink-NAME}). */
  public static final String SINK_GROUP_PREFIX = "maskstream-sink-";

  /** The user name, which is also the base name of its client properties file. */
  public String userName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The Kafka principal of this role's user: {@code User:NAME}. */
  public String principal() {
    return "User:" + userName();
  }

  /** The ACLs that allow this role what it may do. */
  public List<AclBinding> acls() {
    List<AclBinding> acls = new ArrayList<>();
    Acls a = new Acls(principal(), acls);
    a.topicPrefix(TOPIC_PREFIX, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS);
    switch (this) {
      case INGEST:
        // read too: a camera that moves here numbers its frames on from its newest ones
        a.topic("frames", AclOperation.WRITE, AclOperation.CREATE, AclOperation.READ);
        // cameras from the topic: read in the ingest processes' group
        a.topic("cameras", AclOperation.READ);
        // how its cameras are doing, for `camera list` and the web view
        a.topic("camera-status", AclOperation.WRITE, AclOperation.READ);
        a.add(
            ResourceType.GROUP,
            INGEST_GROUP,
            PatternType.LITERAL,
            AclOperation.READ,
            AclOperation.DESCRIBE);
        break;
      case DETECTOR:
        a.topic("frames", AclOperation.READ);
        a.topic("zones", AclOperation.READ);
        a.topic("models", AclOperation.READ);
        a.topic("models.store", AclOperation.READ);
        // what it serves, for 'maskstream models'
        a.topic("models.serving", AclOperation.WRITE);
        // the candidate to run beside the model it serves, and how the two agree
        a.topic("models.shadow", AclOperation.READ);
        a.topic("models.shadow.reports", AclOperation.WRITE);
        for (String out : List.of("detections", "masks", "objects", "zone-events", "dlq")) {
          a.topic(out, AclOperation.WRITE);
        }
        a.add(
            ResourceType.GROUP,
            DETECTOR_APPLICATION_PREFIX,
            PatternType.PREFIXED,
            AclOperation.READ,
            AclOperation.DESCRIBE);
        a.add(
            ResourceType.TRANSACTIONAL_ID,
            DETECTOR_APPLICATION_PREFIX,
            PatternType.PREFIXED,
            AclOperation.WRITE,
            AclOperation.DESCRIBE);
        // Kafka Streams' changelog and repartition topics
        a.add(
            ResourceType.TOPIC,
            DETECTOR_APPLICATION_PREFIX,
            PatternType.PREFIXED,
            AclOperation.ALL);
        break;
      case SINK:
        for (String in :
            List.of(
                "frames",
                "detections",
                "masks",
                "objects",
                "zones",
                "zone-events",
                "cameras",
                "camera-status")) {
          a.topic(in, AclOperation.READ);
        }
        a.topic("dlq", AclOperation.WRITE);
        a.add(
            ResourceType.GROUP,
            SINK_GROUP_PREFIX,
            PatternType.PREFIXED,
            AclOperation.READ,
            AclOperation.DESCRIBE);
        break;
      case PUBLISHER:
        a.topic("models", AclOperation.WRITE, AclOperation.READ, AclOperation.CREATE);
        a.topic("models.store", AclOperation.WRITE, AclOperation.READ, AclOperation.CREATE);
        a.topic("models.versions", AclOperation.WRITE, AclOperation.READ, AclOperation.CREATE);
        a.topic("models.serving", AclOperation.READ);
        // `shadow start|promote|discard` write the candidate; `shadow show` reads the reports
        a.topic("models.shadow", AclOperation.WRITE, AclOperation.READ, AclOperation.CREATE);
        a.topic("models.shadow.reports", AclOperation.READ);
        a.topic("zones", AclOperation.WRITE, AclOperation.READ);
        a.topic("cameras", AclOperation.WRITE, AclOperation.READ);
        // `camera list` shows the fleet's reports; `camera remove` clears the camera's report
        a.topic("camera-status", AclOperation.WRITE, AclOperation.READ);
        break;
      case ADMIN:
        a.add(
            ResourceType.CLUSTER,
            "kafka-cluster",
            PatternType.LITERAL,
            AclOperation.CREATE,
            AclOperation.DESCRIBE,
            AclOperation.DESCRIBE_CONFIGS);
        a.add(
            ResourceType.TOPIC,
            "*",
            PatternType.LITERAL,
            AclOperation.CREATE,
            AclOperation.DELETE,
            AclOperation.DESCRIBE,
            AclOperation.DESCRIBE_CONFIGS,
            AclOperation.ALTER_CONFIGS);
        a.add(ResourceType.GROUP, "*", PatternType.LITERAL, AclOperation.DESCRIBE);
        break;
      default:
        throw new IllegalStateException("no ACLs for " + this);
    }
    return acls;
  }

  /** The ACLs of every role. */
  public static List<AclBinding> allAcls() {
    List<AclBinding> all = new ArrayList<>();
    for (BrokerRole role : values()) {
      all.addAll(role.acls());
    }
    return all;
  }

  /** Collects allow-ACLs of one principal from any host. */
  private record Acls(String principal, List<AclBinding> out) {
    void topic(String defaultName, AclOperation... operations) {
      add(ResourceType.TOPIC, TOPIC_PREFIX + defaultName, PatternType.LITERAL, operations);
    }

    void topicPrefix(String prefix, AclOperation... operations) {
      add(ResourceType.TOPIC, prefix, PatternType.PREFIXED, operations);
    }

    void add(ResourceType type, String name, PatternType pattern, AclOperation... operations) {
      ResourcePattern resource = new ResourcePattern(type, name, pattern);
      for (AclOperation operation : operations) {
        out.add(
            new AclBinding(
                resource,
                new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW)));
      }
    }
  }
}
