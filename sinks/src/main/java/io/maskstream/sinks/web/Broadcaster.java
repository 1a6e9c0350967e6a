package io.maskstream.sinks.web;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Hands the latest update of every camera to every connected browser.
 *
 * <p>Each subscriber has a mailbox holding at most one pending update per camera: a slow browser
 * skips frames instead of growing a queue, so memory stays flat however many frames arrive. A new
 * subscriber starts with the latest update of every camera. Thread-safe; lives as long as the web
 * server.
 */
public final class Broadcaster {
  private final int maxCameras;
  private final Map<String, String> latest;
  private final Set<Subscriber> subscribers = new CopyOnWriteArraySet<>();
  private volatile boolean closed;

  /** A broadcaster remembering the latest update of at most {@code maxCameras} cameras. */
  public Broadcaster(int maxCameras) {
    this.maxCameras = maxCameras;
    this.latest =
        new LinkedHashMap<>(16, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > Broadcaster.this.maxCameras;
          }
        };
  }

  /** Publishes {@code json} as the latest update of {@code camera}. */
  public void publish(String camera, String json) {
    synchronized (latest) {
      latest.put(camera, json);
    }
    for (Subscriber s : subscribers) {
      s.offer(camera, json);
    }
  }

  /** A new subscriber, seeded with the latest update of every camera; close it when done. */
  public Subscriber subscribe() {
    Subscriber s = new Subscriber();
    synchronized (latest) {
      latest.forEach(s::offer);
    }
    subscribers.add(s);
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

  /** One browser's mailbox: at most one pending update per camera. */
  public final class Subscriber implements AutoCloseable {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final LinkedHashMap<String, String> mailbox = new LinkedHashMap<>();
    private boolean done;

    void offer(String camera, String json) {
      lock.lock();
      try {
        if (mailbox.size() < maxCameras || mailbox.containsKey(camera)) {
          mailbox.put(camera, json);
        }
        changed.signal();
      } finally {
        lock.unlock();
      }
    }

    /**
     * Waits up to {@code timeoutMillis} for updates and takes them all, oldest camera first.
     *
     * @return the updates, empty on timeout, null once closed
     */
    public Map<String, String> take(long timeoutMillis) throws InterruptedException {
      lock.lock();
      try {
        long nanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (mailbox.isEmpty() && !done && nanos > 0) {
          nanos = changed.awaitNanos(nanos);
        }
        if (done) {
          return null;
        }
        Map<String, String> out = new LinkedHashMap<>(mailbox);
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
