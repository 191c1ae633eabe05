"""``sideline backup`` / ``restore`` / ``migrate-to`` through the real CLI, on SQLite, PostgreSQL,
local folders and an S3 server (moto)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from sideline.auth.passwords import hash_password
from sideline.storage.blobs import LocalBlobStore, make_blob_store
from sideline.storage.db import Database
from sideline.storage.migrate import upgrade
from sideline.storage.models import (Athlete, Base, Dataset, FramePart, FileStatus, Job, JobState, JobStep, Lap,
                                     Membership, Metric, Organisation, Role, Sample, StoredFile, User, Visibility)
from sideline.storage.partitions import list_partitions
from tests.conftest import make_settings, start_server

PASSWORD = "correct horse battery"
SECRET_KEY = "ops-test-secret-" + "z" * 40


# --- Helpers ----------------------------------------------------------------------------------

def sideline(*args: str, db: str | None = None, blobs: Path | str | None = None, home: Path | None = None,
             extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "SIDELINE_ENVIRONMENT": "test", "SIDELINE_LOG_LEVEL": "WARNING",
           "SIDELINE_LOG_JSON": "false", "SIDELINE_SECRET_KEY": SECRET_KEY, **(extra_env or {})}
    for name in ("SIDELINE_DATABASE_URL", "SIDELINE_BLOB_URL", "SIDELINE_REDIS_URL", "SIDELINE_HOME"):
        env.pop(name, None)
    if db:
        env["SIDELINE_DATABASE_URL"] = db
    if blobs:
        env["SIDELINE_BLOB_URL"] = str(blobs)
    if home:
        env["SIDELINE_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "sideline.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def populate(url: str, blob_root: Path, *, tag: str = "alpha") -> None:
    """One installation's worth of every kind of row, with JSON, enums, dates, NULLs and blobs."""
    db = Database(url)
    upgrade(db.engine)
    store = LocalBlobStore(blob_root)
    data = f"t,hr\n0,120\n1,121\n{tag}\n".encode()
    frames = bytes(range(256)) * 300
    with db.session() as s:
        org = Organisation(name=f"{tag} FC", slug=f"{tag}-fc", settings={"units": "metric", "colours": ["red", "white"]})
        user = User(email=f"coach-{tag}@example.org", name="Coach Ünal", password_hash=hash_password(PASSWORD))
        s.add_all([org, user])
        s.flush()
        s.add(Membership(organisation_id=org.id, user_id=user.id, role=Role.owner))
        athlete = Athlete(organisation_id=org.id, name="Ada", sport="football", birth_date=dt.date(2001, 2, 3),
                          external_ids={"gps": "x1"})
        s.add(athlete)
        s.flush()
        f = StoredFile(organisation_id=org.id, created_by_id=user.id, athlete_id=athlete.id, filename="run.csv",
                       content_type="text/csv", size=len(data), received=len(data),
                       sha256=hashlib.sha256(data).hexdigest(), status=FileStatus.ready, blob_key="")
        s.add(f)
        s.flush()
        f.blob_key = f"files/{org.id}/{f.id}"
        job = Job(organisation_id=org.id, created_by_id=user.id, type="demo.count", params={"steps": 2},
                  state=JobState.succeeded, progress=100.0, message="Done", result={"counted": 2}, attempts=1,
                  started_at=dt.datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=dt.UTC),
                  finished_at=dt.datetime(2026, 3, 1, 10, 0, 5, tzinfo=dt.UTC))
        s.add(job)
        s.flush()
        s.add_all([JobStep(job_id=job.id, name="count-0", attempt=1, output={"value": 1}),
                   JobStep(job_id=job.id, name="count-1", attempt=1, output=None)])
        match = Dataset(organisation_id=org.id, kind="football_match", name="Derby", source_file_id=f.id,
                        athlete_id=athlete.id, starts_at=dt.datetime(2026, 1, 31, 19, 45, tzinfo=dt.UTC),
                        meta={"venue": "home", "score": [2, 1], "xg": 1.75, "notes": None})
        public = Dataset(organisation_id=None, visibility=Visibility.public, kind="f1_session", name=f"Monza {tag}")
        s.add_all([match, public])
        s.flush()
        part_key = f"frames/{match.id}/tracking-000000.parquet"
        s.add(FramePart(dataset_id=match.id, organisation_id=org.id, stream="tracking", blob_key=part_key,
                        start_s=0.0, end_s=10.5, rows=300, columns=["t", "x", "y"]))
        base = dt.datetime(2026, 1, 20, tzinfo=dt.UTC)
        for i in range(60):  # spans January to March: three monthly partitions on PostgreSQL
            s.add(Sample(ts=base + dt.timedelta(days=i, seconds=i / 10), organisation_id=org.id, dataset_id=match.id,
                         athlete_id=athlete.id, channel="hr", value=120 + i / 3))
        s.add(Metric(ts=base, organisation_id=org.id, dataset_id=match.id, athlete_id=athlete.id, name="distance",
                     value=10234.5, unit="m", window_s=5400.0, coverage=0.98))
        s.add(Lap(ts=base, organisation_id=None, dataset_id=public.id, driver="LEC", lap=1, lap_time_ms=81234,
                  sector_ms=[26000, 28000, 27234], position=1, compound="SOFT", tyre_age=2))
    store.put(f.blob_key, data)
    store.put(part_key, frames)
    db.dispose()


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value


