"""``sideline worker``: a Celery worker process that runs jobs, reaps dead workers' jobs and
keeps the time-series partitions ahead of time.

Why the ``threads`` pool, not prefork: a worker is then exactly one OS process holding the
broker connection, the job threads and their heartbeat threads. When it dies - SIGKILL, OOM
killer, node loss - everything stops at once: heartbeats stop, so the job is requeued by
another worker's reaper within two heartbeat intervals. With prefork, killing the parent
leaves children running orphaned jobs (still heartbeating) and killing a child leaves a
parent that re-delivers the message at once; both are recoverable but murkier to reason
about. CPU-heavy jobs (video, pose) spend their time in native code that releases the GIL;
to use more cores with Python-bound jobs, run more worker processes (``--concurrency 1``
each, as many as cores).

Each worker process builds one ``Services`` (``start_runner=False``) and runs two daemons:

- the reaper, every heartbeat/2: requeues running jobs whose heartbeat is older than
  1.5 x heartbeat and sends them again; and re-sends queued jobs nobody has taken for
  5 x heartbeat when their Celery queue is empty (the message was lost: Redis was down when
  the API sent it, or a worker died between receiving and claiming it). A short Redis lock
  lets one worker of the cluster reap per period; the updates it makes are conditional, so
  two reapers overlapping would still requeue and re-send each job once.
- partition maintenance (PostgreSQL): monthly partitions for today .. today + 2 months,
  at start and daily, serialised across workers by a PostgreSQL advisory lock.

SIGTERM/SIGINT stop taking messages and let running jobs finish (Celery's warm shutdown); a
worker killed meanwhile loses nothing - its jobs are requeued as above. See
``sideline.jobs.celery_runner`` for the guarantees this gives.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import secrets
import socket
import threading
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import update

from sideline.jobs.execution import JobEnvironment, Outcome, execute, queued_jobs, requeue_stale
from sideline.jobs.registry import QUEUES
from sideline.jobs.runners import worker_name
from sideline.storage.partitions import maintain_partitions
from sideline.settings import Settings
from sideline.storage.models import Job, JobState, utcnow

log = logging.getLogger(__name__)

#: Key of the PostgreSQL advisory lock that serialises partition creation across workers.
PARTITION_LOCK_KEY = 0x5_1DE_11E0
PARTITION_INTERVAL_S = 24 * 3600
PARTITION_RETRY_S = 3600


class WorkerError(RuntimeError):
    """A worker that cannot start; the CLI prints the message as one line."""


def retry_countdown(attempt: int) -> float:
    """Seconds before a crashed job's next attempt: 1, 2, 4, ... capped at 30."""
    return float(min(2 ** max(attempt - 1, 0), 30))


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


@dataclasses.dataclass
class WorkerState:
    """What one worker process shares between its job threads and its daemons."""

    settings: Settings
    services: object  # sideline.services.Services (imported lazily: it imports this package)
    worker_id: str
    stop: threading.Event = dataclasses.field(default_factory=threading.Event)
    pid: int = dataclasses.field(default_factory=os.getpid)

    @property
    def env(self) -> JobEnvironment:
        return self.services.job_env

    @property
    def heartbeat(self) -> float:
        return self.settings.job_heartbeat_seconds

    @classmethod
    def build(cls, settings: Settings, app=None) -> "WorkerState":
        from sideline.jobs.celery_runner import CeleryRunner
        from sideline.services import build_services

        services = build_services(settings, start_runner=False)
        if app is not None:
            services.runner = CeleryRunner(settings, app)  # share the worker's producer pool
        return cls(settings=settings, services=services, worker_id=worker_name("celery"))

    def close(self) -> None:
        self.stop.set()
        self.services.close()


_state: WorkerState | None = None
_state_lock = threading.Lock()


def current_state() -> WorkerState:
    """This process's state; built on first use when the task runs outside ``run_worker``
    (e.g. a plain ``celery worker``) or in a forked child, whose inherited connections are not
    safe to reuse."""
    global _state
    with _state_lock:
        if _state is None or _state.pid != os.getpid():
            from sideline.settings import get_settings

            _state = WorkerState.build(get_settings())
        return _state


