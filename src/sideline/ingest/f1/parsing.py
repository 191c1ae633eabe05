"""One parse path for every F1 live-timing line, recorded or live.

Two line shapes reach us:

- jsonStream lines, as the archive (and FastF1's cache) stores them, one file per stream:
  ``HH:MM:SS.mmm`` session time immediately followed by the JSON delta (or, for ``.z``
  streams, a quoted base64 string of raw-deflated JSON);
- SignalR lines, as a live connection delivers them: ``["TimingData", {...}, "2018-04-29T12:13:42.1Z"]``
  (JSON, or the Python ``repr`` FastF1's ``SignalRClient`` writes), or a whole hub frame
  ``{"M": [{"H": "Streaming", "M": "feed", "A": [stream, data, utc]}]}``; their time is UTC, made
  session-relative against the first UTC seen (or ``utc_origin``).

Bad lines never raise: each is counted under a reason in ``FeedParser.counters`` and logged
(the first few of each reason at WARNING, the rest at DEBUG), and parsing goes on.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import logging
from collections import Counter
from typing import Any

from sideline.core.timing import FeedMessage

log = logging.getLogger(__name__)

BOM = "\ufeff"
TIMESTAMP_LENGTH = 12  # "HH:MM:SS.mmm"
LOUD_LOGS_PER_REASON = 5


def parse_session_time(text: str) -> float | None:
    """``HH:MM:SS.mmm`` (fixed width, as every jsonStream line starts) in seconds, or None."""
    if len(text) != TIMESTAMP_LENGTH or text[2] != ":" or text[5] != ":" or text[8] != ".":
        return None
    try:
        hours, minutes, seconds, millis = int(text[0:2]), int(text[3:5]), int(text[6:8]), int(text[9:12])
    except ValueError:
        return None
    if minutes > 59 or seconds > 59 or min(hours, minutes, seconds, millis) < 0:
        return None
    return hours * 3600 + minutes * 60 + seconds + millis / 1000


def _decode_compressed(payload: str) -> Any:
    # FastF1's decoder for the ".z" streams (base64 + raw deflate), imported on first use
    # because importing fastf1 costs over a second.
    from fastf1._api import parse

    return parse(payload, zipped=True)


class FeedParser:
    """Turns raw lines into ``FeedMessage``s; keeps per-reason counts of what it skipped."""

    def __init__(self, *, utc_origin: dt.datetime | None = None):
        self.counters: Counter[str] = Counter()
        self.utc_origin = utc_origin

    # -- problems -------------------------------------------------------------------------

    def skip(self, reason: str, source: str, detail: str = "") -> None:
        self.counters[reason] += 1
        level = logging.WARNING if self.counters[reason] <= LOUD_LOGS_PER_REASON else logging.DEBUG
        log.log(level, "F1 feed: skipped a line of %s (%s)%s", source, reason, f": {detail}" if detail else "")

    # -- jsonStream lines -----------------------------------------------------------------

    def parse_stream_line(self, stream: str, line: str | bytes, *, source: str | None = None) -> FeedMessage | None:
        """One ``HH:MM:SS.mmm{json}`` line of ``stream``; None (and counted) when unusable."""
        where = source or stream
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError:
                self.skip("bad_encoding", where)
                return None
        line = line.strip().lstrip(BOM)
        if not line:
            self.counters["blank_lines"] += 1  # normal at file ends; not a problem
            return None
        t = parse_session_time(line[:TIMESTAMP_LENGTH])
        if t is None:
            self.skip("bad_timestamp", where, line[:40])
            return None
        data = self._payload(line[TIMESTAMP_LENGTH:], stream, where)
        if data is None:
            return None
        return FeedMessage(t, stream.removesuffix(".z"), data)

    def _payload(self, text: str, stream: str, where: str) -> dict[str, Any] | None:
        compressed = stream.endswith(".z")
        try:
            if compressed:
                data = _decode_compressed(text)
            else:
                data = json.loads(text)
        except json.JSONDecodeError as exc:
            self.skip("bad_json", where, f"{exc.msg} at column {exc.colno}")
            return None
        except Exception as exc:  # zlib.error, binascii.Error, UnicodeDecodeError from .z payloads
            self.skip("bad_compressed_payload", where, type(exc).__name__)
            return None
        if not isinstance(data, dict):
            self.skip("not_an_object", where, type(data).__name__)
            return None
        return data

    # -- SignalR (live) lines -------------------------------------------------------------

    def parse_signalr_line(self, line: str | bytes) -> list[FeedMessage]:
        """A live line: a ``[stream, data, utc]`` triple or a hub frame holding several."""
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError:
                self.skip("bad_encoding", "live")
                return []
        line = line.strip().lstrip(BOM)
        if not line:
            self.counters["blank_lines"] += 1
            return []
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            try:  # FastF1's recorder writes Python reprs (single quotes, True/False)
                value = ast.literal_eval(line)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                self.skip("bad_json", "live", line[:40])
                return []
        if isinstance(value, dict):
            if "M" not in value:  # keep-alives and invocation results carry no data
                self.counters["control_frames"] += 1
                return []
            triples = [m.get("A") for m in value.get("M") or [] if isinstance(m, dict)]
        else:
            triples = [value]
        out = []
        for triple in triples:
            message = self._triple(triple)
            if message is not None:
                out.append(message)
        return out

    def _triple(self, triple: Any) -> FeedMessage | None:
        if not (isinstance(triple, list | tuple) and len(triple) == 3 and isinstance(triple[0], str)):
            self.skip("bad_signalr_message", "live", repr(triple)[:40])
            return None
        stream, data, utc = triple
        if isinstance(data, str):  # ".z" payloads, or JSON sent as a string
            data = self._payload(data, stream, stream)
            if data is None:
                return None
        if not isinstance(data, dict):
            self.skip("not_an_object", stream, type(data).__name__)
            return None
        when = parse_utc(utc)
        if when is None:
            self.skip("bad_timestamp", stream, str(utc)[:40])
            return None
        if self.utc_origin is None:
            self.utc_origin = when
        return FeedMessage((when - self.utc_origin).total_seconds(), stream.removesuffix(".z"), data)


def parse_utc(text: Any) -> dt.datetime | None:
    """A SignalR UTC stamp (``2018-04-29T12:13:42.1234567Z``, up to 7 decimals) as an aware datetime, or None."""
    if not isinstance(text, str) or not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        # More than six fractional digits (the live service sends seven): trim to microseconds.
        head, _, frac = text.rstrip("Z").partition(".")
        try:
            when = dt.datetime.fromisoformat(f"{head}.{frac[:6]}+00:00" if frac else f"{head}+00:00")
        except ValueError:
            return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
