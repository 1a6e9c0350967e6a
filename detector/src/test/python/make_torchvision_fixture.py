#!/usr/bin/python3
"""Makes the torchvision Mask R-CNN fixtures the detector's tests compare against.

Run with Debian's python3 (packages python3-torch, python3-torchvision, python3-onnx):

    /usr/bin/python3 detector/src/test/python/make_torchvision_fixture.py \
        --out detector/src/test/resources/fixtures [--minutes 8] [--seed 7]

It draws a synthetic shapes dataset (rectangles, ellipses, triangles on random
backgrounds), trains a small Mask R-CNN briefly with torchvision's own code,
exports it to ONNX (opset 11) and writes torchvision's eager outputs on a few
images: these outputs are what the Java detector must reproduce. It also writes
fixtures for torchvision's paste_masks_in_image to --paste-out (default
schemas/src/test/resources/masks, where the shared MaskPaster's test reads them).
"""
import argparse
import io
import json
import math
import os
import random
import time
from collections import OrderedDict

import numpy as np
import onnx
import torch
import torch.nn as nn
from PIL import Image, ImageDraw
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import TwoMLPHead, FastRCNNPredictor
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
from torchvision.models.detection.roi_heads import paste_masks_in_image
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

CLASSES = ["__background__", "rectangle", "ellipse", "triangle"]


