"""COCO-80 detectors on onnxruntime: NanoDet, CenterNet and YOLO-family exports (v5/v8/YOLOX).

Each backend resizes the frame to its network input, runs one session (CUDA when onnxruntime
offers it, else CPU) and maps boxes back to frame pixels. Decoding is split into pure functions
so it is testable without a model file.
"""

from __future__ import annotations

import numpy as np

from sideline.errors import InvalidInput
from sideline.vision.detect.base import PERSON, SPORTS_BALL, Detections, check_image, non_max_suppression
from sideline.vision.detect.models import resolve_model

DEFAULT_CLASSES = (PERSON, SPORTS_BALL)


def _session(path):
    import onnxruntime as ort

    wanted = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in ort.get_available_providers()]
    try:
        return ort.InferenceSession(str(path), providers=wanted)
    except Exception as exc:  # onnxruntime raises its own unexported exception types
        raise InvalidInput(f"{path.name!r} is not a loadable ONNX model: {exc.__class__.__name__}") from None


def _resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    import cv2

    return cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)


def _finish(xyxy, scores, classes, image_shape, scale_xy, classes_wanted, score_threshold, iou_threshold) -> Detections:
    keep = (scores >= score_threshold) & np.isin(classes, classes_wanted)
    xyxy, scores, classes = xyxy[keep] * np.tile(scale_xy, 2), scores[keep], classes[keep]
    height, width = image_shape[:2]
    xyxy = np.clip(xyxy, 0, [width, height, width, height])
    nonempty = (xyxy[:, 2] > xyxy[:, 0]) & (xyxy[:, 3] > xyxy[:, 1])
    xyxy, scores, classes = xyxy[nonempty], scores[nonempty], classes[nonempty]
    kept = non_max_suppression(xyxy, scores, classes, iou_threshold)
    return Detections(xyxy[kept], scores[kept], classes[kept])


