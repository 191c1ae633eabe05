"""In-race win probability: a Monte Carlo simulation of the remaining laps from the live state.

At the end of each of the leader's laps every running car has a gap to the leader, a pace
(its recent green-flag laps blended with a prior from the pre-race model: the better its
pre-race chance, the faster), tyres of some age and perhaps a stop still to make. Each draw
adds to the gap, for the laps remaining, the car's pace, Gaussian lap-to-lap noise, tyre wear,
the pit loss of a stop still due, maybe one safety car (which closes the field up to
``safety_car_gap_s`` per place) and maybe a retirement (``retire_per_lap``, e.g. a puncture);
the lowest total wins. The vectorised draw needs no loop over laps: sums of per-lap Gaussians
are Gaussian.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import polars as pl

RAIN_COMPOUNDS = ("INTERMEDIATE", "WET")
PACE_LAPS = 5
FALLBACK_LAP_S = 90.0


@dataclasses.dataclass(frozen=True)
class InRaceParams:
    lap_noise_s: float = 0.7          # s.d. of one lap's time around the car's pace
    prior_pace_s: float = 0.12        # s/lap faster per unit of log pre-race win chance above the field's mean
    prior_laps: float = 8.0           # observed laps at which observed pace and prior weigh the same
    pit_loss_s: float = 21.0
    wear_s_per_lap: float = 0.04      # lap time lost per lap of tyre age
    retire_per_lap: float = 0.0025    # ~12 % of starters retire over a 50-lap race
    safety_car_per_lap: float = 0.012
    safety_car_gap_s: float = 0.8
    simulations: int = 5000


def parse_gap(text: str | None, lap_time: float) -> float:
    """The feed's gap to the leader in seconds: "+1.234" -> 1.234, "2L" -> 2 laps, leader ("LAP n") -> 0."""
    if text is None or text == "" or text.startswith("LAP"):
        return 0.0
    if text.endswith("L"):
        try:
            return float(text[:-1]) * lap_time
        except ValueError:
            return lap_time
    try:
        return float(text.lstrip("+"))
    except ValueError:
        return 0.0


def lap_states(laps: pl.DataFrame, only: set[int] | None = None) -> list[tuple[int, pl.DataFrame]]:
    """The state at the end of each leader lap L (or those in ``only``): per running driver its
    latest lap row before the leader's lap L+1, with its recent green-flag pace, stops made and
    compounds used. A driver with no lap ending after the leader's lap L has retired."""
    rows = laps.filter(pl.col("t_end").is_not_null()).sort("t_end")
    if rows.is_empty():
        return []
    lead = rows.group_by("lap").agg(t_lead=pl.col("t_end").min()).sort("lap")
    laps_led, t_lead = lead["lap"].to_list(), lead["t_lead"].to_list()
    last_seen = rows.group_by("driver").agg(t_last=pl.col("t_end").max())
    clean = (pl.col("track_status").list.eval(pl.element() != "green").list.any().not_()
             & ~pl.col("pit_in") & ~pl.col("pit_out") & (pl.col("lap") > 1) & pl.col("lap_time").is_not_null())
    states = []
    for index, (lap, t) in enumerate(zip(laps_led, t_lead, strict=True)):
        if only is not None and lap not in only:
            continue
        cut = t_lead[index + 1] if index + 1 < len(t_lead) else float("inf")
        known = rows.filter(pl.col("t_end") < cut)
        running = last_seen.filter(pl.col("t_last") >= t)["driver"]
        pace = (known.filter(clean).group_by("driver")
                .agg(pace=pl.col("lap_time").tail(PACE_LAPS).median(), pace_laps=pl.col("lap_time").tail(PACE_LAPS).len()))
        history = known.group_by("driver").agg(
            stops=pl.col("pit_in").sum(), compounds=pl.col("compound").drop_nulls().n_unique(),
            rain=pl.col("compound").is_in(RAIN_COMPOUNDS).any())
        state = (known.group_by("driver").agg(pl.all().sort_by("t_end").last())
                 .filter(pl.col("driver").is_in(running.implode()))
                 .join(pace, on="driver", how="left").join(history, on="driver", how="left")
                 .sort("lap", "position", descending=[True, False]))
        states.append((int(lap), state))
    return states


def _prior_pace(drivers: list[str], prior: Mapping[str, float], params: InRaceParams) -> np.ndarray:
    p = np.array([max(float(prior.get(d, 0.0)), 1e-4) for d in drivers])
    strength = np.log(p) - np.log(p).mean()
    return -params.prior_pace_s * strength


