"""Accuracy of homography propagation on the DFL broadcast clip (issue 6), not a speed benchmark.

Two keyframes were calibrated by hand (tests/video/labels/dfl_keyframes.json: frames 0 and 168, the
camera pans about one picture width and zooms 1.7x in between). Each keyframe's homography is
carried to the other one through the estimated camera motion and compared with the points marked
there, in metres on the pitch and in pixels; for each feature region (``scene``: the whole picture
without people and still graphics, the default; ``pitch``: grass only) and with the held homography
(no motion) as the floor to beat. The labels' own consistency (each point against a homography
fitted to all points of its frame) is printed as the noise floor.

Run: .venv/bin/python benchmarks/video_calibration_eval.py
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from sideline.vision.calibrate import fit_homography
from sideline.vision.calibrate_propagate import MotionOptions, apply_homographies, estimate_motion, propagate
from sideline.vision.decode import iter_frames

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SIDELINE_SHARED_DATA", ROOT / ".." / "shared" / "data"))
LABELS = ROOT / "tests" / "video" / "labels" / "dfl_keyframes.json"


def errors(matrix: np.ndarray, image: np.ndarray, pitch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(image)
    metres = np.linalg.norm(apply_homographies(np.repeat(matrix[None], n, 0), image) - pitch, axis=1)
    pixels = np.linalg.norm(apply_homographies(np.repeat(np.linalg.inv(matrix)[None], n, 0), pitch) - image, axis=1)
    return metres, pixels


def line(label: str, metres: np.ndarray, pixels: np.ndarray) -> str:
    return (f"{label:44s} median {np.median(metres):5.2f} m, max {metres.max():5.2f} m;"
            f" median {np.median(pixels):5.1f} px, max {pixels.max():5.1f} px")


def main() -> None:
    labels = json.loads(LABELS.read_text())
    marks = {k["frame"]: (np.array([p["image"] for p in k["points"]]), np.array([p["pitch"] for p in k["points"]]))
             for k in labels["keyframes"]}
    first, last = min(marks), max(marks)
    fitted = {f: fit_homography(*marks[f]) for f in marks}
    for f in marks:
        own = errors(fitted[f].matrix, *marks[f])
        print(line(f"labels' own fit, frame {f}", *own))
    frames = [image for _, _, image in iter_frames(DATA / labels["video"])]
    size = (frames[0].shape[1], frames[0].shape[0])
    print(line(f"held frame {first} homography at frame {last}", *errors(fitted[first].matrix, *marks[last])))
    for region in ("scene", "pitch"):
        start = time.perf_counter()
        motion = estimate_motion(((image, None) for image in frames), options=MotionOptions(region=region))
        elapsed = time.perf_counter() - start
        forward = propagate(motion, {first: fitted[first].matrix}, size=size)
        backward = propagate(motion, {last: fitted[last].matrix}, size=size)
        both = propagate(motion, {first: fitted[first].matrix, last: fitted[last].matrix}, size=size)
        print(f"region {region}: {1000 * elapsed / len(frames):.0f} ms/frame, median inliers "
              f"{np.median(motion.inliers[1:]):.0f}, median step error {np.nanmedian(motion.error_px[1:]):.2f} px")
        print(line(f"  frame {first} -> {last} (forward)", *errors(forward.matrix[last], *marks[last])))
        print(line(f"  frame {last} -> {first} (backward)", *errors(backward.matrix[first], *marks[first])))
        print(f"  closure error with both keyframes: {both.closure_m[last]:.2f} m; estimated drift mid-way "
              f"{both.drift_m[(first + last) // 2]:.2f} m; forward-only estimated drift at {last}: "
              f"{forward.drift_m[last]:.2f} m")


if __name__ == "__main__":
    main()
