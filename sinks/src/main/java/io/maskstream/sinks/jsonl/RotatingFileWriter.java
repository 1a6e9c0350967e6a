package io.maskstream.sinks.jsonl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends lines to files named {@code PREFIX-yyyyMMdd-HHmmss.SSS-N.jsonl} in one folder, starting a
 * new file once the current one reaches a size or an age. A file is opened on the first line after
 * a rotation, so an idle sink leaves no empty files.
 *
 * <p>Hand-written: logging frameworks rotate files, but they neither fsync on demand nor let the
 * caller know when data is durable, which the offset commit needs. Not thread-safe; close it to
 * flush and close the current file.
 */
public final class RotatingFileWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RotatingFileWriter.class);
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss.SSS").withZone(ZoneOffset.UTC);

  private final Path dir;
  private final String prefix;
  private final long maxBytes;
  private final long maxAgeMillis;
  private final ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);
  private FileChannel channel;
  private Path current;
  private long openedAt;
  private long size;
  private int counter;
  private boolean dirty;

  /** A writer into {@code dir} (created when missing). */
  public RotatingFileWriter(Path dir, String prefix, long maxBytes, Duration maxAge) {
    this.dir = dir;
    this.prefix = prefix;
    this.maxBytes = maxBytes;
    this.maxAgeMillis = maxAge.toMillis();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Appends {@code line} and a newline, rotating first when the current file is full or old. */
  public void write(String line, long nowMillis) throws IOException {
    byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
    rotateIfDue(nowMillis);
    if (channel != null && size > 0 && size + bytes.length > maxBytes) {
      closeCurrent();
    }
    if (channel == null) {
      open(nowMillis);
    }
    if (bytes.length > buffer.remaining()) {
      drain();
    }
    if (bytes.length > buffer.capacity()) {
      writeFully(ByteBuffer.wrap(bytes));
    } else {
      buffer.put(bytes);
    }
    size += bytes.length;
    dirty = true;
  }

  /** Closes the current file when it is older than the maximum age (call it when idle, too). */
  public void rotateIfDue(long nowMillis) throws IOException {
    if (channel != null && nowMillis - openedAt >= maxAgeMillis) {
      closeCurrent();
    }
  }

  /** Writes buffered lines and forces them to disk; after it returns, they survive a crash. */
  public void sync() throws IOException {
    if (channel != null && dirty) {
      drain();
      channel.force(false);
      dirty = false;
    }
  }

  /** The file being written, or null between files. */
  public Path current() {
    return current;
  }

  private void open(long nowMillis) throws IOException {
    while (true) {
      Path path =
          dir.resolve(
              String.format(
                  "%s-%s-%06d.jsonl",
                  prefix, STAMP.format(Instant.ofEpochMilli(nowMillis)), counter++));
      try {
        channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        current = path;
        openedAt = nowMillis;
        size = 0;
        LOG.info("writing {}", path);
        return;
      } catch (FileAlreadyExistsException e) {
        // another process or an earlier run in the same millisecond: take the next number
      }
    }
  }

  private void closeCurrent() throws IOException {
    drain();
    channel.force(false);
    channel.close();
    LOG.info("closed {} ({} bytes)", current, size);
    channel = null;
    current = null;
    dirty = false;
  }

  private void drain() throws IOException {
    buffer.flip();
    writeFully(buffer);
    buffer.clear();
  }

  private void writeFully(ByteBuffer data) throws IOException {
    while (data.hasRemaining()) {
      channel.write(data);
    }
  }

  @Override
  public void close() throws IOException {
    if (channel != null) {
      closeCurrent();
    }
  }
}
