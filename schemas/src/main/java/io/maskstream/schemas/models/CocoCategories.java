package io.maskstream.schemas.models;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * COCO's category names as torchvision's detection models number them, and its person keypoints.
 */
public final class CocoCategories {
  private static final List<String> TORCHVISION_91 = read();

  private CocoCategories() {}

  /**
   * torchvision's COCO category list: 91 names, index = COCO category id, 0 the background ({@code
   * __background__}), ids COCO leaves unused named {@code N/A}.
   */
  public static List<String> torchvision91() {
    return TORCHVISION_91;
  }

  /**
   * The names of COCO's 17 person keypoints, in the order of its annotations and of torchvision's
   * {@code keypointrcnn_resnet50_fpn} outputs.
   */
  public static final List<String> PERSON_KEYPOINTS =
      List.of(
          "nose",
          "left_eye",
          "right_eye",
          "left_ear",
          "right_ear",
          "left_shoulder",
          "right_shoulder",
          "left_elbow",
          "right_elbow",
          "left_wrist",
          "right_wrist",
          "left_hip",
          "right_hip",
          "left_knee",
          "right_knee",
          "left_ankle",
          "right_ankle");

  /** COCO's person skeleton: pairs of 1-based keypoint numbers, as its annotations list them. */
  public static final List<List<Integer>> PERSON_SKELETON =
      List.of(
          List.of(16, 14),
          List.of(14, 12),
          List.of(17, 15),
          List.of(15, 13),
          List.of(12, 13),
          List.of(6, 12),
          List.of(7, 13),
          List.of(6, 7),
          List.of(6, 8),
          List.of(7, 9),
          List.of(8, 10),
          List.of(9, 11),
          List.of(2, 3),
          List.of(1, 2),
          List.of(1, 3),
          List.of(2, 4),
          List.of(3, 5),
          List.of(4, 6),
          List.of(5, 7));

  /**
   * The names of {@code count} keypoints a model does not name itself: COCO's person keypoints for
   * 17 (torchvision's Keypoint R-CNN), otherwise their numbers from 1.
   */
  public static List<String> keypointNames(int count) {
    if (count == PERSON_KEYPOINTS.size()) {
      return PERSON_KEYPOINTS;
    }
    return java.util.stream.IntStream.rangeClosed(1, count).mapToObj(Integer::toString).toList();
  }

  /** The skeleton of {@link #keypointNames}: COCO's person skeleton for 17, otherwise none. */
  public static List<List<Integer>> keypointSkeleton(int count) {
    return count == PERSON_KEYPOINTS.size() ? PERSON_SKELETON : List.of();
  }

  private static List<String> read() {
    try (InputStream in = CocoCategories.class.getResourceAsStream("coco-categories.txt");
        BufferedReader r =
            new BufferedReader(
                new InputStreamReader(
                    Objects.requireNonNull(in, "coco-categories.txt"), StandardCharsets.UTF_8))) {
      return List.copyOf(r.lines().toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