def win_probabilities(state: pl.DataFrame, laps_remaining: int, prior: Mapping[str, float],
                      params: InRaceParams = InRaceParams(), rng: np.random.Generator | None = None
                      ) -> dict[str, float]:
    """Win probability per running driver (summing to 1) from one lap state."""
    rng = rng or np.random.default_rng(0)
    drivers = state["driver"].to_list()
    if not drivers:
        return {}
    # The field's typical lap (for "nL" gaps and relative pace); before any green lap, a guess.
    known_pace = state["pace"].drop_nulls()
    reference_lap = float(known_pace.median()) if known_pace.len() else FALLBACK_LAP_S
    gap = np.array([parse_gap(g, reference_lap) for g in state["gap_to_leader"].to_list()])
    remaining = max(int(laps_remaining), 0)
    if remaining == 0:
        winner = int(np.argmin(gap + 1e-6 * state["position"].to_numpy()))
        return {d: float(i == winner) for i, d in enumerate(drivers)}

    observed = state["pace"].to_numpy().astype(float) - reference_lap
    observed_laps = state["pace_laps"].fill_null(0).to_numpy().astype(float)
    weight = observed_laps / (observed_laps + params.prior_laps)
    pace = np.where(np.isnan(observed), 0.0, observed) * weight + _prior_pace(drivers, prior, params) * (1 - weight)

    # A car whose last lap ended in the pit lane has stopped, but its gap does not show the loss
    # yet, and the lap row still carries the old tyres.
    in_pit_now = state["pit_in"].fill_null(False).to_numpy() & ~state["pit_out"].fill_null(False).to_numpy()
    tyre_age = np.where(in_pit_now, 0.0, state["tyre_age"].fill_null(0).to_numpy().astype(float))
    stop_due = ((state["stops"].fill_null(0).to_numpy() == 0) & (state["compounds"].fill_null(1).to_numpy() < 2)
                & ~state["rain"].fill_null(False).to_numpy())
    # Wear: with no stop due the tyres age on; with one, fresh tyres halfway through.
    wear = np.where(stop_due, params.wear_s_per_lap * remaining * remaining / 4,
                    params.wear_s_per_lap * remaining * (tyre_age + remaining / 2))
    drift = pace * remaining + wear + (stop_due | in_pit_now) * params.pit_loss_s

    n = params.simulations
    shape = (n, len(drivers))
    total = gap + drift + params.lap_noise_s * np.sqrt(remaining) * rng.standard_normal(shape)
    # One safety car at a uniformly drawn lap k: the order then stands, gaps shrink to a fixed spacing.
    safety_car = rng.random(n) < 1 - (1 - params.safety_car_per_lap) ** remaining
    k = rng.integers(1, remaining + 1, size=n)[:, None]
    share = k / remaining
    at_k = gap + drift * share + params.lap_noise_s * np.sqrt(k) * rng.standard_normal(shape)
    places = np.argsort(np.argsort(at_k, axis=1), axis=1)
    after = (places * params.safety_car_gap_s + drift * (1 - share)
             + params.lap_noise_s * np.sqrt(remaining - k) * rng.standard_normal(shape))
    total = np.where(safety_car[:, None], after, total)
    retired = rng.random(shape) < 1 - (1 - params.retire_per_lap) ** remaining
    total = np.where(retired, np.inf, total)
    finished = np.isfinite(total).any(axis=1)
    wins = np.bincount(np.argmin(total[finished], axis=1), minlength=len(drivers)).astype(float)
    wins /= max(wins.sum(), 1.0)
    return dict(zip(drivers, wins.tolist(), strict=True))


def win_probability_timeline(laps: pl.DataFrame, total_laps: int, prior: Mapping[str, float],
                             params: InRaceParams = InRaceParams(), seed: int = 0) -> pl.DataFrame:
    """``lap, driver, position, probability``: lap 0 is the prior (pre-race), then one set per
    leader lap. Retired drivers are absent from a lap (probability 0)."""
    rng = np.random.default_rng(seed)
    total_prior = sum(prior.values()) or 1.0
    rows = [{"lap": 0, "driver": d, "position": None, "probability": p / total_prior} for d, p in prior.items()]
    for lap, state in lap_states(laps):
        probabilities = win_probabilities(state, total_laps - lap, prior, params, rng)
        positions = dict(zip(state["driver"].to_list(), state["position"].to_list(), strict=True))
        rows += [{"lap": lap, "driver": d, "position": positions[d], "probability": p}
                 for d, p in probabilities.items()]
    return pl.DataFrame(rows, schema={"lap": pl.Int32, "driver": pl.Utf8, "position": pl.Int32,
                                      "probability": pl.Float64})


def grid_prior(grid: Mapping[str, int | None]) -> dict[str, float]:
    """A prior from the starting grid alone, for a session without a model: p ∝ 1 / grid²
    (pole about half, front row about two thirds, like the long-run win rates by grid slot)."""
    field = len(grid)
    weights = {d: 1.0 / float(g if g else field) ** 2 for d, g in grid.items()}
    total = sum(weights.values()) or 1.0
    return {d: w / total for d, w in weights.items()}


class LiveWinProbability:
    """Win probabilities for a session while it runs: ``update(laps)`` with the laps so far
    returns one ``{lap, probabilities}`` per newly settled lap. Lap L settles when the leader
    completes lap L+1 (every running car has then crossed the line after the leader's lap L),
    or at ``finished``; so the live figure trails the leader by one lap."""

    def __init__(self, prior: Mapping[str, float], total_laps: int, params: InRaceParams = InRaceParams(),
                 seed: int = 0):
        self.prior, self.total_laps, self.params = dict(prior), int(total_laps), params
        self._rng = np.random.default_rng(seed)
        self.published = 0

    def update(self, laps: pl.DataFrame, finished: bool = False) -> list[dict]:
        led = laps.filter(pl.col("t_end").is_not_null())["lap"]
        if led.is_empty():
            return []
        settled = int(led.max()) if finished else int(led.max()) - 1
        wanted = set(range(self.published + 1, settled + 1))
        if not wanted:
            return []
        out = []
        for lap, state in lap_states(laps, wanted):
            probabilities = win_probabilities(state, self.total_laps - lap, self.prior, self.params, self._rng)
            out.append({"lap": lap, "probabilities": probabilities})
        self.published = settled
        return out
