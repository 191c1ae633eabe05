"""Runs an F1 session feed, recorded or live, through ``SessionState`` and publishes its deltas.

One ``SessionRunner`` per session being played: raw lines go through the live path
(``sideline.ingest.f1.live_messages``, paced by ``ReplayClock``), every message through
``SessionState.apply``, its deltas to the public channel ``public:f1:<session_id>`` as one
``delta`` (or ``deltas``) event. Applying and publishing happen under one lock, and ``snapshot()`` takes the
same lock, so a snapshot's ``seq`` is always the channel seq of the last event it includes:
a client that loads it and subscribes with ``since=seq`` gets exactly the deltas after it.

Channel events:

- ``replay``: ``{"state": "running"|"paused"|"finished"|"stopped"|"failed", "speed", "seq"}``; when a run
  starts it also carries ``snapshot`` (the empty initial state), which replaces the client's;
- ``delta``: a ``SessionState`` delta (docs/motorsport.md) whose ``seq`` is the channel seq;
- ``deltas``: ``{"seq", "deltas": [...]}``, the deltas of one feed message when it made several,
  applied in order (each carries the event's ``seq``);
- ``commentary``: ``{"seq", "t", "lap", "lines"}``, the commentary lines new since the last one
  (both styles in ``texts``, with the data and source rows that caused them);
- ``win_probability``: ``{"seq", "lap", "prior", "probabilities": {number: p}}``, one per settled lap
  (lap 0: the pre-race prior; lap L settles when the leader completes L+1, or at the flag).

Commentary and win probability are computed when the leader completes a lap (``on_lap``), in a
worker thread so the replay loop never waits for them: a lap that comes while the worker is
busy is skipped (the next run covers it, the lines are diffed by their stable ids), and the
feed's end waits for the worker and runs once more. The snapshot carries everything published
(``commentary``, ``win_probability``), so a late joiner's snapshot plus the later events is whole.

Runners of this process are registered by session id (``running``), so the API serves their
exact snapshot; another process reads the latest checkpoint the runner's owner stored.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import AsyncIterable, Callable, Mapping
from typing import Any

from sideline.analytics.motorsport import SessionState, commentary
from sideline.analytics.motorsport.prediction.in_race import LiveWinProbability, grid_prior
from sideline.analytics.motorsport.tables import pit_stop_rows
from sideline.core.timing import LAP_SCHEMA, PIT_STOP_SCHEMA, rows_to_frame
from sideline.ingest.f1 import ReplayClock, live_messages
from sideline.ingest.f1.live import RawLine

log = logging.getLogger(__name__)

# Replays shorten silences (before the start, red flags, lost data) to this many feed seconds.
MAX_GAP_S = 5.0
CONTROL_POLL_S = 0.25
CHECKPOINT_S = 2.0


@dataclasses.dataclass(frozen=True)
class Control:
    speed: float | None  # None: as fast as possible
    paused: bool = False
    stop: bool = False


def channel_of(session_id: str) -> str:
    return f"public:f1:{session_id}"


class SessionRunner:
    def __init__(self, session_id: str, publish: Callable[[str, str, Any], int],
                 latest_seq: Callable[[str], int], *, control: Callable[[], Control], speed: float | None = None, max_gap_s: float | None = MAX_GAP_S,
                 on_checkpoint: Callable[[SessionRunner], None] | None = None,
                 checkpoint_s: float = CHECKPOINT_S, control_poll_s: float = CONTROL_POLL_S,
                 on_lap: Callable[[SessionRunner, int], None] | None = None, analyse: bool = True,
                 prior: Callable[[dict[str, Any]], tuple[Mapping[str, float], str]] | None = None):
        """``on_lap(runner, lap)``: called (outside the lock, in the replay loop: keep it short)
        each time the leader completes a lap. ``analyse``: publish commentary and win probability
        (``LiveAnalysis``); ``prior(snapshot)``: pre-race win chances per car number seeding it and
        where they came from, e.g. a model version (default: the starting grid, ``grid_prior``)."""
        self.session_id = session_id
        self.channel = channel_of(session_id)
        self.state = SessionState()
        self.lock = threading.Lock()
        self.seq = 0  # channel seq of the last event published
        self.status = "starting"
        self.speed = speed
        self.messages = 0
        self._publish = publish
        self._latest_seq = latest_seq
        self.misnumbered = 0  # events whose channel seq was not the expected one (another publisher)
        self._control = control
        self._clock = ReplayClock(speed, max_gap_s=max_gap_s)
        self._on_checkpoint = on_checkpoint
        self._checkpoint_s = checkpoint_s
        self._control_poll_s = control_poll_s
        self._on_lap = on_lap
        self.analysis = LiveAnalysis(self, prior) if analyse else None

    # -- reading ---------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return self._snapshot_locked()

    def _snapshot_locked(self) -> dict[str, Any]:
        snapshot = self.state.snapshot()
        snapshot["seq"] = self.seq
        snapshot["replay"] = {"state": self.status, "speed": self.speed}
        if self.analysis is not None:
            snapshot["commentary"] = list(self.analysis.lines)
            snapshot["win_probability"] = list(self.analysis.win_laps)
        return snapshot

    # -- publishing (caller holds the lock) -------------------------------------------------

    def _send(self, event: str, data: dict[str, Any]) -> None:
        expected = self.seq + 1
        self.seq = self._publish(self.channel, event, data)
        if self.seq != expected:
            self.misnumbered += 1
            log.warning("F1 channel %s: published seq %d, expected %d (another publisher?)", self.channel,
                        self.seq, expected)

    def _publish_replay(self, **extra: Any) -> None:
        self._send("replay", {"state": self.status, "speed": self.speed, "seq": self.seq + 1, **extra})

    def _publish_deltas(self, deltas: list[dict[str, Any]]) -> None:
        # Numbered by the channel, so snapshot seq, delta seq and ``since`` share one scale.
        if len(deltas) == 1:
            self._send("delta", {**deltas[0], "seq": self.seq + 1})
        elif deltas:
            # The deltas of one message go out as one event: one frame per client instead of one
            # per delta, so the last of a burst does not wait for the fan-out of the others.
            seq = self.seq + 1
            self._send("deltas", {"seq": seq, "deltas": [{**delta, "seq": seq} for delta in deltas]})

    # -- running ---------------------------------------------------------------------------

    async def run(self, lines: AsyncIterable[RawLine]) -> str:
        """Play ``lines`` to their end (or a stop); returns the final status."""
        with self.lock:
            self.seq = self._latest_seq(self.channel)
            self.status = "running"
            initial = self._snapshot_locked()
            self._publish_replay(snapshot={**initial, "seq": self.seq + 1})
        next_poll = next_checkpoint = time.monotonic()
        try:
            async for message in self._clock.pace(live_messages(lines)):
                now = time.monotonic()
                if now >= next_poll:
                    next_poll = now + self._control_poll_s
                    if await self._obey(self._control()):
                        break
                with self.lock:
                    deltas = self.state.apply(message)
                    self._publish_deltas(deltas)
                    self.messages += 1
                lap = leader_lap_completed(deltas, self.state) if deltas else None
                if lap is not None:
                    self._lap_completed(lap)
                if self._on_checkpoint is not None and now >= next_checkpoint:
                    next_checkpoint = now + self._checkpoint_s
                    self._on_checkpoint(self)
        except BaseException:
            self.status = "failed"  # the transport or a checkpoint broke: say so, keep what was played
            raise
        finally:
            with self.lock:
                self._publish_deltas(self.state.finish())
            if self.analysis is not None:  # the last lines and probabilities before the final event
                self.analysis.close(final=self.status != "failed")
            with self.lock:
                if self.status != "failed":
                    self.status = "stopped" if self.status == "stopping" else "finished"
                self._publish_replay()
        return self.status

    def _lap_completed(self, lap: int) -> None:
        if self._on_lap is not None:
            try:
                self._on_lap(self, lap)
            except Exception:  # a hook must not end a live session
                log.warning("F1 channel %s: on_lap hook failed at lap %d", self.channel, lap, exc_info=True)
        if self.analysis is not None:
            self.analysis.leader_lap(lap)

    async def _obey(self, control: Control) -> bool:
        """Apply speed/pause/stop; waits while paused. True when the run must stop."""
        if control.stop:
            self.status = "stopping"
            return True
        if control.speed != self.speed:
            with self.lock:
                self.speed = self._clock.speed = control.speed  # re-anchors the clock: no jump
                self._publish_replay()
        if not control.paused:
            return False
        with self.lock:
            self.status = "paused"
            self._publish_replay()
        while control.paused and not control.stop:
            await asyncio.sleep(self._control_poll_s)
            control = self._control()
        if control.stop:
            self.status = "stopping"
            return True
        with self.lock:
            self.status = "running"
            self.speed = self._clock.speed = control.speed  # restart the clock from here
            self._publish_replay()
        return False


def leader_lap_completed(deltas: list[dict[str, Any]], state: SessionState) -> int | None:
    """The lap the leader has just completed, if these deltas say so: the lap count went up to
    n + 1 (n), or the winner took the flag (the session's lap now)."""
    completed = None
    for delta in deltas:
        if delta["kind"] != "session":
            continue
        changed = delta["set"]
        if isinstance(changed.get("lap"), int) and changed["lap"] > 1:
            completed = changed["lap"] - 1
        if changed.get("winner"):
            completed = state.current_lap() or completed
    return completed


class LiveAnalysis:
    """Commentary and win probability of a running session, computed off the replay loop.

    ``leader_lap`` (replay loop) copies what the analysis needs under the runner's lock (a few
    milliseconds: lap rows, pit stops, the snapshot) and starts a worker thread, unless one is
    still running (then the lap is skipped: the next run covers it). The worker turns the tables
    into events (``commentary.detect_events``), phrases the new ones in both styles, settles the
    win probability of the laps completed since (``LiveWinProbability``), and publishes under the
    lock. ``close`` waits for the worker and, for a feed that ended, runs once more with the
    race settled (the last lap's probabilities, the winner, the classification's retirements).
    """

    def __init__(self, runner: SessionRunner,
                 prior: Callable[[dict[str, Any]], tuple[Mapping[str, float], str]] | None = None):
        self.runner = runner
        self._prior = prior
        self._thread: threading.Thread | None = None
        self._told: set[str] = set()
        self._phrasers: dict[str, commentary.Phraser] = {}
        self._win: LiveWinProbability | None = None
        self._prior_source = "grid"
        self.lines: list[dict[str, Any]] = []  # every line published, for the snapshot
        self.win_laps: list[dict[str, Any]] = []
        self.runs = self.skipped = self.failures = 0

    def leader_lap(self, lap: int) -> None:
        if self._thread is not None and self._thread.is_alive():
            self.skipped += 1
            return
        inputs = self._capture(lap)
        if inputs is not None:
            self._thread = threading.Thread(target=self._run, args=(inputs, False), daemon=True,
                                            name=f"f1-analysis-{self.runner.session_id[:8]}")
            self._thread.start()

    def close(self, final: bool = True) -> None:
        if self._thread is not None:
            self._thread.join()
        if final and (inputs := self._capture(None)) is not None:
            self._run(inputs, True)

    def _capture(self, lap: int | None) -> dict[str, Any] | None:
        runner = self.runner
        try:
            with runner.lock:
                state = runner.state
                return {"lap": lap, "rows": state.lap_rows(), "stops": pit_stop_rows(state.drivers.values()),
                        "snapshot": state.snapshot(), "finished": state.winner is not None}
        except Exception:  # never the session's end: this lap goes without analysis
            self.failures += 1
            log.warning("F1 channel %s: could not copy the state for the live analysis", runner.channel, exc_info=True)
            return None

    def _run(self, inputs: dict[str, Any], closing: bool) -> None:
        try:
            self.runs += 1
            lines, settled = self._analyse(inputs, closing)
        except Exception:  # the analysis must never stop the session; the next run tries again
            self.failures += 1
            log.warning("F1 channel %s: live analysis failed", self.runner.channel, exc_info=True)
            return
        runner = self.runner
        snapshot = inputs["snapshot"]
        with runner.lock:
            if lines:
                self.lines.extend(lines)
                runner._send("commentary", {"seq": runner.seq + 1, "t": snapshot.get("t"),
                                            "lap": inputs["lap"] or snapshot["session"].get("lap"), "lines": lines})
            for point in settled:
                self.win_laps.append(point)
                runner._send("win_probability", {**point, "seq": runner.seq + 1})

    def _analyse(self, inputs: dict[str, Any], closing: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        snapshot = inputs["snapshot"]
        laps = rows_to_frame(inputs["rows"], LAP_SCHEMA)
        drivers = snapshot["drivers"]
        names = {number: d.get("tla") or number for number, d in drivers.items()}
        # the classification names the winner and the reasons for retirements once the flag is out
        classification = snapshot["classification"] if inputs["finished"] else []
        events = commentary.detect_events(laps, rows_to_frame(inputs["stops"], PIT_STOP_SCHEMA),
                                          snapshot["race_control"],
                                          commentary.retirements(classification, drivers.values()), classification)
        lines = []
        for event in events:
            if event.id in self._told:
                continue
            self._told.add(event.id)
            lines.append(self._line(event, names))
        return lines, self._win_probability(laps, snapshot, inputs["finished"] and closing)

    def _line(self, event: commentary.Event, names: dict[str, str]) -> dict[str, Any]:
        texts, templates = {}, {}
        line: dict[str, Any] = {}
        for style in commentary.STYLES:
            phraser = self._phrasers.setdefault(style, commentary.Phraser(style))
            phraser.names = names
            line = phraser.line(event)
            texts[style], templates[style] = line["text"], line["template"]
        line.pop("highlight", None)  # a reader's favourites: the client marks them
        return {**line, "text": texts["casual"], "template": templates["casual"], "texts": texts,
                "templates": templates}

    def _win_probability(self, laps, snapshot: dict[str, Any], finished: bool) -> list[dict[str, Any]]:
        total = snapshot["session"].get("total_laps")
        if not total:
            return []  # nothing to simulate towards yet
        out = []
        if self._win is None:
            drivers = snapshot["drivers"]
            if self._prior is not None:
                chances, self._prior_source = self._prior(snapshot)
                prior = dict(chances)
            else:
                prior = grid_prior({number: d.get("grid_position") for number, d in drivers.items()})
            if not prior:
                return []
            self._win = LiveWinProbability(prior, int(total))
            norm = sum(prior.values()) or 1.0
            out.append(self._point(0, {d: p / norm for d, p in prior.items()}))
        out += [self._point(u["lap"], u["probabilities"]) for u in self._win.update(laps, finished=finished)]
        return out

    def _point(self, lap: int, probabilities: Mapping[str, float]) -> dict[str, Any]:
        return {"lap": lap, "prior": self._prior_source,
                "probabilities": {d: round(float(p), 4) for d, p in probabilities.items()}}


# -- this process's runners ------------------------------------------------------------------

_RUNNING: dict[str, SessionRunner] = {}
_REGISTRY_LOCK = threading.Lock()


def register(runner: SessionRunner) -> None:
    with _REGISTRY_LOCK:
        _RUNNING[runner.session_id] = runner


def unregister(runner: SessionRunner) -> None:
    with _REGISTRY_LOCK:
        if _RUNNING.get(runner.session_id) is runner:
            del _RUNNING[runner.session_id]


def running(session_id: str) -> SessionRunner | None:
    with _REGISTRY_LOCK:
        return _RUNNING.get(str(session_id))
