"""Shared F1 fixtures: each full replay of a recorded feed is done once per test session."""

from __future__ import annotations

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
