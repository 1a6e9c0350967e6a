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
import torchvision
from collections import OrderedDict

from torchvision.models.detection import keypoint_rcnn
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.keypoint_rcnn import KeypointRCNNHeads, KeypointRCNNPredictor
from torchvision.models.detection.mask_rcnn import MaskRCNN, MaskRCNNHeads, MaskRCNNPredictor
from torchvision.models.detection.roi_heads import (RoIHeads, heatmaps_to_keypoints,
                                                    keypointrcnn_loss, keypoints_to_heatmap)
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool
from torchvision.ops.poolers import MultiScaleRoIAlign

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_torchvision_fixtures import (OUT, TinyResNet, packed, packed_state,  # noqa: E402
                                       random_boxes, set_synthetic, trainable)

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


def roi_heads(g):
    """RoIHeads with box, mask and keypoint branches (small widths, weights drawn from g): the
    targets' keypoints in their boxes, torchvision's RoI sample replayed, losses and detections."""
    classes = 4
    levels = ["0", "1", "2", "3"]
    heads = RoIHeads(MultiScaleRoIAlign(levels, 7, 2), TwoMLPHead(2 * 7 * 7, 16),
                     FastRCNNPredictor(16, classes), 0.5, 0.5, 16, 0.25, None, 0.05, 0.5, 12,
                     mask_roi_pool=MultiScaleRoIAlign(levels, 14, 2),
                     mask_head=MaskRCNNHeads(2, (8, 8), 1),
                     mask_predictor=MaskRCNNPredictor(8, 8, classes),
                     keypoint_roi_pool=MultiScaleRoIAlign(levels, 14, 2),
                     keypoint_head=KeypointRCNNHeads(2, (8, 8)),
                     keypoint_predictor=KeypointRCNNPredictor(8, K))
    with torch.no_grad():
        for p in heads.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.2)
    image_sizes = [(40, 48), (48, 36)]
    features = OrderedDict(
        (str(i), torch.randn(2, 2, 48 >> (i + 2), 48 >> (i + 2), generator=g)) for i in range(4))
    gt_boxes = [torch.tensor([[2.0, 3.0, 20.0, 25.0], [15.0, 10.0, 40.0, 30.0]]),
                torch.tensor([[5.0, 5.0, 30.0, 40.0]])]
    # proposals around the objects, so that every image has positives
    proposals = []
    for boxes, count, size in [(gt_boxes[0], 14, 40), (gt_boxes[1], 10, 36)]:
        near = [boxes + torch.randn(boxes.shape[0], 4, generator=g) for _ in range(3)]
        proposals.append(torch.cat([random_boxes(g, count, size)] + near))
    gt_labels = [torch.tensor([1, 3]), torch.tensor([2])]
    gt_masks = [torch.zeros(2, 40, 48, dtype=torch.uint8), torch.zeros(1, 48, 36, dtype=torch.uint8)]
    gt_masks[0][0, 5:22, 4:18] = 1
    gt_masks[0][1, 12:28, 20:38] = 1
    gt_masks[1][0, 8:38, 7:27] = 1
    gt_keypoints = [keypoints_in(g, b, inside=0.7) for b in gt_boxes]
    targets = [{"boxes": b, "labels": lab, "masks": m, "keypoints": k}
               for b, lab, m, k in zip(gt_boxes, gt_labels, gt_masks, gt_keypoints)]
    out = {"state": packed_state(heads), "classes": classes, "keypoints": K,
           "image_sizes": [list(s) for s in image_sizes],
           "features": [packed(f) for f in features.values()],
           "proposals": [packed(p) for p in proposals],
           "gt_boxes": [packed(b) for b in gt_boxes], "gt_labels": [t.tolist() for t in gt_labels],
           "gt_masks": [packed(m) for m in gt_masks],
           "gt_keypoints": [packed(k) for k in gt_keypoints]}
    with torch.no_grad():
        appended = heads.add_gt_proposals([p.clone() for p in proposals], gt_boxes)
        _, labels = heads.assign_targets_to_proposals(appended, gt_boxes, gt_labels)
        torch.manual_seed(SEED)
        sampled = heads.fg_bg_sampler(labels)
        heads.fg_bg_sampler = lambda _: sampled
        out["sampled"] = [torch.where(p | n)[0].tolist() for p, n in zip(*sampled)]
        heads.train()
        _, losses = heads(features, [p.clone() for p in proposals], image_sizes, targets)
        out["losses"] = {k: float(v) for k, v in losses.items()}
        heads.eval()
        result, _ = heads(features, proposals, image_sizes)
        out["detections"] = [{"boxes": packed(r["boxes"]), "scores": packed(r["scores"]),
                              "labels": r["labels"].tolist(), "masks": packed(r["masks"]),
                              "keypoints": packed(r["keypoints"]),
                              "keypoints_scores": packed(r["keypoints_scores"])}
                             for r in result]
    return out


