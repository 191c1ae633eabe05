"""Logging: JSON lines (or plain text for a terminal) with request and job ids, secrets redacted.

``SecretFilter`` sits on the handler, so it sees records of every logger (ours, uvicorn,
SQLAlchemy, Celery) and rewrites passwords, tokens, Authorization headers, API keys and
the password part of URLs before anything is written.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
from typing import Any, TextIO

from sideline.settings import Settings

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("sideline_request_id", default=None)
job_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("sideline_job_id", default=None)

MASK = "***"
_SENSITIVE_WORDS = r"password|passwd|passphrase|secret|token|api[_-]?key|authorization|cookie|credential|private[_-]?key"
_SENSITIVE_KEY = re.compile(rf"(?i)({_SENSITIVE_WORDS})")

_URL_PASSWORD = (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s:/@'\"]*:)([^\s@/'\"]+)(@)"), rf"\1{MASK}\3")
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # scheme://user:password@host -> scheme://user:***@host (database, Redis, SMTP, S3 URLs)
    _URL_PASSWORD,
    # Authorization: Bearer xyz / Basic xyz, in headers or reprs
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]{6,}"), rf"\1 {MASK}"),
    # key=value, key: value, "key": "value" for sensitive-looking keys (password, access_token, x-api-key...)
    (re.compile(rf"""(?ix)
        (["']?[\w\-]*(?:{_SENSITIVE_WORDS})[\w\-]*["']?\s*[:=]\s*)   # the key and separator
        (?:"[^"]*"|'[^']*'|(?!\*\*\*)[^\s,&;}}\]\)]+)                   # the value
    """), rf"\1{MASK}"),
    # Sideline API keys and JWTs wherever they appear
    (re.compile(r"\bsk_[0-9a-f]{6,}_[A-Za-z0-9_\-]+"), f"sk_{MASK}"),
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*"), f"jwt:{MASK}"),
]


def redact(text: str, *, keep_links: bool = False) -> str:
    """Mask secrets in free text. ``keep_links`` (development mail log only) masks just URL passwords,
    so password-reset and invitation links stay usable."""
    if not text:
        return text
    for pattern, replacement in [_URL_PASSWORD] if keep_links else _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(value: Any, key: str = "", **kw: Any) -> Any:
    """Redact a structured ``extra`` value: sensitive keys lose their value, strings are scanned."""
    if key and _SENSITIVE_KEY.search(key) and value not in (None, "", MASK):
        return MASK
    if isinstance(value, str):
        return redact(value, **kw)
    if isinstance(value, dict):
        return {k: redact_value(v, str(k), **kw) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(v, **kw) for v in value]
    return value


# Record attributes that are not "extras"; uvicorn's color_message duplicates the message with ANSI codes.
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName",
                                                                             "color_message"}


class SecretFilter(logging.Filter):
    """Redacts the message, its arguments and structured extras; adds request and job ids."""

    def __init__(self, keep_mail_links: bool = False):
        super().__init__()
        self.keep_mail_links = keep_mail_links

    def filter(self, record: logging.LogRecord) -> bool:
        keep = self.keep_mail_links and record.name == "sideline.mail"
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact(message, keep_links=keep), None
        for key in list(vars(record)):
            if key not in _STANDARD_ATTRS:
                setattr(record, key, redact_value(getattr(record, key), key))
        if getattr(record, "request_id", None) is None and request_id_var.get() is not None:
            record.request_id = request_id_var.get()
        if getattr(record, "job_id", None) is None and job_id_var.get() is not None:
            record.job_id = job_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; extras (``extra={...}``) become top-level fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
                                   "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and value is not None:
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)

    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        # Exception texts (e.g. a driver error quoting a URL) bypass the message filter.
        return redact(super().formatException(ei))

    converter = time.gmtime


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(f"{k}={getattr(record, k)}" for k in ("request_id", "job_id") if getattr(record, k, None))
        return f"{line} [{ids}]" if ids else line

    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        return redact(super().formatException(ei))


def make_handler(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_json else TextFormatter())
    handler.addFilter(SecretFilter(keep_mail_links=settings.environment != "production"))
    return handler


_configured = False


def configure_logging(settings: Settings) -> None:
    global _configured
    if _configured:
        return
    root = logging.getLogger()
    root.handlers[:] = [make_handler(settings)]
    root.setLevel(settings.log_level.upper())
    # Our access-log middleware (sideline.access) replaces uvicorn's, which lacks route and request id.
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers[:] = []
    uvicorn_access.propagate = False
    # Alembic announces each of its plugins on every schema check; keep its real messages only.
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migration chatter; errors still show
    _configured = True
