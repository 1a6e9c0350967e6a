package io.maskstream.trainer.data;

import io.maskstream.trainer.model.GroundTruth;
import io.maskstream.trainer.model.InputTransform;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.bytedeco.pytorch.Tensor;

/**
 * An endless stream of training batches, read and prepared on background threads. The samples are
 * shuffled anew each epoch, each image is flipped left to right with probability 1/2 and resized by
 * one of the transforms (multi-scale training: each equally likely, as torchvision picks a {@code
 * min_size} per image); batch {@code k} holds the samples at positions {@code k * batchSize ..} of
 * the concatenated epochs. Every choice is a function of the seed, the epoch and the position
 * alone, so a seed gives the same batches whatever the number of threads or their timing. Not
 * thread-safe: one consumer. Closing it stops the threads and releases the batches prepared but not
 * taken.
 */
public final class BatchLoader implements AutoCloseable {
  private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

  private final List<Sample> samples;
  private final List<InputTransform> scales;
  private final int batchSize;
  private final long seed;
  private final int prefetch;
  private final ExecutorService workers;
  private final Deque<Future<TrainingBatch>> pending = new ArrayDeque<>();
  private volatile boolean closed;
  private long nextToSubmit;
  private long cachedEpoch = -1;
  private int[] cachedOrder;

  /**
   * A loader over {@code samples} (at least one), from batch 0.
   *
   * @param threads background threads reading and preparing batches
   * @param prefetch batches prepared ahead of the consumer, at least 1
   */
  public BatchLoader(
      List<Sample> samples,
      InputTransform transform,
      int batchSize,
      long seed,
      int threads,
      int prefetch) {
    this(samples, List.of(transform), batchSize, seed, threads, prefetch, 0);
  }

