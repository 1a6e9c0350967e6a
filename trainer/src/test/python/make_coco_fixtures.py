#!/usr/bin/env python3
"""Writes COCO evaluation and mask-operation fixtures computed by real pycocotools.

The outputs are committed under trainer/src/test/resources/coco/; the Java tests compare against
them. Re-run only when the cases change:

    python3 -m venv /tmp/coco && /tmp/coco/bin/pip install pycocotools numpy
    /tmp/coco/bin/python trainer/src/test/python/make_coco_fixtures.py

Deterministic: every random choice comes from numpy.random.RandomState(SEED).
"""
import contextlib
import io
import json
import os

import numpy as np
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

SEED = 20261125
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "coco")


def rle_str(rle):
    c = rle["counts"]
    return c.decode("ascii") if isinstance(c, bytes) else c


def encode(mask):
    return mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))


def uncompressed(mask):
    flat = mask.astype(np.uint8).flatten(order="F")
    counts, prev, run = [], 0, 0
    for v in flat:
        if v != prev:
            counts.append(run)
            run, prev = 0, v
        run += 1
    counts.append(run)
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": counts}


def random_polygon(rng, cx, cy, radius, k):
    angles = np.sort(rng.uniform(0, 2 * np.pi, k))
    radii = radius * rng.uniform(0.5, 1.0, k)
    xs = cx + radii * np.cos(angles)
    ys = cy + radii * np.sin(angles)
    return [round(float(v), 2) for xy in zip(xs, ys) for v in xy]


def blob(rng, h, w):
    """A random blob mask with a hole and ragged edges."""
    yy, xx = np.mgrid[0:h, 0:w]
    cx, cy = rng.uniform(0.2 * w, 0.8 * w), rng.uniform(0.2 * h, 0.8 * h)
    rx, ry = rng.uniform(0.1 * w, 0.3 * w), rng.uniform(0.1 * h, 0.3 * h)
    d = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2
    m = d < 1 + 0.3 * rng.uniform(-1, 1, (h, w))
    m &= d > 0.1
    return m


def quiet(fn):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn()


def evaluate(gt_path, res_path):
    out = {}
    gt = quiet(lambda: COCO(gt_path))
    for t in ("bbox", "segm"):
        dt = quiet(lambda: gt.loadRes(res_path))
        e = COCOeval(gt, dt, t)
        quiet(e.evaluate)
        quiet(e.accumulate)
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            e.summarize()
        out[t] = [round(float(s), 6) for s in e.stats]
        out[t + "_lines"] = buf.getvalue().splitlines()
    return out


def mask_ops(rng):
    cases = {"polygons": [], "boxes": [], "iou": [], "box_iou": [], "merge": []}
    sizes = [(1, 1), (7, 5), (40, 60), (97, 131), (240, 320)]
    for i in range(60):
        h, w = sizes[i % len(sizes)]
        k = int(rng.randint(3, 13))
        # centres and radii that also push parts of the polygon out of the image
        poly = random_polygon(rng, rng.uniform(-5, w + 5), rng.uniform(-5, h + 5),
                              rng.uniform(0.5, max(h, w)), k)
        if i % 7 == 3:
            poly = poly + poly[:2]  # closed ring: a repeated point, a zero-length edge
        if i % 11 == 5:
            poly = [round(v) for v in poly]  # integer vertices
        parts = [poly]
        if i % 5 == 0:
            parts.append(random_polygon(rng, rng.uniform(0, w), rng.uniform(0, h),
                                        rng.uniform(1, max(h, w) / 2), 4))
        rles = mask_utils.frPyObjects(parts, h, w)
        merged = mask_utils.merge(rles)
        cases["polygons"].append({
            "height": h, "width": w, "polygons": parts,
            "parts": [rle_str(r) for r in rles], "merged": rle_str(merged),
            "area": int(mask_utils.area(merged)),
        })
    for i in range(20):
        h, w = sizes[i % len(sizes)]
        box = [round(float(v), 2) for v in (rng.uniform(-3, w), rng.uniform(-3, h),
                                             rng.uniform(0, w), rng.uniform(0, h))]
        rle = mask_utils.frPyObjects(np.array([box]), h, w)[0]
        cases["boxes"].append({"height": h, "width": w, "box": box, "rle": rle_str(rle)})
    for i in range(12):
        h, w = sizes[2 + i % 3]
        dts = [encode(blob(rng, h, w)) for _ in range(int(rng.randint(1, 6)))]
        gts = [encode(blob(rng, h, w)) for _ in range(int(rng.randint(1, 5)))]
        crowd = [int(v) for v in rng.randint(0, 2, len(gts))]
        ious = mask_utils.iou(dts, gts, crowd)
        cases["iou"].append({
            "height": h, "width": w, "dt": [rle_str(r) for r in dts],
            "gt": [rle_str(r) for r in gts], "iscrowd": crowd,
            "iou": np.asarray(ious).tolist(),
        })
        bdt = [[round(float(v), 2) for v in (rng.uniform(0, w), rng.uniform(0, h),
                                             rng.uniform(0, w / 2), rng.uniform(0, h / 2))]
               for _ in range(len(dts))]
        bgt = [[round(float(v), 2) for v in (rng.uniform(0, w), rng.uniform(0, h),
                                             rng.uniform(0, w / 2), rng.uniform(0, h / 2))]
               for _ in range(len(gts))]
        cases["box_iou"].append({
            "dt": bdt, "gt": bgt, "iscrowd": crowd,
            "iou": np.asarray(mask_utils.iou(bdt, bgt, crowd)).tolist(),
        })
        masks = [encode(blob(rng, h, w)) for _ in range(3)]
        cases["merge"].append({
            "height": h, "width": w, "masks": [rle_str(r) for r in masks],
            "union": rle_str(mask_utils.merge(masks, intersect=0)),
            "intersection": rle_str(mask_utils.merge(masks, intersect=1)),
        })
    return cases


