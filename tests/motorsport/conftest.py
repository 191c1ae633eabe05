"""Shared F1 fixtures: each full replay of a recorded feed is done once per test session."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.motorsport.f1_data import Replay, f1_folder, replay


@pytest.fixture(scope="session")
def race_2018() -> Replay:
    return replay(f1_folder("2018_azerbaijan_race"))


@pytest.fixture(scope="session")
def sprint_2023() -> Replay:
    return replay(f1_folder("2023_azerbaijan_sprint"))


@pytest.fixture(scope="session")
def saudi_2021_partial() -> Replay:
    return replay(f1_folder("2021_saudi_arabia_race_partial"))


@pytest.fixture
def settings(tmp_path, backend):
    # A max-speed replay keeps a job thread busy for seconds; the suite's 1 s heartbeat lets the
    # reaper take a job over after 1.5 s of silence on a busy machine, ending the replay early.
    # These tests are about timing data and the WebSocket: give jobs a production-like heartbeat.
    from tests.conftest import make_settings

    return make_settings(tmp_path, database_url=backend, job_heartbeat_seconds=10.0)


# -- one server with the 2018 race imported and replayed, shared by a module's API tests --------

@dataclasses.dataclass
class RaceApi:
    client: Any
    services: Any
    account: Any  # owner of "Alpha FC", who imported and replayed the race
    other_account: Any  # another organisation's owner
    session_id: str
    backend: str


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def race_api(request, tmp_path_factory, migrated_templates) -> Iterator[RaceApi]:
    """The API on each database (like ``backend``) with the 2018 Azerbaijan GP imported (round 4)
    and replayed once at maximum speed, for the read-only tests of a module (GraphQL, commentary
    preferences): importing and replaying per test would cost seconds each."""
    from fastapi.testclient import TestClient

    from sideline.api.app import create_app
    from sideline.services import build_services
    from tests.conftest import create_account, create_pg_database, drop_pg_database, make_settings, wait_job
    from tests.motorsport.test_f1_api import import_recording, start_replay

    tmp_path = tmp_path_factory.mktemp(f"race-api-{request.param}")
    if request.param == "sqlite":
        target = tmp_path / "db.sqlite3"
        shutil.copyfile(migrated_templates["sqlite"], target)
        url = f"sqlite:///{target}"
    else:
        request.getfixturevalue("pg_server")
        url = create_pg_database(template=migrated_templates.get("postgres"))
    services = build_services(make_settings(tmp_path, database_url=url, job_heartbeat_seconds=10.0), start_runner=False)
    services.runner.start()
    try:
        with TestClient(create_app(services.settings, services)) as client:
            account = create_account(client, services, org_name="Alpha FC")
            other = create_account(client, services, org_name="Bravo United")
            session_id = import_recording(client, account, round=4)["session_id"]
            job = wait_job(client, account, start_replay(client, account, session_id, None)["id"])
            assert job["state"] == "succeeded", job["error"]
            yield RaceApi(client, services, account, other, session_id, request.param)
    finally:
        services.close()
        if request.param == "postgres":
            drop_pg_database(url)
