"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from sideline import __version__
from sideline.api.deps import ServicesDep
from sideline.storage.migrate import is_up_to_date

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict:
    return {"status": "ok", "version": __version__}


@router.get("/readyz")
def readyz(services: ServicesDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        with services.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok" if is_up_to_date(services.db.engine) else "migrations pending"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    if services.redis is not None:
        try:
            services.redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    try:
        services.blobs.check()
        checks["blob_store"] = "ok"
    except Exception as exc:
        checks["blob_store"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503)
