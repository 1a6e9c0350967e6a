package io.maskstream.ingest.publish;

import io.maskstream.ingest.metrics.CameraMetrics;
import io.maskstream.ingest.metrics.CameraMetrics.DropReason;
import io.maskstream.schemas.avro.Frame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link FrameSink} that bounds what waits for Kafka: per camera at most {@code inFlight} frames
 * handed to the {@link RecordSender} and not yet acknowledged, plus one frame waiting. A newer live
 * frame replaces the waiting one (counted as {@link DropReason#SUPERSEDED}), so when Kafka is slow
 * or down ingest keeps the newest frame of each camera and memory stays bounded; when Kafka comes
 * back, sending resumes with the newest frames. A camera whose source waits for room (files and
 * folders: every frame is meant to arrive) loses none that way: a frame Kafka failed to take for a
 * passing reason (timeout, no leader, broker away) is sent again, before the one waiting, in
 * sequence order.
 *
 * <p>One dispatcher thread moves waiting frames to the sender, round robin across cameras, so a
 * sender that blocks (metadata unavailable) never blocks a source. The dispatcher owns its thread
 * and closes the sender on {@link #close(Duration)}.
 */
public final class LatestFrameDispatcher implements FrameSink, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LatestFrameDispatcher.class);

  private final RecordSender sender;
  private final int inFlightLimit;
  private final Function<String, CameraMetrics> metrics;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  private final Condition room = lock.newCondition();
  private final Condition settledSignal = lock.newCondition();
  private final Map<String, Slot> slots = new LinkedHashMap<>();
  private final Thread thread;
  private boolean accepting = true;
  private boolean running = true;
  private int cursor;

  // closed until Kafka is known to be reachable, when started with awaitingKafka
  private boolean held;
  private boolean unreachableLogged;
  private boolean everAcked;

  // Kafka availability, logged once per change
  private boolean kafkaDown;
  private long downSinceNanos;
  private long droppedWhileDown;
  private long lastAckNanos = System.nanoTime();

  /**
   * Without any acknowledgement for this long while frames are superseded, Kafka counts as down.
   */
  private static final long STALL_NANOS = 2_000_000_000L;

  private static final class Slot {
    final String camera;
    Frame waiting;
    int inFlight;
    // a camera whose source waits for room: its failed frames are sent again, lowest sequence first
    boolean complete;
    final java.util.TreeMap<Long, Frame> resend = new java.util.TreeMap<>();

    boolean ready() {
      return waiting != null || !resend.isEmpty();
    }

    Slot(String camera) {
      this.camera = camera;
    }
  }

  /**
   * Starts the dispatcher thread.
   *
   * @param sender where frames go; owned by the dispatcher from now on
   * @param inFlightPerCamera unacknowledged frames per camera, at least 1
   * @param metrics the meters of a camera id
   */
  public LatestFrameDispatcher(
      RecordSender sender, int inFlightPerCamera, Function<String, CameraMetrics> metrics) {
    this(sender, inFlightPerCamera, metrics, false);
  }

  /**
   * Starts the dispatcher thread; with {@code awaitingKafka} it sends nothing until {@link
   * #kafkaReachable()} (frames wait and are superseded meanwhile, as during an outage).
   *
   * @param sender where frames go; owned by the dispatcher from now on
   * @param inFlightPerCamera unacknowledged frames per camera, at least 1
   * @param metrics the meters of a camera id
   * @param awaitingKafka hold frames until {@link #kafkaReachable()}
   */
  public LatestFrameDispatcher(
      RecordSender sender,
      int inFlightPerCamera,
      Function<String, CameraMetrics> metrics,
      boolean awaitingKafka) {
    if (inFlightPerCamera < 1) {
      throw new IllegalArgumentException("inFlightPerCamera must be at least 1");
    }
    this.sender = sender;
    this.inFlightLimit = inFlightPerCamera;
    this.metrics = metrics;
    if (awaitingKafka) {
      held = true;
      kafkaDown = true;
      downSinceNanos = System.nanoTime();
    }
    this.thread = new Thread(this::dispatch, "ingest-dispatch");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void submit(Frame frame, boolean waitForRoom) throws InterruptedException {
    Frame replaced;
    boolean stalled = false;
    lock.lock();
    try {
      Slot slot = slots.computeIfAbsent(frame.getCamera(), Slot::new);
      slot.complete |= waitForRoom;
      if (waitForRoom) {
        while (accepting && slot.waiting != null) {
          room.await();
        }
      }
      if (!accepting) {
        replaced = frame;
      } else {
        replaced = slot.waiting;
        slot.waiting = frame;
        work.signal();
      }
      if (replaced != null && accepting) {
        if (!kafkaDown && System.nanoTime() - lastAckNanos > STALL_NANOS) {
          kafkaDown = true;
          stalled = true;
          downSinceNanos = lastAckNanos;
          droppedWhileDown = 0;
        }
        if (kafkaDown) {
          droppedWhileDown++;
        }
      }
    } finally {
      lock.unlock();
    }
    if (replaced != null) {
      metrics.apply(replaced.getCamera()).dropped(DropReason.SUPERSEDED);
    }
    if (stalled) {
      LOG.warn(
          "Kafka has acknowledged no frame for {} s; keeping only the newest frame per camera"
              + " until it does",
          STALL_NANOS / 1_000_000_000);
    }
  }

  /**
   * Says once that Kafka cannot be reached while frames are held ({@code awaitingKafka}); the
   * sources go on and only the newest frame of each camera waits.
   */
  public void kafkaUnreachable(String reason) {
    lock.lock();
    try {
      if (!held || unreachableLogged) {
        return;
      }
      unreachableLogged = true;
    } finally {
      lock.unlock();
    }
    LOG.warn(
        "Kafka is not reachable ({}); the cameras run and only the newest frame of each waits"
            + " until it is",
        reason);
  }

  /**
   * Starts sending the held frames: Kafka answers and the topic is ready. The first acknowledgement
   * is logged when {@link #kafkaUnreachable} was.
   */
  public void kafkaReachable() {
    lock.lock();
    try {
      if (!held) {
        return;
      }
      held = false;
      if (!unreachableLogged) {
        // Kafka answered at once: nothing to report when the first frame is acknowledged
        kafkaDown = false;
        lastAckNanos = System.nanoTime();
      }
      work.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Frames waiting or in flight, all cameras (for tests and the benchmark). */
  public int pending() {
    lock.lock();
    try {
      int n = 0;
      for (Slot slot : slots.values()) {
        n += slot.inFlight + (slot.waiting == null ? 0 : 1) + slot.resend.size();
      }
      return n;
    } finally {
      lock.unlock();
    }
  }

  private void dispatch() {
    while (true) {
      Frame next;
      lock.lock();
      try {
        Slot slot;
        while ((slot = nextReady()) == null) {
          if (!running && (held || !anyWaiting())) {
            // closing while Kafka was never reached: what waits cannot be sent
            return;
          }
          work.await(200, TimeUnit.MILLISECONDS);
        }
        if (!slot.resend.isEmpty()) {
          next = slot.resend.pollFirstEntry().getValue();
        } else {
          next = slot.waiting;
          slot.waiting = null;
        }
        slot.inFlight++;
        room.signalAll();
      } catch (InterruptedException e) {
        return;
      } finally {
        lock.unlock();
      }
      Frame frame = next;
      sender.send(frame, error -> completed(frame, error));
    }
  }

  private boolean anyWaiting() {
    for (Slot slot : slots.values()) {
      if (slot.ready()) {
        return true;
      }
    }
    return false;
  }

  /** The next camera, round robin, with a waiting frame and room in flight; under the lock. */
  private Slot nextReady() {
    if (held) {
      return null;
    }
    List<Slot> all = new ArrayList<>(slots.values());
    for (int i = 0; i < all.size(); i++) {
      Slot slot = all.get((cursor + i) % all.size());
      if (slot.ready() && slot.inFlight < inFlightLimit) {
        cursor = (cursor + i + 1) % all.size();
        return slot;
      }
    }
    return null;
  }

  private void completed(Frame frame, Exception error) {
    CameraMetrics camera = metrics.apply(frame.getCamera());
    boolean wentDown = false;
    boolean cameBack = false;
    long downMillis = 0;
    long dropped = 0;
    boolean firstAck;
    boolean resent = false;
    lock.lock();
    try {
      Slot slot = slots.get(frame.getCamera());
      if (slot != null) {
        slot.inFlight--;
        if (error != null && slot.complete && running && passing(error)) {
          slot.resend.put(frame.getSequence(), frame);
          resent = true;
        }
      }
      work.signal();
      settledSignal.signalAll();
      if (error == null) {
        lastAckNanos = System.nanoTime();
      }
      firstAck = error == null && !everAcked;
      if (error == null) {
        everAcked = true;
      }
      if (error == null && kafkaDown) {
        kafkaDown = false;
        cameBack = true;
        downMillis = (System.nanoTime() - downSinceNanos) / 1_000_000;
        dropped = droppedWhileDown;
      } else if (error != null) {
        if (!kafkaDown) {
          kafkaDown = true;
          wentDown = true;
          downSinceNanos = System.nanoTime();
          droppedWhileDown = 0;
        }
        if (!resent) {
          droppedWhileDown++;
        }
      }
    } finally {
      lock.unlock();
    }
    if (camera == null) {
      // the camera left this process meanwhile; its meters are gone
    } else if (error == null) {
      camera.sent();
    } else if (!resent) {
      camera.dropped(DropReason.FAILED);
    }
    if (wentDown) {
      LOG.warn(
          "Kafka did not take a frame of camera {}: {}; until it does, live cameras keep only their"
              + " newest frame and the others send theirs again",
          frame.getCamera(),
          error.toString());
    } else if (cameBack) {
      LOG.info(
          "Kafka takes frames {}after {} s; {} frames were dropped meanwhile",
          firstAck ? "" : "again ",
          downMillis / 1000.0,
          dropped);
    }
  }

  /** Whether Kafka may take the frame on another try: a timeout, a leader or broker away. */
  private static boolean passing(Exception error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof org.apache.kafka.common.errors.RetriableException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Waits until the frames of {@code cameras} that wait or are in flight are acknowledged or
   * failed, at most {@code timeout}, then forgets those cameras; a frame still waiting then (Kafka
   * away) is dropped. For cameras whose sources stopped, before another process may take them over.
   *
   * @return whether everything was settled in time
   */
  public boolean settle(Collection<String> cameras, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      work.signalAll();
      while (true) {
        boolean busy = false;
        for (String camera : cameras) {
          Slot slot = slots.get(camera);
          busy |= slot != null && (slot.ready() || slot.inFlight > 0);
        }
        long left = deadline - System.nanoTime();
        if (!busy || left <= 0) {
          for (String camera : cameras) {
            Slot slot = slots.get(camera);
            if (slot != null && !slot.ready() && slot.inFlight == 0) {
              slots.remove(camera);
            } else if (slot != null && slot.ready()) {
              CameraMetrics meters = metrics.apply(camera);
              int unsent = (slot.waiting == null ? 0 : 1) + slot.resend.size();
              for (int i = 0; meters != null && i < unsent; i++) {
                meters.dropped(DropReason.FAILED);
              }
              slot.waiting = null;
              slot.resend.clear();
            }
          }
          cursor = 0;
          return !busy;
        }
        settledSignal.await(Math.min(left, 100_000_000L), TimeUnit.NANOSECONDS);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Takes no more frames (a later {@link #submit} drops its frame) and wakes sources waiting for
   * room; the frames already waiting are still sent. For shutting down sources that may be blocked
   * while Kafka is away.
   */
  public void stopAccepting() {
    lock.lock();
    try {
      accepting = false;
      room.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops taking frames, sends those still waiting, waits for Kafka to acknowledge everything in
   * flight (at most {@code timeout}) and closes the sender.
   */
  @Override
  public void close() {
    close(Duration.ofSeconds(10));
  }

  /** {@link #close()} with a time limit. */
  public void close(Duration timeout) {
    lock.lock();
    try {
      if (!running) {
        return;
      }
      accepting = false;
      running = false;
      room.signalAll();
      work.signalAll();
    } finally {
      lock.unlock();
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      // the thread drains waiting frames as long as there is room in flight
      thread.join(Math.max(1, timeout.toMillis()));
      if (thread.isAlive()) {
        thread.interrupt();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long left = Math.max(0, deadline - System.nanoTime());
    sender.close(Duration.ofNanos(left));
  }
}
