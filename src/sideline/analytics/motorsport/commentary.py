"""Generated race commentary (pure, no I/O): events detected from the session's tables, each
turned into a line by a template, with the data that caused it.

``detect_events`` finds overtakes, pit stops, fastest laps, personal bests, retirements, flags,
safety cars, gaps closing and strategy outcomes (undercuts) in the laps, pit-stop and
race-control tables as far as they go, so the same call serves a finished race and a live one
(re-run on the tables so far; event ids are stable, a client keeps the ones it has). ``render``
phrases them: per kind and style (``casual`` or ``technical``) several templates, used in turn
so the same wording never comes twice in a row for a kind, and every number comes from the
event's ``data``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import polars as pl

from sideline.analytics.motorsport.analysis import intervals, with_flags
from sideline.analytics.motorsport.strategy import undercuts
from sideline.errors import InvalidInput

STYLES = ("casual", "technical")
CLOSING_WINDOW_LAPS = 3  # gap compared with this many laps earlier
CLOSING_MIN_GAIN_S = 1.0
CLOSING_MAX_INTERVAL_S = 1.0  # DRS range
PERSONAL_BEST_FROM_LAP = 5  # early-race personal bests are every lap: not news
PERSONAL_BEST_NEWSWORTHY_S = 0.5  # ...and so are those far off the fastest lap
RACE_CONTROL_FLAGS = ("RED", "CHEQUERED", "BLACK AND WHITE", "BLACK")


@dataclasses.dataclass(frozen=True)
class Event:
    id: str  # stable: kind, lap and drivers
    kind: str
    t: float  # session time (s) the event became known
    lap: int | None
    drivers: tuple[str, ...]
    data: dict[str, Any]  # the values a line may cite
    source: dict[str, Any]  # the table and rows that caused it


def detect_events(laps: pl.DataFrame, pit_stops: pl.DataFrame, race_control: list[dict[str, Any]],
                  retirements: list[dict[str, Any]] | None = None,
                  classification: list[dict[str, Any]] | None = None) -> list[Event]:
    """Every event in the tables so far, in time order. ``retirements``: ``driver, retired_lap,
    note`` (``retirements()``: from the classification or the live snapshot); ``classification``
    (its rows, once the winner has finished) gives the ``winner`` line."""
    if laps.height == 0:
        return []
    flagged = with_flags(laps)
    overtakes = _overtakes(flagged)
    retired = {r["driver"] for r in retirements or []}
    events = [*overtakes, *_lead_changes(flagged, overtakes, retired), *_pit_stops(flagged, pit_stops),
              *_lap_records(flagged), *_gaps_closing(flagged), *_race_control(race_control),
              *_strategy(flagged, pit_stops), *_retirements(flagged, retirements or []),
              *_winner(flagged, classification or [])]
    return sorted(events, key=lambda e: (e.t, e.id))


def retirements(classification: list[dict[str, Any]], drivers: Iterable[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """``driver, retired_lap, note`` of the retired cars: from the classification's rows when there
    are any (they carry the reason), else from the live drivers' ``status``."""
    if classification:
        return [{"driver": r["driver"], "retired_lap": r["retired_lap"], "note": r.get("retired_note")}
                for r in classification if r.get("status") == "retired"]
    return [{"driver": d["number"], "retired_lap": d.get("retired_lap"), "note": None}
            for d in drivers if d.get("status") == "retired"]


def _lap_ref(driver: str, lap: int) -> dict[str, Any]:
    return {"driver": driver, "lap": lap}


