"""The long-lived parts one process needs, built once from settings.

The API server, the CLI and Celery workers all build a ``Services``; which implementation
each part gets (SQLite or PostgreSQL, memory or Redis, local disk or S3, threads or Celery)
follows from the settings alone.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from sideline.jobs.execution import JobEnvironment
from sideline.jobs.registry import load_job_modules
from sideline.live.pubsub import MemoryPubSub, PubSub
from sideline.settings import Settings
from sideline.storage.db import Database

log = logging.getLogger(__name__)


@dataclasses.dataclass
class Services:
    settings: Settings
    db: Database
    pubsub: PubSub
    blobs: Any
    runner: Any
    rate_limiter: Any
    mailer: Any
    redis: Any = None

    @property
    def job_env(self) -> JobEnvironment:
        return JobEnvironment(db=self.db, publish=self.pubsub.publish, heartbeat_seconds=self.settings.job_heartbeat_seconds,
                              blobs=self.blobs, settings=self.settings)

    def close(self) -> None:
        for part in (self.runner, self.pubsub):
            stop = getattr(part, "stop", None) or getattr(part, "close", None)
            if stop:
                try:
                    stop()
                except Exception:
                    log.warning("error while stopping %s", part, exc_info=True)
        if self.redis is not None:
            self.redis.close()
        self.db.dispose()


def build_services(settings: Settings, *, start_runner: bool = True) -> Services:
    from sideline.auth.rate_limit import make_rate_limiter
    from sideline.mail import make_mailer
    from sideline.storage.blobs import make_blob_store

    load_job_modules(settings.job_modules)
    db = Database.from_settings(settings)
    redis_client = None
    if settings.redis_url:
        import redis

        redis_client = redis.Redis.from_url(settings.redis_url)
        from sideline.live.redis_pubsub import RedisPubSub

        pubsub: PubSub = RedisPubSub(settings.redis_url, namespace=settings.redis_namespace)
    else:
        pubsub = MemoryPubSub()
    blobs = make_blob_store(settings)
    services = Services(settings=settings, db=db, pubsub=pubsub, blobs=blobs, runner=None,
                        rate_limiter=make_rate_limiter(settings, redis_client), mailer=make_mailer(settings),
                        redis=redis_client)
    if settings.redis_url:
        from sideline.jobs.celery_runner import CeleryRunner

        services.runner = CeleryRunner(settings)
    else:
        from sideline.jobs.runners import InProcessRunner

        services.runner = InProcessRunner(services.job_env, workers=settings.job_workers)
    if start_runner:
        services.runner.start()
    return services
