package io.maskstream.trainer.shapes;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The motion of a shapes clip, planned up front so that a clip of any length shows what a tracker
 * must cope with: an object standing still the whole time, larger objects passing in front of it
 * (hiding it completely for a few frames), pairs of objects crossing each other, objects that stop
 * and go, objects leaving the frame and others entering it. Every object keeps its actor id for its
 * whole life. A pure function of the random source it is made from. Immutable.
 */
final class ClipScript {
  /** Shapes whose inner circle is at least 0.7 of their radius: they hide what they cover. */
  private static final ShapeKind[] SOLID = {ShapeKind.SQUARE, ShapeKind.CIRCLE, ShapeKind.HEXAGON};

  private final List<Actor> actors;

  private ClipScript(List<Actor> actors) {
    List<Actor> sorted = new ArrayList<>(actors);
    sorted.sort(Comparator.comparingDouble(Actor::depth));
    this.actors = List.copyOf(sorted);
  }

  /**
   * One object of the clip: where it is at each frame, its looks, and its place in the drawing
   * order (higher depth in front).
   *
   * @param id the actor id, from 1 in order of creation
   * @param kind the shape
   * @param radius the size
   * @param color the fill colour
   * @param angle the angle at {@code born}
   * @param spin the turn per frame, radians
   * @param born the first frame it exists
   * @param x its centre's x at {@code born}
   * @param y its centre's y at {@code born}
   * @param vx x velocity, pixels per frame while moving
   * @param vy y velocity
   * @param pauseFrom first frame of a pause (it stands still from there), or -1
   * @param pauseTo first frame it moves again
   * @param depth drawing order
   */
  record Actor(
      int id,
      ShapeKind kind,
      double radius,
      int color,
      double angle,
      double spin,
      int born,
      double x,
      double y,
      double vx,
      double vy,
      int pauseFrom,
      int pauseTo,
      double depth) {

    /** Frames of motion between {@code born} and {@code t}, pauses taken out. */
    double moved(int t) {
      double m = t - born;
      if (pauseFrom >= 0) {
        m -= Math.max(0, Math.min(t, pauseTo) - Math.max(born, pauseFrom));
      }
      return m;
    }

    ShapesGenerator.Placed at(int t) {
      double m = moved(t);
      return new ShapesGenerator.Placed(
          kind, x + vx * m, y + vy * m, radius, angle + spin * m, color, id);
    }
  }

  /** The actors, back to front. */
  List<Actor> actors() {
    return actors;
  }

  /** The objects that exist at frame {@code t}, back to front (some may be outside the frame). */
  List<ShapesGenerator.Placed> at(int t) {
    List<ShapesGenerator.Placed> out = new ArrayList<>();
    for (Actor a : actors) {
      if (a.born <= t) {
        out.add(a.at(t));
      }
    }
    return out;
  }

  /**
   * Plans a clip of {@code frames} frames of {@code width x height}. {@code colors} picks a colour
   * that stands out from the background and the colours already taken.
   */
  static ClipScript plan(
      SplittableRandom r, int width, int height, int frames, ColorPicker colors) {
    Planner p = new Planner(r, width, height, frames, colors);
    double side = Math.min(width, height);
    // one object that stands still, at the back, away from the borders
    double standR = side * (0.07 + r.nextDouble() * 0.04);
    double sx = width * (0.3 + r.nextDouble() * 0.4);
    double sy = height * (0.3 + r.nextDouble() * 0.4);
    p.add(p.kind(), standR, 0, 0, sx, sy, 0, 0, -1, -1, 0);
    // larger solid objects pass in front of it, one per 80 frames (at least one)
    int passes = Math.max(1, frames / 80);
    for (int k = 0; k < passes; k++) {
      int when = (int) Math.round(frames * (k + 0.65) / passes);
      double heading = r.nextDouble() * 2 * Math.PI;
      double speed = 2 + r.nextDouble() * 2;
      p.through(SOLID[r.nextInt(SOLID.length)], standR * 2.2, sx, sy, heading, speed, when, 100);
    }
    // pairs crossing each other (one hides part of the other), one pair per 100 frames
    int crossings = Math.max(1, frames / 100);
    for (int k = 0; k < crossings; k++) {
      int when = (int) Math.round(frames * (k + 0.35) / crossings);
      double cx = width * (0.25 + r.nextDouble() * 0.5);
      double cy = height * (0.25 + r.nextDouble() * 0.5);
      double heading = r.nextDouble() * 2 * Math.PI;
      double other = heading + Math.PI + (r.nextDouble() - 0.5) * Math.PI / 2;
      for (double h : new double[] {heading, other}) {
        double radius = side * (0.09 + r.nextDouble() * 0.07);
        p.through(p.kind(), radius, cx, cy, h, 2 + r.nextDouble() * 2, when, 50);
      }
    }
    // objects already there: the first leaves soon, the second stops for a while
    int present = 1 + r.nextInt(3);
    for (int i = 0; i < present; i++) {
      double radius = side * (0.08 + r.nextDouble() * 0.1);
      double heading = r.nextDouble() * 2 * Math.PI;
      double speed = 1 + r.nextDouble() * 4;
      double vx = speed * Math.cos(heading);
      double vy = speed * Math.sin(heading);
      double x;
      double y;
      if (i == 0) {
        // on the way out: its centre reaches the border after about a third of the clip
        double toBorder = Math.min(speed * frames * 0.3, side / 2);
        x = width / 2.0 + vx / speed * (exitDistance(width, height, heading) - toBorder);
        y = height / 2.0 + vy / speed * (exitDistance(width, height, heading) - toBorder);
      } else {
        x = radius + r.nextDouble() * Math.max(1, width - 2 * radius);
        y = radius + r.nextDouble() * Math.max(1, height - 2 * radius);
      }
      int pauseFrom = i == 1 ? (int) (frames * 0.3) : -1;
      int pauseTo = i == 1 ? (int) (frames * 0.6) : -1;
      p.add(p.kind(), radius, vx, vy, x, y, 0, r.nextDouble(-0.1, 0.1), pauseFrom, pauseTo, 20 + i);
    }
    // newcomers from outside, about one every 10..30 frames from a tenth of the clip on
    for (int t = (int) (frames * 0.1); t < frames; t += 10 + r.nextInt(21)) {
      double radius = side * (0.08 + r.nextDouble() * 0.1);
      double tx = width * (0.2 + r.nextDouble() * 0.6);
      double ty = height * (0.2 + r.nextDouble() * 0.6);
      double heading = r.nextDouble() * 2 * Math.PI;
      double speed = 2 + r.nextDouble() * 3;
      // start just outside, on the line through (tx, ty) with this heading
      double back = exitDistance(width, height, heading + Math.PI, tx, ty) + radius + 1;
      double x = tx - Math.cos(heading) * back;
      double y = ty - Math.sin(heading) * back;
      p.add(
          p.kind(),
          radius,
          speed * Math.cos(heading),
          speed * Math.sin(heading),
          x,
          y,
          t,
          r.nextDouble(-0.1, 0.1),
          -1,
          -1,
          200 + t);
    }
    return new ClipScript(p.actors);
  }

