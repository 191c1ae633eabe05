"""The exception tree every layer raises; the API maps each to one HTTP status and code.

Messages are shown to users as they are, so they say precisely what was wrong and never
contain secrets or internal paths.
"""

from __future__ import annotations

from typing import Any


class SidelineError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class InvalidInput(SidelineError):
    status_code = 400
    code = "invalid_input"


class Unauthorized(SidelineError):
    status_code = 401
    code = "unauthorized"

    def __init__(self, message: str = "Authentication required", **kw):
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kw)


class Forbidden(SidelineError):
    status_code = 403
    code = "forbidden"


class NotFound(SidelineError):
    status_code = 404
    code = "not_found"


class Conflict(SidelineError):
    status_code = 409
    code = "conflict"


class Gone(SidelineError):
    """The thing existed but can no longer be used (an expired or used one-time link)."""

    status_code = 410
    code = "gone"


class PayloadTooLarge(SidelineError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(SidelineError):
    status_code = 415
    code = "unsupported_media_type"


class RangeNotSatisfiable(SidelineError):
    status_code = 416
    code = "range_not_satisfiable"


class RateLimited(SidelineError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, retry_after: float, message: str = "Too many requests"):
        seconds = max(1, int(retry_after + 0.999))
        super().__init__(f"{message}; retry in {seconds} s", headers={"Retry-After": str(seconds)})
        self.retry_after = seconds


class ServiceUnavailable(SidelineError):
    status_code = 503
    code = "service_unavailable"
