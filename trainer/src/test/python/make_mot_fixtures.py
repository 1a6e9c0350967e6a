#!/usr/bin/python3
"""Writes multi-object tracking fixtures scored by TrackEval, the MOTChallenge evaluation kit.

Each case is a ground-truth file and a tracker file in MOTChallenge format
(frame,id,left,top,width,height,conf,x,y,z; frames from 1) under
trainer/src/test/resources/mot/CASE/{gt.txt,results.txt}; expected.json holds TrackEval's figures
for each (HOTA, CLEAR and Identity, full precision, and the summary strings TrackEval prints);
schemas/src/test/resources/match/lsap.json holds SciPy's linear_sum_assignment answers on small
matrices (the solver lives in the schemas module). The Java tests compare
against these files and never run Python. Re-run only when the cases change:

    apt-get install -y python3-numpy python3-scipy
    /usr/bin/python3 trainer/src/test/python/make_mot_fixtures.py --tools ../shared/tools

--tools is the folder holding TrackEval (trackeval/) and its mot_eval.py wrapper. TrackEval is run
here as mot_eval.py runs it (MotChallenge2DBox, DO_PREPROC=False, every ground-truth row counted as
a pedestrian with conf 1), but with full precision, every metric, and the sequence ending with the
last frame of either file (mot_eval.py ends it with the ground truth's last frame and drops tracker
rows after it). Where both apply, the script checks that mot_eval.py prints the same figures.
The case under preprocess/ is MOTChallenge 16/17/20 ground truth (flags, distractor classes),
scored with TrackEval's preprocessing on, once with the MOT17 rules and once with the MOT20 rules.

Deterministic: random cases come from numpy.random.RandomState with fixed seeds.
"""
import argparse
import configparser
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "mot")


# ---------------------------------------------------------------------------------------------
# Cases: lists of rows (frame, id, left, top, width, height[, conf]); the text of the files.

def fmt(v):
    if isinstance(v, (int, np.integer)) or float(v).is_integer():
        return str(int(v))
    return repr(round(float(v), 3))


def lines(rows, tail=(-1, -1, -1), conf=1):
    out = []
    for r in rows:
        values = list(r[:6]) + [r[6] if len(r) > 6 else conf] + list(tail)
        out.append(",".join(fmt(v) for v in values))
    return "\n".join(out) + ("\n" if out else "")


def walk(track_id, frames, x0, y0, dx, dy, w=40, h=80):
    return [(f, track_id, x0 + dx * (f - frames[0]), y0 + dy * (f - frames[0]), w, h) for f in frames]


def case_perfect():
    gt = walk(1, range(1, 13), 10, 20, 5, 0) + walk(2, range(1, 13), 300, 40, -4, 2) + \
        walk(3, range(3, 11), 150, 200, 0, 0)
    tr = [(f, {1: 10, 2: 20, 3: 30}[i], x, y, w, h, 0.9) for f, i, x, y, w, h in gt]
    return "the tracker reproduces every box (other id numbers)", gt, tr


def case_jitter():
    gt = walk(1, range(1, 16), 10, 20, 6, 1) + walk(2, range(1, 16), 400, 60, -5, 0, 50, 100) + \
        walk(3, range(4, 16), 200, 300, 0, -3, 30, 60)
    tr = []
    for f, i, x, y, w, h in gt:
        k = (f * 7 + i * 3) % 11
        tr.append((f, i + 100, x + (k - 5) * 1.5, y + (k % 4) * 2.25, w + k % 3 * 4, h - k % 5 * 3,
                   round(0.5 + k / 25, 2)))
    return "boxes off by a few pixels: IoU 0.5..1 (LocA, MOTP below 1)", gt, tr


def case_id_switch():
    gt = walk(1, range(1, 13), 10, 20, 5, 0) + walk(2, range(1, 13), 300, 200, -2, 0)
    tr = []
    for f, i, x, y, w, h in gt:
        tid = 1 if i == 1 and f <= 6 else 3 if i == 1 else 2
        tr.append((f, tid, x + 2, y + 1, w, h))
    return "the tracker gives object 1 a new id from frame 7 (one ID switch)", gt, tr


