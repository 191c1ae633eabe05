"""How fast the 2D match player gets its data: latency and size of 60 s binary frame chunks of
the full SkillCorner match, at random points of the match (what scrubbing asks for), against
the same frames as JSON from the same stored Parquet (the naive alternative).

Runs a real `sideline serve` on a scratch home with the demo match imported, and requests
over loopback from this process:

    .venv/bin/python benchmarks/football_frames.py [--requests 200]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sideline.api.football_wire import decode_frames  # noqa: E402
from tests.conftest import start_server  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        t0 = time.perf_counter()
        server = start_server(Path(home))  # runs `sideline demo`: imports the full SkillCorner match
        print(f"demo set-up incl. full-match import: {time.perf_counter() - t0:.1f} s")
        try:
            client = httpx.Client(base_url=server.url, timeout=30)
            token = client.post("/api/v1/auth/login", json={"email": server.demo_email,
                                                           "password": server.demo_password}).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            org = client.get("/api/v1/orgs").json()["items"][0]["id"]
            match = client.get(f"/api/v1/orgs/{org}/matches").json()["items"][0]
            detail = client.get(f"/api/v1/orgs/{org}/matches/{match['id']}").json()
            end = detail["periods"][-1]["end_s"]
            url = f"/api/v1/orgs/{org}/matches/{match['id']}/frames"
            rng = random.Random(7)
            binary_ms, binary_bytes, wire_bytes, json_bytes, frames = [], [], [], [], []
            for _ in range(args.requests):
                start = rng.uniform(0, end - 60)
                t = time.perf_counter()
                r = client.get(url, params={"t0": start, "t1": start + 60})
                binary_ms.append((time.perf_counter() - t) * 1000)
                r.raise_for_status()
                binary_bytes.append(len(r.content))
                wire_bytes.append(r.num_bytes_downloaded)  # gzip on the wire
                block = decode_frames(r.content)
                frames.append(len(block["t"]))
                as_json = json.dumps({"t": block["t"].tolist(),
                                      "xy": np.where(np.isnan(block["xy"]), None, block["xy"]).tolist()})
                json_bytes.append(len(as_json))
            print(f"players: {len(detail['players'])}, frames per 60 s chunk: median {statistics.median(frames):.0f}")
            print(f"binary chunk latency over loopback: p50 {percentile(binary_ms, 50):.1f} ms, "
                  f"p99 {percentile(binary_ms, 99):.1f} ms, max {max(binary_ms):.1f} ms ({args.requests} random seeks)")
            print(f"chunk size: binary median {statistics.median(binary_bytes) / 1024:.0f} KiB, "
                  f"same frames as JSON {statistics.median(json_bytes) / 1024:.0f} KiB "
                  f"(ratio {statistics.median(json_bytes) / statistics.median(binary_bytes):.1f}x); "
                  f"on the wire (gzip) {statistics.median(wire_bytes) / 1024:.0f} KiB")
        finally:
            server.process.terminate()
            server.process.wait(10)


if __name__ == "__main__":
    main()
