package io.maskstream.trainer.export;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX graph under construction, one node at a time: inputs, outputs, initializers (weights and
 * constants, stored little-endian as raw data) and nodes of the default domain, each output named
 * uniquely after its operator and the current name scope.
 *
 * <p>The graph is written by hand, with the generated protobuf classes, because no library served
 * here exports a libtorch C++ module to ONNX: {@code torch.onnx} traces Python modules, and
 * Tribuo's {@code ONNXContext}, which builds graphs in Java, has no convolution, RoIAlign or NMS
 * among its operators. Tensors are named by strings; an empty string is an omitted optional input.
 * The model's components write their nodes through a {@link GraphContext}, which holds this graph.
 * Not thread-safe; one exporter builds one graph.
 */
public final class OnnxGraph {
  /** {@code TensorProto.DataType} code of float32. */
  public static final int FLOAT = OnnxMl.TensorProto.DataType.FLOAT.getNumber();

  /** {@code TensorProto.DataType} code of int64. */
  public static final int INT64 = OnnxMl.TensorProto.DataType.INT64.getNumber();

  /** {@code TensorProto.DataType} code of float64. */
  public static final int DOUBLE = OnnxMl.TensorProto.DataType.DOUBLE.getNumber();

  /** {@code TensorProto.DataType} code of bool. */
  public static final int BOOL = OnnxMl.TensorProto.DataType.BOOL.getNumber();

  private final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder();
  // where nodes go: the graph, or the body of the loop being written (initializers always go to
  // the graph, which a body sees as its outer scope)
  private OnnxMl.GraphProto.Builder nodes = graph;
  private final Map<String, Integer> used = new HashMap<>();
  private final Map<String, String> constants = new HashMap<>();
  private String scope = "";

  OnnxGraph(String name) {
    graph.setName(name);
  }

  /** Names the nodes and tensors made from now on {@code scope/...}; empty for none. */
  public void scope(String name) {
    scope = name;
  }

  /** A name not used before, from {@code base} in the current scope. */
  public String fresh(String base) {
    String full = scope.isEmpty() ? base : scope + "/" + base;
    int n = used.merge(full, 1, Integer::sum);
    return n == 1 ? full : full + "_" + (n - 1);
  }

  /**
   * Declares a graph input of element type {@code type}; each dimension is a {@code Long} (fixed)
   * or a {@code String} (named, dynamic).
   */
  String input(String name, int type, Object... dims) {
    graph.addInput(valueInfo(name, type, dims));
    used.put(name, 1);
    return name;
  }

  /** Declares {@code tensor} as a graph output called {@code name} (an Identity if renamed). */
  void output(String tensor, String name, int type, Object... dims) {
    if (!tensor.equals(name)) {
      graph.addNode(
          OnnxMl.NodeProto.newBuilder()
              .setOpType("Identity")
              .setName(name)
              .addInput(tensor)
              .addOutput(name));
    }
    graph.addOutput(valueInfo(name, type, dims));
  }

