"""Test job types with observable effects: one ``samples`` row per idempotent step, crashes
and user errors. Loaded by test workers through ``SIDELINE_JOB_MODULES=tests.jobmods.effects``."""

from __future__ import annotations

import time
import uuid

from sideline.errors import InvalidInput
from sideline.jobs.execution import JobContext
from sideline.jobs.registry import job_type
from sideline.storage.models import Sample, utcnow

EFFECT_CHANNEL = "test.effect"


@job_type("test.effects", description="Writes one sample per step, sleeping between steps")
def effects(ctx: JobContext) -> dict:
    steps = int(ctx.params["steps"])
    delay = float(ctx.params.get("delay", 0.2))
    dataset_id = uuid.UUID(ctx.params["dataset_id"])

    for i in range(steps):
        def write(session, i=i):
            # The effect commits with the step's ledger row: a re-run never writes it twice.
            session.add(Sample(ts=utcnow(), organisation_id=ctx.organisation_id, dataset_id=dataset_id,
                               channel=EFFECT_CHANNEL, subject=f"attempt-{ctx.attempt}", value=float(i)))
            return {"step": i, "attempt": ctx.attempt}

        ctx.run_step(f"effect-{i}", write)
        ctx.progress(100.0 * (i + 1) / steps, f"Step {i + 1} of {steps}")
        time.sleep(delay)
    return {"steps": steps}


@job_type("test.crash", description="Always crashes (a bug, so it is retried)", max_attempts=3)
def crash(ctx: JobContext) -> dict:
    raise RuntimeError(f"boom on attempt {ctx.attempt}")


@job_type("test.user_error", description="Fails with a user error (not retried)", max_attempts=3)
def user_error(ctx: JobContext) -> dict:
    raise InvalidInput("the uploaded file has no header row")


@job_type("test.video_noop", queue="video", description="Does nothing on the video queue")
def video_noop(ctx: JobContext) -> dict:
    return {"queue": "video", "worker": ctx.worker_id}
