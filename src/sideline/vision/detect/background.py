"""Moving people on a fixed camera by background subtraction (OpenCV MOG2), no model needed.

Stateful: feed frames in order. The first ``warmup_frames`` only teach the background model and
return nothing. Shadows (MOG2 marks them 127) are dropped; a closing joins a body's split blobs.
"""

from __future__ import annotations

import numpy as np

from sideline.errors import InvalidInput
from sideline.vision.detect.base import PERSON, Detections, check_image


class BackgroundSubtractionDetector:
    def __init__(
        self,
        *,
        history: int = 300,
        var_threshold: float = 25.0,
        min_area_fraction: float = 0.0015,
        max_area_fraction: float = 0.25,
        min_aspect: float = 0.8,
        warmup_frames: int = 10,
        kernel_size: int = 5,
    ) -> None:
        import cv2

        if not 0 < min_area_fraction < max_area_fraction <= 1:
            raise InvalidInput("background subtraction: need 0 < min_area_fraction < max_area_fraction <= 1")
        self._cv2 = cv2
        self.subtractor = cv2.createBackgroundSubtractorMOG2(history=history, varThreshold=var_threshold, detectShadows=True)
        self.min_area_fraction = min_area_fraction
        self.max_area_fraction = max_area_fraction
        self.min_aspect = min_aspect  # height / width: people are upright
        self.warmup_frames = warmup_frames
        self.kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kernel_size, kernel_size))
        self.frames_seen = 0
        self.shape: tuple[int, int] | None = None

    def foreground(self, image: np.ndarray) -> np.ndarray:
        """Binary foreground mask after shadow removal and morphology (updates the model)."""
        cv2 = self._cv2
        image = check_image(image)
        if self.shape is not None and image.shape[:2] != self.shape:
            raise InvalidInput(f"background subtraction: frame size changed from {self.shape} to {image.shape[:2]}")
        self.shape = image.shape[:2]
        mask = self.subtractor.apply(image)
        self.frames_seen += 1
        mask = (mask == 255).astype(np.uint8)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, self.kernel)
        return cv2.morphologyEx(mask, cv2.MORPH_CLOSE, self.kernel, iterations=2)

    def detect(self, image: np.ndarray) -> Detections:
        mask = self.foreground(image)
        if self.frames_seen <= self.warmup_frames:
            return Detections.empty()
        count, _, stats, _ = self._cv2.connectedComponentsWithStats(mask, connectivity=8)
        stats = stats[1:]  # row 0 is the background
        area_frac = stats[:, 4] / mask.size
        width, height = stats[:, 2], stats[:, 3]
        keep = (area_frac >= self.min_area_fraction) & (area_frac <= self.max_area_fraction) & (height >= self.min_aspect * width)
        stats = stats[keep]
        xyxy = np.column_stack([stats[:, 0], stats[:, 1], stats[:, 0] + stats[:, 2], stats[:, 1] + stats[:, 3]])
        # Fill ratio of the box stands in for a score: a solid blob is likelier a body than noise.
        confidence = np.clip(stats[:, 4] / np.maximum(stats[:, 2] * stats[:, 3], 1), 0, 1)
        return Detections(xyxy, confidence, np.full(len(stats), PERSON))
