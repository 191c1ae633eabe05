"""Detect people and the ball: one ``Detections`` type, several backends (ONNX COCO models, YOLO
exports, background subtraction) and tiled inference for small distant objects."""

from sideline.vision.detect.base import PERSON, SPORTS_BALL, Detections, Detector, box_iou, non_max_suppression

__all__ = ["PERSON", "SPORTS_BALL", "Detections", "Detector", "box_iou", "non_max_suppression"]
