"""Local stand-ins for the live F1 services, serving the recorded 2018 Azerbaijan feed:

- ``SignalRHub``: F1's live-timing hub in the classic SignalR protocol (``/signalr``) and in
  SignalR Core (``/signalrcore``), with a scripted plan of dropped connections;
- ``OpenF1Api``: OpenF1-shaped JSON (``/v1/...``) served up to a clock the test moves.

Both are routes of one Starlette app run by uvicorn in a thread on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import datetime as dt
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from sideline.analytics.motorsport.values import merge_delta
from sideline.ingest.f1 import parse_session_time, recording_lines

# The recording's clock in UTC: race control's first message ("Utc": "2018-04-29T12:07:10") is at
# 00:01:10.485 of the recording, so feed time 0 is about 12:06:00 UTC.
T0_UTC = dt.datetime(2018, 4, 29, 12, 6, 0, tzinfo=dt.UTC)
RS = "\x1e"


def utc_text(t: float) -> str:
    """A live-feed UTC stamp (seven decimals, as the service sends) for feed time ``t``."""
    return (T0_UTC + dt.timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


@dataclasses.dataclass(frozen=True)
class FeedLine:
    t: float
    stream: str
    data: Any
    raw: bytes


def load_feed(folder: Path) -> list[FeedLine]:
    """A recording's lines in delivery order (as ``recording_lines`` gives them), parsed."""

    async def collect() -> list[tuple[str, bytes]]:
        return [item async for item in recording_lines(folder)]

    out = []
    for stream, line in asyncio.run(collect()):
        line = line.lstrip(b"\xef\xbb\xbf").strip()
        if line:
            out.append(FeedLine(parse_session_time(line[:12].decode()), stream, json.loads(line[12:]), line))
    return out


@dataclasses.dataclass(frozen=True)
class Drop:
    """Close the connection after message ``at - 1``; the next one resumes at ``resume``.
    ``resume > at``: the messages in between are lost (a gap; the subscribe reply has them);
    ``resume < at``: the last ``at - resume`` messages are sent again (duplicates)."""

    at: int
    resume: int


