"""Fetching a past session from Formula 1's live-timing archive, against a local HTTP server that
serves the shared 2018 Azerbaijan recording under the archive's URL layout (there is no internet
here; the code path is the one users run against livetiming.formula1.com)."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sideline.errors import InvalidInput
from sideline.ingest.f1 import fetch
from tests.conftest import SHARED_DATA, free_port

RECORDING = SHARED_DATA / "motorsport" / "f1" / "2018_azerbaijan_race"
ARCHIVE_PATH = "2018/2018-04-29_Azerbaijan_Grand_Prix/2018-04-29_Race/"


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """http://127.0.0.1:PORT/static/<ARCHIVE_PATH><Stream>.jsonStream, 404 for anything else."""
    root = tmp_path_factory.mktemp("archive")
    folder = root / "static" / ARCHIVE_PATH
    folder.mkdir(parents=True)
    for f in RECORDING.glob("*.jsonStream"):
        (folder / f.name).symlink_to(f)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_fetch_downloads_every_stream_byte_for_byte_and_lists_the_missing(archive, tmp_path):
    result = fetch.fetch_session("/static/" + ARCHIVE_PATH, tmp_path, base_url=archive,
                                 streams=fetch.STREAMS + fetch.TELEMETRY_STREAMS)
    assert result.path == ARCHIVE_PATH
    assert sorted(p.name for p in result.files) == sorted(p.name for p in RECORDING.glob("*.jsonStream"))
    for got in result.files:
        assert got.read_bytes() == (RECORDING / got.name).read_bytes()
    assert result.missing == ["CarData.z", "Position.z"]  # not recorded for this race
    assert not list(tmp_path.glob("*.part"))


def test_fetch_errors_are_one_clear_line(archive, tmp_path):
    with pytest.raises(InvalidInput, match="could not fetch from http://127.0.0.1"):
        fetch.fetch_session(ARCHIVE_PATH, tmp_path, base_url=f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(InvalidInput, match="has none of the streams"):
        fetch.fetch_session("2018/no_such_event/race", tmp_path, base_url=archive)
    with pytest.raises(InvalidInput, match="not a live-timing archive path"):
        fetch.normalise_path("2018/../../etc")
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_cli_fetches_and_imports_a_public_session(archive, tmp_path):
    env = {**os.environ, "SIDELINE_HOME": str(tmp_path / "home"), "SIDELINE_SECRET_KEY": "cli-secret-" + "z" * 40}
    cli = [sys.executable, "-m", "sideline.cli"]
    subprocess.run([*cli, "demo", "--no-match"], env=env, check=True, capture_output=True)
    done = subprocess.run([*cli, "f1", "fetch", "--path", ARCHIVE_PATH, "--base-url", archive, "--org", "demo-club"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "fetched 8 streams" in done.stdout and "not in the archive" not in done.stdout
    assert "imported" in done.stdout and "as F1 session" in done.stdout

    from sideline.settings import load_settings
    from sideline.storage import f1 as f1_store
    from sideline.storage.db import Database
    from sideline.storage.models import Dataset

    settings = load_settings(home=Path(env["SIDELINE_HOME"]), secret_key=env["SIDELINE_SECRET_KEY"])
    db = Database(settings.resolved_database_url)
    try:
        with db.session() as s:
            sessions = s.query(Dataset).filter(Dataset.kind == f1_store.KIND).all()
            assert len(sessions) == 1 and sessions[0].organisation_id is None  # public, like every F1 session
            assert "Azerbaijan" in sessions[0].name
    finally:
        db.dispose()

    missing_args = subprocess.run([*cli, "f1", "fetch"], env=env, capture_output=True, text=True)
    assert missing_args.returncode != 0 and "YEAR EVENT SESSION" in missing_args.stderr
    assert "Traceback" not in missing_args.stderr
