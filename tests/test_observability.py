"""Metrics, access logs, secret redaction and tracing, against a real app, server and collector."""

from __future__ import annotations

import contextlib
import http.server
import io
import json
import logging
import os
import subprocess
import sys
import threading
import uuid

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import update

from sideline.accounts import create_organisation
from sideline.jobs.execution import Outcome, execute
from sideline.jobs.registry import job_type
from sideline.jobs.service import create_job
from sideline.logs import make_handler, redact
from sideline.services import build_services
from sideline.storage.migrate import upgrade
from sideline.storage.models import Job, JobState
from tests.conftest import REDIS_URL, free_port, make_settings, start_server, wait_for

SECRET_PASSWORD = "hunter2-correct-horse"


@pytest.fixture
def backend(tmp_path) -> str:
    """These tests are about the HTTP and job layers; one (SQLite) database is enough."""
    return f"sqlite:///{tmp_path / 'db.sqlite3'}"


@job_type("test.observability.logs", description="Logs a line (with a secret in it) and finishes")
def _logging_job(ctx) -> dict:
    logging.getLogger("sideline.test.job").info("working; connecting with password=%s", SECRET_PASSWORD)
    return {}


@contextlib.contextmanager
def captured_logs(tmp_path, *, json_logs: bool = True):
    """Root logger output through Sideline's own handler (formatter + secret filter)."""
    stream = io.StringIO()
    handler = make_handler(make_settings(tmp_path, log_json=json_logs), stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --- Metrics --------------------------------------------------------------------------------------

def test_metrics_use_route_templates_and_status_classes(client, account):
    other_org = uuid.uuid4()
    route = "/api/v1/orgs/{org_id}/jobs"
    before_ok = sample("sideline_http_request_duration_seconds_count", method="GET", route=route, status="2xx")
    before_404 = sample("sideline_http_request_duration_seconds_count", method="GET", route=route, status="4xx")
    assert client.get(account.url("/jobs"), headers=account.headers).status_code == 200
    assert client.get(f"/api/v1/orgs/{other_org}/jobs", headers=account.headers).status_code == 404

    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert sample("sideline_http_request_duration_seconds_count", method="GET", route=route, status="2xx") == before_ok + 1
    assert sample("sideline_http_request_duration_seconds_count", method="GET", route=route, status="4xx") == before_404 + 1
    # No raw ids in any label: cardinality stays bounded whatever the traffic.
    assert str(account.org_id) not in text and str(other_org) not in text
    # The scrape itself is the one request in flight.
    assert "sideline_http_requests_in_flight 1.0" in text
    assert "sideline_websocket_connections" in text
    # Routes outside the API routers (the scrape itself) get their template too.
    assert 'route="/metrics",status="2xx"' in client.get("/metrics").text


def test_metrics_endpoint_is_outside_the_api_and_its_schema(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/metrics" not in paths and not any("metrics" in p for p in paths)
    assert client.get("/api/v1/metrics").status_code == 404


def test_job_counters_and_durations_by_type_and_final_state(client, account, services):
    labels = {"type": "demo.count", "state": "succeeded"}
    before = sample("sideline_jobs_total", **labels)
    before_hist = sample("sideline_job_duration_seconds_count", **labels)
    r = client.post(account.url("/jobs"), headers=account.headers,
                    json={"type": "demo.count", "params": {"steps": 2, "delay": 0}})
    job_id = r.json()["id"]
    wait_for(lambda: client.get(account.url(f"/jobs/{job_id}"), headers=account.headers).json()["state"] == "succeeded",
             message="the job to finish")
    wait_for(lambda: sample("sideline_jobs_total", **labels) == before + 1, message="the job counter")
    assert sample("sideline_job_duration_seconds_count", **labels) == before_hist + 1
    assert sample("sideline_jobs_running", type="demo.count") == 0

    # A job that fails records its final state, driven by hand (same code path as Celery workers).
    services.runner.stop()
    failed_before = sample("sideline_jobs_total", type="demo.count", state="failed")
    with services.db.session() as s:
        bad = create_job(s, account.org_id, "demo.count", {"steps": 1}).id
        s.execute(update(Job).where(Job.id == bad).values(params={"steps": "many"}))
    assert execute(services.job_env, bad, "test-worker") == Outcome.failed
    assert sample("sideline_jobs_total", type="demo.count", state="failed") == failed_before + 1
    assert 'sideline_jobs_total{state="failed",type="demo.count"}' in client.get("/metrics").text


# --- Logs -----------------------------------------------------------------------------------------

def test_access_log_is_json_with_request_id_route_status_and_duration(client, account, tmp_path):
    with captured_logs(tmp_path) as stream:
        r = client.get(account.url("/jobs"), headers={**account.headers, "X-Request-ID": "req-abc-123"})
        missing = client.get("/api/v1/nowhere")
    assert r.headers["x-request-id"] == "req-abc-123"
    access = [e for e in json_lines(stream.getvalue()) if e["logger"] == "sideline.access"]
    first = next(e for e in access if e["request_id"] == "req-abc-123")
    assert first["method"] == "GET" and first["route"] == "/api/v1/orgs/{org_id}/jobs"
    assert first["status"] == 200 and first["duration_ms"] >= 0
    assert first["path"] == f"/api/v1/orgs/{account.org_id}/jobs"
    second = next(e for e in access if e["path"] == "/api/v1/nowhere")
    assert second["status"] == 404 and second["request_id"] == missing.headers["x-request-id"]
    # The bearer token of the request is nowhere in the output.
    assert account.token not in stream.getvalue()


def test_job_logs_carry_the_job_id_and_lose_their_secrets(services, account, tmp_path):
    services.runner.stop()
    with services.db.session() as s:
        job_id = create_job(s, account.org_id, "test.observability.logs").id
    with captured_logs(tmp_path) as stream:
        assert execute(services.job_env, job_id, "test-worker") == Outcome.succeeded
    line = next(e for e in json_lines(stream.getvalue()) if e["logger"] == "sideline.test.job")
    assert line["job_id"] == str(job_id)
    assert SECRET_PASSWORD not in stream.getvalue() and "password=***" in line["message"]


def test_secret_filter_redacts_passwords_tokens_headers_and_url_passwords(tmp_path):
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    api_key = "sk_0123456789ab_" + "S" * 40
    log = logging.getLogger("sideline.test.redaction")
    with captured_logs(tmp_path) as stream:
        log.info("connecting to postgresql+psycopg://sideline:%s@db:5432/sideline", SECRET_PASSWORD)
        log.info("redis at redis://:%s@cache:6379/0", SECRET_PASSWORD)
        log.info("headers %s", {"Authorization": f"Bearer {jwt}", "X-API-Key": api_key, "Accept": "text/html"})
        log.info("login body %s", json.dumps({"email": "a@b.org", "password": SECRET_PASSWORD}))
        log.info("refresh with %s", jwt)
        log.warning("structured", extra={"request": {"password": SECRET_PASSWORD, "email": "a@b.org"},
                                         "secret_key": SECRET_PASSWORD})
        try:
            raise ConnectionError(f"could not connect to postgresql://u:{SECRET_PASSWORD}@h/db")
        except ConnectionError:
            log.exception("database unreachable")
    out = stream.getvalue()
    for secret in (SECRET_PASSWORD, jwt, api_key, "S" * 40):
        assert secret not in out
    events = json_lines(out)
    assert len(events) == 7  # nothing was dropped
    assert "postgresql+psycopg://sideline:***@db:5432/sideline" in events[0]["message"]
    assert "text/html" in events[2]["message"] and "a@b.org" in events[3]["message"]
    assert events[5]["request"] == {"password": "***", "email": "a@b.org"} and events[5]["secret_key"] == "***"
    assert "postgresql://u:***@h/db" in events[6]["exception"]
    # Plain-text logs go through the same filter.
    assert redact("SIDELINE_DATABASE_URL=postgresql://x:y@h/d") == "SIDELINE_DATABASE_URL=postgresql://x:***@h/d"
    assert redact("SIDELINE_SECRET_KEY=abc SIDELINE_PORT=80") == "SIDELINE_SECRET_KEY=*** SIDELINE_PORT=80"


def test_development_mail_log_keeps_its_links_but_not_passwords(tmp_path):
    with captured_logs(tmp_path) as stream:
        logging.getLogger("sideline.mail").info("mail to a@b.org: reset\nhttp://h/reset?token=abc123def456")
    assert "token=abc123def456" in stream.getvalue()


@pytest.mark.slow
def test_live_server_logs_json_access_lines_only_and_never_the_password(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    server = start_server(home, {"SIDELINE_LOG_JSON": "true"})
    try:
        r = httpx.post(server.url + "/api/v1/auth/login",
                       json={"email": server.demo_email, "password": server.demo_password})
        assert r.status_code == 200
        token = r.json()["access_token"]
        me = httpx.get(server.url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        httpx.post(server.url + "/api/v1/auth/login", json={"email": server.demo_email, "password": SECRET_PASSWORD})
        org_id = me.json()["memberships"][0]["organisation"]["id"]
        httpx.get(f"{server.url}/api/v1/orgs/{org_id}/jobs", headers={"Authorization": f"Bearer {token}"})

        def logged() -> list[dict]:
            return json_lines((home / "server.log").read_text())

        wait_for(lambda: any(e.get("route") == "/api/v1/orgs/{org_id}/jobs" for e in logged()),
                 message="the access line")
        text = (home / "server.log").read_text()
        events = logged()
    finally:
        server.process.terminate()
        server.process.wait(10)
    access = [e for e in events if e["logger"] == "sideline.access"]
    login = next(e for e in access if e["route"] == "/api/v1/auth/login" and e["status"] == 200)
    assert set(login) >= {"time", "level", "request_id", "method", "route", "status", "duration_ms"}
    assert any(e["route"] == "/api/v1/auth/login" and e["status"] == 401 for e in access)
    assert not any(e["logger"].startswith("uvicorn.access") for e in events)  # ours replaces it
    for secret in (server.demo_password, SECRET_PASSWORD, token):
        assert secret not in text


# --- Tracing --------------------------------------------------------------------------------------

class _Collector(http.server.ThreadingHTTPServer):
    """A stand-in OTLP/HTTP receiver: keeps the bodies POSTed to /v1/traces."""

    def __init__(self):
        self.bodies: list[bytes] = []
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                if self.path == "/v1/traces":
                    collector.bodies.append(body)
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.mark.slow
def test_tracing_exports_request_spans_over_otlp(tmp_path):
    pytest.importorskip("opentelemetry.sdk", reason="the otel extra is not installed")
    collector = _Collector()
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    home = tmp_path / "home"
    home.mkdir()
    endpoint = f"http://127.0.0.1:{collector.server_address[1]}"
    server = start_server(home, {"SIDELINE_OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"})
    try:
        r = httpx.post(server.url + "/api/v1/auth/login",
                       json={"email": server.demo_email, "password": server.demo_password})
        assert r.status_code == 200
        wait_for(lambda: any(b"/api/v1/auth/login" in body for body in collector.bodies), timeout=15,
                 message="a span of the login request at the collector")
    finally:
        server.process.terminate()
        server.process.wait(10)
        collector.shutdown()
    assert not any(server.demo_password.encode() in body for body in collector.bodies)


def test_tracing_without_the_packages_fails_at_start_with_one_line(tmp_path):
    # Simulates an installation without the otel extra: those imports fail as if absent.
    code = ("import sys\n"
            "for name in ('opentelemetry.sdk', 'opentelemetry.sdk.trace', 'opentelemetry.exporter',\n"
            "             'opentelemetry.exporter.otlp.proto.http.trace_exporter'):\n"
            "    sys.modules[name] = None\n"
            "sys.argv = ['sideline', 'serve', '--port', '1']\n"
            "from sideline.cli import main\n"
            "main()\n")
    env = {"PATH": "/usr/bin:/bin", "SIDELINE_HOME": str(tmp_path / "home"), "SIDELINE_ENVIRONMENT": "test",
           "SIDELINE_OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "SIDELINE_LOG_JSON": "false"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines == ["error: SIDELINE_OTEL_EXPORTER_OTLP_ENDPOINT is set but the OpenTelemetry packages are not "
                     "installed; install them with `pip install 'sideline[otel]'` or unset the variable"], result.stderr


# --- Celery workers -------------------------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
def test_celery_worker_records_job_metrics_on_its_own_port(tmp_path, pg_url, redis_namespace):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIDELINE_")}
    env.update(SIDELINE_ENVIRONMENT="test", SIDELINE_HOME=str(tmp_path / "worker-home"), SIDELINE_DATABASE_URL=pg_url,
               SIDELINE_REDIS_URL=REDIS_URL, SIDELINE_REDIS_NAMESPACE=redis_namespace, SIDELINE_LOG_JSON="true",
               SIDELINE_WORKER_METRICS_PORT=str(port), SIDELINE_JOB_HEARTBEAT_SECONDS="1")
    services = build_services(make_settings(tmp_path, database_url=pg_url, redis_url=REDIS_URL,
                                            redis_namespace=redis_namespace))
    upgrade(services.db.engine)
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as out:
        worker = subprocess.Popen([sys.executable, "-m", "sideline.cli", "worker", "--queues", "default"], env=env,
                                  cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    metrics_url = f"http://127.0.0.1:{port}/metrics"

    def scrape() -> str | None:
        if worker.poll() is not None:
            raise AssertionError(f"worker exited: {log_path.read_text()[-2000:]}")
        try:
            return httpx.get(metrics_url, timeout=1).text
        except httpx.HTTPError:
            return None

    try:
        wait_for(scrape, timeout=30, interval=0.2, message="the worker's metrics port")
        with services.db.session() as s:
            org_id = create_organisation(s, f"Club {uuid.uuid4().hex[:6]}", None).id
            job = create_job(s, org_id, "demo.count", {"steps": 1, "delay": 0})
            job_id, queue = job.id, job.queue
        services.runner.dispatch(job_id, queue)

        def finished() -> bool:
            with services.db.session() as s:
                return s.get(Job, job_id).state == JobState.succeeded

        wait_for(finished, timeout=30, interval=0.2, message="the job to finish on the worker")
        text = wait_for(lambda: (t := scrape()) and 'sideline_jobs_total{state="succeeded",type="demo.count"} 1.0' in t
                        and t, timeout=10, message="the worker's job counter")
        assert 'sideline_job_duration_seconds_count{state="succeeded",type="demo.count"} 1.0' in text
    finally:
        worker.terminate()
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
        services.close()
