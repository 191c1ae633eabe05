"""GraphQL (Strawberry) beside REST for flexible F1 timing queries: ``/api/v1/graphql``.

``POST {query, variables?, operationName?}`` or ``GET ?query=&variables=`` (queries only; no
mutations exist). Authenticated exactly like REST (bearer token or API key; 401 with the
platform's error body otherwise); F1 sessions are public data, so every signed-in caller reads
every session. Resolvers call the same storage and analysis functions as the REST routes
(``sideline.storage.f1``, ``routers.f1_analysis.lap_frame``, ``routers.f1_predictions.win_probability``).

Answers are ``{"data", "errors"}`` with status 200 once the request itself is well formed;
an unknown or malformed session id, a limit out of range or a query over the budget is a
GraphQL error with ``extensions.code`` (``not_found``, ``invalid_input``, ...), never a 500.
Guards against expensive queries: depth (``MAX_DEPTH``; introspection is not counted), tokens,
aliases, per-list page limits, a row budget per request (``MAX_ROWS``) and at most one
win-probability timeline per request (it replays the whole stored feed the first time).
No GraphiQL page: it would need a CDN and a token in the browser; any GraphQL client works.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import uuid
from typing import Any

import strawberry
from fastapi import APIRouter
from fastapi import Query as QueryParam
from graphql import GraphQLError
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session as DbSession
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import Info
from strawberry.types.graphql import OperationType

from sideline.analytics.motorsport import analysis
from sideline.api.deps import Principal, PrincipalDep, ServicesDep, SessionDep
from sideline.api.schemas import ERROR_RESPONSES
from sideline.errors import InvalidInput, SidelineError
from sideline.storage import f1 as f1_store
from sideline.storage.models import Dataset

log = logging.getLogger(__name__)
router = APIRouter(tags=["motorsport"], responses=ERROR_RESPONSES)

MAX_DEPTH = 6  # f1Session { drivers { laps { driver { number } } } } is 5
MAX_TOKENS = 2000
MAX_ALIASES = 20
MAX_QUERY_CHARS = 20_000
MAX_ROWS = 20_000  # list items a request may return in all (a race has ~1,000-1,400 laps)
MAX_WIN_PROBABILITY_SESSIONS = 1
LIMITS = {"sessions": (20, 100), "laps": (2000, 5000), "race_control": (200, 1000)}  # (default, most)


# -- request context --------------------------------------------------------------------------

@dataclasses.dataclass
class Context:
    session: DbSession
    services: Any
    principal: Principal
    rows: int = 0
    win_probability_sessions: set[str] = dataclasses.field(default_factory=set)
    drivers: dict[uuid.UUID, dict[str, Driver]] = dataclasses.field(default_factory=dict)
    _laps: dict[str, list[dict[str, Any]]] = dataclasses.field(default_factory=dict)
    _gaps: dict[str, dict[tuple[str, int], float]] = dataclasses.field(default_factory=dict)

    def charge(self, rows: int, what: str) -> None:
        self.rows += rows
        if self.rows > MAX_ROWS:
            raise InvalidInput(f"{what}: this query returns more than {MAX_ROWS} list items; "
                               "narrow it (driver, fromLap/toLap, limit) or split it")

    def laps(self, dataset: Dataset) -> list[dict[str, Any]]:
        key = str(dataset.id)
        if key not in self._laps:
            self._laps[key] = f1_store.load_laps(self.session, dataset)
        return self._laps[key]

    def gaps(self, dataset: Dataset) -> dict[tuple[str, int], float]:
        key = str(dataset.id)
        if key not in self._gaps:
            from sideline.api.routers.f1_analysis import lap_frame

            frame = lap_frame(self.session, dataset)
            self._gaps[key] = {} if frame.height == 0 else {
                (d, lap): gap for d, lap, gap in analysis.gaps_to_leader(frame).iter_rows()}
        return self._gaps[key]


def _limit(name: str, value: int | None) -> int:
    default, most = LIMITS[name]
    if value is None:
        return default
    if not 1 <= value <= most:
        raise InvalidInput(f"limit: from 1 to {most} (got {value})")
    return value


def _offset(value: int) -> int:
    if value < 0:
        raise InvalidInput(f"offset: 0 or more (got {value})")
    return value


def _lap_range(from_lap: int | None, to_lap: int | None) -> None:
    if from_lap is not None and to_lap is not None and from_lap > to_lap:
        raise InvalidInput(f"fromLap ({from_lap}) is after toLap ({to_lap})")


def _in_range(lap: int, from_lap: int | None, to_lap: int | None) -> bool:
    return (from_lap is None or lap >= from_lap) and (to_lap is None or lap <= to_lap)


# -- types ------------------------------------------------------------------------------------

@strawberry.type(description="A driver of the session (as the feed's DriverList names them)")
class Driver:
    number: str
    tla: str | None
    name: str | None
    team: str | None
    team_colour: str | None
    dataset: strawberry.Private[Dataset]

    @strawberry.field(description="This driver's laps, in lap order")
    def laps(self, info: Info, from_lap: int | None = None, to_lap: int | None = None) -> list[Lap]:
        _lap_range(from_lap, to_lap)
        rows = [r for r in info.context.laps(self.dataset) if r["driver"] == self.number
                and _in_range(r["lap"], from_lap, to_lap)]
        info.context.charge(len(rows), "laps")
        return [_lap(r, self.dataset) for r in rows]

    @strawberry.field
    def stints(self, info: Info) -> list[Stint]:
        rows = f1_store.load_stints(self.dataset, self.number)
        info.context.charge(len(rows), "stints")
        return [_stint(r, self.dataset) for r in rows]

    @strawberry.field
    def pit_stops(self, info: Info) -> list[PitStop]:
        rows = f1_store.load_pit_stops(info.context.session, info.context.services.blobs, self.dataset, self.number)
        info.context.charge(len(rows), "pitStops")
        return [_pit_stop(r, self.dataset) for r in rows]


def _drivers(dataset: Dataset) -> dict[str, Driver]:
    return {d["number"]: Driver(number=d["number"], tla=d.get("tla"), name=d.get("name"), team=d.get("team"),
                                team_colour=d.get("team_colour"), dataset=dataset)
            for d in (dataset.meta or {}).get("drivers") or []}


def _driver(info: Info, dataset: Dataset, number: str | None) -> Driver | None:
    cache = info.context.drivers
    if dataset.id not in cache:
        cache[dataset.id] = _drivers(dataset)
    return None if number is None else cache[dataset.id].get(number)


@strawberry.type(description="One closed lap of one driver (times in seconds)")
class Lap:
    driver_number: str
    number: int
    time: float | None
    sectors: list[float | None]
    position: int | None = strawberry.field(description="running position at the end of the lap")
    compound: str | None
    tyre_age: int | None = strawberry.field(description="laps on this set of tyres")
    pit_in: bool
    pit_out: bool
    deleted: bool
    personal_best: bool
    started_at: dt.datetime
    dataset: strawberry.Private[Dataset]

    @strawberry.field(description="Gap to the leader at the line at the end of this lap (s): the time "
                                  "this car crossed it less the first car's crossing of the same lap")
    def gap(self, info: Info) -> float | None:
        return info.context.gaps(self.dataset).get((self.driver_number, self.number))

    @strawberry.field
    def driver(self, info: Info) -> Driver | None:
        return _driver(info, self.dataset, self.driver_number)


def _lap(r: dict[str, Any], dataset: Dataset) -> Lap:
    return Lap(driver_number=r["driver"], number=r["lap"], time=r["lap_time"], sectors=list(r["sectors"] or []),
               position=r["position"], compound=r["compound"], tyre_age=r["tyre_age"], pit_in=r["pit_in"],
               pit_out=r["pit_out"], deleted=r["deleted"], personal_best=r["personal_best"], started_at=r["ts"],
               dataset=dataset)


@strawberry.type(description="A run on one set of tyres")
class Stint:
    driver_number: str
    stint: int
    compound: str | None
    new: bool | None
    tyre_age_start: int | None
    laps: int | None
    lap_start: int | None
    lap_end: int | None
    dataset: strawberry.Private[Dataset]

    @strawberry.field
    def driver(self, info: Info) -> Driver | None:
        return _driver(info, self.dataset, self.driver_number)


def _stint(r: dict[str, Any], dataset: Dataset) -> Stint:
    return Stint(driver_number=r["driver"], stint=r["stint"], compound=r.get("compound"), new=r.get("new"),
                 tyre_age_start=r.get("tyre_age_start"), laps=r.get("laps"), lap_start=r.get("lap_start"),
                 lap_end=r.get("lap_end"), dataset=dataset)


@strawberry.type(description="A pit stop: pit entry and exit in session time (s) and the time in the pit lane")
class PitStop:
    driver_number: str
    stop: int
    lap: int | None
    t_in: float | None
    t_out: float | None
    pit_lane_time: float | None
    source: str | None
    dataset: strawberry.Private[Dataset]

    @strawberry.field
    def driver(self, info: Info) -> Driver | None:
        return _driver(info, self.dataset, self.driver_number)


def _pit_stop(r: dict[str, Any], dataset: Dataset) -> PitStop:
    return PitStop(driver_number=r["driver"], stop=r["stop"], lap=r.get("lap"), t_in=r.get("t_in"),
                   t_out=r.get("t_out"), pit_lane_time=r.get("pit_lane_time"), source=r.get("source"),
                   dataset=dataset)


@strawberry.type(description="One row of the classification (FIA rules; gap and time in seconds)")
class ClassificationRow:
    order: int
    position: int | None
    position_text: str | None
    driver_number: str
    laps: int | None
    status: str | None
    classified: bool | None
    time: float | None
    gap: float | None
    gap_text: str | None
    penalty_seconds: float | None
    retired_lap: int | None
    retired_note: str | None
    grid_position: int | None
    dataset: strawberry.Private[Dataset]

    @strawberry.field
    def driver(self, info: Info) -> Driver | None:
        return _driver(info, self.dataset, self.driver_number)


CLASSIFICATION_FIELDS = ("order", "position", "position_text", "laps", "status", "classified", "time", "gap",
                         "gap_text", "penalty_seconds", "retired_lap", "retired_note", "grid_position")


@strawberry.type(description="A race-control message (t: session time, s)")
class RaceControlMessage:
    t: float
    utc: str | None
    lap: int | None
    category: str | None
    flag: str | None
    scope: str | None
    sector: int | None
    driver_number: str | None
    message: str | None


RACE_CONTROL_FIELDS = ("t", "utc", "lap", "category", "flag", "scope", "sector", "message")


@strawberry.type(description="A driver's win probability after one leader lap (lap 0: the pre-race prior)")
class WinProbabilityPoint:
    lap: int
    driver_number: str
    probability: float


@strawberry.type
class WinProbability:
    prior: str = strawberry.field(description="the pre-race model version that seeded lap 0, or 'grid'")
    total_laps: int | None
    laps: strawberry.Private[list[dict[str, Any]]]

    @strawberry.field(description="Per driver and lap; drivers out of the race are absent (probability 0)")
    def points(self, info: Info, driver: str | None = None, from_lap: int | None = None,
               to_lap: int | None = None) -> list[WinProbabilityPoint]:
        _lap_range(from_lap, to_lap)
        points = [WinProbabilityPoint(lap=row["lap"], driver_number=number, probability=p)
                  for row in self.laps if _in_range(row["lap"], from_lap, to_lap)
                  for number, p in row["probabilities"].items() if driver is None or number == driver]
        info.context.charge(len(points), "winProbability.points")
        return points


@strawberry.type(description="A public F1 session (a recorded or live feed imported once, read by everyone)")
class F1Session:
    id: strawberry.ID
    name: str
    year: int | None
    round: int | None
    circuit: str | None
    meeting: str | None
    kind: str | None = strawberry.field(description="the feed's session type: Race, Qualifying, Practice, ...")
    status: str = strawberry.field(description="replay state: none, queued, running, paused, finished, stopped, failed")
    lap_count: int | None = strawberry.field(description="laps the leader has run so far (stored)")
    total_laps: int | None
    starts_at: dt.datetime | None
    channel: str = strawberry.field(description="the WebSocket channel of its live deltas")
    dataset: strawberry.Private[Dataset]

    @strawberry.field
    def drivers(self, info: Info) -> list[Driver]:
        drivers = list(_drivers(self.dataset).values())
        info.context.charge(len(drivers), "drivers")
        return drivers

    @strawberry.field(description="Stored laps by driver and lap, like GET /f1/sessions/{id}/laps")
    def laps(self, info: Info, driver: str | None = None, from_lap: int | None = None, to_lap: int | None = None,
             limit: int | None = None, offset: int = 0) -> list[Lap]:
        _lap_range(from_lap, to_lap)
        rows = [r for r in info.context.laps(self.dataset) if (driver is None or r["driver"] == driver)
                and _in_range(r["lap"], from_lap, to_lap)]
        start = _offset(offset)
        rows = rows[start:start + _limit("laps", limit)]
        info.context.charge(len(rows), "laps")
        return [_lap(r, self.dataset) for r in rows]

    @strawberry.field
    def stints(self, info: Info, driver: str | None = None) -> list[Stint]:
        rows = f1_store.load_stints(self.dataset, driver)
        info.context.charge(len(rows), "stints")
        return [_stint(r, self.dataset) for r in rows]

    @strawberry.field
    def pit_stops(self, info: Info, driver: str | None = None) -> list[PitStop]:
        rows = f1_store.load_pit_stops(info.context.session, info.context.services.blobs, self.dataset, driver)
        info.context.charge(len(rows), "pitStops")
        return [_pit_stop(r, self.dataset) for r in rows]

    @strawberry.field
    def classification(self, info: Info) -> list[ClassificationRow]:
        rows = f1_store.session_results(self.dataset, "classification")
        info.context.charge(len(rows), "classification")
        return [ClassificationRow(driver_number=r["driver"], dataset=self.dataset,
                                  **{k: r.get(k) for k in CLASSIFICATION_FIELDS}) for r in rows]

    @strawberry.field
    def race_control(self, info: Info, limit: int | None = None, offset: int = 0) -> list[RaceControlMessage]:
        rows = f1_store.load_table(info.context.session, info.context.services.blobs, self.dataset,
                                   f1_store.RACE_CONTROL)
        start = _offset(offset)
        rows = rows[start:start + _limit("race_control", limit)]
        info.context.charge(len(rows), "raceControl")
        return [RaceControlMessage(driver_number=r.get("driver"), **{k: r.get(k) for k in RACE_CONTROL_FIELDS})
                for r in rows]

    @strawberry.field(description="Win probability per driver after every lap, like GET "
                                  "/f1/sessions/{id}/win-probability (one session per query)")
    def win_probability(self, info: Info) -> WinProbability:
        from sideline.api.routers.f1_predictions import win_probability

        seen = info.context.win_probability_sessions
        seen.add(str(self.dataset.id))
        if len(seen) > MAX_WIN_PROBABILITY_SESSIONS:
            raise InvalidInput(f"winProbability: at most {MAX_WIN_PROBABILITY_SESSIONS} session per query")
        out = win_probability(info.context.session, info.context.services, self.dataset)
        return WinProbability(prior=out["prior"], total_laps=out["total_laps"], laps=out["laps"])


def _session(dataset: Dataset) -> F1Session:
    detail = f1_store.session_detail(dataset)
    return F1Session(id=strawberry.ID(str(dataset.id)), name=detail["name"], year=detail["year"],
                     round=detail["round"], circuit=detail["circuit"], meeting=detail["meeting"],
                     kind=detail["session_type"], status=detail["replay"].get("state") or "none",
                     lap_count=detail["lap"], total_laps=detail["total_laps"], starts_at=detail["starts_at"],
                     channel=detail["channel"], dataset=dataset)


@strawberry.type
class Query:
    @strawberry.field(description="Public F1 sessions, newest first")
    def f1_sessions(self, info: Info, limit: int | None = None, offset: int = 0) -> list[F1Session]:
        rows, _ = f1_store.list_sessions(info.context.session, _limit("sessions", limit), _offset(offset))
        info.context.charge(len(rows), "f1Sessions")
        return [_session(d) for d in rows]

    @strawberry.field(description="One session by id; an unknown id is a not_found error")
    def f1_session(self, info: Info, id: strawberry.ID) -> F1Session:  # noqa: A002 (GraphQL's name)
        return _session(f1_store.get_session(info.context.session, id))


class _Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # Bad queries, unknown ids and limits are the caller's business (they get the message);
        # only an unexpected exception is worth a log line with its traceback.
        for error in errors:
            original = error.original_error
            if original is not None and not isinstance(original, SidelineError):
                log.error("GraphQL resolver failed: %s", error.message, exc_info=original)


schema = _Schema(query=Query, extensions=[
    lambda: QueryDepthLimiter(max_depth=MAX_DEPTH), lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
    lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES)])


# -- HTTP ---------------------------------------------------------------------------------------

class GraphQLIn(BaseModel):
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    variables: dict[str, Any] | None = None
    operationName: str | None = Field(None, max_length=200)  # noqa: N815 (the GraphQL-over-HTTP name)


class GraphQLOut(BaseModel):
    data: dict[str, Any] | None = None
    errors: list[dict[str, Any]] | None = None


def _error(error: GraphQLError) -> dict[str, Any]:
    formatted = error.formatted
    original = error.original_error
    if isinstance(original, SidelineError):
        formatted["extensions"] = {**(formatted.get("extensions") or {}), "code": original.code}
    elif original is not None:  # a bug: say so without internals (the log has the traceback)
        formatted["message"] = "Internal error while resolving this field"
        formatted["extensions"] = {"code": "internal_error"}
    else:  # syntax, validation, depth, token and alias limits
        formatted["extensions"] = {**(formatted.get("extensions") or {}), "code": "graphql_validation"}
    return formatted


def execute(query: str, variables: dict[str, Any] | None, operation_name: str | None, session: DbSession,
            services: Any, principal: Principal) -> dict[str, Any]:
    context = Context(session=session, services=services, principal=principal)
    try:
        result = schema.execute_sync(query, variable_values=variables, context_value=context,
                                     operation_name=operation_name, allowed_operation_types=(OperationType.QUERY,))
    except InvalidOperationTypeError as exc:
        return {"data": None, "errors": [{"message": f"Only queries are served here, not {exc.operation_type.value}s",
                                          "extensions": {"code": "graphql_validation"}}]}
    out: dict[str, Any] = {"data": result.data}
    if result.errors:
        out["errors"] = [_error(e) for e in result.errors]
    return out


@router.post("/graphql", response_model=GraphQLOut, response_model_exclude_unset=True)
def graphql_post(body: GraphQLIn, principal: PrincipalDep, session: SessionDep, services: ServicesDep) -> dict[str, Any]:
    """F1 timing over GraphQL (schema: introspection, or docs/motorsport.md). Errors are in ``errors``."""
    return execute(body.query, body.variables, body.operationName, session, services, principal)


@router.get("/graphql", response_model=GraphQLOut, response_model_exclude_unset=True)
def graphql_get(principal: PrincipalDep, session: SessionDep, services: ServicesDep,
                query: str = QueryParam(min_length=1, max_length=MAX_QUERY_CHARS),
                variables: str | None = QueryParam(None, max_length=MAX_QUERY_CHARS, description="JSON object"),
                operationName: str | None = QueryParam(None, max_length=200)) -> dict[str, Any]:  # noqa: N803
    try:
        parsed = json.loads(variables) if variables else None
    except ValueError:
        raise InvalidInput("variables: not valid JSON") from None
    if parsed is not None and not isinstance(parsed, dict):
        raise InvalidInput("variables: a JSON object")
    return execute(query, parsed, operationName, session, services, principal)

