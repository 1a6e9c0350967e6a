package io.maskstream.detector.model;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Takes the mask pasting out of a Mask R-CNN graph that pastes in the graph.
 *
 * <p>torchvision's ONNX export pastes every detection's 28x28 mask into an image-sized plane inside
 * the graph, in a {@code Loop} that concatenates one plane per detection (the trainer's exports do
 * it with two matrix products per detection): the {@code masks} output is {@code [N, 1, H, W]}
 * floats, and torchvision's loop copies the growing tensor at every step. A 4K frame with 100
 * detections needs 3.3 GB for the output alone. This rewrite makes the graph return the mask head's
 * small masks instead - the input of the paste's first step, the one-pixel {@code Pad}, {@code [N,
 * 1, M, M]} - and drops every node only the paste needed; the detector then pastes each detection
 * itself with torchvision's eager rule ({@code MaskPaster}), which both pastes follow.
 *
 * <p>Recognised structurally: the {@code Pad} nearest upstream of the rank-4 float output (the
 * image transform's padding is far deeper). Any other graph is left as it is; the detector checks
 * at run time that the small masks are square and one per detection. Stateless.
 */
final class PasteFreeGraph {
  /** How far upstream of the masks output the paste's {@code Pad} may be. */
  private static final int MAX_DEPTH = 8;

  private PasteFreeGraph() {}

  /**
   * A rewritten model.
   *
   * @param model the model bytes without the paste
   * @param smallMasks the name of the graph output that replaced the pasted masks
   */
  record Cut(byte[] model, String smallMasks) {}

  /**
   * The model without its paste loop, or null when {@code bytes} is not an ONNX model that pastes
   * its masks the way torchvision's export does.
   */
  static Cut cut(byte[] bytes) {
    ModelProto model;
    try {
      model = ModelProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      return null; // not ONNX: the session refuses it with its own message
    }
    GraphProto graph = model.getGraph();
    Map<String, NodeProto> producers = new HashMap<>();
    for (NodeProto node : graph.getNodeList()) {
      for (String out : node.getOutputList()) {
        producers.put(out, node);
      }
    }
    for (int i = 0; i < graph.getOutputCount(); i++) {
      ValueInfoProto output = graph.getOutput(i);
      if (!isFloatRank4(output)) {
        continue;
      }
      String small = nearestPadInput(output.getName(), producers);
      if (small == null) {
        continue;
      }
      ValueInfoProto replacement =
          ValueInfoProto.newBuilder()
              .setName(small)
              .setType(
                  TypeProto.newBuilder()
                      .setTensorType(
                          TypeProto.Tensor.newBuilder()
                              .setElemType(TensorProto.DataType.FLOAT.getNumber())
                              .setShape(dynamicShape(4))))
              .build();
      GraphProto.Builder cut = graph.toBuilder().setOutput(i, replacement);
      // ONNX Runtime would still run the loop whose output nothing reads: keep only what the
      // outputs need
      Set<String> needed = new HashSet<>();
      cut.getOutputList().forEach(v -> needed.add(v.getName()));
      List<NodeProto> nodes = graph.getNodeList();
      boolean[] keep = new boolean[nodes.size()];
      for (int n = nodes.size() - 1; n >= 0; n--) {
        NodeProto node = nodes.get(n);
        if (node.getOutputList().stream().anyMatch(needed::contains)) {
          keep[n] = true;
          needed.addAll(node.getInputList());
          for (var attribute : node.getAttributeList()) {
            if (attribute.hasG()) {
              outerReferences(attribute.getG(), new HashSet<>(), needed);
            }
            for (GraphProto g : attribute.getGraphsList()) {
              outerReferences(g, new HashSet<>(), needed);
            }
          }
        }
      }
      cut.clearNode();
      for (int n = 0; n < nodes.size(); n++) {
        if (keep[n]) {
          cut.addNode(nodes.get(n));
        }
      }
      return new Cut(model.toBuilder().setGraph(cut).build().toByteArray(), small);
    }
    return null;
  }

  /**
   * The data input of the {@code Pad} nearest to {@code output} upstream (breadth first over node
   * inputs and the outer references of subgraphs), within {@value #MAX_DEPTH} nodes; null when
   * there is none or two at the same distance.
   */
  private static String nearestPadInput(String output, Map<String, NodeProto> producers) {
    List<String> level = List.of(output);
    Set<String> seen = new HashSet<>(level);
    for (int depth = 0; depth < MAX_DEPTH && !level.isEmpty(); depth++) {
      Set<String> pads = new HashSet<>();
      List<String> next = new ArrayList<>();
      for (String tensor : level) {
        NodeProto node = producers.get(tensor);
        if (node == null) {
          continue;
        }
        if (node.getOpType().equals("Pad") && node.getInputCount() > 0) {
          pads.add(node.getInput(0));
          continue;
        }
        Set<String> inputs = new HashSet<>(node.getInputList());
        for (var attribute : node.getAttributeList()) {
          if (attribute.hasG()) {
            outerReferences(attribute.getG(), new HashSet<>(), inputs);
          }
        }
        for (String in : inputs) {
          if (!in.isEmpty() && seen.add(in)) {
            next.add(in);
          }
        }
      }
      if (!pads.isEmpty()) {
        return pads.size() == 1 ? pads.iterator().next() : null;
      }
      level = next;
    }
    return null;
  }

  /** Adds to {@code outer} every tensor {@code graph} (or a subgraph of it) reads from outside. */
  private static void outerReferences(GraphProto graph, Set<String> defined, Set<String> outer) {
    Set<String> local = new HashSet<>(defined);
    graph.getInputList().forEach(v -> local.add(v.getName()));
    graph.getInitializerList().forEach(t -> local.add(t.getName()));
    for (NodeProto node : graph.getNodeList()) {
      for (String in : node.getInputList()) {
        if (!in.isEmpty() && !local.contains(in)) {
          outer.add(in);
        }
      }
      for (var attribute : node.getAttributeList()) {
        if (attribute.hasG()) {
          outerReferences(attribute.getG(), local, outer);
        }
        for (GraphProto g : attribute.getGraphsList()) {
          outerReferences(g, local, outer);
        }
      }
      local.addAll(node.getOutputList());
    }
  }

  private static boolean isFloatRank4(ValueInfoProto value) {
    TypeProto type = value.getType();
    return type.hasTensorType()
        && type.getTensorType().getElemType() == TensorProto.DataType.FLOAT.getNumber()
        && type.getTensorType().getShape().getDimCount() == 4;
  }

  private static TensorShapeProto dynamicShape(int rank) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (String name :
        List.of("detections", "channels", "mask_height", "mask_width").subList(0, rank)) {
      shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("small_" + name));
    }
    return shape.build();
  }
}
