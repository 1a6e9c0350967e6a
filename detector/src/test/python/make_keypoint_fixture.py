#!/usr/bin/python3
"""Makes the torchvision Keypoint R-CNN fixture the detector's tests compare against.

Run with Debian's python3 (packages python3-torch, python3-torchvision, python3-onnx), after
make_torchvision_fixture.py (it reuses that script's images):

    /usr/bin/python3 detector/src/test/python/make_keypoint_fixture.py \
        --out detector/src/test/resources/fixtures

It builds a small torchvision KeypointRCNN (the narrow body of make_torchvision_fixture.py, two
64-wide keypoint convolutions, COCO's 17 person keypoints, a 256-wide box head, 2 classes), initialised by torchvision
from a fixed seed with its classifier and objectness sharpened (and the person logit raised) so that scores spread out as a
trained model's do, exports it to ONNX (opset 11, torchvision's output names boxes, labels,
scores, keypoints, keypoints_scores) and writes torchvision's eager outputs on the fixture images:
these are what the Java detector must reproduce.
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
import torch
import torchvision
from PIL import Image
from torchvision.models.detection import KeypointRCNN
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.keypoint_rcnn import KeypointRCNNHeads, KeypointRCNNPredictor
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_torchvision_fixture import TinyBody  # noqa: E402

CLASSES = ["__background__", "person"]


def build_model():
    widths = (24, 48, 96, 128)
    fpn = 64
    backbone = BackboneWithFPN(
        TinyBody(widths),
        return_layers={"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"},
        in_channels_list=list(widths),
        out_channels=fpn,
        extra_blocks=LastLevelMaxPool(),
    )
    return KeypointRCNN(
        backbone,
        num_classes=None,
        box_head=TwoMLPHead(fpn * 7 * 7, 256),
        box_predictor=FastRCNNPredictor(256, len(CLASSES)),
        min_size=256,
        max_size=320,
        keypoint_head=KeypointRCNNHeads(fpn, (64, 64)),
        keypoint_predictor=KeypointRCNNPredictor(64, 17),
        rpn_pre_nms_top_n_test=300,
        rpn_post_nms_top_n_test=300,
        box_detections_per_img=12,
    )


def centre_scores(model, arr):
    """Shifts the person logit so that the RoIs of an image score around 0.5 (spread by the
    sharpened weights), instead of all near 0 or 1."""
    logits = []
    hook = model.roi_heads.box_predictor.register_forward_hook(
        lambda module, inputs, out: logits.append(out[0]))
    with torch.no_grad():
        model([torch.from_numpy(arr.copy()).permute(2, 0, 1).float() / 255.0])
        hook.remove()
        diff = logits[0][:, 1] - logits[0][:, 0]
        model.roi_heads.box_predictor.cls_score.bias[1] -= float(diff.median())


def eager_outputs(model, arr):
    with torch.no_grad():
        out = model([torch.from_numpy(arr).permute(2, 0, 1).float() / 255.0])[0]
    return [
        {
            "label": int(out["labels"][i]),
            "score": float(out["scores"][i]),
            "box": [float(v) for v in out["boxes"][i]],
            "keypoints": [[float(v) for v in p] for p in out["keypoints"][i]],
            "keypoints_scores": [float(v) for v in out["keypoints_scores"][i]],
        }
        for i in range(out["boxes"].shape[0])
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    model = build_model()
    with torch.no_grad():
        model.roi_heads.box_predictor.cls_score.weight.mul_(250)
        model.rpn.head.cls_logits.weight.mul_(5)
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    model.eval()
    centre_scores(model, np.asarray(Image.open(os.path.join(args.out, "image0.png")).convert("RGB")))
    samples = []
    for i in range(3):
        name = f"image{i}.png"
        arr = np.asarray(Image.open(os.path.join(args.out, name)).convert("RGB"))
        h, w = arr.shape[:2]
        samples.append({"file": name, "width": w, "height": h,
                        "detections": eager_outputs(model, arr)})
    path = os.path.join(args.out, "keypoints-torchvision.onnx")
    first = np.asarray(Image.open(os.path.join(args.out, samples[0]["file"])).convert("RGB"))
    example = torch.from_numpy(first.copy()).permute(2, 0, 1).float() / 255.0
    torch.onnx.export(
        model,
        ([example],),
        path,
        opset_version=11,
        input_names=["image"],
        output_names=["boxes", "labels", "scores", "keypoints", "keypoints_scores"],
        dynamic_axes={"image": [1, 2], "boxes": [0], "labels": [0], "scores": [0],
                      "keypoints": [0], "keypoints_scores": [0]},
        do_constant_folding=True,
    )
    m = onnx.load(path)
    for key, value in (
        ("maskstream.classes", json.dumps(CLASSES)),
        ("maskstream.source",
         f"torchvision {torchvision.__version__} keypoint fixture, seed {args.seed}, untrained"),
    ):
        p = m.metadata_props.add()
        p.key, p.value = key, value
    onnx.checker.check_model(m)
    onnx.save(m, path)
    with open(os.path.join(args.out, "keypoints-eager.json"), "w") as f:
        json.dump({"classes": CLASSES, "images": samples}, f, indent=1)
    for s in samples:
        print(s["file"], [round(d["score"], 3) for d in s["detections"]])
    print("model bytes", os.path.getsize(path))


if __name__ == "__main__":
    main()