def _overtakes(laps: pl.DataFrame) -> list[Event]:
    # a pair swapped places at the line between two laps, neither car pitting around it
    cols = laps.select("driver", "lap", "position", "t_end",
                       (pl.col("pit_in").fill_null(False) | pl.col("pit_out").fill_null(False)).alias("pit"))
    cols = cols.filter(pl.col("position").is_not_null())
    prev = cols.select("driver", (pl.col("lap") + 1).alias("lap"), pl.col("position").alias("prev_position"),
                       pl.col("pit").alias("prev_pit"))
    both = cols.join(prev, on=["driver", "lap"]).filter(~pl.col("pit") & ~pl.col("prev_pit"))
    pairs = both.join(both, on="lap", suffix="_b").filter(
        (pl.col("position") < pl.col("position_b")) & (pl.col("prev_position") > pl.col("prev_position_b")))
    out = []
    for r in pairs.sort("t_end").to_dicts():
        out.append(Event(
            id=f"overtake:{r['lap']}:{r['driver']}:{r['driver_b']}", kind="overtake", t=r["t_end"], lap=r["lap"],
            drivers=(r["driver"], r["driver_b"]),
            data={"position": r["position"], "from_position": r["prev_position"],
                  "passed_position": r["position_b"], "gap": round(r["t_end_b"] - r["t_end"], 3)},
            source={"table": "laps", "rows": [_lap_ref(r["driver"], r["lap"]), _lap_ref(r["driver_b"], r["lap"])]}))
    return out


def _lead_changes(laps: pl.DataFrame, overtakes: list[Event], retired: set[str]) -> list[Event]:
    # the first car across the line differs from the lap before, and no overtake at the line told it
    # (the leader retired, pitted, or lost the place elsewhere): e.g. Bottas's puncture in Baku 2018
    crossed = laps.filter(pl.col("t_end").is_not_null()).sort("t_end")
    # the leader of a lap: the car the feed put P1 at its end (the first across the line when none:
    # a car's line crossing can reach the feed late, e.g. with a puncture)
    leaders = (crossed.sort(pl.col("position").fill_null(999) != 1, "t_end")
               .group_by("lap", maintain_order=True).agg(pl.col("driver").first(), pl.col("t_end").first()).sort("lap"))
    changes = leaders.with_columns(pl.col("driver").shift(1).alias("previous"),
                                   (pl.col("lap").shift(1) == pl.col("lap") - 1).alias("consecutive")).filter(
        pl.col("consecutive") & (pl.col("driver") != pl.col("previous")))
    if changes.height == 0:
        return []
    told = {(e.lap, e.drivers[0], e.drivers[1]) for e in overtakes}
    rows = {(r["driver"], r["lap"]): r for r in crossed.select("driver", "lap", "position", "pit_in", "pit_out").to_dicts()}
    out = []
    for r in changes.to_dicts():
        lap, leader, previous = r["lap"], r["driver"], r["previous"]
        if (lap, leader, previous) in told:
            continue
        theirs = rows.get((previous, lap))
        if theirs is None:
            if previous not in retired:
                continue  # live: not across the line yet; a later run (with their lap) decides
            cause = "retirement"
        elif theirs["pit_in"] or theirs["pit_out"]:
            cause = "pit_stop"
        else:
            cause = "overtaken"
        out.append(Event(
            id=f"lead_change:{lap}:{leader}:{previous}", kind="lead_change", t=r["t_end"], lap=lap,
            drivers=(leader, previous),
            data={"position": 1, "cause": cause, "previous_leader_position": theirs["position"] if theirs else None},
            source={"table": "laps", "rows": [_lap_ref(leader, lap), _lap_ref(previous, lap - 1)]}))
    return out


def _winner(laps: pl.DataFrame, classification: list[dict[str, Any]]) -> list[Event]:
    first = next((r for r in classification if r.get("position") == 1 and r.get("status") == "finished"), None)
    if first is None:
        return []
    second = next((r for r in classification if r.get("position") == 2), None)
    margin = second.get("gap") if second is not None and second.get("status") == "finished" else None
    ends = laps.filter((pl.col("driver") == first["driver"]) & pl.col("t_end").is_not_null())
    t = float(ends["t_end"].max()) if ends.height else 0.0
    drivers = (first["driver"], second["driver"]) if margin is not None else (first["driver"],)
    return [Event(id=f"winner:{first['laps']}:{first['driver']}", kind="winner", t=t, lap=first["laps"],
                  drivers=drivers, data={"laps": first["laps"], "grid_position": first.get("grid_position"),
                                         "margin": margin},
                  source={"table": "classification", "rows": [{"driver": d} for d in drivers]})]


