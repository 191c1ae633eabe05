"""Runners decide where a queued job executes: threads in this process, or Celery workers."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from sideline.storage.partitions import maintain_partitions
from sideline.jobs.execution import JobEnvironment, Outcome, execute, queued_jobs, requeue_stale

log = logging.getLogger(__name__)


def worker_name(kind: str) -> str:
    return f"{kind}@{socket.gethostname()}:{os.getpid()}"


class JobRunner(Protocol):
    def dispatch(self, job_id: uuid.UUID, queue: str) -> None: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...


class InProcessRunner:
    """Embedded default: a thread pool in the server process, plus a maintenance loop that
    requeues jobs whose heartbeat went stale and dispatches queued jobs after a restart."""

    def __init__(self, env: JobEnvironment, workers: int = 2):
        self.env = env
        self.workers = workers
        self.worker_id = worker_name("inproc")
        self._pool: ThreadPoolExecutor | None = None
        self._stop = threading.Event()
        self._maintenance: threading.Thread | None = None

    def start(self) -> None:
        if self._pool is not None:
            return
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="sideline-job")
        self._stop.clear()
        self._maintenance = threading.Thread(target=self._maintain, name="sideline-job-maintenance", daemon=True)
        self._maintenance.start()

    def stop(self) -> None:
        self._stop.set()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def dispatch(self, job_id: uuid.UUID, queue: str) -> None:
        if self._pool is None:
            self.start()
        assert self._pool is not None
        self._pool.submit(self._run, job_id)

    def _run(self, job_id: uuid.UUID) -> None:
        try:
            outcome = execute(self.env, job_id, self.worker_id)
        except Exception:  # database down: the maintenance loop will pick the job up again
            log.exception("could not execute job %s", job_id)
            return
        if outcome == Outcome.retry and not self._stop.is_set():
            self.dispatch(job_id, "default")

    def _maintain(self) -> None:
        interval = self.env.heartbeat_seconds
        first = True
        partitions_due = 0.0
        while not self._stop.is_set():
            if time.monotonic() >= partitions_due:
                try:
                    maintain_partitions(self.env.db)
                    partitions_due = time.monotonic() + 24 * 3600
                except Exception:
                    log.warning("partition maintenance failed; retrying in an hour", exc_info=True)
                    partitions_due = time.monotonic() + 3600
            try:
                for job_id, queue in requeue_stale(self.env, stale_after=1.5 * interval):
                    self.dispatch(job_id, queue)
                # At start-up every queued job is ours to run; later only ones whose dispatch was lost.
                for job_id, queue in queued_jobs(self.env, older_than=0 if first else 5 * interval):
                    self.dispatch(job_id, queue)
                first = False
            except Exception:
                log.warning("job maintenance failed", exc_info=True)
            self._stop.wait(interval / 2)
