"""Formula 1 sessions in storage: one public ``Dataset`` (kind ``f1_session``) per session.

Everyone reads the same session (``visibility = public``, no organisation); nothing about it
is writable through an organisation's dataset routes. Where each part lives:

- ``dataset.meta``: ``name``, ``year``, ``round``, ``session_type``, ``meeting``, ``circuit``,
  ``start_utc``, ``t0_utc`` (UTC of feed time 0, to date the laps), ``streams``, ``drivers``
  (number, tla, name, team, team_colour), ``source`` (uploaded file names and SHA-256s, and the
  ``fingerprint`` that makes re-imports of the same files return the same session),
  ``replay`` (state of the latest replay: job, speed, paused, state) and ``results``
  (``classification``, ``stints``, ``penalties``, ``fastest_lap``, ``counters``: small);
- frame streams (``sideline.storage.frames``, keyed by feed time ``t``): ``f1.feed`` (the raw
  ``.jsonStream`` lines, ``t, stream, line``, in the order a transport delivers them: the
  replay's input), ``f1.pit_stops``, ``f1.race_control``, ``f1.snapshot`` (one row: the latest
  session snapshot and its channel ``seq``, for late joiners served by another process);
- the ``laps`` table: one row per closed lap (``ts`` = lap start in UTC).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import polars as pl
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from sideline.errors import NotFound
from sideline.storage.blobs import BlobStore
from sideline.storage.frames import read_frames, write_frames
from sideline.storage.models import Dataset, Lap, Visibility

KIND = "f1_session"
FEED, PIT_STOPS, RACE_CONTROL, SNAPSHOT = "f1.feed", "f1.pit_stops", "f1.race_control", "f1.snapshot"
FEED_SCHEMA = {"t": pl.Float64, "stream": pl.String, "line": pl.Binary}
RACE_CONTROL_SCHEMA = {"t": pl.Float64, "utc": pl.String, "lap": pl.Int32, "category": pl.String, "flag": pl.String,
                       "scope": pl.String, "sector": pl.Int32, "driver": pl.String, "message": pl.String}
PIT_STOP_SCHEMA = {"t": pl.Float64, "driver": pl.String, "stop": pl.Int32, "lap": pl.Int32, "t_in": pl.Float64,
                   "t_out": pl.Float64, "pit_lane_time": pl.Float64, "source": pl.String}


def session_channel(dataset_id: uuid.UUID | str) -> str:
    """The public live channel of a session's deltas."""
    return f"public:f1:{dataset_id}"


def _public_sessions():
    return select(Dataset).where(Dataset.visibility == Visibility.public, Dataset.organisation_id.is_(None),
                                 Dataset.kind == KIND)


def get_session(session: Session, dataset_id: uuid.UUID | str, *, for_update: bool = False) -> Dataset:
    try:
        key = uuid.UUID(str(dataset_id))
    except ValueError:
        raise NotFound("F1 session not found") from None
    query = _public_sessions().where(Dataset.id == key)
    if for_update:
        query = query.with_for_update()
    dataset = session.scalar(query)
    if dataset is None:
        raise NotFound("F1 session not found")
    return dataset


def list_sessions(session: Session, limit: int, offset: int) -> tuple[list[Dataset], int]:
    query = _public_sessions()
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Dataset.starts_at.desc().nulls_last(), Dataset.created_at.desc(), Dataset.id)
                           .limit(limit).offset(offset)).all()
    return list(rows), total


def find_by_fingerprint(session: Session, fingerprint: str) -> Dataset | None:
    for dataset in session.scalars(_public_sessions()):
        if ((dataset.meta or {}).get("source") or {}).get("fingerprint") == fingerprint:
            return dataset
    return None


def create_session(session: Session, store: BlobStore, *, name: str, meta: dict[str, Any], feed: pl.DataFrame,
                   starts_at: dt.datetime | None) -> Dataset:
    """A public session with its feed, committed with the caller's transaction."""
    dataset = Dataset(organisation_id=None, visibility=Visibility.public, kind=KIND, name=name, meta=meta,
                      starts_at=starts_at)
    session.add(dataset)
    session.flush()
    write_frames(session, store, dataset.id, FEED, feed.select(list(FEED_SCHEMA)), row_group_rows=20_000)
    return dataset


