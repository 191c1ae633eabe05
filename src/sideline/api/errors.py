"""One error body everywhere: {"error": {"code", "message", "details", "request_id"}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sideline.errors import SidelineError

log = logging.getLogger("sideline.api")

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 411: "length_required",
              413: "payload_too_large", 415: "unsupported_media_type", 416: "range_not_satisfiable",
              422: "validation_error", 429: "rate_limited", 500: "internal_error", 503: "service_unavailable"}


def error_body(request: Request, status: int, code: str, message: str, details: Any = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details,
                      "request_id": getattr(request.state, "request_id", None)}}


def error_response(request: Request, status: int, code: str, message: str, details: Any = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(request, status, code, message, details), status_code=status, headers=headers)


def _clean_validation_errors(errors: list[dict]) -> list[dict]:
    cleaned = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ())]
        cleaned.append({"loc": loc, "msg": e.get("msg", ""), "type": e.get("type", "")})
    return cleaned


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SidelineError)
    async def _sideline(request: Request, exc: SidelineError):
        return error_response(request, exc.status_code, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = _clean_validation_errors(exc.errors())
        if any(e["type"] == "json_invalid" for e in errors):
            return error_response(request, 400, "malformed_json", "The request body is not valid JSON", errors)
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(p for p in first["loc"] if p != "body") or "request"
        return error_response(request, 422, "validation_error", f"{where}: {first['msg']}", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = HTTP_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ").capitalize()
        if exc.status_code == 404 and message == "Not Found":
            message = f"No such endpoint: {request.method} {request.url.path}"
        return error_response(request, exc.status_code, code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "internal_error",
                              "Internal server error; the request id identifies it in the server log")
