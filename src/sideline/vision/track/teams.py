"""Kit colours: a hue-saturation histogram of each player's shirt, and teams by clustering them.

The shirt is the box's upper-middle part (head, shorts, legs and the grass beside the player mostly
left out). Green and white pixels are kept, since a green or white kit is a kit too; clustering
separates what differs between players.
"""

from __future__ import annotations

import numpy as np

from sideline.errors import InvalidInput
from sideline.vision.detect.base import check_image

HUE_BINS, SAT_BINS, VAL_BINS = 12, 4, 4


def kit_histograms(image: np.ndarray, xyxy: np.ndarray) -> np.ndarray:
    """[N, HUE_BINS*SAT_BINS*VAL_BINS] normalised HSV histograms of each box's shirt region."""
    import cv2

    image = check_image(image)
    xyxy = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
    height, width = image.shape[:2]
    out = np.zeros((len(xyxy), HUE_BINS * SAT_BINS * VAL_BINS))
    box_w, box_h = xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]
    # Shirt: 15-50 % of the height, middle 60 % of the width.
    x0 = np.clip(xyxy[:, 0] + 0.2 * box_w, 0, width - 1).astype(int)
    x1 = np.clip(xyxy[:, 2] - 0.2 * box_w, 1, width).astype(int)
    y0 = np.clip(xyxy[:, 1] + 0.15 * box_h, 0, height - 1).astype(int)
    y1 = np.clip(xyxy[:, 1] + 0.5 * box_h, 1, height).astype(int)
    for i in range(len(xyxy)):  # one small crop per player
        crop = hsv[y0[i]: max(y1[i], y0[i] + 1), x0[i]: max(x1[i], x0[i] + 1)].reshape(-1, 3).astype(int)
        code = (crop[:, 0] * HUE_BINS // 180) * SAT_BINS * VAL_BINS + (crop[:, 1] * SAT_BINS // 256) * VAL_BINS + crop[:, 2] * VAL_BINS // 256
        counts = np.bincount(code, minlength=out.shape[1]).astype(float)
        out[i] = counts / max(counts.sum(), 1)
    return out


def assign_teams(histograms: np.ndarray, *, teams: int = 2, seed: int = 0) -> np.ndarray:
    """[N] team labels 0..teams-1 by k-means on square-rooted histograms (Hellinger geometry)."""
    from scipy.cluster.vq import kmeans2

    histograms = np.asarray(histograms, dtype=np.float64)
    if histograms.ndim != 2 or len(histograms) < teams:
        raise InvalidInput(f"team assignment: need at least {teams} players' histograms, got {histograms.shape}")
    features = np.sqrt(histograms)
    _, labels = kmeans2(features, teams, seed=seed, minit="++")
    return labels
