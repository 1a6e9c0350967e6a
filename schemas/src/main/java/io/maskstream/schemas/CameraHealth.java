package io.maskstream.schemas;

import io.maskstream.schemas.avro.CameraRunState;
import io.maskstream.schemas.avro.CameraStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * What a camera's newest status report means now: the one reading of the camera status topic that
 * {@code maskstream camera list} and the web view share.
 *
 * <p>A report is stale when it is older than {@value #STALE_INTERVALS} of its own report intervals:
 * the process that ran the camera stopped reporting (killed, or cut off from Kafka), so what it
 * last said no longer holds.
 *
 * @param camera camera id
 * @param condition the camera's condition now
 * @param status the newest report, or {@code null} when there is none
 * @param age how old the report is ({@link Duration#ZERO} without one)
 */
public record CameraHealth(String camera, Condition condition, CameraStatus status, Duration age) {

  /** Intervals after which a report is stale. */
  public static final int STALE_INTERVALS = 3;

  /** A camera's condition, as people read it. */
  public enum Condition {
    /** Frames are coming. */
    UP,
    /** Its source is being opened. */
    CONNECTING,
    /** Its source failed or went silent; the owner is reconnecting. */
    DOWN,
    /** A file or folder that does not loop ended. */
    FINISHED,
    /** Its settings cannot be used (the report says why). */
    INVALID,
    /** Defined but disabled: nothing should run it. */
    DISABLED,
    /** Defined and enabled, but no process reports it (none started it yet, or it stopped). */
    NOT_RUNNING,
    /** Its owner stopped reporting. */
    STALE;

    /** Lower case, as printed. */
    public String word() {
      return name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }

    /** Whether the camera needs someone's attention (everything but up, connecting, disabled). */
    public boolean alarming() {
      return this != UP && this != CONNECTING && this != DISABLED && this != FINISHED;
    }
  }

  /**
   * The health of {@code camera}.
   *
   * @param enabled whether its definition says it should run
   * @param status its newest report, or {@code null}
   * @param now the time to judge the report's age by
   */
  public static CameraHealth of(String camera, boolean enabled, CameraStatus status, Instant now) {
    if (status == null) {
      return new CameraHealth(
          camera, enabled ? Condition.NOT_RUNNING : Condition.DISABLED, null, Duration.ZERO);
    }
    Duration age = Duration.between(status.getReportedAt(), now);
    if (age.isNegative()) {
      age = Duration.ZERO; // clocks of two hosts
    }
    if (!enabled) {
      return new CameraHealth(camera, Condition.DISABLED, status, age);
    }
    long staleMillis = (long) STALE_INTERVALS * Math.max(1, status.getReportIntervalMs());
    if (age.toMillis() > staleMillis && status.getState() != CameraRunState.STOPPED) {
      return new CameraHealth(camera, Condition.STALE, status, age);
    }
    return new CameraHealth(camera, condition(status.getState()), status, age);
  }

  private static Condition condition(CameraRunState state) {
    switch (state) {
      case STREAMING:
        return Condition.UP;
      case CONNECTING:
        return Condition.CONNECTING;
      case DOWN:
        return Condition.DOWN;
      case FINISHED:
        return Condition.FINISHED;
      case INVALID:
        return Condition.INVALID;
      case STOPPED:
      default:
        return Condition.NOT_RUNNING;
    }
  }

  /** Frames per second over the owner's last interval, or 0 unless up. */
  public double fps() {
    return condition == Condition.UP ? status.getFps() : 0;
  }

  /** The owner's last error (passwords masked), or {@code null}. */
  public String lastError() {
    return status == null || status.getLastError() == null
        ? null
        : CameraUrls.mask(status.getLastError());
  }

  /**
   * One line for people: the condition and what explains it, e.g. {@code down: cannot read
   * rtsp://viewer:***@10.0.0.7/stream1: Connection refused} or {@code stale: no report for 41 s
   * from host-a pid 4242}.
   */
  public String summary() {
    switch (condition) {
      case STALE:
        return "stale: no report for " + age.toSeconds() + " s from " + status.getOwner();
      case NOT_RUNNING:
        return status == null
            ? "not running: no ingest process reports it"
            : "not running: stopped by " + status.getOwner();
      case DOWN:
      case INVALID:
        String error = lastError();
        return condition.word() + (error == null ? "" : ": " + error);
      case UP:
        return String.format(Locale.ROOT, "up: %.1f fps", status.getFps());
      default:
        return condition.word();
    }
  }
}