def tiny_with_keypoints(g):
    """The trainer's tiny Mask R-CNN with a keypoint branch (four 64-wide convolutions) in
    evaluation, synthetic weights, on an image it resizes (40 x 70 -> 45 x 80)."""
    return_layers = {"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"}
    backbone = BackboneWithFPN(TinyResNet(), return_layers, [32, 64, 128, 256], 64,
                               extra_blocks=LastLevelMaxPool())
    model = MaskRCNN(backbone, num_classes=None, min_size=48, max_size=80,
                     box_detections_per_img=5, box_batch_size_per_image=128,
                     box_head=TwoMLPHead(64 * 7 * 7, 256), box_predictor=FastRCNNPredictor(256, 4),
                     mask_head=MaskRCNNHeads(64, [64, 64], 1),
                     mask_predictor=MaskRCNNPredictor(64, 64, 4))
    model.roi_heads.keypoint_roi_pool = MultiScaleRoIAlign(["0", "1", "2", "3"], 14, 2)
    model.roi_heads.keypoint_head = KeypointRCNNHeads(64, [64] * 4)
    model.roi_heads.keypoint_predictor = KeypointRCNNPredictor(64, K)
    set_synthetic(model)
    model.eval()
    x = torch.rand(3, 40, 70, generator=g)
    with torch.no_grad():
        (result,) = model([x])
    return {"keys": list(model.state_dict().keys()), "image": packed(x), "min_size": 48,
            "max_size": 80, "boxes": packed(result["boxes"]), "scores": packed(result["scores"]),
            "labels": result["labels"].tolist(), "masks": packed(result["masks"]),
            "keypoints": packed(result["keypoints"]),
            "keypoints_scores": packed(result["keypoints_scores"])}


def keypointrcnn_resnet50_fpn(g):
    """torchvision's keypointrcnn_resnet50_fpn as built with its default ImageNet backbone weights
    (frozen normalisation, three trainable layers; the weights are not downloaded), synthetic
    weights, 2 classes and COCO's 17 keypoints, at 64 px."""
    def resnet50(weights=None, progress=True, **kw):
        return torchvision.models.resnet.resnet50(weights=None, **kw)

    built = keypoint_rcnn.resnet50
    keypoint_rcnn.resnet50 = resnet50
    try:
        model = keypoint_rcnn.keypointrcnn_resnet50_fpn(weights=None, min_size=64, max_size=64,
                                                        box_detections_per_img=10)
    finally:
        keypoint_rcnn.resnet50 = built
    set_synthetic(model)
    model.eval()
    x = torch.rand(3, 64, 64, generator=g)
    with torch.no_grad():
        (result,) = model([x])
    return {"keys": list(model.state_dict().keys()), "trainable": trainable(model),
            "image": packed(x), "boxes": packed(result["boxes"]),
            "scores": packed(result["scores"]), "labels": result["labels"].tolist(),
            "keypoints": packed(result["keypoints"]),
            "keypoints_scores": packed(result["keypoints_scores"])}


def main():
    g = torch.Generator().manual_seed(SEED)
    fixtures = {"heatmap_targets": heatmap_targets(g), "loss": loss(g), "decode": decode(g),
                "head": head(g)}
    # after the others, so that their values stay those already committed
    fixtures["roi_heads"] = roi_heads(g)
    fixtures["tiny"] = tiny_with_keypoints(g)
    fixtures["r50_fpn"] = keypointrcnn_resnet50_fpn(g)
    with open(os.path.join(OUT, "keypoints.json"), "w") as f:
        json.dump(fixtures, f)


if __name__ == "__main__":
    main()