class SignalRHub:
    def __init__(self, feed: list[FeedLine], drops: list[Drop] | None = None, keepalive_every: int = 5000,
                 hold_at: int | None = None):
        self.feed = feed
        self.drops = list(drops or [])
        self.hold_at = hold_at  # stop sending there and keep the connection open, silent (a stalled feed)
        self.keepalive_every = keepalive_every
        self.tokens: set[str] = set()
        self.connections: list[dict[str, Any]] = []  # per connection: protocol, headers, topics, sent

    def state_at(self, position: int) -> dict[str, Any]:
        """The merged state of every stream after the first ``position`` messages."""
        state: dict[str, Any] = {}
        for line in self.feed[:position]:
            if isinstance(line.data, dict) and isinstance(state.get(line.stream), dict):
                merge_delta(state[line.stream], line.data)
            else:
                state[line.stream] = json.loads(json.dumps(line.data))
        return state

    def _plan(self, index: int) -> tuple[int, int, int]:
        """(first message, message to stop before, subscribe-reply position) of connection ``index``."""
        start = self.drops[index - 1].resume if index > 0 else 0
        reply_at = max(start, self.drops[index - 1].at) if index > 0 else 0
        stop = self.drops[index].at if index < len(self.drops) else len(self.feed)
        if self.hold_at is not None:
            stop = min(stop, self.hold_at)
        return start, stop, reply_at

    def _batches(self, start: int, stop: int):
        """Messages of one timestamp travel in one frame, as the service batches them."""
        batch: list[FeedLine] = []
        for line in self.feed[start:stop]:
            if batch and line.t != batch[-1].t:
                yield batch
                batch = []
            batch.append(line)
        if batch:
            yield batch

    # -- classic --------------------------------------------------------------------------

    async def negotiate_classic(self, request: Request) -> Response:
        data = json.loads(request.query_params.get("connectionData", "[]"))
        if request.query_params.get("clientProtocol") != "1.5" or data != [{"name": "Streaming"}]:
            return JSONResponse({"error": "bad negotiate"}, status_code=400)
        token = uuid.uuid4().hex
        self.tokens.add(token)
        response = JSONResponse({"Url": "/signalr", "ConnectionToken": token, "ConnectionId": token[:8],
                                 "KeepAliveTimeout": 20.0, "DisconnectTimeout": 30.0, "TryWebSockets": True,
                                 "ProtocolVersion": "1.5"})
        response.set_cookie("GCLB", "affinity-" + token[:6])
        return response

    async def connect_classic(self, ws: WebSocket) -> None:
        q = ws.query_params
        if q.get("connectionToken") not in self.tokens or q.get("transport") != "webSockets":
            await ws.close(code=4400)
            return
        await ws.accept()
        record = self._record(ws, "classic")
        await ws.send_text(json.dumps({"C": "d-1,0|A,0", "S": 1, "M": []}))
        call = json.loads(await ws.receive_text())
        assert call["H"] == "Streaming" and call["M"] == "Subscribe", call
        record["topics"] = call["A"][0]
        start, stop, reply_at = self._plan(len(self.connections) - 1)
        await ws.send_text(json.dumps({"R": self._reply(reply_at, record["topics"]), "I": str(call["I"])}))
        await ws.send_text("{}")  # a keep-alive
        try:
            for batch in self._batches(start, stop):
                frame = {"C": f"d-{record['sent']}", "M": [
                    {"H": "Streaming", "M": "feed", "A": [line.stream, line.data, utc_text(line.t)]} for line in batch]}
                await ws.send_text(json.dumps(frame))
                record["sent"] += len(batch)
                if record["sent"] % self.keepalive_every < len(batch):
                    await ws.send_text("{}")
        except WebSocketDisconnect:
            return
        if stop == self.hold_at:
            try:  # silent, still connected, until the client leaves
                await asyncio.wait_for(ws.receive(), 60)
            except (TimeoutError, WebSocketDisconnect):
                pass
            return
        await ws.close(code=1000 if stop == len(self.feed) else 1012)

    # -- Core -----------------------------------------------------------------------------

    async def negotiate_core(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            response = Response(status_code=204)
            response.set_cookie("AWSALBCORS", "lb-1")
            return response
        if request.query_params.get("negotiateVersion") != "1":
            return JSONResponse({"error": "bad negotiate"}, status_code=400)
        token = uuid.uuid4().hex
        self.tokens.add(token)
        return JSONResponse({"negotiateVersion": 1, "connectionId": token[:8], "connectionToken": token,
                             "availableTransports": [{"transport": "WebSockets", "transferFormats": ["Text"]}]})

    async def connect_core(self, ws: WebSocket) -> None:
        if ws.query_params.get("id") not in self.tokens:
            await ws.close(code=4400)
            return
        await ws.accept()
        record = self._record(ws, "core")
        handshake = await ws.receive_text()
        assert json.loads(handshake.rstrip(RS)) == {"protocol": "json", "version": 1}, handshake
        await ws.send_text("{}" + RS)
        call = json.loads((await ws.receive_text()).rstrip(RS))
        assert call["type"] == 1 and call["target"] == "Subscribe", call
        record["topics"] = call["arguments"][0]
        start, stop, reply_at = self._plan(len(self.connections) - 1)
        await ws.send_text(json.dumps({"type": 3, "invocationId": call["invocationId"],
                                       "result": self._reply(reply_at, record["topics"])}) + RS)
        try:
            for batch in self._batches(start, stop):
                await ws.send_text("".join(json.dumps({"type": 1, "target": "feed", "arguments": [
                    line.stream, line.data, utc_text(line.t)]}) + RS for line in batch))
                record["sent"] += len(batch)
                if record["sent"] % self.keepalive_every < len(batch):
                    await ws.send_text(json.dumps({"type": 6}) + RS)
        except WebSocketDisconnect:
            return
        if stop == len(self.feed):
            await ws.send_text(json.dumps({"type": 7}) + RS)
            await ws.close(code=1000)
        else:
            await ws.close(code=1012)

    def _record(self, ws: WebSocket, protocol: str) -> dict[str, Any]:
        record = {"protocol": protocol, "headers": dict(ws.headers), "topics": None, "sent": 0}
        self.connections.append(record)
        return record

    def _reply(self, position: int, topics: list[str]) -> dict[str, Any]:
        state = self.state_at(position)
        return {topic: state.get(topic, {}) for topic in topics}

    def routes(self) -> list:
        return [Route("/signalr/negotiate", self.negotiate_classic),
                WebSocketRoute("/signalr/connect", self.connect_classic),
                Route("/signalrcore/negotiate", self.negotiate_core, methods=["POST", "OPTIONS"]),
                WebSocketRoute("/signalrcore", self.connect_core)]


class OpenF1Api:
    """``/v1/<endpoint>?session_key=..&<field>>value``: the rows available at the server's clock
    (``_available``, feed seconds; a row with ``_versions`` shows its latest version so far, as
    OpenF1 updates laps and stints in place), filtered the way OpenF1 filters (``>``, ``>=``, ``<``, ``=``)."""

    def __init__(self, tables: dict[str, list[dict[str, Any]]], session_key: int, *, step: float, end: float):
        self.tables = tables  # each row may carry "_available" (feed time it appears) and "_versions"
        self.session_key = session_key
        # Live time moves on by ``step`` feed seconds with each poll (each "position" request).
        self.step, self.end = step, end
        self.clock = -step
        self.requests: list[str] = []
        self._indexed: dict[str, tuple] = {}

    def _index(self, endpoint: str) -> tuple[list[float], list[dict[str, Any]], list[str] | None]:
        """Plain rows sorted by availability (and their dates, when that is also date order)."""
        if endpoint not in self._indexed:
            plain = sorted((r for r in self.tables[endpoint] if "_versions" not in r),
                           key=lambda r: r.get("_available", float("-inf")))
            dates = [r.get("date") for r in plain]
            in_order = all(isinstance(d, str) for d in dates) and dates == sorted(dates)
            self._indexed[endpoint] = ([r.get("_available", float("-inf")) for r in plain],
                                       [{k: v for k, v in r.items() if not k.startswith("_")} for r in plain],
                                       dates if in_order else None)
        return self._indexed[endpoint]

    def rows(self, endpoint: str, after_date: str | None = None) -> list[dict[str, Any]]:
        available, plain, dates = self._index(endpoint)
        end = bisect.bisect_right(available, self.clock)
        start = bisect.bisect_right(dates, after_date, 0, end) if after_date is not None and dates else 0
        out = plain[start:end]
        for row in self.tables[endpoint]:
            versions = row.get("_versions")
            if versions is not None:  # a row OpenF1 updates in place (a lap, a stint's lap_end)
                current = [v for v in versions if v["_available"] <= self.clock]
                if current:
                    out.append({k: v for k, v in {**row, **current[-1]}.items() if not k.startswith("_")})
        return out

    async def endpoint(self, request: Request) -> Response:
        name = request.path_params["name"]
        self.requests.append(f"{name}?{request.url.query}")
        if name == "position":
            self.clock = min(self.end, self.clock + self.step)
        if name not in self.tables:
            return JSONResponse({"detail": "Not found"}, status_code=404)
        filters = _filters(request.url.query)
        after = next((value for key, op, value in filters if key == "date" and op == ">"), None)
        rows = self.rows(name, after)
        for key, op, value in filters:
            if key == "session_key":
                if value not in (str(self.session_key), "latest"):
                    rows = []
                continue
            rows = [r for r in rows if r.get(key) is not None and _compare(r[key], op, value)]
        return JSONResponse(rows)

    def routes(self) -> list:
        return [Route("/v1/{name}", self.endpoint)]


def _filters(query: str) -> list[tuple[str, str, str]]:
    from urllib.parse import unquote

    out = []
    for part in query.split("&"):
        part = unquote(part)
        for op in (">=", "<=", ">", "<", "="):
            if op in part:
                key, value = part.split(op, 1)
                out.append((key, op, value))
                break
    return out


def _compare(have: Any, op: str, text: str) -> bool:
    value: Any = type(have)(text) if isinstance(have, int | float) and not isinstance(have, bool) else text
    return {">": have > value, ">=": have >= value, "<": have < value, "<=": have <= value, "=": have == value}[op]


class LocalServer:
    """Runs ``routes`` on 127.0.0.1 (a free port) in a uvicorn thread until ``close()``."""

    def __init__(self, routes: list):
        self.app = Starlette(routes=routes)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan="off", ws="websockets-sansio"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the local test server did not start")
            time.sleep(0.01)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.01)
