"""Football matches in storage: one ``Dataset`` (kind ``football_match``) per match.

- ``dataset.meta``: the match metadata (teams, players, periods, pitch), summary figures,
  team statistics and the definitions the stored metrics were computed with;
- frame streams (``sideline.storage.frames``), all keyed by the match timeline ``t``:
  ``tracking`` (one row per frame, ``Tracking.to_polars`` layout), ``events``,
  ``freeze_frames``, ``speed`` (cleaned speed per player and frame), ``physical.match`` /
  ``physical.period`` / ``physical.window``, ``sprints``, ``moments``.

A match and everything derived from it is written in one transaction by the import job, so
a failed import leaves nothing behind.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy.orm import Session

from sideline.core.football import Events, Match, MatchMeta, Period, Player, Team, Tracking
from sideline.errors import NotFound
from sideline.storage.blobs import BlobStore
from sideline.storage.frames import read_frames, write_frames
from sideline.storage.models import Dataset

KIND = "football_match"
TRACKING, EVENTS, FREEZE_FRAMES, SPEED = "tracking", "events", "freeze_frames", "speed"
SPRINTS, MOMENTS = "sprints", "moments"
PHYSICAL = {"match": "physical.match", "period": "physical.period", "window": "physical.window"}


# -- metadata -------------------------------------------------------------------------

def _json_safe(value: Any) -> Any:
    # Readers hand over provider values as they come (numpy scalars, XML text nodes): store plain JSON.
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def meta_to_json(meta: MatchMeta) -> dict[str, Any]:
    out = _json_safe(dataclasses.asdict(meta))
    out["date"] = meta.date.isoformat() if meta.date else None
    out["score"] = list(meta.score) if meta.score else None
    out["warnings"] = list(meta.warnings)
    return out


def meta_from_json(data: dict[str, Any]) -> MatchMeta:
    date = data.get("date")
    return MatchMeta(
        provider=data["provider"], home=Team(**data["home"]), away=Team(**data["away"]),
        players=tuple(Player(**p) for p in data["players"]), pitch_length=data["pitch_length"],
        pitch_width=data["pitch_width"], periods=tuple(Period(**p) for p in data["periods"]),
        frame_rate=data.get("frame_rate"), match_id=data.get("match_id"),
        date=dt.datetime.fromisoformat(date) if date else None,
        score=tuple(data["score"]) if data.get("score") else None, competition=data.get("competition"),
        warnings=tuple(data.get("warnings") or ()))


def match_summary(match: Match) -> dict[str, Any]:
    """Figures shown in match lists, computed once at import."""
    tracking = match.tracking
    summary: dict[str, Any] = {"has_tracking": tracking is not None, "has_events": match.events is not None,
                               "n_frames": 0, "duration_s": 0.0, "coverage": None}
    if tracking is not None and tracking.n_frames:
        timeline = tracking.timeline
        summary.update(n_frames=tracking.n_frames, duration_s=float(timeline[-1] - timeline[0]),
                       coverage=float(tracking.frames_with_objects().mean()),
                       frames_with_objects=int(tracking.frames_with_objects().sum()))
    elif match.events is not None and match.events.table.height:
        summary["duration_s"] = float(match.events.table["timeline"].max())
    return summary


# -- writing --------------------------------------------------------------------------

def _events_frame(events: Events) -> pl.DataFrame:
    # The stored stream is keyed by the timeline; the period clock keeps its own column.
    return events.table.rename({"t": "period_t"}).rename({"timeline": "t"}).with_columns(pl.col("t").cast(pl.Float64))


def _row_group_rows(meta: MatchMeta) -> int:
    # About 30 s of frames per row group: a 60 s window reads a few small groups, not the match.
    return max(100, int(round((meta.frame_rate or 10.0) * 30)))


def _rows_per_part(meta: MatchMeta) -> int:
    # Five-minute files: a seek opens one or two small files (a few footers to parse), not the
    # footer of the whole match (~15,000 column chunks at 10 Hz), which alone costs tens of ms.
    return max(1000, int(round((meta.frame_rate or 10.0) * 300)))


def save_match(session: Session, store: BlobStore, organisation_id: uuid.UUID, match: Match, *, name: str,
               source: dict[str, Any] | None = None) -> Dataset:
    """Create the match's dataset and its tracking/event streams (flushed, not committed)."""
    meta = match.meta
    dataset = Dataset(organisation_id=organisation_id, kind=KIND, name=name[:300],
                      starts_at=meta.date if meta.date and meta.date.tzinfo else None,
                      meta={"match": meta_to_json(meta), "summary": match_summary(match), "source": source or {}})
    session.add(dataset)
    session.flush()
    if match.tracking is not None:
        write_frames(session, store, dataset.id, TRACKING, match.tracking.to_polars(),
                     row_group_rows=_row_group_rows(meta), rows_per_part=_rows_per_part(meta))
    if match.events is not None:
        write_frames(session, store, dataset.id, EVENTS, _events_frame(match.events))
        if match.events.freeze_frames is not None and match.events.freeze_frames.height:
            times = match.events.table.select("event_id", pl.col("timeline").alias("t"))
            freeze = match.events.freeze_frames.join(times, on="event_id", how="inner")
            write_frames(session, store, dataset.id, FREEZE_FRAMES, freeze)
    return dataset


