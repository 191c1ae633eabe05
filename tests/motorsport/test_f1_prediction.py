"""F1 predictions: f1db tables against the YAML, the pre-race model on a time split against the
pole-sitter and grid baselines (a small slice of history; the full training is
``sideline.jobs.f1_models.train_model``), and the in-race win probability over the 2018
Azerbaijan GP, where Bottas led until a puncture on lap 49 and Hamilton won."""

from __future__ import annotations

import math

import polars as pl
import pytest
import yaml

from sideline.analytics.motorsport.prediction.evaluation import score
from sideline.analytics.motorsport.prediction.features import FEATURES, race_features
from sideline.analytics.motorsport.prediction.in_race import win_probability_timeline
from sideline.analytics.motorsport.prediction.pre_race import PreRaceModel, train_and_evaluate
from sideline.errors import InvalidInput
from sideline.ingest.f1db import load_f1db
from sideline.jobs import f1_models
from sideline.storage.blobs import LocalBlobStore
from tests.motorsport.f1_data import shared_data

BAKU_2018 = 980
TRAIN, TEST = (2012, 2017), (2018, 2019)


@pytest.fixture(scope="module")
def f1db_root():
    root = shared_data() / "motorsport" / "f1" / "f1db"
    if not (root / "seasons").is_dir():
        pytest.skip(f"f1db not found at {root} (set SIDELINE_SHARED_DATA)")
    return root


@pytest.fixture(scope="module")
def db(f1db_root):
    return load_f1db(f1db_root, (2011, 2019))


@pytest.fixture(scope="module")
def features(db):
    return race_features(db.races, db.results, db.grid, db.qualifying)


@pytest.fixture(scope="module")
def trained(features):
    return train_and_evaluate(features, TRAIN, TEST, rounds=120)


def test_f1db_tables_match_the_yaml(db, f1db_root):
    folder = f1db_root / "seasons" / "2018" / "races" / "04-azerbaijan"
    official = yaml.safe_load((folder / "race-results.yml").read_text(encoding="utf-8"))
    race = db.races.filter(pl.col("race_id") == BAKU_2018).row(0, named=True)
    assert (race["year"], race["round"], race["circuit"], race["laps"]) == (2018, 4, "baku", 51)
    results = db.results.filter(pl.col("race_id") == BAKU_2018)
    assert results.select("driver", "position", "grid").rows() == [
        (r["driverId"], r["position"] if isinstance(r["position"], int) else None, r["gridPosition"]) for r in official]
    grid = db.grid.filter(pl.col("race_id") == BAKU_2018).sort("position")
    assert grid["driver"][0] == "sebastian-vettel"
    assert db.races.filter(pl.col("year") == 2018).height == 21


def test_features_use_nothing_from_the_race_itself(db):
    """Swapping the 2018 Baku winner's result leaves that race's features as they were."""
    changed = db.results.with_columns(
        position=pl.when((pl.col("race_id") == BAKU_2018) & (pl.col("position") == 1)).then(None)
        .otherwise(pl.col("position")),
        points=pl.when(pl.col("race_id") == BAKU_2018).then(0.0).otherwise(pl.col("points")))
    before = race_features(db.races, db.results, db.grid, db.qualifying).filter(pl.col("race_id") == BAKU_2018)
    after = race_features(db.races, changed, db.grid, db.qualifying).filter(pl.col("race_id") == BAKU_2018)
    assert before.select(FEATURES).equals(after.select(FEATURES))
    assert before["win"].sum() == 1 and after["win"].sum() == 0


def test_time_split_beats_the_pole_sitter_baseline(trained):
    _, report = trained
    win = report["win"]
    assert report["test_races"] == 42 and report["train_seasons"] == list(TRAIN)
    assert win["model"]["log_loss"] < win["pole_sitter"]["log_loss"]
    assert win["model"]["brier"] < win["pole_sitter"]["brier"]
    assert win["model"]["top1_accuracy"] >= win["pole_sitter"]["top1_accuracy"]
    # Against the grid-only model the slice is small: the model must at least not be worse by much.
    assert win["model"]["log_loss"] < win["grid_only"]["log_loss"] + 0.1