def run_job_in_worker(job_id: str) -> str:
    """Body of the Celery task: run the job once; re-send it if it should be retried."""
    state = current_state()
    try:
        job_uuid = uuid.UUID(job_id)
    except (TypeError, ValueError):
        log.error("ignoring a message with an invalid job id %r", job_id)
        return "invalid"
    try:
        outcome = execute(state.env, job_uuid, state.worker_id)
    except Exception:
        # The database is unreachable or similar: the job is still queued, or running with a
        # heartbeat that will go stale, and the reaper will send it again.
        log.exception("could not execute job %s; it will be retried by the reaper", job_uuid)
        return "error"
    if outcome == Outcome.retry:
        with state.env.db.session() as s:
            job = s.get(Job, job_uuid)
            queue, attempts = (job.queue, job.attempts) if job is not None else ("default", 1)
        state.services.runner.dispatch(job_uuid, queue, countdown=retry_countdown(attempts))
    return outcome.value


# --- Reaper -----------------------------------------------------------------------------------

def _mark_redispatched(env: JobEnvironment, job_id: uuid.UUID, cutoff: dt.datetime) -> bool:
    """Claim the right to re-send a queued job: bumps updated_at, so it is re-sent at most once
    per ``lost_after`` whatever the number of reapers."""
    with env.db.session() as s:
        return bool(s.execute(update(Job).where(Job.id == job_id, Job.state == JobState.queued,
                                                Job.updated_at <= cutoff)
                              .values(updated_at=utcnow())).rowcount)


def _queue_backlog(state: WorkerState, queue: str) -> int:
    """Messages waiting in a Celery queue. The kombu channel client prefixes keys itself; jobs
    are sent without priority, so their messages are all in the queue's base list."""
    with state.services.runner.app.pool.acquire(block=True, timeout=10) as conn:
        return int(conn.default_channel.client.llen(queue))


def reap_once(state: WorkerState) -> dict[str, int] | None:
    """One reaper round; None when another worker holds the reaper lock."""
    hb = state.heartbeat
    lock_key = f"{state.settings.redis_namespace}:jobs:reaper-lock"
    # Held until it expires (not released): it also spaces rounds cluster-wide. If its holder
    # dies, it expires before the next round is due.
    if not state.services.redis.set(lock_key, state.worker_id, nx=True, px=max(50, int(hb / 2 * 900))):
        return None
    env, runner = state.env, state.services.runner
    counts = {"requeued": 0, "redispatched": 0}
    for job_id, queue in requeue_stale(env, stale_after=1.5 * hb):
        log.warning("job %s: its worker stopped heartbeating; requeued", job_id)
        runner.dispatch(job_id, queue)
        counts["requeued"] += 1
    lost_after = 5 * hb
    backlog: dict[str, int] = {}
    for job_id, queue in queued_jobs(env, older_than=lost_after):
        if queue not in backlog:
            backlog[queue] = _queue_backlog(state, queue)
        if backlog[queue]:
            continue  # its message may be waiting its turn; re-sending would only pile up copies
        if _mark_redispatched(env, job_id, utcnow() - dt.timedelta(seconds=lost_after)):
            log.warning("job %s: queued for %.0f s with its queue %r empty; sending it again",
                        job_id, lost_after, queue)
            runner.dispatch(job_id, queue)
            counts["redispatched"] += 1
    return counts


def _reaper_loop(state: WorkerState) -> None:
    while not state.stop.is_set():
        try:
            reap_once(state)
        except Exception:
            log.warning("job reaper round failed", exc_info=True)
        state.stop.wait(state.heartbeat / 2)


# --- Partitions -------------------------------------------------------------------------------

