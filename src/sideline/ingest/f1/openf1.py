"""OpenF1 (https://api.openf1.org/v1) polled during a session, delivered as recorded lines.

``OpenF1Client(url, session_key=...).lines()`` polls OpenF1's JSON endpoints every ``poll_s`` and
turns each new or changed row into the F1 live-timing message that carries the same information,
as a ``(stream, b"HH:MM:SS.mmm{json}")`` pair: the shape of a recorded line. Everything downstream
(``live_messages`` -> ``SessionState``, storage, replay) is the code path of F1's own feed.

Mapping (OpenF1 endpoint -> live-timing stream and fields; the line's time is the row's own time):

| OpenF1 | becomes |
|---|---|
| ``sessions`` + ``meetings`` | ``SessionInfo`` (Key, Name, Type, StartDate/EndDate local, GmtOffset, Meeting name, circuit, country) |
| ``drivers`` | ``DriverList`` (RacingNumber, Tla, FullName, BroadcastName, TeamName, TeamColour, names) |
| ``position`` (``date``, ``position``) | ``TimingData`` ``Lines[n].Position`` (and ``Line``) |
| ``intervals`` (``gap_to_leader``, ``interval``) | ``GapToLeader`` / ``IntervalToPositionAhead.Value``: seconds as ``"+1.234"``, ``"+1 LAP"`` as ``"1 L"``; the leader's (null) as ``"LAP n"`` |
| ``laps`` (``lap_number``, ``lap_duration``, sectors, speed traps, ``segments_sector_*``) | at the lap's end (``date_start + lap_duration``, or the next lap's start): ``NumberOfLaps``, ``LastLapTime``, ``Sectors[i].Value`` and ``Segments`` (OpenF1 passes F1's segment codes through), ``Speeds`` I1/I2/ST, ``BestLapTime`` (the fastest so far); the leader's lap also ``LapCount.CurrentLap`` |
| ``pit`` (``date``, ``pit_duration``) | ``InPit`` true at ``date``, false with ``PitOut`` at ``date + pit_duration``; ``NumberOfPitStops`` |
| ``stints`` (``compound``, ``tyre_age_at_start``, ``lap_start``, ``lap_end``) | ``TimingAppData`` ``Stints[stint - 1]``: Compound, New (age 0 at the start), StartLaps, TotalLaps (age + laps run), at the time it is first seen or changes |
| ``race_control`` | ``RaceControlMessages`` (Utc, Lap, Category, Flag, Scope, Sector, RacingNumber, Message), numbered in order |
| first lap's start | ``SessionStatus`` Started (OpenF1 has no session status) |

What OpenF1 does not provide, so a session followed through it lacks: ``TrackStatus`` (the state
then derives green/yellow/SC/VSC/red from race control, as for a feed missing that stream),
``SessionStatus`` other than the derived start, the total lap count (``LapCount.TotalLaps``, so the
flag comes from race control's chequered flag only), personal/overall-best flags on sectors and
laps, retirements while racing (``Retired``/``Stopped``; ``session_result`` only after the
session), grid positions (``GridPos``), the extrapolated clock, mini-sector status before a lap
ends, and car telemetry and positions unless ``car_data``/``location`` are added. Intervals come
about every 4 s rather than with every timing line; a stint is stamped when a poll first sees it.

Failure policy: a failed request is retried with exponential backoff (``poll_failures``); the
first ``connect_attempts`` failing in a row, or ``max_failures`` in a row later, raise
``LiveFeedUnavailable``; malformed rows are skipped (``bad_rows``). The stream ends once the session's
``date_end`` has passed (wall clock) and polls have brought nothing new for ``end_after_idle_polls``
(10 minutes' worth by default), or when ``stop`` is set.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import urllib.parse
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx

from sideline.ingest.f1.live_signalr import LOUD_LOGS, LiveFeedUnavailable, _body, _describe, _line, sleep_unless_stopped
from sideline.ingest.f1.parsing import parse_utc

log = logging.getLogger(__name__)

DEFAULT_URL = "https://api.openf1.org/v1"
ORIGIN_BEFORE_START = dt.timedelta(hours=1)  # feed time 0: an hour before the scheduled start
END_GRACE = dt.timedelta(minutes=10)


class OpenF1Client:
    def __init__(self, url: str = DEFAULT_URL, *, session_key: int | str = "latest", poll_s: float = 4.0,
                 access_token: str | None = None, timeout_s: float = 10.0, connect_attempts: int = 3,
                 max_failures: int = 30, backoff_s: float = 0.5, max_backoff_s: float = 30.0,
                 end_after_idle_polls: int | None = None, stop: asyncio.Event | None = None, now=None):
        self.url = url.rstrip("/")
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"OpenF1 URL {url!r}: give an http(s) URL such as {DEFAULT_URL}")
        self.host = parts.netloc
        self.session_key = session_key
        self.poll_s = poll_s
        self.access_token = access_token
        self.timeout_s = timeout_s
        self.connect_attempts, self.max_failures = connect_attempts, max_failures
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.stop = stop
        # polls without anything new, after the scheduled end, that end the stream (10 min by default)
        self.end_after_idle_polls = end_after_idle_polls or max(1, round(END_GRACE.total_seconds() / poll_s))
        self._now = now or (lambda: dt.datetime.now(dt.UTC))
        self.counters: Counter[str] = Counter()
        self.t0_utc: dt.datetime | None = None
        self.date_end: dt.datetime | None = None
        self.last_t = 0.0
        # what has been delivered, so each poll sends only what is new or changed
        self._cursor: dict[str, str] = {}  # endpoint -> newest "date" seen
        self._laps: dict[tuple[int, int], dict[str, Any]] = {}  # (driver, lap) -> row
        self._laps_done: set[tuple[int, int]] = set()
        self._best: dict[int, float] = {}
        self._stints: dict[tuple[int, int], tuple] = {}
        self._pits: set[tuple[int, str]] = set()
        self._pit_count: Counter[int] = Counter()
        self._gaps: dict[int, tuple[Any, Any]] = {}
        self._leader_laps = 0
        self._rc_index = 0
        self._started = False
        self._drivers_seen: dict[int, dict[str, Any]] = {}

    # -- the stream ------------------------------------------------------------------------

    async def lines(self) -> AsyncIterator[tuple[str, bytes]]:
        headers = {"Accept": "application/json"}
        if self.access_token:
            headers["Authorization"] = f"Bearer {self.access_token}"
        async with httpx.AsyncClient(timeout=self.timeout_s, headers=headers) as http:
            self._http = http
            for item in await self._retrying(self._start):
                yield item
            polls = idle = 0
            while not self._stopped():
                await self._sleep(self.poll_s)
                polls += 1
                items = await self._retrying(lambda: self._poll(refresh_drivers=polls % 30 == 0))
                for item in items:
                    yield item
                idle = 0 if items else idle + 1
                if idle >= self.end_after_idle_polls and self.date_end is not None and self._now() > self.date_end:
                    return

    async def _retrying(self, step) -> list[tuple[str, bytes]]:
        failures = 0
        while True:
            try:
                return await step()
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                reason = _describe(exc)
            failures += 1
            self.counters["poll_failures"] += 1
            if not self.counters["polls"] and failures >= self.connect_attempts:
                raise LiveFeedUnavailable(f"OpenF1 at {self.host}: {reason} ({failures} attempts); "
                                          "check the network connection and the OpenF1 URL")
            if failures > self.max_failures:
                raise LiveFeedUnavailable(f"OpenF1 at {self.host}: {failures} requests in a row failed (last: {reason})")
            delay = min(self.max_backoff_s, self.backoff_s * 2 ** (failures - 1)) * random.uniform(0.8, 1.2)
            log.warning("OpenF1 at %s: %s; retrying in %.1f s", self.host, reason, delay)
            await self._sleep(delay)

    def _stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    async def _sleep(self, seconds: float) -> None:
        await sleep_unless_stopped(self.stop, seconds)

    async def _get(self, endpoint: str, *filters: str) -> list[dict[str, Any]]:
        # OpenF1 reads comparison filters literally ("date>2023-..."), so the query is built by hand.
        query = "&".join([f"session_key={self.session_key}", *filters])
        r = await self._http.get(f"{self.url}/{endpoint}?{query}")
        r.raise_for_status()
        rows = r.json()
        if not isinstance(rows, list):
            raise ValueError(f"{endpoint}: expected a JSON list")
        return [row for row in rows if isinstance(row, dict)]

    # -- polls ----------------------------------------------------------------------------

    async def _start(self) -> list[tuple[str, bytes]]:
        sessions = await self._get("sessions")
        if not sessions:
            raise LiveFeedUnavailable(f"OpenF1 at {self.host}: no session {self.session_key!r}")
        info = sessions[-1]
        self.session_key = info.get("session_key", self.session_key)
        start = parse_utc(info.get("date_start"))
        self.date_end = parse_utc(info.get("date_end"))
        if start is None:
            raise ValueError("the session has no date_start")
        self.t0_utc = start - ORIGIN_BEFORE_START
        meeting = {}
        if info.get("meeting_key") is not None:
            r = await self._http.get(f"{self.url}/meetings?meeting_key={info['meeting_key']}")
            if r.status_code == 200 and isinstance(r.json(), list) and r.json():
                meeting = r.json()[-1]
        out = [("SessionInfo", 0.0, _session_info(info, meeting))]
        return self._deliver(out + await self._poll_rows(refresh_drivers=True))

    async def _poll(self, refresh_drivers: bool) -> list[tuple[str, bytes]]:
        return self._deliver(await self._poll_rows(refresh_drivers))

    async def _poll_rows(self, refresh_drivers: bool) -> list[tuple[str, float, dict[str, Any]]]:
        out: list[tuple[str, float, dict[str, Any]]] = []
        if refresh_drivers:
            out += self._drivers(await self._get("drivers"))
        for endpoint in ("position", "intervals", "race_control"):
            since = self._cursor.get(endpoint)
            rows = await self._get(endpoint, *([f"date>{since}"] if since else []))
            rows = [r for r in rows if isinstance(r.get("date"), str)]
            if rows:
                self._cursor[endpoint] = max(r["date"] for r in rows)
            out += getattr(self, f"_{endpoint}")(rows)
        out += self._lap_rows(await self._get("laps", f"lap_number>={self._lap_floor()}"))
        out += self._pit(await self._get("pit"))
        # Stints carry no time: stamped with the newest time this poll saw.
        out += self._stint_rows(await self._get("stints"), max([self.last_t, *(t for _, t, _ in out)]))
        self.counters["polls"] += 1
        return out

    def _deliver(self, items: list[tuple[str, float, dict[str, Any]]]) -> list[tuple[str, bytes]]:
        items.sort(key=lambda item: item[1])  # stable: rows of one time keep their order
        out = []
        for stream, t, data in items:
            if t < 0:
                self.counters["before_origin"] += 1
                t = 0.0
            self.last_t = max(self.last_t, t)
            out.append((stream, _line(t, _body(data))))
        self.counters["lines"] += len(out)
        return out

    def _t(self, value: Any) -> float | None:
        when = parse_utc(value)
        if when is None or self.t0_utc is None:
            return None
        return (when - self.t0_utc).total_seconds()

    def _bad(self, endpoint: str, row: dict[str, Any]) -> None:
        self.counters["bad_rows"] += 1
        level = logging.WARNING if self.counters["bad_rows"] <= LOUD_LOGS else logging.DEBUG
        log.log(level, "OpenF1: skipped a %s row: %s", endpoint, str(row)[:120])

    # -- conversions ----------------------------------------------------------------------

    def _drivers(self, rows: list[dict[str, Any]]) -> list[tuple[str, float, dict[str, Any]]]:
        changed = {}
        for row in rows:
            number = row.get("driver_number")
            if not isinstance(number, int):
                self._bad("drivers", row)
                continue
            entry = {"RacingNumber": str(number), "Tla": row.get("name_acronym"), "FullName": row.get("full_name"),
                     "BroadcastName": row.get("broadcast_name"), "TeamName": row.get("team_name"),
                     "TeamColour": row.get("team_colour"), "FirstName": row.get("first_name"),
                     "LastName": row.get("last_name")}
            if self._drivers_seen.get(number) != entry:
                self._drivers_seen[number] = entry
                changed[str(number)] = entry
        return [("DriverList", self.last_t, changed)] if changed else []

    def _position(self, rows: list[dict[str, Any]]) -> list[tuple[str, float, dict[str, Any]]]:
        out = []
        for row in rows:
            t, number, position = self._t(row["date"]), row.get("driver_number"), row.get("position")
            if t is None or not isinstance(number, int) or not isinstance(position, int):
                self._bad("position", row)
                continue
            out.append(("TimingData", t, {"Lines": {str(number): {"Position": str(position), "Line": position}}}))
        return out

    def _intervals(self, rows: list[dict[str, Any]]) -> list[tuple[str, float, dict[str, Any]]]:
        out = []
        for row in rows:
            t, number = self._t(row["date"]), row.get("driver_number")
            if t is None or not isinstance(number, int):
                self._bad("intervals", row)
                continue
            gap, interval = self._gap_text(row.get("gap_to_leader")), self._gap_text(row.get("interval"))
            if self._gaps.get(number) == (gap, interval):
                continue
            self._gaps[number] = (gap, interval)
            out.append(("TimingData", t, {"Lines": {str(number): {
                "GapToLeader": gap, "IntervalToPositionAhead": {"Value": interval}}}}))
        return out

    def _gap_text(self, value: Any) -> str:
        if value is None:  # the leader
            return f"LAP {self._leader_laps + 1}"
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"+{value:.3f}"
        text = str(value).strip().upper()
        if text.endswith(("LAP", "LAPS")):  # "+1 LAP", "+2 LAPS"
            return text.lstrip("+").split()[0] + " L"  # the feed's own form
        return str(value)

    def _race_control(self, rows: list[dict[str, Any]]) -> list[tuple[str, float, dict[str, Any]]]:
        out = []
        for row in rows:
            t = self._t(row["date"])
            if t is None or not row.get("message"):
                self._bad("race_control", row)
                continue
            number = row.get("driver_number")
            message = {"Utc": row["date"], "Lap": row.get("lap_number"), "Category": row.get("category"),
                       "Message": row["message"]}
            for key, field in (("Flag", "flag"), ("Scope", "scope"), ("Sector", "sector")):
                if row.get(field) is not None:
                    message[key] = row[field]
            if number is not None:
                message["RacingNumber"] = str(number)
            out.append(("RaceControlMessages", t, {"Messages": {str(self._rc_index): message}}))
            self._rc_index += 1
        return out

    def _lap_floor(self) -> int:
        """The oldest lap any car may still complete: its latest lap not yet done."""
        latest: dict[int, int] = {}
        for (number, lap) in self._laps:
            latest[number] = max(latest.get(number, 0), lap)
        open_laps = [lap for number, lap in latest.items() if (number, lap) not in self._laps_done]
        return min(open_laps) if open_laps else max(latest.values(), default=1)

    def _lap_rows(self, rows: list[dict[str, Any]]) -> list[tuple[str, float, dict[str, Any]]]:
        for row in rows:
            number, lap = row.get("driver_number"), row.get("lap_number")
            if not isinstance(number, int) or not isinstance(lap, int):
                self._bad("laps", row)
                continue
            self._laps[(number, lap)] = row
        out = []
        first_end: dict[int, float] = {}
        for (number, lap), row in sorted(self._laps.items(), key=lambda kv: kv[0][1]):
            if (number, lap) in self._laps_done:
                continue
            start, duration = self._t(row.get("date_start")), row.get("lap_duration")
            following = self._laps.get((number, lap + 1))
            if isinstance(duration, int | float) and start is not None:
                end = start + duration
            elif following is not None and (end := self._t(following.get("date_start"))) is not None:
                duration = None  # lap 1, or a lap OpenF1 could not time
            else:
                continue
            self._laps_done.add((number, lap))
            if lap == 1 and not self._started and start is not None:
                self._started = True
                out.append(("SessionStatus", start, {"Status": "Started"}))
            patch: dict[str, Any] = {"NumberOfLaps": lap}
            if duration is not None:
                patch["LastLapTime"] = {"Value": _lap_time(duration)}
                if duration < self._best.get(number, float("inf")):
                    self._best[number] = duration
                    patch["BestLapTime"] = {"Value": _lap_time(duration), "Lap": lap}
            sectors = {}
            for i in range(3):
                value, segments = row.get(f"duration_sector_{i + 1}"), row.get(f"segments_sector_{i + 1}")
                sector: dict[str, Any] = {}
                if isinstance(value, int | float):
                    sector["Value"] = f"{value:.3f}"
                if isinstance(segments, list):
                    sector["Segments"] = {str(k): {"Status": code} for k, code in enumerate(segments)
                                          if isinstance(code, int)}
                if sector:
                    sectors[str(i)] = sector
            if sectors:
                patch["Sectors"] = sectors
            speeds = {trap: {"Value": str(row[field])} for trap, field in
                      (("I1", "i1_speed"), ("I2", "i2_speed"), ("ST", "st_speed")) if isinstance(row.get(field), int)}
            if speeds:
                patch["Speeds"] = speeds
            out.append(("TimingData", end, {"Lines": {str(number): patch}}))
            if lap > self._leader_laps:
                first_end[lap] = min(end, first_end.get(lap, end))
        for lap in sorted(first_end):  # the first car to complete a lap leads the race onto the next
            out.append(("LapCount", first_end[lap], {"CurrentLap": lap + 1}))
        self._leader_laps = max([self._leader_laps, *first_end])
        return out

    def _pit(self, rows: list[dict[str, Any]]) -> list[tuple[str, float, dict[str, Any]]]:
        out = []
        for row in sorted(rows, key=lambda r: str(r.get("date"))):
            number, t, duration = row.get("driver_number"), self._t(row.get("date")), row.get("pit_duration")
            if not isinstance(number, int) or t is None or not isinstance(duration, int | float):
                if not isinstance(duration, int | float) and isinstance(number, int) and t is not None:
                    continue  # still in the pit lane: sent once the duration is known
                self._bad("pit", row)
                continue
            key = (number, row["date"])
            if key in self._pits:
                continue
            self._pits.add(key)
            self._pit_count[number] += 1
            out.append(("TimingData", t, {"Lines": {str(number): {"InPit": True, "PitOut": False}}}))
            out.append(("TimingData", t + duration, {"Lines": {str(number): {
                "InPit": False, "PitOut": True, "NumberOfPitStops": self._pit_count[number]}}}))
        return out

    def _stint_rows(self, rows: list[dict[str, Any]], now_t: float) -> list[tuple[str, float, dict[str, Any]]]:
        out = []
        for row in rows:
            number, stint = row.get("driver_number"), row.get("stint_number")
            if not isinstance(number, int) or not isinstance(stint, int) or stint < 1:
                self._bad("stints", row)
                continue
            age, lap_start, lap_end = row.get("tyre_age_at_start"), row.get("lap_start"), row.get("lap_end")
            entry: dict[str, Any] = {"Compound": row.get("compound")}
            if isinstance(age, int):
                entry["New"] = "true" if age == 0 else "false"
                entry["StartLaps"] = age
                if isinstance(lap_start, int) and isinstance(lap_end, int):
                    entry["TotalLaps"] = age + lap_end - lap_start + 1
            signature = tuple(sorted(entry.items()))
            if self._stints.get((number, stint)) == signature:
                continue
            self._stints[(number, stint)] = signature
            out.append(("TimingAppData", now_t, {"Lines": {str(number): {"Stints": {str(stint - 1): entry}}}}))
        return out


def _lap_time(seconds: float) -> str:
    minutes, rest = divmod(round(seconds * 1000), 60_000)
    return f"{minutes}:{rest / 1000:06.3f}"


def _session_info(info: dict[str, Any], meeting: dict[str, Any]) -> dict[str, Any]:
    offset = str(info.get("gmt_offset") or "00:00:00")
    sign = -1 if offset.startswith("-") else 1
    h, m, *_ = (int(x) for x in offset.lstrip("+-").split(":"))
    shift = sign * dt.timedelta(hours=h, minutes=m)

    def local(value: Any) -> str | None:
        when = parse_utc(value)
        return (when + shift).replace(tzinfo=None).isoformat() if when else None

    return {"Meeting": {"Key": info.get("meeting_key"), "Name": meeting.get("meeting_name"),
                        "Location": info.get("location"),
                        "Country": {"Key": info.get("country_key"), "Code": info.get("country_code"),
                                    "Name": info.get("country_name")},
                        "Circuit": {"Key": info.get("circuit_key"), "ShortName": info.get("circuit_short_name")}},
            "Key": info.get("session_key"), "Type": info.get("session_type"), "Name": info.get("session_name"),
            "StartDate": local(info.get("date_start")), "EndDate": local(info.get("date_end")), "GmtOffset": offset}