def crowd_dataset(rng):
    """Crowd regions, polygons, uncompressed RLE, images of different sizes, score ties."""
    sizes = [(150, 200), (131, 97), (120, 160), (48, 64), (180, 180), (100, 300), (120, 90)]
    cats = [2, 5, 9, 11]  # 11 has no ground truth
    images, anns, results = [], [], []
    ann_id = 100
    for img_id, (h, w) in enumerate(sizes, start=1):
        images.append({"id": img_id * 10, "width": w, "height": h, "file_name": f"{img_id}.png"})
        if img_id == 4:
            continue  # an image without annotations (it still gets false positives)
        for j in range(int(rng.randint(2, 6))):
            cat = cats[int(rng.randint(0, 3))]
            kind = j % 4
            radius = rng.uniform(4, min(h, w) / 2)
            cx, cy = rng.uniform(radius / 2, w - radius / 2), rng.uniform(radius / 2, h - radius / 2)
            if kind in (0, 1):
                parts = [random_polygon(rng, cx, cy, radius, int(rng.randint(3, 10)))]
                if kind == 1:
                    parts.append(random_polygon(rng, rng.uniform(0, w), rng.uniform(0, h),
                                                radius / 3, 5))
                rle = mask_utils.merge(mask_utils.frPyObjects(parts, h, w))
                segm = parts
            elif kind == 2:
                m = blob(rng, h, w)
                rle = encode(m)
                segm = uncompressed(m)
            else:
                m = blob(rng, h, w)
                rle = encode(m)
                segm = {"size": [h, w], "counts": rle_str(rle)}
            crowd = int(j in (2, 3) and img_id % 2 == 1)
            area = float(mask_utils.area(rle))
            bbox = [float(v) for v in mask_utils.toBbox(rle)]
            ann = {"id": ann_id, "image_id": img_id * 10, "category_id": cat, "bbox": bbox,
                   "area": area, "iscrowd": crowd, "segmentation": segm}
            if j == 2 and img_id == 3:
                ann["ignore"] = 1  # pycocotools overrides "ignore" with iscrowd
            ann_id += 1
            anns.append(ann)
            # detections: jittered true positives, sometimes doubled, sometimes of another class
            for rep in range(1 + int(crowd) * 2 + int(rng.randint(0, 2))):
                dm = mask_utils.decode(rle).astype(bool)
                dy, dx = int(rng.randint(-3, 4)), int(rng.randint(-3, 4))
                dm = np.roll(np.roll(dm, dy, axis=0), dx, axis=1)
                drle = encode(dm)
                dcat = cat if rng.uniform() > 0.15 else cats[int(rng.randint(0, 4))]
                results.append({
                    "image_id": img_id * 10, "category_id": dcat,
                    "bbox": [float(v) for v in mask_utils.toBbox(drle)],
                    "score": round(float(rng.uniform(0.05, 1.0)), 1),  # ties on purpose
                    "segmentation": {"size": [h, w], "counts": rle_str(drle)},
                })
    # false positives everywhere, and 120 on one image of one category
    for img in images:
        h, w = img["height"], img["width"]
        n = 120 if img["id"] == 30 else int(rng.randint(1, 5))
        for _ in range(n):
            m = blob(rng, h, w)
            rle = encode(m)
            results.append({
                "image_id": img["id"], "category_id": 9 if n == 120 else cats[int(rng.randint(0, 4))],
                "bbox": [float(v) for v in mask_utils.toBbox(rle)],
                "score": round(float(rng.uniform(0.0, 0.6)), 2),
                "segmentation": {"size": [h, w], "counts": rle_str(rle)},
            })
    categories = [{"id": c, "name": f"c{c}", "supercategory": "shape"} for c in cats]
    return {"images": images, "annotations": anns, "categories": categories}, results


def main():
    rng = np.random.RandomState(SEED)
    os.makedirs(os.path.join(OUT, "crowd"), exist_ok=True)
    with open(os.path.join(OUT, "mask_ops.json"), "w") as f:
        json.dump(mask_ops(rng), f)
    gt, results = crowd_dataset(rng)
    d = os.path.join(OUT, "crowd")
    with open(os.path.join(d, "annotations.json"), "w") as f:
        json.dump(gt, f)
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump(results, f)
    # the same detections without boxes: loadRes then takes areas and boxes from the masks
    with open(os.path.join(d, "results-masks-only.json"), "w") as f:
        json.dump([{k: v for k, v in r.items() if k != "bbox"} for r in results], f)
    expected = {
        "source": "pycocotools COCOeval stats 0..11 and summarize() lines",
        "results.json": evaluate(os.path.join(d, "annotations.json"),
                                 os.path.join(d, "results.json")),
        "results-masks-only.json": evaluate(os.path.join(d, "annotations.json"),
                                            os.path.join(d, "results-masks-only.json")),
    }
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
