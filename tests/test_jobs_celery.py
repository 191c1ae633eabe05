"""Celery workers over real Redis and PostgreSQL: durability under SIGKILL, cancel, retries,
lost dispatches, queue routing, the API end to end, partitions and start-up errors.

Workers are real ``sideline worker`` subprocesses; each test has its own database and Redis
namespace, and every worker it starts is killed in teardown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sideline.jobs.celery_app import key_prefix
from sideline.jobs.service import create_job, request_cancel
from sideline.jobs.worker import safe_url
from sideline.storage.partitions import add_months
from sideline.storage.models import Dataset, Job, JobState, JobStep, Sample, utcnow
from tests.conftest import REDIS_URL, ROOT, create_account, free_port, make_settings, wait_for
from tests.jobmods.effects import EFFECT_CHANNEL

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(120)]

JOB_MODULES = ["tests.jobmods.effects"]


# --- Fixtures -----------------------------------------------------------------------------------

@dataclasses.dataclass
class WorkerProcess:
    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"worker exited with {self.process.returncode}:\n{self.output()}")
        return " ready." in self.log.read_text(errors="replace")


def worker_env(tmp_path: Path, **values: str) -> dict[str, str]:
    """The test process's environment without SIDELINE_* leaking in, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIDELINE_")}
    env.update(SIDELINE_ENVIRONMENT="test", SIDELINE_HOME=str(tmp_path / "worker-home"), SIDELINE_LOG_JSON="false",
               SIDELINE_JOB_MODULES=json.dumps(JOB_MODULES),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.update(values)
    return env


def sideline_cli(*args: str, env: dict[str, str], cwd: Path, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sideline.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def migrated_pg(pg_url) -> str:
    from sideline.storage.db import Database
    from sideline.storage.migrate import upgrade

    db = Database(pg_url)
    upgrade(db.engine)
    db.dispose()
    return pg_url


@pytest.fixture
def start_worker(tmp_path, migrated_pg, redis_namespace):
    """Starts ``sideline worker`` subprocesses on this test's database and namespace."""
    started: list[WorkerProcess] = []

    def start(*args: str, heartbeat: float = 1.0, wait_ready: bool = True) -> WorkerProcess:
        log = tmp_path / f"worker-{len(started)}.log"
        env = worker_env(tmp_path, SIDELINE_DATABASE_URL=migrated_pg, SIDELINE_REDIS_URL=REDIS_URL,
                         SIDELINE_REDIS_NAMESPACE=redis_namespace, SIDELINE_JOB_HEARTBEAT_SECONDS=str(heartbeat))
        with open(log, "wb") as out:
            process = subprocess.Popen([sys.executable, "-m", "sideline.cli", "worker", *args], env=env,
                                       cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
        worker = WorkerProcess(process, log)
        started.append(worker)
        if wait_ready:
            wait_for(worker.ready, timeout=30, interval=0.1, message=f"worker {worker.pid} to be ready")
        return worker

    yield start
    for worker in started:  # always, whatever the test did; SIGKILL is enough (the database is dropped)
        if worker.process.poll() is None:
            worker.process.kill()
        worker.process.wait(10)


@pytest.fixture
def celery_services(tmp_path, migrated_pg, redis_namespace):
    """Services of an API process configured for Redis: its runner is the CeleryRunner."""
    from sideline.jobs.celery_runner import CeleryRunner
    from sideline.services import build_services

    settings = make_settings(tmp_path, database_url=migrated_pg, redis_url=REDIS_URL,
                             redis_namespace=redis_namespace, job_modules=JOB_MODULES)
    services = build_services(settings)
    assert isinstance(services.runner, CeleryRunner)
    yield services
    services.close()


def new_dataset(services, org_id: uuid.UUID) -> uuid.UUID:
    with services.db.session() as s:
        dataset = Dataset(organisation_id=org_id, kind="test", name="effects")
        s.add(dataset)
        s.flush()
        return dataset.id


@pytest.fixture
def org_and_dataset(celery_services) -> tuple[uuid.UUID, uuid.UUID]:
    from sideline.accounts import create_organisation

    with celery_services.db.session() as s:
        org_id = create_organisation(s, f"Club {uuid.uuid4().hex[:6]}", None).id
    return org_id, new_dataset(celery_services, org_id)


def submit(services, org_id: uuid.UUID, job_type: str, params: dict | None = None, *, dispatch: bool = True) -> uuid.UUID:
    with services.db.session() as s:
        job = create_job(s, org_id, job_type, params or {})
        job_id, queue = job.id, job.queue
    if dispatch:
        assert services.runner.dispatch(job_id, queue)
    return job_id


def load(services, job_id: uuid.UUID) -> Job:
    with services.db.session() as s:
        return s.get(Job, job_id)


def wait_state(services, job_id, *states: JobState, timeout: float = 20.0, workers=()) -> Job:
    def done():
        job = load(services, job_id)
        return job if job.state in states else None

    try:
        return wait_for(done, timeout=timeout, interval=0.1, message=f"job {job_id} to be {'/'.join(states)}")
    except AssertionError as exc:
        job = load(services, job_id)
        logs = "\n".join(f"--- worker {w.pid}:\n{w.output()}" for w in workers)
        raise AssertionError(f"{exc}; it is {job.state.value} (attempt {job.attempts}, {job.message!r}, "
                             f"{job.error!r})\n{logs}") from None


def pid_of(worker_id: str | None) -> int | None:
    return int(worker_id.rsplit(":", 1)[1]) if worker_id else None


# --- Durability -----------------------------------------------------------------------------------

def test_sigkilled_worker_job_is_requeued_and_finished_by_the_other_with_each_effect_once(
        start_worker, celery_services, org_and_dataset):
    heartbeat, steps = 2.0, 8
    org_id, dataset_id = org_and_dataset
    workers = {w.pid: w for w in (start_worker(heartbeat=heartbeat), start_worker(heartbeat=heartbeat))}
    job_id = submit(celery_services, org_id, "test.effects",
                    {"steps": steps, "delay": 0.5, "dataset_id": str(dataset_id)})

    def steps_done() -> int:
        with celery_services.db.session() as s:
            return s.scalar(select(func.count()).select_from(JobStep).where(JobStep.job_id == job_id))

    wait_for(lambda: steps_done() >= 2, timeout=20, message="two steps of the first attempt")
    first = load(celery_services, job_id)
    victim = workers[pid_of(first.worker_id)]
    survivor = next(w for pid, w in workers.items() if pid != victim.pid)
    os.kill(victim.pid, signal.SIGKILL)
    victim.process.wait(5)
    last_heartbeat = load(celery_services, job_id).heartbeat_at  # nothing of the dead worker writes any more

    second = wait_for(lambda: (j := load(celery_services, job_id)).attempts == 2 and j.state != JobState.queued and j,
                      timeout=4 * heartbeat + 5, interval=0.05, message="the job to be taken over")
    # Requeued (and claimed again, which comes after) within two heartbeat intervals of the
    # dead worker's last sign of life; the slack covers one reaper round trip on a busy machine.
    assert second.started_at - last_heartbeat <= dt.timedelta(seconds=2 * heartbeat + 1.5), \
        (second.started_at - last_heartbeat)
    assert pid_of(second.worker_id) == survivor.pid

    final = wait_state(celery_services, job_id, JobState.succeeded, JobState.failed, timeout=30,
                       workers=workers.values())
    assert final.state == JobState.succeeded, final.error
    assert final.attempts == 2
    assert final.result == {"steps": steps}
    assert pid_of(final.worker_id) == survivor.pid
    with celery_services.db.session() as s:
        effects = s.execute(select(Sample.value, func.count()).where(Sample.dataset_id == dataset_id,
                                                                      Sample.channel == EFFECT_CHANNEL)
                            .group_by(Sample.value).order_by(Sample.value)).all()
        ledger = dict(s.execute(select(JobStep.name, JobStep.attempt).where(JobStep.job_id == job_id)).all())
    assert effects == [(float(i), 1) for i in range(steps)]  # every step's effect exactly once
    assert set(ledger) == {f"effect-{i}" for i in range(steps)}
    assert {1, 2} <= set(ledger.values())  # the kill really fell mid-job
    assert survivor.process.poll() is None


# --- Cancel, retries, user errors ------------------------------------------------------------------

def test_cancel_reaches_a_job_running_on_a_worker(start_worker, celery_services, org_and_dataset):
    org_id, dataset_id = org_and_dataset
    worker = start_worker()
    job_id = submit(celery_services, org_id, "test.effects", {"steps": 200, "delay": 0.05, "dataset_id": str(dataset_id)})
    wait_for(lambda: load(celery_services, job_id).progress > 0, timeout=20, message="the job to make progress")
    with celery_services.db.session() as s:
        request_cancel(s, s.get(Job, job_id))
    job = wait_state(celery_services, job_id, JobState.cancelled, JobState.succeeded, workers=[worker])
    assert job.state == JobState.cancelled and job.message == "Cancelled"
    assert job.progress < 100 and job.attempts == 1
    # A queued job cancelled before any worker took it never starts; its message is a no-op.
    queued = submit(celery_services, org_id, "test.effects", {"steps": 1, "dataset_id": str(dataset_id)}, dispatch=False)
    with celery_services.db.session() as s:
        request_cancel(s, s.get(Job, queued))
    celery_services.runner.dispatch(queued, "default")
    wait_for(lambda: ": 'not_claimed'" in worker.output(),
             timeout=10, message="the worker to take the cancelled job's message as a no-op")
    job = load(celery_services, queued)
    assert job.state == JobState.cancelled and job.attempts == 0 and job.started_at is None


def test_crash_is_retried_until_max_attempts_but_a_user_error_fails_at_once(start_worker, celery_services,
                                                                               org_and_dataset):
    org_id, _ = org_and_dataset
    worker = start_worker("--queues", "default", "--concurrency", "2")
    crash_id = submit(celery_services, org_id, "test.crash")
    user_error_id = submit(celery_services, org_id, "test.user_error")

    failed = wait_state(celery_services, user_error_id, JobState.failed, workers=[worker])
    assert failed.attempts == 1 and failed.error == "the uploaded file has no header row"

    crashed = wait_state(celery_services, crash_id, JobState.failed, timeout=30, workers=[worker])
    assert crashed.attempts == crashed.max_attempts == 3
    assert crashed.error == "RuntimeError: boom on attempt 3"
    assert crashed.message == "Failed" and crashed.finished_at is not None
    assert "Retrying after attempt" not in crashed.message


# --- Reaper: lost dispatches, orphaned jobs, queue routing -----------------------------------------

def test_reaper_sends_lost_and_orphaned_jobs_and_queues_route_work(start_worker, celery_services, org_and_dataset):
    import redis
    from sqlalchemy import update

    org_id, dataset_id = org_and_dataset
    heartbeat = 1.0
    # A job whose message never reached Redis (the API crashed right after committing it) ...
    lost = submit(celery_services, org_id, "test.effects",
                  {"steps": 2, "delay": 0, "dataset_id": str(new_dataset(celery_services, org_id))}, dispatch=False)
    # ... one left "running" by a worker that died long ago, one step done ...
    orphan = submit(celery_services, org_id, "test.effects", {"steps": 3, "delay": 0, "dataset_id": str(dataset_id)},
                    dispatch=False)
    with celery_services.db.session() as s:
        s.execute(update(Job).where(Job.id == orphan).values(
            state=JobState.running, attempts=1, worker_id="celery@gone:1", heartbeat_at=utcnow() - dt.timedelta(minutes=5)))
        s.add(JobStep(job_id=orphan, name="effect-0", attempt=1, output={}))
    # ... and a video job, sent while no worker consumes the video queue.
    video = submit(celery_services, org_id, "test.video_noop")

    start = time.monotonic()
    default_worker = start_worker("--queues", "default,ingest", heartbeat=heartbeat)
    done = wait_state(celery_services, orphan, JobState.succeeded, workers=[default_worker])
    assert done.attempts == 2 and pid_of(done.worker_id) == default_worker.pid
    with celery_services.db.session() as s:
        # The step the dead worker finished was not redone: no effect row for it.
        values = s.scalars(select(Sample.value).where(Sample.dataset_id == dataset_id).order_by(Sample.value)).all()
    assert values == [1.0, 2.0]

    done = wait_state(celery_services, lost, JobState.succeeded, workers=[default_worker])
    assert done.attempts == 1
    assert time.monotonic() - start >= 5 * heartbeat - 1.5  # re-sent only once it looked lost

    # The video job waits in its own queue: nobody consumes it, and the reaper does not pile up
    # copies of a message that is still waiting its turn.
    client = redis.Redis.from_url(REDIS_URL)
    video_key = key_prefix(celery_services.settings) + "video"
    assert load(celery_services, video).state == JobState.queued
    assert client.llen(video_key) == 1
    video_worker = start_worker("--queues", "video", heartbeat=heartbeat)
    done = wait_state(celery_services, video, JobState.succeeded, workers=[video_worker])
    assert done.result == {"queue": "video", "worker": done.worker_id}
    assert pid_of(done.worker_id) == video_worker.pid
    assert client.llen(video_key) == 0


# --- Through the API ------------------------------------------------------------------------------

def test_api_with_redis_runs_jobs_on_a_worker_and_creates_partitions(start_worker, celery_services):
    from fastapi.testclient import TestClient

    from sideline.api.app import create_app
    from sideline.storage.partitions import list_partitions, partition_name

    worker = start_worker()
    with TestClient(create_app(celery_services.settings, celery_services)) as client:
        account = create_account(client, celery_services)
        r = client.post(account.url("/jobs"), headers=account.headers,
                        json={"type": "demo.count", "params": {"steps": 3, "delay": 0.05}})
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        done = wait_for(lambda: (j := client.get(account.url(f"/jobs/{job_id}"), headers=account.headers).json())
                        ["state"] in ("succeeded", "failed") and j, timeout=20, message="the demo job")
        assert done["state"] == "succeeded", (done, worker.output())
        assert done["result"] == {"counted": 3} and done["attempts"] == 1
        assert pid_of(load(celery_services, uuid.UUID(job_id)).worker_id) == worker.pid

    with celery_services.db.engine.connect() as conn:
        partitions = set(list_partitions(conn, "samples"))
    today = utcnow().date()
    assert {partition_name("samples", add_months(today, n).replace(day=1)) for n in range(3)} <= partitions


# --- Start-up errors and helpers --------------------------------------------------------------------

def test_worker_misconfiguration_fails_with_one_clear_line(tmp_path, pg_url, redis_namespace):
    def run(*args: str, **env: str) -> tuple[int, list[str]]:
        result = sideline_cli("worker", *args, env=worker_env(tmp_path, **env), cwd=tmp_path)
        return result.returncode, [line for line in result.stderr.splitlines() if line.strip()]

    code, lines = run(SIDELINE_DATABASE_URL=pg_url)
    assert code == 1 and len(lines) == 1 and "needs SIDELINE_REDIS_URL" in lines[0], lines

    dead = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    code, lines = run(SIDELINE_DATABASE_URL=pg_url, SIDELINE_REDIS_URL=dead)
    assert code == 1 and len(lines) == 1, lines
    assert "cannot reach Redis at redis://:***@127.0.0.1" in lines[0] and "hunter2" not in lines[0]

    # The other checks, in-process (each CLI run costs seconds of imports): same WorkerError, same line.
    from sideline.jobs.worker import WorkerError, run_worker

    settings = make_settings(tmp_path, database_url=pg_url, redis_url=REDIS_URL, redis_namespace=redis_namespace)
    with pytest.raises(WorkerError, match=r"^the database schema is not up to date; run `sideline db upgrade`$"):
        run_worker(settings)
    no_db = settings.model_copy(update={"database_url": f"postgresql+psycopg://postgres:pw@127.0.0.1:{free_port()}/x"})
    with pytest.raises(WorkerError, match=r"^cannot reach the database at postgresql\+psycopg://postgres:\*\*\*@127"):
        run_worker(no_db)
    with pytest.raises(WorkerError, match=r"^unknown queue 'gpu'; choose from default, ingest, video, pose$"):
        run_worker(settings, queues="default,gpu")
    with pytest.raises(WorkerError, match=r"^--heartbeat must be between 0 and 600 seconds$"):
        run_worker(settings, heartbeat=0)


def test_helpers():
    assert add_months(dt.date(2026, 11, 23), 2) == dt.date(2027, 1, 23)
    assert add_months(dt.date(2026, 12, 31), 2) == dt.date(2027, 2, 28)
    assert safe_url("redis://:s3cret@host:6379/0") == "redis://:***@host:6379/0"
    assert safe_url("postgresql+psycopg://u:pw@db/x") == "postgresql+psycopg://u:***@db/x"
    assert safe_url("redis://host:6379/0") == "redis://host:6379/0"
