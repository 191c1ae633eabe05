"""Detection backends against hand labels (IoU 0.5), decoding, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from sideline.errors import InvalidInput
from sideline.vision.detect.base import Detections, box_iou, non_max_suppression
from sideline.vision.detect.onnx_coco import decode_yolo
from tests.video._data import shared_data, shared_models
from tests.video.detection_eval import labelled_frames, load_labels, score_ball, score_frame

BROADCAST, FIXED = "football_dfl_08fd33_4_848x478.mp4", "vtest.avi"


@pytest.fixture(scope="module")
def frames():
    folder = shared_data() / "video"
    return {clip: labelled_frames(folder / clip, {int(k) for k in labels}) for clip, labels in load_labels().items()}


@pytest.fixture(scope="module")
def detectors():
    shared_models()
    from sideline.vision.detect.onnx_coco import CenterNetDetector, NanoDetDetector

    return {"nanodet": NanoDetDetector(score_threshold=0.3), "centernet": CenterNetDetector(score_threshold=0.3)}


_CACHE: dict[tuple[str, str, int], object] = {}  # detections per (detector, clip, frame), shared by the tests


def _found(name, detector, clip, frames, key):
    if (name, clip, key) not in _CACHE:
        _CACHE[(name, clip, key)] = detector.detect(frames[clip][key])
    return _CACHE[(name, clip, key)]


def _recall_precision(name, detector, clip, frames):
    tp = fp = fn = 0
    for key, label in load_labels()[clip].items():
        a, b, c = score_frame(_found(name, detector, clip, frames, int(key)), label)
        tp, fp, fn = tp + a, fp + b, fn + c
    return tp / (tp + fn), tp / max(tp + fp, 1)


# Floors a little under what was measured on the labels (docs/video.md): 7 frames, 40 people.
@pytest.mark.parametrize("name, min_recall, min_precision", [("centernet", 0.88, 0.72), ("nanodet", 0.75, 0.6)])
def test_fixed_camera_people_found(detectors, frames, name, min_recall, min_precision):
    recall, precision = _recall_precision(name, detectors[name], FIXED, frames)
    assert recall >= min_recall and precision >= min_precision, (recall, precision)


@pytest.fixture(scope="module")
def tiled(detectors):
    from sideline.vision.detect.tiling import TiledDetector

    return TiledDetector(detectors["centernet"], tile_size=320, overlap=80)


def test_tiling_finds_distant_players_the_full_frame_misses(detectors, tiled, frames):
    full_recall, _ = _recall_precision("centernet", detectors["centernet"], BROADCAST, frames)
    tiled_recall, tiled_precision = _recall_precision("centernet_tiled", tiled, BROADCAST, frames)
    assert tiled_recall >= 0.78 and tiled_precision >= 0.85, (tiled_recall, tiled_precision)
    assert tiled_recall >= full_recall + 0.3


class _Replay:
    """The cached tiled detections of one frame, as a detector (the tiled run is the slow part)."""

    def __init__(self, found):
        self.found = found

    def detect(self, image):
        return self.found


def test_ball_found_in_broadcast_frames_and_prior_drops_false_balls(tiled, frames):
    from sideline.vision.detect.ball import BallAware

    totals = {True: np.zeros(4, int), False: np.zeros(4, int)}
    for key, label in load_labels()[BROADCAST].items():
        raw = _found("centernet_tiled", tiled, BROADCAST, frames, int(key))
        for prior in (True, False):
            found = BallAware(_Replay(raw), prior=prior).detect(frames[BROADCAST][int(key)])
            totals[prior] += score_ball(found, label)
    labelled, iou_hits, centre_hits, false_balls = totals[True]
    assert labelled == 5 and centre_hits >= 4 and iou_hits >= 4, totals
    # The prior keeps every ball found without it and drops at least a third of the false ones.
    assert centre_hits == totals[False][2] and false_balls <= totals[False][3] * 2 / 3, totals


def test_background_subtraction_finds_walkers():
    from sideline.vision.decode import iter_frames
    from sideline.vision.detect.background import BackgroundSubtractionDetector

    detector = BackgroundSubtractionDetector()
    label = load_labels()[FIXED]["400"]
    for index, _, image in iter_frames(shared_data() / "video" / FIXED):
        found = detector.detect(image)
        if index == 400:
            break
    hits, false_positives, missed = score_frame(found, label, iou_threshold=0.3)
    assert hits >= 3 and false_positives <= 1, (hits, false_positives, missed)


def test_zero_size_and_wrong_images_are_refused(detectors):
    with pytest.raises(InvalidInput, match="zero size"):
        detectors["nanodet"].detect(np.zeros((0, 10, 3), dtype=np.uint8))
    with pytest.raises(InvalidInput, match="HxWx3"):
        detectors["centernet"].detect(np.zeros((10, 10), dtype=np.uint8))


def test_yolo_layouts_decode_to_the_same_boxes():
    # One box at centre (50, 40), size 20x10, class 2 with score 0.9 (v8) / 0.9*1.0 (v5).
    v8 = np.zeros((1, 84, 100))  # real exports have thousands of anchors
    v8[0, :4, 1] = [50, 40, 20, 10]
    v8[0, 4 + 2, 1] = 0.9
    v5 = np.zeros((1, 100, 85))
    v5[0, 1, :5] = [50, 40, 20, 10, 1.0]
    v5[0, 1, 5 + 2] = 0.9
    for raw in (v8, v5):
        xyxy, scores = decode_yolo(raw, (640, 640))
        assert np.allclose(xyxy[1], [40, 35, 60, 45]) and scores[1].argmax() == 2 and scores[1, 2] == pytest.approx(0.9)


def test_nms_keeps_the_best_of_overlapping_boxes_per_class():
    xyxy = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10], [50, 50, 60, 60]], dtype=float)
    kept = non_max_suppression(xyxy, np.array([0.9, 0.8, 0.7, 0.6]), np.array([0, 0, 32, 0]), 0.5)
    assert sorted(kept.tolist()) == [0, 2, 3]
    assert box_iou(xyxy[:1], xyxy[1:2])[0, 0] == pytest.approx(81 / 119)


def test_detections_reject_mismatched_rows():
    with pytest.raises(InvalidInput, match="rows"):
        Detections(np.zeros((2, 4)), np.zeros(3), np.zeros(2))


def test_unknown_and_undownloadable_models_are_clear_errors(tmp_path, monkeypatch):
    from sideline.vision.detect.models import resolve_model

    monkeypatch.setenv("SIDELINE_MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("SIDELINE_MODEL_CACHE", str(tmp_path / "cache"))
    with pytest.raises(InvalidInput, match="unknown model"):
        resolve_model("not-a-model")
    with pytest.raises(InvalidInput, match="no public download"):
        resolve_model("nanodet")
    with pytest.raises(InvalidInput, match="downloading is disabled"):
        resolve_model("yolox_nano", download=False)
