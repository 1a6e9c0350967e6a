#!/usr/bin/env python3
"""Writes COCO keypoint evaluation fixtures computed by real pycocotools (iouType='keypoints').

The outputs are committed under trainer/src/test/resources/coco/keypoints/; KeypointEvalTest compares
against them. Re-run only when the cases change:

    python3 -m venv /tmp/coco && /tmp/coco/bin/pip install pycocotools numpy
    /tmp/coco/bin/python trainer/src/test/python/make_keypoint_fixtures.py

Two cases, each annotations.json + results.json + expected.json (the 10 stats of
COCOeval.summarize() and the lines it prints):
- person: COCO's person category with its 17 keypoints and pycocotools' default sigmas; people of
  small, medium and large areas, keypoints of every visibility (0, 1, 2), a person with no labelled
  keypoint (num_keypoints 0: ignored), a crowd, an image without people; detections close to the
  truth with jitter, far off, with missing keypoints, doubled, and 25 on one image (more than the
  20 kept per image).
- shapes: one category with 4 keypoints (corners), evaluated with custom sigmas (0.05 each,
  written to sigmas.json), a second category without ground truth.

Deterministic: every random choice comes from numpy.random.RandomState(SEED).
"""
import contextlib
import io
import json
import os

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

SEED = 20261203
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "coco",
                   "keypoints")
PERSON_KEYPOINTS = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
                    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
                    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
                    "right_ankle"]
SKELETON = [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8],
            [7, 9], [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]]


def person(rng, image_id, ann_id, cx, cy, size, visible_share=0.8, crowd=0):
    """A person-like set of 17 keypoints around (cx, cy) spread over `size` pixels."""
    xs = cx + rng.uniform(-0.5, 0.5, 17) * size * 0.6
    ys = cy + np.linspace(-0.5, 0.5, 17) * size + rng.uniform(-0.05, 0.05, 17) * size
    vis = np.where(rng.uniform(size=17) < visible_share, 2, 0)
    vis = np.where((vis == 2) & (rng.uniform(size=17) < 0.2), 1, vis)
    kps = []
    for x, y, v in zip(xs, ys, vis):
        kps += [round(float(x), 2), round(float(y), 2), int(v)] if v > 0 else [0, 0, 0]
    w, h = size * 0.6, size
    return {"id": ann_id, "image_id": image_id, "category_id": 1, "iscrowd": crowd,
            "bbox": [round(cx - w / 2, 2), round(cy - h / 2, 2), round(w, 2), round(h, 2)],
            "area": round(w * h * 0.55, 2), "keypoints": kps,
            "num_keypoints": int(np.count_nonzero(vis))}


def jitter(rng, gt, sigma, drop=0.0, score=None, category=1, image_id=None):
    kps = []
    g = gt["keypoints"]
    bx, by, bw, bh = gt["bbox"]
    for i in range(0, len(g), 3):
        if g[i + 2] > 0:
            x, y = g[i], g[i + 1]
        else:  # an unlabelled keypoint: the detector still guesses one inside the box
            x, y = bx + rng.uniform() * bw, by + rng.uniform() * bh
        if rng.uniform() < drop:
            x, y = bx + rng.uniform() * bw, by + rng.uniform() * bh
        kps += [round(float(x + rng.normal(0, sigma)), 2), round(float(y + rng.normal(0, sigma)), 2),
                1]
    return {"image_id": gt["image_id"] if image_id is None else image_id, "category_id": category,
            "keypoints": kps,
            "score": round(float(rng.uniform(0.05, 1.0) if score is None else score), 4)}


def evaluate(folder, sigmas=None):
    """The 10 stats and the 10 lines summarize() prints."""
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(os.path.join(folder, "annotations.json"))
        dt = gt.loadRes(os.path.join(folder, "results.json"))
        e = COCOeval(gt, dt, iouType="keypoints")
        if sigmas is not None:
            e.params.kpt_oks_sigmas = np.array(sigmas)
        e.evaluate()
        e.accumulate()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        e.summarize()
    return {"keypoints": [round(float(s), 6) for s in e.stats],
            "keypoints_lines": printed.getvalue().splitlines()}


def write(folder, name, value):
    with open(os.path.join(folder, name), "w") as f:
        json.dump(value, f)


