"""The Celery application: Redis broker, one task that runs a job by id, namespaced keys.

The jobs table is the source of truth; a Celery message only says "job X may be ready on
queue Q". Losing one is repaired by the worker reaper (it re-dispatches queued jobs nobody
took), and a duplicate is harmless (``execute`` claims a job with a conditional UPDATE, so a
second delivery finds it no longer queued and returns ``not_claimed``). Hence no result
backend: state, progress and results live in the database.
"""

from __future__ import annotations

from celery import Celery
from kombu import Queue

from sideline.settings import Settings

#: The single task name; senders use ``send_task`` with it so they need no task import.
RUN_JOB_TASK = "sideline.run_job"

#: The broker re-delivers a message that was taken but never acknowledged after this many
#: seconds. Recovery from a dead worker does not wait for it: the reaper requeues the job
#: from its stale heartbeat within two heartbeat intervals and sends a fresh message, and the
#: old message, when it comes back, is a no-op claim. A short timeout would only re-deliver
#: messages of healthy long jobs (video, pose) over and over, each a wasted claim; so keep
#: it long, but bounded so orphaned messages do not linger in Redis for ever.
VISIBILITY_TIMEOUT_S = 3 * 3600


def key_prefix(settings: Settings) -> str:
    """Prefix of every Redis key Celery/kombu uses (queues, unacked sets, bindings, fanout)."""
    return f"{settings.redis_namespace}:celery:"


def make_celery_app(settings: Settings) -> Celery:
    """A Celery app for these settings; the same configuration for senders and workers."""
    if not settings.redis_url:
        raise ValueError("Celery needs SIDELINE_REDIS_URL")
    app = Celery(f"sideline-{settings.redis_namespace}", broker=settings.redis_url, set_as_current=False)
    app.conf.update(
        broker_transport_options={
            # kombu prefixes every key and pub/sub channel with this, so installations and
            # concurrent test runs sharing one Redis never see each other's queues.
            "global_keyprefix": key_prefix(settings),
            "visibility_timeout": VISIBILITY_TIMEOUT_S,
            "socket_connect_timeout": 5,
        },
        broker_connection_retry_on_startup=True,
        # A failed publish (Redis briefly down) must not hang an API request: give up fast,
        # the job stays queued in the database and the reaper dispatches it later.
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1},
        result_backend=None,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        # Acknowledge only after the task returns, and put the message back if the worker
        # process dies, so a crash never silently drops a job (at-least-once).
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # One message per free thread: a busy worker does not sit on jobs others could run.
        worker_prefetch_multiplier=1,
        task_queues=[Queue(name, routing_key=name) for name in settings.worker_queues],
        task_default_queue="default",
        task_create_missing_queues=True,
        # Broadcast exchanges (remote control, events) are namespaced as well.
        control_exchange=f"{settings.redis_namespace}.celery",
        event_exchange=f"{settings.redis_namespace}.celeryev",
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
        # Jobs report their own errors to the jobs table; Celery need not retry or time them.
        task_track_started=False,
        enable_utc=True,
    )

    @app.task(name=RUN_JOB_TASK, ignore_result=True)
    def run_job(job_id: str) -> str:
        from sideline.jobs.worker import run_job_in_worker

        return run_job_in_worker(job_id)

    return app
