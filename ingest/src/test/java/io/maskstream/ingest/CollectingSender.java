package io.maskstream.ingest;

import io.maskstream.ingest.publish.RecordSender;
import io.maskstream.schemas.avro.Frame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** A {@link RecordSender} that keeps acknowledged frames in memory and can play an outage. */
final class CollectingSender implements RecordSender {
  private final List<Frame> acked = new ArrayList<>();
  private final List<Runnable> held = new ArrayList<>();
  private boolean down;
  private boolean closed;

  @Override
  public synchronized void send(Frame frame, Consumer<Exception> done) {
    if (down) {
      held.add(
          () -> {
            acked.add(frame);
            done.accept(null);
          });
    } else {
      acked.add(frame);
      done.accept(null);
    }
  }

  /** Holds acknowledgements until {@link #up()}. */
  synchronized void down() {
    down = true;
  }

  /** Acknowledges every held frame, in order, and goes on acknowledging at once. */
  synchronized void up() {
    // under the lock, like a partition: a frame sent meanwhile is acknowledged after these
    down = false;
    List<Runnable> release = new ArrayList<>(held);
    held.clear();
    release.forEach(Runnable::run);
  }

  synchronized int held() {
    return held.size();
  }

  synchronized List<Frame> frames() {
    return List.copyOf(acked);
  }

  synchronized List<Frame> frames(String camera) {
    return acked.stream().filter(f -> f.getCamera().equals(camera)).toList();
  }

  synchronized boolean closed() {
    return closed;
  }

  @Override
  public void flush() {}

  @Override
  public synchronized void close(Duration timeout) {
    closed = true;
  }
}
