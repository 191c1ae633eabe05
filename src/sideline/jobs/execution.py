"""Claiming, running, fencing and finishing one job; shared by every runner.

Guarantees (at-least-once execution, exactly-once effects for steps):
- A job is claimed by one UPDATE ... WHERE state='queued', so two workers never run it at once.
- Every write a worker makes is fenced by the attempt number it claimed: once the job is
  requeued (its worker stopped heartbeating) the old worker's writes match no row and it stops.
- ``JobContext.run_step`` commits a step's database effects in the same transaction as the
  step's ledger row, so a re-run after a crash skips completed steps and repeats none.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from sideline import observability
from sideline.errors import SidelineError
from sideline.jobs.registry import get_job_type
from sideline.jobs.schemas import job_event, jobs_channel
from sideline.storage.db import Database
from sideline.storage.models import Job, JobState, JobStep, utcnow

log = logging.getLogger(__name__)


class JobCancelled(Exception):
    """Raised inside a job when a user asked to cancel it."""


class JobLost(Exception):
    """The job was requeued to another worker (this one stopped heartbeating); stop quietly."""


class Outcome(str, enum.Enum):
    not_claimed = "not_claimed"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"
    retry = "retry"
    lost = "lost"


@dataclasses.dataclass
class JobEnvironment:
    """What a running job may use; the same in the API process and in Celery workers."""

    db: Database
    publish: Callable[[str, str, Any], int]
    heartbeat_seconds: float = 10.0
    blobs: Any = None
    settings: Any = None


def publish_job(env: JobEnvironment, job: Job) -> None:
    try:
        env.publish(jobs_channel(job.organisation_id), "job.updated", job_event(job))
    except Exception:  # live updates are best-effort; the database is the truth
        log.warning("could not publish job update", exc_info=True)


def _load(env: JobEnvironment, job_id: uuid.UUID) -> Job | None:
    with env.db.session() as s:
        return s.get(Job, job_id)


def claim(env: JobEnvironment, job_id: uuid.UUID, worker_id: str) -> Job | None:
    now = utcnow()
    with env.db.session() as s:
        claimed = s.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.queued, Job.cancel_requested.is_(False))
            .values(state=JobState.running, worker_id=worker_id, heartbeat_at=now, updated_at=now,
                    attempts=Job.attempts + 1, started_at=now, error=None)
        ).rowcount
        if not claimed:
            # A queued job whose cancel arrived before any worker took it ends here.
            s.execute(update(Job).where(Job.id == job_id, Job.state == JobState.queued,
                                        Job.cancel_requested.is_(True))
                      .values(state=JobState.cancelled, finished_at=now, updated_at=now,
                              message="Cancelled before it started"))
    job = _load(env, job_id)
    if job is not None:
        publish_job(env, job)
    return job if claimed else None


class JobContext:
    """Handed to a job function: its parameters, progress reporting, cancellation and steps."""

    def __init__(self, env: JobEnvironment, job: Job, worker_id: str):
        self.env = env
        self.job_id: uuid.UUID = job.id
        self.organisation_id: uuid.UUID = job.organisation_id
        self.params: dict[str, Any] = dict(job.params or {})
        self.attempt: int = job.attempts
        self.worker_id = worker_id
        self.cancel_requested = threading.Event()
        self.lost = threading.Event()
        self._last_progress_write = 0.0

    @property
    def db(self) -> Database:
        return self.env.db

    def _owned(self):
        return and_(Job.id == self.job_id, Job.attempts == self.attempt, Job.state == JobState.running)

    def heartbeat(self) -> None:
        """Record liveness; also learns about cancellation and lost ownership."""
        with self.db.session() as s:
            row = s.execute(update(Job).where(self._owned()).values(heartbeat_at=utcnow())
                            .returning(Job.cancel_requested)).first()
        if row is None:
            self.lost.set()
        elif row[0]:
            self.cancel_requested.set()

    def check(self) -> None:
        """Raise if the job was cancelled or taken over; call it between units of work."""
        if self.lost.is_set():
            raise JobLost()
        if self.cancel_requested.is_set():
            raise JobCancelled()

    def progress(self, percent: float, message: str | None = None, *, force: bool = False) -> None:
        percent = float(min(100.0, max(0.0, percent)))
        now = time.monotonic()
        # Throttled so a tight loop does not hammer the database; the last value always lands.
        if not force and now - self._last_progress_write < 0.2 and percent < 100:
            self.check()
            return
        self._last_progress_write = now
        values: dict[str, Any] = {"progress": percent, "heartbeat_at": utcnow(), "updated_at": utcnow()}
        if message is not None:
            values["message"] = message[:500]
        with self.db.session() as s:
            row = s.execute(update(Job).where(self._owned()).values(**values)
                            .returning(Job.cancel_requested)).first()
            job = s.get(Job, self.job_id) if row is not None else None
        if row is None:
            self.lost.set()
        elif row[0]:
            self.cancel_requested.set()
        if job is not None:
            publish_job(self.env, job)
        self.check()

    def step_done(self, name: str) -> bool:
        with self.db.session() as s:
            return s.scalar(select(JobStep.id).where(JobStep.job_id == self.job_id, JobStep.name == name)) is not None

    def run_step(self, name: str, fn: Callable[[Session], dict | None]) -> dict | None:
        """Run ``fn(session)`` once for this job, whatever the number of attempts.

        The step's writes and its ledger row commit together, and only while this worker
        still owns the job; a completed step returns its recorded output without running.
        """
        self.check()
        with self.db.session() as s:
            done = s.execute(select(JobStep).where(JobStep.job_id == self.job_id, JobStep.name == name)).scalar_one_or_none()
            if done is not None:
                return done.output
            output = fn(s)
            owned = s.execute(update(Job).where(self._owned()).values(heartbeat_at=utcnow())).rowcount
            if not owned:
                s.rollback()
                self.lost.set()
                raise JobLost()
            s.add(JobStep(job_id=self.job_id, name=name, attempt=self.attempt, output=output))
        return output


class _HeartbeatThread(threading.Thread):
    def __init__(self, ctx: JobContext, interval: float):
        super().__init__(name=f"heartbeat-{ctx.job_id}", daemon=True)
        self.ctx = ctx
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.ctx.heartbeat()
            except Exception:
                log.warning("heartbeat failed for job %s", self.ctx.job_id, exc_info=True)
            if self.ctx.lost.is_set():
                return


def _finish(env: JobEnvironment, ctx: JobContext, state: JobState, **values: Any) -> bool:
    now = utcnow()
    with env.db.session() as s:
        ok = s.execute(update(Job).where(ctx._owned()).values(state=state, finished_at=now, updated_at=now,
                                                              heartbeat_at=now, **values)).rowcount
    job = _load(env, ctx.job_id)
    if ok and job is not None:
        publish_job(env, job)
    return bool(ok)


def user_message(exc: BaseException) -> str:
    if isinstance(exc, SidelineError):
        return exc.message
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}"[:2000] if text else type(exc).__name__


def execute(env: JobEnvironment, job_id: uuid.UUID, worker_id: str) -> Outcome:
    """Run one job to an outcome. Never raises for the job's own errors."""
    # Here rather than in a runner, so in-process threads and Celery workers record the same metrics.
    with observability.job_context(job_id):
        job = claim(env, job_id, worker_id)
        if job is None:
            return Outcome.not_claimed
        with observability.observe_job(job.type) as observed:
            outcome = _run_claimed(env, job, worker_id)
            observed["state"] = outcome.value
        return outcome


