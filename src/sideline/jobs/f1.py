"""Formula 1 jobs: import a recorded session from uploaded ``.jsonStream`` files, replay it live.

``f1.import`` turns an organisation's uploads into a public ``f1_session`` dataset (the raw
lines, session metadata and drivers; docs/motorsport.md "Live timing"); importing the same
files again returns the session already stored. ``f1.replay`` plays the stored lines through
the live path (``sideline.live.f1_sessions.SessionRunner``) at 1x-100x or as fast as possible
(``speed: null``), publishing deltas on ``public:f1:<session_id>``, checkpointing the snapshot
and tables every few seconds and storing them all at the end. Speed and pause are read from
the job's ``params`` while it runs; stopping is cancelling the job (what was played is kept).
``f1.live`` follows a session as it happens (``source``: ``live_signalr``, F1's own feed, or
``openf1``) through the same runner, storing the lines it receives as the session's feed so it
can be replayed afterwards; the services' URLs come from the server's environment (below).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from sideline.errors import Conflict, InvalidInput, NotFound
from sideline.jobs.execution import JobCancelled, JobContext
from sideline.jobs.registry import job_type
from sideline.jobs.service import create_job
from sideline.storage import f1 as f1_store
from sideline.storage.models import FileStatus, Job, JobState, StoredFile, utcnow
from sideline.storage.uploads import sanitize_filename

IMPORT_JOB, REPLAY_JOB, LIVE_JOB = "f1.import", "f1.replay", "f1.live"
MAX_FILES = 40
SUFFIX = ".jsonStream"
ACTIVE = (JobState.queued, JobState.running)


# -- import ------------------------------------------------------------------------------

def _file_ids(params: dict[str, Any]) -> list[uuid.UUID]:
    files = params.get("files")
    if not isinstance(files, list) or not 1 <= len(files) <= MAX_FILES:
        raise InvalidInput(f"files: give a list of 1 to {MAX_FILES} uploaded file ids (the session's {SUFFIX} files)")
    try:
        return [uuid.UUID(str(f)) for f in files]
    except ValueError:
        raise InvalidInput("files: every item must be an uploaded file id") from None


def validate_import(params: dict[str, Any]) -> None:
    _file_ids(params)
    name = params.get("name")
    if name is not None and (not isinstance(name, str) or not 1 <= len(name.strip()) <= 300):
        raise InvalidInput("name: 1 to 300 characters")
    rnd = params.get("round")
    if rnd is not None and (isinstance(rnd, bool) or not isinstance(rnd, int) or not 1 <= rnd <= 30):
        raise InvalidInput("round: a whole number from 1 to 30")


def check_files(session: Session, organisation_id: uuid.UUID, params: dict[str, Any]) -> None:
    """Every file is a ready upload of this organisation named ``<Stream>.jsonStream``."""
    streams: set[str] = set()
    for file_id in _file_ids(params):
        f = session.get(StoredFile, file_id)
        if f is None or f.organisation_id != organisation_id:
            raise NotFound(f"files: no file {file_id} in this organisation")
        if f.status != FileStatus.ready:
            raise InvalidInput(f"files: {f.filename} is not completely uploaded (status {f.status.value})")
        stream = _stream_name(f.filename)
        if stream in streams:
            raise InvalidInput(f"files: {f.filename}: two files for the stream {stream}")
        streams.add(stream)


def _stream_name(filename: str) -> str:
    if not filename.endswith(SUFFIX) or len(filename) == len(SUFFIX):
        raise InvalidInput(f"{filename}: an F1 recording file is named <Stream>{SUFFIX} (e.g. TimingData{SUFFIX})")
    return filename[: -len(SUFFIX)]


def _materialise(ctx: JobContext, folder: Path) -> list[dict[str, str]]:
    source = []
    with ctx.db.session() as s:
        for file_id in _file_ids(ctx.params):
            f = s.get(StoredFile, file_id)
            if f is None or f.organisation_id != ctx.organisation_id or f.status != FileStatus.ready:
                raise NotFound(f"files: file {file_id} is gone")
            name = sanitize_filename(f.filename)
            _stream_name(name)
            with ctx.env.blobs.open_read(f.blob_key) as reader, (folder / name).open("wb") as out:
                while chunk := reader.read(1 << 20):
                    out.write(chunk)
            source.append({"filename": name, "sha256": f.sha256})
    return sorted(source, key=lambda item: item["filename"])


def read_feed(folder: Path) -> pl.DataFrame:
    """A recording's raw lines in delivery order (``recording_lines``) with their feed time;
    a line without a readable time takes the previous line's, so the order survives storage."""
    from sideline.ingest.f1 import parse_session_time, recording_lines

    async def collect() -> list[tuple[str, bytes]]:
        return [item async for item in recording_lines(folder)]

    rows = asyncio.run(collect())
    times, latest = [], 0.0
    for _, line in rows:
        t = parse_session_time(line.lstrip(b"\xef\xbb\xbf")[:12].decode("ascii", "replace"))
        latest = max(latest, t) if t is not None else latest
        times.append(latest)
    return pl.DataFrame({"t": times, "stream": [r[0] for r in rows], "line": [r[1] for r in rows]},
                        schema=f1_store.FEED_SCHEMA)


