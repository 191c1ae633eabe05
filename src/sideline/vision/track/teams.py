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


PLAYER, GOALKEEPER, OFFICIAL = "player", "goalkeeper", "official"


def assign_roles(histograms: np.ndarray, *, seed: int = 0, spread: float = 3.0,
                 min_gap: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Teams and roles from kit histograms: ([N] team 0/1 or -1, [N] role).

    Two outfield kits dominate a football picture; goalkeepers and officials wear kits that match
    neither. So: k-means into two teams, then a kit far from both team centres (beyond ``spread``
    robust deviations of the team's own kits, and at least ``min_gap`` in Hellinger distance) is
    not a team player. Such kits that resemble each other (nearer to each other than half their
    distance to a team) belong to officials (referee and assistants dress alike); a kit like no
    other is a goalkeeper's (team unknown: -1; the user
    sets it, and which end they guard would tell). The centres are refitted without the
    outliers so that they do not pull the teams apart. A small crowd of kits cannot be
    separated this way: with fewer than six tracks everyone is a player.
    """
    features = np.sqrt(np.asarray(histograms, dtype=np.float64))
    labels = assign_teams(histograms, seed=seed)
    roles = np.full(len(features), PLAYER, dtype=object)
    if len(features) < 6:
        return labels, roles
    outlier = np.zeros(len(features), dtype=bool)
    for _ in range(2):  # fit, drop the far kits, refit on the rest
        inliers = ~outlier
        if np.bincount(labels[inliers], minlength=2).min() < 2:
            break
        centres = np.stack([features[inliers & (labels == k)].mean(axis=0) for k in (0, 1)])
        distance = np.linalg.norm(features[:, None, :] - centres[None], axis=2)  # [N, 2]
        labels = np.argmin(distance, axis=1)
        own = distance[np.arange(len(features)), labels]
        limit = np.empty(2)
        for k in (0, 1):
            members = own[inliers & (labels == k)]
            median = np.median(members)
            mad = np.median(np.abs(members - median)) * 1.4826
            limit[k] = max(median + spread * max(mad, 0.02), min_gap)
        outlier = own > limit[labels]
        if outlier.sum() > len(features) // 3:  # not outliers: the clustering itself failed
            return assign_teams(histograms, seed=seed), np.full(len(features), PLAYER, dtype=object)
    if not outlier.any():
        return labels, roles
    odd = np.flatnonzero(outlier)
    pair = np.linalg.norm(features[odd][:, None] - features[odd][None], axis=2)
    # Alike: nearer to each other than half their distance to the nearer team (scale-free; dark
    # kits' hue bins are noisy, so an absolute gap would split two referees in black).
    near_team = own[odd]
    alike = (pair < 0.5 * np.minimum(near_team[:, None], near_team[None, :])).sum(axis=1) > 1  # itself + another
    roles[odd] = np.where(alike, OFFICIAL, GOALKEEPER)
    labels = labels.copy()
    labels[odd] = -1
    return labels, roles
