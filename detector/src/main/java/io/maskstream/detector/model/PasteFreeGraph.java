package io.maskstream.detector.model;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Takes the mask pasting out of a torchvision Mask R-CNN export.
 *
 * <p>torchvision's ONNX export pastes every detection's 28x28 mask into an image-sized plane inside
 * the graph, in a {@code Loop} that concatenates one plane per detection: its {@code masks} output
 * is {@code [N, 1, H, W]} floats, and the loop copies the growing tensor at every step. A 4K frame
 * with 100 detections needs 3.3 GB for the output alone. This rewrite makes the graph return the
 * mask head's small masks instead (the input of the paste's {@code Pad}, {@code [N, 1, M, M]}), so
 * ONNX Runtime drops the loop, and the detector pastes each detection itself with torchvision's
 * eager rule ({@code MaskPaster}), straight into its run-length encoding.
 *
 * <p>Recognised structurally: a graph output produced (through {@code Unsqueeze}, {@code Squeeze}
 * or {@code Identity}) by a {@code Loop} whose body reads a tensor made by a {@code Pad} of the
 * main graph - exactly one such tensor. Any other graph is left as it is. Stateless.
 */
final class PasteFreeGraph {
  private static final Set<String> PASS_THROUGH = Set.of("Unsqueeze", "Squeeze", "Identity");

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
      NodeProto loop = producers.get(output.getName());
      while (loop != null && PASS_THROUGH.contains(loop.getOpType())) {
        loop = loop.getInputCount() == 0 ? null : producers.get(loop.getInput(0));
      }
      if (loop == null || !loop.getOpType().equals("Loop")) {
        continue;
      }
      String small = paddedInput(loop, producers);
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

  /** The data input of the one {@code Pad} node whose output the loop body reads, or null. */
  private static String paddedInput(NodeProto loop, Map<String, NodeProto> producers) {
    GraphProto body = null;
    for (var attribute : loop.getAttributeList()) {
      if (attribute.getName().equals("body")) {
        body = attribute.getG();
      }
    }
    if (body == null) {
      return null;
    }
    Set<String> outer = new HashSet<>();
    outerReferences(body, new HashSet<>(), outer);
    String found = null;
    for (String name : outer) {
      NodeProto p = producers.get(name);
      if (p != null && p.getOpType().equals("Pad") && p.getInputCount() > 0) {
        if (found != null) {
          return null; // ambiguous
        }
        found = p.getInput(0);
      }
    }
    return found;
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
