package io.maskstream.trainer.engine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.bytedeco.pytorch.Tensor;

/**
 * State dicts as {@code torch.save(model.state_dict(), "model.pth")} writes them since PyTorch 1.6:
 * a zip archive of a pickle ({@code ARCHIVE/data.pkl}) and one file per tensor storage ({@code
 * ARCHIVE/data/KEY}, raw little-endian elements).
 *
 * <p>Read here rather than by libtorch's {@code torch::pickle_load}: libtorch 2.10 reads the
 * archive but turns the {@code collections.OrderedDict} every state dict is into None and then
 * fails on its items. The pickle is read by a small interpreter of the protocol-2 opcodes {@code
 * torch.save} emits, which builds only dicts, lists, tuples, strings, numbers and tensors: any
 * other Python object is refused, nothing is executed. Each tensor is rebuilt from its storage,
 * offset, size and stride, so tensors that share a storage or are strided views of one come out as
 * they were in Python. Floating-point tensors become float32, integer and boolean ones int64, as
 * {@link Safetensors} holds them.
 */
public final class PyTorchFile {
  /** The magic number at the start of {@code torch.save}'s format from before PyTorch 1.6. */
  private static final byte[] LEGACY_MAGIC = {
    (byte) 0x80, 0x02, (byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20
  };

  private PyTorchFile() {}

  /** Whether {@code head} (a file's first bytes) starts like a zip archive. */
  public static boolean isZip(byte[] head) {
    return head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
  }

  /** Whether {@code head} starts like {@code torch.save}'s format from before PyTorch 1.6. */
  public static boolean isLegacy(byte[] head) {
    return head.length >= LEGACY_MAGIC.length
        && Arrays.equals(Arrays.copyOf(head, LEGACY_MAGIC.length), LEGACY_MAGIC);
  }

  /**
   * Reads the state dict a {@code .pth} file holds: tensors by name, in the file's order. The
   * caller closes them.
   *
   * @throws IOException if the file cannot be read, is truncated, or does not hold a state dict (a
   *     dict of names to tensors)
   */
  public static Safetensors.Contents readStateDict(Path file) throws IOException {
    Torch.load();
    Object root = isLegacy(head(file)) ? readLegacy(file) : readZip(file);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    if (!(root instanceof Map<?, ?> map)) {
      throw new IOException(
          file
              + " is not a state dict: it holds a "
              + Unpickler.describe(root)
              + " (give a file"
              + " torch.save(model.state_dict(), ...) wrote)");
    }
    try {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (!(e.getKey() instanceof String name) || !(e.getValue() instanceof StoredTensor t)) {
          throw new IOException(
              file
                  + " is not a state dict: its entry "
                  + e.getKey()
                  + " is a "
                  + Unpickler.describe(e.getValue())
                  + ", not a tensor"
                  + (e.getValue() instanceof Map<?, ?>
                      ? " (a checkpoint? save its state dict alone: torch.save(checkpoint['"
                          + e.getKey()
                          + "'], 'model.pth'))"
                      : ""));
        }
        tensors.put(name, t.toTensor(file));
      }
    } catch (IOException | RuntimeException e) {
      tensors.values().forEach(Tensor::close);
      throw e;
    }
    return new Safetensors.Contents(tensors, Map.of());
  }

  private static Object readZip(Path file) throws IOException {
    try (ZipFile zip = new ZipFile(file.toFile())) {
      ZipEntry pickle =
          zip.stream()
              .filter(e -> e.getName().endsWith("/data.pkl") || e.getName().equals("data.pkl"))
              .findFirst()
              .orElseThrow(
                  () ->
                      new IOException(
                          file
                              + " is a zip archive but not one torch.save wrote (it has no"
                              + " data.pkl)"));
      String prefix =
          pickle.getName().substring(0, pickle.getName().length() - "data.pkl".length());
      ZipEntry order = zip.getEntry(prefix + "byteorder");
      if (order != null) {
        String byteOrder = new String(readAll(zip, order), StandardCharsets.US_ASCII).trim();
        if (!byteOrder.equals("little")) {
          throw new IOException(file + " holds " + byteOrder + "-endian tensors: save it on x86");
        }
      }
      Unpickler unpickler =
          new Unpickler(
              ByteBuffer.wrap(readAll(zip, pickle)).order(ByteOrder.LITTLE_ENDIAN),
              key -> {
                ZipEntry data = zip.getEntry(prefix + "data/" + key);
                if (data == null) {
                  throw new IOException(file + " lacks the storage " + key + " its pickle names");
                }
                return readAll(zip, data);
              });
      return unpickler.load();
    } catch (ZipException | java.io.EOFException e) {
      throw new IOException(file + " is truncated or damaged (" + e.getMessage() + ")", e);
    } catch (Unsupported e) {
      throw new IOException(file + " is not a state dict: it holds " + e.getMessage(), e);
    }
  }

