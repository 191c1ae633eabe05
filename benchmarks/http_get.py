#!/usr/bin/env python3
"""HTTP benchmark: an authenticated GET against a real `sideline serve`, driven by wrk.

Starts a server (embedded SQLite by default, or --database-url for PostgreSQL), logs in as the
demo user, creates a few jobs so the list is not empty, then runs wrk (200 connections, ~15 s)
against GET /api/v1/orgs/{id}/jobs with the Authorization header set by a Lua script. The
baseline, measured in the same run and the same way, is the unauthenticated GET /healthz (no
token check, no database), so the difference is the cost of auth + tenancy + a database query.

    .venv/bin/python benchmarks/http_get.py [--workers 2] [--database-url postgresql+psycopg://...]

wrk is Debian's package `wrk` (apt-get install wrk). The load generator shares the machine with
the server, so figures are only comparable between runs on the same, otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO_EMAIL = "demo@sideline.local"
DEMO_PASSWORD = "sideline-demo"

# wrk prints its own report; done() adds one machine-readable line we parse.
WRK_LUA = r"""
wrk.method = "GET"
%(headers)s
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_JSON {\"requests\": %%d, \"duration_us\": %%d, \"p50_us\": %%d, \"p90_us\": %%d, \"p99_us\": %%d, " ..
    "\"max_us\": %%d, \"connect_errors\": %%d, \"read_errors\": %%d, \"write_errors\": %%d, " ..
    "\"non_2xx\": %%d, \"timeouts\": %%d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def raise_fd_limit(wanted: int = 65536) -> int:
    """Raise the open-files limit (inherited by the server and wrk) as far as allowed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def machine() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem_kb = 0
    return {"nproc": os.cpu_count(), "cpu": model, "ram_gib": round(mem_kb / 1024**2, 1),
            "kernel": platform.release(), "python": platform.python_version(),
            "load_avg_1m": round(os.getloadavg()[0], 2)}


def describe_machine() -> str:
    m = machine()
    return (f"{m['nproc']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM, Linux {m['kernel']}, "
            f"Python {m['python']}, load average (1 min) before the run {m['load_avg_1m']}")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`sideline demo` then `sideline serve` in a fresh home folder; logs go to home/server.log."""

    def __init__(self, env_extra: dict[str, str] | None = None, workers: int = 1):
        self.home = Path(tempfile.mkdtemp(prefix="sideline-bench-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "SIDELINE_HOME": str(self.home), "SIDELINE_ENVIRONMENT": "production",
                    "SIDELINE_SECRET_KEY": secrets.token_urlsafe(48),
                    # One demo user drives all the load: keep its rate limit out of the way.
                    "SIDELINE_RATE_LIMIT_PER_MINUTE": "100000000", "SIDELINE_RATE_LIMIT_BURST": "100000000",
                    **(env_extra or {})}
        cli = [sys.executable, "-m", "sideline.cli"]
        subprocess.run([*cli, "demo"], env=self.env, check=True, capture_output=True)
        self.log = open(self.home / "server.log", "wb")
        self.process = subprocess.Popen([*cli, "serve", "--port", str(self.port), "--workers", str(workers)],
                                        env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_up()

    def _wait_up(self, timeout: float = 60) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited:\n{(self.home / 'server.log').read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit("server did not start in time")

    def login(self) -> tuple[str, str]:
        import httpx

        r = httpx.post(self.url + "/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        r.raise_for_status()
        token = r.json()["access_token"]
        orgs = httpx.get(self.url + "/api/v1/orgs", headers={"Authorization": f"Bearer {token}"}).json()
        return token, orgs["items"][0]["id"]

    def cpu_seconds(self) -> float:
        """User + system CPU of the server process and its children (uvicorn workers)."""
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        pids = [self.process.pid]
        try:
            pids += [int(p) for p in Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
                     .read_text().split()]
        except OSError:
            pass
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def log_size(self) -> int:
        return (self.home / "server.log").stat().st_size

    def errors_since(self, offset: int) -> tuple[int, str]:
        """ERROR lines the server logged after ``offset`` and the first one's message, shortened."""
        with open(self.home / "server.log", "rb") as f:
            f.seek(offset)
            lines = [line for line in f.read().decode(errors="replace").splitlines()
                     if '"level": "ERROR"' in line or " ERROR " in line]
        first = ""
        if lines:
            try:
                record = json.loads(lines[0])
                first = (record.get("exception") or record.get("message") or "").strip().splitlines()[-1]
            except ValueError:
                first = lines[0]
        return len(lines), first[:200]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        shutil.rmtree(self.home, ignore_errors=True)


def create_scratch_database(admin_url: str) -> str:
    from sqlalchemy import create_engine, text

    name = f"sideline_bench_{secrets.token_hex(4)}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_database(admin_url: str, url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    engine.dispose()


def run_wrk(url: str, *, connections: int, threads: int, duration: int, headers: dict[str, str]) -> dict:
    header_lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_LUA % {"headers": header_lines})
    try:
        out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
                              "--latency", "--timeout", "10s", "-s", script.name, url],
                             check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(script.name)
    line = next(line for line in out.splitlines() if line.startswith("WRK_JSON "))
    stats = json.loads(line[len("WRK_JSON "):])
    stats["rps"] = stats["requests"] / (stats["duration_us"] / 1e6)
    stats["errors"] = stats["connect_errors"] + stats["read_errors"] + stats["write_errors"] + stats["timeouts"]
    return stats


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (an empty database); default: embedded SQLite")
    parser.add_argument("--pg-admin-url", help="PostgreSQL admin URL: create a scratch database there, drop it after")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (try 2)")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--duration", type=int, default=15, help="seconds per target")
    parser.add_argument("--jobs", type=int, default=20, help="jobs to create so the list has rows")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    raise_fd_limit()
    print(f"machine: {describe_machine()}", flush=True)
    scratch = create_scratch_database(args.pg_admin_url) if args.pg_admin_url else None
    database_url = scratch or args.database_url
    env = {"SIDELINE_DATABASE_URL": database_url} if database_url else {}
    database = "PostgreSQL" if database_url else "SQLite (embedded)"
    try:
        server = Server(env, workers=args.workers)
    except BaseException:
        if scratch:
            drop_database(args.pg_admin_url, scratch)
        raise
    try:
        import httpx

        token, org_id = server.login()
        auth = {"Authorization": f"Bearer {token}"}
        for _ in range(args.jobs):
            httpx.post(f"{server.url}/api/v1/orgs/{org_id}/jobs", headers=auth,
                       json={"type": "demo.count", "params": {"steps": 1, "delay": 0}}).raise_for_status()
        time.sleep(1)  # let the demo jobs finish so the load runs alone
        targets = [("GET /healthz (baseline, no auth, no DB)", f"{server.url}/healthz", {}),
                   ("GET /api/v1/orgs/{id}/jobs (auth + DB)", f"{server.url}/api/v1/orgs/{org_id}/jobs", auth)]
        results = {}
        for name, url, headers in targets:
            cpu0, t0, log0 = server.cpu_seconds(), time.monotonic(), server.log_size()
            stats = run_wrk(url, connections=args.connections, threads=args.threads, duration=args.duration,
                            headers=headers)
            stats["server_cpu_pct"] = 100 * (server.cpu_seconds() - cpu0) / (time.monotonic() - t0)
            stats["server_errors"], stats["first_error"] = server.errors_since(log0)
            results[name] = stats
    finally:
        server.stop()
        if scratch:
            drop_database(args.pg_admin_url, scratch)
    print(f"\nwrk -c {args.connections} -t {args.threads} -d {args.duration}s; server: {args.workers} uvicorn "
          f"worker(s), {database}; wrk runs on the same machine")
    print(f"{'target':44} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'errors':>7} {'srv CPU':>8}")
    for name, s in results.items():
        print(f"{name:44} {s['rps']:9.0f} {s['p50_us'] / 1000:8.1f} {s['p99_us'] / 1000:8.1f} "
              f"{s['non_2xx']:8d} {s['errors']:7d} {s['server_cpu_pct']:7.0f}%")
        if s["non_2xx"] or s["errors"] or s["requests"] < args.connections:
            print(f"  WARNING: {s['requests']} responses for {args.connections} connections, {s['non_2xx']} non-2xx, "
                  f"{s['errors']} socket errors/timeouts: not a healthy steady state; server errors during the run: "
                  f"{s['server_errors']}{' (first: ' + s['first_error'] + ')' if s['first_error'] else ''}")
    if args.json:
        print(json.dumps({"machine": machine(), "workers": args.workers, "database": database, "results": results}))
    return results


if __name__ == "__main__":
    main()