def _pit_stops(laps: pl.DataFrame, pit_stops: pl.DataFrame) -> list[Event]:
    # told when the car leaves the pit lane (live, a stop in progress has no lane time yet)
    pit_stops = pit_stops.filter(pl.col("pit_lane_time").is_not_null())
    if pit_stops.height == 0:
        return []
    compounds = laps.select("driver", (pl.col("lap") - 1).alias("lap"), pl.col("compound").alias("new_compound"),
                            pl.col("position").alias("position_after"))
    before = laps.select("driver", "lap", pl.col("compound").alias("old_compound"))
    stops = pit_stops.join(compounds, on=["driver", "lap"], how="left").join(before, on=["driver", "lap"], how="left")
    out = []
    for r in stops.to_dicts():
        out.append(Event(
            id=f"pit_stop:{r['lap']}:{r['driver']}:{r['stop']}", kind="pit_stop",
            t=r["t_out"] if r["t_out"] is not None else (r["t_in"] or 0.0) + r["pit_lane_time"], lap=r["lap"],
            drivers=(r["driver"],),
            data={"stop": r["stop"], "pit_lane_time": r["pit_lane_time"], "old_compound": r["old_compound"],
                  "new_compound": r["new_compound"], "position_after": r["position_after"]},
            source={"table": "pit_stops", "rows": [{"driver": r["driver"], "stop": r["stop"]}]}))
    return out


def _lap_records(laps: pl.DataFrame) -> list[Event]:
    # laps behind a safety car are never records worth a line; pit laps can't be either
    valid = laps.filter(pl.col("lap_time").is_not_null() & ~pl.col("deleted").fill_null(False)
                        & ~pl.col("neutralised") & (pl.col("lap") > 1)).sort("t_end")
    valid = valid.with_columns(
        pl.col("lap_time").cum_min().shift(1).alias("previous_best"),
        pl.col("lap_time").cum_min().shift(1).over("driver").alias("previous_personal_best"))
    fastest = valid.filter(pl.col("previous_best").is_null() | (pl.col("lap_time") < pl.col("previous_best")))
    personal = valid.filter((pl.col("lap_time") < pl.col("previous_personal_best"))
                            & (pl.col("lap") >= PERSONAL_BEST_FROM_LAP)
                            & (pl.col("lap_time") >= pl.col("previous_best"))
                            & (pl.col("lap_time") - pl.col("previous_best") <= PERSONAL_BEST_NEWSWORTHY_S))
    out = []
    for r in fastest.to_dicts():
        out.append(Event(id=f"fastest_lap:{r['lap']}:{r['driver']}", kind="fastest_lap", t=r["t_end"], lap=r["lap"],
                         drivers=(r["driver"],),
                         data={"lap_time": r["lap_time"], "previous_best": r["previous_best"],
                               "improvement": None if r["previous_best"] is None
                               else round(r["previous_best"] - r["lap_time"], 3)},
                         source={"table": "laps", "rows": [_lap_ref(r["driver"], r["lap"])]}))
    for r in personal.to_dicts():
        out.append(Event(id=f"personal_best:{r['lap']}:{r['driver']}", kind="personal_best", t=r["t_end"],
                         lap=r["lap"], drivers=(r["driver"],),
                         data={"lap_time": r["lap_time"], "previous_personal_best": r["previous_personal_best"],
                               "improvement": round(r["previous_personal_best"] - r["lap_time"], 3)},
                         source={"table": "laps", "rows": [_lap_ref(r["driver"], r["lap"])]}))
    return out


