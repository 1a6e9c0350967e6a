#!/usr/bin/python3
"""Writes golden outputs of torchvision's detection building blocks for the trainer's tests.

Run with Debian's python3-torchvision (0.14) and python3-torch (1.13):

    apt-get install python3-torchvision
    /usr/bin/python3 trainer/src/test/python/make_torchvision_fixtures.py

Outputs go to trainer/src/test/resources/torchvision/ and are committed: components.json (anchors,
box coder, matcher, NMS, RoIAlign, layers), detection.json (pyramid RoIAlign, mask targets, RPN,
RoI heads), backbones.json (tiny, ResNet-18 and ResNet-50 FPN backbones), models.json (whole tiny
and ResNet-18 FPN Mask R-CNNs, and maskrcnn_resnet50_fpn) and transform.json (GeneralizedRCNNTransform's resizing, batching and
postprocessing of two non-square images of different sizes). Deterministic: inputs come from torch.Generator().manual_seed(SEED + k),
and the backbones' and models' weights from synthetic(), which the Java tests compute too.
"""
import base64
import json
import os
from collections import OrderedDict

import numpy as np
import torch
import torchvision
from torchvision.models.detection import _utils as det_utils
from torchvision.models.detection import mask_rcnn
from torchvision.models.detection.backbone_utils import BackboneWithFPN, resnet_fpn_backbone
from torchvision.models.resnet import BasicBlock
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.transform import GeneralizedRCNNTransform
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.mask_rcnn import MaskRCNN, MaskRCNNHeads, MaskRCNNPredictor
from torchvision.models.detection.roi_heads import (
    RoIHeads, fastrcnn_loss, paste_masks_in_image, project_masks_on_boxes)
from torchvision.models.detection.rpn import (
    RegionProposalNetwork, RPNHead, concat_box_prediction_layers)
from torchvision.ops import box_iou
from torchvision.ops.poolers import LevelMapper, MultiScaleRoIAlign

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


# Detection stages (written to detection.json). Tensors are stored exactly, as base64 of their
# little-endian bytes: {"shape": [...], "f32" | "u8" | "i64": "..."}.

def packed(t):
    t = t.detach().contiguous()
    if t.dtype == torch.float32:
        kind = "f32"
    elif t.dtype == torch.uint8:
        kind = "u8"
    elif t.dtype == torch.int64:
        kind = "i64"
    else:
        raise ValueError(t.dtype)
    return {"shape": list(t.shape), kind: base64.b64encode(t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()).decode()}


def packed_state(module):
    return {k: packed(v) for k, v in module.state_dict().items()}


def level_mapper(g):
    mapper = LevelMapper(2, 5)
    boxes = random_boxes(g, 40, 900)
    sides = torch.tensor([56.0, 111.99, 112.0, 224.0, 448.0, 447.9, 1000.0, 0.5])
    exact = torch.stack([torch.zeros(8), torch.zeros(8), sides, sides], dim=1)
    boxes = torch.cat([boxes, exact])
    return {"boxes": packed(boxes), "levels": [int(v) + 2 for v in mapper([boxes]).tolist()]}


def multiscale_roi_align(g):
    pool = MultiScaleRoIAlign(["0", "1", "2", "3"], 7, 2)
    image_sizes = [(250, 256), (256, 230)]
    features = OrderedDict(
        (str(i), torch.randn(2, 2, 256 >> (i + 2), 256 >> (i + 2), generator=g)) for i in range(4))
    boxes = []
    for _ in range(2):
        b = random_boxes(g, 12, 256)
        b[0] = torch.tensor([-100.0, -80.0, 420.0, 400.0])  # level 5
        b[1] = torch.tensor([10.0, 20.0, 10.5, 20.2])  # smaller than a cell
        boxes.append(b)
    out = pool(features, boxes, image_sizes)
    return {"image_sizes": [list(s) for s in image_sizes],
            "features": [packed(f) for f in features.values()],
            "boxes": [packed(b) for b in boxes], "output": packed(out)}


def mask_targets(g):
    masks = (torch.rand(3, 90, 100, generator=g) > 0.5).to(torch.uint8)
    masks[1, 20:70, 30:90] = 1
    proposals = random_boxes(g, 10, 100)
    proposals[0] = torch.tensor([5.0, 5.0, 95.0, 88.0])  # four samples per bin and axis
    proposals[1] = torch.tensor([-10.0, -5.0, 40.0, 30.0])
    matched = torch.randint(0, 3, (10,), generator=g)
    targets = project_masks_on_boxes(masks, proposals, matched, 28)
    return {"masks": packed(masks), "proposals": packed(proposals), "matched": matched.tolist(),
            "targets": packed(targets)}


