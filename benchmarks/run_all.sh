#!/usr/bin/env bash
# Runs the two platform benchmarks and prints their figures (docs/benchmarks.md explains them).
# The load generators share the machine with the server: take final figures on a quiet machine.
#   BENCH_PG_ADMIN_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test  adds an HTTP run on PostgreSQL
#   BENCH_REDIS_URL=redis://127.0.0.1:6379/0                              Redis for the WebSocket run
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

echo "== $(date -u +%FT%TZ)  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== HTTP: authenticated GET vs /healthz, 1 worker, SQLite"
"$PY" benchmarks/http_get.py --workers 1
echo "== HTTP: 2 workers, SQLite"
"$PY" benchmarks/http_get.py --workers 2
if [ -n "${BENCH_PG_ADMIN_URL:-}" ]; then
  echo "== HTTP: 1 worker, PostgreSQL"
  "$PY" benchmarks/http_get.py --workers 1 --pg-admin-url "$BENCH_PG_ADMIN_URL"
fi
echo "== WebSocket broadcast: 1,000 subscribers, memory vs Redis backend"
"$PY" benchmarks/ws_broadcast.py --redis-url "${BENCH_REDIS_URL:-redis://127.0.0.1:6379/0}"
