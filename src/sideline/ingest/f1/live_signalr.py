"""Formula 1's live-timing feed over SignalR, delivered as recorded lines.

``SignalRClient(url).lines()`` connects to the live-timing hub (``Streaming``), subscribes to the
session's topics and yields every message as a ``(stream, b"HH:MM:SS.mmm{json}")`` pair: the
shape ``recording_lines`` yields for a recorded folder. A live session therefore runs through
``live_messages`` -> ``SessionState`` exactly as a replay does, and its lines can be stored as the
session's feed and replayed later.

Two transports, chosen from the URL (``.../signalrcore`` is Core) or ``protocol=``:

- classic ASP.NET SignalR (``https://livetiming.formula1.com/signalr``, client protocol 1.5):
  ``GET negotiate`` -> ``ConnectionToken``; WebSocket ``connect``; the hub call
  ``{"H": "Streaming", "M": "Subscribe", "A": [topics], "I": 1}`` is answered by
  ``{"R": {topic: state}, "I": "1"}`` (the state so far), then ``{"M": [{"H": "Streaming",
  "M": "feed", "A": [stream, data, utc]}]}`` frames; ``{}`` is a keep-alive.
- SignalR Core (``.../signalrcore``, what FastF1 3.5+ records with): ``POST
  negotiate?negotiateVersion=1``, WebSocket ``?id=<token>``, JSON hub protocol (records end
  with ``\\x1e``): the ``Subscribe`` completion carries the state so far, ``feed`` invocations
  the messages; an optional bearer token (an F1 TV account's) is sent on both requests.

FastF1's ``fastf1.livetiming.client.SignalRClient`` only writes a file from a thread (and only
speaks Core), so it cannot hand lines over as they arrive; this client uses its topics and the
request headers the F1 apps send.

Times: a message's UTC less the session origin ``t0_utc`` (the subscribe reply's ``Heartbeat``
time, else the first message's UTC) is the line's session time.

Failure policy (each case counted in ``counters`` and logged; nothing raises while the session
can go on):

- a lost connection is re-established with exponential backoff (0.5 s doubling to 30 s, with
  jitter), negotiating afresh (``connection_lost``, ``reconnects``);
- the server's state on (re)subscribing is compared with everything this client has merged so
  far (a mirror of each stream, merged with SignalR's rules): only the difference goes on,
  stamped at the last message's time. A stream that changed while disconnected is a bridged gap
  (``resync_streams``); what was already applied is never applied twice;
- a message identical to one already delivered (same stream, UTC and data; a server may resend
  after a reconnect) is dropped (``duplicates``); unreadable frames are skipped (``bad_frames``,
  ``bad_messages``);
- the first connection failing ``connect_attempts`` times in a row, or ``max_failures``
  reconnects failing in a row, raise ``LiveFeedUnavailable`` naming the host and the cause.

The stream ends once ``SessionStatus`` has said "Ends" and the server closes or goes quiet for
``linger_s``, or when ``stop`` is set.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import json
import logging
import random
import urllib.parse
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import httpx
import websockets
from websockets.exceptions import ConnectionClosedOK, InvalidStatus, WebSocketException

from sideline.core.feed_values import DELETED, json_copy, merge_delta
from sideline.errors import ServiceUnavailable
from sideline.ingest.f1.parsing import parse_utc

log = logging.getLogger(__name__)

DEFAULT_URL = "https://livetiming.formula1.com/signalr"
HUB = "Streaming"
# FastF1's topic list less the ones no state uses (audio, video, team radio, championship).
TOPICS = ("Heartbeat", "SessionInfo", "SessionStatus", "SessionData", "DriverList", "TimingAppData", "TimingData",
          "TimingStats", "LapCount", "TrackStatus", "RaceControlMessages", "ExtrapolatedClock", "WeatherData",
          "TopThree", "CarData.z", "Position.z")
USER_AGENT = "BestHTTP"  # the F1 apps' agent; the classic hub has refused unknown ones
RECORD_SEPARATOR = "\x1e"
ENDED_STATUS = "Ends"
RECENT_MESSAGES = 4096  # remembered for duplicate detection: minutes of a live feed
LOUD_LOGS = 5

_SAME = object()  # "no difference" from _diff
_MISSING = object()
_SUBSCRIBED = object()  # a connection's subscribe reply was handled


class LiveFeedUnavailable(ServiceUnavailable):
    """The live feed cannot be reached (or stays unreachable); the message says where and why."""


class _Dropped(Exception):
    """The server ended or broke the connection in a way worth a reconnect."""


class SignalRClient:
    def __init__(self, url: str = DEFAULT_URL, *, topics: Iterable[str] = TOPICS, protocol: str | None = None,
                 access_token: str | None = None, connect_attempts: int = 3, max_failures: int = 30,
                 backoff_s: float = 0.5, max_backoff_s: float = 30.0, timeout_s: float = 10.0,
                 read_timeout_s: float = 60.0, linger_s: float = 30.0, stop: asyncio.Event | None = None):
        self.url = url.rstrip("/")
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"F1 live timing URL {url!r}: give an http(s) URL such as {DEFAULT_URL}")
        self.host = parts.netloc
        self.protocol = protocol or ("core" if parts.path.rstrip("/").endswith("signalrcore") else "classic")
        if self.protocol not in ("classic", "core"):
            raise ValueError(f"SignalR protocol {self.protocol!r}: classic or core")
        self.topics = list(topics)
        self.access_token = access_token
        self.connect_attempts = connect_attempts
        self.max_failures = max_failures
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.timeout_s, self.read_timeout_s, self.linger_s = timeout_s, read_timeout_s, linger_s
        self.stop = stop
        self.counters: Counter[str] = Counter()
        self.t0_utc: dt.datetime | None = None
        self.last_t = 0.0  # session time of the newest line delivered
        self._mirror: dict[str, Any] = {}
        self._recent: collections.deque[tuple[str, str, int]] = collections.deque()
        self._recent_keys: set[tuple[str, str, int]] = set()
        self._pending: list[tuple[str, str]] = []  # subscribe-reply lines waiting for the origin
        self._subscribed_before = False
        self.ended = False

    # -- the stream ------------------------------------------------------------------------

    async def lines(self) -> AsyncIterator[tuple[str, bytes]]:
        """Every message as ``(stream, b"HH:MM:SS.mmm{json}")`` until the session ends."""
        failures = 0
        while not self._stopped():
            subscribed = False
            try:
                async for item in self._connection():
                    if item is _SUBSCRIBED:
                        if self.counters["connections"]:
                            self.counters["reconnects"] += 1
                        self.counters["connections"] += 1
                        subscribed, failures = True, 0
                        continue
                    yield item
                reason = "the server closed the connection"
            except (OSError, TimeoutError, httpx.HTTPError, WebSocketException, _Dropped, ValueError, KeyError) as exc:
                reason = _describe(exc)
            if self.ended or self._stopped():
                return
            failures += 1
            if subscribed:
                self.counters["connection_lost"] += 1
            if not self.counters["connections"] and failures >= self.connect_attempts:
                raise LiveFeedUnavailable(f"F1 live timing at {self.host}: {reason} ({failures} attempts); "
                                          "check the network connection and the live-timing URL")
            if failures > self.max_failures:
                raise LiveFeedUnavailable(f"F1 live timing at {self.host}: connection lost and {failures - 1} "
                                          f"reconnects failed (last: {reason})")
            delay = min(self.max_backoff_s, self.backoff_s * 2 ** (failures - 1)) * random.uniform(0.8, 1.2)
            log.warning("F1 live timing at %s: %s (last line at t=%.3f); reconnecting in %.1f s",
                        self.host, reason, self.last_t, delay)
            await self._sleep(delay)

    def _stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    async def _sleep(self, seconds: float) -> None:
        await sleep_unless_stopped(self.stop, seconds)

    # -- one connection ----------------------------------------------------------------------

    async def _connection(self) -> AsyncIterator[Any]:
        async with httpx.AsyncClient(timeout=self.timeout_s, headers={"User-Agent": USER_AGENT}) as http:
            ws_url, headers = await (self._negotiate_core(http) if self.protocol == "core"
                                     else self._negotiate_classic(http))
        # A short close timeout: leaving (a stop, a dead link) must not wait on the server's goodbye.
        async with websockets.connect(ws_url, additional_headers=headers, user_agent_header=USER_AGENT,
                                      open_timeout=self.timeout_s, close_timeout=1.0, max_size=None,
                                      max_queue=None) as ws:
            if self.protocol == "core":
                await ws.send(json.dumps({"protocol": "json", "version": 1}) + RECORD_SEPARATOR)
                await ws.send(json.dumps({"type": 1, "invocationId": "0", "target": "Subscribe",
                                          "arguments": [self.topics]}) + RECORD_SEPARATOR)
                frames = self._core_frame
            else:
                await ws.send(json.dumps({"H": HUB, "M": "Subscribe", "A": [self.topics], "I": 1}))
                frames = self._classic_frame
            pinger = asyncio.ensure_future(self._ping(ws)) if self.protocol == "core" else None
            try:
                async for item in self._receive(ws, frames):
                    yield item
            finally:
                if pinger is not None:
                    pinger.cancel()

    async def _receive(self, ws, frames) -> AsyncIterator[Any]:
        loop = asyncio.get_running_loop()
        last_frame = loop.time()
        while not self._stopped():
            quiet = self.linger_s if self.ended else self.read_timeout_s
            try:
                # Short waits, so a stop request is seen even while the feed is quiet.
                raw = await asyncio.wait_for(ws.recv(), min(1.0, max(0.01, last_frame + quiet - loop.time())))
            except TimeoutError:
                if loop.time() - last_frame < quiet:
                    continue
                if self.ended:
                    return
                raise _Dropped(f"no frame for {quiet:.0f} s") from None
            except ConnectionClosedOK:
                return
            last_frame = loop.time()
            for item in frames(raw):
                yield item

    async def _ping(self, ws) -> None:
        # SignalR Core servers drop clients silent for 30 s.
        while True:
            await asyncio.sleep(15)
            await ws.send(json.dumps({"type": 6}) + RECORD_SEPARATOR)

    async def _negotiate_classic(self, http: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
        data = json.dumps([{"name": HUB}], separators=(",", ":"))
        r = await http.get(f"{self.url}/negotiate", params={"connectionData": data, "clientProtocol": "1.5"})
        r.raise_for_status()
        token = r.json()["ConnectionToken"]
        query = urllib.parse.urlencode({"transport": "webSockets", "clientProtocol": "1.5",
                                        "connectionToken": token, "connectionData": data})
        return f"{_ws_url(self.url)}/connect?{query}", _cookies(http)

    async def _negotiate_core(self, http: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
        auth = {"Authorization": f"Bearer {self.access_token}"} if self.access_token else {}
        try:  # the load balancer's AWSALBCORS cookie, as FastF1 fetches it first
            await http.options(f"{self.url}/negotiate")
        except httpx.HTTPError:
            pass
        r = await http.post(f"{self.url}/negotiate", params={"negotiateVersion": "1"}, headers=auth)
        r.raise_for_status()
        body = r.json()
        token = body.get("connectionToken") or body["connectionId"]
        return f"{_ws_url(self.url)}?id={urllib.parse.quote(token)}", {**_cookies(http), **auth}

    # -- frames ---------------------------------------------------------------------------

    def _classic_frame(self, raw: str | bytes) -> Iterator[Any]:
        frame = self._json(raw)
        if not isinstance(frame, dict):
            return
        if "I" in frame and ("R" in frame or "E" in frame):  # the reply to Subscribe
            if frame.get("E"):
                raise _Dropped(f"the hub refused the subscription: {str(frame['E'])[:200]}")
            yield from self._initial_state(frame.get("R"))
            return
        messages = frame.get("M")
        if not messages:
            self.counters["keepalives" if not frame else "control_frames"] += 1
            return
        for m in messages if isinstance(messages, list) else ():
            if isinstance(m, dict) and str(m.get("M", "")).lower() == "feed":
                yield from self._message(m.get("A"))

    def _core_frame(self, raw: str | bytes) -> Iterator[Any]:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        for record in text.split(RECORD_SEPARATOR):
            if not record:
                continue
            message = self._json(record)
            if not isinstance(message, dict):
                continue
            kind = message.get("type")
            if kind is None:  # the handshake reply
                if message.get("error"):
                    raise _Dropped(f"handshake refused: {str(message['error'])[:200]}")
            elif kind == 1 and str(message.get("target", "")).lower() == "feed":
                yield from self._message(message.get("arguments"))
            elif kind == 3 and message.get("invocationId") == "0":
                if message.get("error"):
                    raise _Dropped(f"the hub refused the subscription: {str(message['error'])[:200]}")
                yield from self._initial_state(message.get("result"))
            elif kind == 6:
                self.counters["keepalives"] += 1
            elif kind == 7:
                raise _Dropped(f"the server closed the connection ({message.get('error') or 'no reason'})")

    def _json(self, raw: str | bytes) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            self._count("bad_frames", repr(raw[:60]))
            return None

    def _count(self, reason: str, detail: str) -> None:
        self.counters[reason] += 1
        level = logging.WARNING if self.counters[reason] <= LOUD_LOGS else logging.DEBUG
        log.log(level, "F1 live timing: %s: %s", reason, detail)

    # -- messages -------------------------------------------------------------------------

    def _message(self, triple: Any) -> Iterator[tuple[str, bytes]]:
        if not (isinstance(triple, list) and len(triple) == 3 and isinstance(triple[0], str)):
            self._count("bad_messages", repr(triple)[:60])
            return
        stream, data, utc = triple
        when = parse_utc(utc)
        if when is None or not isinstance(data, dict | str):
            self._count("bad_messages", f"{stream} at {str(utc)[:40]}")
            return
        body = _body(data)
        key = (stream, str(utc), hash(body))
        if key in self._recent_keys:
            self._count("duplicates", f"{stream} at {utc} delivered again")
            return
        self._remember(key)
        if self.t0_utc is None:
            self.t0_utc = when
        t = (when - self.t0_utc).total_seconds()
        if t < 0:
            self._count("before_origin", f"{stream} at {utc} is older than the session origin")
            t = 0.0
        yield from self._flush_pending()
        self._merge(stream, data)
        self.last_t = max(self.last_t, t)
        yield stream, _line(t, body)

    def _initial_state(self, state: Any) -> Iterator[Any]:
        if not isinstance(state, dict):
            self._count("bad_frames", "subscribe reply without a state")
            state = {}
        if self.t0_utc is None:
            heartbeat = state.get("Heartbeat")
            self.t0_utc = parse_utc(heartbeat.get("Utc")) if isinstance(heartbeat, dict) else None
        for topic, value in state.items():
            if not isinstance(value, dict | str) or value in ({}, ""):
                continue
            old = self._mirror.get(topic, _MISSING)
            delta = value if old is _MISSING else _diff(old, value)
            if delta is _SAME:
                continue
            if self._subscribed_before:
                self.counters["resync_streams"] += 1
                log.warning("F1 live timing: %s changed while disconnected; applying the difference at t=%.3f",
                            topic, self.last_t)
            self._merge(topic, delta)
            self._pending.append((topic, _body(delta)))
        if self.t0_utc is not None:
            yield from self._flush_pending()
        self._subscribed_before = True
        yield _SUBSCRIBED

    def _flush_pending(self) -> Iterator[tuple[str, bytes]]:
        pending, self._pending = self._pending, []
        for topic, body in pending:
            yield topic, _line(self.last_t, body)

    def _remember(self, key: tuple[str, str, int]) -> None:
        self._recent.append(key)
        self._recent_keys.add(key)
        if len(self._recent) > RECENT_MESSAGES:
            self._recent_keys.discard(self._recent.popleft())

    def _merge(self, stream: str, data: Any) -> None:
        current = self._mirror.get(stream)
        if isinstance(data, dict) and isinstance(current, dict):
            merge_delta(current, data)
        else:
            self._mirror[stream] = json_copy(data)
        if stream == "SessionStatus" and isinstance(data, dict) and data.get("Status") == ENDED_STATUS:
            self.ended = True


# -- the inverse of SignalR's merge rules (``sideline.core.feed_values.merge_delta``) --------

def _diff(old: Any, new: Any) -> Any:
    """The delta that ``merge_delta`` turns ``old`` into ``new`` with, or ``_SAME``."""
    if old == new:
        return _SAME
    if isinstance(old, dict) and isinstance(new, dict):
        out = {}
        for key, value in new.items():
            change = value if key not in old else _diff(old[key], value)
            if change is not _SAME:
                out[key] = change
        gone = [key for key in old if key not in new]
        if gone:
            out[DELETED] = gone
        return out
    if isinstance(old, list) and isinstance(new, list) and len(new) >= len(old):
        patch = {}
        for i, value in enumerate(new):
            change = value if i >= len(old) else _diff(old[i], value)
            if change is not _SAME:
                patch[str(i)] = change
        return patch
    return new


# -- helpers ----------------------------------------------------------------------------------

async def sleep_unless_stopped(stop: asyncio.Event | None, seconds: float) -> None:
    """Sleep ``seconds``, or less when ``stop`` is set meanwhile (the live clients' waits)."""
    if stop is None:
        await asyncio.sleep(seconds)
        return
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass


def _body(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _line(t: float, body: str) -> bytes:
    """A jsonStream line: fixed-width session time, then the JSON."""
    ms = int(round(t * 1000))
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}{body}".encode()


def _ws_url(url: str) -> str:
    return "ws" + url[len("http"):] if url.startswith("http") else url


def _cookies(http: httpx.AsyncClient) -> dict[str, str]:
    jar = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
    return {"Cookie": jar} if jar else {}


def _describe(exc: BaseException) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code} from {exc.request.url.path}"
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return "timed out"
    if isinstance(exc, httpx.TransportError):
        return f"cannot connect ({exc or type(exc).__name__})"
    if isinstance(exc, InvalidStatus):
        return f"WebSocket refused (HTTP {exc.response.status_code})"
    if isinstance(exc, KeyError | ValueError):
        return f"unexpected reply ({type(exc).__name__}: {str(exc)[:100]})"
    if isinstance(exc, OSError):
        return f"cannot connect ({exc.strerror or exc})"
    return str(exc) or type(exc).__name__
