"""Finding the ball in wide shots: a low score threshold for the ball class only, then a prior on
what a broadcast ball looks like (small, roughly round, bright and colourless) to throw out the
false positives that threshold lets in (boots, heads, line crossings, advert letters).

COCO detectors see a 5-10 px ball at scores of 0.1-0.4, under the 0.3 that keeps people clean; the
ball Kalman tracker (``sideline.vision.track.ball``) bridges the frames where it is still missed.
"""

from __future__ import annotations

import numpy as np

from sideline.vision.detect.base import PERSON, SPORTS_BALL, Detections, Detector, check_image


def ball_prior(image: np.ndarray, xyxy: np.ndarray, *, min_side: float = 2.0, max_side: float = 24.0,
               max_aspect: float = 2.0, min_value: int = 150, max_saturation: int = 110) -> np.ndarray:
    """[N] bool: boxes small and roughly square whose brightest central pixels are near-white."""
    import cv2

    xyxy = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    if not len(xyxy):
        return np.zeros(0, dtype=bool)
    size = xyxy[:, 2:] - xyxy[:, :2]
    side_ok = (size.min(axis=1) >= min_side) & (size.max(axis=1) <= max_side)
    aspect_ok = size.max(axis=1) <= max_aspect * np.maximum(size.min(axis=1), 1e-6)
    # Sample a 5x5 grid over the box's central half: the ball's brightest pixels, not the grass around it.
    height, width = image.shape[:2]
    steps = np.linspace(0.25, 0.75, 5)
    xs = np.clip((xyxy[:, [0]] + size[:, [0]] * steps[None]).astype(int), 0, width - 1)  # [N, 5]
    ys = np.clip((xyxy[:, [1]] + size[:, [1]] * steps[None]).astype(int), 0, height - 1)
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
    samples = hsv[ys[:, :, None], xs[:, None, :]].reshape(len(xyxy), -1, 3)  # [N, 25, 3]
    brightest = np.argmax(samples[:, :, 2], axis=1)
    top = samples[np.arange(len(xyxy)), brightest]
    colour_ok = (top[:, 2] >= min_value) & (top[:, 1] <= max_saturation)
    return side_ok & aspect_ok & colour_ok


class BallAware:
    """Wraps a detector run at a low threshold: people kept from ``person_threshold``, ball
    candidates from ``ball_threshold`` that pass ``ball_prior``."""

    def __init__(self, inner: Detector, *, person_threshold: float = 0.3, ball_threshold: float = 0.3,
                 prior: bool = True) -> None:
        self.inner = inner
        self.person_threshold = person_threshold
        self.ball_threshold = ball_threshold
        self.prior = prior

    def detect(self, image: np.ndarray) -> Detections:
        image = check_image(image)
        found = self.inner.detect(image)
        person = (found.class_id == PERSON) & (found.confidence >= self.person_threshold)
        ball = (found.class_id == SPORTS_BALL) & (found.confidence >= self.ball_threshold)
        if self.prior and ball.any():
            ball[ball] = ball_prior(image, found.xyxy[ball])
        return found[person | ball]