  /**
   * The format of torch.save before PyTorch 1.6: pickles of a magic number, the protocol version
   * and the system's byte order, then of the object (storages as persistent ids), then of the
   * storages' keys, then each storage as its element count (8 bytes) and raw elements.
   */
  private static Object readLegacy(Path file) throws IOException {
    ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    Storages later = key -> null;
    try {
      new Unpickler(in, later).load(); // the magic number
      Object protocol = new Unpickler(in, later).load();
      if (!Long.valueOf(1001).equals(protocol)) {
        throw new IOException(
            file + " is in an unknown torch.save format (protocol " + protocol + ")");
      }
      if (new Unpickler(in, later).load() instanceof Map<?, ?> info
          && Boolean.FALSE.equals(info.get("little_endian"))) {
        throw new IOException(file + " holds big-endian tensors: save it on x86");
      }
      Unpickler objects = new Unpickler(in, later);
      Object root = objects.load();
      if (!(new Unpickler(in, later).load() instanceof List<?> keys)) {
        throw new IOException(file + " is damaged: no list of storages after its object");
      }
      for (Object key : keys) {
        Storage s = objects.loaded.get(key);
        long count = in.getLong();
        if (s == null || count < 0 || count * s.elementSize() > in.remaining()) {
          throw new java.io.EOFException("its storage " + key + " is cut short");
        }
        byte[] bytes = new byte[Math.toIntExact(count * s.elementSize())];
        in.get(bytes);
        s.bytes = bytes;
      }
      for (Storage s : objects.loaded.values()) {
        if (s.bytes() == null) {
          throw new IOException(file + " is damaged: a storage its object names is missing");
        }
      }
      return root;
    } catch (java.io.EOFException | java.nio.BufferUnderflowException e) {
      throw new IOException(file + " is truncated or damaged (" + e.getMessage() + ")", e);
    } catch (Unsupported e) {
      throw new IOException(file + " is not a state dict: it holds " + e.getMessage(), e);
    }
  }

  private static byte[] readAll(ZipFile zip, ZipEntry entry) throws IOException {
    try (InputStream in = zip.getInputStream(entry)) {
      return in.readAllBytes();
    }
  }

  /** Reads the bytes of a storage by its key. */
  @FunctionalInterface
  private interface Storages {
    byte[] read(String key) throws IOException;
  }

  /** A Python object the interpreter does not build. */
  private static final class Unsupported extends IOException {
    Unsupported(String message) {
      super(message);
    }
  }

  /** A storage: its element type and bytes (in the legacy format read after the pickle). */
  private static final class Storage {
    private final String type;
    private byte[] bytes;

    Storage(String type, byte[] bytes) {
      this.type = type;
      this.bytes = bytes;
    }

    String type() {
      return type;
    }

    byte[] bytes() {
      return bytes;
    }

    int elementSize() {
      return switch (type) {
        case "DoubleStorage", "LongStorage" -> 8;
        case "FloatStorage", "IntStorage" -> 4;
        case "HalfStorage", "BFloat16Storage", "ShortStorage" -> 2;
        case "ByteStorage", "CharStorage", "BoolStorage" -> 1;
        default -> throw new IllegalStateException(type);
      };
    }

    boolean floating() {
      return type.equals("DoubleStorage")
          || type.equals("FloatStorage")
          || type.equals("HalfStorage")
          || type.equals("BFloat16Storage");
    }