def _gaps_closing(laps: pl.DataFrame) -> list[Event]:
    gaps = intervals(laps).join(laps.select("driver", "lap", "t_end", "clean"), on=["driver", "lap"])
    earlier = gaps.select("driver", (pl.col("lap") + CLOSING_WINDOW_LAPS).alias("lap"),
                          pl.col("ahead").alias("ahead_before"), pl.col("interval").alias("interval_before"))
    clean_run = pl.col("clean").cast(pl.Int32).rolling_sum(CLOSING_WINDOW_LAPS).over("driver", order_by="lap")
    closing = gaps.with_columns(clean_run.alias("clean_run")).join(earlier, on=["driver", "lap"]).filter(
        (pl.col("ahead") == pl.col("ahead_before")) & (pl.col("clean_run") == CLOSING_WINDOW_LAPS)
        & (pl.col("interval") <= CLOSING_MAX_INTERVAL_S)
        & (pl.col("interval_before") - pl.col("interval") >= CLOSING_MIN_GAIN_S)).sort("driver", "lap")
    out, last_told = [], {}
    for r in closing.to_dicts():  # once per chase: not again within the window
        pair = (r["driver"], r["ahead"])
        if r["lap"] - last_told.get(pair, -99) <= CLOSING_WINDOW_LAPS * 2:
            last_told[pair] = r["lap"]
            continue
        last_told[pair] = r["lap"]
        out.append(Event(
            id=f"gap_closing:{r['lap']}:{r['driver']}:{r['ahead']}", kind="gap_closing", t=r["t_end"], lap=r["lap"],
            drivers=(r["driver"], r["ahead"]),
            data={"interval": r["interval"], "interval_before": r["interval_before"], "laps": CLOSING_WINDOW_LAPS,
                  "gained": round(r["interval_before"] - r["interval"], 3), "position": r["position"]},
            source={"table": "laps", "rows": [_lap_ref(r["driver"], r["lap"] - CLOSING_WINDOW_LAPS),
                                              _lap_ref(r["driver"], r["lap"])]}))
    return out


def _race_control(messages: list[dict[str, Any]]) -> list[Event]:
    out = []
    for i, m in enumerate(messages):
        category, flag, text = m.get("category"), (m.get("flag") or "").upper(), m.get("message") or ""
        if category == "SafetyCar":
            kind = "vsc" if "VIRTUAL" in text.upper() or text.upper().startswith("VSC") else "safety_car"
        elif category == "Flag" and flag in RACE_CONTROL_FLAGS:
            kind = "flag"
        else:
            continue
        drivers = (m["driver"],) if m.get("driver") else ()
        out.append(Event(id=f"{kind}:{m.get('lap')}:{i}", kind=kind, t=float(m.get("t") or 0.0), lap=m.get("lap"),
                         drivers=drivers, data={"message": text, "flag": flag or None},
                         source={"table": "race_control", "rows": [{"t": m.get("t"), "message": text}]}))
    return out


def _strategy(laps: pl.DataFrame, pit_stops: pl.DataFrame) -> list[Event]:
    if pit_stops.height == 0:
        return []
    t_end = {(r["driver"], r["lap"]): r["t_end"] for r in laps.select("driver", "lap", "t_end").to_dicts()}
    out = []
    for u in undercuts(laps, pit_stops):
        lap = u["defender_pit_lap"] + 1
        out.append(Event(
            id=f"strategy:{lap}:{u['attacker']}:{u['defender']}", kind=u["result"],
            t=max(t_end.get((u["attacker"], lap), 0.0), t_end.get((u["defender"], lap), 0.0)), lap=lap,
            drivers=(u["attacker"], u["defender"]), data={k: v for k, v in u.items() if k not in ("attacker", "defender")},
            source={"table": "pit_stops", "rows": [{"driver": u["attacker"], "lap": u["attacker_pit_lap"]},
                                                   {"driver": u["defender"], "lap": u["defender_pit_lap"]}]}))
    return out


def _retirements(laps: pl.DataFrame, retirements: list[dict[str, Any]]) -> list[Event]:
    last = {r["driver"]: r for r in laps.sort("lap").group_by("driver").last().to_dicts()}
    out = []
    for r in retirements:
        driver, lap = r["driver"], r.get("retired_lap") or 0
        t = (last[driver]["t_end"] if driver in last else 0.0) or 0.0
        out.append(Event(id=f"retirement:{lap}:{driver}", kind="retirement", t=t, lap=lap + 1, drivers=(driver,),
                         data={"laps_completed": lap, "note": r.get("note") or r.get("retired_note"),
                               "last_position": last[driver]["position"] if driver in last else None},
                         source={"table": "classification", "rows": [{"driver": driver}]}))
    return out


# -- phrasing ------------------------------------------------------------------------------

TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "overtake": {
        "casual": ("{a} gets past {b} for P{position}!", "Move made: {a} is through on {b}, up to P{position}.",
                   "{b} can't hold {a} off: P{position} goes to {a}.", "{a} takes P{position} from {b}."),
        "technical": ("Lap {lap}: {a} passes {b} for P{position} (from P{from_position}); {gap:.3f} s clear at the line.",
                      "P{position} change on lap {lap}: {a} ahead of {b} by {gap:.3f} s at the line.",
                      "{a} P{from_position} -> P{position}, {b} drops to P{passed_position} (lap {lap})."),
    },
    "pit_stop": {
        "casual": ("{a} pits: {pit_lane_time:.1f} s in the lane, {tyres}.", "In comes {a}! {tyres}, {pit_lane_time:.1f} s.",
                   "Stop number {stop} for {a}: {tyres}.", "{a} dives into the pits on lap {lap}: {tyres}."),
        "technical": ("{a} stop {stop}, lap {lap}: pit lane {pit_lane_time:.3f} s, {tyres}, rejoins P{position_after}.",
                      "Lap {lap} in-lap for {a}: {pit_lane_time:.3f} s pit-lane time, {tyres}.",
                      "{a} pits (stop {stop}) - {tyres}; lane time {pit_lane_time:.3f} s."),
    },
    "fastest_lap": {
        "casual": ("Fastest lap! {a} with a {time}.", "{a} goes purple: {time}, the best lap of the race.",
                   "Nobody has gone quicker: {a}, {time}.", "{a} tops the lap times with a {time}."),
        "technical": ("New fastest lap: {a}, {time} on lap {lap}{improved}.",
                      "{a} sets the reference at {time} (lap {lap}){improved}.",
                      "Fastest lap to {a}: {time}{improved}."),
    },
    "personal_best": {
        "casual": ("Personal best for {a}: {time}.", "{a} finds more pace - {time}, a personal best.",
                   "{a}'s quickest lap yet: {time}."),
        "technical": ("{a} personal best {time} on lap {lap}, {improvement:.3f} s up on the previous best.",
                      "Lap {lap}: {a} improves to {time} (-{improvement:.3f} s)."),
    },
    "gap_closing": {
        "casual": ("{a} is reeling in {b}: {interval:.1f} s now.", "{a} is right on {b}'s gearbox - {interval:.1f} s.",
                   "The gap is coming down: {a} within {interval:.1f} s of {b}."),
        "technical": ("{a} has taken {gained:.3f} s out of {b} in {laps} laps; interval {interval:.3f} s, DRS range.",
                      "Interval {a}-{b}: {interval_before:.3f} s -> {interval:.3f} s over {laps} laps."),
    },
    "undercut": {
        "casual": ("The undercut works! {a} pitted on lap {attacker_pit_lap} and is now ahead of {b}.",
                   "Strategy pays off for {a}: ahead of {b} after the stops."),
        "technical": ("Undercut: {a} (pit lap {attacker_pit_lap}) vs {b} (lap {defender_pit_lap}); "
                      "{gap_before:.3f} s behind before, {gap_after_abs:.3f} s ahead after.",),
    },
    "overcut": {
        "casual": ("{b} stays ahead of {a} after the stops - the early stop didn't work.",
                   "Strategy battle to {b}: {a} pitted first on lap {attacker_pit_lap} but is still behind."),
        "technical": ("Undercut failed: {a} pitted lap {attacker_pit_lap} ({gap_before:.3f} s behind {b}); "
                      "{b} pitted lap {defender_pit_lap} and leads by {gap_after_abs:.3f} s.",),
    },
    "retirement": {
        "casual": ("{a} is out of the race.", "Heartbreak for {a}: retirement after {laps_completed} laps.",
                   "That's the end of {a}'s race."),
        "technical": ("{a} retires: {laps_completed} laps completed{note}.", "DNF for {a} after lap {laps_completed}{note}."),
    },
    "lead_change": {
        "casual": ("{a} leads the race now{cause_text}!", "New leader: {a}{cause_text}.",
                   "{a} is in front{cause_text}."),
        "technical": ("Lap {lap}: {a} takes the lead from {b}{cause_text}.",
                      "Lead change on lap {lap}: {a} P{position}, {b} {previous_text}."),
    },
    "winner": {
        "casual": ("{a} wins it!", "Victory for {a} after {laps} laps!", "{a} takes the chequered flag first: the win!"),
        "technical": ("{a} wins: {laps} laps from P{grid_text} on the grid{margin_text}.",
                      "Race winner {a}, {laps} laps{margin_text}."),
    },
    "safety_car": {
        "casual": ("Race control: {message_title}.", "{message_title} - the field is neutralised.",
                   "Safety car news: {message_title}."),
        "technical": ("Lap {lap}: {message}.", "Race control, lap {lap}: {message}."),
    },
    "vsc": {
        "casual": ("Virtual safety car: {message_title}.",), "technical": ("Lap {lap}: {message}.",),
    },
    "flag": {
        "casual": ("{message_title}!", "Flag: {message_title}."), "technical": ("Lap {lap}: {message}.",),
    },
}