  /** Distance from the frame's centre to its border along {@code heading}. */
  private static double exitDistance(int width, int height, double heading) {
    return exitDistance(width, height, heading, width / 2.0, height / 2.0);
  }

  /** Distance from {@code (x, y)} inside the frame to its border along {@code heading}. */
  static double exitDistance(int width, int height, double heading, double x, double y) {
    double dx = Math.cos(heading);
    double dy = Math.sin(heading);
    double tx = dx > 1e-12 ? (width - x) / dx : dx < -1e-12 ? -x / dx : Double.POSITIVE_INFINITY;
    double ty = dy > 1e-12 ? (height - y) / dy : dy < -1e-12 ? -y / dy : Double.POSITIVE_INFINITY;
    return Math.min(tx, ty);
  }

  /** Picks fill colours. */
  @FunctionalInterface
  interface ColorPicker {
    int pick(SplittableRandom r, List<Integer> taken);
  }

  private static final class Planner {
    final SplittableRandom r;
    final int width;
    final int height;
    final int frames;
    final ColorPicker colors;
    final List<Actor> actors = new ArrayList<>();
    final List<Integer> taken = new ArrayList<>();

    Planner(SplittableRandom r, int width, int height, int frames, ColorPicker colors) {
      this.r = r;
      this.width = width;
      this.height = height;
      this.frames = frames;
      this.colors = colors;
    }

    ShapeKind kind() {
      return ShapeKind.values()[r.nextInt(ShapeKind.values().length)];
    }

    void add(
        ShapeKind kind,
        double radius,
        double vx,
        double vy,
        double x,
        double y,
        int born,
        double spin,
        int pauseFrom,
        int pauseTo,
        double depth) {
      int color = colors.pick(r, taken);
      taken.add(color);
      double angle = r.nextDouble() * 2 * Math.PI;
      actors.add(
          new Actor(
              actors.size() + 1,
              kind,
              radius,
              color,
              angle,
              spin,
              born,
              x,
              y,
              vx,
              vy,
              pauseFrom,
              pauseTo,
              depth + actors.size() * 1e-3));
    }

    /**
     * An object whose centre is at {@code (cx, cy)} at frame {@code when}, moving along {@code
     * heading}: it comes in from outside the frame (or is there from the start when the clip is too
     * short for that) and goes on until it leaves.
     */
    void through(
        ShapeKind kind,
        double radius,
        double cx,
        double cy,
        double heading,
        double speed,
        int when,
        double depth) {
      double vx = speed * Math.cos(heading);
      double vy = speed * Math.sin(heading);
      double back = exitDistance(width, height, heading + Math.PI, cx, cy) + radius + 1;
      int born = Math.max(0, when - (int) Math.ceil(back / speed));
      add(
          kind,
          radius,
          vx,
          vy,
          cx - vx * (when - born),
          cy - vy * (when - born),
          born,
          r.nextDouble(-0.05, 0.05),
          -1,
          -1,
          depth);
    }
  }
}