def case_crossing_swap():
    gt = walk(1, range(1, 15), 20, 100, 20, 0) + walk(2, range(1, 15), 280, 104, -20, 0)
    tr = []
    for f, i, x, y, w, h in gt:
        tid = i if f <= 7 else 3 - i  # ids swapped after the objects cross
        tr.append((f, tid, x - 1, y + 1, w, h, 0.8))
    return "two objects cross; the tracker swaps their ids while they overlap", gt, tr


def case_fragmentation():
    gt = walk(1, range(1, 13), 10, 20, 5, 0) + walk(2, range(1, 13), 300, 200, -2, 0)
    tr = []
    for f, i, x, y, w, h in gt:
        if 5 <= f <= 7:
            continue  # both lost for three frames
        tid = i if i == 1 or f < 5 else 7  # object 2 comes back with a new id
        tr.append((f, tid, x, y + 3, w, h))
    return "both objects lost for frames 5-7; object 2 comes back under a new id", gt, tr


def case_false_positives():
    gt = walk(1, range(1, 11), 100, 100, 0, 0) + walk(2, range(1, 11), 400, 100, 3, 0)
    tr = []
    for f in range(1, 11):
        tr.append((f, 1, 400 + 3 * (f - 1), 100, 40, 80))
        # boxes on object 1 at IoU exactly 0.25, 0.5, 0.75 and just under 0.5, one per phase
        h = {0: 20, 1: 40, 2: 60, 3: 39, 4: 40}[f % 5]
        tr.append((f, 2, 100, 100, 40, h))
        tr.append((f, 50 + f % 3, 600, 400, 30, 30, 0.3))  # nothing there
    return "boxes at IoU exactly 0.25/0.5/0.75 and 0.4875, and boxes where nothing is", gt, tr


def case_misses():
    gt = walk(1, range(1, 11), 0, 0, 10, 0) + walk(2, range(1, 11), 0, 200, 10, 0) + \
        walk(3, range(1, 11), 0, 400, 10, 0) + walk(4, range(1, 11), 500, 0, 0, 10) + \
        walk(5, range(1, 11), 500, 400, 0, -10)
    keep = {1: set(range(1, 10)), 2: set(range(1, 9)), 3: {1, 2}, 4: {5}, 5: set()}
    tr = [r for r in gt if r[0] in keep[r[1]]]
    return "objects matched in 90%, 80%, 20%, 10% and 0% of their frames (MT, PT, ML)", gt, tr


def case_split_merge():
    gt = walk(1, range(1, 13), 10, 20, 5, 0) + walk(2, range(1, 7), 300, 200, 0, 3) + \
        walk(3, range(7, 13), 100, 350, 4, 0)
    tr = []
    for f, i, x, y, w, h in gt:
        tid = (1 if f <= 6 else 2) if i == 1 else 5  # object 1 split in two; 2 and 3 merged in 5
        tr.append((f, tid, x + 1, y - 1, w, h))
    return "one object split over two track ids; two objects merged into one track id", gt, tr


def case_empty_frames():
    gt = walk(1, [1, 2, 3, 4, 7, 8, 9, 13, 14, 15], 100, 100, 2, 0)
    tr = []
    for f, i, x, y, w, h in gt:
        if f == 3:
            continue  # frame 3: ground truth but no tracker box (the last pair stays in place)
        tr.append((f, 1, x, y, w, h - 10))  # IoU 0.875
        if f == 4:
            tr.append((f, 2, x, y, w, h))  # a better box with another id: the old pair still wins
    tr += [(5, 9, 10, 10, 20, 20), (6, 9, 12, 10, 20, 20)]  # frames 5-6: tracker boxes only
    return "frames with only ground truth, only tracker boxes, and neither", gt, tr


def case_no_output():
    gt = walk(1, range(1, 9), 10, 20, 5, 0) + walk(2, range(2, 6), 300, 200, -2, 0)
    return "the tracker wrote nothing", gt, []


def case_no_ground_truth():
    tr = walk(1, range(1, 6), 10, 20, 5, 0) + walk(2, range(3, 9), 300, 200, -2, 0)
    return "no ground truth at all: every tracker box is a false positive", [], tr