def dump(url: str) -> dict[str, list[dict]]:
    """Every row of every table, as comparable Python values, in primary-key order."""
    db = Database(url)
    out = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = [{k: _plain(v) for k, v in row._asdict().items()} for row in conn.execute(sa.select(table))]
            out[table.name] = sorted(rows, key=lambda r: str(r["id"]))
    db.dispose()
    return out


def blobs_of(store) -> dict[str, bytes]:
    return {key: store.get(key) for key in store.list("")}


def rewrite_archive(source: Path, target: Path, edit) -> None:
    """Copy an archive member by member; ``edit(name, data, manifest)`` may change a member's bytes."""
    with tarfile.open(source, "r:gz") as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]
    manifest = json.loads(members[-1][1])
    with tarfile.open(target, "w:gz") as out:
        for info, data in members:
            if info.name == "manifest.json":
                data = json.dumps(manifest).encode()
            else:
                data = edit(info.name, data, manifest)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))


@pytest.fixture
def source(tmp_path) -> tuple[str, Path]:
    url, blobs = f"sqlite:///{tmp_path / 'source.sqlite3'}", tmp_path / "source-blobs"
    populate(url, blobs)
    return url, blobs


# --- Backup and restore -----------------------------------------------------------------------

def test_round_trip_sqlite_to_sqlite(tmp_path, source):
    src_url, src_blobs = source
    archive = tmp_path / "backup.tar.gz"
    out = ok(sideline("backup", str(archive), db=src_url, blobs=src_blobs))
    assert "backup written" in out and "2 blobs" in out
    assert archive.stat().st_mode & 0o077 == 0  # holds password hashes: owner-only

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert names[-1] == "manifest.json"
    tables = [t["name"] for t in manifest["tables"]]
    assert tables.index("organisations") < tables.index("datasets") < tables.index("samples")
    assert manifest["alembic_revision"] and {t["name"]: t["rows"] for t in manifest["tables"]}["samples"] == 60

    dst_url, dst_blobs = f"sqlite:///{tmp_path / 'restored.sqlite3'}", tmp_path / "restored-blobs"
    ok(sideline("restore", str(archive), db=dst_url, blobs=dst_blobs))
    assert dump(dst_url) == dump(src_url)
    assert blobs_of(LocalBlobStore(dst_blobs)) == blobs_of(LocalBlobStore(src_blobs))


