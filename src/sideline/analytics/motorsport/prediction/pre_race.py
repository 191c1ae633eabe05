"""The pre-race winner and podium model: two LightGBM classifiers on ``features.FEATURES``,
their outputs normalised per race (win probabilities sum to 1, podium ones to 3).

Evaluated on a time split: trained on earlier seasons, scored on the most recent complete
ones against the pole-sitter and grid-only baselines (``evaluation``).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import lightgbm as lgb
import numpy as np
import polars as pl

from sideline.analytics.motorsport.prediction.evaluation import (
    GridBaseline, PoleBaseline, normalise_per_race, score)
from sideline.analytics.motorsport.prediction.features import FEATURES
from sideline.errors import InvalidInput

FORMAT = "sideline.f1.pre_race.v1"
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary", "learning_rate": 0.03, "num_leaves": 15, "min_data_in_leaf": 40,
    "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
    "verbose": -1, "num_threads": 2, "seed": 7, "deterministic": True,
}
DEFAULT_ROUNDS = 300


@dataclasses.dataclass
class PreRaceModel:
    win: lgb.Booster
    podium: lgb.Booster
    features: tuple[str, ...] = FEATURES

    def predict(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` plus ``p_win`` (sums to 1 per race) and ``p_podium`` (sums to min(3, starters))."""
        x = frame.select(self.features).to_numpy().astype(np.float64)
        out = frame.with_columns(p_win=pl.Series(self.win.predict(x)), p_podium=pl.Series(self.podium.predict(x)))
        out = normalise_per_race(out, "p_win")
        parts = [normalise_per_race(group, "p_podium", float(min(3, group.height)))
                 for group in out.partition_by("race_id", maintain_order=True)]
        return pl.concat(parts) if parts else out

    def to_bytes(self) -> bytes:
        return json.dumps({"format": FORMAT, "features": list(self.features),
                           "win": self.win.model_to_string(), "podium": self.podium.model_to_string()}).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> PreRaceModel:
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise InvalidInput("model file: not JSON") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise InvalidInput(f"model file: not a {FORMAT} model")
        return cls(lgb.Booster(model_str=doc["win"]), lgb.Booster(model_str=doc["podium"]), tuple(doc["features"]))


def _booster(train: pl.DataFrame, target: str, params: dict[str, Any], rounds: int) -> lgb.Booster:
    data = lgb.Dataset(train.select(FEATURES).to_numpy().astype(np.float64), label=train[target].to_numpy(),
                       feature_name=list(FEATURES), free_raw_data=True)
    return lgb.train(params, data, num_boost_round=rounds)


def train_and_evaluate(features: pl.DataFrame, train_years: tuple[int, int], test_years: tuple[int, int],
                       params: dict[str, Any] | None = None, rounds: int = DEFAULT_ROUNDS
                       ) -> tuple[PreRaceModel, dict[str, Any]]:
    """Fit on ``train_years``, score on ``test_years`` (inclusive ranges); the model and its report."""
    if train_years[1] >= test_years[0]:
        raise InvalidInput(f"time split: training seasons {train_years} must end before the test seasons {test_years}")
    in_years = lambda years: pl.col("year").is_between(*years)  # noqa: E731
    train, test = features.filter(in_years(train_years)), features.filter(in_years(test_years))
    if train.is_empty() or test.is_empty():
        raise InvalidInput(f"time split: no races in training {train_years} or test {test_years} seasons")
    merged = {**DEFAULT_PARAMS, **(params or {})}
    model = PreRaceModel(_booster(train, "win", merged, rounds), _booster(train, "podium", merged, rounds))
    predicted = model.predict(test)
    pole = PoleBaseline().fit(train)
    grid = GridBaseline().fit(train)
    importance = dict(zip(FEATURES, model.win.feature_importance("gain").round(1).tolist(), strict=True))
    report = {
        "train_seasons": list(train_years), "test_seasons": list(test_years),
        "train_races": train["race_id"].n_unique(), "test_races": test["race_id"].n_unique(),
        "train_rows": train.height, "test_rows": test.height,
        "params": merged, "rounds": rounds, "features": list(FEATURES),
        "win": {"model": score(predicted, "p_win"), "pole_sitter": score(pole.predict(test), "p_win"),
                "grid_only": score(grid.predict(test), "p_win")},
        "podium": {"top3_brier_per_race": _podium_brier(predicted)},
        "pole_win_rate_train": pole.pole_win_rate,
        "feature_importance_gain": dict(sorted(importance.items(), key=lambda kv: -kv[1])),
    }
    return model, report


def _podium_brier(predicted: pl.DataFrame) -> float:
    per_race = predicted.group_by("race_id").agg(b=((pl.col("p_podium") - pl.col("podium")) ** 2).sum())
    return float(per_race["b"].mean())