    double get(long index) {
      ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      int at = Math.toIntExact(index * elementSize());
      return switch (type) {
        case "DoubleStorage" -> b.getDouble(at);
        case "FloatStorage" -> b.getFloat(at);
        case "HalfStorage" -> half(b.getShort(at));
        case "BFloat16Storage" -> Float.intBitsToFloat((b.getShort(at) & 0xffff) << 16);
        case "LongStorage" -> b.getLong(at);
        case "IntStorage" -> b.getInt(at);
        case "ShortStorage" -> b.getShort(at);
        case "CharStorage" -> b.get(at);
        case "ByteStorage", "BoolStorage" -> b.get(at) & 0xff;
        default -> throw new IllegalStateException(type);
      };
    }
  }

  /** An IEEE 754 half-precision value. */
  static float half(short bits) {
    int sign = (bits >> 15) & 1;
    int exponent = (bits >> 10) & 0x1f;
    int mantissa = bits & 0x3ff;
    float magnitude;
    if (exponent == 0) {
      magnitude = mantissa * 0x1p-24f;
    } else if (exponent == 31) {
      magnitude = mantissa == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
    } else {
      magnitude = Float.intBitsToFloat(((exponent + 112) << 23) | (mantissa << 13));
    }
    return sign == 1 ? -magnitude : magnitude;
  }

  /** A tensor as the pickle describes it: a view of a storage. */
  private record StoredTensor(Storage storage, long offset, long[] size, long[] stride) {
    Tensor toTensor(Path file) throws IOException {
      long n = 1;
      for (long d : size) {
        n *= d;
      }
      long last = offset;
      for (int i = 0; i < size.length; i++) {
        last += size[i] == 0 ? 0 : (size[i] - 1) * stride[i];
      }
      long elements = storage.bytes().length / storage.elementSize();
      if (n > 0 && (offset < 0 || last >= elements)) {
        throw new IOException(
            file + " is damaged: a tensor reaches beyond its storage of " + elements + " elements");
      }
      int count = Math.toIntExact(n);
      long[] index = new long[size.length];
      if (storage.type().equals("FloatStorage") && contiguous()) {
        float[] out = new float[count];
        ByteBuffer.wrap(storage.bytes())
            .order(ByteOrder.LITTLE_ENDIAN)
            .position(Math.toIntExact(offset * 4))
            .asFloatBuffer()
            .get(out);
        return Torch.floats(out, size);
      }
      if (storage.floating()) {
        float[] out = new float[count];
        for (int i = 0; i < count; i++) {
          out[i] = (float) storage.get(position(index, i));
        }
        return Torch.floats(out, size);
      }
      long[] out = new long[count];
      for (int i = 0; i < count; i++) {
        out[i] = (long) storage.get(position(index, i));
      }
      return Torch.longs(out, size);
    }

    private boolean contiguous() {
      long expected = 1;
      for (int d = size.length - 1; d >= 0; d--) {
        if (size[d] != 1 && stride[d] != expected) {
          return false;
        }
        expected *= size[d];
      }
      return true;
    }

    /** The storage index of element {@code i} in row-major order ({@code index} carries it). */
    private long position(long[] index, int i) {
      if (i > 0) {
        for (int d = size.length - 1; d >= 0; d--) {
          if (++index[d] < size[d]) {
            break;
          }
          index[d] = 0;
        }
      }
      long at = offset;
      for (int d = 0; d < size.length; d++) {
        at += index[d] * stride[d];
      }
      return at;
    }
  }

  /** A Python global the pickle names ({@code module.name}). */
  private record Global(String module, String name) {
    @Override
    public String toString() {
      return module + "." + name;
    }
  }

  /** A call of a global the interpreter supports, with its arguments. */
  private record Reduced(Global global, List<Object> args) {}

  /** Python's None. */
  private enum None {
    NONE
  }

  /** The pickle interpreter: protocol 2 to 4 opcodes, the objects of a state dict only. */
  private static final class Unpickler {
    private final ByteBuffer in;
    private final Storages storages;
    private final Deque<List<Object>> marks = new ArrayDeque<>();
    private List<Object> stack = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private final Map<String, Storage> loaded = new HashMap<>();

    Unpickler(ByteBuffer in, Storages storages) {
      this.in = in;
      this.storages = storages;
    }

