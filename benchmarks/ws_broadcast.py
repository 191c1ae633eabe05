#!/usr/bin/env python3
"""WebSocket broadcast benchmark: 1,000 subscribers on /api/v1/ws, delivery latency p50/p99.

Three processes per backend, all on loopback:

1. the server, a real ``sideline serve`` (one uvicorn worker);
2. a load generator (``ws_broadcast.py _generate``: asyncio + the ``websockets`` library) that
   opens N subscribers (default 1,000), subscribes each to one ``public:bench-*`` channel, and
   records for every event ``receive time - send time`` (the payload carries its send timestamp;
   all processes share the machine's clock), plus its own CPU use (``resource.getrusage``);
3. the publisher, which sends B broadcasts (default 50, 10 per second):
   - ``memory`` backend (embedded install): a job of type ``bench.broadcast``, started over the
     API, publishes from the server's job thread, the way jobs publish progress. This file is
     also that job module (the server imports it through ``SIDELINE_JOB_MODULES``).
   - ``redis`` backend: a third process publishes through ``RedisPubSub`` (the way a Celery
     worker publishes); the server's reader task fans out to its subscribers.

Both backends run in one invocation, side by side. The first broadcasts are a warm-up and are
not counted. Latency includes the generator's own queueing: when its CPU is near 100 % of a
core, the figures are bounded by the generator, and that is printed next to them.

    .venv/bin/python benchmarks/ws_broadcast.py [--subscribers 1000] [--broadcasts 50] [--backends memory,redis]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
REDIS_URL = os.environ.get("SIDELINE_TEST_REDIS", "redis://127.0.0.1:6379/0")


# --- The job that publishes inside the server (memory backend) --------------------------------------

def _register_job() -> None:
    from sideline.errors import InvalidInput
    from sideline.jobs.registry import job_type

    def check(params: dict) -> None:
        channel, count, interval = params.get("channel"), params.get("count"), params.get("interval")
        if not (isinstance(channel, str) and channel.startswith("public:bench-") and isinstance(count, int)
                and 1 <= count <= 100_000 and isinstance(interval, (int, float)) and 0 <= interval <= 10):
            raise InvalidInput("bench.broadcast needs channel 'public:bench-*', 1 <= count <= 100000, "
                               "0 <= interval <= 10")

    @job_type("bench.broadcast", description="Benchmark: publish timestamped broadcasts", validate=check)
    def broadcast(ctx) -> dict:
        check(ctx.params)
        send_broadcasts(ctx.env.publish, ctx.params["channel"], ctx.params["count"], ctx.params["interval"])
        return {"sent": ctx.params["count"]}


def send_broadcasts(publish, channel: str, count: int, interval: float) -> None:
    start = time.monotonic()
    for i in range(count):
        delay = start + i * interval - time.monotonic()  # a steady rate, not drifting
        if delay > 0:
            time.sleep(delay)
        publish(channel, "bench.tick", {"i": i, "sent": time.time()})


if __name__ != "__main__":  # imported by the server as a job module
    _register_job()


# --- Load generator (its own process) ---------------------------------------------------------------

async def generate(url: str, channel: str, subscribers: int, expect: int, warmup: int, compression: bool,
                   timeout: float) -> dict:
    import websockets

    connect_slots = asyncio.Semaphore(100)  # do not flood the accept queue
    subscribe = json.dumps({"type": "subscribe", "channel": channel, "since": None})

    async def open_one():
        async with connect_slots:
            ws = await websockets.connect(url, open_timeout=120, max_queue=None,
                                          compression="deflate" if compression else None)
            await ws.send(subscribe)
            reply = json.loads(await ws.recv())
            if reply.get("type") != "subscribed":
                raise SystemExit(f"subscription refused: {reply}")
            return ws

    t_connect = time.monotonic()
    conns = await asyncio.gather(*(open_one() for _ in range(subscribers)))
    connect_seconds = time.monotonic() - t_connect
    latencies: list[float] = []
    received = [0] * subscribers
    gaps = 0
    finished = asyncio.Event()
    remaining = subscribers

    async def read(k: int, ws) -> None:
        nonlocal gaps, remaining
        async for raw in ws:
            now = time.time()
            message = json.loads(raw)
            if message.get("type") == "event" and message.get("event") == "bench.tick":
                data = message["data"]
                if data["i"] >= warmup:
                    latencies.append(now - data["sent"])
                received[k] += 1
                if received[k] == expect:
                    remaining -= 1
                    if remaining == 0:
                        finished.set()
                    return
            elif message.get("type") == "gap":
                gaps += 1

    readers = [asyncio.create_task(read(k, ws)) for k, ws in enumerate(conns)]
    usage0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    print("READY", flush=True)
    try:
        await asyncio.wait_for(finished.wait(), timeout)
        complete = True
    except TimeoutError:
        complete = False
    usage1, wall = resource.getrusage(resource.RUSAGE_SELF), time.monotonic() - wall0
    for task in readers:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in conns), return_exceptions=True)
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000 if latencies else float("nan")

    return {"complete": complete, "subscribers": subscribers, "deliveries": len(latencies),
            "expected_deliveries": subscribers * (expect - warmup), "gaps": gaps,
            "p50_ms": pct(50), "p99_ms": pct(99), "max_ms": latencies[-1] * 1000 if latencies else float("nan"),
            "mean_ms": statistics.fmean(latencies) * 1000 if latencies else float("nan"),
            "generator_cpu_s": cpu, "generator_cpu_pct": 100 * cpu / wall, "wall_s": wall,
            "connect_s": connect_seconds}


# --- Orchestration --------------------------------------------------------------------------------

def run_backend(backend: str, args) -> dict:
    sys.path.insert(0, str(HERE))
    from http_get import Server

    namespace = f"slbench:{uuid.uuid4().hex[:8]}"
    env = {"SIDELINE_JOB_MODULES": json.dumps(["ws_broadcast"]),
           "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    if backend == "redis":
        env.update(SIDELINE_REDIS_URL=args.redis_url, SIDELINE_REDIS_NAMESPACE=namespace)
        if args.database_url:
            env["SIDELINE_DATABASE_URL"] = args.database_url
    server = Server(env)
    generator = None
    try:
        token, org_id = server.login()
        channel = f"public:bench-{uuid.uuid4().hex[:8]}"
        total = args.broadcasts + args.warmup
        ws_url = server.url.replace("http://", "ws://") + f"/api/v1/ws?token={token}"
        generator = subprocess.Popen(
            [sys.executable, __file__, "_generate", "--url", ws_url, "--channel", channel,
             "--subscribers", str(args.subscribers), "--expect", str(total), "--warmup", str(args.warmup),
             "--timeout", str(args.timeout)] + ([] if args.compression else ["--no-compression"]),
            stdout=subprocess.PIPE, text=True)
        assert generator.stdout is not None
        line = generator.stdout.readline()
        if line.strip() != "READY":
            raise SystemExit(f"the load generator failed: {line!r}")
        cpu0, t0 = server.cpu_seconds(), time.monotonic()
        if backend == "memory":
            import httpx

            r = httpx.post(f"{server.url}/api/v1/orgs/{org_id}/jobs", headers={"Authorization": f"Bearer {token}"},
                           json={"type": "bench.broadcast",
                                 "params": {"channel": channel, "count": total, "interval": args.interval}})
            r.raise_for_status()
            publisher = None
        else:
            publisher = subprocess.Popen([sys.executable, __file__, "_publish", "--redis-url", args.redis_url,
                                          "--namespace", namespace, "--channel", channel, "--count", str(total),
                                          "--interval", str(args.interval)])
        result = json.loads(generator.stdout.readline())
        result["server_cpu_pct"] = 100 * (server.cpu_seconds() - cpu0) / (time.monotonic() - t0)
        generator.wait(30)
        if publisher is not None:
            publisher.wait(30)
        return result
    finally:
        if generator is not None and generator.poll() is None:
            generator.kill()
        server.stop()
        if backend == "redis":
            import redis

            client = redis.Redis.from_url(args.redis_url)
            for key in client.scan_iter(f"{namespace}*", count=1000):
                client.delete(key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    gen = sub.add_parser("_generate")
    gen.add_argument("--url", required=True)
    gen.add_argument("--channel", required=True)
    gen.add_argument("--subscribers", type=int, required=True)
    gen.add_argument("--expect", type=int, required=True)
    gen.add_argument("--warmup", type=int, required=True)
    gen.add_argument("--timeout", type=float, required=True)
    gen.add_argument("--no-compression", action="store_true")
    pub = sub.add_parser("_publish")
    pub.add_argument("--redis-url", required=True)
    pub.add_argument("--namespace", required=True)
    pub.add_argument("--channel", required=True)
    pub.add_argument("--count", type=int, required=True)
    pub.add_argument("--interval", type=float, required=True)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--broadcasts", type=int, default=50, help="counted broadcasts per backend")
    parser.add_argument("--warmup", type=int, default=5, help="broadcasts sent first and not counted")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between broadcasts")
    parser.add_argument("--backends", default="memory,redis")
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--database-url", help="PostgreSQL for the redis run (default: embedded SQLite)")
    parser.add_argument("--no-compression", dest="compression", action="store_false",
                        help="do not negotiate permessage-deflate (browsers do)")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    sys.path.insert(0, str(HERE))
    from http_get import describe_machine, machine, raise_fd_limit

    limit = raise_fd_limit()
    if args.command == "_generate":
        if limit < args.subscribers + 100:
            raise SystemExit(f"open-files limit {limit} is too low for {args.subscribers} subscribers")
        result = asyncio.run(generate(args.url, args.channel, args.subscribers, args.expect, args.warmup,
                                      not args.no_compression, args.timeout))
        print(json.dumps(result), flush=True)
        return
    if args.command == "_publish":
        from sideline.live.redis_pubsub import RedisPubSub

        pubsub = RedisPubSub(args.redis_url, namespace=args.namespace)
        send_broadcasts(pubsub.publish, args.channel, args.count, args.interval)
        pubsub.close()
        return

    print(f"machine: {describe_machine()}", flush=True)
    results = {}
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        print(f"running {backend} ...", flush=True)
        results[backend] = run_backend(backend, args)
    print(f"\n{args.subscribers} subscribers x {args.broadcasts} broadcasts ({1 / args.interval:.0f}/s, "
          f"{args.warmup} warm-up not counted), one server process, compression "
          f"{'on' if args.compression else 'off'}; generator and server share the machine")
    print(f"{'backend':8} {'delivered':>13} {'gaps':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'gen CPU':>8} {'srv CPU':>8} {'connect s':>9}")
    for backend, r in results.items():
        print(f"{backend:8} {r['deliveries']:>6}/{r['expected_deliveries']:<6} {r['gaps']:5d} {r['p50_ms']:8.1f} "
              f"{r['p99_ms']:8.1f} {r['max_ms']:8.1f} {r['generator_cpu_pct']:7.0f}% {r['server_cpu_pct']:7.0f}% "
              f"{r['connect_s']:9.1f}")
    if args.json:
        print(json.dumps({"machine": machine(), "results": results}))


if __name__ == "__main__":
    main()
