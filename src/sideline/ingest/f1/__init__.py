"""Formula 1 live timing: recorded session folders and live lines as ``FeedMessage``s.

- ``read_recording(folder)``: a folder of ``<Stream>.jsonStream`` files, merged by time;
- ``live_messages(lines)``: raw lines from any transport, parsed as they arrive;
- ``ReplayClock(speed).pace(messages)``: replays at 1x-100x, or as fast as possible.

Both sources parse every line with ``FeedParser`` and count what they skip (docs/motorsport.md).
"""

from sideline.ingest.f1.clock import ReplayClock
from sideline.ingest.f1.live import ReorderBuffer, live_messages, recording_lines
from sideline.ingest.f1.parsing import FeedParser, parse_session_time
from sideline.ingest.f1.recording import EXPECTED_STREAMS, Recording, StallDetector, read_recording

__all__ = [
    "EXPECTED_STREAMS",
    "FeedParser",
    "Recording",
    "ReorderBuffer",
    "ReplayClock",
    "StallDetector",
    "live_messages",
    "parse_session_time",
    "read_recording",
    "recording_lines",
]