def test_probabilities_sum_to_one_per_race_and_podium_to_three(trained, features):
    model, _ = trained
    predicted = model.predict(features.filter(pl.col("year").is_between(*TEST)))
    sums = predicted.group_by("race_id").agg(win=pl.col("p_win").sum(), podium=pl.col("p_podium").sum())
    assert sums.height == 42
    assert (sums["win"] - 1).abs().max() < 1e-9
    assert (sums["podium"] - 3).abs().max() < 1e-6
    assert predicted["p_win"].is_between(0, 1).all() and predicted["p_podium"].is_between(0, 1).all()
    # Saved and loaded again, the model predicts the same.
    again = PreRaceModel.from_bytes(model.to_bytes()).predict(predicted.drop("p_win", "p_podium"))
    assert (again["p_win"] - predicted["p_win"]).abs().max() < 1e-12


def test_score_against_hand_computed_values():
    frame = pl.DataFrame({"race_id": [1, 1, 2, 2], "win": [1, 0, 0, 1], "p": [0.8, 0.2, 0.6, 0.4]})
    s = score(frame, "p")
    assert s["races"] == 2 and s["top1_accuracy"] == 0.5
    assert s["log_loss"] == pytest.approx(-(math.log(0.8) + math.log(0.4)) / 2)
    assert s["brier"] == pytest.approx(((0.2**2 + 0.2**2) + (0.6**2 + 0.6**2)) / 2)


def test_a_split_that_is_not_in_time_order_is_refused(features):
    with pytest.raises(InvalidInput, match="must end before"):
        train_and_evaluate(features, (2015, 2018), (2018, 2019))


def test_baku_2018_bottas_drops_after_his_puncture_and_hamilton_wins(trained, features, race_2018):
    model, _ = trained
    pre_race = model.predict(features.filter(pl.col("race_id") == BAKU_2018))
    prior = {str(n): p for n, p in zip(pre_race["number"], pre_race["p_win"], strict=True)}
    timeline = win_probability_timeline(race_2018.state.laps(), 51, prior)
    p = timeline.pivot(on="driver", index="lap", values="probability").sort("lap").fill_null(0.0)
    at = {lap: dict(zip(p.columns, row, strict=True)) for lap, row in zip(p["lap"], p.rows(), strict=True)}
    sums = timeline.group_by("lap").agg(pl.col("probability").sum())["probability"]
    assert (sums - 1).abs().max() < 1e-9
    assert at[48]["77"] > 0.5 and at[48]["77"] > at[48]["44"]  # leading with three laps to go
    assert at[49]["77"] == 0.0  # the puncture: out
    assert at[49]["44"] > 0.9 and at[50]["44"] > at[48]["44"] and at[51]["44"] == 1.0
    assert timeline.filter(pl.col("lap") == 51).sort("probability", descending=True)["driver"][0] == "44"


def test_train_model_stores_versions_with_their_reports(tmp_path, f1db_root):
    blobs = LocalBlobStore(tmp_path)
    assert f1_models.list_models(blobs) == [] and f1_models.load_model(blobs) is None
    report = f1_models.train_model(blobs, root=f1db_root, train_seasons=(2015, 2017), test_seasons=(2018, 2018),
                                   rounds=30)
    listed = f1_models.list_models(blobs)
    assert [m["version"] for m in listed] == [report["version"]]
    assert f1_models.load_report(blobs, report["version"])["win"] == report["win"]
    version, model = f1_models.load_model(blobs)
    assert version == report["version"] and isinstance(model, PreRaceModel)
    with pytest.raises(InvalidInput, match="train_seasons must end"):
        f1_models.validate_train({"train_seasons": [2010, 2020], "test_seasons": [2019, 2020]})


