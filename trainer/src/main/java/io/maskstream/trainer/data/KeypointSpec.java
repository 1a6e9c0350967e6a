package io.maskstream.trainer.data;

import io.maskstream.schemas.cli.UserException;
import io.maskstream.trainer.coco.CocoCategory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The keypoints of a dataset, which one keypoint head predicts for every class: their names, the
 * skeleton drawn between them, and the permutation a horizontal flip applies (left and right
 * swapped). Immutable.
 *
 * @param names the keypoint names, in the order of the annotations' {@code keypoints}
 * @param skeleton pairs of 1-based keypoint numbers, as COCO's {@code skeleton}
 * @param flip for each keypoint, the keypoint it becomes in a mirrored image (itself when it has no
 *     partner)
 */
public record KeypointSpec(List<String> names, List<List<Integer>> skeleton, int[] flip) {

  /** Copies the lists and checks the permutation. */
  public KeypointSpec {
    names = List.copyOf(names);
    skeleton = skeleton.stream().map(List::copyOf).toList();
    flip = flip.clone();
    if (flip.length != names.size()) {
      throw new IllegalArgumentException(flip.length + " flip entries for " + names.size());
    }
    for (int i = 0; i < flip.length; i++) {
      if (flip[i] < 0 || flip[i] >= flip.length || flip[flip[i]] != i) {
        throw new IllegalArgumentException("not a pairing: " + Arrays.toString(flip));
      }
    }
  }

  /** The number of keypoints per object. */
  public int count() {
    return names.size();
  }

  /**
   * The keypoints of a dataset's categories, or null when none names keypoints. Every category that
   * names keypoints must name the same ones (one head predicts them for all classes); categories
   * without keypoints are allowed (their objects have none labelled). The flip pairs are the
   * categories' {@code flip_map}; without one, names that differ only by {@code left} and {@code
   * right} are paired ({@code left_eye} and {@code right_eye}, as torchvision pairs COCO's person
   * keypoints).
   *
   * @param where the annotations file, for errors
   * @throws UserException if the categories disagree
   */
  public static KeypointSpec of(List<CocoCategory> categories, String where) {
    CocoCategory first = null;
    List<List<String>> pairs = new ArrayList<>();
    for (CocoCategory c : categories) {
      if (c.keypoints().isEmpty()) {
        continue;
      }
      if (first == null) {
        first = c;
      } else if (!first.keypoints().equals(c.keypoints())) {
        throw new UserException(
            where
                + ": categories "
                + first.name()
                + " and "
                + c.name()
                + " name different keypoints ("
                + first.keypoints()
                + " vs "
                + c.keypoints()
                + "): one keypoint head predicts one list for every class, so give them the same");
      }
      pairs.addAll(c.flipMap());
    }
    if (first == null) {
      return null;
    }
    List<String> names = first.keypoints();
    int[] flip = new int[names.size()];
    Arrays.setAll(flip, i -> i);
    if (pairs.isEmpty()) {
      for (int i = 0; i < names.size(); i++) {
        int partner = names.indexOf(mirrored(names.get(i)));
        if (partner >= 0 && partner != i) {
          flip[i] = partner;
        }
      }
    } else {
      for (List<String> pair : pairs) {
        int a = names.indexOf(pair.get(0));
        int b = names.indexOf(pair.get(1));
        if ((flip[a] != a && flip[a] != b) || (flip[b] != b && flip[b] != a)) {
          throw new UserException(
              where
                  + ": \"flip_map\" pairs "
                  + pair
                  + " but one of them is already paired with another keypoint;"
                  + " list each keypoint in one pair at most");
        }
        flip[a] = b;
        flip[b] = a;
      }
    }
    return new KeypointSpec(names, first.skeleton(), flip);
  }

  /** The name with {@code left} and {@code right} exchanged (any case), or itself. */
  private static String mirrored(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    StringBuilder out = new StringBuilder(name.length());
    int i = 0;
    while (i < name.length()) {
      if (lower.startsWith("left", i)) {
        out.append(sameCase(name.substring(i, i + 4), "right"));
        i += 4;
      } else if (lower.startsWith("right", i)) {
        out.append(sameCase(name.substring(i, i + 5), "left"));
        i += 5;
      } else {
        out.append(name.charAt(i++));
      }
    }
    return out.toString();
  }

  private static String sameCase(String like, String word) {
    if (like.equals(like.toUpperCase(Locale.ROOT))) {
      return word.toUpperCase(Locale.ROOT);
    }
    if (Character.isUpperCase(like.charAt(0))) {
      return Character.toUpperCase(word.charAt(0)) + word.substring(1);
    }
    return word;
  }
}
