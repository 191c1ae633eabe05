"""Built-in job types: a demo job that shows progress end to end."""

from __future__ import annotations

import time

from sideline.errors import InvalidInput
from sideline.jobs.execution import JobContext
from sideline.jobs.registry import job_type


def _demo_params(params: dict) -> tuple[int, float]:
    try:
        steps = int(params.get("steps", 10))
        delay = float(params.get("delay", 0.5))
    except (TypeError, ValueError):
        raise InvalidInput("demo.count: steps must be an integer and delay a number of seconds") from None
    if not 1 <= steps <= 10_000 or not 0 <= delay <= 60:
        raise InvalidInput("demo.count needs 1 <= steps <= 10000 and 0 <= delay <= 60")
    return steps, delay


@job_type("demo.count", description="Counts to N with a pause per step (shows live progress)",
          validate=_demo_params)
def demo_count(ctx: JobContext) -> dict:
    steps, delay = _demo_params(ctx.params)
    for i in range(steps):
        ctx.run_step(f"count-{i}", lambda _session, i=i: {"value": i + 1})
        time.sleep(delay)
        ctx.progress(100.0 * (i + 1) / steps, f"Step {i + 1} of {steps}")
    return {"counted": steps}
