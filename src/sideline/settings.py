"""Runtime configuration from ``SIDELINE_*`` environment variables and ``.env``.

Embedded defaults (SQLite file, local blob folder, in-process jobs and pub/sub) need no
configuration at all; production points the three URLs at PostgreSQL, Redis and S3.
"""

from __future__ import annotations

import functools
import os
import secrets
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Lists from the environment may be JSON (["a","b"]) or, as people usually write them, "a,b".
StrList = Annotated[list[str], NoDecode]

DEFAULT_HOME = Path("./var")
INSECURE_DEV_SECRET = "insecure-development-secret-change-me"


class ConfigurationError(RuntimeError):
    """Raised for settings that cannot work; the CLI prints it as one line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SIDELINE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["development", "test", "production"] = "development"
    home: Path = Field(DEFAULT_HOME, description="Folder for the embedded database, blobs and keys")

    database_url: str | None = None
    redis_url: str | None = None
    # Prefix of every Redis key and Celery queue, so several installations (or test runs) can share one Redis.
    redis_namespace: str = Field("sideline", pattern=r"^[A-Za-z0-9:_-]{1,60}$")
    blob_url: str | None = None
    # Options for fsspec's S3 filesystem (any S3-compatible store).
    s3_endpoint_url: str | None = None
    s3_region: str | None = None

    secret_key: str | None = None
    access_token_minutes: int = Field(15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(14, ge=1, le=365)
    invitation_days: int = Field(7, ge=1, le=90)
    password_reset_minutes: int = Field(60, ge=5, le=24 * 60)

    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    cors_origins: StrList = []
    # permessage-deflate on WebSockets: off by default. Live deltas are a few hundred bytes, and
    # deflate runs once per frame per connection: at 1,000 clients it was half the server's CPU
    # for little saved bandwidth (docs/benchmarks.md, F1 live latency).
    ws_compression: bool = False

    mail_backend: Literal["log", "smtp"] = "log"
    smtp_url: str | None = None
    mail_from: str = "sideline@localhost"

    max_upload_bytes: int = Field(20 * 1024**3, ge=1)
    # Bodies other than raw uploads are read into memory whole; larger ones get 413.
    max_body_bytes: int = Field(1024**2, ge=1024)
    upload_chunk_bytes: int = Field(8 * 1024**2, ge=64 * 1024)
    allowed_upload_types: StrList = [
        "video/*", "application/json", "application/x-ndjson", "text/csv", "text/plain",
        "application/xml", "text/xml", "application/zip", "application/gzip",
        "application/octet-stream", "application/vnd.apache.parquet",
    ]

    rate_limit_per_minute: int = Field(600, ge=1)
    rate_limit_burst: int = Field(120, ge=1)
    login_rate_limit_per_minute: int = Field(10, ge=1)

    job_workers: int = Field(2, ge=1, le=64, description="threads of the in-process runner")
    job_heartbeat_seconds: float = Field(10.0, gt=0, le=600)
    job_max_attempts: int = Field(3, ge=1, le=20)
    job_modules: StrList = Field(default_factory=list, description="extra modules that register job types")
    worker_queues: StrList = ["default", "ingest", "video", "pose"]

    log_level: str = "INFO"
    log_json: bool = True
    otel_exporter_otlp_endpoint: str | None = None
    # Port of a worker's own /metrics (a Celery worker has no HTTP server); unset: none.
    worker_metrics_port: int | None = Field(None, ge=1, le=65535)

    @field_validator("cors_origins", "allowed_upload_types", "job_modules", "worker_queues", mode="before")
    @classmethod
    def _split_list(cls, value):
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                try:
                    return json.loads(text)
                except json.JSONDecodeError:
                    raise ValueError("not a valid JSON list") from None
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql+psycopg://")
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("blob_url")
    @classmethod
    def _check_blob_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        scheme = value.split("://", 1)[0] if "://" in value else "file"
        if scheme not in {"file", "s3", "az", "abfs", "memory"}:
            raise ValueError(f"unsupported scheme {scheme!r}; use a local path, s3://, az:// or abfs://")
        return value

    @model_validator(mode="after")
    def _production_needs_secret(self) -> "Settings":
        if self.environment == "production" and (
            not self.secret_key or self.secret_key == INSECURE_DEV_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError("SIDELINE_SECRET_KEY must be set to 32+ random characters in production")
        return self

    # Resolved values ---------------------------------------------------------------
    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'sideline.sqlite3').resolve()}"

    @property
    def resolved_blob_url(self) -> str:
        return self.blob_url or str((self.home / "blobs").resolve())

    @property
    def is_embedded(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def resolved_secret_key(self) -> str:
        """The signing key; in development a random one is kept in the home folder."""
        if self.secret_key:
            return self.secret_key
        return _home_secret_key(self.home.resolve())


@functools.lru_cache(maxsize=8)
def _home_secret_key(home: Path) -> str:
    # Cached: every request verifies a token with it, and the file never changes while we run.
    key_file = home / "secret.key"
    if key_file.exists():
        return key_file.read_text().strip()
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Created owner-only from the start (no window where others could read it).
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    field = ".".join(str(p) for p in first.get("loc", ())) or "settings"
    env = f"SIDELINE_{field.upper()}" if field != "settings" else "settings"
    return f"Invalid configuration: {env}: {first.get('msg')}"


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigurationError(_describe(exc)) from None


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
