"""Application factory: ``create_app()`` builds the FastAPI app for one set of settings."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from sideline import __version__
from sideline.api.caching import ETagMiddleware
from sideline.api.errors import error_response, install_error_handlers, install_input_guards
from sideline.api.routers import auth, health, jobs, orgs
from sideline.api.routers import account, api_keys, athletes, datasets, export, invitations, members, preferences
from sideline.api.routers import ws
from sideline.api.routers import files, uploads
from sideline.api.routers import f1, f1_analysis, f1_graphql, f1_predictions, football, football_clips
from sideline.api.routers import swings, videos
from sideline.observability import install_observability
from sideline.storage.db import MAX_OVERFLOW, POOL_SIZE
from sideline.services import Services, build_services
from sideline.settings import Settings, get_settings

API_PREFIX = "/api/v1"
POOL_CAPACITY = POOL_SIZE + MAX_OVERFLOW
STATIC_DIR = Path(__file__).parent / "static"


def api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    for module in (auth, orgs, jobs, account, preferences, api_keys, members, invitations, athletes, datasets, export, ws,
                   uploads, files, football, football_clips, f1, f1_analysis, f1_predictions, f1_graphql, videos, swings):
        router.include_router(module.router)
    return router


@functools.cache
def _api_routes() -> tuple:
    """The API's routes, built once per process and shared by every app it creates.

    Compiling the routes' request and response models takes most of a second; the routes hold
    no per-app state (settings and services are read from ``request.app.state``), and the router
    they are built on has no dependency-overrides provider, so sharing them is safe.
    """
    return tuple(api_router().routes)


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        owned = app.state.services is None
        if owned:
            app.state.services = build_services(settings)
        try:
            yield
        finally:
            if owned:
                app.state.services.close()
                app.state.services = None

    app = FastAPI(title="Sideline", version=__version__, lifespan=lifespan, docs_url="/docs",
                  openapi_url=f"{API_PREFIX}/openapi.json",
                  description="Sports performance analytics. All organisation data lives under /api/v1/orgs/{org_id}.")
    app.state.services = services
    app.state.settings = settings
    # Connections left for requests after the in-process runner's job, heartbeat and maintenance threads.
    reserved = 2 * settings.job_workers + 2 if not settings.redis_url else 2
    app.state.db_slots = asyncio.Semaphore(max(2, POOL_CAPACITY - reserved))
    install_error_handlers(app)
    install_input_guards(app, settings.max_body_bytes)  # added first: innermost, so 413s get a request id
    app.add_middleware(ETagMiddleware)

    @app.middleware("http")
    async def request_id(request: Request, call_next):
        # ObservabilityMiddleware (outermost) has already chosen the id, so logs and header agree.
        rid = getattr(request.state, "request_id", None) or request.headers.get("x-request-id") or uuid.uuid4().hex
        request.state.request_id = rid[:64]
        response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    app.router.routes.extend(_api_routes())
    app.include_router(health.router)
    install_observability(app, settings)  # /metrics must precede the web app's catch-all route
    _mount_web_app(app)
    return app


def _mount_web_app(app: FastAPI) -> None:
    """Serve the built web app at / with a fallback to index.html so deep links work."""
    index = STATIC_DIR / "index.html"
    if (STATIC_DIR / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=STATIC_DIR / "assets"), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    async def spa(path: str, request: Request):
        if path.startswith(("api/", "docs", "healthz", "readyz", "metrics")):
            return error_response(request, 404, "not_found", f"No such endpoint: {request.method} /{path}")
        candidate = (STATIC_DIR / path).resolve()
        if path and candidate.is_file() and STATIC_DIR.resolve() in candidate.parents:
            return FileResponse(candidate)
        if index.is_file():
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return JSONResponse({"message": "Sideline API is running; the web app is not built (run `make web`).",
                             "docs": "/docs"}, status_code=200)