  /**
   * A loader over {@code samples} (at least one) whose first batch is batch {@code firstBatch} of
   * the seed's stream: a resumed run continues with the very batches it would have seen.
   *
   * @param scales the transforms an image is resized by, one picked per image (at least one)
   * @param threads background threads reading and preparing batches
   * @param prefetch batches prepared ahead of the consumer, at least 1
   */
  public BatchLoader(
      List<Sample> samples,
      List<InputTransform> scales,
      int batchSize,
      long seed,
      int threads,
      int prefetch,
      long firstBatch) {
    if (samples.isEmpty()
        || scales.isEmpty()
        || batchSize < 1
        || threads < 1
        || prefetch < 1
        || firstBatch < 0) {
      throw new IllegalArgumentException(
          samples.size()
              + " samples, batch size "
              + batchSize
              + ", "
              + threads
              + " threads, prefetch "
              + prefetch
              + ", first batch "
              + firstBatch);
    }
    this.nextToSubmit = firstBatch;
    this.samples = List.copyOf(samples);
    this.scales = List.copyOf(scales);
    this.batchSize = batchSize;
    this.seed = seed;
    this.prefetch = prefetch;
    AtomicInteger count = new AtomicInteger();
    this.workers =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "batch-loader-" + count.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /** The order of the samples in {@code epoch}: a seeded Fisher-Yates shuffle. */
  int[] order(long epoch) {
    if (epoch != cachedEpoch) {
      SplittableRandom random = new SplittableRandom(mix(seed, epoch, -1));
      int[] order = new int[samples.size()];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      for (int i = order.length - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      cachedOrder = order;
      cachedEpoch = epoch;
    }
    return cachedOrder;
  }

  /** Whether the sample at {@code position} of {@code epoch} is flipped. */
  boolean flipped(long epoch, long position) {
    return new SplittableRandom(mix(seed, epoch, position)).nextBoolean();
  }

  /** The transform the sample at {@code position} of {@code epoch} is resized by. */
  InputTransform scale(long epoch, long position) {
    if (scales.size() == 1) {
      return scales.get(0);
    }
    // the draw after the flip's, from the same per-position stream
    SplittableRandom random = new SplittableRandom(mix(seed, epoch, position));
    random.nextBoolean();
    return scales.get(random.nextInt(scales.size()));
  }

  /**
   * The next batch, waiting for it if need be; the caller closes it.
   *
   * @throws IllegalStateException naming the image if a sample could not be read or prepared
   */
  public TrainingBatch next() {
    if (closed) {
      throw new IllegalStateException("the batch loader is closed");
    }
    while (pending.size() < prefetch) {
      submit(nextToSubmit++);
    }
    Future<TrainingBatch> head = pending.removeFirst();
    submit(nextToSubmit++);
    try {
      return head.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a batch", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    }
  }

  private void submit(long index) {
    List<Sample> chosen = new ArrayList<>();
    List<Boolean> flips = new ArrayList<>();
    List<InputTransform> sizes = new ArrayList<>();
    for (long p = index * batchSize; p < (index + 1) * batchSize; p++) {
      long epoch = p / samples.size();
      int position = (int) (p % samples.size());
      chosen.add(samples.get(order(epoch)[position]));
      flips.add(flipped(epoch, position));
      sizes.add(scale(epoch, position));
    }
    pending.addLast(workers.submit(() -> prepareUnlessClosed(index, chosen, flips, sizes)));
  }

  private TrainingBatch prepareUnlessClosed(
      long index, List<Sample> chosen, List<Boolean> flips, List<InputTransform> sizes) {
    if (closed) {
      return null;
    }
    TrainingBatch batch = prepare(index, chosen, flips, sizes);
    if (closed) {
      // the loader was closed while this batch was prepared: nobody will take it
      batch.close();
      return null;
    }
    return batch;
  }

  private TrainingBatch prepare(
      long index, List<Sample> chosen, List<Boolean> flips, List<InputTransform> sizes) {
    List<TrainingTargets.Example> examples = new ArrayList<>();
    List<GroundTruth> targets = new ArrayList<>();
    try {
      List<Tensor> images = new ArrayList<>();
      List<Long> ids = new ArrayList<>();
      for (int i = 0; i < chosen.size(); i++) {
        TrainingTargets.Example example = TrainingTargets.example(chosen.get(i), flips.get(i));
        examples.add(example);
        targets.add(TrainingTargets.resized(example, sizes.get(i)));
        images.add(example.image());
        ids.add(example.imageId());
      }
      return new TrainingBatch(index, ids, flips, InputTransform.batch(images, sizes), targets);
    } catch (RuntimeException e) {
      targets.forEach(TrainingBatch::closeTarget);
      throw e;
    } finally {
      examples.forEach(TrainingTargets.Example::close);
    }
  }

  @Override
  public void close() {
    // batches not started are dropped; a batch still being prepared when its future is
    // cancelled sees the closed flag and releases its own tensors
    closed = true;
    pending.forEach(f -> f.cancel(false));
    workers.shutdown();
    try {
      workers.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Future<TrainingBatch> f : pending) {
      try {
        TrainingBatch batch = f.get();
        if (batch != null) {
          batch.close();
        }
      } catch (CancellationException | ExecutionException e) {
        // nothing was prepared
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    pending.clear();
  }

  private static long mix(long seed, long epoch, long position) {
    long z = seed + GOLDEN_GAMMA * (epoch + 1) + 0x632be59bd9b4e019L * (position + 2);
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /**
   * One batch for training. Closing it closes its tensors.
   *
   * @param index the batch's number in the stream, from 0
   * @param imageIds the images, in batch order
   * @param flipped per image, whether it was mirrored left to right
   * @param inputs the normalised, resized, padded images with their sizes
   * @param targets per image, the objects in the resized image's pixels
   */
  public record TrainingBatch(
      long index,
      List<Long> imageIds,
      List<Boolean> flipped,
      InputTransform.Batch inputs,
      List<GroundTruth> targets)
      implements AutoCloseable {
    /** Copies the lists. */
    public TrainingBatch {
      imageIds = List.copyOf(imageIds);
      flipped = List.copyOf(flipped);
      targets = List.copyOf(targets);
    }

    static void closeTarget(GroundTruth t) {
      t.boxes().close();
      t.masks().close();
      if (t.keypoints() != null) {
        t.keypoints().close();
      }
    }

    @Override
    public void close() {
      inputs.close();
      targets.forEach(TrainingBatch::closeTarget);
    }
  }
}
