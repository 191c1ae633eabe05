"""MediaPipe BlazePose (33 landmarks) on LiteRT: SSD person detector + 256x256 landmark model.

The two-stage pipeline re-implements MediaPipe's pose graph (``pose_detection_cpu`` and
``pose_landmark_by_roi_cpu``) in NumPy: the detector runs on a letterboxed 224x224 frame and
yields, per person, the hip centre and a point whose distance gives the body size and whose
direction gives the body's rotation; the landmark model runs on a square crop around that
region rotated upright. While the landmark model keeps reporting the person present, the next
frame's region comes from the current landmarks' two auxiliary alignment points (tracking), so
the detector runs only on the first frame and after a loss.

Speed: the landmark model files also compute a 256x256 segmentation mask, a 64x64x39 heatmap and
world landmarks, none of which is read here; ``landmark_model`` drops the operators that only feed
those outputs (about a third of the CPU time of the full model; the landmarks and presence are
bit-identical).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from sideline.core.pose import BLAZEPOSE_KEYPOINTS
from sideline.errors import InvalidInput
from sideline.vision.pose.base import PersonPose, PoseBackend, pick_athlete
from sideline.vision.pose.models import model_path

DETECTOR_SIZE = 224
LANDMARK_SIZE = 256
ROI_SCALE = 1.25  # MediaPipe's RectTransformation for both detection- and landmark-derived regions
N_LANDMARKS = 39  # 33 body + 6 auxiliary; 33 and 34 are the alignment points used for tracking
USED_OUTPUTS = ("Identity", "Identity_1")  # landmarks [1, 195] and presence [1, 1]

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4)
def landmark_model(path: str, outputs: tuple[str, ...] = USED_OUTPUTS) -> bytes | None:
    """The .tflite at ``path`` reduced to the operators that feed ``outputs`` (by tensor name), as
    bytes for ``Interpreter(model_content=...)``; None if the file does not have that shape (then
    the caller loads the file as it is). LiteRT runs every operator of a graph whether or not its
    result is read, so the unused heads cost time on every frame."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    try:
        model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(Path(path).read_bytes(), 0))
        [graph] = model.subgraphs
        names = {i: t.name.decode() for i, t in enumerate(graph.tensors)}
        keep = [o for o in graph.outputs if names[o] in outputs]
        if len(keep) != len(outputs):
            return None
        producer = {t: k for k, op in enumerate(graph.operators) for t in op.outputs}
        needed: set[int] = set()
        pending = list(keep)
        while pending:  # walk back from the kept outputs to the input
            k = producer.get(int(pending.pop()))
            if k is not None and k not in needed:
                needed.add(k)
                pending.extend(int(t) for t in graph.operators[k].inputs if t >= 0)
        if len(needed) == len(graph.operators):
            return None
        graph.operators = [graph.operators[k] for k in sorted(needed)]  # stays in execution order
        graph.outputs = keep
        builder = flatbuffers.Builder(1 << 20)
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())
    except Exception as exc:  # an unexpected file layout costs speed, never correctness
        log.warning("could not trim %s (%s); running the whole model", Path(path).name, exc)
        return None


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


def ssd_anchors() -> np.ndarray:
    """[2254, 2] anchor centres in [0, 1] for MediaPipe's pose detector SSD options.

    Strides 8/16/32/32/32 on a 224 input; layers sharing a stride share one grid, and each layer
    contributes two fixed-size anchors (aspect 1 plus the interpolated scale), hence 2, 2 and 6
    anchors per cell: 28x28x2 + 14x14x2 + 7x7x6 = 2254.
    """
    strides = [8, 16, 32, 32, 32]
    centres = []
    layer = 0
    while layer < len(strides):
        same = 1  # consecutive layers with the same stride share one grid
        while layer + same < len(strides) and strides[layer + same] == strides[layer]:
            same += 1
        grid = int(np.ceil(DETECTOR_SIZE / strides[layer]))
        per_cell = 2 * same
        ys, xs = np.meshgrid((np.arange(grid) + 0.5) / grid, (np.arange(grid) + 0.5) / grid, indexing="ij")
        cell = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centres.append(np.repeat(cell, per_cell, axis=0))
        layer += same
    return np.concatenate(centres)


