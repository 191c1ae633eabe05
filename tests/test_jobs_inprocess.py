"""The in-process runner on SQLite and PostgreSQL: progress, cancel, retry, stale requeue."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from sideline.jobs.execution import Outcome, execute, requeue_stale
from sideline.jobs.service import create_job
from sideline.storage.models import Job, JobState, JobStep, utcnow
from tests.conftest import wait_for


def _job(client, account, job_id):
    r = client.get(account.url(f"/jobs/{job_id}"), headers=account.headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_demo_job_runs_to_completion_with_progress(client, account):
    r = client.post(account.url("/jobs"), headers=account.headers,
                    json={"type": "demo.count", "params": {"steps": 5, "delay": 0.05}})
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    done = wait_for(lambda: (j := _job(client, account, job_id))["state"] == "succeeded" and j, message="job to finish")
    assert done["progress"] == 100.0
    assert done["result"] == {"counted": 5}
    assert done["attempts"] == 1
    assert done["started_at"] <= done["finished_at"]


def test_unknown_job_type_is_a_clear_400(client, account):
    r = client.post(account.url("/jobs"), headers=account.headers, json={"type": "nope.nothing"})
    assert r.status_code == 400
    assert "Unknown job type 'nope.nothing'" in r.json()["error"]["message"]


def test_cancel_running_job(client, account):
    r = client.post(account.url("/jobs"), headers=account.headers,
                    json={"type": "demo.count", "params": {"steps": 200, "delay": 0.05}})
    job_id = r.json()["id"]
    wait_for(lambda: _job(client, account, job_id)["progress"] > 0, message="job to start")
    r = client.post(account.url(f"/jobs/{job_id}/cancel"), headers=account.headers)
    assert r.status_code == 200
    final = wait_for(lambda: (j := _job(client, account, job_id))["state"] == "cancelled" and j, message="cancel")
    assert final["progress"] < 100
    assert client.post(account.url(f"/jobs/{job_id}/cancel"), headers=account.headers).status_code == 409


def test_bad_job_params_are_rejected_at_creation(client, account):
    r = client.post(account.url("/jobs"), headers=account.headers,
                    json={"type": "demo.count", "params": {"steps": 0}})
    assert r.status_code == 400
    assert "1 <= steps <= 10000" in r.json()["error"]["message"]
    assert client.get(account.url("/jobs"), headers=account.headers).json()["total"] == 0


def test_user_error_inside_a_job_fails_at_once_with_its_message(services, account):
    services.runner.stop()
    with services.db.session() as s:
        job_id = create_job(s, account.org_id, "demo.count", {"steps": 1}).id
        s.execute(update(Job).where(Job.id == job_id).values(params={"steps": "many"}))
    assert execute(services.job_env, job_id, "w1") == Outcome.failed
    with services.db.session() as s:
        job = s.get(Job, job_id)
    assert job.state == JobState.failed and job.attempts == 1
    assert "steps must be an integer" in job.error


def test_stale_running_job_is_requeued_and_completed_steps_are_not_repeated(services, account):
    env = services.job_env
    services.runner.stop()  # drive execution by hand
    with services.db.session() as s:
        job = create_job(s, account.org_id, "demo.count", {"steps": 4, "delay": 0})
        job_id = job.id
        # Simulate a worker that completed two steps, then died (heartbeat long ago).
        s.flush()
        s.execute(update(Job).where(Job.id == job_id).values(
            state=JobState.running, attempts=1, worker_id="dead@host:1",
            heartbeat_at=utcnow() - dt.timedelta(seconds=60)))
        s.add_all([JobStep(job_id=job_id, name="count-0", attempt=1, output={"value": 1}),
                   JobStep(job_id=job_id, name="count-1", attempt=1, output={"value": 2})])
    assert requeue_stale(env, stale_after=1.5) == [(job_id, "default")]
    assert execute(env, job_id, "test-worker") == Outcome.succeeded
    with services.db.session() as s:
        job = s.get(Job, job_id)
        assert job.state == JobState.succeeded and job.attempts == 2
        steps = s.execute(select(JobStep.name, JobStep.attempt).where(JobStep.job_id == job_id)
                          .order_by(JobStep.name)).all()
    assert steps == [("count-0", 1), ("count-1", 1), ("count-2", 2), ("count-3", 2)]


def test_a_job_is_claimed_once(services, account):
    services.runner.stop()
    with services.db.session() as s:
        job_id = create_job(s, account.org_id, "demo.count", {"steps": 1, "delay": 0}).id
    assert execute(services.job_env, job_id, "w1") == Outcome.succeeded
    assert execute(services.job_env, job_id, "w2") == Outcome.not_claimed
    with services.db.session() as s:
        assert s.scalar(select(func.count()).select_from(JobStep).where(JobStep.job_id == job_id)) == 1


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)  # SQLite has no partitions
def test_embedded_runner_keeps_partitions_ahead_on_postgres(services):
    from sideline.storage.partitions import list_partitions, partition_name

    today = utcnow().date()
    expected = partition_name("samples", today.replace(day=1))
    with services.db.engine.connect() as conn:
        wait_for(lambda: expected in list_partitions(conn, "samples"), message="this month's partition")
