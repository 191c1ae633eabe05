"""Metrics (Prometheus), the per-request access log and optional OpenTelemetry tracing.

Metric names are stable API for dashboards; labels are bounded on purpose: routes are
templates (``/api/v1/orgs/{org_id}/jobs``), never raw paths, and statuses are classes.

Several processes (``sideline serve --workers N``, Celery prefork children) each hold their
own counters; set ``PROMETHEUS_MULTIPROC_DIR`` to an empty, writable folder for all of them
and ``/metrics`` (or the worker metrics port) aggregates the folder instead (docs/deploy.md).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from sideline.logs import job_id_var, request_id_var
from sideline.settings import ConfigurationError, Settings

if TYPE_CHECKING:  # pragma: no cover
    from fastapi import FastAPI

log = logging.getLogger(__name__)
access_log = logging.getLogger("sideline.access")

# --- Metrics ------------------------------------------------------------------------------

WS_CONNECTIONS = Gauge("sideline_websocket_connections", "Open WebSocket connections", multiprocess_mode="livesum")

HTTP_IN_FLIGHT = Gauge("sideline_http_requests_in_flight", "HTTP requests being served", multiprocess_mode="livesum")
HTTP_DURATION = Histogram(
    "sideline_http_request_duration_seconds", "HTTP request latency by route template",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
JOBS_FINISHED = Counter("sideline_jobs", "Job attempts run to an outcome, by type and final state", ["type", "state"])
JOBS_RUNNING = Gauge("sideline_jobs_running", "Jobs executing now, by type", ["type"], multiprocess_mode="livesum")
JOB_DURATION = Histogram(
    "sideline_job_duration_seconds", "Wall time of one job attempt, by type and final state", ["type", "state"],
    buckets=(0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400),
)

UNMATCHED_ROUTE = "<unmatched>"


def metrics_registry() -> CollectorRegistry:
    """The registry to expose: this process's, or the multiprocess folder's aggregate."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def render_metrics() -> bytes:
    return generate_latest(metrics_registry())


def start_worker_metrics_server(port: int, addr: str = "0.0.0.0") -> None:
    """Expose /metrics of a Celery worker on its own port (the worker has no HTTP server)."""
    from prometheus_client import start_http_server

    start_http_server(port, addr=addr, registry=metrics_registry())


def start_worker_observability(settings: Settings, service_name: str = "sideline-worker") -> None:
    """What a worker process calls at start-up: its metrics port and tracing, if configured."""
    if settings.worker_metrics_port:
        try:
            start_worker_metrics_server(settings.worker_metrics_port)
        except OSError as exc:
            raise ConfigurationError(f"SIDELINE_WORKER_METRICS_PORT={settings.worker_metrics_port}: "
                                     f"cannot listen there ({exc.strerror})") from None
        log.info("worker metrics on :%s/metrics", settings.worker_metrics_port)
    if settings.otel_exporter_otlp_endpoint:
        configure_tracing(settings, service_name)


def record_job(job_type: str, state: str, seconds: float) -> None:
    JOBS_FINISHED.labels(job_type, state).inc()
    JOB_DURATION.labels(job_type, state).observe(seconds)


@contextlib.contextmanager
def job_context(job_id: uuid.UUID | str) -> Iterator[None]:
    """Tag every log record of this job's thread with its id."""
    token = job_id_var.set(str(job_id))
    try:
        yield
    finally:
        job_id_var.reset(token)


@contextlib.contextmanager
def observe_job(job_type: str) -> Iterator[dict[str, str]]:
    """Count a running job and, on exit, record its duration under ``result['state']``."""
    started = time.monotonic()
    result: dict[str, str] = {"state": "crashed"}  # overwritten unless the runner itself raised
    JOBS_RUNNING.labels(job_type).inc()
    span = _job_span(job_type)
    try:
        yield result
    finally:
        JOBS_RUNNING.labels(job_type).dec()
        record_job(job_type, result["state"], time.monotonic() - started)
        if span is not None:
            span.set_attribute("sideline.job.state", result["state"])
            span.end()


# --- Requests: metrics + access log ---------------------------------------------------------

def _route_template(scope: dict) -> str:
    """The matched route's full template, e.g. ``/api/v1/orgs/{org_id}/jobs``."""
    # Recent FastAPI keeps included routers nested, so scope["route"].path lacks their prefixes;
    # the effective route context has the full template. Older FastAPI flattens routes instead.
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    path = getattr(context, "path_format", None)
    if not path:
        route = scope.get("route")
        path = getattr(route, "path", None) if route is not None else None
    return path or _plain_route_template(scope) or UNMATCHED_ROUTE


