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
