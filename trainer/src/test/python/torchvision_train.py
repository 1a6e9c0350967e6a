#!/usr/bin/python3
"""Trains torchvision's Mask R-CNN with the trainer's `tiny` preset, as the baseline of the trainer
benchmarks (io.maskstream.trainer.bench.TrainSpeedBenchmark and TrainAccuracyBenchmark run it).

Run with Debian's python3-torchvision (0.14) and python3-torch (1.13):

    apt-get install python3-torchvision
    /usr/bin/python3 trainer/src/test/python/torchvision_train.py --data DIR --iterations 30

The recipe is the one `maskstream train` follows: torchvision's reference detection training
(SGD, momentum 0.9, weight decay 1e-4, lr 0.02 x batch / 16, linear warm-up from 0.001, decay by
0.1 at 16/26 and 22/26 of the budget), horizontal flips with probability 1/2, crowd regions left
out, images without objects skipped. It prints one JSON line: seconds per iteration after the
warm-up iterations, iterations done, the last losses and, with --profile, the seconds of each stage
of an iteration (data, transform, backbone, rpn, roi targets, box roialign, ...). With --results it then runs the model
on --val and writes COCO results (masks as compressed RLE) for `maskstream eval`, so that both
trainers are measured by the same evaluator. A dataset whose categories name keypoints (`maskstream
shapes --keypoints`) gets the trainer's tiny keypoint branch (four 64-wide convolutions), flips
with the categories' flip_map, and keypoints in its results.
"""
import argparse
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.keypoint_rcnn import KeypointRCNNHeads, KeypointRCNNPredictor
from torchvision.models.detection.mask_rcnn import MaskRCNN, MaskRCNNHeads, MaskRCNNPredictor
from torchvision.ops.poolers import MultiScaleRoIAlign
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_torchvision_fixtures import TinyResNet  # noqa: E402 (the `tiny` body, shared)


# the permutation a horizontal flip applies to the keypoints of the dataset load() read last, or
# None when its categories name no keypoints
KEYPOINT_FLIP = None


def tiny_maskrcnn(num_classes):
    return_layers = {"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"}
    backbone = BackboneWithFPN(TinyResNet(), return_layers, [32, 64, 128, 256], 64,
                               extra_blocks=LastLevelMaxPool())
    return MaskRCNN(backbone, num_classes=None, min_size=256, max_size=512,
                    box_batch_size_per_image=128,
                    box_head=TwoMLPHead(64 * 7 * 7, 256),
                    box_predictor=FastRCNNPredictor(256, num_classes),
                    mask_head=MaskRCNNHeads(64, [64, 64], 1),
                    mask_predictor=MaskRCNNPredictor(64, 64, num_classes))


def with_keypoint_head(model, keypoints):
    """The tiny network with maskstream's tiny keypoint branch: four 64-wide convolutions."""
    heads = model.roi_heads
    heads.keypoint_roi_pool = MultiScaleRoIAlign(["0", "1", "2", "3"], 14, 2)
    heads.keypoint_head = KeypointRCNNHeads(64, [64] * 4)
    heads.keypoint_predictor = KeypointRCNNPredictor(64, keypoints)
    return model


def rle_decode(size, counts):
    """COCO compressed RLE (pycocotools' rleFrString + rleDecode) to an H x W uint8 mask."""
    h, w = size
    runs, p = [], 0
    while p < len(counts):
        x, k, more = 0, 0, True
        while more:
            c = ord(counts[p]) - 48
            x |= (c & 0x1f) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(runs) > 2:
            x += runs[-2]
        runs.append(x)
    # alternating 0/1 runs, expanded in one vectorised call (a Python loop over the runs made the
    # baseline's loader, not its training, the slow part)
    values = (np.arange(len(runs)) % 2).astype(np.uint8)
    flat = np.repeat(values, np.asarray(runs, dtype=np.int64))
    if flat.size != h * w:
        raise ValueError(f"RLE runs cover {flat.size} pixels, the mask has {h * w}")
    return flat.reshape(w, h).T