def load_feed(session: Session, store: BlobStore, dataset: Dataset) -> pl.DataFrame:
    return read_frames(session, store, dataset.id, FEED)


def update_meta(dataset: Dataset, **changes: Any) -> None:
    # A new dict, so the ORM sees the JSON column change.
    dataset.meta = {**(dataset.meta or {}), **changes}


def set_replay(session: Session, dataset_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
    dataset = get_session(session, dataset_id, for_update=True)
    replay = {**((dataset.meta or {}).get("replay") or {}), **fields}
    update_meta(dataset, replay=replay)
    session.flush()
    return replay


# -- results -----------------------------------------------------------------------------

def _lap_rows(dataset: Dataset, laps: pl.DataFrame) -> list[dict[str, Any]]:
    t0 = (dataset.meta or {}).get("t0_utc")
    origin = dt.datetime.fromisoformat(t0) if t0 else (dataset.starts_at or dataset.created_at)
    if origin.tzinfo is None:
        origin = origin.replace(tzinfo=dt.UTC)
    rows = []
    for lap in laps.to_dicts():
        start = lap["t_end"] - (lap["lap_time"] or 0.0)
        rows.append({
            "ts": origin + dt.timedelta(seconds=start), "organisation_id": None, "dataset_id": dataset.id,
            "driver": lap["driver"], "lap": lap["lap"], "lap_time_ms": _ms(lap["lap_time"]),
            "sector_ms": [_ms(lap[f"sector_{i}"]) for i in (1, 2, 3)], "position": lap["position"],
            "compound": lap["compound"], "tyre_age": lap["tyre_age"], "pit_in": lap["pit_in"],
            "pit_out": lap["pit_out"], "deleted": lap["deleted"],
        })
    return rows


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(round(seconds * 1000))


def save_results(session: Session, store: BlobStore, dataset_id: uuid.UUID, *, snapshot: dict[str, Any],
                 laps: pl.DataFrame, stints: pl.DataFrame, pit_stops: pl.DataFrame) -> None:
    """Replace everything a replay has produced so far (idempotent; one transaction)."""
    dataset = get_session(session, dataset_id)
    session.execute(delete(Lap).where(Lap.dataset_id == dataset.id))
    rows = _lap_rows(dataset, laps)
    if rows:
        session.execute(insert(Lap), rows)
    stops = pit_stops.with_columns(pl.coalesce("t_in", "t_out", pl.lit(0.0)).alias("t"))
    write_frames(session, store, dataset.id, PIT_STOPS, stops.select(list(PIT_STOP_SCHEMA)), replace=True)
    control = pl.DataFrame(snapshot["race_control"], schema=RACE_CONTROL_SCHEMA, orient="row") \
        if snapshot["race_control"] else pl.DataFrame(schema=RACE_CONTROL_SCHEMA)
    write_frames(session, store, dataset.id, RACE_CONTROL, control.select(list(RACE_CONTROL_SCHEMA)), replace=True)
    save_snapshot(session, store, dataset.id, snapshot)
    update_meta(dataset, results={
        "classification": snapshot["classification"], "stints": stints.to_dicts(),
        "penalties": snapshot["penalties"], "fastest_lap": snapshot["fastest_lap"], "counters": snapshot["counters"],
        "lap": snapshot["session"].get("lap"), "total_laps": snapshot["session"].get("total_laps"),
    })
    session.flush()


def save_snapshot(session: Session, store: BlobStore, dataset_id: uuid.UUID, snapshot: dict[str, Any]) -> None:
    frame = pl.DataFrame({"t": [float(snapshot.get("t") or 0.0)], "seq": [int(snapshot["seq"])],
                          "snapshot": [json.dumps(snapshot, separators=(",", ":"))]})
    write_frames(session, store, dataset_id, SNAPSHOT, frame, replace=True)


def load_snapshot(session: Session, store: BlobStore, dataset: Dataset) -> dict[str, Any] | None:
    frame = read_frames(session, store, dataset.id, SNAPSHOT)
    return json.loads(frame["snapshot"][-1]) if frame.height else None


def load_laps(session: Session, dataset: Dataset, driver: str | None = None) -> list[dict[str, Any]]:
    query = select(Lap).where(Lap.dataset_id == dataset.id)
    if driver is not None:
        query = query.where(Lap.driver == driver)
    laps = session.scalars(query.order_by(Lap.driver, Lap.lap)).all()
    best: dict[str, int] = {}
    for lap in laps:  # personal best: the fastest lap not deleted
        if lap.lap_time_ms is not None and not lap.deleted and lap.lap_time_ms < best.get(lap.driver, 1 << 62):
            best[lap.driver] = lap.lap_time_ms
    out = [{
        "driver": lap.driver, "lap": lap.lap, "ts": lap.ts, "lap_time": _s(lap.lap_time_ms),
        "sectors": [_s(v) for v in (lap.sector_ms or [])], "position": lap.position, "compound": lap.compound,
        "tyre_age": lap.tyre_age, "pit_in": lap.pit_in, "pit_out": lap.pit_out, "deleted": lap.deleted,
        "personal_best": lap.lap_time_ms is not None and not lap.deleted and best.get(lap.driver) == lap.lap_time_ms,
    } for lap in laps]
    return sorted(out, key=lambda r: (_number_key(r["driver"]), r["lap"]))


def load_table(session: Session, store: BlobStore, dataset: Dataset, stream: str) -> list[dict[str, Any]]:
    frame = read_frames(session, store, dataset.id, stream)
    return frame.to_dicts() if frame.height else []


# -- read views shared by the REST and GraphQL APIs -----------------------------------------

def replay_state(meta: dict[str, Any]) -> dict[str, Any]:
    """The latest replay's state as clients see it (a running replay that is paused: ``paused``)."""
    replay = dict(meta.get("replay") or {"state": "none"})
    if replay.get("paused") and replay.get("state") == "running":
        replay["state"] = "paused"
    return replay


def session_summary(dataset: Dataset) -> dict[str, Any]:
    meta = dataset.meta or {}
    return dict(id=dataset.id, name=dataset.name, year=meta.get("year"), round=meta.get("round"),
                session_type=meta.get("session_type"), meeting=meta.get("meeting"), circuit=meta.get("circuit"),
                starts_at=dataset.starts_at, channel=session_channel(dataset.id), replay=replay_state(meta),
                has_results=bool(meta.get("results")))


def session_detail(dataset: Dataset) -> dict[str, Any]:
    meta = dataset.meta or {}
    results = meta.get("results") or {}
    return dict(**session_summary(dataset), drivers=meta.get("drivers") or [], streams=meta.get("streams") or [],
                lines=meta.get("lines") or 0, lap=results.get("lap"), total_laps=results.get("total_laps"),
                fastest_lap=results.get("fastest_lap"), counters=results.get("counters") or {})


def session_results(dataset: Dataset, key: str) -> list[dict[str, Any]]:
    """One of the small result tables kept in ``meta.results`` (classification, stints, penalties)."""
    return list(((dataset.meta or {}).get("results") or {}).get(key) or [])


def load_stints(dataset: Dataset, driver: str | None = None) -> list[dict[str, Any]]:
    return [r for r in session_results(dataset, "stints") if driver is None or r["driver"] == driver]


def load_pit_stops(session: Session, store: BlobStore, dataset: Dataset, driver: str | None = None) -> list[dict[str, Any]]:
    rows = sorted(load_table(session, store, dataset, PIT_STOPS), key=lambda r: (_number_key(r["driver"]), r["stop"]))
    return [r for r in rows if driver is None or r["driver"] == driver]


def _s(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000


def _number_key(number: str) -> tuple[int, str]:
    return (int(number) if number.isdigit() else 10_000, number)