def test_models_and_the_win_probability_timeline_over_the_api(client, account, services, f1db_root, monkeypatch):
    from tests.conftest import create_account
    from tests.motorsport.test_f1_api import import_recording, wait_job

    monkeypatch.setenv("SIDELINE_F1DB", str(f1db_root))
    assert client.get("/api/v1/f1/models", headers=account.headers).json() == []
    analyst = create_account(client, services, role="analyst", org_id=account.org_id)
    body = {"train_seasons": [2016, 2017], "test_seasons": [2018, 2018], "rounds": 20}
    assert client.post(analyst.url("/f1/models"), headers=analyst.headers, json=body).status_code == 403
    bad = client.post(account.url("/f1/models"), headers=account.headers, json={**body, "test_seasons": [2017, 2018]})
    assert bad.status_code == 400 and "time split" in bad.text
    r = client.post(account.url("/f1/models"), headers=account.headers, json=body)
    assert r.status_code == 202, r.text
    job = wait_job(client, account, r.json()["id"])
    assert job["state"] == "succeeded", job["error"]
    version = job["result"]["version"]
    models = client.get("/api/v1/f1/models", headers=account.headers).json()
    assert [m["version"] for m in models] == [version]
    report = client.get(f"/api/v1/f1/models/{version}", headers=account.headers).json()
    assert report["test_races"] == 21 and set(report["win"]) == {"model", "pole_sitter", "grid_only"}
    assert client.get("/api/v1/f1/models/nope", headers=account.headers).status_code == 404

    session_id = import_recording(client, account, round=4)["session_id"]
    r = client.get(f"/api/v1/f1/sessions/{session_id}/win-probability", headers=account.headers)
    assert r.status_code == 200, r.text
    timeline = r.json()
    assert timeline["prior"] == version and timeline["total_laps"] == 51
    laps = {row["lap"]: row["probabilities"] for row in timeline["laps"]}
    assert set(laps) == set(range(52))
    assert all(abs(sum(p.values()) - 1) < 1e-3 for p in laps.values())
    assert "77" not in laps[49] and laps[51]["44"] == 1.0 and laps[48]["77"] > 0.5
    unknown = client.get("/api/v1/f1/sessions/00000000-0000-0000-0000-000000000000/win-probability",
                         headers=account.headers)
    assert unknown.status_code == 404


def test_live_updates_settle_each_lap_once_and_match_the_replayed_race(race_2018):
    from sideline.analytics.motorsport.prediction.in_race import LiveWinProbability, grid_prior

    laps = race_2018.state.laps()
    prior = grid_prior({d: v["grid_position"] for d, v in race_2018.state.snapshot()["drivers"].items()})
    live = LiveWinProbability(prior, 51)
    t_lead = laps.group_by("lap").agg(pl.col("t_end").min()).sort("lap")["t_end"].to_list()
    updates = []
    for t in t_lead[45:50]:  # the laps known as the leader crosses the line on laps 46 to 50
        updates += live.update(laps.filter(pl.col("t_end") <= t))
    updates += live.update(laps, finished=True)
    assert [u["lap"] for u in updates] == list(range(1, 52))
    assert updates[47]["probabilities"]["77"] > 0.5 and "77" not in updates[48]["probabilities"]
    assert updates[-1]["probabilities"]["44"] == 1.0


def test_f1db_cache_is_read_back_without_parsing_and_bad_folders_are_named(f1db_root, tmp_path, monkeypatch):
    from sideline.ingest import f1db as f1db_module

    first = f1db_module.load_f1db(f1db_root, (2018, 2018), cache_dir=tmp_path)
    monkeypatch.setattr(f1db_module, "parse_f1db", lambda *a, **k: pytest.fail("parsed although cached"))
    again = f1db_module.load_f1db.__wrapped__(f1db_root, (2018, 2018), cache_dir=tmp_path)
    assert again.results.equals(first.results) and again.races.height == 21
    with pytest.raises(InvalidInput, match="not an f1db folder"):
        f1db_module.load_f1db(tmp_path)
    broken = tmp_path / "broken"
    race = broken / "seasons" / "2000" / "races" / "01-x"
    race.mkdir(parents=True)
    (race / "race-results.yml").write_text("- position: [1\n")
    (race / "race.yml").write_text("id: 1\nround: 1\ndate: 2000-03-12\n")
    monkeypatch.undo()
    with pytest.raises(InvalidInput, match="race-results.yml: not valid YAML"):
        f1db_module.load_f1db.__wrapped__(broken, cache_dir=tmp_path / "c")