def session_meta(folder: Path) -> dict[str, Any]:
    """Session, drivers and clock origin from the small streams (SessionInfo, DriverList, SessionStatus)."""
    from sideline.analytics.motorsport import SessionState
    from sideline.ingest.f1 import FeedParser

    parser, state = FeedParser(), SessionState()
    messages = []
    for stream in ("SessionInfo", "DriverList", "SessionStatus"):
        path = folder / f"{stream}{SUFFIX}"
        if path.is_file():
            messages += [m for line in path.read_bytes().splitlines()
                         if (m := parser.parse_stream_line(stream, line)) is not None]
    for message in sorted(messages, key=lambda m: m.t):
        state.apply(message)
    info = state.raw.get("SessionInfo", {})
    session = state.session()
    start_utc = _start_utc(info)
    t0_utc = start_utc - dt.timedelta(seconds=state.started_t) if start_utc and state.started_t is not None else None
    drivers = [{k: d.fields()[k] for k in ("number", "tla", "name", "team", "team_colour")}
               for d in sorted(state.drivers.values(), key=lambda d: int(d.number) if d.number.isdigit() else 999)]
    return {"session_name": session["name"], "session_type": session["type"], "meeting": session["meeting"],
            "circuit": session["circuit"], "session_key": info.get("Key"), "year": start_utc.year if start_utc else None,
            "start_utc": start_utc.isoformat() if start_utc else None,
            "t0_utc": t0_utc.isoformat() if t0_utc else None, "drivers": drivers}


def _start_utc(info: dict[str, Any]) -> dt.datetime | None:
    try:
        local = dt.datetime.fromisoformat(str(info["StartDate"]))
        sign = -1 if str(info.get("GmtOffset", "")).startswith("-") else 1
        h, m, *_ = (int(x) for x in str(info.get("GmtOffset", "00:00:00")).lstrip("-+").split(":"))
    except (KeyError, ValueError):
        return None
    return (local - sign * dt.timedelta(hours=h, minutes=m)).replace(tzinfo=dt.UTC)


@job_type(IMPORT_JOB, queue="ingest", description="Imports a recorded F1 session (.jsonStream files) as a public session",
          validate=validate_import, max_attempts=1, generic_api=False)
def import_session(ctx: JobContext) -> dict:
    with tempfile.TemporaryDirectory(prefix="sideline-f1-") as tmp:
        folder = Path(tmp)
        ctx.progress(5, "Fetching the uploaded files")
        source = _materialise(ctx, folder)
        ctx.progress(30, "Reading the feed")
        feed = read_feed(folder)
        meta = session_meta(folder)
    if meta["session_name"] is None and not ctx.params.get("name"):
        raise InvalidInput(f"No session information (SessionInfo{SUFFIX}) among the files: give the session a name")
    fingerprint = hashlib.sha256("\n".join(f"{s['filename']}:{s['sha256']}" for s in source).encode()).hexdigest()
    name = (ctx.params.get("name") or "").strip() or " ".join(
        str(p) for p in (meta["year"], meta["meeting"], meta["session_name"]) if p)
    ctx.progress(70, "Saving the session")

    def store(session: Session) -> dict:
        existing = f1_store.find_by_fingerprint(session, fingerprint)
        if existing is not None:
            return {"session_id": str(existing.id), "name": existing.name, "existing": True}
        starts_at = dt.datetime.fromisoformat(meta["start_utc"]) if meta["start_utc"] else None
        dataset = f1_store.create_session(session, ctx.env.blobs, name=name, feed=feed, starts_at=starts_at, meta={
            "name": name, **meta, "round": ctx.params.get("round"), "streams": sorted(set(feed["stream"].to_list())),
            "lines": feed.height, "source": {"files": source, "fingerprint": fingerprint},
            "replay": {"state": "none"}, "results": None})
        return {"session_id": str(dataset.id), "name": name, "existing": False}

    return ctx.run_step("store", store) or {}


