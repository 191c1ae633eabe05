"""MoveNet MultiPose (17 COCO keypoints, up to 6 people) on onnxruntime.

The frame is padded to a square (bottom/right, so coordinates need no shift), resized to
``input_size`` and fed as int32 RGB; each of the 6 output rows holds 17 x (y, x, score)
normalised to the padded square, then a box (ymin, xmin, ymax, xmax, score). No depth: z is NaN.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from sideline.core.pose import COCO_KEYPOINTS
from sideline.errors import InvalidInput
from sideline.vision.pose.base import PersonPose, PoseBackend
from sideline.vision.pose.models import model_path


class MoveNet(PoseBackend):
    name = "movenet-multipose"
    keypoint_names = COCO_KEYPOINTS

    def __init__(self, *, input_size: int = 256, min_score: float = 0.2, num_threads: int = 2):
        import onnxruntime as ort

        if input_size % 32:
            raise InvalidInput(f"MoveNet input_size must be a multiple of 32, got {input_size}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = num_threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(model_path("movenet_multipose")), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        self.input_size = input_size
        self.min_score = min_score
        self.reset()

    def detect(self, image: np.ndarray) -> list[PersonPose]:
        height, width = image.shape[:2]
        side = max(height, width)
        scale = self.input_size / side
        resized = Image.fromarray(image).resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.BILINEAR)
        canvas = np.zeros((1, self.input_size, self.input_size, 3), np.int32)
        canvas[0, : resized.height, : resized.width] = np.asarray(resized)
        rows = self._session.run(None, {self._input: canvas})[0][0]  # [6, 56]
        people = []
        for row in rows[rows[:, 55] >= self.min_score]:  # at most 6 rows
            keypoints = row[:51].reshape(17, 3)
            xyz = np.stack([keypoints[:, 1] * side, keypoints[:, 0] * side, np.full(17, np.nan)], axis=1)
            people.append(PersonPose(xyz, keypoints[:, 2].astype(float), float(row[55])))
        return people
