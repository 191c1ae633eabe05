"""Detection speed (frames per second) per backend on the broadcast clip, with person counts.

No peer library runs these exact ONNX models, so the figure to compare is onnxruntime's own
session time (``raw``) against our full detect() (pre/post-processing, NMS, tiling overhead).

Run: .venv/bin/python benchmarks/video_detect_fps.py [--frames 30]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from sideline.vision.decode import iter_frames
from sideline.vision.detect.background import BackgroundSubtractionDetector
from sideline.vision.detect.onnx_coco import CenterNetDetector, NanoDetDetector
from sideline.vision.detect.tiling import TiledDetector

ROOT = Path(__file__).resolve().parents[1]
VIDEO = Path(os.environ.get("SIDELINE_SHARED_DATA", ROOT / ".." / "shared" / "data")) / "video" / "football_dfl_08fd33_4_848x478.mp4"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=30)
    args = parser.parse_args()
    frames = [image for index, _, image in iter_frames(VIDEO) if index < args.frames]
    nanodet, centernet = NanoDetDetector(), CenterNetDetector()
    backends = {
        "nanodet": nanodet,
        "centernet": centernet,
        "centernet tiled 320/80": TiledDetector(centernet, tile_size=320, overlap=80),
        "background (MOG2)": BackgroundSubtractionDetector(warmup_frames=0),
    }
    for name, detector in backends.items():
        counts = []
        start = time.perf_counter()
        for image in frames:
            counts.append(len(detector.detect(image)))
        elapsed = time.perf_counter() - start
        print(f"{name:26s} {len(frames) / elapsed:6.1f} fps  {1000 * elapsed / len(frames):7.1f} ms/frame  mean boxes {np.mean(counts):.1f}")
    # Session-only time for the raw model, to show what pre/post-processing costs.
    tensor = np.zeros((1, 512, 512, 3), dtype=np.float32)
    start = time.perf_counter()
    for _ in frames:
        centernet.session.run([centernet.output], {centernet.input.name: tensor})
    raw = (time.perf_counter() - start) / len(frames)
    print(f"centernet onnxruntime session only: {1000 * raw:.1f} ms/frame (ratio detect()/raw shown above)")


if __name__ == "__main__":
    main()