def rpn(g):
    head = RPNHead(4, 3)
    with torch.no_grad():
        for p in head.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)
    anchor_gen = AnchorGenerator(((32,), (64,), (128,), (256,), (512,)), ((0.5, 1.0, 2.0),) * 5)
    net = RegionProposalNetwork(anchor_gen, head, 0.7, 0.3, 256, 0.5,
                                dict(training=100, testing=50), dict(training=80, testing=40), 0.7)
    image_sizes = [(60, 64), (64, 50)]
    images = ImageList(torch.zeros(2, 3, 64, 64), image_sizes)
    features = [torch.randn(2, 4, 64 >> (i + 2), 64 >> (i + 2), generator=g) for i in range(5)]
    targets = [{"boxes": torch.tensor([[3.0, 4.0, 30.0, 40.0], [20.0, 10.0, 60.0, 30.0],
                                       [40.0, 40.0, 50.0, 52.0]])},
               {"boxes": torch.zeros(0, 4)}]
    with torch.no_grad():
        objectness, deltas = head(features)
        anchors = anchor_gen(images, features)
        per_level = [o[0].numel() for o in objectness]
        flat_obj, flat_deltas = concat_box_prediction_layers(objectness, deltas)
        proposals = net.box_coder.decode(flat_deltas, anchors).view(2, -1, 4)
        boxes, scores = net.filter_proposals(proposals, flat_obj, image_sizes, per_level)
        labels, matched_gt = net.assign_targets_to_anchors(anchors, targets)
        regression_targets = net.box_coder.encode(matched_gt, anchors)
        torch.manual_seed(SEED)
        pos, neg = net.fg_bg_sampler(labels)
        net.fg_bg_sampler = lambda _: (pos, neg)
        loss_objectness, loss_box = net.compute_loss(flat_obj, flat_deltas, labels, regression_targets)
    return {"state": packed_state(head), "image_sizes": [list(s) for s in image_sizes],
            "features": [packed(f) for f in features],
            "objectness": [packed(o) for o in objectness], "deltas": [packed(d) for d in deltas],
            "anchors_per_level": per_level, "pre_nms_top_n": 100, "post_nms_top_n": 80,
            "proposals": [packed(b) for b in boxes], "scores": [packed(s) for s in scores],
            "gt_boxes": [packed(t["boxes"]) for t in targets],
            "labels": [packed(lab) for lab in labels],
            "regression_targets": [packed(r) for r in regression_targets],
            "sampled_positive": torch.where(torch.cat(pos))[0].tolist(),
            "sampled_negative": torch.where(torch.cat(neg))[0].tolist(),
            "loss_objectness": float(loss_objectness), "loss_rpn_box_reg": float(loss_box)}


