package io.maskstream.sinks.web;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Hands the latest update of every camera to every connected browser.
 *
 * <p>An update is of one kind - the event name of the page's stream: {@value #FRAME} for a frame
 * with its detections, {@value #ZONES} for the camera's zones and lines with their counts - and
 * replaces the previous update of its kind and camera. A page-wide update ({@value #CAMERAS}, the
 * cameras panel) is of no camera and replaces the previous one of its kind. Each subscriber has a
 * mailbox holding at most one pending update per kind and camera: a slow browser skips frames
 * instead of growing a queue, so memory stays flat however many frames arrive. A new subscriber
 * starts with the latest update of every kind and camera. Page-wide updates are never crowded out
 * by the cameras' ones, neither from the latest updates nor from a full mailbox. Thread-safe; lives
 * as long as the web server.
 */
public final class Broadcaster {
  /** The kind of a frame update. */
  public static final String FRAME = "frame";

  /** The kind of a zones update. */
  public static final String ZONES = "zones";

  /** The kind of the cameras panel update, a page-wide one. */
  public static final String CAMERAS = "cameras";

  private final int maxCameras;
  private final Map<Key, String> latest;
  private final Map<Key, String> latestPageWide = new LinkedHashMap<>();

  /** What an update replaces: the previous one of the same kind and camera (null: page-wide). */
  private record Key(String kind, String camera) {}

  /** One update for the page: its kind (the event name), camera (null: page-wide) and JSON. */
  public record Update(String kind, String camera, String json) {}

  private final Set<Subscriber> subscribers = new CopyOnWriteArraySet<>();
  private volatile boolean closed;

  /**
   * A broadcaster remembering the latest updates of at most {@code maxCameras} cameras per kind.
   */
  public Broadcaster(int maxCameras) {
    this.maxCameras = maxCameras;
    this.latest =
        new LinkedHashMap<>(16, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<Key, String> eldest) {
            return size() > 2 * Broadcaster.this.maxCameras;
          }
        };
  }

  /** Publishes {@code json} as the latest frame update of {@code camera}. */
  public void publish(String camera, String json) {
    publish(FRAME, camera, json);
  }

  /** Publishes {@code json} as the latest update of kind {@code kind} of {@code camera}. */
  public void publish(String kind, String camera, String json) {
    Key key = new Key(kind, camera);
    synchronized (latest) {
      latest.put(key, json);
    }
    for (Subscriber s : subscribers) {
      s.offer(key, json);
    }
  }

  /** Publishes {@code json} as the latest page-wide update of kind {@code kind}. */
  public void publishPageWide(String kind, String json) {
    Key key = new Key(kind, null);
    synchronized (latest) {
      latestPageWide.put(key, json);
    }
    for (Subscriber s : subscribers) {
      s.offer(key, json);
    }
  }

  /** A new subscriber, seeded with the latest update of every camera; close it when done. */
  public Subscriber subscribe() {
    Subscriber s = new Subscriber();
    // first in the set, then seeded: an update published meanwhile reaches it either way
    subscribers.add(s);
    synchronized (latest) {
      latestPageWide.forEach(s::offer);
      latest.forEach(s::offer);
    }
    if (closed) {
      s.close();
    }
    return s;
  }

  /** Connected subscribers. */
  public int subscribers() {
    return subscribers.size();
  }

  /** Ends every subscriber (server shutdown). */
  public void close() {
    closed = true;
    for (Subscriber s : subscribers) {
      s.close();
    }
  }

  /** One browser's mailbox: at most one pending update per kind and camera. */
  public final class Subscriber implements AutoCloseable {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final LinkedHashMap<Key, String> mailbox = new LinkedHashMap<>();
    private boolean done;

    void offer(Key key, String json) {
      lock.lock();
      try {
        if (mailbox.size() < 2 * maxCameras || mailbox.containsKey(key) || key.camera() == null) {
          mailbox.put(key, json);
        }
        changed.signal();
      } finally {
        lock.unlock();
      }
    }

    /**
     * Waits up to {@code timeoutMillis} for updates and takes them all, in the order their kind and
     * camera first had a pending update.
     *
     * @return the updates, empty on timeout, null once closed
     */
    public List<Update> take(long timeoutMillis) throws InterruptedException {
      lock.lock();
      try {
        long nanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (mailbox.isEmpty() && !done && nanos > 0) {
          nanos = changed.awaitNanos(nanos);
        }
        if (done) {
          return null;
        }
        List<Update> out = new ArrayList<>(mailbox.size());
        mailbox.forEach((k, json) -> out.add(new Update(k.kind(), k.camera(), json)));
        mailbox.clear();
        return out;
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void close() {
      lock.lock();
      try {
        done = true;
        mailbox.clear();
        changed.signalAll();
      } finally {
        lock.unlock();
      }
      subscribers.remove(this);
    }
  }
}