def save_events(session: Session, store: BlobStore, dataset: Dataset, match: Match, *,
                source: dict[str, Any]) -> None:
    """Replace the match's events (and metadata) with those of ``match``, linked to its tracking."""
    assert match.events is not None
    write_frames(session, store, dataset.id, EVENTS, _events_frame(match.events), replace=True)
    freeze = match.events.freeze_frames
    if freeze is not None and freeze.height:
        times = match.events.table.select("event_id", pl.col("timeline").alias("t"))
        write_frames(session, store, dataset.id, FREEZE_FRAMES, freeze.join(times, on="event_id", how="inner"),
                     replace=True)
    summary = {**(dataset.meta.get("summary") or {}), "has_events": True}
    dataset.meta = {**dataset.meta, "match": meta_to_json(match.meta), "summary": summary,
                    "events_source": source}


def save_derived(session: Session, store: BlobStore, dataset: Dataset, streams: dict[str, pl.DataFrame],
                 meta_updates: dict[str, Any]) -> None:
    """Replace derived streams (metrics) and merge ``meta_updates`` into the dataset's meta."""
    for stream, frame in streams.items():
        write_frames(session, store, dataset.id, stream, frame, replace=True)
    dataset.meta = {**(dataset.meta or {}), **meta_updates}


# -- reading --------------------------------------------------------------------------

def match_meta(dataset: Dataset) -> MatchMeta:
    if dataset.kind != KIND:
        raise NotFound("Match not found")
    return meta_from_json(dataset.meta["match"])


def load_tracking(session: Session, store: BlobStore, dataset: Dataset, t0: float | None = None,
                  t1: float | None = None) -> Tracking | None:
    meta = match_meta(dataset)
    frame = read_frames(session, store, dataset.id, TRACKING, t0, t1)
    if frame.height == 0 and not (dataset.meta.get("summary") or {}).get("has_tracking"):
        return None
    if frame.height == 0:
        return Tracking(meta=meta, frame_id=np.zeros(0, np.int64), period=np.zeros(0, np.int8), t=np.zeros(0),
                        xy=np.zeros((0, len(meta.players), 2), np.float32), ball=np.zeros((0, 3), np.float32),
                        ball_state=np.zeros(0, np.int8), ball_owning_team=np.zeros(0, np.int8))
    return Tracking.from_polars(meta, frame)


def load_player_tracking(session: Session, store: BlobStore, dataset: Dataset, index: int) -> Tracking:
    """The whole match for one player only (what a player page's heat map needs)."""
    meta = match_meta(dataset)
    base = ["period", "period_t", "frame_id", "ball_state", "ball_owning_team", "ball_x", "ball_y", "ball_z"]
    frame = read_frames(session, store, dataset.id, TRACKING, columns=[*base, f"x_{index}", f"y_{index}"])
    frame = frame.rename({f"x_{index}": "x_0", f"y_{index}": "y_0"})
    return Tracking.from_polars(dataclasses.replace(meta, players=(meta.players[index],)), frame)


def load_events(session: Session, store: BlobStore, dataset: Dataset) -> Events | None:
    meta = match_meta(dataset)
    if not (dataset.meta.get("summary") or {}).get("has_events"):
        return None
    frame = read_frames(session, store, dataset.id, EVENTS)
    table = frame.rename({"t": "timeline"}).rename({"period_t": "t"})
    freeze = read_frames(session, store, dataset.id, FREEZE_FRAMES)
    return Events(meta=meta, table=table, freeze_frames=freeze.drop("t") if freeze.height else None)


def load_match(session: Session, store: BlobStore, dataset: Dataset) -> Match:
    return Match(meta=match_meta(dataset), tracking=load_tracking(session, store, dataset),
                 events=load_events(session, store, dataset))