# -- replay ------------------------------------------------------------------------------

def check_speed(speed: Any) -> float | None:
    from sideline.ingest.f1.clock import MAX_SPEED, MIN_SPEED

    if speed is None:
        return None
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not MIN_SPEED <= speed <= MAX_SPEED:
        raise InvalidInput(f"speed {speed!r}: must be between {MIN_SPEED:g} and {MAX_SPEED:g} (or null: as fast as possible)")
    return float(speed)


def validate_replay(params: dict[str, Any]) -> None:
    try:
        uuid.UUID(str(params.get("session_id")))
    except ValueError:
        raise InvalidInput("session_id: an F1 session id is required") from None
    check_speed(params.get("speed"))
    if not isinstance(params.get("paused", False), bool):
        raise InvalidInput("paused: true or false")


def active_replay(session: Session, dataset) -> Job | None:
    job_id = ((dataset.meta or {}).get("replay") or {}).get("job_id")
    job = session.get(Job, uuid.UUID(job_id)) if job_id else None
    return job if job is not None and job.state in ACTIVE else None


def start_replay(session: Session, organisation_id: uuid.UUID, session_id: uuid.UUID, speed: float | None,
                 user_id: uuid.UUID | None) -> Job:
    """Create the replay job (the caller commits and dispatches); one replay per session at a time."""
    params = {"session_id": str(session_id), "speed": speed, "paused": False}
    validate_replay(params)
    dataset = f1_store.get_session(session, session_id, for_update=True)
    if active_replay(session, dataset) is not None:
        raise Conflict("A replay of this session is already running; stop it first")
    job = create_job(session, organisation_id, REPLAY_JOB, params, created_by_id=user_id, max_attempts=1)
    f1_store.set_replay(session, dataset.id, job_id=str(job.id), organisation_id=str(organisation_id),
                        state="queued", speed=speed, paused=False, started_at=None, finished_at=None)
    return job


def controlled_replay(session: Session, organisation_id: uuid.UUID, session_id: uuid.UUID) -> Job:
    dataset = f1_store.get_session(session, session_id)
    job = active_replay(session, dataset)
    if job is None:
        raise Conflict("No replay of this session is running")
    if job.organisation_id != organisation_id:
        raise Conflict("This replay was started by another organisation; only it can control it")
    return job


def change_replay(session: Session, job: Job, *, speed: Any = ..., paused: bool | None = None) -> dict[str, Any]:
    params = dict(job.params)
    if speed is not ...:
        params["speed"] = check_speed(speed)
    if paused is not None:
        params["paused"] = bool(paused)
    job.params = params
    job.updated_at = utcnow()
    return f1_store.set_replay(session, uuid.UUID(params["session_id"]), speed=params["speed"], paused=params["paused"])


@job_type(REPLAY_JOB, queue="default", description="Replays an F1 session live (1x-100x) and stores its tables",
          validate=validate_replay, max_attempts=1, generic_api=False)