def roi_heads(g):
    classes = 4
    box_head = TwoMLPHead(2 * 7 * 7, 16)
    box_predictor = FastRCNNPredictor(16, classes)
    mask_head = MaskRCNNHeads(2, (8, 8), 1)
    mask_predictor = MaskRCNNPredictor(8, 8, classes)
    heads = RoIHeads(MultiScaleRoIAlign(["0", "1", "2", "3"], 7, 2), box_head, box_predictor,
                     0.5, 0.5, 16, 0.25, None, 0.05, 0.5, 12,
                     mask_roi_pool=MultiScaleRoIAlign(["0", "1", "2", "3"], 14, 2),
                     mask_head=mask_head, mask_predictor=mask_predictor)
    with torch.no_grad():
        for p in heads.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.2)
    image_sizes = [(40, 48), (48, 36)]
    features = OrderedDict(
        (str(i), torch.randn(2, 2, 48 >> (i + 2), 48 >> (i + 2), generator=g)) for i in range(4))
    proposals = [random_boxes(g, 20, 40), random_boxes(g, 14, 36)]
    gt_boxes = [torch.tensor([[2.0, 3.0, 20.0, 25.0], [15.0, 10.0, 40.0, 30.0]]),
                torch.tensor([[5.0, 5.0, 30.0, 40.0]])]
    gt_labels = [torch.tensor([1, 3]), torch.tensor([2])]
    gt_masks = [torch.zeros(2, 40, 48, dtype=torch.uint8), torch.zeros(1, 48, 36, dtype=torch.uint8)]
    gt_masks[0][0, 5:22, 4:18] = 1
    gt_masks[0][1, 12:28, 20:38] = 1
    gt_masks[1][0, 8:38, 7:27] = 1
    targets = [{"boxes": b, "labels": lab, "masks": m} for b, lab, m in zip(gt_boxes, gt_labels, gt_masks)]
    out = {"state": packed_state(heads), "classes": classes,
           "image_sizes": [list(s) for s in image_sizes],
           "features": [packed(f) for f in features.values()],
           "proposals": [packed(p) for p in proposals],
           "gt_boxes": [packed(b) for b in gt_boxes], "gt_labels": [t.tolist() for t in gt_labels],
           "gt_masks": [packed(m) for m in gt_masks]}
    with torch.no_grad():
        appended = heads.add_gt_proposals([p.clone() for p in proposals], gt_boxes)
        matched, labels = heads.assign_targets_to_proposals(appended, gt_boxes, gt_labels)
        out["matched"] = [m.tolist() for m in matched]
        out["labels"] = [lab.tolist() for lab in labels]
        torch.manual_seed(SEED)
        sampled = heads.fg_bg_sampler(labels)
        heads.fg_bg_sampler = lambda _: sampled
        out["sampled"] = [torch.where(p | n)[0].tolist() for p, n in zip(*sampled)]
        heads.train()
        samples = heads.select_training_samples([p.clone() for p in proposals], targets)
        out["regression_targets"] = [packed(r) for r in samples[3]]
        _, losses = heads(features, [p.clone() for p in proposals], image_sizes, targets)
        out["losses"] = {k: float(v) for k, v in losses.items()}
        # the losses on their own, on fixed inputs
        n = sum(len(s) for s in out["sampled"])
        logits = torch.randn(n, classes, generator=g) * 2
        regression = torch.randn(n, 4 * classes, generator=g)
        cls_loss, box_loss = fastrcnn_loss(logits, regression, samples[2], samples[3])
        out["fastrcnn"] = {"class_logits": packed(logits), "box_regression": packed(regression),
                           "loss_classifier": float(cls_loss), "loss_box_reg": float(box_loss)}
        heads.eval()
        result, _ = heads(features, proposals, image_sizes)
        out["detections"] = [{"boxes": packed(r["boxes"]), "scores": packed(r["scores"]),
                              "labels": r["labels"].tolist(), "masks": packed(r["masks"])}
                             for r in result]
        pasted = paste_masks_in_image(result[0]["masks"], result[0]["boxes"], image_sizes[0])
        out["pasted"] = packed(pasted)
    return out


def detection(g):
    return {"source": f"torchvision {torchvision.__version__}, torch {torch.__version__}",
            "level_mapper": level_mapper(g), "multiscale_roi_align": multiscale_roi_align(g),
            "mask_targets": mask_targets(g), "rpn": rpn(g), "roi_heads": roi_heads(g)}


# Backbones with FPN (written to backbones.json). Their weights are not stored: both sides make
# them from each state-dict key by the rule in synthetic() (exact in float32), so only inputs and
# outputs are committed.

def java_hash(text):
    h = 0
    for ch in text:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h


