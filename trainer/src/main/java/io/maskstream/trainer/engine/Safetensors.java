package io.maskstream.trainer.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Named tensors in the safetensors format (an 8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and byte range, then the raw little-endian data), which
 * PyTorch, the {@code safetensors} package and most model hubs read and write. Only the dtypes a
 * Mask R-CNN state holds are supported: {@code F32} and {@code I64}.
 *
 * <p>Written here because no library on Maven Central reads and writes safetensors for libtorch
 * tensors; the format is the short header described above. Stateless.
 */
public final class Safetensors {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_HEADER = 100L << 20;

  private Safetensors() {}

  /** The tensors of a file and its {@code __metadata__} strings. The caller closes the tensors. */
  public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata)
      implements AutoCloseable {
    @Override
    public void close() {
      tensors.values().forEach(Tensor::close);
    }
  }

  /**
   * Writes {@code tensors} (float32 or int64, any shape) and {@code metadata} to {@code file},
   * replacing it atomically.
   *
   * @throws IOException if the file cannot be written
   * @throws IllegalArgumentException for a tensor of another dtype
   */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
      throws IOException {
    ObjectNode header = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = header.putObject("__metadata__");
      metadata.forEach(meta::put);
    }
    long offset = 0;
    Map<String, byte[]> data = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      Tensor t = e.getValue();
      String dtype = dtype(e.getKey(), t);
      byte[] bytes = bytes(t, dtype);
      ObjectNode entry = header.putObject(e.getKey());
      entry.put("dtype", dtype);
      var shape = entry.putArray("shape");
      for (long d : t.shape()) {
        shape.add(d);
      }
      entry.putArray("data_offsets").add(offset).add(offset + bytes.length);
      offset += bytes.length;
      data.put(e.getKey(), bytes);
    }
    byte[] headerBytes = JSON.writeValueAsBytes(header);
    // the data starts 8-aligned: pad the header with spaces, as the reference writer does
    int padded = (headerBytes.length + 7) / 8 * 8;
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
      out.write(headerBytes);
      for (int i = headerBytes.length; i < padded; i++) {
        out.write(' ');
      }
      for (byte[] b : data.values()) {
        out.write(b);
      }
    }
    Files.move(
        tmp,
        file,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Reads every tensor of a safetensors file.
   *
   * @throws IOException if the file cannot be read or is not a safetensors file of F32/I64 tensors
   */
  public static Contents read(Path file) throws IOException {
    Torch.load();
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      ByteBuffer lengthBuffer = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(channel, lengthBuffer, 0);
      long headerLength = lengthBuffer.getLong(0);
      if (headerLength <= 1 || headerLength > MAX_HEADER || 8 + headerLength > size) {
        throw new IOException(
            file + " is not a safetensors file (header length " + headerLength + ")");
      }
      ByteBuffer headerBuffer = ByteBuffer.allocate((int) headerLength);
      readFully(channel, headerBuffer, 8);
      JsonNode header;
      try {
        header = JSON.readTree(new String(headerBuffer.array(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new IOException(file + " is not a safetensors file: its header is not JSON", e);
      }
      if (header == null || !header.isObject()) {
        throw new IOException(file + " is not a safetensors file: its header is not a JSON object");
      }
      long dataStart = 8 + headerLength;
      Map<String, String> metadata = new LinkedHashMap<>();
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      try {
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          if (e.getKey().equals("__metadata__")) {
            e.getValue()
                .fields()
                .forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
            continue;
          }
          tensors.put(e.getKey(), tensor(file, channel, dataStart, size, e.getKey(), e.getValue()));
        }
      } catch (IOException | RuntimeException e) {
        tensors.values().forEach(Tensor::close);
        throw e;
      }
      return new Contents(tensors, metadata);
    }
  }

  private static Tensor tensor(
      Path file, FileChannel channel, long dataStart, long size, String name, JsonNode entry)
      throws IOException {
    String dtype = entry.path("dtype").asText();
    JsonNode shapeNode = entry.path("shape");
    JsonNode offsets = entry.path("data_offsets");
    if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
      throw new IOException(file + ": tensor " + name + " has no shape or data_offsets");
    }
    long[] shape = new long[shapeNode.size()];
    long count = 1;
    for (int i = 0; i < shape.length; i++) {
      shape[i] = shapeNode.get(i).asLong();
      count *= shape[i];
    }
    long begin = offsets.get(0).asLong();
    long end = offsets.get(1).asLong();
    int width =
        switch (dtype) {
          case "F32" -> 4;
          case "I64" -> 8;
          default ->
              throw new IOException(
                  file + ": tensor " + name + " is " + dtype + "; only F32 and I64 are read");
        };
    if (end - begin != count * width || dataStart + end > size || begin < 0) {
      throw new IOException(file + ": tensor " + name + " has a byte range that does not fit");
    }
    if (count > Integer.MAX_VALUE / 8) {
      throw new IOException(file + ": tensor " + name + " is too large");
    }
    ByteBuffer buffer = ByteBuffer.allocate((int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
    readFully(channel, buffer, dataStart + begin);
    buffer.flip();
    if (width == 4) {
      float[] values = new float[(int) count];
      buffer.asFloatBuffer().get(values);
      return Torch.floats(values, shape);
    }
    long[] values = new long[(int) count];
    buffer.asLongBuffer().get(values);
    return Torch.longs(values, shape);
  }

  private static String dtype(String name, Tensor t) {
    // JavaCPP's enums compare by their native value
    int type = t.scalar_type().value;
    if (type == torch.ScalarType.Float.value) {
      return "F32";
    }
    if (type == torch.ScalarType.Long.value) {
      return "I64";
    }
    throw new IllegalArgumentException(name + " is of dtype " + t.scalar_type() + "; F32/I64 only");
  }

  private static byte[] bytes(Tensor t, String dtype) {
    if (dtype.equals("F32")) {
      float[] values = Torch.toFloats(t);
      ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(values);
      return b.array();
    }
    long[] values = Torch.toLongs(t);
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    return b.array();
  }

  private static void readFully(FileChannel channel, ByteBuffer buffer, long position)
      throws IOException {
    long at = position;
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, at);
      if (n < 0) {
        throw new IOException("unexpected end of file");
      }
      at += n;
    }
  }
}
