#!/usr/bin/env python3
"""F1 live latency benchmark: a feed message entering the engine -> its deltas at WebSocket clients.

Processes, all on loopback (one machine, one clock):

1. the server: a real ``sideline serve`` (uvicorn, the real app, embedded install: SQLite and
   the in-memory pub/sub; or ``--backends redis``: the Redis Streams pub/sub);
2. the engine: the 2018 Azerbaijan GP feed played by the production ``SessionRunner`` (live
   path, ``SessionState.apply``, deltas published on ``public:f1:<id>``) at ``--speed`` x real time.
   Memory backend: inside the server, as the job ``bench.f1_live`` (this file is also that job
   module, loaded through ``SIDELINE_JOB_MODULES``), the way ``f1.replay``/``f1.live`` run.
   Redis backend: its own process publishing through ``RedisPubSub``, as a Celery worker would;
3. load generators (``--generators`` processes, asyncio + ``websockets``) holding ``--clients``
   subscribed connections between them; each records, for every delta it receives,
   ``receive time - t_engine``, and its own CPU time.

``t_engine`` is the wall time at which the message that produced the delta entered
``SessionState.apply`` (the engine wraps ``apply`` and stamps each published delta), so the
latency covers applying, publishing, fan-out to every socket, the WebSocket frame and the
client's own queueing and JSON parsing. The first ``--warmup`` seconds are not counted.

The feed before ``--start`` (feed seconds; default lap ~9) is applied to the state unpublished,
so the measured window is racing; the window lasts ``--window`` wall seconds.

Also printed: the server's memory per connected client (its RSS after connecting and
subscribing everyone, less before, over the clients), the engine's maximum replay speed for the
full race in this process (feed seconds / wall seconds; with publishing to nobody, into the
in-memory pub/sub, and into Redis when reachable), and the peer: the platform WebSocket
broadcast (``ws_broadcast.py``, 1,000 subscribers, memory backend) measured in the same run.

    .venv/bin/python benchmarks/f1_live_latency.py [--clients 1000] [--speed 1] [--window 60] \\
        [--generators 1] [--backends memory,redis] [--no-compression] [--no-peer]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_FOLDER = Path(os.environ.get("SIDELINE_SHARED_DATA", ROOT.parent / "shared" / "data")) / \
    "motorsport/f1/2018_azerbaijan_race"
REDIS_URL = os.environ.get("SIDELINE_TEST_REDIS", "redis://127.0.0.1:6379/0")
JOB = "bench.f1_live"


# --- The engine (inside the server as a job, or in its own process) -------------------------------

def engine_params_ok(params: dict) -> None:
    from sideline.errors import InvalidInput

    speed = params.get("speed")
    if not (Path(str(params.get("folder"))).is_dir() and (speed is None or 1 <= speed <= 100)
            and isinstance(params.get("start_t"), int | float) and isinstance(params.get("window_s"), int | float)):
        raise InvalidInput("bench.f1_live needs folder (a recording), speed 1-100 or null, start_t, window_s")
    uuid.UUID(str(params.get("session_id")))


def run_engine(publish, latest_seq, params: dict) -> dict:
    """Play the recording's [start_t, start_t + window_s * speed) through a SessionRunner."""
    from sideline.ingest.f1 import FeedParser, parse_session_time, recording_lines
    from sideline.live import f1_sessions

    async def collect() -> list[tuple[str, bytes]]:
        return [item async for item in recording_lines(params["folder"])]

    speed, start_t = params["speed"], float(params["start_t"])
    end_t = start_t + float(params["window_s"]) * (speed or 1e9)
    prime, live = [], []
    for stream, line in asyncio.run(collect()):
        t = parse_session_time(line.lstrip(b"\xef\xbb\xbf")[:12].decode("ascii", "replace"))
        if t is not None and t >= end_t:
            break
        (prime if t is None or t < start_t else live).append((stream, line))
    entered = [0.0]
    deltas = [0]

    def stamped(channel: str, event: str, data: dict) -> int:
        if event in ("delta", "deltas"):  # "deltas": the several deltas of one message, one event
            data["t_engine"] = entered[0]
            deltas[0] += len(data["deltas"]) if event == "deltas" else 1
        return publish(channel, event, data)

    runner = f1_sessions.SessionRunner(params["session_id"], stamped, latest_seq,
                                       control=lambda: f1_sessions.Control(speed), speed=speed,
                                       analyse=bool(params.get("analyse", True)))
    parser = FeedParser()
    for stream, line in prime:  # the race so far, unpublished
        if (message := parser.parse_stream_line(stream, line)) is not None:
            runner.state.apply(message)
    apply = runner.state.apply

    def timed_apply(message):
        entered[0] = time.time()
        return apply(message)

    runner.state.apply = timed_apply

    async def lines():
        for item in live:
            yield item

    wall0, cpu0 = time.monotonic(), time.thread_time()
    status = asyncio.run(runner.run(lines()))
    return {"status": status, "messages": runner.messages, "deltas": deltas[0], "seq": runner.seq,
            "wall_s": time.monotonic() - wall0,
            "engine_thread_cpu_s": time.thread_time() - cpu0, "lap": runner.state.current_lap()}


