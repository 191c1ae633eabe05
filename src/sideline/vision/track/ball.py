"""The ball: one object, small, often missed. A constant-velocity Kalman filter in pixels picks
the detection nearest its prediction (gated) and bridges missed frames with the prediction for up
to ``max_missing`` frames before declaring the ball lost.
"""

from __future__ import annotations

import numpy as np

from sideline.errors import InvalidInput


class BallTracker:
    def __init__(self, *, gate_px: float = 60.0, max_missing: int = 12, process_noise: float = 4.0,
                 measurement_noise: float = 3.0) -> None:
        self.gate_px = gate_px
        self.max_missing = max_missing
        self.transition = np.eye(4)
        self.transition[0, 2] = self.transition[1, 3] = 1.0
        self.observe = np.eye(2, 4)
        self.process = np.diag([1, 1, 1, 1]) * process_noise**2 * np.array([0.25, 0.25, 1, 1])
        self.measurement = np.eye(2) * measurement_noise**2
        self.state: np.ndarray | None = None
        self.covariance = np.eye(4)
        self.missing = 0

    def update(self, candidates: np.ndarray, scores: np.ndarray | None = None) -> tuple[np.ndarray, bool]:
        """Feed this frame's ball candidates [K, 2] (centres, pixels); returns (position or NaNs, was_measured)."""
        candidates = np.asarray(candidates, dtype=np.float64).reshape(-1, 2)
        if scores is not None and len(scores) != len(candidates):
            raise InvalidInput(f"ball tracker: {len(scores)} scores for {len(candidates)} candidates")
        if self.state is None:
            if not len(candidates):
                return np.full(2, np.nan), False
            best = int(np.argmax(scores)) if scores is not None else 0
            self.state = np.array([*candidates[best], 0.0, 0.0])
            self.covariance = np.diag([9.0, 9.0, 100.0, 100.0])
            return candidates[best].copy(), True
        self.state = self.transition @ self.state
        self.covariance = self.transition @ self.covariance @ self.transition.T + self.process
        predicted = self.state[:2]
        # Gate widens while the ball is unseen, since the prediction gets less certain.
        gate = self.gate_px * (1 + 0.5 * self.missing)
        distance = np.linalg.norm(candidates - predicted, axis=1) if len(candidates) else np.empty(0)
        if len(distance) and distance.min() <= gate:
            measured = candidates[int(np.argmin(distance))]
            innovation = self.covariance[:2, :2] + self.measurement
            gain = self.covariance[:, :2] @ np.linalg.inv(innovation)
            self.state = self.state + gain @ (measured - predicted)
            self.covariance = (np.eye(4) - gain @ self.observe) @ self.covariance
            self.missing = 0
            return self.state[:2].copy(), True
        self.missing += 1
        if self.missing > self.max_missing:
            self.state = None  # lost: re-acquire from the next detection anywhere
            self.missing = 0
            return np.full(2, np.nan), False
        return predicted.copy(), False


def track_ball(candidates_per_frame: list[np.ndarray], **options) -> tuple[np.ndarray, np.ndarray]:
    """Whole sequence: ([T, 2] positions, NaN where lost; [T] True where a detection was used)."""
    tracker = BallTracker(**options)
    results = [tracker.update(c) for c in candidates_per_frame]
    return np.array([r[0] for r in results]).reshape(-1, 2), np.array([r[1] for r in results], dtype=bool)
