package io.maskstream.detector;

import io.maskstream.schemas.TopicNames;
import io.maskstream.schemas.cli.UserException;
import java.util.Properties;

/** What the detector's commands share besides their options. */
final class CommandSupport {
  private CommandSupport() {}

  /**
   * The topic names that the client properties give ({@code maskstream.topic.*}, else the
   * defaults).
   *
   * @throws UserException for a name Kafka does not accept
   */
  static TopicNames topics(Properties clientProperties) {
    try {
      return TopicNames.from(clientProperties);
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage());
    }
  }
}