def decode_nanodet(outputs: list[np.ndarray], input_size: int, reg_max: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """NanoDet heads -> (xyxy [K, 4] in input pixels, class scores [K, 80]); heads found by shape."""
    bins = reg_max + 1
    by_cells: dict[int, dict[int, np.ndarray]] = {}
    for out in outputs:
        out = out.reshape(out.shape[-2], out.shape[-1])
        by_cells.setdefault(out.shape[0], {})[out.shape[1]] = out
    boxes, scores = [], []
    for cells, heads in by_cells.items():
        side = int(round(np.sqrt(cells)))
        stride = input_size / side
        logits = heads[4 * bins].reshape(cells, 4, bins)
        weights = np.exp(logits - logits.max(axis=2, keepdims=True))
        weights /= weights.sum(axis=2, keepdims=True)
        distances = (weights @ np.arange(bins)) * stride  # [cells, 4]: left, top, right, bottom
        row, col = np.divmod(np.arange(cells), side)
        anchor = np.column_stack([col, row]) * stride  # top-left corner of each cell
        boxes.append(np.column_stack([anchor - distances[:, :2], anchor + distances[:, 2:]]))
        scores.append(heads[80])
    return np.concatenate(boxes), np.concatenate(scores)


def decode_yolo(raw: np.ndarray, input_size: tuple[int, int], *, yolox_grid: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A YOLO export's single output -> (xyxy [K, 4] in input pixels, class scores [K, C]).

    Layouts: v8/v11 ``[1, 4+C, K]`` (no objectness), v5/v7 and YOLOX ``[1, K, 5+C]`` (objectness
    multiplies class scores). YOLOX's official ONNX leaves grid decoding to the caller: set
    ``yolox_grid``.
    """
    raw = np.asarray(raw, dtype=np.float64)
    if raw.ndim != 3 or raw.shape[0] != 1:
        raise InvalidInput(f"YOLO output must be [1, rows, cols], got {raw.shape}")
    table = raw[0]
    # Boxes always outnumber channels, which tells the two layouts apart.
    with_objectness = table.shape[0] > table.shape[1]
    if not with_objectness:
        table = table.T  # v8: [4+C, K] -> [K, 4+C]
    centre_size = table[:, :4].copy()
    if yolox_grid:
        centre_size = _yolox_grid_decode(centre_size, input_size)
    if with_objectness:
        scores = table[:, 5:] * table[:, 4:5]
    else:
        scores = table[:, 4:]
    half = centre_size[:, 2:] / 2
    return np.column_stack([centre_size[:, :2] - half, centre_size[:, :2] + half]), scores


def _yolox_grid_decode(raw: np.ndarray, input_size: tuple[int, int], strides=(8, 16, 32)) -> np.ndarray:
    height, width = input_size
    grids, stride_per_row = [], []
    for stride in strides:
        rows, cols = height // stride, width // stride
        yy, xx = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
        grids.append(np.column_stack([xx.ravel(), yy.ravel()]))
        stride_per_row.append(np.full(rows * cols, stride))
    grid, stride = np.concatenate(grids), np.concatenate(stride_per_row)[:, None]
    if len(grid) != len(raw):
        raise InvalidInput(f"YOLOX output has {len(raw)} rows, expected {len(grid)} for input {width}x{height}")
    return np.column_stack([(raw[:, :2] + grid) * stride, np.exp(raw[:, 2:4]) * stride])


class _OnnxDetector:
    def __init__(self, model: str, score_threshold: float, iou_threshold: float, classes) -> None:
        self.path = resolve_model(model)
        self.session = _session(self.path)
        self.input = self.session.get_inputs()[0]
        self.score_threshold = score_threshold
        self.iou_threshold = iou_threshold
        self.classes = np.asarray(classes)

    def _best_class(self, xyxy, scores, image, scale):
        classes = scores.argmax(axis=1)
        return _finish(
            xyxy, scores[np.arange(len(scores)), classes], classes, image.shape, scale,
            self.classes, self.score_threshold, self.iou_threshold,
        )


class NanoDetDetector(_OnnxDetector):
    """NanoDet (416x416, BGR, per-channel normalised); needs NMS afterwards."""

    MEAN = np.array([103.53, 116.28, 123.675], dtype=np.float32)
    STD = np.array([57.375, 57.12, 58.395], dtype=np.float32)

    def __init__(self, model: str = "nanodet", score_threshold: float = 0.3, iou_threshold: float = 0.5, classes=DEFAULT_CLASSES):
        super().__init__(model, score_threshold, iou_threshold, classes)
        self.size = int(self.input.shape[-1])

    def detect(self, image: np.ndarray) -> Detections:
        image = check_image(image)
        bgr = _resize(image, self.size, self.size)[:, :, ::-1].astype(np.float32)
        tensor = ((bgr - self.MEAN) / self.STD).transpose(2, 0, 1)[None]
        outputs = self.session.run(None, {self.input.name: np.ascontiguousarray(tensor)})
        xyxy, scores = decode_nanodet(outputs, self.size)
        scale = np.array([image.shape[1] / self.size, image.shape[0] / self.size])
        return self._best_class(xyxy, scores, image, scale)


class CenterNetDetector(_OnnxDetector):
    """MobileNetV3 CenterNet (512x512 RGB 0-255); outputs final boxes, NMS only merges duplicates."""

    def __init__(self, model: str = "centernet", score_threshold: float = 0.3, iou_threshold: float = 0.5, classes=DEFAULT_CLASSES):
        super().__init__(model, score_threshold, iou_threshold, classes)
        self.size = int(self.input.shape[1])
        self.output = next(o.name for o in self.session.get_outputs() if o.name.endswith("detections"))

    def detect(self, image: np.ndarray) -> Detections:
        image = check_image(image)
        tensor = _resize(image, self.size, self.size).astype(np.float32)[None]
        (rows,) = self.session.run([self.output], {self.input.name: tensor})
        rows = rows[0].astype(np.float64)
        scale = np.array([image.shape[1] / self.size, image.shape[0] / self.size])
        return _finish(
            rows[:, :4], rows[:, 4], rows[:, 5].astype(np.int64), image.shape, scale,
            self.classes, self.score_threshold, self.iou_threshold,
        )


class YoloOnnxDetector(_OnnxDetector):
    """Any YOLO exported to ONNX with one output (v5/v7/v8/v11, YOLOX). Letterboxed input.

    ``bgr_0_255``: YOLOX expects BGR 0-255; Ultralytics exports expect RGB 0-1.
    """

    def __init__(self, model: str = "yolox_nano", score_threshold: float = 0.3, iou_threshold: float = 0.5,
                 classes=DEFAULT_CLASSES, *, yolox: bool | None = None):
        super().__init__(model, score_threshold, iou_threshold, classes)
        self.height, self.width = (int(v) if isinstance(v, int) else 640 for v in self.input.shape[2:4])
        self.yolox = "yolox" in self.path.name.lower() if yolox is None else yolox

    def detect(self, image: np.ndarray) -> Detections:
        image = check_image(image)
        ratio = min(self.width / image.shape[1], self.height / image.shape[0])
        resized = _resize(image, max(1, round(image.shape[1] * ratio)), max(1, round(image.shape[0] * ratio)))
        canvas = np.full((self.height, self.width, 3), 114, dtype=np.uint8)
        canvas[: resized.shape[0], : resized.shape[1]] = resized
        if self.yolox:
            tensor = canvas[:, :, ::-1].astype(np.float32)
        else:
            tensor = canvas.astype(np.float32) / 255.0
        (raw,) = self.session.run(None, {self.input.name: np.ascontiguousarray(tensor.transpose(2, 0, 1)[None])})[:1]
        xyxy, scores = decode_yolo(raw, (self.height, self.width), yolox_grid=self.yolox)
        return self._best_class(xyxy, scores, image, np.array([1 / ratio, 1 / ratio]))
