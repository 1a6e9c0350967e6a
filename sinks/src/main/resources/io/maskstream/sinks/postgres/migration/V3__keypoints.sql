-- The keypoints of a detection from a model with a keypoint head, in the model's order:
-- [{"name": "nose", "x": 12.5, "y": 40.0, "score": 3.2}, ...]; null for other models.
ALTER TABLE detections ADD COLUMN keypoints jsonb;
