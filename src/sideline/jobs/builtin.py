"""Built-in job types: a demo job that shows progress end to end."""

from __future__ import annotations

import time

from sideline.jobs.execution import JobContext
from sideline.jobs.registry import job_type


@job_type("demo.count", description="Counts to N with a pause per step (shows live progress)")
def demo_count(ctx: JobContext) -> dict:
    steps = int(ctx.params.get("steps", 10))
    delay = float(ctx.params.get("delay", 0.5))
    if not 1 <= steps <= 10_000 or not 0 <= delay <= 60:
        from sideline.errors import InvalidInput

        raise InvalidInput("demo.count needs 1 <= steps <= 10000 and 0 <= delay <= 60")
    for i in range(steps):
        ctx.run_step(f"count-{i}", lambda _session, i=i: {"value": i + 1})
        time.sleep(delay)
        ctx.progress(100.0 * (i + 1) / steps, f"Step {i + 1} of {steps}")
    return {"counted": steps}
