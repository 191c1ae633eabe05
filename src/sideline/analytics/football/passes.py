"""Pass counts, completion and pass networks from events.

A pass is an event of type ``pass`` (whatever its result); it is complete when its result is
``complete``. A pass network has one node per passer (mean position of their passes, number
of passes) and one edge per passer -> receiver pair of completed passes, kept when it
happened at least ``min_passes`` times.
"""

from __future__ import annotations

import dataclasses

import polars as pl

from sideline.core.football import SIDES, Events
from sideline.errors import InvalidInput


def _passes(events: Events) -> pl.DataFrame:
    return events.table.filter(pl.col("type") == "pass").with_columns(
        (pl.col("result") == "complete").fill_null(False).alias("complete"))


def pass_counts(events: Events, by: str = "side") -> pl.DataFrame:
    """Passes, completed passes and completion rate per ``side`` or per ``player_id``.

    Columns: the key(s) (``side``, plus ``player_id`` when by player), ``passes``,
    ``complete``, ``completion`` (0..1).
    """
    if by not in {"side", "player"}:
        raise InvalidInput(f"pass counts are by 'side' or 'player', not {by!r}")
    keys = ["side"] if by == "side" else ["side", "player_id"]
    return (_passes(events).group_by(keys)
            .agg(pl.len().alias("passes"), pl.col("complete").sum().alias("complete"))
            .with_columns((pl.col("complete") / pl.col("passes")).alias("completion"))
            .sort(keys))


@dataclasses.dataclass(frozen=True, slots=True)
class PassNetwork:
    side: str
    nodes: pl.DataFrame  # player_id, name, x, y (mean pass origin, metres), passes
    edges: pl.DataFrame  # passer_id, receiver_id, passes (completed, passer -> receiver)


def pass_network(events: Events, side: str, min_passes: int = 3, start: float | None = None,
                 end: float | None = None) -> PassNetwork:
    """The pass network of ``side``, optionally between two timeline instants (seconds).

    Networks are usually drawn up to the first substitution: pass its time as ``end``.
    """
    if side not in SIDES:
        raise InvalidInput(f"side must be 'home' or 'away', not {side!r}")
    if min_passes < 1:
        raise InvalidInput(f"min_passes must be at least 1, got {min_passes}")
    passes = _passes(events).filter(pl.col("side") == side)
    if start is not None:
        passes = passes.filter(pl.col("timeline") >= start)
    if end is not None:
        passes = passes.filter(pl.col("timeline") <= end)
    names = {p.player_id: p.name for p in events.meta.players}
    nodes = (passes.filter(pl.col("player_id").is_not_null())
             .group_by("player_id")
             .agg(pl.col("x").mean(), pl.col("y").mean(), pl.len().alias("passes"))
             .with_columns(pl.col("player_id").replace_strict(names, default=None, return_dtype=pl.String).alias("name"))
             .select("player_id", "name", "x", "y", "passes")
             .sort("passes", descending=True))
    edges = (passes.filter(pl.col("complete") & pl.col("receiver_id").is_not_null() & pl.col("player_id").is_not_null())
             .group_by(pl.col("player_id").alias("passer_id"), "receiver_id")
             .agg(pl.len().alias("passes"))
             .filter(pl.col("passes") >= min_passes)
             .sort(["passes", "passer_id", "receiver_id"], descending=[True, False, False]))
    return PassNetwork(side=side, nodes=nodes, edges=edges)