def _plain_route_template(scope: dict) -> str | None:
    """Starlette routes and mounts on the app itself (``/metrics``, ``/assets``) leave no route in scope."""
    from starlette.routing import Mount

    endpoint, path = scope.get("endpoint"), scope.get("path", "")
    for route in getattr(getattr(scope.get("app"), "router", None), "routes", ()):
        if endpoint is not None and getattr(route, "endpoint", None) is endpoint:
            return route.path
        if isinstance(route, Mount) and path.startswith(route.path + "/"):
            return route.path + "/{path}"
    return None


class ObservabilityMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware) so streaming downloads are timed to their last byte."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming_request_id(scope) or uuid.uuid4().hex
        # The app's request-id middleware reads it from here, so logs and X-Request-ID agree.
        scope.setdefault("state", {})["request_id"] = rid
        token = request_id_var.set(rid)
        status = 500
        started = time.perf_counter()
        HTTP_IN_FLIGHT.inc()

        async def send_wrapper(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            HTTP_IN_FLIGHT.dec()
            route = _route_template(scope)
            method = scope.get("method", "")
            HTTP_DURATION.labels(method, route, f"{status // 100}xx").observe(elapsed)
            access_log.info("%s %s %s %.1fms", method, route, status, elapsed * 1000,
                            extra={"method": method, "route": route, "path": scope.get("path", ""),
                                   "status": status, "duration_ms": round(elapsed * 1000, 2),
                                   "client": (scope.get("client") or ("", 0))[0]})
            request_id_var.reset(token)


def _incoming_request_id(scope: dict) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1").strip()
            return text[:64] if text else None
    return None


def install_observability(app: "FastAPI", settings: Settings) -> None:
    """Mount /metrics (outside /api/v1 and the OpenAPI schema), the middleware, and tracing."""
    from starlette.requests import Request
    from starlette.responses import Response

    async def metrics(_: Request) -> Response:
        return Response(render_metrics(), media_type=CONTENT_TYPE_LATEST)

    app.add_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
    app.add_middleware(ObservabilityMiddleware)
    if settings.otel_exporter_otlp_endpoint:
        configure_tracing(settings, "sideline-api")
        if not _fastapi_traces_natively():
            from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

            FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")


# --- OpenTelemetry (optional extra) ----------------------------------------------------------

_tracer: Any = None
OTEL_MISSING = ("SIDELINE_OTEL_EXPORTER_OTLP_ENDPOINT is set but the OpenTelemetry packages are not installed; "
                "install them with `pip install 'sideline[otel]'` or unset the variable")


def check_tracing(settings: Settings) -> None:
    """Raise ConfigurationError (one line) if tracing is asked for but cannot work."""
    if not settings.otel_exporter_otlp_endpoint:
        return
    try:
        import opentelemetry.exporter.otlp.proto.http.trace_exporter  # noqa: F401
        import opentelemetry.sdk.trace  # noqa: F401

        if not _fastapi_traces_natively():
            import opentelemetry.instrumentation.fastapi  # noqa: F401
    except ImportError:
        raise ConfigurationError(OTEL_MISSING) from None


def _fastapi_traces_natively() -> bool:
    # FastAPI with built-in telemetry emits server spans (with http.route) once a tracer
    # provider is configured; older releases need the instrumentation package.
    try:
        import fastapi.telemetry  # noqa: F401
    except ImportError:
        return False
    return True


def traces_endpoint(endpoint: str) -> str:
    # Same rule as OTEL_EXPORTER_OTLP_ENDPOINT: a base URL gets the signal path appended.
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else endpoint + "/v1/traces"


def configure_tracing(settings: Settings, service_name: str) -> None:
    """Export spans over OTLP/HTTP; once per process (the global provider cannot be replaced)."""
    global _tracer
    check_tracing(settings)
    if _tracer is not None:
        return
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(
        OTLPSpanExporter(endpoint=traces_endpoint(settings.otel_exporter_otlp_endpoint or ""))))
    trace.set_tracer_provider(provider)
    _tracer = trace.get_tracer("sideline")
    log.info("tracing to %s as %s", settings.otel_exporter_otlp_endpoint, service_name)


def flush_tracing(timeout_ms: int = 5000) -> None:
    if _tracer is None:
        return
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    flush = getattr(provider, "force_flush", None)
    if flush:
        flush(timeout_ms)


def _job_span(job_type: str):
    if _tracer is None:
        return None
    span = _tracer.start_span(f"job {job_type}", attributes={"sideline.job.type": job_type,
                                                            "sideline.job.id": job_id_var.get() or ""})
    return span
