#!/usr/bin/env python3
"""F1 live-timing replay benchmark: how fast the engine replays a whole race.

On the 2018 Azerbaijan GP feed (24,237 messages, 8 streams), measured in one run:

1. parse: the session folder read and parsed into time-ordered messages (``read_recording``);
2. state: every message applied to ``SessionState`` (deltas built), time per message p50/p99;
3. end to end: the live path (``recording_lines`` -> ``live_messages``) paced by
   ``ReplayClock(speed=None)`` into the state machine, as a replay job would run it;
4. peer: FastF1 (the reference F1 timing library) on the same lines: its JSON parsing plus
   ``timing_data`` and ``timing_app_data`` (its offline lap and stint extraction), side by side.

Figures: messages per second, the race's duration (lights out to the winner's flag) divided
by the processing time (the replay speed-up the engine sustains), and the ratio to FastF1.
Each phase prints wall time and this process's CPU time: on a shared, loaded machine the CPU
time is the steadier figure.

    .venv/bin/python benchmarks/f1_replay.py [--folder PATH] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
from pathlib import Path

from sideline.analytics.motorsport import SessionState
from sideline.ingest.f1 import ReplayClock, live_messages, read_recording, recording_lines

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FOLDER = Path(os.environ.get("SIDELINE_SHARED_DATA", ROOT.parent / "shared" / "data")) / "motorsport/f1/2018_azerbaijan_race"


class Timer:
    """Wall and CPU seconds of a block."""

    def __enter__(self) -> Timer:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0


def bench_parse(folder: Path) -> tuple[Timer, list]:
    with Timer() as timer:
        messages = list(read_recording(folder))
    return timer, messages


def bench_state(messages: list) -> tuple[Timer, list[tuple[int, int]], SessionState]:
    """Also each message's (wall ns, CPU ns): under load, wall percentiles include preemption."""
    state = SessionState()
    per_message = []
    wall, cpu = time.perf_counter_ns, time.thread_time_ns
    with Timer() as timer:
        for message in messages:
            w0, c0 = wall(), cpu()
            state.apply(message)
            per_message.append((wall() - w0, cpu() - c0))
        state.finish()
    return timer, per_message, state


def bench_end_to_end(folder: Path) -> Timer:
    async def run() -> None:
        state = SessionState()
        async for message in ReplayClock(None).pace(live_messages(recording_lines(folder))):
            state.apply(message)
        state.finish()

    with Timer() as timer:
        asyncio.run(run())
    return timer


def bench_fastf1(folder: Path) -> Timer | None:
    try:
        import fastf1
        from fastf1 import _api
    except ImportError:
        return None
    fastf1.Cache.set_disabled()
    logging.getLogger("fastf1").setLevel(logging.ERROR)
    with Timer() as timer:
        responses = {}
        for stream in ("TimingData", "TimingAppData"):
            lines = (folder / f"{stream}.jsonStream").read_text(encoding="utf-8-sig").splitlines()
            responses[stream] = [[line[:12], _api.parse(line[12:])] for line in lines if line.strip()]
        _api.timing_data("", response=responses["TimingData"])
        _api.timing_app_data("", response=responses["TimingAppData"])
    return timer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    bench_fastf1(args.folder)  # warm-up: imports fastf1 once, outside every timing

    runs: dict[str, list[Timer]] = {"parse": [], "state": [], "live": [], "fastf1": []}
    latencies: list[tuple[int, int]] = []
    for _ in range(args.repeat):
        timer, messages = bench_parse(args.folder)
        runs["parse"].append(timer)
        timer, per_message, state = bench_state(messages)
        runs["state"].append(timer)
        latencies.extend(per_message)
        runs["live"].append(bench_end_to_end(args.folder))
        if (peer := bench_fastf1(args.folder)) is not None:
            runs["fastf1"].append(peer)
    n = len(messages)
    race_s = state.winner_finish_t - state.started_t
    feed_s = messages[-1].t - messages[0].t
    wall_ns = sorted(w for w, _ in latencies)
    cpu_ns = sorted(c for _, c in latencies)

    def pct(values: list[int], q: float) -> float:
        return values[min(len(values) - 1, int(len(values) * q))] / 1000

    def best(name: str) -> tuple[float, float]:
        return min(r.wall for r in runs[name]), min(r.cpu for r in runs[name])

    def line(label: str, wall: float, cpu: float, extra: str = "") -> None:
        print(f"  {label:<16} wall {wall:6.3f} s  cpu {cpu:6.3f} s  {n / wall:7.0f} msg/s wall  {n / cpu:7.0f} msg/s cpu"
              f"  race x{race_s / wall:,.0f} (cpu x{race_s / cpu:,.0f}){extra}")

    print(f"F1 replay: {args.folder.name}, {n} messages, race {race_s:.0f} s, feed {feed_s:.0f} s; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; best of {args.repeat}")
    parse, state_ = best("parse"), best("state")
    line("parse", *parse)
    line("state machine", *state_)
    print(f"  per message      wall p50 {pct(wall_ns, 0.5):.1f} us p99 {pct(wall_ns, 0.99):.1f} us;"
          f"  cpu p50 {pct(cpu_ns, 0.5):.1f} us p99 {pct(cpu_ns, 0.99):.1f} us")
    total = (parse[0] + state_[0], parse[1] + state_[1])
    line("parse + state", *total, f"  feed x{feed_s / total[0]:,.0f}")
    line("live path e2e", *best("live"))
    if runs["fastf1"]:
        peer = best("fastf1")
        print(f"  FastF1 (peer)    wall {peer[0]:6.3f} s  cpu {peer[1]:6.3f} s  (parse + timing_data + timing_app_data)")
        print(f"  FastF1 / sideline (parse + state): {peer[0] / total[0]:.2f}x wall, {peer[1] / total[1]:.2f}x cpu")


if __name__ == "__main__":
    main()
