#!/usr/bin/env python3
"""BlazePose landmark models trimmed to the outputs Sideline reads (``blazepose.landmark_model``:
landmarks + presence, without the segmentation mask, heatmap and world landmarks) against the
files as shipped (the peer), per invoke, on the same input in the same run, interleaved in rounds
so that the shared machine's load falls on both alike. Also checks that both give the same outputs.

    .venv/bin/python benchmarks/swing_landmark_trim.py [--invokes 30] [--rounds 3] [--threads 2]

Wall ms and CPU ms (this process, all threads) per invoke; the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invokes", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    from ai_edge_litert.interpreter import Interpreter

    from sideline.vision.pose.blazepose import landmark_model
    from sideline.vision.pose.models import model_path

    print(f"landmark model trim: {args.rounds} rounds x {args.invokes} invokes, {args.threads} threads, "
          f"{os.cpu_count()} CPUs visible, load average {os.getloadavg()[0]:.2f} at start")
    rng = np.random.default_rng(0)
    image = rng.random((1, 256, 256, 3), dtype=np.float32)
    rows = []
    for variant in ("lite", "full", "heavy"):
        path = str(model_path(f"pose_landmark_{variant}"))
        interpreters = {"as shipped": Interpreter(model_path=path, num_threads=args.threads),
                        "trimmed": Interpreter(model_content=landmark_model(path), num_threads=args.threads)}
        totals = {name: [0.0, 0.0] for name in interpreters}
        outputs = {}
        for name, it in interpreters.items():
            it.allocate_tensors()
            for _ in range(3):  # warm-up
                it.set_tensor(it.get_input_details()[0]["index"], image)
                it.invoke()
            named = {d["name"]: d["index"] for d in it.get_output_details()}
            outputs[name] = [it.get_tensor(named[n]).copy() for n in ("Identity", "Identity_1")]
        same = all(np.array_equal(a, b) for a, b in zip(outputs["as shipped"], outputs["trimmed"]))
        for _ in range(args.rounds):
            for name, it in interpreters.items():
                index = it.get_input_details()[0]["index"]
                start, start_cpu = time.perf_counter(), cpu()
                for _ in range(args.invokes):
                    it.set_tensor(index, image)
                    it.invoke()
                totals[name][0] += time.perf_counter() - start
                totals[name][1] += cpu() - start_cpu
        n = args.rounds * args.invokes
        (peer_wall, peer_cpu), (wall, used) = (np.array(totals[k]) * 1000 / n for k in ("as shipped", "trimmed"))
        rows.append((variant, peer_wall, peer_cpu, wall, used, same))
        print(f"{variant}: as shipped {peer_wall:.1f} ms ({peer_cpu:.1f} CPU ms), trimmed {wall:.1f} ms "
              f"({used:.1f} CPU ms): x{peer_cpu / used:.2f} less CPU; identical outputs: {same}")
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    print("\n| model | as shipped ms (CPU ms) | trimmed ms (CPU ms) | CPU ratio | identical |")
    print("|---|---|---|---|---|")
    for variant, peer_wall, peer_cpu, wall, used, same in rows:
        print(f"| {variant} | {peer_wall:.1f} ({peer_cpu:.1f}) | {wall:.1f} ({used:.1f}) | x{peer_cpu / used:.2f} | {same} |")


if __name__ == "__main__":
    main()
