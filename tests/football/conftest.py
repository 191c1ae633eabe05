"""Shared football fixtures: the real data folder and the full SkillCorner match, loaded once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path:
    return Path(os.environ.get("SIDELINE_SHARED_DATA", ROOT / ".." / "shared" / "data")).resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    folder = shared_data_dir()
    if not (folder / "football").is_dir():
        pytest.skip(f"real data folder not found at {folder} (set SIDELINE_SHARED_DATA)")
    return folder


@pytest.fixture(scope="session")
def skillcorner_files(shared_data) -> dict[str, Path]:
    folder = shared_data / "football" / "tracking" / "skillcorner_bayern_dortmund_2019"
    return {"meta_data": folder / "skillcorner_match_data.json", "raw_data": folder / "skillcorner_structured_data.json"}


@pytest.fixture(scope="session")
def skillcorner_match(skillcorner_files):
    """Bayern v Dortmund (2019), full match through the fast reader: 34,783 frames with objects."""
    from sideline.ingest.football import load_match

    return load_match("skillcorner", skillcorner_files)