def replay_session(ctx: JobContext) -> dict:
    from sideline.live import f1_sessions

    session_id = uuid.UUID(str(ctx.params["session_id"]))
    with ctx.db.session() as s:
        dataset = f1_store.get_session(s, session_id, for_update=True)
        other = active_replay(s, dataset)
        if other is not None and other.id != ctx.job_id:
            raise Conflict("Another replay of this session is running")
        feed = f1_store.load_feed(s, ctx.env.blobs, dataset)
        meta = dict(dataset.meta or {})
        f1_store.set_replay(s, session_id, job_id=str(ctx.job_id), state="running", started_at=utcnow().isoformat())
    last_t = float(feed["t"][-1]) if feed.height else 1.0
    publish = ctx.env.publish

    def control() -> f1_sessions.Control:
        with ctx.db.session() as s:
            job = s.get(Job, ctx.job_id)
            if job is None:
                return f1_sessions.Control(None, stop=True)
            params = job.params or {}
            return f1_sessions.Control(params.get("speed"), bool(params.get("paused")),
                                       job.cancel_requested or job.state != JobState.running or ctx.lost.is_set())

    def save(runner: f1_sessions.SessionRunner) -> None:
        with runner.lock:
            snapshot = runner._snapshot_locked()
            laps, stints, stops = runner.state.laps(), runner.state.stints(), runner.state.pit_stops()
        with ctx.db.session() as s:
            f1_store.save_results(s, ctx.env.blobs, session_id, snapshot=snapshot, laps=laps, stints=stints,
                                  pit_stops=stops)

    def checkpoint(runner: f1_sessions.SessionRunner) -> None:
        save(runner)
        try:
            ctx.progress(100 * min(1.0, (runner.state.t or 0.0) / last_t), f"Lap {runner.state.current_lap() or 0}")
        except JobCancelled:
            pass  # noticed by the next control poll, which stops the run and keeps what was played

    async def lines():
        for stream, line in zip(feed["stream"], feed["line"], strict=True):
            yield stream, line

    def prior(snapshot: dict[str, Any]) -> tuple[dict[str, float], str]:
        # The pre-race model's chances when it knows this race (f1db), else the grid, as over REST.
        from sideline.jobs.f1_models import session_prior

        return session_prior(snapshot, meta.get("year"), meta.get("round"), ctx.env.blobs)

    runner = f1_sessions.SessionRunner(str(session_id), publish, _latest_seq(ctx), control=control,
                                       speed=ctx.params.get("speed"), on_checkpoint=checkpoint, prior=prior)
    f1_sessions.register(runner)
    try:
        status = asyncio.run(runner.run(lines()))
    except BaseException:
        with ctx.db.session() as s:
            f1_store.set_replay(s, session_id, state="failed", finished_at=utcnow().isoformat())
        raise
    finally:
        f1_sessions.unregister(runner)
    save(runner)
    with ctx.db.session() as s:
        f1_store.set_replay(s, session_id, state=status, finished_at=utcnow().isoformat())
    if status == "stopped":  # a stop is this job's cancellation, whether or not a heartbeat saw it yet
        ctx.cancel_requested.set()
    return {"session_id": str(session_id), "state": status, "messages": runner.messages, "seq": runner.seq,
            "laps": runner.state.laps().height}


def _latest_seq(ctx: JobContext):
    """The channel's latest seq (the job environment carries only ``publish``)."""
    pubsub = getattr(getattr(ctx.env.publish, "__self__", None), "latest_seq", None)
    return pubsub if pubsub is not None else (lambda channel: 0)


# -- live --------------------------------------------------------------------------------------

LIVE_SOURCES = ("live_signalr", "openf1")
STOP_WATCH_S = 1.0
# Where the live services are: the server's configuration, never a request's (no caller can
# point the server at an address of their choosing).
LIVE_ENV = {
    "signalr_url": ("SIDELINE_F1_SIGNALR_URL", "https://livetiming.formula1.com/signalr"),
    "signalr_token": ("SIDELINE_F1_SIGNALR_TOKEN", None),  # an F1 TV account's token (SignalR Core)
    "openf1_url": ("SIDELINE_F1_OPENF1_URL", "https://api.openf1.org/v1"),
    "openf1_token": ("SIDELINE_F1_OPENF1_TOKEN", None),
    "openf1_poll_s": ("SIDELINE_F1_OPENF1_POLL_S", "4"),
}