def _run_claimed(env: JobEnvironment, job: Job, worker_id: str) -> Outcome:
    job_id = job.id
    ctx = JobContext(env, job, worker_id)
    heartbeat = _HeartbeatThread(ctx, env.heartbeat_seconds)
    heartbeat.start()
    try:
        job_type = get_job_type(job.type)
        result = job_type.fn(ctx)
        ctx.check()
        finished = _finish(env, ctx, JobState.succeeded, progress=100.0, result=result or {},
                           message="Done")
        return Outcome.succeeded if finished else Outcome.lost
    except JobCancelled:
        _finish(env, ctx, JobState.cancelled, message="Cancelled")
        return Outcome.cancelled
    except JobLost:
        log.warning("job %s was taken over by another worker; stopping", job_id)
        return Outcome.lost
    except Exception as exc:
        retryable = not isinstance(exc, SidelineError)  # user errors fail at once; crashes may retry
        log.error("job %s (%s) attempt %s failed: %s", job_id, job.type, ctx.attempt,
                  user_message(exc), extra={"traceback": traceback.format_exc()})
        if retryable and ctx.attempt < job.max_attempts:
            now = utcnow()
            with env.db.session() as s:
                ok = s.execute(update(Job).where(ctx._owned()).values(
                    state=JobState.queued, worker_id=None, updated_at=now,
                    error=user_message(exc), message=f"Retrying after attempt {ctx.attempt} failed")).rowcount
            refreshed = _load(env, job_id)
            if refreshed is not None:
                publish_job(env, refreshed)
            return Outcome.retry if ok else Outcome.lost
        _finish(env, ctx, JobState.failed, error=user_message(exc), message="Failed")
        return Outcome.failed
    finally:
        heartbeat.stopped.set()


def requeue_stale(env: JobEnvironment, stale_after: float) -> list[tuple[uuid.UUID, str]]:
    """Requeue running jobs whose worker stopped heartbeating; returns (id, queue) to dispatch.

    A job past its attempts is failed instead, with a message the user can act on.
    """
    cutoff = utcnow() - dt.timedelta(seconds=stale_after)
    requeued: list[tuple[uuid.UUID, str]] = []
    with env.db.session() as s:
        stale = s.execute(select(Job).where(Job.state == JobState.running, Job.heartbeat_at < cutoff)).scalars().all()
        for job in stale:
            now = utcnow()
            if job.cancel_requested:
                values = dict(state=JobState.cancelled, finished_at=now, message="Cancelled")
            elif job.attempts >= job.max_attempts:
                values = dict(state=JobState.failed, finished_at=now, message="Failed",
                              error=f"The worker running this job stopped responding ({job.attempts} attempts)")
            else:
                values = dict(state=JobState.queued, worker_id=None,
                              message="Requeued: the worker running it stopped responding")
            ok = s.execute(update(Job).where(Job.id == job.id, Job.state == JobState.running,
                                             Job.attempts == job.attempts)
                           .values(updated_at=now, **values)).rowcount
            if ok and values["state"] == JobState.queued:
                requeued.append((job.id, job.queue))
    for job_id, _ in requeued:
        job = _load(env, job_id)
        if job is not None:
            publish_job(env, job)
    return requeued


def queued_jobs(env: JobEnvironment, older_than: float = 0.0) -> list[tuple[uuid.UUID, str]]:
    """Queued jobs not touched for ``older_than`` seconds (their dispatch may have been lost)."""
    cutoff = utcnow() - dt.timedelta(seconds=older_than)
    with env.db.session() as s:
        rows = s.execute(select(Job.id, Job.queue).where(Job.state == JobState.queued, Job.updated_at <= cutoff)
                         .order_by(Job.created_at)).all()
    return [(r[0], r[1]) for r in rows]
