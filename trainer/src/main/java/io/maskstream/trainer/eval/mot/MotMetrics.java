package io.maskstream.trainer.eval.mot;

/**
 * The multi-object tracking figures of one sequence or of several combined, as TrackEval reports
 * them: fractions in 0..1 (MOTA may be negative), counts as numbers of boxes or objects. HOTA's
 * figures are means over the 19 localisation thresholds; the per-threshold values are kept too.
 * Immutable (the arrays are copies owned by the record; do not change them).
 *
 * @param hota higher order tracking accuracy, sqrt(DetA * AssA)
 * @param detA detection accuracy
 * @param assA association accuracy
 * @param locA localisation accuracy (mean IoU of HOTA's matches)
 * @param detRe detection recall
 * @param detPr detection precision
 * @param assRe association recall
 * @param assPr association precision
 * @param mota multiple object tracking accuracy, 1 - (FN + FP + IDSW) / ground-truth boxes
 * @param motp multiple object tracking precision (mean IoU of CLEAR's matches)
 * @param moda multiple object detection accuracy (MOTA without ID switches)
 * @param idf1 identity F1
 * @param idp identity precision
 * @param idr identity recall
 * @param idsw identity switches
 * @param frag fragmentations (a tracked object lost and found again)
 * @param mt mostly tracked objects (matched in more than 80% of their frames)
 * @param pt partly tracked objects
 * @param ml mostly lost objects (matched in less than 20% of their frames)
 * @param tp CLEAR true positives
 * @param fp CLEAR false positives
 * @param fn CLEAR false negatives (misses)
 * @param idtp identity true positives
 * @param idfp identity false positives
 * @param idfn identity false negatives
 * @param hotaPerAlpha HOTA at alpha = 0.05, 0.10, ..., 0.95
 * @param detAPerAlpha DetA per alpha
 * @param assAPerAlpha AssA per alpha
 * @param locAPerAlpha LocA per alpha
 */
public record MotMetrics(
    double hota,
    double detA,
    double assA,
    double locA,
    double detRe,
    double detPr,
    double assRe,
    double assPr,
    double mota,
    double motp,
    double moda,
    double idf1,
    double idp,
    double idr,
    long idsw,
    long frag,
    long mt,
    long pt,
    long ml,
    long tp,
    long fp,
    long fn,
    long idtp,
    long idfp,
    long idfn,
    double[] hotaPerAlpha,
    double[] detAPerAlpha,
    double[] assAPerAlpha,
    double[] locAPerAlpha) {

  /** Copies the arrays. */
  public MotMetrics {
    hotaPerAlpha = hotaPerAlpha.clone();
    detAPerAlpha = detAPerAlpha.clone();
    assAPerAlpha = assAPerAlpha.clone();
    locAPerAlpha = locAPerAlpha.clone();
  }

  /** The localisation thresholds of the per-alpha arrays. */
  public static double[] alphas() {
    return Hota.ALPHAS.clone();
  }

  static MotMetrics of(Hota.Counts h, ClearMot.Counts c, IdentityMetrics.Counts id) {
    double[] hotaA = h.hota();
    double[] detA = h.detA();
    return new MotMetrics(
        NumpySum.mean(hotaA),
        NumpySum.mean(detA),
        NumpySum.mean(h.assA()),
        NumpySum.mean(h.locA()),
        NumpySum.mean(h.detRe()),
        NumpySum.mean(h.detPr()),
        NumpySum.mean(h.assRe()),
        NumpySum.mean(h.assPr()),
        c.mota(),
        c.motp(),
        c.moda(),
        id.idf1(),
        id.idp(),
        id.idr(),
        c.idsw(),
        c.frag(),
        c.mt(),
        c.pt(),
        c.ml(),
        c.tp(),
        c.fp(),
        c.fn(),
        id.idtp(),
        id.idfp(),
        id.idfn(),
        hotaA,
        detA,
        h.assA(),
        h.locA());
  }
}
