#!/usr/bin/python3
"""Writes golden outputs of torchvision's detection building blocks for the trainer's tests.

Run with Debian's python3-torchvision (0.14) and python3-torch (1.13):

    apt-get install python3-torchvision
    /usr/bin/python3 trainer/src/test/python/make_torchvision_fixtures.py

Outputs go to trainer/src/test/resources/torchvision/ and are committed. Deterministic: inputs
come from torch.Generator().manual_seed(SEED).
"""
import json
import os

import torch
import torchvision
from torchvision.models.detection import _utils as det_utils
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.image_list import ImageList
from torchvision.ops import box_iou

SEED = 20261125
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "torchvision")


def floats(t):
    return [float(f"{v:.8g}") for v in t.reshape(-1).tolist()]


def random_boxes(g, n, size):
    xy = torch.rand(n, 2, generator=g) * size * 0.8
    wh = torch.rand(n, 2, generator=g) * size * 0.5 + 1
    return torch.cat([xy, xy + wh], dim=1)


def anchors():
    cases = []
    sizes = ((32,), (64,), (128,), (256,), (512,))
    ratios = ((0.5, 1.0, 2.0),) * len(sizes)
    gen = AnchorGenerator(sizes, ratios)
    for (h, w), grids in [((64, 96), [(16, 24), (8, 12), (4, 6), (2, 3), (1, 2)]),
                          ((96, 64), [(24, 16), (12, 8), (6, 4), (3, 2), (2, 1)])]:
        images = ImageList(torch.zeros(1, 3, h, w), [(h, w)])
        features = [torch.zeros(1, 1, gh, gw) for gh, gw in grids]
        out = gen(images, features)[0]
        cases.append({"image": [h, w], "grids": [list(gr) for gr in grids],
                      "sizes": [list(s) for s in sizes], "ratios": list(ratios[0]),
                      "anchors": floats(out)})
    return cases


def box_coder(g):
    cases = []
    for weights in [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)]:
        coder = det_utils.BoxCoder(weights)
        proposals = random_boxes(g, 40, 200)
        targets = random_boxes(g, 40, 200)
        encoded = coder.encode_single(targets, proposals)
        codes = torch.randn(40, 8, generator=g) * 2
        codes[0, 2] = 30.0  # beyond the clip
        codes[1, 7] = 30.0
        decoded = coder.decode_single(codes, proposals)
        cases.append({"weights": list(weights), "clip": coder.bbox_xform_clip,
                      "proposals": floats(proposals), "targets": floats(targets),
                      "encoded": floats(encoded), "codes": floats(codes),
                      "decoded": floats(decoded)})
    return cases


def matcher(g):
    cases = []
    for high, low, low_quality in [(0.7, 0.3, True), (0.5, 0.5, False), (0.7, 0.3, False)]:
        m = det_utils.Matcher(high, low, allow_low_quality_matches=low_quality)
        gt = random_boxes(g, 6, 100)
        anchors_ = random_boxes(g, 60, 100)
        anchors_[5] = gt[2]  # an exact match
        anchors_[6] = gt[2]  # a tie for the best of gt 2
        iou = box_iou(gt, anchors_)
        cases.append({"high": high, "low": low, "low_quality": low_quality,
                      "gt": floats(gt), "anchors": floats(anchors_), "iou": floats(iou),
                      "matches": [int(v) for v in m(iou).tolist()]})
    return cases


def nms(g):
    cases = []
    for n, thresh in [(200, 0.5), (300, 0.7), (50, 0.3)]:
        boxes = random_boxes(g, n, 120)
        scores = torch.rand(n, generator=g)
        idxs = torch.randint(0, 4, (n,), generator=g)
        cases.append({"threshold": thresh, "boxes": floats(boxes), "scores": floats(scores),
                      "idxs": [int(v) for v in idxs.tolist()],
                      "keep": [int(v) for v in torchvision.ops.nms(boxes, scores, thresh).tolist()],
                      "batched_keep": [int(v) for v in torchvision.ops.batched_nms(
                          boxes, scores, idxs, thresh).tolist()]})
    return cases


