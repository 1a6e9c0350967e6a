package io.maskstream.detector.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import io.maskstream.detector.DetectorConfig;
import io.maskstream.detector.Instance;
import io.maskstream.detector.Segmentation;
import io.maskstream.detector.image.DecodedImage;
import io.maskstream.schemas.masks.MaskPaster;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A zoo-contract graph clips its boxes to the padded input, so they can reach past the frame's
 * right and bottom edges; the detector reports boxes and masks inside the frame.
 */
class ZooBoxClipTest {
  private static final int W = 100;
  private static final int H = 80;

  @Test
  void boxesReachingIntoThePaddingAreClippedToTheFrame(@TempDir Path dir) throws Exception {
    // a 100x80 frame is resized by 10 to 1000x800 and padded to 1024x800; the graph's box ends in
    // the padding on the right (1020 > 1000) and inside the frame at the bottom
    Path model = dir.resolve("clip-zoo.onnx");
    Files.write(model, constantZooGraph(new float[] {900, 700, 1020, 799}).toByteArray());
    try (OnnxMaskRcnn zoo =
        OnnxMaskRcnn.load(
            DetectorConfig.builder()
                .model(model)
                .device(Device.CPU)
                .scoreThreshold(0.5f)
                .build())) {
      assertThat(zoo.contract()).isEqualTo(GraphContract.ONNX_ZOO);
      Segmentation s = zoo.segment(new DecodedImage(W, H, new byte[W * H * 3]), 0f);
      assertThat(s.instances()).hasSize(1);
      Instance d = s.instances().get(0);
      assertThat(d.x1()).isEqualTo(90f);
      assertThat(d.y1()).isEqualTo(70f);
      assertThat(d.x2()).isEqualTo((float) W);
      assertThat(d.y2()).isEqualTo(79.9f);
      // the mask is pasted with the reported (clipped) box, by torchvision's paste rule
      float[] ones = new float[28 * 28];
      Arrays.fill(ones, 1f);
      float[] canvas = new float[W * H];
      MaskPaster.paste(ones, 0, 28, new float[] {90f, 70f, W, 79.9f}, H, W, canvas);
      long expected = 0;
      for (float v : canvas) {
        expected += v > 0.5f ? 1 : 0;
      }
      assertThat(d.mask().area()).isEqualTo(expected).isGreaterThanOrEqualTo(100);
    }
  }

  /**
   * A graph with the zoo's input and outputs that ignores its image and always finds one object at
   * {@code box} (resized coordinates), label 1, score 0.9, with an all-ones 28x28 mask.
   */
  private static OnnxMl.ModelProto constantZooGraph(float[] box) {
    int f = OnnxMl.TensorProto.DataType.FLOAT.getNumber();
    int i64 = OnnxMl.TensorProto.DataType.INT64.getNumber();
    float[] ones = new float[28 * 28];
    Arrays.fill(ones, 1f);
    OnnxMl.GraphProto.Builder g =
        OnnxMl.GraphProto.newBuilder()
            .setName("constant-zoo")
            .addInput(value("image", f, 3, -1, -1))
            .addInitializer(floats("box", box, 1, 4))
            .addInitializer(longs("label", new long[] {1}, 1))
            .addInitializer(floats("score", new float[] {0.9f}, 1))
            .addInitializer(floats("mask", ones, 1, 1, 28, 28));
    String[][] outputs = {{"box", "6568"}, {"label", "6570"}, {"score", "6572"}, {"mask", "6887"}};
    for (String[] o : outputs) {
      g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Identity").addInput(o[0]).addOutput(o[1]));
    }
    g.addOutput(value("6568", f, 1, 4))
        .addOutput(value("6570", i64, 1))
        .addOutput(value("6572", f, 1))
        .addOutput(value("6887", f, 1, 1, 28, 28));
    return OnnxMl.ModelProto.newBuilder()
        .setIrVersion(7)
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(12))
        .setGraph(g)
        .build();
  }

  /** A tensor value; -1 marks a dynamic dimension. */
  private static OnnxMl.ValueInfoProto value(String name, int type, long... dims) {
    OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
    for (long d : dims) {
      shape.addDim(
          d < 0
              ? OnnxMl.TensorShapeProto.Dimension.newBuilder()
                  .setDimParam("d" + shape.getDimCount())
              : OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return OnnxMl.ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            OnnxMl.TypeProto.newBuilder()
                .setTensorType(
                    OnnxMl.TypeProto.Tensor.newBuilder().setElemType(type).setShape(shape)))
        .build();
  }

  private static OnnxMl.TensorProto floats(String name, float[] v, long... dims) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return tensor(name, OnnxMl.TensorProto.DataType.FLOAT.getNumber(), b.array(), dims);
  }

  private static OnnxMl.TensorProto longs(String name, long[] v, long... dims) {
    ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(v);
    return tensor(name, OnnxMl.TensorProto.DataType.INT64.getNumber(), b.array(), dims);
  }

  private static OnnxMl.TensorProto tensor(String name, int type, byte[] raw, long... dims) {
    OnnxMl.TensorProto.Builder t =
        OnnxMl.TensorProto.newBuilder()
            .setName(name)
            .setDataType(type)
            .setRawData(ByteString.copyFrom(raw));
    for (long d : dims) {
      t.addDims(d);
    }
    return t.build();
  }
}
