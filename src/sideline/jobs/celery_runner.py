"""The runner used when Redis is configured: jobs go to ``sideline worker`` processes via Celery.

Durability design (see also ``sideline.jobs.execution`` and ``sideline.jobs.worker``):

- At-least-once execution. A job row is committed as ``queued`` before its message is sent.
  Messages are acknowledged late (after the job ran) and re-delivered if never acknowledged;
  a message that is lost (Redis down while sending, a worker died before claiming) is
  re-sent by the worker reaper, which looks at queued jobs in the database, not at Redis.
- Exactly one runner at a time, fenced by attempt number. ``execute`` claims a job with a
  conditional UPDATE (queued -> running, attempts + 1); a duplicate message finds it running
  and does nothing. Every later write of the job is conditioned on that attempt number, so a
  worker that was presumed dead and comes back cannot overwrite its successor's work.
- Exactly-once effects for steps. ``JobContext.run_step`` commits a step's writes together
  with its ledger row, so a re-run skips completed steps and never repeats their effects.
- Requeue bound. Running jobs heartbeat every H seconds (``job_heartbeat_seconds``); the
  reaper runs every H/2 and requeues jobs silent for 1.5 H, so a job whose worker was killed
  is requeued at most 2 H after its last heartbeat (plus one database round trip) and sent to
  another worker - not after Celery's visibility timeout.
- Retries. A crash (any exception but ``SidelineError``) requeues the job until it has used
  ``max_attempts``; the worker re-sends it with a short exponential countdown. User errors
  fail at once with their message.
"""

from __future__ import annotations

import logging
import threading
import uuid

from celery import Celery

from sideline.jobs.celery_app import RUN_JOB_TASK, make_celery_app
from sideline.settings import Settings

log = logging.getLogger(__name__)


class CeleryRunner:
    """Sends jobs to Celery workers; start/stop only manage the producer connection pool."""

    def __init__(self, settings: Settings, app: Celery | None = None):
        self.settings = settings
        self._app = app
        self._owns_app = app is None
        self._lock = threading.Lock()

    @property
    def app(self) -> Celery:
        with self._lock:
            if self._app is None:
                self._app = make_celery_app(self.settings)
            return self._app

    def start(self) -> None:
        self.app  # noqa: B018 - builds the app; the broker connection itself opens on first send

    def stop(self) -> None:
        with self._lock:
            if self._app is not None and self._owns_app:
                self._app.close()
                self._app = None

    def dispatch(self, job_id: uuid.UUID, queue: str, countdown: float | None = None) -> bool:
        """Send the job to its queue; False (logged, not raised) when Redis could not take it.

        Not raising is deliberate: the job is already committed as queued, and the worker
        reaper sends it again once it has been queued for a while with nobody taking it.
        """
        try:
            self.app.send_task(RUN_JOB_TASK, args=[str(job_id)], queue=queue, countdown=countdown)
            return True
        except Exception as exc:
            log.warning("could not send job %s to queue %s (%s: %s); a worker will pick it up later",
                        job_id, queue, type(exc).__name__, exc)
            return False