def _partition_loop(state: WorkerState) -> None:
    wait = 0.0  # the first round runs at start
    while not state.stop.wait(wait):
        try:
            maintain_partitions(state.services.db)
            wait = PARTITION_INTERVAL_S
        except Exception:
            log.warning("partition maintenance failed; retrying in an hour", exc_info=True)
            wait = PARTITION_RETRY_S


# --- Start-up ---------------------------------------------------------------------------------

def parse_queues(value: str | None, settings: Settings) -> list[str]:
    queues = [q.strip() for q in value.split(",") if q.strip()] if value else list(settings.worker_queues)
    unknown = [q for q in queues if q not in QUEUES]
    if unknown or not queues:
        raise WorkerError(f"unknown queue {unknown[0]!r}; choose from {', '.join(QUEUES)}" if unknown
                          else "no queues given")
    return queues


def check_connections(settings: Settings) -> None:
    """Fail with one line when Redis or the database cannot be used, before Celery starts."""
    import redis
    from sqlalchemy import create_engine

    if not settings.redis_url:
        raise WorkerError("`sideline worker` needs SIDELINE_REDIS_URL (e.g. redis://localhost:6379/0); "
                          "without Redis, jobs run inside `sideline serve`")
    try:
        client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=3)
        client.ping()
        client.close()
    except Exception as exc:
        raise WorkerError(f"cannot reach Redis at {safe_url(settings.redis_url)}: "
                          f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    url = settings.resolved_database_url
    engine = create_engine(url)
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    alembic_log.setLevel(max(level, logging.WARNING))  # its INFO lines on import say nothing to an operator
    try:
        from sideline.storage.migrate import is_up_to_date

        up_to_date = is_up_to_date(engine)
    except Exception as exc:
        raise WorkerError(f"cannot reach the database at {safe_url(url)}: {type(exc).__name__}: "
                          f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}") from None
    finally:
        alembic_log.setLevel(level)
        engine.dispose()
    if not up_to_date:
        raise WorkerError("the database schema is not up to date; run `sideline db upgrade`")


def run_worker(settings: Settings, *, queues: str | None = None, concurrency: int | None = None,
               heartbeat: float | None = None) -> int:
    """Run a worker until it is stopped (SIGTERM/SIGINT: finish running jobs, then exit)."""
    global _state
    from sideline.jobs.celery_app import make_celery_app

    if heartbeat is not None:
        if not 0 < heartbeat <= 600:
            raise WorkerError("--heartbeat must be between 0 and 600 seconds")
        settings = settings.model_copy(update={"job_heartbeat_seconds": float(heartbeat)})
    concurrency = concurrency or settings.job_workers
    queue_list = parse_queues(queues, settings)
    check_connections(settings)

    app = make_celery_app(settings)
    state = WorkerState.build(settings, app)
    with _state_lock:
        _state = state
    threads = [threading.Thread(target=_reaper_loop, args=(state,), name="sideline-reaper", daemon=True),
               threading.Thread(target=_partition_loop, args=(state,), name="sideline-partitions", daemon=True)]
    log.info("worker %s: queues %s, concurrency %d, heartbeat %.1f s, database %s, redis %s (namespace %s)",
             state.worker_id, ",".join(queue_list), concurrency, state.heartbeat,
             safe_url(settings.resolved_database_url), safe_url(settings.redis_url or ""), settings.redis_namespace)
    try:
        for thread in threads:
            thread.start()
        worker = app.Worker(
            hostname=f"sideline-{os.getpid()}-{secrets.token_hex(2)}@{socket.gethostname()}",
            pool="threads", concurrency=concurrency, queues=queue_list, loglevel=settings.log_level.upper(),
            # No mingle/gossip/event heartbeats: workers coordinate through the jobs table, and
            # skipping them makes start-up fast and keeps workers from chatting across Redis.
            without_mingle=True, without_gossip=True, without_heartbeat=True, quiet=True,
        )
        started = time.monotonic()
        worker.start()
        log.info("worker %s stopped after %.0f s", state.worker_id, time.monotonic() - started)
        return int(worker.exitcode or 0)
    finally:
        state.close()
        app.close()
        with _state_lock:
            _state = None
