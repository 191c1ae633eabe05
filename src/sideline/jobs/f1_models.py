"""F1 race predictions: train versioned pre-race models, and win-probability timelines of sessions.

``f1.train_model`` reads f1db (``SIDELINE_F1DB``, else ``$SIDELINE_SHARED_DATA/motorsport/f1/f1db``),
trains the LightGBM winner/podium model on a time split and stores it in the blob store as
``f1/models/<version>/model.json`` with its evaluation report ``report.json`` beside it.
Models are shared by every organisation (like the public sessions). ``train_model`` does the
same without a job, e.g. from a command.

A session's win-probability timeline replays its stored feed through ``SessionState``, takes
the pre-race prior from the latest model (the f1db race of the session's year and round) or,
without one, from the starting grid, and simulates the remaining laps after every lap.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from sideline.errors import InvalidInput, NotFound
from sideline.jobs.execution import JobContext
from sideline.jobs.registry import job_type

TRAIN_JOB = "f1.train_model"
MODELS_ROOT = "f1/models"
MODELS_PREFIX = MODELS_ROOT + "/"
DEFAULT_TRAIN_SEASONS = (1990, 2022)
DEFAULT_TEST_SEASONS = (2023, 2025)
FIRST_SEASON = 1950


def f1db_root() -> Path:
    explicit, shared = os.environ.get("SIDELINE_F1DB"), os.environ.get("SIDELINE_SHARED_DATA")
    if not explicit and not shared:
        raise InvalidInput("f1db is not configured: set SIDELINE_F1DB to the f1db folder")
    root = Path(explicit) if explicit else Path(shared) / "motorsport" / "f1" / "f1db"
    if not (root / "seasons").is_dir():
        raise InvalidInput(f"f1db not found at {root} (set SIDELINE_F1DB to the f1db folder)")
    return root


def _seasons(params: dict[str, Any], key: str, default: tuple[int, int]) -> tuple[int, int]:
    value = params.get(key, list(default))
    if (not isinstance(value, list | tuple) or len(value) != 2 or any(isinstance(v, bool) or not isinstance(v, int)
                                                                       for v in value)
            or not FIRST_SEASON <= value[0] <= value[1] <= 2100):
        raise InvalidInput(f"{key}: give [first, last] seasons, e.g. {list(default)}")
    return int(value[0]), int(value[1])


def validate_train(params: dict[str, Any]) -> None:
    train, test = _seasons(params, "train_seasons", DEFAULT_TRAIN_SEASONS), _seasons(params, "test_seasons",
                                                                                      DEFAULT_TEST_SEASONS)
    if train[1] >= test[0]:
        raise InvalidInput("train_seasons must end before test_seasons begin (a time split)")
    rounds = params.get("rounds", 300)
    if isinstance(rounds, bool) or not isinstance(rounds, int) or not 10 <= rounds <= 5000:
        raise InvalidInput("rounds: a whole number from 10 to 5000")


# -- models in the blob store ----------------------------------------------------------------

def train_model(blobs, *, root: Path | None = None, train_seasons: tuple[int, int] = DEFAULT_TRAIN_SEASONS,
                test_seasons: tuple[int, int] = DEFAULT_TEST_SEASONS, rounds: int = 300,
                progress: Callable[[float, str], None] | None = None) -> dict[str, Any]:
    """Train, evaluate and store a new model version; its report (with ``version``)."""
    from sideline.analytics.motorsport.prediction.features import race_features
    from sideline.analytics.motorsport.prediction.pre_race import train_and_evaluate
    from sideline.ingest.f1db import load_f1db

    progress = progress or (lambda _p, _m: None)
    root = root or f1db_root()
    progress(5, "Reading f1db")
    # Form features look back a few races, so load a season before the training window.
    db = load_f1db(root, (max(FIRST_SEASON, train_seasons[0] - 1), test_seasons[1]))
    progress(40, "Building features")
    features = race_features(db.races, db.results, db.grid, db.qualifying)
    progress(50, "Training")
    model, report = train_and_evaluate(features, train_seasons, test_seasons, rounds=rounds)
    data = model.to_bytes()
    created = dt.datetime.now(dt.UTC)
    version = f"{created:%Y%m%dT%H%M%SZ}-{hashlib.sha256(data).hexdigest()[:8]}"
    snapshot = root / "SNAPSHOT"
    report = {"version": version, "created_at": created.isoformat(),
              "f1db_snapshot": snapshot.read_text(encoding="utf-8").split()[0] if snapshot.is_file() else None,
              **report}
    blobs.put(f"{MODELS_PREFIX}{version}/model.json", data)
    blobs.put(f"{MODELS_PREFIX}{version}/report.json", json.dumps(report).encode())
    progress(100, f"Model {version} stored")
    return report


def list_models(blobs) -> list[dict[str, Any]]:
    """Every stored version, newest first, with its headline scores."""
    versions = sorted({key[len(MODELS_PREFIX):].split("/")[0] for key in blobs.list(MODELS_ROOT)
                       if key.endswith("/report.json")}, reverse=True)
    out = []
    for version in versions:
        report = load_report(blobs, version)
        out.append({"version": version, "created_at": report.get("created_at"),
                    "train_seasons": report.get("train_seasons"), "test_seasons": report.get("test_seasons"),
                    "win": report.get("win")})
    return out


def _check_version(version: str) -> str:
    # ASCII only: str.isalnum() also accepts letters and digits that blob keys refuse.
    if not re.fullmatch(r"[0-9A-Za-z-]{1,80}", version or ""):
        raise NotFound(f"No F1 model version {version!r}")
    return version


def load_report(blobs, version: str) -> dict[str, Any]:
    key = f"{MODELS_PREFIX}{_check_version(version)}/report.json"
    if not blobs.exists(key):
        raise NotFound(f"No F1 model version {version!r}")
    return json.loads(blobs.get(key))


@functools.lru_cache(maxsize=4)
def _model_from_bytes(data: bytes):
    from sideline.analytics.motorsport.prediction.pre_race import PreRaceModel
    return PreRaceModel.from_bytes(data)


def load_model(blobs, version: str | None = None):
    """``(version, PreRaceModel)`` of ``version`` or the newest; None when there is none."""
    if version is None:
        models = list_models(blobs)
        if not models:
            return None
        version = models[0]["version"]
    key = f"{MODELS_PREFIX}{_check_version(version)}/model.json"
    if not blobs.exists(key):
        raise NotFound(f"No F1 model version {version!r}")
    return version, _model_from_bytes(blobs.get(key))


@job_type(TRAIN_JOB, description="Trains and evaluates the F1 pre-race winner/podium model", validate=validate_train,
          generic_api=False)
def train_model_job(ctx: JobContext) -> dict:
    report = train_model(ctx.env.blobs, train_seasons=_seasons(ctx.params, "train_seasons", DEFAULT_TRAIN_SEASONS),
                         test_seasons=_seasons(ctx.params, "test_seasons", DEFAULT_TEST_SEASONS),
                         rounds=int(ctx.params.get("rounds", 300)), progress=lambda p, m: ctx.progress(p, m))
    return {"version": report["version"], "win": report["win"]}


# -- session timelines ---------------------------------------------------------------------

def replay_laps(feed: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, Any]]:
    """A stored feed (``t, stream, line``) through ``SessionState``: its laps and final snapshot."""
    from sideline.analytics.motorsport import SessionState
    from sideline.ingest.f1.parsing import FeedParser

    parser, state = FeedParser(), SessionState()
    messages = [m for stream, line in zip(feed["stream"], feed["line"], strict=True)
                if (m := parser.parse_stream_line(stream, line)) is not None]
    for message in sorted(messages, key=lambda m: m.t):
        state.apply(message)
    state.finish()
    return state.laps(), state.snapshot()


def session_prior(snapshot: dict[str, Any], year: int | None, round_: int | None, blobs) -> tuple[dict[str, float], str]:
    """Pre-race win chances per car number and where they came from (a model version, or ``grid``)."""
    from sideline.analytics.motorsport.prediction.in_race import grid_prior

    drivers = snapshot.get("drivers") or {}
    loaded = load_model(blobs) if year and round_ else None
    if loaded is not None:
        try:
            prior = _model_prior(loaded[1], year, round_, set(drivers))
            if prior:
                return prior, loaded[0]
        except InvalidInput:
            pass  # no f1db here or no such race: fall back to the grid
    grid = {number: d.get("grid_position") for number, d in drivers.items()}
    return grid_prior(grid), "grid"


def _model_prior(model, year: int, round_: int, numbers: set[str]) -> dict[str, float]:
    from sideline.analytics.motorsport.prediction.features import race_features
    from sideline.ingest.f1db import load_f1db

    db = load_f1db(f1db_root(), (year - 1, year))
    race = db.races.filter((pl.col("year") == year) & (pl.col("round") == round_))
    if race.is_empty():
        return {}
    features = race_features(db.races, db.results, db.grid, db.qualifying).filter(
        pl.col("race_id") == race["race_id"][0])
    predicted = model.predict(features)
    prior = {str(n): float(p) for n, p in zip(predicted["number"], predicted["p_win"], strict=True) if n is not None}
    return {n: p for n, p in prior.items() if n in numbers}
