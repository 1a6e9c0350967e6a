package io.maskstream.sinks.jsonl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maskstream.schemas.avro.Detections;
import io.maskstream.schemas.avro.Masks;
import io.maskstream.schemas.rle.CocoRle;
import io.maskstream.sinks.EventSamples;
import io.maskstream.sinks.join.FrameKey;
import io.maskstream.sinks.join.JoinedFrame;
import java.util.List;
import org.junit.jupiter.api.Test;

class CocoFrameJsonTest {
  @Test
  void writesCocoResultsWithRleMasksAndEscapesText() throws Exception {
    Detections d = EventSamples.detections("cam \"1\"\n", 7, "v9", 2, "a \"quoted\" <label>");
    Masks m = EventSamples.masks("cam \"1\"\n", 7, "v9", 2);
    String line =
        CocoFrameJson.format(
            new JoinedFrame<>(new FrameKey("cam \"1\"\n", 7, "v9"), d, m, List.of()));
    assertThat(line).doesNotContain("\n");
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.get("camera").asText()).isEqualTo("cam \"1\"\n");
    assertThat(json.get("sequence").asLong()).isEqualTo(7);
    assertThat(json.get("detections")).hasSize(2);
    JsonNode second = json.get("detections").get(1);
    assertThat(second.get("image_id").asLong()).isEqualTo(7);
    assertThat(second.get("label").asText()).isEqualTo("a \"quoted\" <label>");
    assertThat(second.get("bbox").toString()).isEqualTo("[10.0,5.0,8.0,10.0]");
    String counts = second.get("segmentation").get("counts").asText();
    // the mask decodes to the box it was made from
    CocoRle rle = CocoRle.fromString(48, 64, counts);
    assertThat(rle.area()).isEqualTo(8 * 10);
    assertThat(rle.toBbox()).containsExactly(10, 5, 8, 10);
  }

  @Test
  void aTrackedDetectionCarriesItsTrackerId() throws Exception {
    Detections d = EventSamples.tracked(EventSamples.detections("gate", 3, "v1", 2, "car"), 0, 42);
    Masks m = EventSamples.masks("gate", 3, "v1", 2);
    JsonNode json =
        new ObjectMapper()
            .readTree(
                CocoFrameJson.format(
                    new JoinedFrame<>(new FrameKey("gate", 3, "v1"), d, m, List.of())));
    assertThat(json.get("detections").get(0).has("tracker_id")).isFalse();
    assertThat(json.get("detections").get(1).get("tracker_id").asLong()).isEqualTo(42);
  }

  @Test
  void keypointsAreWrittenAsCocoResultsWithTheirScoresNamesAndSkeleton() throws Exception {
    Detections d = EventSamples.withKeypoints(EventSamples.detections("gate", 5, "v1", 2, "p"));
    JsonNode json =
        new ObjectMapper()
            .readTree(
                CocoFrameJson.format(
                    new JoinedFrame<>(new FrameKey("gate", 5, "v1"), d, null, List.of())));
    assertThat(json.get("keypoint_names").toString()).isEqualTo("[\"head\",\"foot\"]");
    assertThat(json.get("skeleton").toString()).isEqualTo("[[1,2]]");
    JsonNode second = json.get("detections").get(1);
    assertThat(second.get("keypoints").toString()).isEqualTo("[10.0,5.0,1,18.0,15.0,1]");
    assertThat(second.get("keypoint_scores").toString()).isEqualTo("[2.5,-1.0]");
    JsonNode plain =
        new ObjectMapper()
            .readTree(
                CocoFrameJson.format(
                    new JoinedFrame<>(
                        new FrameKey("gate", 6, "v1"),
                        EventSamples.detections("gate", 6, "v1", 1, "p"),
                        null,
                        List.of())));
    assertThat(plain.has("keypoint_names")).isFalse();
    assertThat(plain.get("detections").get(0).has("keypoints")).isFalse();
  }
}
