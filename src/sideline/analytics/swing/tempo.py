"""Swing tempo: backswing time (takeaway -> top) over downswing time (top -> impact).

Tour players average about 3:1 (e.g. ~0.75 s back, ~0.25 s down; Novosel & Garrity, "Tour
Tempo", 2004). The ratio does not depend on slow motion; absolute times do, so pass
``playback_speed`` (0.25 for a 4x slow-motion clip) to get real seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sideline.analytics.swing.golf_events import SwingEvent
from sideline.errors import InvalidInput


@dataclass(frozen=True)
class Tempo:
    backswing_s: float  # real seconds (video seconds x playback_speed)
    downswing_s: float
    ratio: float  # backswing / downswing

    def label(self) -> str:
        return f"{self.ratio:.1f}:1"


def swing_tempo(events: Iterable[SwingEvent] | dict[str, float], *, playback_speed: float = 1.0) -> Tempo:
    """Tempo from events (SwingEvent list, or a mapping name -> time in seconds).

    Takeaway is the address event (the last frame before the club moves back).
    """
    times = {e.name: e.time_s for e in events} if not isinstance(events, dict) else dict(events)
    missing = [name for name in ("address", "top", "impact") if name not in times]
    if missing:
        raise InvalidInput(f"tempo needs the address, top and impact events; missing {', '.join(missing)}")
    if playback_speed <= 0:
        raise InvalidInput(f"playback_speed must be positive, got {playback_speed}")
    backswing = (times["top"] - times["address"]) * playback_speed
    downswing = (times["impact"] - times["top"]) * playback_speed
    if backswing <= 0 or downswing <= 0:
        raise InvalidInput(f"events out of order: address {times['address']:.3f} s, top {times['top']:.3f} s, impact {times['impact']:.3f} s")
    return Tempo(backswing, downswing, backswing / downswing)