def draw_sample(rng, width, height, max_shapes=3):
    """One image and its instances; later shapes occlude earlier ones."""
    bg = tuple(int(c) for c in rng.integers(0, 256, 3))
    img = Image.new("RGB", (width, height), bg)
    masks, labels = [], []
    for _ in range(int(rng.integers(0 if max_shapes > 1 else 1, max_shapes + 1))):
        cls = int(rng.integers(1, 4))
        size = int(rng.integers(28, min(width, height) // 2))
        x = int(rng.integers(0, width - size))
        y = int(rng.integers(0, height - size))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        while sum(abs(a - b) for a, b in zip(colour, bg)) < 120:
            colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        m = Image.new("L", (width, height), 0)
        for target, fill in ((img, colour), (m, 255)):
            d = ImageDraw.Draw(target)
            if cls == 1:
                d.rectangle([x, y, x + size, y + int(size * 0.7)], fill=fill)
            elif cls == 2:
                d.ellipse([x, y, x + size, y + size], fill=fill)
            else:
                d.polygon([(x + size / 2, y), (x, y + size), (x + size, y + size)], fill=fill)
        mask = np.array(m) > 0
        for prev in masks:
            prev &= ~mask
        masks.append(mask)
        labels.append(cls)
    keep = [i for i, m in enumerate(masks) if m.sum() > 60]
    masks = [masks[i] for i in keep]
    labels = [labels[i] for i in keep]
    arr = np.asarray(img, dtype=np.uint8)
    noise = rng.normal(0, 6, arr.shape)
    arr = np.clip(arr.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    return arr, masks, labels


def target_of(masks, labels):
    if not masks:
        return {
            "boxes": torch.zeros((0, 4)),
            "labels": torch.zeros((0,), dtype=torch.int64),
            "masks": torch.zeros((0, 1, 1), dtype=torch.uint8),
        }
    boxes = []
    for m in masks:
        ys, xs = np.nonzero(m)
        boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
    return {
        "boxes": torch.tensor(boxes, dtype=torch.float32),
        "labels": torch.tensor(labels, dtype=torch.int64),
        "masks": torch.from_numpy(np.stack(masks).astype(np.uint8)),
    }


class TinyBody(nn.Module):
    """A narrow ResNet-like body: four stages at strides 4, 8, 16, 32."""

    def __init__(self, widths=(24, 48, 96, 128)):
        super().__init__()

        def block(cin, cout, stride):
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
                nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
            )

        self.stem = nn.Sequential(
            nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True)
        )
        self.layer1 = block(16, widths[0], 2)
        self.layer2 = block(widths[0], widths[1], 2)
        self.layer3 = block(widths[1], widths[2], 2)
        self.layer4 = block(widths[2], widths[3], 2)


def build_model(num_classes, min_size, max_size):
    widths = (24, 48, 96, 128)
    fpn = 64
    backbone = BackboneWithFPN(
        TinyBody(widths),
        return_layers={"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"},
        in_channels_list=list(widths),
        out_channels=fpn,
        extra_blocks=LastLevelMaxPool(),
    )
    return MaskRCNN(
        backbone,
        num_classes=None,
        min_size=min_size,
        max_size=max_size,
        box_head=TwoMLPHead(fpn * 7 * 7, 256),
        box_predictor=FastRCNNPredictor(256, num_classes),
        mask_head=MaskRCNNHeads(fpn, (64, 64, 64, 64), 1),
        mask_predictor=MaskRCNNPredictor(64, 64, num_classes),
        rpn_pre_nms_top_n_test=300,
        rpn_post_nms_top_n_test=300,
        box_detections_per_img=50,
    )


def rle_encode(mask):
    """COCO compressed RLE of a binary HxW mask (maskApi.c rleEncode + rleToString)."""
    flat = np.asarray(mask, dtype=np.uint8).flatten(order="F")
    counts, prev, run = [], 0, 0
    for v in flat:
        if v != prev:
            counts.append(run)
            run, prev = 0, v
        run += 1
    counts.append(run)
    out = []
    for i, c in enumerate(counts):
        x = c - counts[i - 2] if i > 2 else c
        more = True
        while more:
            ch = x & 0x1F
            x >>= 5
            more = (x != -1) if (ch & 0x10) else (x != 0)
            if more:
                ch |= 0x20
            out.append(chr(ch + 48))
    return "".join(out)


def train(model, rng, minutes, iterations, size):
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    start, it = time.time(), 0
    while it < iterations and time.time() - start < minutes * 60:
        images, targets = [], []
        for _ in range(4):
            arr, masks, labels = draw_sample(rng, size[0], size[1])
            if not masks:
                continue
            images.append(torch.from_numpy(arr).permute(2, 0, 1).float() / 255.0)
            targets.append(target_of(masks, labels))
        if not images:
            continue
        warm = min(1.0, (it + 1) / 50)
        for g in opt.param_groups:
            g["lr"] = 2e-3 * warm
        losses = model(images, targets)
        loss = sum(losses.values())
        opt.zero_grad()
        loss.backward()
        opt.step()
        if it % 20 == 0:
            parts = " ".join(f"{k}={v.item():.3f}" for k, v in losses.items())
            print(f"it {it} {time.time() - start:.0f}s loss={loss.item():.3f} {parts}", flush=True)
        it += 1
    return it


def eager_outputs(model, arr):
    with torch.no_grad():
        out = model([torch.from_numpy(arr).permute(2, 0, 1).float() / 255.0])[0]
    h, w = arr.shape[:2]
    dets = []
    for i in range(out["boxes"].shape[0]):
        m = (out["masks"][i, 0] > 0.5).numpy()
        dets.append(
            {
                "label": int(out["labels"][i]),
                "score": float(out["scores"][i]),
                "box": [float(v) for v in out["boxes"][i]],
                "mask": {"size": [h, w], "counts": rle_encode(m)},
                "maskArea": int(m.sum()),
            }
        )
    return dets


def paste_fixtures(gen):
    cases = []
    for h, w, n in ((40, 50, 6), (31, 23, 3)):
        masks = torch.rand((n, 1, 28, 28), generator=gen)
        # smooth the noise so thresholding is not dominated by single pixels
        masks = torch.nn.functional.avg_pool2d(masks, 5, 1, 2)
        boxes = []
        for _ in range(n):
            x1 = float(torch.rand(1, generator=gen)) * w * 1.2 - 0.1 * w
            y1 = float(torch.rand(1, generator=gen)) * h * 1.2 - 0.1 * h
            bw = 0.5 + float(torch.rand(1, generator=gen)) * w * 0.7
            bh = 0.5 + float(torch.rand(1, generator=gen)) * h * 0.7
            boxes.append([x1, y1, x1 + bw, y1 + bh])
        boxes = torch.tensor(boxes, dtype=torch.float32)
        pasted = paste_masks_in_image(masks, boxes, (h, w), padding=1)
        cases.append(
            {
                "height": h,
                "width": w,
                "boxes": boxes.tolist(),
                "masks": masks[:, 0].reshape(n, -1).tolist(),
                "pasted": pasted[:, 0].reshape(n, -1).tolist(),
            }
        )
    return {"cases": cases}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=12)
    ap.add_argument("--iterations", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--paste-out",
        default=os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..",
            "schemas", "src", "test", "resources", "masks",
        ),
    )
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.paste_out, exist_ok=True)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)

    model = build_model(len(CLASSES), 256, 320)
    done = train(model, rng, args.minutes, args.iterations, (256, 192))
    model.eval()

    # Images the Java side decodes itself: PNG is lossless, so both sides see the same pixels.
    samples = []
    img_rng = np.random.default_rng(args.seed + 1000)
    sizes = [(256, 192), (320, 240), (200, 150), (256, 192)]
    for i, (w, h) in enumerate(sizes):
        if i == len(sizes) - 1:
            arr = np.full((h, w, 3), 128, np.uint8)  # nothing to find
        else:
            arr, _, _ = draw_sample(img_rng, w, h)
        name = f"image{i}.png"
        Image.fromarray(arr).save(os.path.join(args.out, name))
        samples.append({"file": name, "width": w, "height": h, "detections": eager_outputs(model, arr)})

    onnx_path = os.path.join(args.out, "shapes-torchvision.onnx")
    first = np.asarray(Image.open(os.path.join(args.out, samples[0]["file"])))
    example = torch.from_numpy(first.copy()).permute(2, 0, 1).float() / 255.0
    torch.onnx.export(
        model,
        ([example],),
        onnx_path,
        opset_version=11,
        input_names=["image"],
        output_names=["boxes", "labels", "scores", "masks"],
        dynamic_axes={
            "image": [1, 2],
            "boxes": [0],
            "labels": [0],
            "scores": [0],
            "masks": [0, 1, 2, 3],
        },
        do_constant_folding=True,
    )
    m = onnx.load(onnx_path)
    for key, value in (
        ("maskstream.classes", json.dumps(CLASSES)),
        ("maskstream.source", f"torchvision {__import__('torchvision').__version__} shapes fixture, seed {args.seed}, {done} iterations"),
    ):
        p = m.metadata_props.add()
        p.key, p.value = key, value
    onnx.checker.check_model(m)
    onnx.save(m, onnx_path)

    with open(os.path.join(args.out, "torchvision-eager.json"), "w") as f:
        json.dump({"classes": CLASSES, "iterations": done, "images": samples}, f, indent=1)
    gen = torch.Generator().manual_seed(args.seed)
    with open(os.path.join(args.paste_out, "paste-masks.json"), "w") as f:
        json.dump(paste_fixtures(gen), f)
    for s in samples:
        print(s["file"], [(d["label"], round(d["score"], 3)) for d in s["detections"] if d["score"] > 0.3])
    print("model bytes", os.path.getsize(onnx_path))


if __name__ == "__main__":
    main()