    static String describe(Object o) {
      if (o instanceof Map<?, ?>) {
        return "dict";
      }
      if (o instanceof List<?>) {
        return "list";
      }
      if (o instanceof Object[]) {
        return "tuple";
      }
      if (o instanceof StoredTensor) {
        return "tensor";
      }
      if (o == None.NONE) {
        return "None";
      }
      return o == null ? "None" : o.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
    }

    Object load() throws IOException {
      try {
        while (true) {
          int op = in.get() & 0xff;
          switch (op) {
            case 0x80 -> in.get(); // PROTO
            case 0x95 -> in.getLong(); // FRAME
            case '.' -> {
              return pop();
            }
            case '(' -> {
              marks.push(stack);
              stack = new ArrayList<>();
            }
            case 'c' -> push(new Global(line(), line()));
            case 0x93 -> { // STACK_GLOBAL
              String name = (String) pop();
              push(new Global((String) pop(), name));
            }
            case ')' -> push(new Object[0]);
            case 't' -> push(popMark().toArray());
            case 0x85 -> push(new Object[] {pop()});
            case 0x86 -> {
              Object b = pop();
              push(new Object[] {pop(), b});
            }
            case 0x87 -> {
              Object c = pop();
              Object b = pop();
              push(new Object[] {pop(), b, c});
            }
            case '}' -> push(new LinkedHashMap<Object, Object>());
            case ']' -> push(new ArrayList<Object>());
            case 'l' -> push(new ArrayList<>(popMark()));
            case 'd' -> {
              List<Object> items = popMark();
              Map<Object, Object> map = new LinkedHashMap<>();
              for (int i = 0; i + 1 < items.size(); i += 2) {
                map.put(items.get(i), items.get(i + 1));
              }
              push(map);
            }
            case 'a' -> {
              Object v = pop();
              list(top()).add(v);
            }
            case 'e' -> {
              List<Object> items = popMark();
              list(top()).addAll(items);
            }
            case 's' -> {
              Object v = pop();
              Object k = pop();
              map(top()).put(k, v);
            }
            case 'u' -> {
              List<Object> items = popMark();
              Map<Object, Object> map = map(top());
              for (int i = 0; i + 1 < items.size(); i += 2) {
                map.put(items.get(i), items.get(i + 1));
              }
            }
            case 'q' -> memo.put((long) (in.get() & 0xff), top());
            case 'r' -> memo.put(in.getInt() & 0xffffffffL, top());
            case 0x94 -> memo.put((long) memo.size(), top()); // MEMOIZE
            case 'h' -> push(memo(in.get() & 0xff));
            case 'j' -> push(memo(in.getInt() & 0xffffffffL));
            case 'J' -> push((long) in.getInt());
            case 'K' -> push((long) (in.get() & 0xff));
            case 'M' -> push((long) (in.getShort() & 0xffff));
            case 0x8a -> push(long1(in.get() & 0xff));
            case 'G' -> push(ByteBuffer.wrap(bytes(8)).getDouble()); // BINFLOAT, big-endian
            case 'X' -> push(string(in.getInt()));
            case 0x8c -> push(string(in.get() & 0xff)); // SHORT_BINUNICODE
            case 0x8d -> push(string(Math.toIntExact(in.getLong()))); // BINUNICODE8
            case 'T' -> push(string(in.getInt())); // BINSTRING
            case 'U' -> push(string(in.get() & 0xff)); // SHORT_BINSTRING
            case 'B' -> push(bytes(in.getInt())); // BINBYTES
            case 'C' -> push(bytes(in.get() & 0xff)); // SHORT_BINBYTES
            case 'N' -> push(None.NONE);
            case 0x88 -> push(Boolean.TRUE);
            case 0x89 -> push(Boolean.FALSE);
            case '0' -> pop();
            case '1' -> popMark();
            case '2' -> push(top());
            case 'Q' -> push(persistent(pop()));
            case 'R' -> {
              Object[] args = (Object[]) pop();
              push(call(pop(), args));
            }
            case 0x81 -> { // NEWOBJ
              Object[] args = (Object[]) pop();
              push(call(pop(), args));
            }
            case 'b' -> pop(); // BUILD: the state of an OrderedDict (its _metadata), not kept
            default -> throw new IOException(String.format("an unknown pickle opcode 0x%02x", op));
          }
        }
      } catch (java.nio.BufferUnderflowException
          | IndexOutOfBoundsException
          | java.util.NoSuchElementException e) {
        throw new java.io.EOFException("its pickle ends early");
      } catch (ClassCastException e) {
        throw new IOException("its pickle is not one torch.save writes", e);
      }
    }

