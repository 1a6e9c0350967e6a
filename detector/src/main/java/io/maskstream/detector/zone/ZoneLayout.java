package io.maskstream.detector.zone;

import io.maskstream.schemas.avro.LineDefinition;
import io.maskstream.schemas.avro.Point;
import io.maskstream.schemas.avro.ZoneAnchor;
import io.maskstream.schemas.avro.ZoneDefinition;
import io.maskstream.schemas.avro.ZoneSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A camera's zones and lines in the pixels of one frame size: what {@link ZoneCounter} measures
 * tracks against. Relative coordinates are scaled by the frame's width and height. Immutable.
 *
 * @param zones the zones, in their definition order
 * @param lines the lines, in their definition order
 */
public record ZoneLayout(List<Zone> zones, List<Line> lines) {
  /** No zones and no lines. */
  public static final ZoneLayout NONE = new ZoneLayout(List.of(), List.of());

  /** Copies the lists. */
  public ZoneLayout {
    zones = List.copyOf(zones);
    lines = List.copyOf(lines);
  }

  /**
   * A zone.
   *
   * @param name its name
   * @param xs corner x coordinates in pixels
   * @param ys corner y coordinates in pixels
   * @param anchor what of an object must be inside
   * @param maskShare with the mask anchor, the share of its pixels that must be inside
   * @param classes class names counted, empty for all
   * @param minFrames frames in a row on the other side before it counts
   * @param loiterMillis stays longer than this raise LOITER; negative for none
   * @param bounds the corners' extent {@code [minX, minY, maxX, maxY]}
   */
  public record Zone(
      String name,
      double[] xs,
      double[] ys,
      ZoneAnchor anchor,
      double maskShare,
      Set<String> classes,
      int minFrames,
      long loiterMillis,
      double[] bounds) {
    /** Whether objects of {@code label} count here. */
    public boolean counts(String label) {
      return classes.isEmpty() || classes.contains(label);
    }
  }

  /**
   * A line.
   *
   * @param name its name
   * @param ax start x in pixels
   * @param ay start y
   * @param bx end x
   * @param by end y
   * @param anchor the point of an object that crosses (bottom centre or centre of its box)
   * @param classes class names counted, empty for all
   * @param minFrames frames in a row on the far side before a crossing counts
   * @param inName name of the left-to-right direction
   * @param outName name of the right-to-left direction
   */
  public record Line(
      String name,
      double ax,
      double ay,
      double bx,
      double by,
      ZoneAnchor anchor,
      Set<String> classes,
      int minFrames,
      String inName,
      String outName) {
    /** Whether objects of {@code label} count here. */
    public boolean counts(String label) {
      return classes.isEmpty() || classes.contains(label);
    }
  }

  /** Whether there is nothing to measure. */
  public boolean isEmpty() {
    return zones.isEmpty() && lines.isEmpty();
  }

  /** The set's zones and lines in the pixels of a {@code width} x {@code height} frame. */
  public static ZoneLayout of(ZoneSet set, int width, int height) {
    List<Zone> zones = new ArrayList<>(set.getZones().size());
    for (ZoneDefinition z : set.getZones()) {
      int n = z.getPolygon().size();
      double[] xs = new double[n];
      double[] ys = new double[n];
      for (int i = 0; i < n; i++) {
        Point p = z.getPolygon().get(i);
        xs[i] = z.getRelative() ? p.getX() * width : p.getX();
        ys[i] = z.getRelative() ? p.getY() * height : p.getY();
      }
      Double loiter = z.getLoiterSeconds();
      zones.add(
          new Zone(
              z.getName(),
              xs,
              ys,
              z.getAnchor(),
              z.getMaskShare(),
              Set.copyOf(z.getClasses()),
              z.getMinFrames(),
              loiter == null ? -1 : Math.round(loiter * 1000),
              bounds(xs, ys)));
    }
    List<Line> lines = new ArrayList<>(set.getLines().size());
    for (LineDefinition l : set.getLines()) {
      double sx = l.getRelative() ? width : 1;
      double sy = l.getRelative() ? height : 1;
      lines.add(
          new Line(
              l.getName(),
              l.getStart().getX() * sx,
              l.getStart().getY() * sy,
              l.getEnd().getX() * sx,
              l.getEnd().getY() * sy,
              l.getAnchor(),
              Set.copyOf(l.getClasses()),
              l.getMinFrames(),
              l.getInName(),
              l.getOutName()));
    }
    return new ZoneLayout(zones, lines);
  }

  /** The extent {@code [minX, minY, maxX, maxY]} of the corners. */
  private static double[] bounds(double[] xs, double[] ys) {
    double[] b = {
      Double.POSITIVE_INFINITY,
      Double.POSITIVE_INFINITY,
      Double.NEGATIVE_INFINITY,
      Double.NEGATIVE_INFINITY
    };
    for (int i = 0; i < xs.length; i++) {
      b[0] = Math.min(b[0], xs[i]);
      b[1] = Math.min(b[1], ys[i]);
      b[2] = Math.max(b[2], xs[i]);
      b[3] = Math.max(b[3], ys[i]);
    }
    return b;
  }
}