def live_settings(env: dict[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if env is None else env
    values = {key: (env.get(name) or "").strip() or default for key, (name, default) in LIVE_ENV.items()}
    try:
        values["openf1_poll_s"] = max(0.05, float(values["openf1_poll_s"]))
    except ValueError:
        raise InvalidInput(f"SIDELINE_F1_OPENF1_POLL_S={values['openf1_poll_s']!r}: a number of seconds") from None
    return values


def validate_live(params: dict[str, Any]) -> None:
    source = params.get("source")
    if source not in LIVE_SOURCES:
        raise InvalidInput(f"source {source!r}: one of {', '.join(LIVE_SOURCES)}")
    name = params.get("name")
    if name is not None and (not isinstance(name, str) or not 1 <= len(name.strip()) <= 300
                             or not name.isprintable()):
        raise InvalidInput("name: 1 to 300 printable characters")
    rnd = params.get("round")
    if rnd is not None and (isinstance(rnd, bool) or not isinstance(rnd, int) or not 1 <= rnd <= 30):
        raise InvalidInput("round: a whole number from 1 to 30")
    key = params.get("session_key")
    if key is not None and key != "latest" and (isinstance(key, bool) or not isinstance(key, int) or key < 1):
        raise InvalidInput("session_key: an OpenF1 session key (a positive whole number) or \"latest\"")
    if key is not None and source != "openf1":
        raise InvalidInput("session_key: only for source openf1 (F1's own feed is always the current session)")
    if "session_id" in params:
        try:
            uuid.UUID(str(params["session_id"]))
        except ValueError:
            raise InvalidInput("session_id: an F1 session id") from None


def start_live(session: Session, blobs, organisation_id: uuid.UUID, params: dict[str, Any],
               user_id: uuid.UUID | None) -> Job:
    """A new public session and the job that follows it live (the caller commits and dispatches)."""
    params = {k: v for k, v in params.items() if v is not None and k != "session_id"}
    validate_live(params)
    now = utcnow()
    name = (params.get("name") or "").strip() or f"Live {now:%Y-%m-%d %H:%M} UTC ({params['source']})"
    dataset = f1_store.create_session(session, blobs, name=name, starts_at=None, feed=pl.DataFrame(
        schema=f1_store.FEED_SCHEMA), meta={
        "name": name, "session_name": None, "session_type": None, "meeting": None, "circuit": None,
        "session_key": None, "year": now.year, "start_utc": None, "t0_utc": None, "drivers": [],
        "round": params.get("round"), "streams": [], "lines": 0,
        "source": {"live": params["source"], "fingerprint": None}, "replay": {"state": "none"}, "results": None})
    job = create_job(session, organisation_id, LIVE_JOB, {**params, "session_id": str(dataset.id)},
                     created_by_id=user_id, max_attempts=1)
    f1_store.set_replay(session, dataset.id, job_id=str(job.id), organisation_id=str(organisation_id),
                        state="queued", speed=None, paused=False, started_at=None, finished_at=None)
    return job


def live_client(params: dict[str, Any], settings: dict[str, Any]):
    """The client of ``params["source"]``: something with ``lines()``, ``counters`` and ``t0_utc``."""
    if params["source"] == "live_signalr":
        from sideline.ingest.f1.live_signalr import SignalRClient

        return SignalRClient(settings["signalr_url"], access_token=settings["signalr_token"])
    from sideline.ingest.f1.openf1 import OpenF1Client

    return OpenF1Client(settings["openf1_url"], session_key=params.get("session_key") or "latest",
                        poll_s=settings["openf1_poll_s"], access_token=settings["openf1_token"])


def _live_meta(state, t0_utc: dt.datetime | None, streams: set[str], lines: int) -> dict[str, Any]:
    info = state.raw.get("SessionInfo", {})
    session = state.session()
    start_utc = _start_utc(info)
    drivers = [{k: d.fields()[k] for k in ("number", "tla", "name", "team", "team_colour")}
               for d in sorted(state.drivers.values(), key=lambda d: int(d.number) if d.number.isdigit() else 999)]
    return {"session_name": session["name"], "session_type": session["type"], "meeting": session["meeting"],
            "circuit": session["circuit"], "session_key": info.get("Key"),
            "start_utc": start_utc.isoformat() if start_utc else None,
            "t0_utc": t0_utc.isoformat() if t0_utc else None, "drivers": drivers, "streams": sorted(streams),
            "lines": lines}


@job_type(LIVE_JOB, queue="default", description="Follows an F1 session live (F1's SignalR feed or OpenF1)",
          validate=validate_live, max_attempts=1, generic_api=False)
def live_session(ctx: JobContext) -> dict:
    from sideline.ingest.f1 import parse_session_time
    from sideline.live import f1_sessions

    session_id = uuid.UUID(str(ctx.params["session_id"]))
    try:
        client = live_client(ctx.params, live_settings())
    except (InvalidInput, ValueError) as exc:  # the server's live-source settings are wrong
        _delete_session(ctx, session_id)
        raise InvalidInput(f"Live F1 source not usable: {exc}") from None
    with ctx.db.session() as s:
        dataset = f1_store.get_session(s, session_id, for_update=True)
        other = active_replay(s, dataset)
        if other is not None and other.id != ctx.job_id:
            raise Conflict("Another replay of this session is running")
        f1_store.set_replay(s, session_id, job_id=str(ctx.job_id), state="running", started_at=utcnow().isoformat())
    unsaved: list[tuple[str, bytes]] = []  # lines received since the last checkpoint
    streams: set[str] = set()
    total = 0

    stopped_by_watch = False

    client.stop = asyncio.Event()

    async def lines():
        # The runner looks at stop requests between messages; a feed that is silent or
        # reconnecting is stopped by this watch instead (within a heartbeat).
        watch = asyncio.ensure_future(watch_for_stop(client.stop))
        try:
            async for stream, line in client.lines():
                unsaved.append((stream, line))
                yield stream, line
        finally:
            watch.cancel()

    async def watch_for_stop(stop: asyncio.Event) -> None:
        # The job's heartbeat learns of a cancellation (DELETE .../replay) and sets this event;
        # no database round trip here, the feed's loop must never wait on one.
        nonlocal stopped_by_watch
        while not (ctx.cancel_requested.is_set() or ctx.lost.is_set()):
            await asyncio.sleep(STOP_WATCH_S)
        stopped_by_watch = True
        stop.set()

    def control() -> f1_sessions.Control:
        # Live: no speed and no pause (the feed sets the pace); stopping is cancelling.
        with ctx.db.session() as s:
            job = s.get(Job, ctx.job_id)
            stop = job is None or job.cancel_requested or job.state != JobState.running or ctx.lost.is_set()
        return f1_sessions.Control(None, stop=stop)

    def save(runner: f1_sessions.SessionRunner) -> None:
        nonlocal total
        with runner.lock:
            snapshot = runner._snapshot_locked()
            laps, stints, stops = runner.state.laps(), runner.state.stints(), runner.state.pit_stops()
            batch = unsaved[:]
            del unsaved[:]
        times, latest = [], 0.0
        for _, line in batch:
            t = parse_session_time(line[:12].decode("ascii", "replace"))
            latest = max(latest, t) if t is not None else latest
            times.append(latest)
        streams.update(stream for stream, _ in batch)
        total += len(batch)
        feed = pl.DataFrame({"t": times, "stream": [b[0] for b in batch], "line": [b[1] for b in batch]},
                            schema=f1_store.FEED_SCHEMA)
        with ctx.db.session() as s:
            from sideline.storage.frames import write_frames

            write_frames(s, ctx.env.blobs, session_id, f1_store.FEED, feed, row_group_rows=20_000)
            dataset = f1_store.get_session(s, session_id, for_update=True)
            meta = _live_meta(runner.state, client.t0_utc, streams, total)
            f1_store.update_meta(dataset, **meta, live={"source": ctx.params["source"], "counters": dict(client.counters)})
            if dataset.starts_at is None and meta["start_utc"]:
                dataset.starts_at = dt.datetime.fromisoformat(meta["start_utc"])
            s.flush()
            f1_store.save_results(s, ctx.env.blobs, session_id, snapshot=snapshot, laps=laps, stints=stints,
                                  pit_stops=stops)

    def checkpoint(runner: f1_sessions.SessionRunner) -> None:
        save(runner)
        lap, laps = runner.state.current_lap() or 0, runner.state.total_laps
        try:
            ctx.progress(min(99.0, 100 * lap / laps) if laps else 0.0, f"Lap {lap}" + (f" of {laps}" if laps else ""))
        except JobCancelled:
            pass  # the next control poll stops the run

    runner = f1_sessions.SessionRunner(str(session_id), ctx.env.publish, _latest_seq(ctx), control=control,
                                       speed=None, on_checkpoint=checkpoint)

    async def follow() -> str:
        try:
            return await runner.run(lines())
        finally:
            # The runner leaves the feed's iterator open when it stops; ending the client here
            # closes its connection now (cancelling it at the loop's shutdown could hang).
            client.stop.set()
    f1_sessions.register(runner)
    try:
        status = asyncio.run(follow())
    except BaseException:
        if total == 0 and not unsaved:  # nothing ever arrived: leave no empty public session behind
            _delete_session(ctx, session_id)
            raise
        try:
            save(runner)  # keep what arrived before the failure
        finally:
            with ctx.db.session() as s:
                f1_store.set_replay(s, session_id, state="failed", finished_at=utcnow().isoformat())
        raise
    finally:
        f1_sessions.unregister(runner)
    if stopped_by_watch:
        status = "stopped"
    save(runner)
    with ctx.db.session() as s:
        f1_store.set_replay(s, session_id, state=status, finished_at=utcnow().isoformat())
    if status == "stopped":
        ctx.cancel_requested.set()
    return {"session_id": str(session_id), "state": status, "source": ctx.params["source"],
            "messages": runner.messages, "lines": total, "seq": runner.seq, "laps": runner.state.laps().height,
            "client": dict(client.counters)}


def _delete_session(ctx: JobContext, session_id: uuid.UUID) -> None:
    from sideline.storage.frames import delete_frames

    with ctx.db.session() as s:
        dataset = f1_store.get_session(s, session_id, for_update=True)
        delete_frames(s, ctx.env.blobs, dataset.id)
        s.delete(dataset)
