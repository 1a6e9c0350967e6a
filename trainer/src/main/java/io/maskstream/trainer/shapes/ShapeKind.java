package io.maskstream.trainer.shapes;

import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;

/** The classes of the synthetic shapes dataset, in category id order (id = ordinal + 1). */
public enum ShapeKind {
  /** A square, rotated freely. */
  SQUARE("square"),
  /** A circle. */
  CIRCLE("circle"),
  /** An equilateral triangle. */
  TRIANGLE("triangle"),
  /** A five-pointed star. */
  STAR("star"),
  /** A regular hexagon. */
  HEXAGON("hexagon"),
  /** A plus-shaped cross. */
  CROSS("cross");

  private final String label;

  ShapeKind(String label) {
    this.label = label;
  }

  /** The category name in annotations. */
  public String label() {
    return label;
  }

  /** The COCO category id: 1 for the first kind. */
  public int categoryId() {
    return ordinal() + 1;
  }

  /**
   * The outline centred at {@code (cx, cy)}, {@code radius} from the centre to the farthest corner,
   * turned by {@code angle} radians.
   */
  public Shape outline(double cx, double cy, double radius, double angle) {
    Shape base =
        switch (this) {
          case SQUARE -> regular(4, radius, Math.PI / 4);
          case CIRCLE -> new Ellipse2D.Double(-radius, -radius, 2 * radius, 2 * radius);
          case TRIANGLE -> regular(3, radius, -Math.PI / 2);
          case STAR -> star(radius);
          case HEXAGON -> regular(6, radius, 0);
          case CROSS -> cross(radius);
        };
    AffineTransform t = AffineTransform.getTranslateInstance(cx, cy);
    t.rotate(angle);
    return t.createTransformedShape(base);
  }

  private static Shape regular(int corners, double radius, double phase) {
    Path2D.Double p = new Path2D.Double();
    for (int i = 0; i < corners; i++) {
      double a = phase + 2 * Math.PI * i / corners;
      double x = radius * Math.cos(a);
      double y = radius * Math.sin(a);
      if (i == 0) {
        p.moveTo(x, y);
      } else {
        p.lineTo(x, y);
      }
    }
    p.closePath();
    return p;
  }

  private static Shape star(double radius) {
    Path2D.Double p = new Path2D.Double();
    for (int i = 0; i < 10; i++) {
      double r = i % 2 == 0 ? radius : radius * 0.45;
      double a = -Math.PI / 2 + Math.PI * i / 5;
      if (i == 0) {
        p.moveTo(r * Math.cos(a), r * Math.sin(a));
      } else {
        p.lineTo(r * Math.cos(a), r * Math.sin(a));
      }
    }
    p.closePath();
    return p;
  }

  private static Shape cross(double radius) {
    double l = radius / Math.sqrt(1 + 0.35 * 0.35); // corners of the arms on the radius
    double w = 0.35 * l;
    Path2D.Double p = new Path2D.Double();
    p.moveTo(-w, -l);
    p.lineTo(w, -l);
    p.lineTo(w, -w);
    p.lineTo(l, -w);
    p.lineTo(l, w);
    p.lineTo(w, w);
    p.lineTo(w, l);
    p.lineTo(-w, l);
    p.lineTo(-w, w);
    p.lineTo(-l, w);
    p.lineTo(-l, -w);
    p.lineTo(-w, -w);
    p.closePath();
    return p;
  }
}
