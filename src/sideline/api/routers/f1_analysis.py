"""Formula 1 analysis and commentary of a public session, computed from its stored tables (what
a replay has played so far, so a live page never sees ahead of the race).

``GET /f1/sessions/{id}/analysis`` (everything) or ``.../analysis/{part}`` (one part: laps,
positions, gaps, sectors, pace, stints, pit-loss, undercuts); ``GET .../commentary`` (generated
lines with the data they cite; ``style`` and ``favourites``, by default the caller's preferences;
``phrase`` = through the configured LLM endpoint, template fallback). Any signed-in caller, like the other session reads.
``GET /orgs/{org}/f1/telemetry/{file_id}``: car telemetry of an uploaded CSV (laps, one lap's
traces, its track map, or two laps compared), for members of the file's organisation.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

import polars as pl
from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from sideline.analytics.motorsport import analysis, commentary, strategy, telemetry
from sideline.api.deps import OrgRead, PrincipalDep, ServicesDep, SessionDep
from sideline.api.routers.preferences import load_motorsport
from sideline.api.schemas import ERROR_RESPONSES
from sideline.core.timing import LAP_SCHEMA, PIT_STOP_SCHEMA
from sideline.errors import InvalidInput, NotFound
from sideline.ingest.telemetry_csv import read_telemetry_csv
from sideline.live import commentary_llm
from sideline.storage import f1 as f1_store
from sideline.storage.blobs import BlobError
from sideline.storage.models import Dataset, FileStatus, StoredFile

router = APIRouter(tags=["motorsport"], responses=ERROR_RESPONSES)

Part = Literal["laps", "positions", "gaps", "sectors", "pace", "stints", "pit-loss", "undercuts"]


class SessionTables:
    """A session's stored laps (as ``LAP_SCHEMA`` rows, track statuses rebuilt from race
    control), pit stops, race control and results."""

    def __init__(self, session: Session, services: Any, dataset: Dataset):
        meta = dataset.meta or {}
        self.results = meta.get("results") or {}
        self.drivers = {d["number"]: d for d in meta.get("drivers") or []}
        self.race_control = f1_store.load_table(session, services.blobs, dataset, f1_store.RACE_CONTROL)
        stops = f1_store.load_table(session, services.blobs, dataset, f1_store.PIT_STOPS)
        self.pit_stops = pl.DataFrame(stops, schema=PIT_STOP_SCHEMA) if stops else pl.DataFrame(schema=PIT_STOP_SCHEMA)
        self.snapshot = f1_store.load_snapshot(session, services.blobs, dataset) or {}
        self.laps = analysis.track_status_from_windows(lap_frame(session, dataset),
                                                       analysis.neutralised_windows(self.race_control))

    def grid(self) -> dict[str, int]:
        drivers = (self.snapshot.get("drivers") or {}).values()
        return {d["number"]: d["grid_position"] for d in drivers if d.get("grid_position")}

    def classification(self) -> list[dict[str, Any]]:
        return self.results.get("classification") or []

    def retirements(self) -> list[dict[str, Any]]:
        return commentary.retirements(self.classification(), (self.snapshot.get("drivers") or {}).values())

    def names(self) -> dict[str, str]:
        return {number: d.get("tla") or number for number, d in self.drivers.items()}

    def numbers_of(self, drivers: list[str]) -> set[str]:
        """Car numbers of drivers given by number or three-letter code (e.g. "44", "HAM")."""
        by_code = {(d.get("tla") or "").upper(): number for number, d in self.drivers.items() if d.get("tla")}
        return {by_code.get(d.strip().upper(), d.strip()) for d in drivers if d.strip()}


def lap_frame(session: Session, dataset: Dataset) -> pl.DataFrame:
    """The session's stored laps as ``LAP_SCHEMA`` rows (feed time ``t_end`` rebuilt from the lap
    start in UTC; no track statuses, no feed gap text)."""
    meta = dataset.meta or {}
    t0 = meta.get("t0_utc")
    origin = dt.datetime.fromisoformat(t0) if t0 else (dataset.starts_at or dataset.created_at)
    origin = origin if origin.tzinfo else origin.replace(tzinfo=dt.UTC)
    rows = []
    for lap in f1_store.load_laps(session, dataset):
        ts = lap["ts"] if lap["ts"].tzinfo else lap["ts"].replace(tzinfo=dt.UTC)
        sectors = [*(lap["sectors"] or []), None, None, None][:3]
        rows.append({"driver": lap["driver"], "lap": lap["lap"], "lap_time": lap["lap_time"],
                     "sector_1": sectors[0], "sector_2": sectors[1], "sector_3": sectors[2],
                     "position": lap["position"], "gap_to_leader": None,
                     "t_end": (ts - origin).total_seconds() + (lap["lap_time"] or 0.0),
                     "pit_in": lap["pit_in"], "pit_out": lap["pit_out"], "compound": lap["compound"],
                     "tyre_age": lap["tyre_age"], "track_status": [], "deleted": lap["deleted"],
                     "personal_best": lap["personal_best"]})
    return pl.DataFrame(rows, schema=LAP_SCHEMA) if rows else pl.DataFrame(schema=LAP_SCHEMA)


def _part(tables: SessionTables, part: str) -> Any:
    laps = tables.laps
    if laps.height == 0:
        return []
    if part == "laps":
        return analysis.lap_chart(laps)
    if part == "positions":
        return analysis.positions(laps, tables.grid())
    if part == "gaps":
        gaps = analysis.gaps_to_leader(laps)
        return [{"driver": d, "laps": g["lap"].to_list(), "gaps": g["gap"].to_list()}
                for (d,), g in gaps.group_by("driver", maintain_order=True)]
    if part == "sectors":
        return analysis.sector_comparison(laps)
    if part == "pace":
        return analysis.race_pace(laps)
    if part == "stints":
        return strategy.degradation(laps, tables.results.get("total_laps"))
    if part == "pit-loss":
        return strategy.pit_loss(laps, tables.pit_stops)
    return strategy.undercuts(laps, tables.pit_stops)


PARTS: tuple[str, ...] = Part.__args__  # type: ignore[attr-defined]


@router.get("/f1/sessions/{session_id}/analysis")
def session_analysis(session_id: uuid.UUID, principal: PrincipalDep, session: SessionDep,
                     services: ServicesDep) -> dict[str, Any]:
    """Every analysis part of the session as played so far, plus the drivers (for names and colours)."""
    tables = SessionTables(session, services, f1_store.get_session(session, session_id))
    return {"drivers": list(tables.drivers.values()), "fuel_s_per_lap": strategy.FUEL_S_PER_LAP,
            **{part.replace("-", "_"): _part(tables, part) for part in PARTS}}


@router.get("/f1/sessions/{session_id}/analysis/{part}")
def session_analysis_part(session_id: uuid.UUID, part: Part, principal: PrincipalDep, session: SessionDep,
                          services: ServicesDep) -> dict[str, Any]:
    tables = SessionTables(session, services, f1_store.get_session(session, session_id))
    return {"items": _part(tables, part)}


@router.get("/f1/sessions/{session_id}/commentary")
def session_commentary(
    session_id: uuid.UUID, principal: PrincipalDep, session: SessionDep, services: ServicesDep,
    style: Literal["casual", "technical"] | None = Query(None, description="default: the caller's preference"),
    favourites: str | None = Query(None, max_length=200, description="car numbers or codes, comma-separated, "
                                   "highlighted; default: the caller's favourite drivers"),
    phrase: bool = Query(False, description="rephrase the newest lines through the configured LLM endpoint"),
    after_t: float | None = Query(None, description="only lines after this session time (s)"),
) -> dict[str, Any]:
    """Commentary lines in time order, each with ``data`` (the numbers it cites), ``source``
    (the table rows that caused it) and ``highlight`` (about a favourite driver). ``style`` and
    ``favourites`` default to the caller's preferences (``/me/preferences/motorsport``).
    ``llm``: whether an LLM endpoint is configured."""
    tables = SessionTables(session, services, f1_store.get_session(session, session_id))
    prefs = load_motorsport(session, principal.user_id)
    style = style or prefs.commentary_style
    wanted = prefs.favourite_drivers if favourites is None else favourites.split(",")
    events = commentary.detect_events(tables.laps, tables.pit_stops, tables.race_control, tables.retirements(),
                                      tables.classification())
    lines = commentary.commentary(events, style, tables.names(), tables.numbers_of(wanted))
    if after_t is not None:
        lines = [line for line in lines if line["t"] > after_t]
    settings = commentary_llm.settings_from_env()
    lines = commentary_llm.phrase_all(lines, style, settings if phrase else None)
    return {"items": lines, "llm": settings is not None, "t": (tables.snapshot or {}).get("t")}


MAX_TELEMETRY_BYTES = 64 << 20  # a race at 1 Hz is ~0.4 MB; 100 Hz logging is ~40 MB


@router.get("/orgs/{org_id}/f1/telemetry/{file_id}")
def telemetry_view(
    file_id: uuid.UUID, org: OrgRead, session: SessionDep, services: ServicesDep,
    view: Literal["laps", "traces", "map", "compare"] = "laps",
    lap: int | None = Query(None, ge=0, le=10_000), lap_b: int | None = Query(None, ge=0, le=10_000),
    colour_by: Literal["speed", "gear", "throttle", "brake"] = "speed",
) -> dict[str, Any]:
    """``laps``: per-lap times and top speeds; ``traces``/``map``: one ``lap``; ``compare``:
    ``lap`` against ``lap_b`` (delta > 0: ``lap_b`` behind)."""
    f = session.get(StoredFile, file_id)
    if f is None or f.organisation_id != org.organisation_id:
        raise NotFound("Telemetry file not found")
    if f.status != FileStatus.ready:
        raise InvalidInput(f"{f.filename}: not completely uploaded (status {f.status.value})")
    if (f.size or 0) > MAX_TELEMETRY_BYTES:
        raise InvalidInput(f"{f.filename}: {f.size} bytes is over the {MAX_TELEMETRY_BYTES} bytes telemetry limit")
    try:
        content = services.blobs.get(f.blob_key)
    except BlobError:
        raise NotFound(f"{f.filename}: the stored bytes are gone") from None
    table = read_telemetry_csv(content, name=f.filename)
    if view == "laps":
        return {"items": telemetry.lap_table(table).to_dicts()}
    if lap is None or (view == "compare" and lap_b is None):
        raise InvalidInput(f"telemetry view {view}: give lap" + (" and lap_b" if view == "compare" else ""))
    if view == "traces":
        return telemetry.lap_traces(table, lap)
    if view == "map":
        return telemetry.track_map(table, lap, colour_by)
    return telemetry.compare_laps(table, lap, lap_b)