@dataclass(frozen=True)
class Region:
    """A square region of interest in frame pixels, rotated by ``rotation`` radians."""

    cx: float
    cy: float
    size: float
    rotation: float

    @staticmethod
    def from_alignment(centre: np.ndarray, scale_point: np.ndarray) -> Region:
        dx, dy = scale_point[0] - centre[0], scale_point[1] - centre[1]
        rotation = np.pi / 2 - np.arctan2(-dy, dx)
        rotation = (rotation + np.pi) % (2 * np.pi) - np.pi
        return Region(float(centre[0]), float(centre[1]), float(2 * np.hypot(dx, dy) * ROI_SCALE), float(rotation))


class BlazePose(PoseBackend):
    keypoint_names = BLAZEPOSE_KEYPOINTS

    def __init__(self, variant: str = "full", *, num_threads: int = 2, max_people: int = 3,
                 detection_threshold: float = 0.5, presence_threshold: float = 0.5):
        from ai_edge_litert.interpreter import Interpreter

        if variant not in ("lite", "full", "heavy"):
            raise InvalidInput(f"BlazePose variant must be lite, full or heavy, got {variant!r}")
        self.name = f"blazepose-{variant}"
        self.max_people = max_people
        self.detection_threshold = detection_threshold
        self.presence_threshold = presence_threshold
        self._detector = Interpreter(model_path=str(model_path("pose_detection")), num_threads=num_threads)
        landmark_file = str(model_path(f"pose_landmark_{variant}"))
        trimmed = landmark_model(landmark_file)
        self._landmarker = (Interpreter(model_content=trimmed, num_threads=num_threads) if trimmed is not None
                            else Interpreter(model_path=landmark_file, num_threads=num_threads))
        self._detector.allocate_tensors()
        self._landmarker.allocate_tensors()
        det_out = {d["name"]: d["index"] for d in self._detector.get_output_details()}
        self._det_boxes, self._det_scores = det_out["Identity"], det_out["Identity_1"]
        lm_out = {d["name"]: d["index"] for d in self._landmarker.get_output_details()}
        self._lm_points, self._lm_presence = lm_out["Identity"], lm_out["Identity_1"]
        self._lm_input = self._landmarker.get_input_details()[0]["index"]
        self._tensor = np.empty((1, LANDMARK_SIZE, LANDMARK_SIZE, 3), np.float32)
        self._anchors = ssd_anchors()
        self.reset()

    def reset(self) -> None:
        self._previous = None
        self._region: Region | None = None

    # --- detector ------------------------------------------------------------------------------

    def detect_regions(self, image: np.ndarray) -> list[tuple[Region, float]]:
        """(region, score) per person, best first, after weighted non-maximum suppression."""
        height, width = image.shape[:2]
        scale = DETECTOR_SIZE / max(width, height)
        new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
        pad_x, pad_y = (DETECTOR_SIZE - new_w) // 2, (DETECTOR_SIZE - new_h) // 2
        canvas = np.zeros((DETECTOR_SIZE, DETECTOR_SIZE, 3), np.float32)
        resized = np.asarray(Image.fromarray(image).resize((new_w, new_h), Image.BILINEAR), np.float32)
        canvas[pad_y:pad_y + new_h, pad_x:pad_x + new_w] = resized / 127.5 - 1.0
        self._detector.set_tensor(self._detector.get_input_details()[0]["index"], canvas[None])
        self._detector.invoke()
        raw = self._detector.get_tensor(self._det_boxes)[0]
        scores = _sigmoid(self._detector.get_tensor(self._det_scores)[0, :, 0])
        keep = np.flatnonzero(scores >= self.detection_threshold)
        if keep.size == 0:
            return []
        # Decode to letterboxed-input pixels (anchors are fixed-size 1x1, so offsets are in pixels).
        anchors_px = self._anchors[keep] * DETECTOR_SIZE
        boxes = raw[keep, :4].copy()
        boxes[:, :2] += anchors_px
        points = raw[keep, 4:12].reshape(-1, 4, 2) + anchors_px[:, None, :]
        # Back to frame pixels.
        boxes[:, 0] = (boxes[:, 0] - pad_x) / scale
        boxes[:, 1] = (boxes[:, 1] - pad_y) / scale
        boxes[:, 2:] /= scale
        points = (points - [pad_x, pad_y]) / scale
        return [(Region.from_alignment(p[0], p[1]), float(s)) for p, s in _weighted_nms(boxes, points, scores[keep])][: self.max_people]

    # --- landmarks -----------------------------------------------------------------------------

    def landmarks_in(self, image: np.ndarray, region: Region) -> tuple[np.ndarray, np.ndarray, float]:
        """(points [39, 3] frame pixels, visibility [39], presence) for a region of one frame."""
        k = region.size / LANDMARK_SIZE
        cos, sin = np.cos(region.rotation), np.sin(region.rotation)
        half = LANDMARK_SIZE / 2
        # PIL maps each output pixel to the source: source = centre + k * R(rotation) @ (u - half, v - half).
        # (PIL, not cv2.warpAffine, though cv2 is ~5x faster here: cv2 rounds where PIL truncates and
        # blends the frame's edge differently, and through tracking that moved three golf events of
        # the test clip by 1-2 frames.)
        affine = (k * cos, -k * sin, region.cx - half * k * (cos - sin),
                  k * sin, k * cos, region.cy - half * k * (sin + cos))
        crop = Image.fromarray(image).transform((LANDMARK_SIZE, LANDMARK_SIZE), Image.Transform.AFFINE, affine, Image.BILINEAR)
        np.divide(np.asarray(crop), np.float32(255.0), out=self._tensor[0])
        self._landmarker.set_tensor(self._lm_input, self._tensor)
        self._landmarker.invoke()
        raw = self._landmarker.get_tensor(self._lm_points)[0].reshape(N_LANDMARKS, 5)
        # Already a probability in these files (1.0 on a golfer, 3e-5 on a blank frame), not a logit.
        presence = float(self._landmarker.get_tensor(self._lm_presence)[0, 0])
        u, v = raw[:, 0] - half, raw[:, 1] - half
        points = np.stack([
            region.cx + k * (cos * u - sin * v),
            region.cy + k * (sin * u + cos * v),
            raw[:, 2] * k,  # depth in the crop's pixel scale -> frame pixels
        ], axis=1)
        return points, _sigmoid(raw[:, 3]), presence

    def _person(self, points: np.ndarray, visibility: np.ndarray, presence: float) -> PersonPose:
        return PersonPose(points[:33], visibility[:33], presence)

    def detect(self, image: np.ndarray) -> list[PersonPose]:
        people = []
        for region, _ in self.detect_regions(image):
            points, visibility, presence = self.landmarks_in(image, region)
            if presence >= self.presence_threshold:
                people.append(self._person(points, visibility, presence))
        return people

    def track(self, image: np.ndarray) -> PersonPose | None:
        if self._region is not None:
            points, visibility, presence = self.landmarks_in(image, self._region)
            if presence >= self.presence_threshold:
                self._region = Region.from_alignment(points[33, :2], points[34, :2])
                self._previous = self._person(points, visibility, presence)
                return self._previous
        # Lost (or first frame): detect everyone, keep the athlete.
        candidates = []
        for region, _ in self.detect_regions(image):
            points, visibility, presence = self.landmarks_in(image, region)
            if presence >= self.presence_threshold:
                candidates.append((self._person(points, visibility, presence), points))
        chosen = pick_athlete([c[0] for c in candidates], (image.shape[1], image.shape[0]), self._previous)
        if chosen is None:
            self._region = None
            return None
        points = next(p for person, p in candidates if person is chosen)
        self._region = Region.from_alignment(points[33, :2], points[34, :2])
        self._previous = chosen
        return chosen


def _weighted_nms(boxes: np.ndarray, points: np.ndarray, scores: np.ndarray, iou_threshold: float = 0.3):
    """MediaPipe's weighted NMS: overlapping detections are averaged, weighted by score."""
    order = np.argsort(-scores)
    boxes, points, scores = boxes[order], points[order], scores[order]
    corners = np.concatenate([boxes[:, :2] - boxes[:, 2:] / 2, boxes[:, :2] + boxes[:, 2:] / 2], axis=1)
    area = boxes[:, 2] * boxes[:, 3]
    remaining = np.ones(len(scores), bool)
    results = []
    for i in range(len(scores)):  # loop over the (few) detections above threshold
        if not remaining[i]:
            continue
        lo = np.maximum(corners[i, :2], corners[:, :2])
        hi = np.minimum(corners[i, 2:], corners[:, 2:])
        inter = np.prod(np.clip(hi - lo, 0, None), axis=1)
        iou = inter / (area[i] + area - inter + 1e-9)
        group = remaining & (iou > iou_threshold)
        weights = scores[group] / scores[group].sum()
        results.append((np.tensordot(weights, points[group], axes=1), scores[i]))
        remaining &= ~group
    return results
