-- One row per frame and model version: the detections event's frame, model and timings.
CREATE TABLE frames (
  camera          text        NOT NULL,
  sequence        bigint      NOT NULL,
  model_version   text        NOT NULL,
  model_name      text        NOT NULL,
  capture_time    timestamptz NOT NULL,
  processed_time  timestamptz,
  width           integer     NOT NULL,
  height          integer     NOT NULL,
  decode_ms       real,
  preprocess_ms   real,
  inference_ms    real,
  postprocess_ms  real,
  detection_count integer     NOT NULL,
  PRIMARY KEY (camera, sequence, model_version)
);
-- "what did camera X see between T1 and T2"
CREATE INDEX frames_camera_capture_time ON frames (camera, capture_time);

-- One row per detected instance; detection_index is its position in the detections event.
CREATE TABLE detections (
  camera          text        NOT NULL,
  sequence        bigint      NOT NULL,
  model_version   text        NOT NULL,
  detection_index integer     NOT NULL,
  capture_time    timestamptz NOT NULL,
  class_id        integer     NOT NULL,
  label           text        NOT NULL,
  score           real        NOT NULL,
  x1              real        NOT NULL,
  y1              real        NOT NULL,
  x2              real        NOT NULL,
  y2              real        NOT NULL,
  PRIMARY KEY (camera, sequence, model_version, detection_index)
);
-- "what did camera X see between T1 and T2", row by row
CREATE INDEX detections_camera_capture_time ON detections (camera, capture_time);
-- "all frames with class Y", by name or by id, in time order
CREATE INDEX detections_label_capture_time ON detections (label, capture_time);
CREATE INDEX detections_class_capture_time ON detections (class_id, capture_time);

-- One row per instance mask, COCO compressed RLE (pycocotools' mask.encode counts).
CREATE TABLE masks (
  camera          text        NOT NULL,
  sequence        bigint      NOT NULL,
  model_version   text        NOT NULL,
  detection_index integer     NOT NULL,
  capture_time    timestamptz NOT NULL,
  height          integer     NOT NULL,
  width           integer     NOT NULL,
  counts          text        NOT NULL,
  PRIMARY KEY (camera, sequence, model_version, detection_index)
);

-- Detections with their masks (masks travel on their own topic and may land later or not at all).
CREATE VIEW detections_with_masks AS
SELECT d.*, m.height AS mask_height, m.width AS mask_width, m.counts AS mask_counts
FROM detections d
LEFT JOIN masks m USING (camera, sequence, model_version, detection_index);
