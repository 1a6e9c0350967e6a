#!/usr/bin/python3
"""Makes the ONNX Model Zoo contract fixture the detector's tests compare against.

Run with Debian's python3 (packages python3-torch, python3-torchvision, python3-onnx):

    /usr/bin/python3 detector/src/test/python/make_zoo_fixture.py \
        --out detector/src/test/resources/fixtures [--iterations 248] [--minutes 20] [--seed 11]

It trains a small torchvision Mask R-CNN on the shapes of make_torchvision_fixture.py and exports
it behind the contract of the ONNX Model Zoo's MaskRCNN-10/12: one input "image" [3,H,W], BGR
0..255 minus the Caffe means, already resized (short side 800, long side at most 1333) and zero
padded to multiples of 32; outputs "6568" boxes [N,4] in input pixels, "6570" labels [N] int64,
"6572" scores [N] and "6887" mask probabilities [N,1,28,28], not pasted. Inside the graph the
image is brought back to RGB 0..1 and shrunk 4 times, the scale the small model was trained at,
and the boxes are scaled back up.

It writes zoo-image*.png and the eager outputs of the same wrapper on them (masks pasted with
torchvision's paste_masks_in_image) to zoo-eager.json, and the class names to zoo-labels.txt:
the model carries no class names, like the zoo's. Two images are at the zoo size already
(1064x800, 800x1064: no resize on either side, the long side padded), one is 532x400 (the
detector resizes it with OpenCV, reproduced bit for bit here, and scales boxes and masks back),
and one is flat grey. The committed fixture trained 248 iterations (about 12 minutes on 2 cores).
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from PIL import Image
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.roi_heads import paste_masks_in_image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_torchvision_fixture import CLASSES, build_model, draw_sample, rle_encode, train  # noqa: E402

BGR_MEAN = (102.9801, 115.9465, 122.7717)
FACTOR = 4
# the training images: the zoo's 800-px short side shrunk FACTOR times
TRAIN_SIZE = (266, 200)
# the output names of the zoo's MaskRCNN-10 (TorchScript refuses them as names at export)
ZOO_OUTPUTS = {"boxes": "6568", "labels": "6570", "scores": "6572", "masks": "6887"}


class ZooContract(nn.Module):
    """A torchvision Mask R-CNN behind the ONNX Model Zoo's input and output convention."""

    def __init__(self, model, factor):
        super().__init__()
        self.model = model
        self.factor = factor
        self.register_buffer("mean", torch.tensor(BGR_MEAN).view(3, 1, 1))

    def forward(self, image):
        # the zoo's graphs need sides divisible by 32 (their FPN upsamples by exactly 2 and fails
        # otherwise): this one fails too, on a reshape, rather than quietly running on any size
        h, w = image.shape[-2:]
        image = image.reshape(3, h // 32, 32, w // 32, 32).reshape(3, h, w)
        rgb = (image + self.mean)[[2, 1, 0]] / 255.0
        small = F.interpolate(
            rgb[None],
            scale_factor=1.0 / self.factor,
            mode="bilinear",
            align_corners=False,
            recompute_scale_factor=False,
        )[0]
        t = self.model.transform
        x = t.normalize(small)
        size = x.shape[-2:]
        images = ImageList(t.batch_images([x], size_divisible=t.size_divisible), [(size[0], size[1])])
        features = self.model.backbone(images.tensors)
        proposals, _ = self.model.rpn(images, features)
        detections, _ = self.model.roi_heads(features, proposals, images.image_sizes)
        d = detections[0]
        return d["boxes"] * self.factor, d["labels"], d["scores"], d["masks"]


def rename_outputs(graph, names):
    taken = {n for node in graph.node for n in node.output} | {i.name for i in graph.initializer}
    names = dict(names)
    for new in list(names.values()):
        if new in taken:  # an inner tensor already has the name: move it aside
            names[new] = new + "_inner"
    for node in graph.node:
        node.input[:] = [names.get(n, n) for n in node.input]
        node.output[:] = [names.get(n, n) for n in node.output]
    for out in graph.output:
        out.name = names.get(out.name, out.name)


def declare_output_shapes(graph, shapes):
    """Declares the outputs' shapes: the exporter leaves every dim of a traced detection symbolic,
    the zoo's graph declares masks [nbox,1,28,28] (what tells the detector the contract)."""
    for out in graph.output:
        dims = out.type.tensor_type.shape.dim
        for d, value in zip(dims, shapes[out.name]):
            if isinstance(value, int):
                d.dim_value = value
            else:
                d.dim_param = value


def zoo_input(arr):
    """What the detector feeds the graph for an image already at the zoo size (RGB HxWx3 uint8)."""
    h, w = arr.shape[:2]
    bgr = arr[:, :, ::-1].astype(np.float32) - np.array(BGR_MEAN, np.float32)
    ph, pw = math.ceil(h / 32) * 32, math.ceil(w / 32) * 32
    padded = np.zeros((3, ph, pw), np.float32)
    padded[:, :h, :w] = bgr.transpose(2, 0, 1)
    return torch.from_numpy(padded)


def upscale2(arr):
    """OpenCV's INTER_LINEAR resize of uint8 HxWx3 to twice the size, bit for bit (what the
    detector's Resize(800, 1333) does to an image 400 px high): rows and columns weigh the nearer
    source pixel 3:1 (edges repeated); the columns are summed exactly, the rows in OpenCV's
    vectorised fixed point, which floors each weighted row before rounding."""
    p = np.pad(arr.astype(np.int64), ((1, 1), (1, 1), (0, 0)), mode="edge")

    def taps(n):
        d = np.arange(2 * n)
        near = d // 2 + 1  # indices into the padded array
        far = np.where(d % 2 == 0, near - 1, near + 1)
        return near, far

    rn, rf = taps(arr.shape[0])
    cn, cf = taps(arr.shape[1])
    near = 3 * p[rn][:, cn] + p[rn][:, cf]
    far = 3 * p[rf][:, cn] + p[rf][:, cf]
    return ((3 * near // 4 + far // 4 + 2) >> 2).astype(np.uint8)


def eager_outputs(wrapper, arr, scale=1.0):
    """The graph's outputs on an RGB image, boxes divided by scale (the resize factor from the
    original image to arr) like the detector does."""
    with torch.no_grad():
        boxes, labels, scores, masks = wrapper(zoo_input(arr))
    return boxes / scale, labels, scores, masks


def detections(outputs, h, w):
    """The outputs as JSON detections, masks pasted into the original h x w image."""
    boxes, labels, scores, masks = outputs
    with torch.no_grad():
        pasted = paste_masks_in_image(masks, boxes, (h, w), padding=1)
    dets = []
    for i in range(boxes.shape[0]):
        m = (pasted[i, 0] > 0.5).numpy()
        dets.append(
            {
                "label": int(labels[i]),
                "score": float(scores[i]),
                "box": [float(v) for v in boxes[i]],
                "mask": {"size": [h, w], "counts": rle_encode(m)},
                "maskArea": int(m.sum()),
            }
        )
    return dets


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=20, help="training time limit")
    ap.add_argument("--iterations", type=int, default=248)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--candidates", type=int, default=12, help="drawings tried per test image")
    ap.add_argument("--checkpoint", help="trained weights: read if the file exists, else written")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)

    # min_size 200 and max_size 334 keep the 266x200 training images at their size
    model = build_model(len(CLASSES), TRAIN_SIZE[1], 334)
    if args.checkpoint and os.path.exists(args.checkpoint):
        saved = torch.load(args.checkpoint)
        model.load_state_dict(saved["state"])
        done = saved["iterations"]
    else:
        done = train(model, rng, args.minutes, args.iterations, TRAIN_SIZE)
        if args.checkpoint:
            torch.save({"state": model.state_dict(), "iterations": done}, args.checkpoint)
    model.eval()
    wrapper = ZooContract(model, FACTOR).eval()

    # Images at the zoo size (short side 800, long side not a multiple of 32): no resize on either
    # side; then one at half that size, which the detector resizes, and a flat one.
    img_rng = np.random.default_rng(args.seed + 1000)
    samples = []
    for i, (w, h) in enumerate([(1064, 800), (800, 1064), (532, 400)]):
        best = None
        for _ in range(args.candidates):  # the drawing with the most confident detections
            arr, _, _ = draw_sample(img_rng, w, h)
            shown = arr if i < 2 else upscale2(arr)
            outputs = eager_outputs(wrapper, shown, shown.shape[1] / w)
            scores = outputs[2]
            key = (int((scores > 0.3).sum()), float(scores.max()) if len(scores) else 0.0)
            if best is None or key > best[0]:
                best = (key, arr, outputs)
        samples.append((f"zoo-image{i}.png", best[1], best[2]))
    flat = np.full((800, 1064, 3), 128, np.uint8)
    samples.append(("zoo-image3.png", flat, eager_outputs(wrapper, flat)))

    images = []
    for name, arr, outputs in samples:
        Image.fromarray(arr).save(os.path.join(args.out, name), optimize=True)
        h, w = arr.shape[:2]
        images.append({"file": name, "width": w, "height": h, "detections": detections(outputs, h, w)})

    onnx_path = os.path.join(args.out, "shapes-zoo.onnx")
    example = zoo_input(samples[0][1])
    torch.onnx.export(
        wrapper,
        (example,),
        onnx_path,
        opset_version=11,
        input_names=["image"],
        output_names=list(ZOO_OUTPUTS),
        dynamic_axes={"image": [1, 2], "boxes": [0], "labels": [0], "scores": [0], "masks": [0]},
        do_constant_folding=True,
    )
    m = onnx.load(onnx_path)
    rename_outputs(m.graph, ZOO_OUTPUTS)
    declare_output_shapes(
        m.graph,
        {"6568": ["nbox", 4], "6570": ["nbox"], "6572": ["nbox"], "6887": ["nbox", 1, 28, 28]},
    )
    p = m.metadata_props.add()
    p.key = "maskstream.source"
    p.value = (
        f"torchvision {torchvision.__version__} shapes fixture behind the ONNX Model Zoo"
        f" MaskRCNN contract (graph shrinks the input {FACTOR}x), seed {args.seed},"
        f" {done} iterations"
    )
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, onnx_path)
    masks = next(o for o in m.graph.output if o.name == "6887")
    dims = [d.dim_value if d.HasField("dim_value") else d.dim_param for d in masks.type.tensor_type.shape.dim]
    assert dims[1:] == [1, 28, 28] and not isinstance(dims[0], int), dims

    with open(os.path.join(args.out, "zoo-labels.txt"), "w") as f:
        f.write("\n".join(CLASSES) + "\n")
    with open(os.path.join(args.out, "zoo-eager.json"), "w") as f:
        json.dump({"classes": CLASSES, "iterations": done, "factor": FACTOR, "images": images}, f, indent=1)
    for s in images:
        print(s["file"], [(d["label"], round(d["score"], 3)) for d in s["detections"] if d["score"] > 0.3])
    print("mask output", dims, "model bytes", os.path.getsize(onnx_path))


if __name__ == "__main__":
    main()