def person_case(rng):
    folder = os.path.join(OUT, "person")
    os.makedirs(folder, exist_ok=True)
    images = [{"id": i, "file_name": f"{i}.jpg", "width": 640, "height": 480} for i in range(1, 7)]
    anns, results, ann_id = [], [], 1
    layout = {1: [(150, 200, 180), (420, 240, 260)], 2: [(320, 240, 40), (100, 100, 24)],
              3: [(300, 260, 400)], 4: [], 5: [(200, 240, 150), (460, 240, 150)],
              6: [(320, 200, 90), (500, 300, 120)]}
    for image_id, people in layout.items():
        for cx, cy, size in people:
            anns.append(person(rng, image_id, ann_id, cx, cy, size))
            ann_id += 1
    anns.append(dict(person(rng, 6, ann_id, 120, 380, 80), num_keypoints=0,
                     keypoints=[0] * 51))
    ann_id += 1
    anns.append(person(rng, 5, ann_id, 330, 120, 200, crowd=1))
    ann_id += 1
    for gt in anns:
        if gt["num_keypoints"] == 0 or gt["iscrowd"]:
            continue
        size = gt["bbox"][3]
        results.append(jitter(rng, gt, sigma=size * rng.choice([0.005, 0.02, 0.06]),
                              drop=rng.choice([0.0, 0.1, 0.4])))
        if rng.uniform() < 0.3:  # a second, worse detection of the same person
            results.append(jitter(rng, gt, sigma=size * 0.15, score=0.3))
    results.append(jitter(rng, anns[0], sigma=3, image_id=4, score=0.9))  # nobody there
    crowd = [a for a in anns if a["iscrowd"]][0]
    results.append(jitter(rng, crowd, sigma=4, score=0.8))  # on the crowd
    for _ in range(25):  # more than maxDets=20 on image 2
        results.append(jitter(rng, anns[2], sigma=rng.uniform(1, 30)))
    write(folder, "annotations.json",
          {"images": images, "annotations": anns,
           "categories": [{"id": 1, "name": "person", "supercategory": "person",
                           "keypoints": PERSON_KEYPOINTS, "skeleton": SKELETON}]})
    write(folder, "results.json", results)
    write(folder, "expected.json", evaluate(folder))


def shapes_case(rng):
    folder = os.path.join(OUT, "shapes")
    os.makedirs(folder, exist_ok=True)
    images = [{"id": i, "file_name": f"{i}.png", "width": 256, "height": 256} for i in range(1, 5)]
    anns, results = [], []
    for image_id in range(1, 5):
        for k in range(2):
            x, y = rng.uniform(10, 150, 2)
            w, h = rng.uniform(20, 90, 2)
            corners = [x, y, x + w, y, x + w, y + h, x, y + h]
            kps = []
            for i in range(0, 8, 2):
                kps += [round(corners[i], 2), round(corners[i + 1], 2), 2]
            anns.append({"id": len(anns) + 1, "image_id": image_id, "category_id": 1,
                         "iscrowd": 0, "bbox": [round(x, 2), round(y, 2), round(w, 2), round(h, 2)],
                         "area": round(w * h, 2), "keypoints": kps, "num_keypoints": 4})
            results.append(jitter(rng, anns[-1], sigma=rng.uniform(0.5, 6)))
    results.append(jitter(rng, anns[0], sigma=2, category=2, score=0.7))  # a class without truth
    sigmas = [0.05, 0.05, 0.05, 0.05]
    write(folder, "annotations.json",
          {"images": images, "annotations": anns,
           "categories": [{"id": 1, "name": "square", "keypoints": ["tl", "tr", "br", "bl"],
                           "skeleton": [[1, 2], [2, 3], [3, 4], [4, 1]]},
                          {"id": 2, "name": "circle", "keypoints": ["n", "e", "s", "w"],
                           "skeleton": []}]})
    write(folder, "results.json", results)
    write(folder, "sigmas.json", sigmas)
    write(folder, "expected.json", evaluate(folder, sigmas))


def main():
    rng = np.random.RandomState(SEED)
    person_case(rng)
    shapes_case(rng)


if __name__ == "__main__":
    main()
