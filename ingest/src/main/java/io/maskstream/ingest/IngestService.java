package io.maskstream.ingest;

import io.maskstream.ingest.IngestConfig.Camera;
import io.maskstream.ingest.cameras.CameraDefinitions;
import io.maskstream.ingest.metrics.CameraMetrics;
import io.maskstream.ingest.metrics.CameraState;
import io.maskstream.ingest.metrics.PrometheusHttpEndpoint;
import io.maskstream.ingest.metrics.StatusLine;
import io.maskstream.ingest.metrics.StatusReporter;
import io.maskstream.ingest.publish.KafkaPreparation;
import io.maskstream.ingest.publish.LatestFrameDispatcher;
import io.maskstream.ingest.publish.RecordSender;
import io.maskstream.ingest.source.Backoff;
import io.maskstream.ingest.source.CameraWorker;
import io.maskstream.schemas.CameraIds;
import io.maskstream.schemas.CameraUrls;
import io.maskstream.schemas.avro.Frame;
import io.maskstream.schemas.cli.KafkaRefusals;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.RetriableException;
import org.bytedeco.ffmpeg.global.avutil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs ingest: one thread per camera, the dispatcher to Kafka, the Prometheus endpoint and the
 * periodic status line.
 *
 * <p>The service owns everything it starts, including the {@link RecordSender} it is given, and
 * releases it in {@link #close()}: sources stop grabbing, waiting frames are sent and the producer
 * is flushed, then the readers and the endpoint are closed. Cameras with an invalid id are logged
 * and not started; the others run.
 *
 * <p>Started with {@link #startDynamic}, the cameras come and go while the service runs ({@link
 * #startCamera}, {@link #stopCameras}), as the cameras topic says ({@code TopicCameras}).
 *
 * <p>Started with a {@link KafkaPreparation}, the service does not wait for Kafka: the cameras
 * start at once and frames are held (the newest of each camera) until the preparation succeeds,
 * which is retried for as long as Kafka is unreachable. A refusal that retrying cannot cure (bad
 * credentials, no permission) ends the service with that reason (see {@link #awaitEnd()}).
 */
public final class IngestService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(IngestService.class);

  private final IngestConfig config;
  private final PrometheusMeterRegistry registry;
  // kept for every camera ever started, so counters never go back and late acknowledgements count
  private final Map<String, CameraMetrics> metrics =
      Collections.synchronizedMap(new LinkedHashMap<>());
  private final Map<String, Running> running = new LinkedHashMap<>(); // guarded by this
  private final List<Thread> threads = new ArrayList<>(); // guarded by this
  private final boolean dynamic;
  private final LatestFrameDispatcher dispatcher;
  private final PrometheusHttpEndpoint endpoint;
  private final ScheduledExecutorService statusLog;
  private final StatusLine statusLine = new StatusLine();
  private final CountDownLatch ended = new CountDownLatch(1);
  private final CountDownLatch closing = new CountDownLatch(1);
  private final AtomicInteger runningSources = new AtomicInteger();
  private volatile String failure;
  // next sequence number of cameras that stopped here, should they start here again
  private final Map<String, Long> resumeAt = new java.util.concurrent.ConcurrentHashMap<>();
  private StatusReporter reporter; // guarded by this
  private Thread preparation;
  private boolean closed;

  /** How long one attempt at preparing Kafka may take; attempts repeat while it is down. */
  static final Duration PREPARE_ATTEMPT = Duration.ofSeconds(5);

  /** A camera this service runs. */
  private record Running(Camera camera, CameraWorker worker, Thread thread) {}

  private IngestService(
      IngestConfig config, RecordSender sender, boolean awaitingKafka, boolean dynamic) {
    this.config = config;
    this.dynamic = dynamic;
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    for (Camera camera : config.cameras()) {
      metrics.put(camera.id(), new CameraMetrics(registry, camera.id()));
    }
    this.dispatcher =
        new LatestFrameDispatcher(
            endingOnRefusal(sender), config.inFlightPerCamera(), this::metricsOf, awaitingKafka);
    PrometheusHttpEndpoint started = null;
    if (config.metricsPort() >= 0) {
      try {
        started = new PrometheusHttpEndpoint(registry, config.metricsPort());
        LOG.info("Prometheus metrics at http://127.0.0.1:{}/metrics", started.port());
      } catch (IOException e) {
        dispatcher.close(Duration.ZERO);
        throw new UncheckedIOException(
            "cannot serve metrics on port "
                + config.metricsPort()
                + ": "
                + e.getMessage()
                + " (choose another --metrics-port, or -1 for none)",
            e);
      }
    }
    this.endpoint = started;
    if (!config.logInterval().isZero()) {
      StatusLine line = statusLine;
      statusLog =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "ingest-status");
                t.setDaemon(true);
                return t;
              });
      long period = config.logInterval().toMillis();
      statusLog.scheduleAtFixedRate(
          () -> {
            synchronized (line) {
              LOG.info("ingest {}", line.format(allMetrics()));
            }
          },
          period,
          period,
          TimeUnit.MILLISECONDS);
    } else {
      statusLog = null;
    }
  }

  /**
   * Starts ingesting the cameras of {@code config} into {@code sender}.
   *
   * @throws UncheckedIOException when the metrics port cannot be bound
   */
  public static IngestService start(IngestConfig config, RecordSender sender) {
    // FFmpeg's own log would repeat every warning of a broken stream on stderr
    avutil.av_log_set_level(avutil.AV_LOG_ERROR);
    IngestService service = new IngestService(config, sender, false, false);
    service.startWorkers();
    return service;
  }

  /**
   * Starts ingesting the cameras of {@code config} into {@code sender} once {@code kafka} is
   * prepared; the cameras start at once, whether Kafka is reachable or not.
   *
   * @throws UncheckedIOException when the metrics port cannot be bound
   */
  public static IngestService start(
      IngestConfig config, RecordSender sender, KafkaPreparation kafka) {
    avutil.av_log_set_level(avutil.AV_LOG_ERROR);
    IngestService service = new IngestService(config, sender, true, false);
    service.startWorkers();
    service.startPreparation(kafka);
    return service;
  }

  /**
   * Starts a service whose cameras come and go while it runs ({@link #startCamera}, {@link
   * #stopCameras}); it ends on {@link #close()} or when Kafka refuses ingest, not when no camera
   * runs. The cameras of {@code config} are ignored.
   *
   * @throws UncheckedIOException when the metrics port cannot be bound
   */
  public static IngestService startDynamic(
      IngestConfig config, RecordSender sender, KafkaPreparation kafka) {
    avutil.av_log_set_level(avutil.AV_LOG_ERROR);
    IngestService service = new IngestService(config, sender, true, true);
    service.startPreparation(kafka);
    return service;
  }

  private void startPreparation(KafkaPreparation kafka) {
    preparation = new Thread(() -> prepare(kafka), "ingest-kafka");
    preparation.setDaemon(true);
    preparation.start();
  }

  private void prepare(KafkaPreparation kafka) {
    Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(5), new Random());
    try {
      while (closing.getCount() > 0) {
        try {
          kafka.prepare(PREPARE_ATTEMPT);
          dispatcher.kafkaReachable();
          return;
        } catch (KafkaException e) {
          if (!curable(e)) {
            fail("Kafka refused ingest: " + e.getMessage());
            return;
          }
          dispatcher.kafkaUnreachable(e.getMessage());
          LOG.debug("Kafka not ready yet", e);
        }
        if (closing.await(backoff.next().toMillis(), TimeUnit.MILLISECONDS)) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Ends the service with {@code reason}, once (see {@link #awaitEnd()}); called from Kafka's
   * threads too.
   */
  public void fail(String reason) {
    synchronized (ended) {
      if (failure != null) {
        return;
      }
      failure = reason;
    }
    LOG.error("{}", reason);
    ended.countDown();
  }

  /**
   * {@code sender}, ending the service when Kafka refuses a frame for good (credentials, a missing
   * ACL) instead of dropping every frame from then on.
   */
  private RecordSender endingOnRefusal(RecordSender sender) {
    return new RecordSender() {
      @Override
      public void send(Frame frame, Consumer<Exception> done) {
        sender.send(
            frame,
            error -> {
              if (error != null && KafkaRefusals.isRefusal(error)) {
                fail("Kafka refused ingest: " + error.getMessage());
              }
              done.accept(error);
            });
      }

      @Override
      public void flush() {
        sender.flush();
      }

      @Override
      public void close(Duration timeout) {
        sender.close(timeout);
      }
    };
  }

  /** Whether retrying may cure {@code e}: Kafka unreachable or busy, not a refusal. */
  static boolean curable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ApiException && !(t instanceof RetriableException)) {
        return false;
      }
    }
    return true;
  }

  private synchronized void startWorkers() {
    for (Camera camera : config.cameras()) {
      startCamera(camera);
    }
  }

  /**
   * Reports how the running cameras are doing to the camera status {@code topic} every {@code
   * interval} from now on, and each camera's stop; the reporter is closed with the service.
   *
   * @param properties Kafka client properties
   */
  public synchronized void reportStatus(Properties properties, String topic, Duration interval) {
    if (reporter != null) {
      throw new IllegalStateException("status is reported already");
    }
    reporter = new StatusReporter(properties, topic, interval, this::runningMetrics);
  }

  private synchronized List<CameraMetrics> runningMetrics() {
    List<CameraMetrics> all = new ArrayList<>();
    for (String id : running.keySet()) {
      CameraMetrics m = metrics.get(id);
      if (m != null) {
        all.add(m);
      }
    }
    return all;
  }

  /** {@link #startCamera(Camera, long)} numbering from where it stopped here before, or 0. */
  public synchronized boolean startCamera(Camera camera) {
    return startCamera(camera, 0);
  }

  /**
   * Starts running {@code camera} on its own thread, its {@code ${env:NAME}} references resolved
   * from this host's environment. A camera whose id breaks the rule or whose references cannot be
   * resolved is logged, shows as invalid in the metrics and is not started.
   *
   * @param firstSequence the lowest sequence number its frames may have (it continues higher when
   *     it ran here before)
   * @return whether the camera started
   * @throws IllegalStateException when a camera with this id runs already, or the service is closed
   */
  public synchronized boolean startCamera(Camera camera, long firstSequence) {
    if (closed) {
      throw new IllegalStateException("ingest is stopped");
    }
    if (running.containsKey(camera.id())) {
      throw new IllegalStateException("camera " + camera.id() + " runs already");
    }
    CameraMetrics cameraMetrics =
        metrics.computeIfAbsent(camera.id(), id -> new CameraMetrics(registry, id));
    if (!camera.hasValidId()) {
      cameraMetrics.state(CameraState.INVALID);
      LOG.error(
          "camera {} is not started: an id must be {} (it is the Kafka record key); rename it",
          CameraIds.quote(camera.id()),
          CameraIds.RULE);
      return false;
    }
    Camera resolved;
    try {
      resolved = CameraDefinitions.resolveSecrets(camera);
    } catch (IllegalArgumentException e) {
      cameraMetrics.state(CameraState.INVALID);
      LOG.error("{}; the camera is not started", CameraUrls.mask(e.getMessage()));
      return false;
    }
    cameraMetrics.state(CameraState.CONNECTING);
    long first = Math.max(firstSequence, resumeAt.getOrDefault(camera.id(), 0L));
    CameraWorker worker = CameraWorker.create(resolved, dispatcher, cameraMetrics, first);
    if (!dynamic) {
      runningSources.incrementAndGet();
    }
    Thread thread =
        new Thread(
            () -> {
              try {
                worker.run();
              } finally {
                if (!dynamic && runningSources.decrementAndGet() == 0) {
                  ended.countDown();
                }
              }
            },
            "ingest-" + camera.id());
    running.put(camera.id(), new Running(camera, worker, thread));
    threads.add(thread);
    thread.start();
    return true;
  }

  /**
   * Stops the cameras of {@code ids} that run (others are ignored) and waits until their readers
   * are closed, at most their read timeout plus 5 s, and until the frames they already grabbed are
   * acknowledged by Kafka (at most 10 s more). Their last report says they stopped here; with
   * {@code removed}, their report is removed instead (their definitions are gone). Once stopped, a
   * camera of a dynamic service leaves the metrics.
   */
  public void stopCameras(Collection<String> ids, boolean removed) {
    List<Running> stopping = stopSources(ids);
    List<String> stopped = stopping.stream().map(r -> r.camera().id()).toList();
    if (stopped.isEmpty()) {
      return;
    }
    try {
      if (!dispatcher.settle(stopped, SETTLE)) {
        LOG.warn(
            "Kafka did not acknowledge the last frames of camera(s) {} within {} s; they are"
                + " dropped",
            stopped,
            SETTLE.toSeconds());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    StatusReporter status;
    synchronized (this) {
      status = reporter;
    }
    List<CameraMetrics> meters = new ArrayList<>();
    for (String id : stopped) {
      CameraMetrics m = metrics.get(id);
      if (m == null) {
        continue;
      }
      meters.add(m);
      CameraMetrics.Handed handed = m.lastHanded();
      if (handed != null) {
        resumeAt.merge(id, handed.sequence() + 1, Math::max);
      }
    }
    if (status != null) {
      if (removed) {
        status.removed(stopped);
      } else {
        status.stopped(meters);
      }
    }
    if (dynamic) {
      for (CameraMetrics m : meters) {
        metrics.remove(m.camera());
        m.unregister();
      }
    }
  }

  /** How long a stopping camera's last frames may take to be acknowledged. */
  static final Duration SETTLE = Duration.ofSeconds(10);

  /** {@link #stopCameras(Collection, boolean)}, keeping their reports. */
  public void stopCameras(Collection<String> ids) {
    stopCameras(ids, false);
  }

  private List<Running> stopSources(Collection<String> ids) {
    List<Running> stopping = new ArrayList<>();
    synchronized (this) {
      for (String id : ids) {
        Running r = running.remove(id);
        if (r != null) {
          threads.remove(r.thread());
          stopping.add(r);
        }
      }
    }
    stopping.forEach(r -> r.worker().stop());
    join(stopping);
    return stopping;
  }

  /** The ids of the cameras started and not stopped, in start order. */
  public synchronized List<String> runningCameras() {
    return List.copyOf(running.keySet());
  }

  private static void join(List<Running> stopping) {
    Duration longestRead =
        stopping.stream()
            .map(r -> r.camera().readTimeout())
            .max(Duration::compareTo)
            .orElse(Duration.ZERO);
    long deadline = System.nanoTime() + longestRead.plusSeconds(5).toNanos();
    for (Running r : stopping) {
      try {
        r.thread().join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      if (r.thread().isAlive()) {
        LOG.warn("{} did not stop in time; its reader is left to the process exit", r.thread());
      }
    }
  }

  private List<CameraMetrics> allMetrics() {
    synchronized (metrics) {
      return List.copyOf(metrics.values());
    }
  }

  private CameraMetrics metricsOf(String camera) {
    return metrics.get(camera);
  }

  /** The meters of {@code camera}, or {@code null} for an unknown id. */
  public CameraMetrics metrics(String camera) {
    return metrics.get(camera);
  }

  /** The Prometheus registry (text format via {@code scrape()}). */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The port of the metrics endpoint, or -1 when it is off. */
  public int metricsPort() {
    return endpoint == null ? -1 : endpoint.port();
  }

  /** Frames waiting or in flight to Kafka, all cameras. */
  public int pendingFrames() {
    return dispatcher.pending();
  }

  /**
   * Waits until every camera has stopped by itself (files and folders that do not loop reach their
   * end; live sources never do) or {@code timeout} passed.
   *
   * @return whether all cameras stopped
   */
  public boolean awaitSourcesDone(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Thread thread : threadsNow()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      if (thread.isAlive()) {
        return false;
      }
    }
    return true;
  }

  /**
   * Waits until every camera has stopped (by itself or by {@link #close()}) or Kafka refused
   * ingest.
   *
   * @return the reason when Kafka refused ingest, empty when the cameras stopped
   */
  public Optional<String> awaitEnd() throws InterruptedException {
    if (dynamic || !threadsNow().isEmpty() || failure != null) {
      ended.await();
    }
    return Optional.ofNullable(failure);
  }

  /** Waits until every camera has stopped by itself; see {@link #awaitSourcesDone(Duration)}. */
  public void awaitSourcesDone() throws InterruptedException {
    for (Thread thread : threadsNow()) {
      thread.join();
    }
  }

  private synchronized List<Thread> threadsNow() {
    return List.copyOf(threads);
  }

  /** Stops grabbing, sends and flushes what waits, and releases every resource. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    closing.countDown();
    List<Running> stopping = List.copyOf(running.values());
    running.clear();
    stopping.forEach(r -> r.worker().stop());
    // a file waiting for room while Kafka is away must not hold the shutdown up
    dispatcher.stopAccepting();
    join(stopping);
    dispatcher.close(Duration.ofSeconds(10));
    if (reporter != null) {
      List<CameraMetrics> meters = new ArrayList<>();
      for (Running r : stopping) {
        CameraMetrics m = metrics.get(r.camera().id());
        if (m != null) {
          meters.add(m);
        }
      }
      reporter.stopped(meters);
      reporter.close();
    }
    if (statusLog != null) {
      statusLog.shutdownNow();
    }
    synchronized (statusLine) {
      LOG.info("ingest stopped: {}", statusLine.format(allMetrics()));
    }
    if (endpoint != null) {
      endpoint.close();
    }
    registry.close();
    ended.countDown();
  }
}
