"""Scoring detections against the hand labels in ``labels/detection_labels.json`` (IoU 0.5)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from sideline.vision.detect.base import PERSON, SPORTS_BALL, Detections, box_iou

LABELS = Path(__file__).with_name("labels") / "detection_labels.json"


def load_labels() -> dict:
    return json.loads(LABELS.read_text())["clips"]


def score_frame(found: Detections, label: dict, iou_threshold: float = 0.5) -> tuple[int, int, int]:
    """(true positives, false positives, missed) for people, inside the label's ROI, ignoring 'ignore' boxes."""
    people = found.of_class(PERSON)
    low, high = label["roi_y"]
    people = people[(people.xyxy[:, 3] >= low) & (people.xyxy[:, 3] <= high)]
    truth = np.array(label["person"], dtype=float).reshape(-1, 4)
    iou = box_iou(truth, people.xyxy)
    rows, cols = linear_sum_assignment(-iou)
    hits = iou[rows, cols] >= iou_threshold
    matched = set(cols[hits])
    unmatched = [j for j in range(len(people)) if j not in matched]
    ignore = np.array(label.get("ignore", []), dtype=float).reshape(-1, 4)
    if len(ignore) and unmatched:
        # Intersection over the detection's own area: mostly inside an ignore box = not counted.
        boxes = people.xyxy[unmatched]
        inter_tl = np.maximum(boxes[:, None, :2], ignore[None, :, :2])
        inter_br = np.minimum(boxes[:, None, 2:], ignore[None, :, 2:])
        inter = np.prod(np.clip(inter_br - inter_tl, 0, None), axis=2)
        area = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)[:, None]
        unmatched = [u for u, covered in zip(unmatched, (inter / area).max(axis=1) > 0.5) if not covered]
    true_positives = int(hits.sum())
    return true_positives, len(unmatched), len(truth) - true_positives


def labelled_frames(video: Path, wanted: set[int]) -> dict[int, np.ndarray]:
    from sideline.vision.decode import iter_frames

    frames = {}
    for index, _, image in iter_frames(video):
        if index in wanted:
            frames[index] = image
        if len(frames) == len(wanted):
            break
    return frames


def score_ball(found: Detections, label: dict, iou_threshold: float = 0.5,
               diameters: float = 1.5) -> tuple[int, int, int, int]:
    """(balls labelled, found at IoU >= 0.5, found by centre within ``diameters`` ball diameters,
    ball detections that are neither): the best-scoring ball box counts, as a tracker would take it.

    IoU 0.5 on a 6-8 px ball is 1-2 px of error, so the centre criterion is the fairer one.
    """
    balls = np.array(label.get("ball", []), dtype=float).reshape(-1, 4)
    found = found.of_class(SPORTS_BALL)
    if not len(found):
        return len(balls), 0, 0, 0
    if not len(balls):
        return 0, 0, 0, len(found)
    best = found.xyxy[np.argmax(found.confidence)][None]
    truth = balls[:1]
    iou_hit = int(box_iou(truth, best)[0, 0] >= iou_threshold)
    size = np.mean(truth[0, 2:] - truth[0, :2])
    distance = np.hypot(*(((best[0, :2] + best[0, 2:]) - (truth[0, :2] + truth[0, 2:])) / 2))
    centre_hit = int(distance <= diameters * size)
    return 1, iou_hit, centre_hit, len(found) - centre_hit
