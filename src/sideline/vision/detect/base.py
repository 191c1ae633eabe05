"""The one detection type shared by detectors, trackers and annotators, plus box geometry.

Like supervision's ``Detections``: parallel arrays, one row per box, so a detector's output can be
filtered, concatenated and handed to a tracker without conversion. ``to_supervision`` and
``from_supervision`` bridge to that library for peers (roboflow ``trackers``) that expect it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from sideline.errors import InvalidInput

PERSON = 0  # COCO-80 class ids, which every backend here reports
SPORTS_BALL = 32


@dataclass
class Detections:
    xyxy: np.ndarray  # [N, 4] float pixels: left, top, right, bottom
    confidence: np.ndarray  # [N] float in [0, 1]
    class_id: np.ndarray  # [N] int, COCO-80
    tracker_id: np.ndarray | None = None  # [N] int once tracked; -1 = not (yet) confirmed
    data: dict[str, np.ndarray] = field(default_factory=dict)  # extra per-row arrays (e.g. "appearance")

    def __post_init__(self) -> None:
        self.xyxy = np.asarray(self.xyxy, dtype=np.float64).reshape(-1, 4)
        n = len(self.xyxy)
        self.confidence = np.asarray(self.confidence, dtype=np.float64).reshape(-1)
        self.class_id = np.asarray(self.class_id, dtype=np.int64).reshape(-1)
        if self.tracker_id is not None:
            self.tracker_id = np.asarray(self.tracker_id, dtype=np.int64).reshape(-1)
        lengths = {"confidence": len(self.confidence), "class_id": len(self.class_id)}
        if self.tracker_id is not None:
            lengths["tracker_id"] = len(self.tracker_id)
        lengths.update({f"data[{k!r}]": len(v) for k, v in self.data.items()})
        wrong = {k: v for k, v in lengths.items() if v != n}
        if wrong:
            raise InvalidInput(f"detections have {n} boxes but {wrong} rows")

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.empty((0, 4)), np.empty(0), np.empty(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index) -> Detections:
        """Rows by boolean mask, integer array or slice (always returns ``Detections``)."""
        if isinstance(index, (int, np.integer)):
            index = [int(index)]
        return Detections(
            self.xyxy[index],
            self.confidence[index],
            self.class_id[index],
            None if self.tracker_id is None else self.tracker_id[index],
            {k: v[index] for k, v in self.data.items()},
        )

    @classmethod
    def concat(cls, parts: list[Detections]) -> Detections:
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        keys = set.intersection(*(set(p.data) for p in parts))
        tracked = all(p.tracker_id is not None for p in parts)
        return cls(
            np.concatenate([p.xyxy for p in parts]),
            np.concatenate([p.confidence for p in parts]),
            np.concatenate([p.class_id for p in parts]),
            np.concatenate([p.tracker_id for p in parts]) if tracked else None,
            {k: np.concatenate([p.data[k] for p in parts]) for k in keys},
        )

    @property
    def foot_points(self) -> np.ndarray:
        """[N, 2] bottom-centre of each box: where a standing player touches the pitch."""
        return np.column_stack([(self.xyxy[:, 0] + self.xyxy[:, 2]) / 2, self.xyxy[:, 3]])

    def of_class(self, class_id: int) -> Detections:
        return self[self.class_id == class_id]

    def to_supervision(self):
        import supervision as sv

        return sv.Detections(
            xyxy=self.xyxy.astype(np.float32),
            confidence=self.confidence.astype(np.float32),
            class_id=self.class_id.astype(int),
            tracker_id=None if self.tracker_id is None else self.tracker_id.astype(int),
            data={k: np.asarray(v) for k, v in self.data.items()},
        )

    @classmethod
    def from_supervision(cls, detections) -> Detections:
        n = len(detections)
        confidence = detections.confidence if detections.confidence is not None else np.ones(n)
        class_id = detections.class_id if detections.class_id is not None else np.zeros(n, dtype=np.int64)
        return cls(detections.xyxy, confidence, class_id, detections.tracker_id, dict(detections.data))


class Detector(Protocol):
    """Every backend: one RGB frame in, boxes in that frame's pixels out."""

    def detect(self, image: np.ndarray) -> Detections: ...


def check_image(image: np.ndarray, source: str = "frame") -> np.ndarray:
    """The image as HxWx3 uint8, or InvalidInput naming what is wrong with it."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise InvalidInput(f"{source}: expected an HxWx3 RGB image, got shape {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise InvalidInput(f"{source}: image has zero size {image.shape[1]}x{image.shape[0]}")
    if image.dtype != np.uint8:
        raise InvalidInput(f"{source}: expected uint8 pixels, got {image.dtype}")
    return image


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """[len(a), len(b)] intersection over union of xyxy boxes."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    intersection = np.prod(np.clip(bottom_right - top_left, 0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    union = area_a[:, None] + area_b[None, :] - intersection
    return np.divide(intersection, union, out=np.zeros_like(intersection), where=union > 0)


def non_max_suppression(xyxy: np.ndarray, scores: np.ndarray, class_id: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Indices kept by greedy per-class NMS, best score first.

    Classes are separated by offsetting boxes far apart, so one pass handles them all; the loop
    runs once per kept box, not per pair.
    """
    if len(xyxy) == 0:
        return np.empty(0, dtype=np.int64)
    offset = (np.asarray(class_id, dtype=np.float64) * (np.max(xyxy) + 1.0))[:, None]
    boxes = np.asarray(xyxy, dtype=np.float64) + offset
    order = np.argsort(-np.asarray(scores), kind="stable")
    iou = box_iou(boxes[order], boxes[order])
    suppressed = np.zeros(len(order), dtype=bool)
    keep = []
    for rank in range(len(order)):
        if suppressed[rank]:
            continue
        keep.append(order[rank])
        suppressed |= iou[rank] > iou_threshold
    return np.array(keep, dtype=np.int64)
