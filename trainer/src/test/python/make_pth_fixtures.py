#!/usr/bin/python3
"""Writes state dicts as PyTorch users hold them, and torchvision's detections with them, for the
trainer's tests of `train --init model.pth`.

Run with Debian's python3-torchvision (0.14) and python3-torch (1.13):

    apt-get install python3-torchvision
    /usr/bin/python3 trainer/src/test/python/make_pth_fixtures.py

Outputs go to trainer/src/test/resources/pth/ and are committed:

- small.pth: `torch.save(model.state_dict())` (zip + pickle, an OrderedDict with its _metadata) of a
  small Mask R-CNN in torchvision's names, randomly initialised by torchvision from a fixed seed,
  its classifier and objectness sharpened so that scores spread out as a trained model's do. The
  layout (the tiny preset's, narrower so that the file stays small): a ResNet body with stem 8,
  one basic block per stage of widths 8/16/32/64 and batch normalisation, a 16-channel pyramid, a
  32-wide box head, two 16-wide mask convolutions, 4 classes, 64 px images.
- legacy.pth: some of the same tensors (the first batch normalisation, the RPN head, the mask
  predictor) saved in the format torch.save wrote before PyTorch 1.6, as torchvision's published
  COCO weights are.
- not_a_state_dict.pth: a list of numbers.
- small.json: torchvision's boxes, scores, labels and masks of the small model on a fixed image.
"""
import base64
import collections
import json
import os

import torch
import torchvision
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.mask_rcnn import MaskRCNN, MaskRCNNHeads, MaskRCNNPredictor
from torchvision.models.resnet import BasicBlock
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

SEED = 20261202
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "pth")


def packed(t):
    t = t.detach().contiguous()
    kind = {torch.float32: "f32", torch.uint8: "u8", torch.int64: "i64"}[t.dtype]
    return {"shape": list(t.shape), kind: base64.b64encode(t.numpy().tobytes()).decode()}


class SmallResNet(torch.nn.Module):
    """torchvision's ResNet layout with stem 8 and one basic block per stage of 8/16/32/64."""

    def __init__(self, stem=8, widths=(8, 16, 32, 64)):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, stem, 7, 2, 3, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(stem)
        self.relu = torch.nn.ReLU(inplace=True)
        self.maxpool = torch.nn.MaxPool2d(3, 2, 1)
        inplanes = stem
        for index, (width, stride) in enumerate(zip(widths, [1, 2, 2, 2])):
            downsample = None
            if stride != 1 or inplanes != width:
                downsample = torch.nn.Sequential(
                    torch.nn.Conv2d(inplanes, width, 1, stride, bias=False), torch.nn.BatchNorm2d(width))
            block = BasicBlock(inplanes, width, stride, downsample, norm_layer=torch.nn.BatchNorm2d)
            setattr(self, f"layer{index + 1}", torch.nn.Sequential(block))
            inplanes = width


def small_model():
    return_layers = {"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"}
    backbone = BackboneWithFPN(SmallResNet(), return_layers, [8, 16, 32, 64], 16,
                               extra_blocks=LastLevelMaxPool())
    return MaskRCNN(backbone, num_classes=None, min_size=64, max_size=64,
                    box_detections_per_img=10, box_batch_size_per_image=128,
                    box_head=TwoMLPHead(16 * 7 * 7, 32), box_predictor=FastRCNNPredictor(32, 4),
                    mask_head=MaskRCNNHeads(16, [16, 16], 1),
                    mask_predictor=MaskRCNNPredictor(16, 16, 4))


def main():
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    os.makedirs(OUT, exist_ok=True)
    model = small_model()
    with torch.no_grad():
        # spread the scores: class logits x30, objectness x5 (the trainer's export tests do so too)
        model.roi_heads.box_predictor.cls_score.weight.mul_(30)
        model.rpn.head.cls_logits.weight.mul_(5)
        # running statistics other than PyTorch's 0 and 1, so that they must be read, not assumed
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    model.eval()
    state = model.state_dict()
    torch.save(state, os.path.join(OUT, "small.pth"))
    # the legacy format, for a few of the tensors (the file stays small)
    legacy = collections.OrderedDict(
        (k, v) for k, v in state.items()
        if k.startswith("backbone.body.bn1.") or k.startswith("rpn.head.")
        or k.startswith("roi_heads.mask_predictor."))
    torch.save(legacy, os.path.join(OUT, "legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save([1, 2, 3], os.path.join(OUT, "not_a_state_dict.pth"))
    g = torch.Generator().manual_seed(SEED + 1)
    x = torch.rand(3, 64, 64, generator=g)
    with torch.no_grad():
        (result,) = model([x])
    out = {"source": f"torchvision {torchvision.__version__}, torch {torch.__version__}",
           "keys": list(state.keys()), "image": packed(x),
           "boxes": packed(result["boxes"]), "scores": packed(result["scores"]),
           "labels": result["labels"].tolist(), "masks": packed(result["masks"])}
    with open(os.path.join(OUT, "small.json"), "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
