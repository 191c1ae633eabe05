"""Full SkillCorner match import: sideline's fast reader vs kloppy (+ kloppy's transform to the
same canonical coordinates). Each runs in its own subprocess so its peak RSS is its own.

    .venv/bin/python benchmarks/football_ingest.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FAST = """
from sideline.ingest.football import load_match
match = load_match("skillcorner", {"meta_data": META, "raw_data": RAW})
frames = match.tracking.n_frames
"""
KLOPPY = """
from kloppy import skillcorner
from kloppy.domain import Orientation
dataset = skillcorner.load(meta_data=META, raw_data=RAW)
dataset = dataset.transform(to_coordinate_system="secondspectrum", to_orientation=Orientation.STATIC_HOME_AWAY)
frames = len(dataset.records)
"""
HARNESS = """
import json, resource, time
META, RAW = {meta!r}, {raw!r}
start = time.perf_counter()
{body}
wall = time.perf_counter() - start
print(json.dumps({{"wall_s": wall, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "frames": frames}}))
"""


def measure(body: str, meta: Path, raw: Path) -> dict:
    code = HARNESS.format(meta=str(meta), raw=str(raw), body=body)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=os.environ.get("SIDELINE_SHARED_DATA", ROOT.parent / "shared" / "data"))
    parser.add_argument("--repeat", type=int, default=3, help="runs of the fast reader (best and median shown)")
    args = parser.parse_args()
    folder = Path(args.data) / "football" / "tracking" / "skillcorner_bayern_dortmund_2019"
    meta, raw = folder / "skillcorner_match_data.json", folder / "skillcorner_structured_data.json"
    fast_runs = sorted((measure(FAST, meta, raw) for _ in range(args.repeat)), key=lambda r: r["wall_s"])
    kloppy = measure(KLOPPY, meta, raw)
    fast = fast_runs[len(fast_runs) // 2]
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 shared cores)")
    print(f"sideline fast reader: {fast['wall_s']:.2f} s median of {args.repeat} (best {fast_runs[0]['wall_s']:.2f} s), "
          f"peak RSS {fast['peak_rss_mb']:.0f} MB, {fast['frames']} frames")
    print(f"kloppy load+transform: {kloppy['wall_s']:.2f} s, peak RSS {kloppy['peak_rss_mb']:.0f} MB, "
          f"{kloppy['frames']} frames")
    print(f"ratio (kloppy / sideline): time {kloppy['wall_s'] / fast['wall_s']:.1f}x, "
          f"peak memory {kloppy['peak_rss_mb'] / fast['peak_rss_mb']:.1f}x")


if __name__ == "__main__":
    main()