def lap_time_text(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60.0)
    return f"{int(minutes)}:{rest:06.3f}"


class Phraser:
    """Renders events in one style, taking each kind's templates in turn (never the same one
    twice in a row while a kind has more than one)."""

    def __init__(self, style: str = "casual", names: dict[str, str] | None = None,
                 favourites: set[str] | frozenset[str] = frozenset()):
        if style not in STYLES:
            raise InvalidInput(f"commentary style: {style!r} is not one of {', '.join(STYLES)}")
        self.style, self.names, self.favourites = style, names or {}, set(favourites)
        self._next: dict[str, int] = {}

    def line(self, event: Event) -> dict[str, Any]:
        templates = TEMPLATES[event.kind][self.style]
        index = self._next.get(event.kind, 0) % len(templates)
        self._next[event.kind] = index + 1
        text = templates[index].format(**self._fields(event))
        return {"id": event.id, "kind": event.kind, "t": event.t, "lap": event.lap, "drivers": list(event.drivers),
                "text": text, "template": f"{event.kind}.{self.style}.{index}", "data": event.data,
                "source": event.source, "highlight": bool(self.favourites.intersection(event.drivers))}

    def _fields(self, event: Event) -> dict[str, Any]:
        data = {k: v for k, v in event.data.items()}
        names = [self.names.get(d, d) for d in event.drivers]
        fields: dict[str, Any] = {**data, "lap": event.lap, "a": names[0] if names else "",
                                  "b": names[1] if len(names) > 1 else ""}
        if event.kind in ("fastest_lap", "personal_best"):
            fields["time"] = lap_time_text(data["lap_time"])
            improvement = data.get("improvement")
            fields["improved"] = f", {improvement:.3f} s quicker" if improvement else ""
        if event.kind == "pit_stop":
            old, new = data.get("old_compound"), data.get("new_compound")
            fields["tyres"] = (f"{old.lower()} off, {new.lower()} on" if old and new and old != new
                               else f"fresh {new.lower()}s" if new else "tyres unknown")
            fields["position_after"] = data.get("position_after") or "?"
        if event.kind in ("undercut", "overcut"):
            fields["gap_after_abs"] = abs(data["gap_after"])
        if "message" in data:
            fields["message_title"] = data["message"].capitalize()
        if event.kind == "retirement":
            fields["note"] = f" ({data['note'].lower()})" if data.get("note") else ""
        if event.kind == "lead_change":
            fields["cause_text"] = {"retirement": f" - {fields['b']} is out", "pit_stop": f" as {fields['b']} pits"
                                    }.get(data.get("cause"), "")
            position = data.get("previous_leader_position")
            fields["previous_text"] = ("out" if data.get("cause") == "retirement"
                                       else f"P{position}" if position else "behind")
        if event.kind == "winner":
            fields["grid_text"] = data.get("grid_position") or "?"
            fields["margin_text"] = (f", {data['margin']:.3f} s ahead of {fields['b']}"
                                     if data.get("margin") is not None else "")
        return fields


def commentary(events: list[Event], style: str = "casual", names: dict[str, str] | None = None,
               favourites: set[str] | frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """The lines for ``events`` (time order), each with its event's data and source."""
    phraser = Phraser(style, names, favourites)
    return [phraser.line(e) for e in events]
