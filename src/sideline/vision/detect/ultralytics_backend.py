"""Ultralytics YOLO as a detection backend: only with the optional extra ``pip install sideline[yolo]``.

Ultralytics is AGPL-3.0, so it is never imported unless a user picks this backend; the rest of
Sideline stays permissively licensed. Its ``Results`` are converted to our ``Detections`` with the
model's own class names mapped to person / ball (COCO models and football-specific ones alike).
"""

from __future__ import annotations

import importlib.util

import numpy as np

from sideline.errors import InvalidInput
from sideline.vision.detect.base import Detections, check_image
from sideline.vision.detect.onnx_coco import DEFAULT_CLASSES, _class_map

EXTRA_MISSING = ("detector 'ultralytics' needs the optional extra: pip install 'sideline[yolo]' "
                 "(Ultralytics is AGPL-3.0, so it is not installed by default)")
DEFAULT_WEIGHTS = "yolo11n.pt"


def ultralytics_available() -> bool:
    """Installed or not, without importing it (the import pulls in torch: seconds)."""
    return importlib.util.find_spec("ultralytics") is not None


def detections_from_result(result, class_map: np.ndarray, classes=DEFAULT_CLASSES) -> Detections:
    """One ``ultralytics.engine.results.Results`` -> ``Detections`` (COCO ids, wanted classes only)."""
    boxes = result.boxes
    if boxes is None or len(boxes) == 0:
        return Detections.empty()

    def array(value) -> np.ndarray:  # torch tensors on any device, or arrays already
        value = value.cpu() if hasattr(value, "cpu") else value
        return np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype=np.float64)

    model_class = array(boxes.cls).astype(np.int64).reshape(-1)
    inside = (model_class >= 0) & (model_class < len(class_map))
    coco = np.where(inside, class_map[np.clip(model_class, 0, len(class_map) - 1)], -1)
    keep = np.isin(coco, np.asarray(classes))
    return Detections(array(boxes.xyxy).reshape(-1, 4)[keep], array(boxes.conf).reshape(-1)[keep], coco[keep])


class UltralyticsDetector:
    """``ultralytics.YOLO(weights)``: a name it downloads itself (``yolo11n.pt``) or a local .pt/.onnx."""

    def __init__(self, weights: str = DEFAULT_WEIGHTS, score_threshold: float = 0.3, iou_threshold: float = 0.5,
                 classes=DEFAULT_CLASSES) -> None:
        if not ultralytics_available():
            raise InvalidInput(EXTRA_MISSING)
        from ultralytics import YOLO  # AGPL: imported only here, on request

        try:
            self.model = YOLO(weights)
        except Exception as exc:  # its loaders raise many types (missing file, bad checkpoint, no network)
            raise InvalidInput(f"ultralytics could not load {weights!r}: {exc}") from None
        names = self.model.names
        self.class_map = _class_map(dict(names) if not isinstance(names, list) else dict(enumerate(names)), len(names))
        self.score_threshold = score_threshold
        self.iou_threshold = iou_threshold
        self.classes = classes

    def detect(self, image: np.ndarray) -> Detections:
        image = check_image(image)
        # Ultralytics reads numpy images as OpenCV does: BGR.
        (result,) = self.model.predict(np.ascontiguousarray(image[:, :, ::-1]), conf=self.score_threshold,
                                       iou=self.iou_threshold, verbose=False)
        return detections_from_result(result, self.class_map, self.classes)
