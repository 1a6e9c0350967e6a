package io.maskstream.sinks;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a sink on its own thread for a test and stops it cleanly. */
public final class SinkRun implements AutoCloseable {
  private final Sink sink;
  private final CompletableFuture<Void> done = new CompletableFuture<>();

  public SinkRun(Sink sink, String name) {
    this.sink = sink;
    Thread t =
        new Thread(
            () -> {
              try {
                sink.run();
                done.complete(null);
              } catch (Throwable e) {
                done.completeExceptionally(e);
              }
            },
            name);
    t.setDaemon(true);
    t.start();
  }

  /** True once run() returned or failed. */
  public boolean finished() {
    return done.isDone();
  }

  /** Waits for run() to end by itself (after a simulated crash) and returns its failure. */
  public Throwable awaitFailure() throws Exception {
    try {
      done.get(60, TimeUnit.SECONDS);
      return null;
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    }
  }

  @Override
  public void close() throws Exception {
    sink.stop();
    done.get(60, TimeUnit.SECONDS);
  }
}
