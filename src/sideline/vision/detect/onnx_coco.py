"""COCO-80 detectors on onnxruntime: NanoDet, CenterNet and YOLO-family exports (v5/v8/YOLOX).

Each backend resizes the frame to its network input, runs one session (CUDA when onnxruntime
offers it, else CPU) and maps boxes back to frame pixels. Decoding is split into pure functions
so it is testable without a model file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sideline.errors import InvalidInput
from sideline.vision.detect.base import PERSON, SPORTS_BALL, Detections, check_image, non_max_suppression
from sideline.vision.detect.models import resolve_model

DEFAULT_CLASSES = (PERSON, SPORTS_BALL)


def _session(path, display_name: str | None = None):
    import onnxruntime as ort

    wanted = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in ort.get_available_providers()]
    try:
        return ort.InferenceSession(str(path), providers=wanted)
    except Exception as exc:  # onnxruntime raises its own unexported exception types
        raise InvalidInput(f"{display_name or path.name!r} is not a loadable ONNX model: {exc.__class__.__name__}") from None


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
    def __init__(self, model: str, score_threshold: float, iou_threshold: float, classes,
                 display_name: str | None = None) -> None:
        self.path = resolve_model(model)
        self.session = _session(self.path, display_name)
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


YOLO_STRIDES = (8, 16, 32)
PERSON_NAMES = {"person", "people", "pedestrian", "player", "goalkeeper", "referee"}
BALL_NAMES = {"ball", "sports ball", "sports_ball", "football", "soccer ball"}


@dataclass(frozen=True)
class YoloLayout:
    """What an ONNX file's shapes say about how to run and decode it."""

    kind: str  # "v8" ([1, 4+C, K]), "v5" ([1, K, 5+C], anchors), "yolox" ([1, K, 5+C], grid decode needed)
    height: int
    width: int
    classes: int
    class_map: np.ndarray  # model class index -> COCO-80 id (-1: a class we do not use)


def _class_map(names: dict[int, str] | None, count: int) -> np.ndarray:
    if count == 80 and not names:
        return np.arange(80)  # a COCO-80 model: ids are already ours
    if not names:
        raise InvalidInput(f"the model has {count} classes but no class names in its metadata: export a COCO-80 "
                           "model, or an Ultralytics export (it stores the names)")
    mapping = np.full(count, -1)
    for index, name in names.items():
        label = str(name).strip().lower()
        if 0 <= int(index) < count:
            mapping[int(index)] = PERSON if label in PERSON_NAMES else SPORTS_BALL if label in BALL_NAMES else -1
    if not (mapping >= 0).any():
        raise InvalidInput(f"none of the model's classes ({', '.join(map(str, names.values()))}) is a person or a ball")
    return mapping


def _metadata_names(session) -> dict[int, str] | None:
    """Ultralytics exports store ``names`` as a Python dict literal in the ONNX metadata."""
    import ast

    raw = session.get_modelmeta().custom_metadata_map.get("names")
    if not raw:
        return None
    try:
        names = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return None
    if isinstance(names, list):
        names = dict(enumerate(names))
    return {int(k): str(v) for k, v in names.items()} if isinstance(names, dict) else None


def inspect_yolo(session, filename: str = "model") -> YoloLayout:
    """The YOLO layout of a loaded session, or InvalidInput naming what does not fit.

    Runs one blank frame through the model: the output's real shape is what counts (exports often
    leave dimensions symbolic).
    """
    inputs = session.get_inputs()
    if len(inputs) != 1 or len(inputs[0].shape) != 4:
        shapes = [i.shape for i in inputs]
        raise InvalidInput(f"{filename}: expected one image input [1, 3, H, W], got {shapes}")
    _, channels, height, width = inputs[0].shape
    if isinstance(channels, int) and channels != 3:
        raise InvalidInput(f"{filename}: the input has {channels} channels, expected 3 (an RGB image)")
    height = height if isinstance(height, int) else 640
    width = width if isinstance(width, int) else 640
    if height % 32 or width % 32:
        raise InvalidInput(f"{filename}: input {width}x{height} is not a multiple of 32 (not a YOLO model?)")
    try:
        raw = session.run(None, {inputs[0].name: np.zeros((1, 3, height, width), np.float32)})[0]
    except Exception as exc:  # onnxruntime's own exception types
        raise InvalidInput(f"{filename}: the model does not run on a 1x3x{height}x{width} image "
                           f"({exc.__class__.__name__})") from None
    raw = np.asarray(raw)
    cells = sum((height // s) * (width // s) for s in YOLO_STRIDES)
    if raw.ndim != 3 or raw.shape[0] != 1:
        raise InvalidInput(f"{filename}: output shape {list(raw.shape)} is not a YOLO layout "
                           "([1, 4+classes, boxes] or [1, boxes, 5+classes])")
    rows, cols = raw.shape[1:]
    if cols == cells and rows > 4:
        kind, count = "v8", rows - 4
    elif rows == cells and cols > 5:
        kind, count = "yolox", cols - 5
    elif rows == 3 * cells and cols > 5:
        kind, count = "v5", cols - 5
    else:
        raise InvalidInput(
            f"{filename}: output shape {list(raw.shape)} matches no supported YOLO layout for a {width}x{height} "
            f"input: v8/v11 [1, 4+classes, {cells}], YOLOX [1, {cells}, 5+classes], v5/v7 [1, {3 * cells}, 5+classes]"
            " (export without NMS)")
    return YoloLayout(kind, height, width, count, _class_map(_metadata_names(session), count))


class YoloOnnxDetector(_OnnxDetector):
    """Any YOLO exported to ONNX with one output (v5/v7/v8/v11, YOLOX). Letterboxed input.

    The layout is read from the output's shape (``inspect_yolo``); YOLOX expects BGR 0-255,
    Ultralytics exports RGB 0-1. Custom class sets are mapped to person / ball by their names.
    """

    def __init__(self, model: str = "yolox_nano", score_threshold: float = 0.3, iou_threshold: float = 0.5,
                 classes=DEFAULT_CLASSES, *, display_name: str | None = None):
        super().__init__(model, score_threshold, iou_threshold, classes, display_name)
        self.layout = inspect_yolo(self.session, display_name or self.path.name)
        self.height, self.width = self.layout.height, self.layout.width
        self.yolox = self.layout.kind == "yolox"

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
        best = scores.argmax(axis=1)
        return _finish(
            xyxy, scores[np.arange(len(scores)), best], self.layout.class_map[best], image.shape,
            np.array([1 / ratio, 1 / ratio]), self.classes, self.score_threshold, self.iou_threshold,
        )
