"""Runs an F1 session feed, recorded or live, through ``SessionState`` and publishes its deltas.

One ``SessionRunner`` per session being played: raw lines go through the live path
(``sideline.ingest.f1.live_messages``, paced by ``ReplayClock``), every message through
``SessionState.apply``, every delta to the public channel ``public:f1:<session_id>`` as one
``delta`` event. Applying and publishing happen under one lock, and ``snapshot()`` takes the
same lock, so a snapshot's ``seq`` is always the channel seq of the last event it includes:
a client that loads it and subscribes with ``since=seq`` gets exactly the deltas after it.

Channel events:

- ``replay``: ``{"state": "running"|"paused"|"finished"|"stopped"|"failed", "speed", "seq"}``; when a run
  starts it also carries ``snapshot`` (the empty initial state), which replaces the client's;
- ``delta``: a ``SessionState`` delta (docs/motorsport.md) whose ``seq`` is the channel seq.

Runners of this process are registered by session id (``running``), so the API serves their
exact snapshot; another process reads the latest checkpoint the runner's owner stored.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import AsyncIterable, Callable
from typing import Any

from sideline.analytics.motorsport import SessionState
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
                 checkpoint_s: float = CHECKPOINT_S, control_poll_s: float = CONTROL_POLL_S):
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

    # -- reading ---------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return self._snapshot_locked()

    def _snapshot_locked(self) -> dict[str, Any]:
        snapshot = self.state.snapshot()
        snapshot["seq"] = self.seq
        snapshot["replay"] = {"state": self.status, "speed": self.speed}
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
        for delta in deltas:
            # Numbered by the channel, so snapshot seq, delta seq and ``since`` share one scale.
            self._send("delta", {**delta, "seq": self.seq + 1})

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
                    self._publish_deltas(self.state.apply(message))
                    self.messages += 1
                if self._on_checkpoint is not None and now >= next_checkpoint:
                    next_checkpoint = now + self._checkpoint_s
                    self._on_checkpoint(self)
        except BaseException:
            self.status = "failed"  # the transport or a checkpoint broke: say so, keep what was played
            raise
        finally:
            with self.lock:
                self._publish_deltas(self.state.finish())
                if self.status != "failed":
                    self.status = "stopped" if self.status == "stopping" else "finished"
                self._publish_replay()
        return self.status

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
