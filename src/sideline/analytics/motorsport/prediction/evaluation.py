"""Scores for per-race win probabilities, and the honest baselines they are compared with.

A race is one multi-class outcome (who wins), so: log loss = mean over races of -log p(winner),
Brier = mean over races of sum over starters (p - won)^2, top-1 accuracy = share of races whose
most likely driver won. Races without exactly one winner among the starters (a few shared
drives of the 1950s) are left out.
"""

from __future__ import annotations

import numpy as np
import polars as pl

PROBABILITY_FLOOR = 1e-6
GRID_SLOTS = 30


def normalise_per_race(frame: pl.DataFrame, column: str, total: float = 1.0) -> pl.DataFrame:
    """Scale ``column`` so it sums to ``total`` in each race (probabilities stay in [0, 1])."""
    out = frame.with_columns((pl.col(column) / pl.col(column).sum().over("race_id") * total).alias(column))
    if total > 1:
        # A sum above 1 (podium: 3) can push one driver over 1: clip and spread the excess.
        for _ in range(10):
            out = out.with_columns(pl.col(column).clip(upper_bound=1.0))
            short = total - pl.col(column).sum().over("race_id")
            free = pl.when(pl.col(column) < 1).then(pl.col(column)).otherwise(0)
            out = out.with_columns((pl.col(column) + free / free.sum().over("race_id") * short)
                                   .fill_nan(pl.col(column)).alias(column))
        out = out.with_columns(pl.col(column).clip(upper_bound=1.0))
    return out


def score(frame: pl.DataFrame, probability: str, target: str = "win") -> dict[str, float]:
    """Log loss, Brier score and top-1 accuracy of ``probability`` per race against ``target``."""
    per_race = (frame.group_by("race_id")
                .agg(winners=pl.col(target).sum(),
                     p_winner=pl.col(probability).filter(pl.col(target) == 1).first(),
                     brier=((pl.col(probability) - pl.col(target)) ** 2).sum(),
                     top_won=pl.col(target).sort_by(pl.col(probability), descending=True).first())
                .filter(pl.col("winners") == 1))
    if per_race.is_empty():
        return {"races": 0, "log_loss": float("nan"), "brier": float("nan"), "top1_accuracy": float("nan")}
    p_winner = np.clip(per_race["p_winner"].to_numpy(), PROBABILITY_FLOOR, 1.0)
    return {"races": per_race.height, "log_loss": float(-np.log(p_winner).mean()),
            "brier": float(per_race["brier"].mean()), "top1_accuracy": float(per_race["top_won"].mean())}


class PoleBaseline:
    """The pole sitter wins with the pole win rate seen in training; the rest share the remainder."""

    def fit(self, train: pl.DataFrame) -> PoleBaseline:
        self.pole_win_rate = float(train.filter(pl.col("grid") == 1)["win"].mean())
        return self

    def predict(self, frame: pl.DataFrame) -> pl.DataFrame:
        n = pl.len().over("race_id")
        p = pl.when(pl.col("grid") == 1).then(self.pole_win_rate).otherwise((1 - self.pole_win_rate) / (n - 1))
        return normalise_per_race(frame.with_columns(p_win=p), "p_win")


class GridBaseline:
    """Win rate by starting position in training (add-one smoothed), normalised per race."""

    def fit(self, train: pl.DataFrame) -> GridBaseline:
        slots = train["grid"].clip(1, GRID_SLOTS).cast(pl.Int64).to_numpy()
        wins = np.bincount(slots, weights=train["win"].to_numpy(), minlength=GRID_SLOTS + 1)
        starts = np.bincount(slots, minlength=GRID_SLOTS + 1)
        self.rate = (wins + 0.5) / (starts + 1.0)
        return self

    def predict(self, frame: pl.DataFrame) -> pl.DataFrame:
        slots = frame["grid"].clip(1, GRID_SLOTS).cast(pl.Int64).to_numpy()
        return normalise_per_race(frame.with_columns(p_win=pl.Series(self.rate[slots])), "p_win")