def rle_encode(mask):
    """An H x W 0/1 mask to COCO compressed RLE (pycocotools' rleEncode + rleToString)."""
    flat = mask.T.reshape(-1).astype(np.int8)
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat.size and flat[0] == 1:
        runs = [0] + runs
    out = []
    for i, x in enumerate(runs):
        if i > 2:
            x -= runs[i - 2]
        more = True
        while more:
            c = x & 0x1f
            x >>= 5
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def load(folder):
    with open(os.path.join(folder, "annotations.json")) as f:
        coco = json.load(f)
    categories = sorted(c["id"] for c in coco["categories"])
    label_of = {cid: i + 1 for i, cid in enumerate(categories)}
    # the keypoints every category names (one list), and the permutation a flip applies
    named = [c for c in coco["categories"] if c.get("keypoints")]
    global KEYPOINT_FLIP
    KEYPOINT_FLIP = None
    if named:
        names = named[0]["keypoints"]
        flip = list(range(len(names)))
        for a, b in named[0].get("flip_map", []):
            flip[names.index(a)], flip[names.index(b)] = names.index(b), names.index(a)
        KEYPOINT_FLIP = flip
    by_image = {}
    for a in coco["annotations"]:
        by_image.setdefault(a["image_id"], []).append(a)
    images = []
    for im in sorted(coco["images"], key=lambda i: i["id"]):
        path = os.path.join(folder, im["file_name"])
        if not os.path.exists(path):
            path = os.path.join(folder, "images", im["file_name"])
        images.append((im, path, by_image.get(im["id"], [])))
    return images, categories, label_of


def example(entry, label_of, flip):
    im, path, anns = entry
    image = torch.from_numpy(np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255)
    image = image.permute(2, 0, 1).contiguous()
    h, w = image.shape[1:]
    boxes, labels, masks, keypoints = [], [], [], []
    for a in anns:
        if a.get("iscrowd", 0):
            continue
        x, y, bw, bh = a["bbox"]
        box = [min(max(x, 0), w), min(max(y, 0), h), min(max(x + bw, 0), w), min(max(y + bh, 0), h)]
        if not (box[2] > box[0] and box[3] > box[1]):
            continue
        seg = a["segmentation"]
        masks.append(torch.from_numpy(rle_decode(seg["size"], seg["counts"]).copy()))
        boxes.append(box)
        labels.append(label_of[a["category_id"]])
        if KEYPOINT_FLIP is not None:
            keypoints.append(a.get("keypoints") or [0.0] * (3 * len(KEYPOINT_FLIP)))
    target = {"boxes": torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
              "labels": torch.tensor(labels, dtype=torch.int64),
              "masks": torch.stack(masks) if masks else torch.zeros(0, h, w, dtype=torch.uint8)}
    if KEYPOINT_FLIP is not None:
        target["keypoints"] = torch.tensor(keypoints, dtype=torch.float32).reshape(
            -1, len(KEYPOINT_FLIP), 3)
    return flipped(image, target) if flip else (image, target)


def flipped(image, target):
    w = image.shape[2]
    b = target["boxes"]
    out = {"boxes": torch.stack([w - b[:, 2], b[:, 1], w - b[:, 0], b[:, 3]], dim=1),
           "labels": target["labels"], "masks": target["masks"].flip(-1)}
    if "keypoints" in target:
        # torchvision's reference training (_flip_coco_person_keypoints), with the dataset's pairs
        k = target["keypoints"][:, KEYPOINT_FLIP]
        k[..., 0] = w - k[..., 0]
        k[k[..., 2] == 0] = 0
        out["keypoints"] = k
    return image.flip(-1), out


def usable(entry):
    return any(a["bbox"][2] > 1 and a["bbox"][3] > 1 for a in entry[2])


