package io.maskstream.trainer.train;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a training run shows while it runs: a progress bar with the losses, iterations per second
 * and the time left on a terminal, or the same as a log line every half minute when the output is
 * not a terminal (CI, a log file). The bar counts iterations for an iteration budget and seconds
 * for a time budget. Not thread-safe.
 */
final class TrainingProgress implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
  private static final long LOG_EVERY_NANOS = Duration.ofSeconds(30).toNanos();

  private final ProgressBar bar;
  private final TrainerConfig config;
  private final long firstIteration;
  private final long startNanos = System.nanoTime();
  private long lastLogNanos = startNanos;

  TrainingProgress(TrainerConfig config, long firstIteration, Duration elapsedBefore) {
    this.config = config;
    this.firstIteration = firstIteration;
    if (config.progressBar()) {
      boolean byTime = config.iterations() == null;
      this.bar =
          new ProgressBarBuilder()
              .setTaskName("train " + config.preset().label())
              .setInitialMax(byTime ? config.time().toSeconds() : config.iterations())
              .setUnit(byTime ? " s" : " it", 1)
              .setStyle(ProgressBarStyle.ASCII)
              .setUpdateIntervalMillis(500)
              .showSpeed()
              .startsFrom(byTime ? elapsedBefore.toSeconds() : firstIteration, Duration.ZERO)
              .build();
    } else {
      this.bar = null;
    }
  }

  /** The iterations per second since this run (or resumption) started. */
  double iterationsPerSecond(long iteration) {
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    return seconds > 0 ? (iteration - firstIteration) / seconds : 0;
  }

  /** Called after each iteration. */
  void update(long iteration, Duration elapsed, double lr, Map<String, Double> losses) {
    String text = describe(losses, lr);
    if (bar != null) {
      bar.stepTo(config.iterations() == null ? elapsed.toSeconds() : iteration);
      bar.setExtraMessage(text);
      return;
    }
    long now = System.nanoTime();
    if (now - lastLogNanos >= LOG_EVERY_NANOS || config.done(iteration, elapsed)) {
      lastLogNanos = now;
      double done = config.progress(iteration, elapsed);
      double rate = iterationsPerSecond(iteration);
      long eta =
          config.iterations() != null
              ? (long) (rate > 0 ? (config.iterations() - iteration) / rate : 0)
              : config.time().minus(elapsed).toSeconds();
      LOG.info(
          String.format(
              Locale.ROOT,
              "iteration %d (%.0f%%) %s, %.2f it/s, %s left",
              iteration,
              100 * done,
              text,
              rate,
              Duration.ofSeconds(Math.max(0, eta))
                  .toString()
                  .substring(2)
                  .toLowerCase(Locale.ROOT)));
    }
  }

  /** A line outside the bar (validation results, checkpoints). */
  void say(String line) {
    LOG.info(line);
  }

  static String describe(Map<String, Double> losses, double lr) {
    StringBuilder b = new StringBuilder();
    double total = 0;
    for (Map.Entry<String, Double> e : losses.entrySet()) {
      total += e.getValue();
    }
    b.append(String.format(Locale.ROOT, "loss %.3f", total));
    for (Map.Entry<String, Double> e : losses.entrySet()) {
      b.append(String.format(Locale.ROOT, " %s %.3f", shortName(e.getKey()), e.getValue()));
    }
    b.append(String.format(Locale.ROOT, " lr %.2g", lr));
    return b.toString();
  }

  private static String shortName(String loss) {
    return switch (loss) {
      case "loss_objectness" -> "obj";
      case "loss_rpn_box_reg" -> "rpn";
      case "loss_classifier" -> "cls";
      case "loss_box_reg" -> "box";
      case "loss_mask" -> "mask";
      case "loss_keypoint" -> "kp";
      default -> loss;
    };
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.close();
    }
  }
}
