"""Fetch a past session's recorded live-timing streams from Formula 1's static archive.

Formula 1 keeps every session's feed at ``livetiming.formula1.com/static/<path>/<Stream>.jsonStream``,
in exactly the format the live path reads (a session timestamp, then a JSON delta, per line): the
files fetched here import and replay like the recordings in ``shared/data``. FastF1 resolves a
year, event and session name to that path (it needs the network for the event schedule); a path
can also be given directly. Downloads go to a temporary name and are renamed when complete, so an
interrupted fetch leaves no half-written stream.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from sideline.errors import InvalidInput

log = logging.getLogger(__name__)

BASE_URL = "https://livetiming.formula1.com"
# What the session state machine reads; CarData.z / Position.z are large and optional.
STREAMS = ("SessionInfo", "SessionStatus", "DriverList", "LapCount", "TimingData", "TimingAppData",
           "TrackStatus", "RaceControlMessages")
TELEMETRY_STREAMS = ("CarData.z", "Position.z")
SUFFIX = ".jsonStream"
MAX_STREAM_BYTES = 512 * 1024 * 1024


@dataclass
class FetchResult:
    path: str
    files: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # streams the archive does not have for this session


def session_path(year: int, event: str | int, session: str) -> str:
    """The archive path of a session, e.g. ``2018/2018-04-29_Azerbaijan_Grand_Prix/2018-04-29_Race/``."""
    import fastf1

    try:
        f1_session = fastf1.get_session(year, event, session)
    except ValueError as exc:  # unknown event or session name
        raise InvalidInput(f"{year} {event} {session}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - FastF1 raises many kinds when offline
        raise InvalidInput(f"could not look up {year} {event} {session} with FastF1 (is the network reachable?): {exc}") from None
    path = getattr(f1_session, "api_path", None)
    if not path:
        raise InvalidInput(f"{year} {event} {session}: FastF1 knows no live-timing archive path for this session")
    return normalise_path(path)


def normalise_path(path: str) -> str:
    path = path.strip().strip("/")
    if path.startswith("static/"):
        path = path[len("static/"):]
    if not path or ".." in path.split("/"):
        raise InvalidInput(f"{path!r} is not a live-timing archive path (e.g. 2018/2018-04-29_Azerbaijan_Grand_Prix/2018-04-29_Race)")
    return path + "/"


def fetch_session(path: str, dest: Path, *, base_url: str = BASE_URL, streams: tuple[str, ...] = STREAMS,
                  timeout: float = 30.0) -> FetchResult:
    """Download ``streams`` of the session at ``path`` into ``dest``; a stream the archive lacks is
    listed in ``missing`` (the session still imports: the engine runs on what it has)."""
    import httpx

    path = normalise_path(path)
    dest.mkdir(parents=True, exist_ok=True)
    result = FetchResult(path)
    try:
        with httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, follow_redirects=True) as client:
            for stream in streams:
                target = dest / f"{stream}{SUFFIX}"
                if _download(client, f"/static/{path}{stream}{SUFFIX}", target):
                    result.files.append(target)
                else:
                    result.missing.append(stream)
    except httpx.HTTPError as exc:
        raise InvalidInput(f"could not fetch from {base_url}: {exc.__class__.__name__}: {exc}") from None
    if not result.files:
        raise InvalidInput(f"{base_url}/static/{path} has none of the streams {', '.join(streams)}: is the path right?")
    if result.missing:
        log.warning("f1 fetch %s: no %s in the archive", path, ", ".join(result.missing))
    return result


def _download(client, url: str, target: Path) -> bool:
    partial = target.with_name(target.name + ".part")
    try:
        with client.stream("GET", url) as response:
            if response.status_code in (403, 404):  # the archive answers 403 for a stream it does not have
                return False
            response.raise_for_status()
            written = 0
            with open(partial, "wb") as out:
                for chunk in response.iter_bytes(1 << 20):
                    written += len(chunk)
                    if written > MAX_STREAM_BYTES:
                        raise InvalidInput(f"{url}: larger than {MAX_STREAM_BYTES >> 20} MiB, refusing")
                    out.write(chunk)
        os.replace(partial, target)
        return True
    finally:
        partial.unlink(missing_ok=True)  # only left when the download failed
