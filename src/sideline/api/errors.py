"""One error body everywhere: {"error": {"code", "message", "details", "request_id"}}."""

from __future__ import annotations

import email.message
import json
import logging
import math
import re
from typing import Any

from fastapi import FastAPI, Request, params
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sideline.errors import SidelineError

log = logging.getLogger("sideline.api")

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 410: "gone", 411: "length_required",
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
        if (unsupported := _not_json_body(request, exc)) is not None:
            return error_response(request, 415, "unsupported_media_type", unsupported)
        raw = exc.errors()[0] if exc.errors() else {}
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(p for p in first["loc"] if p != "body") or "request"
        message = f"{where}: {first['msg']}"
        if first.get("type") in ("uuid_parsing", "uuid_type") and first["loc"][:1] in (["path"], ["query"]):
            # pydantic's text describes the parser; say which parameter and what was wrong.
            kind = "path" if first["loc"][0] == "path" else "query"
            value = str(raw.get("input", ""))[:60]
            message = f"{first['loc'][-1]} in the {kind} must be a UUID like 123e4567-e89b-12d3-a456-426614174000, not {value!r}"
        return error_response(request, 422, "validation_error", message, errors)

    # Database errors caused by the input (values PostgreSQL cannot store) or by races: never a 500.
    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError):
        log.info("database rejected a value on %s %s: %s", request.method, request.url.path, str(exc.orig)[:200])
        return error_response(request, 400, "invalid_input",
                              "A value in the request cannot be stored (for example text with NUL characters, "
                              "or a number or date out of range)")

    @app.exception_handler(IntegrityError)
    async def _integrity_error(request: Request, exc: IntegrityError):
        log.warning("integrity error on %s %s: %s", request.method, request.url.path, str(exc.orig)[:200])
        return error_response(request, 409, "conflict",
                              "The change conflicts with existing data (perhaps changed at the same time); "
                              "reload and try again")

    @app.exception_handler(OperationalError)
    async def _operational_error(request: Request, exc: OperationalError):
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, str(exc.orig)[:200])
        return error_response(request, 503, "service_unavailable",
                              "The database is busy or unreachable; try again in a moment", headers={"Retry-After": "1"})

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


# --- Input guards --------------------------------------------------------------------------

def _is_json_type(content_type: str) -> bool:
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


def _not_json_body(request: Request, exc: RequestValidationError) -> str | None:
    """Why a JSON route got an unusable body (the error message), or None.

    FastAPI hands a body that is not declared as JSON to validation as raw bytes, which fails
    as if the fields were wrong; the real problem is the media type, hence 415.
    """
    route = request.scope.get("route")
    body_field = getattr(route, "body_field", None)
    if body_field is None or isinstance(body_field.field_info, params.Form):
        return None
    if not isinstance(exc.body, (bytes, bytearray)) or not exc.body:
        return None
    content_type = request.headers.get("content-type")
    if not content_type:
        return "The request has a body but no Content-Type; send it as application/json"
    if _is_json_type(content_type):
        return None
    return f"This endpoint takes application/json, not {content_type.split(';')[0].strip()[:100]!r}"


# Routes whose body is raw file content, streamed to the blob store rather than read into memory.
RAW_BODY_PATHS = re.compile(r"^/api/v1/orgs/[^/]+/(uploads|files)/[^/]+/(content|chunks?|parts?)(/.*)?$")


# An escaped NUL (\u0000) in a JSON string, i.e. one not preceded by an escaping backslash.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
# What could parse to a non-finite float: NaN, Infinity, or a number beyond ~1.8e308.
_MAYBE_NOT_FINITE = re.compile(rb"NaN|Infinity|[eE][+-]?\d{3}|\d{300}")


def _has_non_finite_number(body: bytes) -> bool:
    """Python's JSON parser accepts NaN and Infinity (and turns 1e400 into inf); JSON has no
    such numbers, PostgreSQL refuses them and responses could not carry them back."""
    if not _MAYBE_NOT_FINITE.search(body):
        return False

    def finite(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(text)
        return value

    def constant(text: str):
        raise ValueError(text)

    try:
        json.loads(body, parse_float=finite, parse_constant=constant)
    except ValueError as exc:
        # A body that is not JSON at all is left to the route, which reports it as malformed.
        return not isinstance(exc, json.JSONDecodeError)
    except RecursionError:
        return False
    return False


class InputGuardMiddleware:
    """Rejects input no route could handle, before any route sees it.

    - 413 for request bodies over ``max_bytes``, except raw uploads and multipart forms: every
      other body (JSON, or anything sent to a JSON route) is read into memory whole. Checked
      up front by Content-Length and again while streaming, for chunked bodies without one.
    - 400 for NUL characters in the URL or in JSON strings: PostgreSQL cannot store them, so
      rejecting them here makes SQLite and PostgreSQL installations behave the same.
    """

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> str:
        return f"The request body is larger than the limit of {self.max_bytes // 1024} KiB"

    async def _reject(self, scope: Scope, receive: Receive, send: Send, status: int, code: str, message: str) -> None:
        await error_response(Request(scope), status, code, message)(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
            await self._reject(scope, receive, send, 400, "invalid_input", "The URL must not contain NUL characters")
            return
        headers = {k: v for k, v in scope["headers"] if k in (b"content-length", b"content-type")}
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        if RAW_BODY_PATHS.match(scope["path"]) or content_type.lower().startswith("multipart/form-data"):
            await self.app(scope, receive, send)  # streamed to the blob store or spooled to disk
            return
        length = headers.get(b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > self.max_bytes:
            await self._reject(scope, receive, send, 413, "payload_too_large", self._too_large())
            return
        if content_type and _is_json_type(content_type):
            await self._json(scope, receive, send)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # FastAPI re-raises HTTPExceptions from body reading; the handler above shapes it.
                    raise StarletteHTTPException(413, self._too_large())
            return message

        await self.app(scope, limited_receive, send)

    async def _json(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the (bounded) JSON body first, check it, then replay it to the app."""
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                await self._reject(scope, receive, send, 413, "payload_too_large", self._too_large())
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        if _JSON_NUL.search(body):
            await self._reject(scope, receive, send, 400, "invalid_input", "Text must not contain NUL characters (\\u0000)")
            return
        if _has_non_finite_number(body):
            await self._reject(scope, receive, send, 400, "invalid_input",
                               "Numbers must be finite and storable: no NaN, Infinity or numbers this large")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def install_input_guards(app: FastAPI, max_body_bytes: int) -> None:
    app.add_middleware(InputGuardMiddleware, max_bytes=max_body_bytes)
