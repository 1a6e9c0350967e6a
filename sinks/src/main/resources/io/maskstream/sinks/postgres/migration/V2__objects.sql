-- One row per tracked object: its NEW, UPDATE and END events folded together. Track ids are
-- unique per camera, and first_time (capture time when first seen) is in the key too, so a
-- camera whose tracker starts over with the same ids gets new rows instead of overwriting old ones.
-- The event_* columns say which event the last-seen columns come from: an event older than that,
-- by (event_time, event_sequence), changes nothing but ended. Capture time comes first because a
-- camera's sequence starts over when its ingest restarts while its tracks go on; the sequence
-- orders frames with the same capture time.
CREATE TABLE objects (
  camera            text        NOT NULL,
  track_id          bigint      NOT NULL,
  first_time        timestamptz NOT NULL,
  label             text        NOT NULL,
  first_sequence    bigint      NOT NULL,
  last_sequence     bigint      NOT NULL,
  last_time         timestamptz NOT NULL,
  score             real        NOT NULL,
  top_score         real        NOT NULL,
  x1                real        NOT NULL,
  y1                real        NOT NULL,
  x2                real        NOT NULL,
  y2                real        NOT NULL,
  stationary        boolean     NOT NULL,
  zones             text[]      NOT NULL,
  entered_zones     text[]      NOT NULL,
  ended             boolean     NOT NULL,
  ended_at_sequence bigint,
  model_name        text        NOT NULL,
  model_version     text        NOT NULL,
  event_sequence    bigint      NOT NULL,
  event_time        timestamptz NOT NULL,
  updated_time      timestamptz NOT NULL,
  PRIMARY KEY (camera, track_id, first_time)
);
-- "what objects did camera X have between T1 and T2" (first_time <= T2 AND last_time >= T1):
-- by when they appeared, and by when they were last seen
CREATE INDEX objects_camera_first_time ON objects (camera, first_time);
CREATE INDEX objects_camera_last_time ON objects (camera, last_time);
-- "objects of class Y", in time order
CREATE INDEX objects_label_first_time ON objects (label, first_time);

-- One row per zone event: ENTER, EXIT and LOITER of a zone, CROSS of a line. occupancy is the
-- zone's objects by class after the event ({"car": 2}); crossings the line's counts after the
-- event ([{"label": "car", "direction": "in", "count": 3}]); each is empty where it does not apply.
--
-- The key is what makes an event one event: a frame raises at most one event of each type per
-- object and zone (or line), so (camera, zone, frame, track_id, type) names it, and the same
-- event delivered again is skipped. The frame is its sequence and capture time, since a camera's
-- sequence starts over when its ingest restarts. Its column order also serves "events of zone Z
-- of camera X between T1 and T2".
CREATE TABLE zone_events (
  camera         text        NOT NULL,
  zone           text        NOT NULL,
  type           text        NOT NULL,
  track_id       bigint      NOT NULL,
  label          text        NOT NULL,
  direction      text,
  frame_sequence bigint      NOT NULL,
  frame_time     timestamptz NOT NULL,
  entered_time   timestamptz,
  dwell_ms       bigint,
  ended          boolean     NOT NULL,
  occupancy      jsonb       NOT NULL,
  crossings      jsonb       NOT NULL,
  PRIMARY KEY (camera, zone, frame_time, frame_sequence, track_id, type)
);
-- "what happened at camera X's zones between T1 and T2"
CREATE INDEX zone_events_camera_frame_time ON zone_events (camera, frame_time);
