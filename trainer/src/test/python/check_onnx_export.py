#!/usr/bin/python3
"""Checks maskstream's ONNX exports with the ONNX project's own checker (Debian's python3-onnx).

Write exports of the tiny and r18-fpn presets (the export tests copy theirs to the folder named by
maskstream.export.out), then check them:

    ./mvnw -o -q -pl trainer test -Dtest='OnnxExporterTest' -Dmaskstream.export.out=/tmp/exports
    /usr/bin/python3 trainer/src/test/python/check_onnx_export.py /tmp/exports/*.onnx

For each file: onnx.checker.check_model with full_check (strict shape inference over the whole
graph), IR version 8 and operator set 17, the torchvision contract's input and outputs, and the
metadata the detector reads (maskstream.contract, maskstream.name, maskstream.classes as a JSON
array of names). Exits non-zero on the first problem.
"""
import json
import sys

import onnx
from onnx import TensorProto


def dims(value):
    return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]


def check(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    assert model.ir_version == 8, model.ir_version
    opsets = {o.domain: o.version for o in model.opset_import}
    assert opsets == {"": 17}, opsets
    graph = model.graph
    inputs = [i for i in graph.input if i.name not in {t.name for t in graph.initializer}]
    assert [i.name for i in inputs] == ["image"], [i.name for i in inputs]
    assert inputs[0].type.tensor_type.elem_type == TensorProto.FLOAT
    assert dims(inputs[0]) == [3, "height", "width"], dims(inputs[0])
    outputs = {o.name: (o.type.tensor_type.elem_type, dims(o)) for o in graph.output}
    want = {
        "boxes": (TensorProto.FLOAT, ["detections", 4]),
        "labels": (TensorProto.INT64, ["detections"]),
        "scores": (TensorProto.FLOAT, ["detections"]),
        "masks": (TensorProto.FLOAT, ["detections", 1, "height", "width"]),
    }
    assert outputs == want, outputs
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta.get("maskstream.contract") == "maskstream", meta
    assert meta.get("maskstream.name"), meta
    classes = json.loads(meta["maskstream.classes"])
    assert isinstance(classes, list) and all(isinstance(c, str) for c in classes), classes
    ops = sorted({n.op_type for n in graph.node})
    print(
        f"{path}: onnx {onnx.__version__} checker OK (full_check); IR {model.ir_version}, "
        f"opset 17, {len(graph.node)} nodes, {len(graph.initializer)} initializers, "
        f"{len(classes)} classes, preset {meta.get('maskstream.preset')}; ops {' '.join(ops)}"
    )


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: check_onnx_export.py MODEL.onnx ...")
    for path in sys.argv[1:]:
        check(path)


if __name__ == "__main__":
    main()