  /** Declares {@code tensor} as an output of element type {@code type} and unknown shape. */
  void outputOfAnyShape(String tensor, String name, int type) {
    if (!tensor.equals(name)) {
      graph.addNode(
          OnnxMl.NodeProto.newBuilder()
              .setOpType("Identity")
              .setName(name)
              .addInput(tensor)
              .addOutput(name));
    }
    graph.addOutput(
        OnnxMl.ValueInfoProto.newBuilder()
            .setName(name)
            .setType(
                OnnxMl.TypeProto.newBuilder()
                    .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(type))));
  }

  private static OnnxMl.ValueInfoProto valueInfo(String name, int type, Object... dims) {
    OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
    for (Object d : dims) {
      OnnxMl.TensorShapeProto.Dimension.Builder dim =
          OnnxMl.TensorShapeProto.Dimension.newBuilder();
      if (d instanceof String s) {
        dim.setDimParam(s);
      } else {
        dim.setDimValue(((Number) d).longValue());
      }
      shape.addDim(dim);
    }
    return OnnxMl.ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            OnnxMl.TypeProto.newBuilder()
                .setTensorType(
                    OnnxMl.TypeProto.Tensor.newBuilder().setElemType(type).setShape(shape)))
        .build();
  }

  /** A float32 initializer of {@code shape} (no dimensions: a scalar). */
  public String floats(String name, float[] values, long... shape) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return initializer(name, FLOAT, b.array(), shape);
  }

  /** An int64 initializer of {@code shape} (no dimensions: a scalar). */
  public String longs(String name, long[] values, long... shape) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    return initializer(name, INT64, b.array(), shape);
  }

  /** A float64 initializer of {@code shape} (no dimensions: a scalar). */
  public String doubles(String name, double[] values, long... shape) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asDoubleBuffer().put(values);
    return initializer(name, DOUBLE, b.array(), shape);
  }

  private String initializer(String name, int type, byte[] raw, long... shape) {
    String unique = fresh(name);
    OnnxMl.TensorProto.Builder t =
        OnnxMl.TensorProto.newBuilder()
            .setName(unique)
            .setDataType(type)
            .setRawData(ByteString.copyFrom(raw));
    for (long d : shape) {
      t.addDims(d);
    }
    graph.addInitializer(t);
    return unique;
  }

  /** A float32 scalar constant, shared by every use of the same value. */
  public String scalar(float v) {
    return constants.computeIfAbsent(
        "f" + Float.floatToRawIntBits(v), k -> globalConstant(() -> floats("c", new float[] {v})));
  }

  /** A float64 scalar constant, shared by every use of the same value. */
  public String scalarDouble(double v) {
    return constants.computeIfAbsent(
        "d" + Double.doubleToRawLongBits(v),
        k -> globalConstant(() -> doubles("c", new double[] {v})));
  }

  /** An int64 scalar constant, shared by every use of the same value. */
  public String scalar(long v) {
    return constants.computeIfAbsent(
        "l" + v, k -> globalConstant(() -> longs("c", new long[] {v})));
  }

  /** A one-dimensional int64 constant, shared by every use of the same values. */
  public String vector(long... v) {
    return constants.computeIfAbsent(
        "v" + java.util.Arrays.toString(v), k -> globalConstant(() -> longs("c", v, v.length)));
  }

  /** A one-dimensional float32 constant, shared by every use of the same values. */
  public String vector(float... v) {
    return constants.computeIfAbsent(
        "fv" + java.util.Arrays.toString(v), k -> globalConstant(() -> floats("c", v, v.length)));
  }

  private String globalConstant(java.util.function.Supplier<String> make) {
    String saved = scope;
    scope = "const";
    try {
      return make.get();
    } finally {
      scope = saved;
    }
  }

  /** One node attribute. */
  public record Attr(OnnxMl.AttributeProto proto) {}

  /** An integer attribute. */
  public static Attr attr(String name, long v) {
    return new Attr(
        OnnxMl.AttributeProto.newBuilder()
            .setName(name)
            .setType(OnnxMl.AttributeProto.AttributeType.INT)
            .setI(v)
            .build());
  }

  /** A float attribute. */
  public static Attr attr(String name, float v) {
    return new Attr(
        OnnxMl.AttributeProto.newBuilder()
            .setName(name)
            .setType(OnnxMl.AttributeProto.AttributeType.FLOAT)
            .setF(v)
            .build());
  }

  /** A string attribute. */
  public static Attr attr(String name, String v) {
    return new Attr(
        OnnxMl.AttributeProto.newBuilder()
            .setName(name)
            .setType(OnnxMl.AttributeProto.AttributeType.STRING)
            .setS(ByteString.copyFromUtf8(v))
            .build());
  }

  /** An integer list attribute. */
  public static Attr attr(String name, long... v) {
    OnnxMl.AttributeProto.Builder b =
        OnnxMl.AttributeProto.newBuilder()
            .setName(name)
            .setType(OnnxMl.AttributeProto.AttributeType.INTS);
    for (long x : v) {
      b.addInts(x);
    }
    return new Attr(b.build());
  }

  /** A node of {@code type} with one output, which is returned. */
  public String op(String type, List<String> inputs, Attr... attrs) {
    return op(type, 1, inputs, attrs)[0];
  }

  /** A node of {@code type} with {@code outputs} outputs, which are returned. */
  public String[] op(String type, int outputs, List<String> inputs, Attr... attrs) {
    String name = fresh(type);
    OnnxMl.NodeProto.Builder node =
        OnnxMl.NodeProto.newBuilder().setOpType(type).setName(name).addAllInput(inputs);
    String[] out = new String[outputs];
    for (int i = 0; i < outputs; i++) {
      out[i] = outputs == 1 ? name : name + "." + i;
      node.addOutput(out[i]);
    }
    for (Attr a : attrs) {
      node.addAttribute(a.proto());
    }
    nodes.addNode(node);
    return out;
  }

  /**
   * An ONNX {@code Loop} of {@code count} iterations without carried values, whose body {@code
   * body} writes: given the iteration number (an int64 scalar) it adds the body's nodes through
   * this graph (names stay unique; constants and initializers it makes live in the graph, which the
   * body reads from its outer scope) and returns one tensor per element type of {@code types}. The
   * loop's outputs stack them: each has the iterations as its first dimension.
   *
   * @param count the number of iterations, an int64 scalar
   */
  public String[] loop(
      String count, int[] types, java.util.function.Function<String, String[]> body) {
    if (nodes != graph) {
      throw new IllegalStateException("loops do not nest here");
    }
    String name = fresh("Loop");
    OnnxMl.GraphProto.Builder sub = OnnxMl.GraphProto.newBuilder().setName(name + "/body");
    String iteration = fresh("iteration");
    String condition = fresh("condition");
    sub.addInput(valueInfo(iteration, INT64));
    sub.addInput(valueInfo(condition, BOOL));
    String[] results;
    String goOn;
    nodes = sub;
    try {
      results = body.apply(iteration);
      goOn = op("Identity", condition);
      sub.addOutput(valueInfo(goOn, BOOL));
      for (int i = 0; i < types.length; i++) {
        // through an Identity: a body output must be made in the body
        String result = op("Identity", results[i]);
        sub.addOutput(
            OnnxMl.ValueInfoProto.newBuilder()
                .setName(result)
                .setType(
                    OnnxMl.TypeProto.newBuilder()
                        .setTensorType(
                            OnnxMl.TypeProto.Tensor.newBuilder().setElemType(types[i]))));
      }
    } finally {
      nodes = graph;
    }
    if (results.length != types.length) {
      throw new IllegalArgumentException(
          results.length + " loop outputs, " + types.length + " types");
    }
    OnnxMl.NodeProto.Builder node =
        OnnxMl.NodeProto.newBuilder()
            .setOpType("Loop")
            .setName(name)
            .addInput(count)
            .addInput("")
            .addAttribute(
                OnnxMl.AttributeProto.newBuilder()
                    .setName("body")
                    .setType(OnnxMl.AttributeProto.AttributeType.GRAPH)
                    .setG(sub));
    String[] out = new String[types.length];
    for (int i = 0; i < types.length; i++) {
      out[i] = name + "." + i;
      node.addOutput(out[i]);
    }
    graph.addNode(node);
    return out;
  }

  /** A node with one input and one output. */
  public String op(String type, String input, Attr... attrs) {
    return op(type, List.of(input), attrs);
  }

  /** {@code a + b}, broadcasting. */
  public String add(String a, String b) {
    return op("Add", List.of(a, b));
  }

  /** {@code a - b}, broadcasting. */
  public String sub(String a, String b) {
    return op("Sub", List.of(a, b));
  }

  /** {@code a * b}, broadcasting. */
  public String mul(String a, String b) {
    return op("Mul", List.of(a, b));
  }

  /** {@code a / b}, broadcasting (truncating for integers). */
  public String div(String a, String b) {
    return op("Div", List.of(a, b));
  }

  /** The element-wise minimum of {@code a} and {@code b}. */
  public String min(String a, String b) {
    return op("Min", List.of(a, b));
  }

  /** The element-wise maximum of {@code a} and {@code b}. */
  public String max(String a, String b) {
    return op("Max", List.of(a, b));
  }

  /** {@code x} converted to element type {@code type}. */
  public String cast(String x, int type) {
    return op("Cast", x, attr("to", (long) type));
  }

  /** Elements of {@code x} at {@code indices} along {@code axis}. */
  public String gather(String x, String indices, long axis) {
    return op("Gather", List.of(x, indices), attr("axis", axis));
  }

  /** {@code x} with dimensions of size 1 inserted at {@code axes}. */
  public String unsqueeze(String x, long... axes) {
    return op("Unsqueeze", List.of(x, vector(axes)));
  }

  /** {@code x} without its dimensions of size 1 at {@code axes}. */
  public String squeeze(String x, long... axes) {
    return op("Squeeze", List.of(x, vector(axes)));
  }

  /** {@code x} in the constant {@code shape} (-1: inferred, 0: kept). */
  public String reshape(String x, long... shape) {
    return op("Reshape", List.of(x, vector(shape)));
  }

  /** {@code x} in the shape given by the int64 vector {@code shape}. */
  public String reshape(String x, String shape) {
    return op("Reshape", List.of(x, shape));
  }

  /** {@code x} with its dimensions permuted by {@code perm}. */
  public String transpose(String x, long... perm) {
    return op("Transpose", x, attr("perm", perm));
  }

  /** {@code parts} joined along {@code axis}. */
  public String concat(long axis, String... parts) {
    return op("Concat", List.of(parts), attr("axis", axis));
  }

  /** {@code x[..., start:end]} along {@code axis} (constant bounds). */
  public String slice(String x, long axis, long start, long end) {
    return op("Slice", List.of(x, vector(start), vector(end), vector(axis)));
  }

  /** The sizes of dimensions {@code [start, end)} of {@code x}: an int64 vector. */
  public String shape(String x, long start, long end) {
    return op("Shape", x, attr("start", start), attr("end", end));
  }

  /** The size of dimension {@code axis} of {@code x}, as a one-element int64 vector. */
  public String dim(String x, long axis) {
    return shape(x, axis, axis + 1);
  }

  /** The finished graph; the builder must not be used afterwards. */
  OnnxMl.GraphProto build() {
    return graph.build();
  }
}