@pytest.mark.postgres
def test_round_trip_sqlite_to_postgres_and_back(tmp_path, source, pg_url):
    src_url, src_blobs = source
    first = tmp_path / "from-sqlite.tar.gz"
    ok(sideline("backup", str(first), db=src_url, blobs=src_blobs))
    ok(sideline("restore", str(first), db=pg_url, blobs=tmp_path / "pg-blobs"))
    assert dump(pg_url) == dump(src_url)

    db = Database(pg_url)
    with db.engine.begin() as conn:
        # Rows went into their monthly partitions, not the default one.
        assert {"samples_p202601", "samples_p202602", "samples_p202603"} <= set(list_partitions(conn, "samples"))
        assert conn.execute(sa.text("SELECT count(*) FROM samples_default")).scalar() == 0
        # Sequences moved past the restored ids: new rows get fresh ones.
        top = conn.execute(sa.select(sa.func.max(Sample.id))).scalar()
        new_id = conn.execute(sa.insert(Sample).values(
            ts=dt.datetime(2026, 2, 2, tzinfo=dt.UTC), dataset_id=conn.execute(sa.select(Dataset.id).limit(1)).scalar(),
            channel="hr", value=1.0).returning(Sample.id)).scalar()
        assert new_id == top + 1
        conn.execute(sa.delete(Sample).where(Sample.id == new_id))
    db.dispose()

    # And a PostgreSQL installation backs up into an archive that restores on SQLite.
    second = tmp_path / "from-postgres.tar.gz"
    ok(sideline("backup", str(second), db=pg_url, blobs=tmp_path / "pg-blobs"))
    back_url = f"sqlite:///{tmp_path / 'back.sqlite3'}"
    ok(sideline("restore", str(second), db=back_url, blobs=tmp_path / "back-blobs"))
    assert dump(back_url) == dump(src_url)
    assert blobs_of(LocalBlobStore(tmp_path / "back-blobs")) == blobs_of(LocalBlobStore(src_blobs))


def test_restore_refuses_a_non_empty_target_and_force_replaces_it(tmp_path, source):
    src_url, src_blobs = source
    archive = tmp_path / "backup.tar.gz"
    ok(sideline("backup", str(archive), db=src_url, blobs=src_blobs))
    dst_url, dst_blobs = f"sqlite:///{tmp_path / 'busy.sqlite3'}", tmp_path / "busy-blobs"
    populate(dst_url, dst_blobs, tag="bravo")
    LocalBlobStore(dst_blobs).put("stray/blob", b"only in the target")
    before_rows, before_blobs = dump(dst_url), blobs_of(LocalBlobStore(dst_blobs))

    line = one_error_line(sideline("restore", str(archive), db=dst_url, blobs=dst_blobs))
    assert "not empty" in line and "--force" in line
    assert dump(dst_url) == before_rows and blobs_of(LocalBlobStore(dst_blobs)) == before_blobs

    ok(sideline("restore", str(archive), "--force", db=dst_url, blobs=dst_blobs))
    assert dump(dst_url) == dump(src_url)
    assert blobs_of(LocalBlobStore(dst_blobs)) == blobs_of(LocalBlobStore(src_blobs))