    private Object call(Object callable, Object[] args) throws IOException {
      if (!(callable instanceof Global g)) {
        throw new Unsupported("a call of a " + describe(callable));
      }
      return switch (g.toString()) {
        case "collections.OrderedDict" -> new LinkedHashMap<Object, Object>();
        case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor" -> {
          Storage storage = (Storage) args[0];
          long offset = (Long) args[1];
          yield new StoredTensor(storage, offset, longs(args[2]), longs(args[3]));
        }
        case "torch._utils._rebuild_parameter" -> args[0];
        default -> throw new Unsupported("a " + g + " object");
      };
    }

    private Object persistent(Object id) throws IOException {
      if (!(id instanceof Object[] t) || t.length < 5 || !"storage".equals(t[0])) {
        throw new Unsupported("a persistent object " + describe(id));
      }
      if (t.length > 5 && t[5] != None.NONE) {
        throw new Unsupported(
            "a view of a storage (in the format from before PyTorch 1.6: re-save it with a newer"
                + " PyTorch)");
      }
      if (!(t[1] instanceof Global type) || !type.module().equals("torch")) {
        throw new Unsupported("a storage of " + t[1]);
      }
      try {
        new Storage(type.name(), new byte[0]).elementSize();
      } catch (IllegalStateException e) {
        throw new Unsupported("a tensor of torch." + type.name());
      }
      String key = (String) t[2];
      Storage s = loaded.get(key);
      if (s == null) {
        s = new Storage(type.name(), storages.read(key));
        loaded.put(key, s);
      }
      return s;
    }

    private static long[] longs(Object tuple) {
      Object[] t = (Object[]) tuple;
      long[] out = new long[t.length];
      for (int i = 0; i < t.length; i++) {
        out[i] = (Long) t[i];
      }
      return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> map(Object o) throws Unsupported {
      if (o instanceof Map<?, ?>) {
        return (Map<Object, Object>) o;
      }
      throw new Unsupported("items set on a " + describe(o));
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) throws Unsupported {
      if (o instanceof List<?>) {
        return (List<Object>) o;
      }
      throw new Unsupported("items appended to a " + describe(o));
    }

    private Object memo(long index) throws IOException {
      Object o = memo.get(index);
      if (o == null) {
        throw new IOException("its pickle refers to a value it did not store");
      }
      return o;
    }

    private Object long1(int n) {
      if (n > 8) {
        // the legacy format's magic number; Python's little-endian two's complement
        byte[] b = bytes(n);
        byte[] big = new byte[n];
        for (int i = 0; i < n; i++) {
          big[i] = b[n - 1 - i];
        }
        return new java.math.BigInteger(big);
      }
      long v = 0;
      for (int i = 0; i < n; i++) {
        v |= (long) (in.get() & 0xff) << (8 * i);
      }
      if (n > 0 && n < 8 && (v & (1L << (8 * n - 1))) != 0) {
        v -= 1L << (8 * n);
      }
      return v;
    }

    private String line() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (byte b = in.get(); b != '\n'; b = in.get()) {
        out.write(b);
      }
      return out.toString(StandardCharsets.UTF_8);
    }

    private String string(int length) {
      return new String(bytes(length), StandardCharsets.UTF_8);
    }

    private byte[] bytes(int length) {
      byte[] b = new byte[length];
      in.get(b);
      return b;
    }

    private void push(Object o) {
      stack.add(o);
    }

    private Object pop() {
      return stack.remove(stack.size() - 1);
    }

    private Object top() {
      return stack.get(stack.size() - 1);
    }

    private List<Object> popMark() {
      List<Object> items = stack;
      stack = marks.pop();
      return items;
    }
  }

  /**
   * The first bytes of {@code file}, to tell its format.
   *
   * @throws IOException if it cannot be read
   */
  public static byte[] head(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return in.readNBytes(16);
    }
  }
}