class Batches(torch.utils.data.IterableDataset):
    """The trainer's sampling: seeded shuffles per epoch, a flip with probability 1/2. With
    `decoded` (--prepare once) every image and mask was decoded up front and a step only flips."""

    def __init__(self, entries, label_of, batch, seed, decoded=None):
        self.entries, self.label_of, self.batch, self.seed = entries, label_of, batch, seed
        self.decoded = decoded

    def item(self, i, flip):
        if self.decoded is None:
            return example(self.entries[i], self.label_of, flip)
        image, target = self.decoded[i]
        return flipped(image, target) if flip else (image, target)

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        workers, me = (info.num_workers, info.id) if info else (1, 0)
        rng = random.Random(self.seed)
        k, order, epoch = 0, [], 0
        while True:
            chosen = []
            for _ in range(self.batch):
                if not order:
                    order = list(range(len(self.entries)))
                    random.Random(self.seed * 1000 + epoch).shuffle(order)
                    epoch += 1
                chosen.append((order.pop(), rng.random() < 0.5))
            if k % workers == me:
                yield [self.item(i, f) for i, f in chosen]
            k += 1


class Stages:
    """Wall time per stage of an iteration (--profile), in the stage names of maskstream's
    StageTimes: each wrapped call's duration is charged to its stage."""

    def __init__(self):
        self.seconds = {}

    def add(self, name, seconds):
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def wrap(self, name, fn):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.add(name, time.perf_counter() - start)
        return timed

    def instrument(self, model):
        from torchvision.models.detection import roi_heads as roi_heads_module
        heads = model.roi_heads
        model.transform.forward = self.wrap("transform", model.transform.forward)
        model.backbone.forward = self.wrap("backbone", model.backbone.forward)
        model.rpn.forward = self.wrap("rpn", model.rpn.forward)
        heads.select_training_samples = self.wrap("roi targets", heads.select_training_samples)
        heads.box_roi_pool.forward = self.wrap("box roialign", heads.box_roi_pool.forward)
        heads.box_head.forward = self.wrap("box head", heads.box_head.forward)
        heads.box_predictor.forward = self.wrap("box head", heads.box_predictor.forward)
        roi_heads_module.fastrcnn_loss = self.wrap("box loss", roi_heads_module.fastrcnn_loss)
        heads.mask_roi_pool.forward = self.wrap("mask roialign", heads.mask_roi_pool.forward)
        heads.mask_head.forward = self.wrap("mask head", heads.mask_head.forward)
        heads.mask_predictor.forward = self.wrap("mask head", heads.mask_predictor.forward)
        # maskrcnn_loss also projects the ground-truth masks onto the RoIs (maskstream does that
        # among its roi targets)
        roi_heads_module.maskrcnn_loss = self.wrap("mask loss", roi_heads_module.maskrcnn_loss)