def test_damaged_archives_fail_with_one_line_and_leave_the_target_untouched(tmp_path, source):
    src_url, src_blobs = source
    archive = tmp_path / "backup.tar.gz"
    ok(sideline("backup", str(archive), db=src_url, blobs=src_blobs))
    raw = archive.read_bytes()

    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(raw[: len(raw) // 2])
    # Valid gzip and tar, but one member's bytes no longer match the manifest.
    tampered = tmp_path / "tampered.tar.gz"
    rewrite_archive(archive, tampered, lambda name, data, _: data.replace(b"Derby", b"Dorby"))
    # Consistent checksums, but a row whose parent does not exist: fails while loading, mid-transaction.
    orphan = tmp_path / "orphan.tar.gz"

    def add_orphan(name, data, manifest):
        if not name.endswith("-memberships.jsonl"):
            return data
        row = json.loads(data.splitlines()[0])
        row.update(id=str(uuid.uuid4()), user_id=str(uuid.uuid4()))
        data += (json.dumps(row) + "\n").encode()
        entry = next(t for t in manifest["tables"] if t["member"] == name)
        entry.update(rows=entry["rows"] + 1, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        return data

    rewrite_archive(archive, orphan, add_orphan)
    not_gzip = tmp_path / "notes.tar.gz"
    not_gzip.write_text("just some text")

    # The target is a live installation and --force is given: a bad archive must still change nothing.
    dst_url, dst_blobs = f"sqlite:///{tmp_path / 'target.sqlite3'}", tmp_path / "target-blobs"
    populate(dst_url, dst_blobs, tag="bravo")
    before_rows, before_blobs = dump(dst_url), blobs_of(LocalBlobStore(dst_blobs))
    expected = {truncated: "corrupt or truncated", tampered: "checksum mismatch",
                orphan: "nothing was changed", not_gzip: "not a readable backup archive",
                tmp_path / "missing.tar.gz": "no such file"}
    lines = {}
    for bad, message in expected.items():
        lines[bad] = one_error_line(sideline("restore", str(bad), "--force", db=dst_url, blobs=dst_blobs))
        assert message in lines[bad], lines[bad]
        assert dump(dst_url) == before_rows, bad.name
        assert blobs_of(LocalBlobStore(dst_blobs)) == before_blobs, bad.name
    assert "FOREIGN KEY" in lines[orphan]


def test_backup_of_an_unmigrated_database_is_refused(tmp_path):
    line = one_error_line(sideline("backup", str(tmp_path / "x.tar.gz"), db=f"sqlite:///{tmp_path / 'new.sqlite3'}",
                                   blobs=tmp_path / "b"))
    assert "sideline db upgrade" in line
    assert not list(tmp_path.glob("*.tar.gz*")) and not list(tmp_path.glob(".*partial"))


# --- Moving to PostgreSQL + S3 --------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.slow
def test_migrate_to_postgres_and_s3_then_serve_from_there(tmp_path, pg_url, s3_server, s3_bucket):
    home = tmp_path / "embedded"
    home.mkdir()
    content = os.urandom(300_000)
    env = {"SIDELINE_SECRET_KEY": SECRET_KEY}
    server = start_server(home, env)  # the embedded default: SQLite + local blobs, nothing configured
    try:
        token = httpx.post(server.url + "/api/v1/auth/login",
                           json={"email": server.demo_email, "password": server.demo_password}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        org_id = httpx.get(server.url + "/api/v1/me", headers=auth).json()["memberships"][0]["organisation"]["id"]
        r = httpx.post(f"{server.url}/api/v1/orgs/{org_id}/files", headers=auth,
                       files={"file": ("clip.bin", content, "application/octet-stream")})
        assert r.status_code == 201, r.text
        file_id = r.json()["id"]
    finally:
        server.process.terminate()
        server.process.wait(10)
    before = dump(f"sqlite:///{home / 'sideline.sqlite3'}")

    blob_url = f"s3://{s3_bucket}/sideline"
    args = ("migrate-to", "--database-url", pg_url, "--blob-url", blob_url, "--s3-endpoint-url", s3_server)
    out = ok(sideline(*args, home=home))
    assert f"SIDELINE_BLOB_URL={blob_url}" in out and f"SIDELINE_S3_ENDPOINT_URL={s3_server}" in out
    assert "SIDELINE_DATABASE_URL=postgresql+psycopg://" in out
    assert dump(pg_url) == before

    s3_settings = make_settings(tmp_path, database_url=pg_url, blob_url=blob_url, s3_endpoint_url=s3_server)
    s3_blobs = make_blob_store(s3_settings)
    local_blobs = LocalBlobStore(home / "blobs")
    assert blobs_of(s3_blobs) == blobs_of(local_blobs) and s3_blobs.list("")

    # A second run finds the target in use and refuses to touch it.
    assert "not empty" in one_error_line(sideline(*args, home=home))
    assert "PostgreSQL URL" in one_error_line(sideline("migrate-to", "--database-url", "sqlite:///x.db", home=home))

    new_home = tmp_path / "new-home"  # nothing of the old folder is needed any more
    new_home.mkdir()
    server = start_server(new_home, {**env, "SIDELINE_DATABASE_URL": pg_url, "SIDELINE_BLOB_URL": blob_url,
                                     "SIDELINE_S3_ENDPOINT_URL": s3_server})
    try:
        r = httpx.post(server.url + "/api/v1/auth/login", json={"email": server.demo_email, "password": server.demo_password})
        assert r.status_code == 200, r.text
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        download = httpx.get(f"{server.url}/api/v1/orgs/{org_id}/files/{file_id}/content", headers=auth)
        assert download.status_code == 200 and download.content == content
        assert httpx.get(server.url + "/readyz").json()["checks"]["blob_store"] == "ok"
    finally:
        server.process.terminate()
        server.process.wait(10)

    # The migrated installation (PostgreSQL + S3) backs up like any other.
    archive = tmp_path / "after.tar.gz"
    ok(sideline("backup", str(archive), db=pg_url, blobs=blob_url, extra_env={"SIDELINE_S3_ENDPOINT_URL": s3_server}))
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert manifest["source"] == {"database": "postgresql", "blob_store": "s3"}
    assert {b["key"]: b["sha256"] for b in manifest["blobs"]} == {
        k: hashlib.sha256(v).hexdigest() for k, v in blobs_of(local_blobs).items()}
