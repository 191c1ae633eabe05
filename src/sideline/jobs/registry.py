"""Job types register here by name; workers import the modules that define them."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from typing import Any

from sideline.errors import InvalidInput

# Queues let heavy work go to dedicated workers (e.g. ``sideline worker --queues video`` on GPU machines).
QUEUES = ("default", "ingest", "video", "pose")


@dataclasses.dataclass(frozen=True)
class JobType:
    name: str
    fn: Callable[..., dict | None]
    queue: str
    description: str
    max_attempts: int | None
    # Checks the parameters when the job is created, so bad input is a 4xx, not a failed job.
    validate: Callable[[dict[str, Any]], None] | None = None
    # False for jobs that only their own routes may start (they check roles and rows first).
    generic_api: bool = True


_REGISTRY: dict[str, JobType] = {}

# Modules whose import registers the built-in job types.
BUILTIN_MODULES = ("sideline.jobs.builtin", "sideline.privacy", "sideline.jobs.football", "sideline.jobs.f1",
                   "sideline.jobs.video", "sideline.jobs.swing", "sideline.jobs.f1_models")


def job_type(name: str, *, queue: str = "default", description: str = "", max_attempts: int | None = None,
             validate: Callable[[dict[str, Any]], None] | None = None, generic_api: bool = True):
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        _REGISTRY[name] = JobType(name, fn, queue, description or (fn.__doc__ or "").strip().split("\n")[0],
                                  max_attempts, validate, generic_api)
        return fn

    return register


def load_job_modules(extra: list[str] | tuple[str, ...] = ()) -> None:
    for module in (*BUILTIN_MODULES, *extra):
        importlib.import_module(module)


def get_job_type(name: str) -> JobType:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise InvalidInput(f"Unknown job type {name!r}; known types: {', '.join(sorted(_REGISTRY))}") from None


def all_job_types() -> list[JobType]:
    return sorted(_REGISTRY.values(), key=lambda t: t.name)