def roi_align(g):
    cases = []
    for scale, out_size in [(0.25, 7), (1.0, 5), (0.5, 14)]:
        features = torch.randn(2, 3, 13, 17, generator=g, requires_grad=True)
        n = 9
        image = 4 / scale * torch.tensor([17.0, 13.0])
        xy = torch.rand(n, 2, generator=g) * image * 1.1 - image * 0.1
        wh = torch.rand(n, 2, generator=g) * image * 0.6
        boxes = torch.cat([xy, xy + wh], dim=1) / 4
        boxes[0, 2:] = boxes[0, :2] + 0.2 / scale  # smaller than one feature cell
        boxes[1] = torch.tensor([-30.0, -30.0, -10.0, -5.0])  # outside the image
        rois = torch.cat([torch.randint(0, 2, (n, 1), generator=g).float(), boxes], dim=1)
        out = torchvision.ops.roi_align(features, rois, out_size, spatial_scale=scale,
                                        sampling_ratio=2, aligned=False)
        weights = torch.randn(out.shape, generator=g)
        (out * weights).sum().backward()
        cases.append({"scale": scale, "output_size": out_size,
                      "features_shape": list(features.shape), "features": floats(features.detach()),
                      "rois": floats(rois), "output": floats(out.detach()),
                      "weights": floats(weights), "features_grad": floats(features.grad)})
    return cases


def state(module):
    return {k: {"shape": list(v.shape), "values": floats(v.float())}
            for k, v in module.state_dict().items()}


def layers(g):
    torch.manual_seed(SEED)
    x = torch.randn(2, 3, 9, 11, generator=g)
    out = {"input_shape": list(x.shape), "input": floats(x)}
    with torch.no_grad():
        conv = torch.nn.Conv2d(3, 4, 7, stride=2, padding=3, bias=False)
        out["conv"] = {"state": state(conv), "output": floats(conv(x))}
        conv_bias = torch.nn.Conv2d(3, 5, 3, stride=1, padding=1)
        out["conv_bias"] = {"state": state(conv_bias), "output": floats(conv_bias(x))}
        deconv = torch.nn.ConvTranspose2d(3, 2, 2, stride=2)
        out["deconv"] = {"state": state(deconv), "output": floats(deconv(x))}
        linear = torch.nn.Linear(11, 6)
        out["linear"] = {"state": state(linear), "output": floats(linear(x))}
        frozen = torchvision.ops.FrozenBatchNorm2d(3)
        frozen.weight.copy_(torch.rand(3, generator=g) + 0.5)
        frozen.bias.copy_(torch.randn(3, generator=g))
        frozen.running_mean.copy_(torch.randn(3, generator=g))
        frozen.running_var.copy_(torch.rand(3, generator=g) + 0.1)
        out["frozen_bn"] = {"state": state(frozen), "output": floats(frozen(x))}
        bn = torch.nn.BatchNorm2d(3)
        bn.weight.copy_(torch.rand(3, generator=g) + 0.5)
        bn.bias.copy_(torch.randn(3, generator=g))
        before = state(bn)
        train_out = bn(x)
        after = state(bn)
        bn.eval()
        out["batch_norm"] = {"state": before, "train_output": floats(train_out),
                             "state_after": after, "eval_output": floats(bn(x))}
    return out


def main():
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(SEED)
    os.makedirs(OUT, exist_ok=True)
    fixtures = {
        "source": f"torchvision {torchvision.__version__}, torch {torch.__version__}",
        "anchors": anchors(),
        "box_coder": box_coder(g),
        "matcher": matcher(g),
        "nms": nms(g),
        "roi_align": roi_align(g),
        "layers": layers(g),
    }
    with open(os.path.join(OUT, "components.json"), "w") as f:
        json.dump(fixtures, f)


if __name__ == "__main__":
    main()