def case_ties():
    gt, tr = [], []
    for f in range(1, 9):
        # two objects at the same place, two tracker boxes at the same place: every pairing ties
        gt += [(f, 1, 100, 100, 40, 80), (f, 2, 100, 100, 40, 80)]
        tr += [(f, 10 + (f % 3 == 0), 100, 100, 40, 80), (f, 12, 100, 100, 40, 80)]
        # three objects side by side under two equal wide boxes
        gt += [(f, 3, 300, 100, 20, 40), (f, 4, 320, 100, 20, 40), (f, 5, 310, 100, 20, 40)]
        tr += [(f, 20 + f % 2, 300, 100, 40, 40), (f, 23 - f % 2, 300, 100, 40, 40)]
    return "equal boxes: the matching is decided by the solver's tie rules", gt, tr


def case_after_gt():
    gt = walk(1, range(1, 7), 10, 20, 5, 0)
    tr = walk(1, range(1, 10), 10, 20, 5, 0)
    return "the tracker goes on after the last ground-truth frame (false positives)", gt, tr


def case_random(seed, n_tracks, n_frames):
    rng = np.random.RandomState(seed)
    gt = []
    for i in range(1, n_tracks + 1):
        start = int(rng.randint(1, n_frames // 2))
        end = int(rng.randint(start + 3, n_frames + 1))
        x, y = rng.uniform(0, 800), rng.uniform(0, 500)
        vx, vy = rng.uniform(-6, 6), rng.uniform(-3, 3)
        w, h = rng.uniform(20, 60), rng.uniform(40, 120)
        for f in range(start, end + 1):
            if rng.rand() < 0.05:
                continue  # occluded: no ground truth this frame
            gt.append((f, i, x + vx * (f - start) + rng.normal(0, 1), y + vy * (f - start), w, h))
    tr = []
    next_id = 100
    ids = {}
    for f, i, x, y, w, h in sorted(gt):
        if rng.rand() < 0.12:
            continue  # missed
        if i not in ids or rng.rand() < 0.03:
            ids[i] = next_id  # a new track id (start or switch)
            next_id += 1
        s = rng.uniform(0, 8)
        tr.append((f, ids[i], x + rng.normal(0, s), y + rng.normal(0, s), w * rng.uniform(0.8, 1.2),
                   h * rng.uniform(0.8, 1.2), round(float(rng.uniform(0.3, 1)), 3)))
    for k in range(n_frames // 3):
        f = int(rng.randint(1, n_frames + 1))
        tr.append((f, 900 + k % 4, rng.uniform(0, 800), rng.uniform(0, 500), 40, 80, 0.2))
    # one id per frame for the false positives: keep the first of each (frame, id)
    seen, unique = set(), []
    for r in tr:
        if (r[0], r[1]) not in seen:
            seen.add((r[0], r[1]))
            unique.append(r)
    return ("random tracks (seed %d): misses, id switches, jitter, false positives" % seed,
            sorted(gt, key=lambda r: (r[0], r[1])), unique)


def case_mot_preprocess():
    """MOTChallenge 16/17/20 ground truth: frame,id,l,t,w,h,flag,class,visibility."""
    gt, tr = [], []
    for f in range(1, 11):
        dx = 2 * f
        def g(i, x, y, flag, cls, w=40, h=80):
            gt.append("%d,%d,%s,%d,%d,%d,%d,%d,0.8" % (f, i, fmt(x + dx), y, w, h, flag, cls))
        def t(i, x, y, w=40, h=80):
            tr.append("%d,%d,%s,%d,%d,%d,0.9,-1,-1,-1" % (f, i, fmt(x + dx), y, w, h))
        g(1, 100, 100, 1, 1); t(1, 101, 100)           # a pedestrian, tracked
        g(2, 200, 100, 0, 1); t(2, 200, 100)           # zero-flagged pedestrian: its box stays, a FP
        g(3, 300, 100, 1, 7); t(3, 302, 101)           # static person: the tracker box goes
        g(4, 400, 100, 1, 12); t(4, 400, 100, 40, 40)  # reflection at IoU exactly 0.5: goes
        g(5, 500, 100, 1, 6); t(5, 500, 102)           # non-motorised vehicle: goes only for MOT20
        g(6, 130, 100, 1, 8); t(6, 131, 100)           # distractor beside the pedestrian
        g(7, 600, 100, 1, 2); t(7, 600, 100, 40, 36)   # person on vehicle at IoU 0.45: a FP
        g(8, 700, 100, 1, 3)                           # a car, nothing on it
        if f % 4 == 1:                                 # pedestrian and distractor on the same box,
            g(9, 100, 300, 1, 1); g(10, 100, 300, 1, 8)  # in either order
        else:
            g(10, 100, 300, 1, 8); g(9, 100, 300, 1, 1)
        if f % 2:
            t(9, 100, 300)                             # one tracker box there: the solver picks
    return ("MOTChallenge ground truth with flags and distractor classes",
            "\n".join(gt) + "\n", "\n".join(tr) + "\n")


CASES = {
    "perfect": case_perfect,
    "jitter": case_jitter,
    "id_switch": case_id_switch,
    "crossing_swap": case_crossing_swap,
    "fragmentation": case_fragmentation,
    "false_positives": case_false_positives,
    "misses": case_misses,
    "split_merge": case_split_merge,
    "empty_frames": case_empty_frames,
    "no_output": case_no_output,
    "no_ground_truth": case_no_ground_truth,
    "ties": case_ties,
    "after_gt": case_after_gt,
    "random_1": lambda: case_random(1, 8, 40),
    "random_2": lambda: case_random(2, 14, 60),
    "random_3": lambda: case_random(3, 25, 50),
}


def texts(name):
    """The two files as committed; some cases use other column layouts MOTChallenge files have."""
    description, gt, tr = CASES[name]()
    if name == "jitter":
        # MOTChallenge 16/17 ground truth: flag (0 = ignore, counted all the same here), class,
        # visibility (9 columns); a trailing comma
        gt_text = "".join("%s,%d,1,1.0,\n" % (",".join(fmt(v) for v in r[:6]), r[1] != 3) for r in gt)
        return description, gt_text, lines(tr)
    if name == "random_2":
        # spaces after the commas, a blank line, frame and id written as decimals
        gt_text = "".join("%d.0, %d.0, %s, %s, %s, %s, 1, -1, -1, -1\n" % (r[0], r[1], *(fmt(v) for v in r[2:6]))
                          for r in gt)
        return description, gt_text, "\n" + lines(tr)
    return description, lines(gt), lines(tr)


# ---------------------------------------------------------------------------------------------
# TrackEval


def parse(text):
    return [l.strip().split(",") for l in text.splitlines() if l.strip()]


def run_trackeval(trackeval, sequences, benchmark=None):
    """sequences: {name: (gt_text, tracker_text, length or None)} -> TrackEval's result dict.

    Without a benchmark, as mot_eval.py: every ground-truth row counts. With MOT17 or MOT20, the
    ground truth is taken as it is and TrackEval's MOTChallenge preprocessing runs."""
    bench = benchmark or "X"
    root = tempfile.mkdtemp()
    try:
        os.makedirs(os.path.join(root, "gt", "seqmaps"))
        os.makedirs(os.path.join(root, "trackers", bench + "-test", "t", "data"))
        with open(os.path.join(root, "gt", "seqmaps", bench + "-test.txt"), "w") as f:
            f.write("name\n" + "".join(s + "\n" for s in sequences))
        for seq, (gt_text, tr_text, length) in sequences.items():
            gt_rows, tr_rows = parse(gt_text), parse(tr_text)
            last = max([int(float(r[0])) for r in gt_rows + tr_rows] + [0])
            os.makedirs(os.path.join(root, "gt", bench + "-test", seq, "gt"))
            with open(os.path.join(root, "gt", bench + "-test", seq, "gt", "gt.txt"), "w") as f:
                for r in gt_rows:  # as mot_eval.py: every row counts, class pedestrian
                    keep = [v.strip() for v in r[6:9]] if benchmark else ["1", "1", "1"]
                    f.write(",".join([v.strip() for v in r[:6]] + keep) + "\n")
            cp = configparser.ConfigParser()
            cp["Sequence"] = dict(name=seq, seqLength=str(length or last), imWidth="1920",
                                  imHeight="1080", frameRate="10")
            with open(os.path.join(root, "gt", bench + "-test", seq, "seqinfo.ini"), "w") as f:
                cp.write(f)
            with open(os.path.join(root, "trackers", bench + "-test", "t", "data", seq + ".txt"), "w") as f:
                for r in tr_rows:
                    r = [v.strip() for v in r]
                    f.write(",".join(r[:6] + [r[6] if len(r) > 6 else "1", "-1", "-1", "-1"]) + "\n")
        ev = trackeval.Evaluator(dict(USE_PARALLEL=False, PRINT_RESULTS=False, PRINT_CONFIG=False,
                                      TIME_PROGRESS=False, OUTPUT_SUMMARY=False, OUTPUT_DETAILED=False,
                                      PLOT_CURVES=False, BREAK_ON_ERROR=True, RETURN_ON_ERROR=False))
        ds = trackeval.datasets.MotChallenge2DBox(dict(
            GT_FOLDER=os.path.join(root, "gt"), TRACKERS_FOLDER=os.path.join(root, "trackers"),
            BENCHMARK=bench, SPLIT_TO_EVAL="test", TRACKERS_TO_EVAL=["t"], DO_PREPROC=bool(benchmark),
            PRINT_CONFIG=False, SEQMAP_FILE=os.path.join(root, "gt", "seqmaps", bench + "-test.txt")))
        metrics = [trackeval.metrics.HOTA(), trackeval.metrics.CLEAR(dict(PRINT_CONFIG=False)),
                   trackeval.metrics.Identity(dict(PRINT_CONFIG=False))]
        with contextlib.redirect_stdout(io.StringIO()):
            res, msg = ev.evaluate([ds], metrics)
        if msg["MotChallenge2DBox"]["t"] != "Success":
            raise RuntimeError(msg)
        return res["MotChallenge2DBox"]["t"], metrics
    finally:
        shutil.rmtree(root)


def figures(r, metrics):
    hota, clear, ident = r["HOTA"], r["CLEAR"], r["Identity"]
    out = {}
    for k in ["HOTA", "DetA", "AssA", "LocA", "DetRe", "DetPr", "AssRe", "AssPr"]:
        out[k] = float(np.mean(hota[k]))
    for k in ["HOTA", "DetA", "AssA", "LocA"]:
        out[k + "_alpha"] = [float(v) for v in hota[k]]
    for k in ["MOTA", "MOTP", "MODA"]:
        out[k] = float(clear[k])
    for k in ["CLR_TP", "CLR_FN", "CLR_FP", "IDSW", "MT", "PT", "ML", "Frag"]:
        out[k] = int(clear[k])
    for k in ["IDF1", "IDP", "IDR"]:
        out[k] = float(ident[k])
    for k in ["IDTP", "IDFN", "IDFP"]:
        out[k] = int(ident[k])
    summary = {}
    for m in metrics:  # the strings TrackEval prints in its tables
        summary.update(dict(zip(m.summary_fields, m._summary_row(r[m.get_name()]))))
    out["summary"] = summary
    return out


def check_mot_eval(tools, gt_path, tr_path, expected):
    """mot_eval.py rounds to 5 decimals; its figures must be ours rounded."""
    out = subprocess.run(["/usr/bin/python3", os.path.join(tools, "mot_eval.py"), gt_path, tr_path],
                         check=True, capture_output=True, text=True).stdout
    theirs = json.loads(out.strip().splitlines()[-1])
    for k, v in theirs.items():
        ours = expected[{"FP": "CLR_FP", "FN": "CLR_FN"}.get(k, k)]
        if round(ours, 5) != v:
            raise AssertionError("mot_eval.py %s: %s, here %s (%s)" % (k, v, ours, gt_path))


def lsap_cases():
    from scipy.optimize import linear_sum_assignment
    rng = np.random.RandomState(20261202)
    cases = []
    for k in range(240):
        r, c = int(rng.randint(1, 8)), int(rng.randint(1, 8))
        kind = k % 4
        if kind == 0:
            m = rng.randint(0, 3, (r, c)).astype(float)  # many ties
        elif kind == 1:
            m = -np.round(rng.uniform(0, 1, (r, c)), 4) * (rng.rand(r, c) < 0.6)  # zeros, as CLEAR
        elif kind == 2:
            m = np.round(rng.normal(0, 10, (r, c)), 3)
        else:
            m = -np.round(rng.uniform(0, 1, (r, c)), 2) * np.round(rng.uniform(0, 1, (r, c)), 2)
        rows, cols = linear_sum_assignment(m)
        cases.append(dict(cost=m.tolist(), rows=rows.tolist(), cols=cols.tolist()))
    for r, c in [(12, 9), (9, 12), (20, 20)]:
        m = rng.randint(0, 4, (r, c)).astype(float)
        rows, cols = linear_sum_assignment(m)
        cases.append(dict(cost=m.tolist(), rows=rows.tolist(), cols=cols.tolist()))
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tools", required=True, help="folder with mot_eval.py and trackeval/")
    ap.add_argument("--out", default=OUT)
    a = ap.parse_args()
    sys.path.insert(0, os.path.join(os.path.abspath(a.tools), "trackeval"))
    with contextlib.redirect_stdout(io.StringIO()):
        import trackeval

    expected = {"alphas": [float(v) for v in trackeval.metrics.HOTA().array_labels], "cases": {}}
    for name in CASES:
        description, gt_text, tr_text = texts(name)
        folder = os.path.join(a.out, name)
        os.makedirs(folder, exist_ok=True)
        for file, text in [("gt.txt", gt_text), ("results.txt", tr_text)]:
            with open(os.path.join(folder, file), "w") as f:
                f.write(text)
        res, metrics = run_trackeval(trackeval, {"seq": (gt_text, tr_text, None)})
        case = dict(description=description, **figures(res["COMBINED_SEQ"]["pedestrian"], metrics))
        expected["cases"][name] = case
        gt_rows, tr_rows = parse(gt_text), parse(tr_text)
        if gt_rows and max(float(r[0]) for r in tr_rows + [["0"]]) <= max(float(r[0]) for r in gt_rows):
            check_mot_eval(a.tools, os.path.join(folder, "gt.txt"), os.path.join(folder, "results.txt"),
                           case)
        print("%-16s HOTA %.5f MOTA %.5f IDF1 %.5f IDSW %d" % (name, case["HOTA"], case["MOTA"],
                                                               case["IDF1"], case["IDSW"]))

    # several sequences in MOTChallenge's layout: gt/SEQ/gt/gt.txt (+ seqinfo.ini), results/SEQ.txt
    multi = {"cam-b": "crossing_swap", "cam-a": "jitter", "cam-c": "no_ground_truth"}
    lengths = {"cam-a": 20}
    sequences = {}
    for seq, source in sorted(multi.items()):
        _, gt_text, tr_text = texts(source)
        sequences[seq] = (gt_text, tr_text, lengths.get(seq))
        os.makedirs(os.path.join(a.out, "multi", "gt", seq, "gt"), exist_ok=True)
        os.makedirs(os.path.join(a.out, "multi", "results"), exist_ok=True)
        with open(os.path.join(a.out, "multi", "gt", seq, "gt", "gt.txt"), "w") as f:
            f.write(gt_text)
        with open(os.path.join(a.out, "multi", "results", seq + ".txt"), "w") as f:
            f.write(tr_text)
        if seq in lengths:
            cp = configparser.ConfigParser()
            cp.optionxform = str
            cp["Sequence"] = dict(name=seq, seqLength=str(lengths[seq]))
            with open(os.path.join(a.out, "multi", "gt", seq, "seqinfo.ini"), "w") as f:
                cp.write(f)
    res, metrics = run_trackeval(trackeval, sequences)
    expected["multi"] = {seq: figures(res[seq]["pedestrian"], metrics) for seq in sorted(multi)}
    expected["multi"]["COMBINED"] = figures(res["COMBINED_SEQ"]["pedestrian"], metrics)

    # MOTChallenge preprocessing: the same files under the MOT17 and the MOT20 rules
    description, gt_text, tr_text = case_mot_preprocess()
    folder = os.path.join(a.out, "preprocess")
    os.makedirs(folder, exist_ok=True)
    for file, text in [("gt.txt", gt_text), ("results.txt", tr_text)]:
        with open(os.path.join(folder, file), "w") as f:
            f.write(text)
    expected["preprocess"] = {"description": description}
    for bench in ["MOT17", "MOT20"]:
        res, metrics = run_trackeval(trackeval, {"seq": (gt_text, tr_text, None)}, bench)
        expected["preprocess"][bench] = figures(res["COMBINED_SEQ"]["pedestrian"], metrics)
        r = expected["preprocess"][bench]
        print("preprocess %s HOTA %.5f MOTA %.5f FP %d FN %d" % (bench, r["HOTA"], r["MOTA"], r["CLR_FP"],
                                                               r["CLR_FN"]))

    with open(os.path.join(a.out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    lsap = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..",
                        "schemas", "src", "test", "resources", "match", "lsap.json")
    with open(os.path.normpath(lsap), "w") as f:
        json.dump(lsap_cases(), f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
