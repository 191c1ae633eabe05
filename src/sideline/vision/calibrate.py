"""Image -> pitch calibration: a homography from four or more clicked correspondences, then foot
points projected to metres.

Direct linear transform on Hartley-normalised points (least squares for more than four). Input
that cannot define a plane-to-plane mapping is refused with a message saying why: too few points,
three of four on one line (or all on one line), a mapping that folds the pitch over itself, or
points that disagree with each other by more than ``max_residual_m``.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from sideline.errors import InvalidInput


class CalibrationError(InvalidInput):
    code = "invalid_calibration"


@dataclass(frozen=True)
class Homography:
    matrix: np.ndarray  # 3x3, image pixels -> pitch metres
    residuals_m: np.ndarray  # per correspondence, after the fit

    def to_pitch(self, image_points: np.ndarray) -> np.ndarray:
        return _apply(self.matrix, image_points)

    def to_image(self, pitch_points: np.ndarray) -> np.ndarray:
        return _apply(np.linalg.inv(self.matrix), pitch_points)

    def foot_positions(self, xyxy: np.ndarray) -> np.ndarray:
        """[N, 2] pitch metres of the bottom-centre of each box (where a player stands)."""
        xyxy = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
        return self.to_pitch(np.column_stack([(xyxy[:, 0] + xyxy[:, 2]) / 2, xyxy[:, 3]]))


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    projected = np.column_stack([points, np.ones(len(points))]) @ matrix.T
    return projected[:, :2] / projected[:, 2:3]


def _normaliser(points: np.ndarray) -> np.ndarray:
    centre = points.mean(axis=0)
    spread = np.sqrt(((points - centre) ** 2).sum(axis=1)).mean()
    scale = np.sqrt(2) / spread
    return np.array([[scale, 0, -scale * centre[0]], [0, scale, -scale * centre[1]], [0, 0, 1]])


def _check_spread(points: np.ndarray, what: str, tolerance: float) -> None:
    centred = points - points.mean(axis=0)
    singular = np.linalg.svd(centred, compute_uv=False)
    if singular[0] == 0 or singular[1] / singular[0] < tolerance:
        raise CalibrationError(f"calibration: the {what} points all lie on one line; pick points spread over the pitch")
    if len(points) == 4:
        for triple in combinations(range(4), 3):
            a, b, c = points[list(triple)]
            area = abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])) / 2
            size = max(np.ptp(points[:, 0]), np.ptp(points[:, 1])) ** 2
            if area < tolerance * size:
                raise CalibrationError(
                    f"calibration: {what} points {[i + 1 for i in triple]} are on one line; with four points no three may be"
                )


def fit_homography(image_points, pitch_points, *, max_residual_m: float = 2.0, collinear_tolerance: float = 0.02) -> Homography:
    """Homography image->pitch from N >= 4 matching points (pixels, metres)."""
    image = np.asarray(image_points, dtype=np.float64)
    pitch = np.asarray(pitch_points, dtype=np.float64)
    if image.ndim != 2 or image.shape[1:] != (2,) or pitch.shape != image.shape:
        raise CalibrationError(
            f"calibration: need two matching lists of (x, y) points, got shapes {image.shape} and {pitch.shape}"
        )
    if len(image) < 4:
        raise CalibrationError(f"calibration: need at least 4 point pairs, got {len(image)}")
    if not (np.isfinite(image).all() and np.isfinite(pitch).all()):
        raise CalibrationError("calibration: points must be finite numbers")
    _check_spread(image, "image", collinear_tolerance)
    _check_spread(pitch, "pitch", collinear_tolerance)
    norm_image, norm_pitch = _normaliser(image), _normaliser(pitch)
    a = _apply(norm_image, image)
    b = _apply(norm_pitch, pitch)
    zeros, ones = np.zeros(len(a)), np.ones(len(a))
    rows_x = np.column_stack([-a[:, 0], -a[:, 1], -ones, zeros, zeros, zeros, b[:, 0] * a[:, 0], b[:, 0] * a[:, 1], b[:, 0]])
    rows_y = np.column_stack([zeros, zeros, zeros, -a[:, 0], -a[:, 1], -ones, b[:, 1] * a[:, 0], b[:, 1] * a[:, 1], b[:, 1]])
    _, _, vt = np.linalg.svd(np.vstack([rows_x, rows_y]))
    matrix = np.linalg.inv(norm_pitch) @ vt[-1].reshape(3, 3) @ norm_image
    matrix /= matrix[2, 2] if abs(matrix[2, 2]) > 1e-12 else np.linalg.norm(matrix)
    # Every clicked point must be on the same side of the horizon line; otherwise the mapping
    # folds the pitch and the points were given in inconsistent order.
    w = np.column_stack([image, np.ones(len(image))]) @ matrix[2]
    if not (np.all(w > 0) or np.all(w < 0)):
        raise CalibrationError("calibration: the points are inconsistent (the mapping would fold the pitch); check their order")
    homography = Homography(matrix, np.linalg.norm(_apply(matrix, image) - pitch, axis=1))
    worst = int(np.argmax(homography.residuals_m))
    if homography.residuals_m[worst] > max_residual_m:
        raise CalibrationError(
            f"calibration: point {worst + 1} disagrees with the others by {homography.residuals_m[worst]:.1f} m "
            f"(limit {max_residual_m} m); re-click it or remove it"
        )
    return homography