def _register_job() -> None:
    from sideline.jobs.registry import job_type

    @job_type(JOB, description="Benchmark: play an F1 recording through the live engine, stamped",
              validate=engine_params_ok, max_attempts=1)
    def bench_f1_live(ctx) -> dict:
        latest_seq = getattr(getattr(ctx.env.publish, "__self__", None), "latest_seq", lambda channel: 0)
        return run_engine(ctx.env.publish, latest_seq, ctx.params)


if __name__ != "__main__":  # imported by the server as a job module
    _register_job()


# --- Load generator (its own process) ---------------------------------------------------------------

async def generate(url: str, channel: str, clients: int, warmup_s: float, compression: bool, timeout: float,
                   out: str) -> dict:
    import numpy as np
    import orjson
    import websockets

    slots = asyncio.Semaphore(100)  # do not flood the accept queue
    subscribe = json.dumps({"type": "subscribe", "channel": channel, "since": None})

    async def open_one():
        async with slots:
            ws = await websockets.connect(url, open_timeout=300, max_queue=None, max_size=None,
                                          compression="deflate" if compression else None)
            await ws.send(subscribe)
            reply = json.loads(await ws.recv())
            if reply.get("type") != "subscribed":
                raise SystemExit(f"subscription refused: {reply}")
            return ws

    t_connect = time.monotonic()
    conns = await asyncio.gather(*(open_one() for _ in range(clients)))
    connect_s = time.monotonic() - t_connect
    latencies: list[float] = []
    stamps: list[float] = []  # t_engine of each counted delivery (which message was slow)
    counted_from = [None]  # wall time from which deliveries count (first delta + warm-up)
    received = gaps = 0
    finished = asyncio.Event()
    remaining = clients

    async def read(ws) -> None:
        nonlocal received, gaps, remaining
        try:
            async for raw in ws:
                now = time.time()
                message = orjson.loads(raw)
                if message.get("type") == "event":
                    data = message["data"]
                    if message["event"] in ("delta", "deltas"):
                        n = len(data["deltas"]) if message["event"] == "deltas" else 1
                        received += n
                        if counted_from[0] is None:
                            counted_from[0] = now + warmup_s
                        if now >= counted_from[0]:  # every delta counts, as when each was its own event
                            latencies.extend([now - data["t_engine"]] * n)
                            stamps.extend([data["t_engine"]] * n)
                    elif message["event"] == "replay" and data.get("state") in ("finished", "stopped", "failed"):
                        break
                elif message.get("type") == "gap":
                    gaps += 1
        finally:
            remaining -= 1
            if remaining == 0:
                finished.set()

    readers = [asyncio.create_task(read(ws)) for ws in conns]
    print("READY", flush=True)
    usage0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    try:
        await asyncio.wait_for(finished.wait(), timeout)
        complete = True
    except TimeoutError:
        complete = False
    usage1, wall = resource.getrusage(resource.RUSAGE_SELF), time.monotonic() - wall0
    for task in readers:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in conns), return_exceptions=True)
    np.save(out, np.asarray([latencies, stamps], dtype=np.float64))
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    return {"complete": complete, "clients": clients, "received": received, "counted": len(latencies), "gaps": gaps,
            "cpu_s": cpu, "wall_s": wall, "connect_s": connect_s,
            "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


# --- Orchestration --------------------------------------------------------------------------------

def rss_bytes(pid: int) -> int:
    """Resident memory of a process and its children (uvicorn may fork a worker)."""
    pids = [pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def run_backend(backend: str, args) -> dict:
    sys.path.insert(0, str(HERE))
    import httpx
    import numpy as np
    from http_get import Server

    namespace = f"slbench:{uuid.uuid4().hex[:8]}"
    env = {"SIDELINE_JOB_MODULES": json.dumps(["f1_live_latency"]),
           "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    if backend == "redis":
        env.update(SIDELINE_REDIS_URL=args.redis_url, SIDELINE_REDIS_NAMESPACE=namespace)
    server = Server(env)
    generators: list[subprocess.Popen] = []
    engine = None
    tmp = Path(tempfile.mkdtemp(prefix="f1-latency-"))
    try:
        token, org_id = server.login()
        session_id = str(uuid.uuid4())
        channel = f"public:f1:{session_id}"
        ws_url = server.url.replace("http://", "ws://") + f"/api/v1/ws?token={token}"
        time.sleep(1.0)
        rss0 = rss_bytes(server.process.pid)
        shares = [args.clients // args.generators + (1 if k < args.clients % args.generators else 0)
                  for k in range(args.generators)]
        timeout = args.window + args.timeout
        for k, share in enumerate(shares):
            generators.append(subprocess.Popen(
                [sys.executable, __file__, "_generate", "--url", ws_url, "--channel", channel, "--clients", str(share),
                 "--warmup", str(args.warmup), "--timeout", str(timeout), "--out", str(tmp / f"lat{k}.npy")]
                + ([] if args.compression else ["--no-compression"]), stdout=subprocess.PIPE, text=True))
        for g in generators:
            assert g.stdout is not None
            line = g.stdout.readline()
            if line.strip() != "READY":
                raise SystemExit(f"a load generator failed: {line!r}")
        time.sleep(1.0)
        rss1 = rss_bytes(server.process.pid)
        params = {"folder": str(args.folder), "session_id": session_id, "speed": args.speed, "start_t": args.start,
                  "window_s": args.window, "analyse": args.analysis}
        cpu0, t0 = server.cpu_seconds(), time.monotonic()
        if backend == "memory":
            r = httpx.post(f"{server.url}/api/v1/orgs/{org_id}/jobs", headers={"Authorization": f"Bearer {token}"},
                           json={"type": JOB, "params": params})
            r.raise_for_status()
            job_id = r.json()["id"]
        else:
            engine = subprocess.Popen([sys.executable, __file__, "_engine", "--redis-url", args.redis_url,
                                       "--namespace", namespace, "--params", json.dumps(params)],
                                      stdout=subprocess.PIPE, text=True)
        results = [json.loads(g.stdout.readline()) for g in generators]  # type: ignore[union-attr]
        server_cpu = 100 * (server.cpu_seconds() - cpu0) / (time.monotonic() - t0)
        if backend == "memory":
            job = httpx.get(f"{server.url}/api/v1/orgs/{org_id}/jobs/{job_id}",
                            headers={"Authorization": f"Bearer {token}"}).json()
            engine_result = job.get("result") or {"error": job.get("error")}
        else:
            assert engine is not None and engine.stdout is not None
            engine_result = json.loads(engine.stdout.readline())
        samples = np.concatenate([np.load(tmp / f"lat{k}.npy") for k in range(len(shares))], axis=1)
        latencies = samples[0]
        if args.dump:
            np.save(args.dump + f".{backend}.npy", samples)
    finally:
        for g in generators:
            if g.poll() is None:
                g.kill()
        if engine is not None and engine.poll() is None:
            engine.kill()
        server.stop()
        if backend == "redis":
            import redis

            client = redis.Redis.from_url(args.redis_url)
            for key in client.scan_iter(f"{namespace}*", count=1000):
                client.delete(key)
    ms = latencies * 1000
    wall = max(r["wall_s"] for r in results)
    return {
        "backend": backend, "clients": args.clients, "generators": args.generators, "speed": args.speed,
        "complete": all(r["complete"] for r in results), "engine": engine_result,
        "received": sum(r["received"] for r in results), "counted": int(ms.size), "gaps": sum(r["gaps"] for r in results),
        "p50_ms": float(np.percentile(ms, 50)) if ms.size else float("nan"),
        "p99_ms": float(np.percentile(ms, 99)) if ms.size else float("nan"),
        "max_ms": float(ms.max()) if ms.size else float("nan"),
        "generator_cpu_pct": 100 * sum(r["cpu_s"] for r in results) / wall, "server_cpu_pct": server_cpu,
        "connect_s": max(r["connect_s"] for r in results),
        "server_rss_per_client_kib": (rss1 - rss0) / args.clients / 1024, "server_rss_mib": rss1 / 2**20,
        "generator_rss_mib": sum(r["rss_mib"] for r in results),
    }


def max_replay_speed(folder: Path, redis_url: str | None) -> dict:
    """The whole race through the production runner as fast as possible, in this process."""
    from sideline.ingest.f1 import recording_lines
    from sideline.live import f1_sessions
    from sideline.live.pubsub import MemoryPubSub

    async def collect() -> list[tuple[str, bytes]]:
        return [item async for item in recording_lines(folder)]

    lines = asyncio.run(collect())
    out = {}
    targets: list[tuple[str, object]] = [("no publishing", None), ("memory pub/sub", MemoryPubSub())]
    if redis_url:
        try:
            import redis

            redis.Redis.from_url(redis_url).ping()
            from sideline.live.redis_pubsub import RedisPubSub

            targets.append(("Redis pub/sub", RedisPubSub(redis_url, namespace=f"slbench:{uuid.uuid4().hex[:8]}")))
        except Exception as exc:  # no Redis here: say so, measure the rest
            print(f"  (Redis not reachable for the replay-speed run: {type(exc).__name__})")
    for label, pubsub in targets:
        for analyse in (False, True):
            seq = [0]

            def nowhere(channel, event, data):
                seq[0] += 1
                return seq[0]

            publish = pubsub.publish if pubsub is not None else nowhere
            latest = pubsub.latest_seq if pubsub is not None else (lambda channel: 0)
            runner = f1_sessions.SessionRunner(str(uuid.uuid4()), publish, latest,
                                               control=lambda: f1_sessions.Control(None), speed=None, analyse=analyse)

            async def feed():
                for item in lines:
                    yield item

            wall0, cpu0 = time.perf_counter(), time.process_time()
            asyncio.run(runner.run(feed()))
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            state = runner.state
            feed_s = state.t or 0.0
            out[f"{label}{', with analysis' if analyse else ''}"] = {
                "wall_s": wall, "cpu_s": cpu, "messages": runner.messages, "events": runner.seq,
                "feed_speed": feed_s / wall, "race_speed": (state.winner_finish_t - state.started_t) / wall}
        if pubsub is not None and hasattr(pubsub, "close"):
            pubsub.close()
    return out


def peer_broadcast(args) -> dict:
    """The platform WebSocket broadcast benchmark (1,000 subscribers, memory), as documented."""
    import ws_broadcast

    peer_args = argparse.Namespace(subscribers=1000, broadcasts=50, warmup=5, interval=0.1, redis_url=args.redis_url,
                                   database_url=None, compression=args.compression, timeout=120)
    return ws_broadcast.run_backend("memory", peer_args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    gen = sub.add_parser("_generate")
    gen.add_argument("--url", required=True)
    gen.add_argument("--channel", required=True)
    gen.add_argument("--clients", type=int, required=True)
    gen.add_argument("--warmup", type=float, required=True)
    gen.add_argument("--timeout", type=float, required=True)
    gen.add_argument("--out", required=True)
    gen.add_argument("--no-compression", action="store_true")
    eng = sub.add_parser("_engine")
    eng.add_argument("--redis-url", required=True)
    eng.add_argument("--namespace", required=True)
    eng.add_argument("--params", required=True)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--generators", type=int, default=0, help="load-generator processes (default: 1 per 2,500)")
    parser.add_argument("--speed", type=float, default=1.0, help="x real time (1 = a live session's pace)")
    parser.add_argument("--start", type=float, default=1800.0, help="feed second the measured window starts at")
    parser.add_argument("--window", type=float, default=60.0, help="wall seconds of replay measured")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds after the first delta not counted")
    parser.add_argument("--backends", default="memory")
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--no-compression", dest="compression", action="store_false",
                        help="do not negotiate permessage-deflate (browsers do)")
    parser.add_argument("--no-analysis", dest="analysis", action="store_false",
                        help="engine without live commentary / win probability")
    parser.add_argument("--no-peer", dest="peer", action="store_false")
    parser.add_argument("--no-replay-speed", dest="replay_speed", action="store_false")
    parser.add_argument("--timeout", type=float, default=300, help="extra seconds allowed beyond the window")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--dump", help="save (latency, t_engine) of every delivery to DUMP.<backend>.npy")
    args = parser.parse_args()

    sys.path.insert(0, str(HERE))
    from http_get import describe_machine, machine, raise_fd_limit

    limit = raise_fd_limit(1 << 20)
    if args.command == "_generate":
        if limit < args.clients + 100:
            raise SystemExit(f"open-files limit {limit} is too low for {args.clients} clients")
        result = asyncio.run(generate(args.url, args.channel, args.clients, args.warmup, not args.no_compression,
                                      args.timeout, args.out))
        print(json.dumps(result), flush=True)
        return
    if args.command == "_engine":
        from sideline.live.redis_pubsub import RedisPubSub

        pubsub = RedisPubSub(args.redis_url, namespace=args.namespace)
        result = run_engine(pubsub.publish, pubsub.latest_seq, json.loads(args.params))
        pubsub.close()
        print(json.dumps(result), flush=True)
        return

    if not args.folder.is_dir():
        raise SystemExit(f"recording not found: {args.folder} (set SIDELINE_SHARED_DATA)")
    args.generators = args.generators or max(1, -(-args.clients // 2500))
    if limit < args.clients + 200:
        raise SystemExit(f"open-files limit {limit} is too low for {args.clients} clients (server side)")
    print(f"machine: {describe_machine()}", flush=True)
    load_before = os.getloadavg()
    results: dict = {"machine": machine(), "load_before": load_before}
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        print(f"running {backend}: {args.clients} clients, {args.speed:g}x, {args.window:g} s ...", flush=True)
        results[backend] = run_backend(backend, args)
    if args.peer:
        print("running the peer (ws_broadcast, 1,000 subscribers, memory) ...", flush=True)
        results["peer"] = peer_broadcast(args)
    if args.replay_speed:
        print("running the full race at maximum speed ...", flush=True)
        results["replay_speed"] = max_replay_speed(args.folder, args.redis_url if "redis" in args.backends else None)
    results["load_after"] = os.getloadavg()

    print(f"\nF1 live latency: {args.clients} WebSocket clients ({args.generators} generator process(es)), "
          f"feed at {args.speed:g}x from t={args.start:g} s for {args.window:g} s wall ({args.warmup:g} s warm-up), "
          f"compression {'on' if args.compression else 'off'}, analysis {'on' if args.analysis else 'off'}; "
          f"load average {load_before[0]:.2f} before, {results['load_after'][0]:.2f} after")
    print(f"{'backend':8} {'deltas':>7} {'delivered':>19} {'gaps':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'gen CPU':>8} {'srv CPU':>8} {'KiB/client':>10} {'connect s':>9}")
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        r = results[backend]
        deltas = r["engine"].get("deltas") or 0
        print(f"{backend:8} {deltas:>7} {r['received']:>9}/{deltas * r['clients']:<9} {r['gaps']:5d} "
              f"{r['p50_ms']:8.1f} {r['p99_ms']:8.1f} {r['max_ms']:8.1f} {r['generator_cpu_pct']:7.0f}% "
              f"{r['server_cpu_pct']:7.0f}% {r['server_rss_per_client_kib']:10.1f} {r['connect_s']:9.1f}"
              + ("" if r["complete"] else "  INCOMPLETE (timed out)"))
        print(f"         engine: {r['engine']}")
    if "peer" in results:
        p = results["peer"]
        print(f"peer     ws_broadcast memory, 1,000 subscribers x 50 broadcasts at 10/s: p50 {p['p50_ms']:.1f} ms, "
              f"p99 {p['p99_ms']:.1f} ms, delivered {p['deliveries']}/{p['expected_deliveries']}, "
              f"generator CPU {p['generator_cpu_pct']:.0f}%, server CPU {p['server_cpu_pct']:.0f}%")
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            r = results[backend]
            print(f"ratio    {backend} F1 / peer: p50 {r['p50_ms'] / p['p50_ms']:.2f}x, p99 {r['p99_ms'] / p['p99_ms']:.2f}x")
    if "replay_speed" in results:
        print("maximum replay speed, full race (feed s / wall s; race = lights out to the winner's flag):")
        for label, r in results["replay_speed"].items():
            print(f"  {label:34} wall {r['wall_s']:6.2f} s  cpu {r['cpu_s']:6.2f} s  feed x{r['feed_speed']:,.0f}  "
                  f"race x{r['race_speed']:,.0f}  ({r['messages']} messages, {r['events']} events)")
    if args.json:
        print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
