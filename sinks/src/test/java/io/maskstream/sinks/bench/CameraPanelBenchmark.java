package io.maskstream.sinks.bench;

import io.maskstream.schemas.avro.Camera;
import io.maskstream.schemas.avro.CameraRunState;
import io.maskstream.schemas.avro.CameraStatus;
import io.maskstream.schemas.internal.TrustedClasses;
import io.maskstream.sinks.web.Broadcaster;
import io.maskstream.sinks.web.CameraPanel;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What the cameras panel of {@code sink web} costs per judgement, for N defined cameras each
 * reporting every 2 s (a tenth of them down, a tenth stale, a tenth never started): the CPU time
 * the sink's consumer thread spends judging the panel and building its update (CPU time of the
 * thread, so a machine busy with other work does not inflate it), and the update's size - what each
 * open page receives about once a second while reports come.
 *
 * <p>Arguments: camera counts (default {@code 10 100 500 2000}), rounds per count (last argument
 * after {@code --rounds}, default 200). Prints one line per count: median and 95th percentile time
 * CPU time per judgement, update bytes, and bytes per listed camera.
 */
public final class CameraPanelBenchmark {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private CameraPanelBenchmark() {}

  public static void main(String[] args) throws Exception {
    TrustedClasses.install();
    int rounds = 200;
    List<String> counts = Arrays.asList(args);
    int r = counts.indexOf("--rounds");
    if (r >= 0) {
      rounds = Integer.parseInt(counts.get(r + 1));
      counts = counts.subList(0, r);
    }
    if (counts.isEmpty()) {
      counts = List.of("10", "100", "500", "2000");
    }
    System.out.printf(
        "%8s %14s %14s %12s %16s%n",
        "cameras", "median CPU us", "p95 CPU us", "update KB", "bytes/camera");
    run(500, rounds, false); // warms the JIT up, so the first count is not measured cold
    for (String n : counts) {
      run(Integer.parseInt(n), rounds, true);
    }
  }

  private static void run(int cameras, int rounds, boolean print) throws Exception {
    Broadcaster broadcaster = new Broadcaster(256);
    CameraPanel panel = new CameraPanel(broadcaster);
    long t0 = Instant.parse("2026-06-01T08:00:00Z").toEpochMilli();
    for (int i = 0; i < cameras; i++) {
      String id = String.format("site%02d-cam-%04d", i % 17, i);
      panel.onDefinition(
          id,
          Camera.newBuilder()
              .setId(id)
              .setUrl(
                  "rtsp://viewer:${env:CAM_PASSWORD}@10.1." + (i / 250) + "." + (i % 250) + "/s1")
              .setLabels(Map.of("site", "site" + (i % 17), "building", "b" + (i % 5)))
              .setUpdatedAt(Instant.ofEpochMilli(t0 - 86_400_000))
              .build(),
          t0);
      if (i % 10 != 9) {
        panel.onStatus(id, report(id, i, t0), t0);
      }
    }
    Broadcaster.Subscriber page = broadcaster.subscribe();
    long[] nanos = new long[rounds];
    int bytes = 0;
    int listed = Math.min(cameras, 500);
    for (int k = 0; k < rounds; k++) {
      long now = t0 + (k + 1) * 1000L;
      // a second of reports: every camera reports every 2 s, so half of them change
      for (int i = k % 2; i < cameras; i += 2) {
        if (i % 10 != 7 && i % 10 != 9) { // 7: its owner died at the start; 9: never started
          String id = String.format("site%02d-cam-%04d", i % 17, i);
          panel.onStatus(id, report(id, i, now), now);
        }
      }
      long start = THREADS.getCurrentThreadCpuTime();
      panel.tick(now, true);
      nanos[k] = THREADS.getCurrentThreadCpuTime() - start;
      for (Broadcaster.Update u : page.take(0)) {
        bytes = u.json().getBytes(StandardCharsets.UTF_8).length;
      }
    }
    page.close();
    if (!print) {
      return;
    }
    long[] warm = Arrays.copyOfRange(nanos, rounds / 4, rounds);
    Arrays.sort(warm);
    System.out.printf(
        "%8d %14.0f %14.0f %12.1f %16d%n",
        cameras,
        warm[warm.length / 2] / 1e3,
        warm[(int) (warm.length * 0.95)] / 1e3,
        bytes / 1024.0,
        bytes / listed);
  }

  /** Camera {@code i}'s report at {@code now}: streaming, but every tenth down. */
  private static CameraStatus report(String id, int i, long now) {
    boolean down = i % 10 == 8;
    return CameraStatus.newBuilder()
        .setCamera(id)
        .setOwner("ingest-" + (i % 4) + ".example.net pid " + (4000 + i % 4) + " member m-" + i % 4)
        .setState(down ? CameraRunState.DOWN : CameraRunState.STREAMING)
        .setFps(down ? 0 : 9.5 + (now % 7) / 10.0)
        .setFramesSent(now / 100)
        .setLastSequence(now / 100)
        .setLastFrameTime(Instant.ofEpochMilli(now - 80))
        .setReconnects(down ? now / 10_000 : 0)
        .setLastError(
            down ? "cannot read rtsp://viewer:***@10.1.0." + i + "/s1: Connection refused" : null)
        .setReportedAt(Instant.ofEpochMilli(now))
        .setReportIntervalMs(2000)
        .build();
  }
}
