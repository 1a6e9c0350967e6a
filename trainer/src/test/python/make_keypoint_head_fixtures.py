#!/usr/bin/python3
"""Writes torchvision's values for the keypoint head's target, loss and decoding functions
(torchvision.models.detection.roi_heads: keypoints_to_heatmap, keypointrcnn_loss,
heatmaps_to_keypoints) and its modules (KeypointRCNNHeads, KeypointRCNNPredictor) to trainer/src/test/resources/torchvision/keypoints.json, for
KeypointHeadFunctionsTest. Tensors are stored bit-exactly as make_torchvision_fixtures.py stores
them. Run with Debian's python3-torchvision:

    /usr/bin/python3 trainer/src/test/python/make_keypoint_head_fixtures.py
"""
import json
import os
import sys

import torch
from torchvision.models.detection.keypoint_rcnn import KeypointRCNNHeads, KeypointRCNNPredictor
from torchvision.models.detection.roi_heads import (heatmaps_to_keypoints, keypointrcnn_loss,
                                                    keypoints_to_heatmap)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_torchvision_fixtures import OUT, packed, packed_state, random_boxes  # noqa: E402

SEED = 20261203
K = 4


def keypoints_in(g, rois, inside=0.8):
    """Keypoints [R, K, 3] mostly inside their RoI, some outside, some unlabelled."""
    r = rois.shape[0]
    u = torch.rand(r, K, 2, generator=g) * 1.4 - 0.2
    x = rois[:, None, 0] + u[..., 0] * (rois[:, None, 2] - rois[:, None, 0])
    y = rois[:, None, 1] + u[..., 1] * (rois[:, None, 3] - rois[:, None, 1])
    v = (torch.rand(r, K, generator=g) < inside).float() * 2
    return torch.stack([x, y, v], dim=2)


def heatmap_targets(g):
    rois = random_boxes(g, 12, 200)
    kps = keypoints_in(g, rois)
    # exactly on the right and bottom edges: torchvision puts those in the last cell
    kps[0, 0, 0] = rois[0, 2]
    kps[0, 1, 1] = rois[0, 3]
    kps[1, 2, :2] = rois[1, 2:]
    kps[2, 3, 2] = 1  # labelled but hidden: still a target
    heatmaps, valid = keypoints_to_heatmap(kps, rois, 56)
    return {"keypoints": packed(kps), "rois": packed(rois), "heatmaps": packed(heatmaps),
            "valid": packed(valid)}


def loss(g):
    proposals = [random_boxes(g, 3, 200), random_boxes(g, 2, 200)]
    gt = [keypoints_in(g, random_boxes(g, 3, 200)), keypoints_in(g, random_boxes(g, 2, 200))]
    matched = [torch.randint(0, 3, (3,), generator=g), torch.randint(0, 2, (2,), generator=g)]
    logits = torch.randn(5, K, 28, 28, generator=g, requires_grad=True)  # any square size
    value = keypointrcnn_loss(logits, proposals, gt, matched)
    value.backward()
    return {"logits": packed(logits), "proposals": [packed(p) for p in proposals],
            "keypoints": [packed(k) for k in gt], "matched": [m.tolist() for m in matched],
            "loss": packed(value), "grad": packed(logits.grad)}


def decode(g):
    rois = random_boxes(g, 6, 300)
    rois[0] = torch.tensor([10.0, 20.0, 10.4, 20.3])  # narrower than a pixel: clamped to 1
    rois[1] = torch.tensor([5.5, 7.25, 93.75, 61.0])
    maps = torch.randn(6, K, 28, 28, generator=g)
    xy, scores = heatmaps_to_keypoints(maps, rois)
    return {"maps": packed(maps), "rois": packed(rois), "keypoints": packed(xy),
            "scores": packed(scores)}


def head(g):
    """KeypointRCNNHeads (3x3 convolutions + ReLU) and KeypointRCNNPredictor (a 4x4 stride-2
    transposed convolution, then bilinear x2), small widths, weights drawn from g."""
    heads = KeypointRCNNHeads(8, [16, 16])
    predictor = KeypointRCNNPredictor(16, K)
    with torch.no_grad():
        for module in (heads, predictor):
            for p in module.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.2)
    x = torch.randn(2, 8, 14, 14, generator=g)
    features = heads(x)
    return {"heads": packed_state(heads), "predictor": packed_state(predictor), "input": packed(x),
            "features": packed(features), "logits": packed(predictor(features).detach())}


def main():
    g = torch.Generator().manual_seed(SEED)
    fixtures = {"heatmap_targets": heatmap_targets(g), "loss": loss(g), "decode": decode(g),
                "head": head(g)}
    with open(os.path.join(OUT, "keypoints.json"), "w") as f:
        json.dump(fixtures, f)


if __name__ == "__main__":
    main()
