"""Tracker quality on SportsMOT football ground truth (degraded, seeded), scored by TrackEval.

Same detections for every tracker: roboflow ``trackers`` ByteTrack (our adapter), the same plus our
re-linking, and supervision 0.26's ByteTrack (a separate implementation; supervision >= 0.27 no
longer ships one, so it is loaded from an isolated folder: ``pip install --no-deps --target
.venv/peers/supervision_0_26 supervision==0.26.1``, or set SIDELINE_PEER_SUPERVISION).

Run: .venv/bin/python benchmarks/tracking_eval.py [--seed 7]
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

import numpy as np

from sideline.vision.track.bytetrack import ByteTrack, track_table
from sideline.vision.track.evaluate import degrade, load_mot, mot_metrics
from sideline.vision.track.relink import relink

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SIDELINE_SHARED_DATA", ROOT / ".." / "shared" / "data")) / "mot" / "sportsmot"
PEER = Path(os.environ.get("SIDELINE_PEER_SUPERVISION", ROOT / ".venv" / "peers" / "supervision_0_26"))


def load_old_supervision(path: Path):
    """Import supervision 0.26 from ``path`` without disturbing the installed (newer) one."""
    saved = {k: v for k, v in sys.modules.items() if k == "supervision" or k.startswith("supervision.")}
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(path))
    try:
        return importlib.import_module("supervision")
    finally:
        sys.path.remove(str(path))
        for name in [k for k in sys.modules if k == "supervision" or k.startswith("supervision.")]:
            del sys.modules[name]
        sys.modules.update(saved)


class SupervisionByteTrack:
    def __init__(self, old) -> None:
        self.old = old
        self.tracker = old.ByteTrack(frame_rate=25, track_activation_threshold=0.6, lost_track_buffer=25,
                                     minimum_consecutive_frames=2, minimum_matching_threshold=0.8)

    def update(self, detections):
        import supervision as sv

        result = self.tracker.update_with_detections(
            self.old.Detections(xyxy=detections.xyxy, confidence=detections.confidence, class_id=detections.class_id))
        return sv.Detections(xyxy=result.xyxy, confidence=result.confidence, class_id=result.class_id, tracker_id=result.tracker_id)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    old = load_old_supervision(PEER) if PEER.is_dir() else None
    if old is None:
        print(f"supervision 0.26 not found at {PEER}; peer column skipped")
    totals: dict[str, list] = {}
    for gt_path in sorted(DATA.glob("*_gt.txt")):
        gt = load_mot(gt_path)
        detections = degrade(gt, seed=args.seed)
        runs = {}
        start = time.perf_counter()
        runs["trackers ByteTrack"] = track_table(detections, ByteTrack(frame_rate=25))
        bt_time = time.perf_counter() - start
        start = time.perf_counter()
        runs["trackers ByteTrack + relink"] = relink(runs["trackers ByteTrack"])
        relink_time = time.perf_counter() - start
        if old is not None:
            start = time.perf_counter()
            runs["supervision 0.26 ByteTrack"] = track_table(detections, SupervisionByteTrack(old))
            sv_time = time.perf_counter() - start
            runs["supervision 0.26 ByteTrack + relink"] = relink(runs["supervision 0.26 ByteTrack"])
        frames = int(gt.frame.max())
        print(f"\n{gt_path.name.removesuffix('_gt.txt')}: {frames} frames, {len(np.unique(gt.track_id))} identities, "
              f"{len(detections)} degraded detections (seed {args.seed})")
        print(f"  time: trackers ByteTrack {bt_time:.2f} s ({frames / bt_time:.0f} fps), relink {relink_time * 1000:.0f} ms"
              + (f", supervision ByteTrack {sv_time:.2f} s (ratio ours/peer {bt_time / sv_time:.2f})" if old else ""))
        for name, table in runs.items():
            metrics = mot_metrics(gt, table)
            totals.setdefault(name, []).append(metrics)
            print(f"  {name:38s} HOTA {metrics['HOTA']:.3f}  MOTA {metrics['MOTA']:.3f}  IDF1 {metrics['IDF1']:.3f}  "
                  f"IDSW {metrics['IDSW']:4d}  tracks {metrics['tracks']}")
    print("\nmean over sequences:")
    for name, rows in totals.items():
        print(f"  {name:38s} " + "  ".join(f"{k} {np.mean([r[k] for r in rows]):.3f}" for k in ("HOTA", "MOTA", "IDF1")))


if __name__ == "__main__":
    main()