def synthetic(key, shape):
    n = int(np.prod(shape)) if len(shape) else 1
    i = np.arange(n, dtype=np.uint64)
    h = ((i + np.uint64(1)) * np.uint64(2654435761) + np.uint64(java_hash(key) * 40503)) % np.uint64(2 ** 32)
    v = ((h >> np.uint64(8)).astype(np.int64) - 2 ** 23).astype(np.float32) / np.float32(2 ** 23)
    if key.endswith("running_var"):
        out = np.float32(1) + np.float32(0.5) * v
    elif key.endswith("running_mean") or key.endswith("bias"):
        out = np.float32(0.1) * v
    elif len(shape) == 1:
        out = np.float32(1) + np.float32(0.25) * v
    else:
        fan_in = int(np.prod(shape[1:]))
        out = v * np.float32(2.0 ** -((fan_in.bit_length() - 1) // 2))
    return torch.from_numpy(out.astype(np.float32).reshape(shape))


def set_synthetic(module):
    with torch.no_grad():
        for key, t in module.state_dict().items():
            if t.dtype == torch.float32:
                t.copy_(synthetic(key, tuple(t.shape)))


class TinyResNet(torch.nn.Module):
    """The trainer's `tiny` body: torchvision's ResNet layout with 32/64/128/256 channels."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 32, 7, 2, 3, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(32)
        self.relu = torch.nn.ReLU(inplace=True)
        self.maxpool = torch.nn.MaxPool2d(3, 2, 1)
        widths, inplanes = [32, 64, 128, 256], 32
        for index, (width, stride) in enumerate(zip(widths, [1, 2, 2, 2])):
            downsample = None
            if stride != 1 or inplanes != width:
                downsample = torch.nn.Sequential(
                    torch.nn.Conv2d(inplanes, width, 1, stride, bias=False), torch.nn.BatchNorm2d(width))
            block = BasicBlock(inplanes, width, stride, downsample, norm_layer=torch.nn.BatchNorm2d)
            setattr(self, f"layer{index + 1}", torch.nn.Sequential(block))
            inplanes = width


def backbones(g):
    out = {"source": f"torchvision {torchvision.__version__}, torch {torch.__version__}"}
    return_layers = {"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"}
    tiny = BackboneWithFPN(TinyResNet(), return_layers, [32, 64, 128, 256], 64,
                           extra_blocks=LastLevelMaxPool())
    r18 = resnet_fpn_backbone(backbone_name="resnet18", weights=None, trainable_layers=3)
    for name, net, size in [("tiny", tiny, 64), ("r18_fpn", r18, 32)]:
        set_synthetic(net)
        net.eval()
        x = torch.randn(1, 3, size, size, generator=g)
        with torch.no_grad():
            y = net(x)
        out[name] = {"keys": list(net.state_dict().keys()), "input": packed(x),
                     "outputs": {k: packed(v) for k, v in y.items()}}
    # after the others, so that their inputs stay those already committed
    r50 = resnet_fpn_backbone(backbone_name="resnet50", weights=None, trainable_layers=3)
    set_synthetic(r50)
    r50.eval()
    x = torch.randn(1, 3, 32, 32, generator=g)
    with torch.no_grad():
        y = r50(x)
    out["r50_fpn"] = {"keys": list(r50.state_dict().keys()), "trainable": trainable(r50),
                      "input": packed(x), "outputs": {k: packed(v) for k, v in y.items()}}
    return out


def trainable(module):
    return [k for k, p in module.named_parameters() if p.requires_grad]


def maskrcnn_resnet50_fpn(**kwargs):
    """torchvision's maskrcnn_resnet50_fpn(weights=None) as it is built with its default ImageNet
    backbone weights (frozen normalisation, three trainable layers), without downloading them."""
    def resnet50(weights=None, progress=True, **kw):
        return torchvision.models.resnet.resnet50(weights=None, **kw)

    built = mask_rcnn.resnet50
    mask_rcnn.resnet50 = resnet50
    try:
        return mask_rcnn.maskrcnn_resnet50_fpn(weights=None, **kwargs)
    finally:
        mask_rcnn.resnet50 = built


def full_models(g):
    """Whole Mask R-CNN networks in evaluation, on images at the model's size and on one it resizes."""
    out = {}
    return_layers = {"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"}
    tiny_backbone = BackboneWithFPN(TinyResNet(), return_layers, [32, 64, 128, 256], 64,
                                    extra_blocks=LastLevelMaxPool())
    tiny = MaskRCNN(tiny_backbone, num_classes=None, min_size=64, max_size=64,
                    box_detections_per_img=10, box_batch_size_per_image=128,
                    box_head=TwoMLPHead(64 * 7 * 7, 256), box_predictor=FastRCNNPredictor(256, 4),
                    mask_head=MaskRCNNHeads(64, [64, 64], 1),
                    mask_predictor=MaskRCNNPredictor(64, 64, 4))
    r18 = MaskRCNN(resnet_fpn_backbone(backbone_name="resnet18", weights=None, trainable_layers=3),
                   num_classes=4, min_size=64, max_size=64, box_detections_per_img=10)
    for name, model in [("tiny", tiny), ("r18_fpn", r18)]:
        set_synthetic(model)
        model.eval()
        x = torch.rand(3, 64, 64, generator=g)
        with torch.no_grad():
            (result,) = model([x])
        out[name] = {"keys": list(model.state_dict().keys()), "image": packed(x),
                     "boxes": packed(result["boxes"]), "scores": packed(result["scores"]),
                     "labels": result["labels"].tolist(), "masks": packed(result["masks"])}
    # the tiny network on a non-square image at its own size: resized on the way in (45 x 80),
    # detections rescaled and masks pasted at 40 x 70 on the way out
    tiny_backbone = BackboneWithFPN(TinyResNet(), return_layers, [32, 64, 128, 256], 64,
                                    extra_blocks=LastLevelMaxPool())
    model = MaskRCNN(tiny_backbone, num_classes=None, min_size=48, max_size=80,
                     box_detections_per_img=5, box_batch_size_per_image=128,
                     box_head=TwoMLPHead(64 * 7 * 7, 256), box_predictor=FastRCNNPredictor(256, 4),
                     mask_head=MaskRCNNHeads(64, [64, 64], 1),
                     mask_predictor=MaskRCNNPredictor(64, 64, 4))
    set_synthetic(model)
    model.eval()
    x = torch.rand(3, 40, 70, generator=g)
    with torch.no_grad():
        (result,) = model([x])
    out["tiny_resized"] = {"keys": list(model.state_dict().keys()), "image": packed(x),
                           "min_size": 48, "max_size": 80,
                           "boxes": packed(result["boxes"]), "scores": packed(result["scores"]),
                           "labels": result["labels"].tolist(), "masks": packed(result["masks"])}
    # torchvision's maskrcnn_resnet50_fpn at 64 px (after the others, so that their images stay
    # those already committed)
    model = maskrcnn_resnet50_fpn(num_classes=4, min_size=64, max_size=64, box_detections_per_img=10)
    set_synthetic(model)
    model.eval()
    x = torch.rand(3, 64, 64, generator=g)
    with torch.no_grad():
        (result,) = model([x])
    out["r50_fpn"] = {"keys": list(model.state_dict().keys()), "trainable": trainable(model),
                      "image": packed(x),
                      "boxes": packed(result["boxes"]), "scores": packed(result["scores"]),
                      "labels": result["labels"].tolist(), "masks": packed(result["masks"])}
    return out


def transform(g):
    """GeneralizedRCNNTransform in evaluation: one image scaled up (bounded by max_size), one down."""
    t = GeneralizedRCNNTransform(min_size=24, max_size=40, image_mean=[0.485, 0.456, 0.406],
                                 image_std=[0.229, 0.224, 0.225])
    t.eval()
    images, targets = [], []
    for h, w in [(15, 35), (45, 31)]:
        images.append(torch.rand(3, h, w, generator=g))
        boxes = random_boxes(g, 3, min(h, w))
        masks = (torch.rand(3, h, w, generator=g) > 0.5).to(torch.uint8)
        targets.append({"boxes": boxes, "labels": torch.tensor([1, 2, 3]), "masks": masks})
    inputs = [{"image": packed(i), "boxes": packed(tg["boxes"]), "masks": packed(tg["masks"])}
              for i, tg in zip(images, targets)]
    with torch.no_grad():
        batch, resized = t([i.clone() for i in images], [dict(tg) for tg in targets])
    outputs = []
    for k, ((h, w), tg) in enumerate(zip(batch.image_sizes, resized)):
        outputs.append({"size": [h, w], "image": packed(batch.tensors[k, :, :h, :w]),
                        "boxes": packed(tg["boxes"]), "masks": packed(tg["masks"])})
    found = []
    for h, w in batch.image_sizes:
        boxes = random_boxes(g, 3, min(h, w))
        found.append({"boxes": boxes, "scores": torch.rand(3, generator=g),
                      "labels": torch.tensor([1, 2, 3]), "masks": torch.rand(3, 1, 14, 14, generator=g)})
    detections = [{"boxes": packed(f["boxes"]), "masks": packed(f["masks"])} for f in found]
    with torch.no_grad():
        back = t.postprocess([dict(f) for f in found], batch.image_sizes,
                             [tuple(i.shape[-2:]) for i in images])
    return {"source": f"torchvision {torchvision.__version__}, torch {torch.__version__}",
            "min_size": 24, "max_size": 40, "inputs": inputs, "batch_shape": list(batch.tensors.shape),
            "outputs": outputs, "detections": detections,
            "postprocessed": [{"boxes": packed(b["boxes"]), "masks": packed(b["masks"])} for b in back]}


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
    with open(os.path.join(OUT, "detection.json"), "w") as f:
        json.dump(detection(torch.Generator().manual_seed(SEED + 1)), f)
    with open(os.path.join(OUT, "backbones.json"), "w") as f:
        json.dump(backbones(torch.Generator().manual_seed(SEED + 2)), f)
    with open(os.path.join(OUT, "models.json"), "w") as f:
        json.dump(full_models(torch.Generator().manual_seed(SEED + 3)), f)
    with open(os.path.join(OUT, "transform.json"), "w") as f:
        json.dump(transform(torch.Generator().manual_seed(SEED + 4)), f)


if __name__ == "__main__":
    main()