def lr_at(base, it, warmup, progress, milestones=(16 / 26, 22 / 26)):
    lr = base * (0.1 ** sum(progress >= m for m in milestones))
    if it < warmup:
        alpha = it / warmup
        lr *= 0.001 * (1 - alpha) + alpha
    return lr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--iterations", type=int)
    ap.add_argument("--minutes", type=float)
    ap.add_argument("--skip", type=int, default=5, help="iterations left out of the timing")
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--loader-threads", type=int, default=2)
    ap.add_argument("--prepare", choices=["each-step", "once"], default="each-step",
                    help="decode images and masks at every step in the loader workers, as"
                         " maskstream's loader does, or once up front (then no workers)")
    ap.add_argument("--warmup", type=int)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--val")
    ap.add_argument("--results")
    ap.add_argument("--channels-last", action="store_true",
                    help="weights and the backbone's input in channels-last memory format (oneDNN"
                         " convolutions without reorders)")
    ap.add_argument("--profile", action="store_true",
                    help="time each stage of an iteration and print it (\"stages\", seconds per"
                         " timed iteration)")
    args = ap.parse_args()
    if (args.iterations is None) == (args.minutes is None):
        sys.exit("give --iterations N or --minutes N")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    entries, categories, label_of = load(args.data)
    entries = [e for e in entries if usable(e)]
    model = tiny_maskrcnn(len(categories) + 1)
    if KEYPOINT_FLIP is not None:
        model = with_keypoint_head(model, len(KEYPOINT_FLIP))
    model.train()
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
        backbone = model.backbone.forward
        model.backbone.forward = lambda x: backbone(x.contiguous(memory_format=torch.channels_last))
    stages = Stages()
    if args.profile:
        stages.instrument(model)
    base_lr = 0.02 * args.batch_size / 16
    warmup = args.warmup if args.warmup is not None else (
        min(1000, max(1, args.iterations // 10)) if args.iterations else 100)
    opt = torch.optim.SGD(model.parameters(), lr=base_lr, momentum=0.9, weight_decay=1e-4)
    if args.prepare == "once":
        decoded = [example(e, label_of, False) for e in entries]
        loader = torch.utils.data.DataLoader(
            Batches(entries, label_of, args.batch_size, args.seed, decoded), batch_size=None,
            num_workers=0)
    else:
        # each worker process decodes on one thread, as each of maskstream's loader threads does
        loader = torch.utils.data.DataLoader(
            Batches(entries, label_of, args.batch_size, args.seed), batch_size=None,
            num_workers=args.loader_threads, prefetch_factor=2,
            worker_init_fn=lambda _: torch.set_num_threads(1))
    start = time.time()
    timed_start, it, losses = None, 0, {}
    budget = args.minutes * 60 if args.minutes else None
    waited = time.perf_counter()
    for batch in loader:
        stages.add("data", time.perf_counter() - waited)
        elapsed = time.time() - start
        progress = it / args.iterations if args.iterations else elapsed / budget
        for g in opt.param_groups:
            g["lr"] = lr_at(base_lr, it, warmup, progress)
        images = [b[0] for b in batch]
        targets = [b[1] for b in batch]
        loss_dict = model(images, targets)
        loss = sum(loss_dict.values())
        mark = time.perf_counter()
        losses = {k: float(v) for k, v in loss_dict.items()}
        stages.add("losses read", time.perf_counter() - mark)
        mark = time.perf_counter()
        opt.zero_grad()
        loss.backward()
        stages.add("backward", time.perf_counter() - mark)
        mark = time.perf_counter()
        opt.step()
        stages.add("optimiser", time.perf_counter() - mark)
        it += 1
        if it == args.skip:
            timed_start = time.time()
            stages.seconds.clear()
        if (args.iterations and it >= args.iterations) or (budget and time.time() - start >= budget):
            break
        waited = time.perf_counter()
    end = time.time()
    timed = it - args.skip if timed_start else it
    per_iteration = (end - (timed_start or start)) / max(1, timed)
    print(json.dumps({"trainer": f"torchvision {torchvision.__version__}, torch {torch.__version__}",
                      "seconds_per_iteration": per_iteration, "iterations": it,
                      "seconds": end - start, "losses": losses,
                      "stages": {k: v / max(1, timed) for k, v in stages.seconds.items()}}),
          flush=True)
    if args.results:
        model.eval()
        val_entries, _, _ = load(args.val)
        results = []
        with torch.no_grad():
            for entry in val_entries:
                image, _ = example((entry[0], entry[1], []), label_of, False)
                (out,) = model([image])
                for k, (box, score, label, mask) in enumerate(
                        zip(out["boxes"], out["scores"], out["labels"], out["masks"])):
                    x1, y1, x2, y2 = box.tolist()
                    m = (mask[0] > 0.5).numpy().astype(np.uint8)
                    result = {"image_id": entry[0]["id"],
                              "category_id": categories[int(label) - 1],
                              "bbox": [x1, y1, x2 - x1, y2 - y1], "score": float(score),
                              "segmentation": {"size": list(m.shape), "counts": rle_encode(m)}}
                    if "keypoints" in out:
                        # as torchvision's evaluation writes them: x, y and the 1 of the output
                        result["keypoints"] = out["keypoints"][k].reshape(-1).tolist()
                    results.append(result)
        with open(args.results, "w") as f:
            json.dump(results, f)


if __name__ == "__main__":
    main()
