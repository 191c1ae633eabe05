"""``sideline backup`` / ``sideline restore``: one portable .tar.gz per installation.

Layout of the archive (members in this order)::

    tables/000-organisations.jsonl   one JSON object per row, tables parents-first
    ...
    blobs/<key>                      every blob of the store, byte for byte
    manifest.json                    format, alembic revision, and per member rows/size/sha256

The rows are dialect-neutral JSON (uuids, dates and enums as strings), so an archive of a
SQLite installation restores into PostgreSQL and back. The manifest comes last because it
holds checksums of what precedes it; restore therefore reads the archive twice: once to
verify everything, and only then to load it, in one database transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import gzip
import hashlib
import io
import json
import logging
import os
import tarfile
import tempfile
import uuid
import zlib
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy import Table
from sqlalchemy.types import TypeDecorator

from sideline import __version__
from sideline.ops import (OpsError, count_rows, describe, json_columns, nonempty_tables, prepare_partitions,
                          reset_sequences, safe_url, snapshot, sql_nulls, stream_rows, tables, wipe)
from sideline.settings import Settings
from sideline.storage.blobs import COPY_BUFFER, BlobStore, make_blob_store, validate_key
from sideline.storage.db import Database
from sideline.storage.migrate import current_revision, head_revision, upgrade
from sideline.storage.models import PARTITIONED_TABLES

log = logging.getLogger(__name__)

FORMAT = "sideline-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BATCH = 1000

Echo = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


# --- Row encoding -----------------------------------------------------------------------------

def _encode(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in a backup")


def encode_row(row: sa.Row) -> str:
    return json.dumps(row._asdict(), default=_encode, ensure_ascii=False, separators=(",", ":"))


def _decoder(column: sa.Column) -> Callable[[Any], Any]:
    kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    if isinstance(kind, sa.Uuid):
        return uuid.UUID
    if isinstance(kind, sa.DateTime):
        return dt.datetime.fromisoformat
    if isinstance(kind, sa.Date):
        return dt.date.fromisoformat
    if isinstance(kind, sa.Enum) and kind.enum_class is not None:
        return kind.enum_class
    return lambda value: value


class RowDecoder:
    """Turns one JSON line back into the values the table's column types expect."""

    def __init__(self, table: Table):
        self.table = table
        self.decoders = {c.name: _decoder(c) for c in table.columns}
        self.json_cols = json_columns(table)

    def __call__(self, line: bytes) -> dict[str, Any]:
        raw = json.loads(line)
        if set(raw) != set(self.decoders):
            raise OpsError(f"rows of {self.table.name} in the archive have columns {sorted(raw)}, "
                           f"this version expects {sorted(self.decoders)}")
        row = {name: (None if value is None else self.decoders[name](value)) for name, value in raw.items()}
        return sql_nulls(row, self.json_cols)


# --- Archive helpers --------------------------------------------------------------------------

class _HashingReader(io.RawIOBase):
    """Feeds a sha256 while tarfile copies a blob into the archive."""

    def __init__(self, inner: IO[bytes]):
        self.inner = inner
        self.digest = hashlib.sha256()
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        self.digest.update(data)
        self.count += len(data)
        return data


def _member(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
    info.mode = 0o600
    return info


def _table_member(index: int, table: Table) -> str:
    return f"tables/{index:03d}-{table.name}.jsonl"


# --- Backup -----------------------------------------------------------------------------------

def create_backup(settings: Settings, path: Path, *, echo: Echo = _quiet) -> dict[str, Any]:
    """Write the archive to ``path`` (atomically: a failed backup leaves no file behind)."""
    path = Path(path)
    if not path.name.endswith((".tar.gz", ".tgz")):
        raise OpsError(f"{path}: the archive name must end in .tar.gz")
    if not path.parent.is_dir():
        raise OpsError(f"{path.parent}: no such folder")
    db = Database.from_settings(settings)
    store = make_blob_store(settings)
    partial = path.with_name(f".{path.name}.partial")
    try:
        manifest = _write_archive(db, store, partial, echo)
        os.replace(partial, path)
    except OpsError:
        raise
    except Exception as exc:
        raise OpsError(f"backup failed: {describe(exc)}") from exc
    finally:
        partial.unlink(missing_ok=True)
        db.dispose()
    return manifest


def _write_archive(db: Database, store: BlobStore, partial: Path, echo: Echo) -> dict[str, Any]:
    head = head_revision()
    manifest: dict[str, Any] = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "sideline_version": __version__,
        "created_at": dt.datetime.now(dt.UTC).isoformat(), "alembic_revision": None,
        "source": {"database": db.engine.dialect.name, "blob_store": store.url.split("://")[0] if "://" in store.url else "file"},
        "tables": [], "blobs": [],
    }
    # Owner-only from the first byte: the archive holds password hashes and every file.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw, \
            tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.PAX_FORMAT, compresslevel=6) as tar:
        # Rows first, from one snapshot; blobs after, so every blob a row points at was written
        # before the snapshot and is in the archive (blobs are immutable once written).
        with snapshot(db.engine) as conn:
            from alembic.runtime.migration import MigrationContext

            revision = MigrationContext.configure(conn).get_current_revision()
            if revision != head:
                raise OpsError(f"the database {safe_url(db.engine)} is at revision {revision}, not {head}; "
                               "run `sideline db upgrade` first")
            manifest["alembic_revision"] = revision
            for index, table in enumerate(tables()):
                entry = _add_table(tar, conn, index, table)
                manifest["tables"].append(entry)
                echo(f"  {table.name}: {entry['rows']} rows")
        total = 0
        for key in store.list(""):
            size = store.size(key)
            with store.open_read(key) as source:
                reader = _HashingReader(source)
                tar.addfile(_member(f"blobs/{key}", size), reader)
            if reader.count != size:
                raise OpsError(f"blob {key!r} changed while it was being backed up; run the backup again")
            manifest["blobs"].append({"key": key, "member": f"blobs/{key}", "size": size,
                                      "sha256": reader.digest.hexdigest()})
            total += size
        echo(f"  blobs: {len(manifest['blobs'])} ({total} bytes)")
        data = json.dumps(manifest, indent=1).encode()
        tar.addfile(_member(MANIFEST, len(data)), io.BytesIO(data))
    return manifest


def _add_table(tar: tarfile.TarFile, conn: sa.Connection, index: int, table: Table) -> dict[str, Any]:
    digest = hashlib.sha256()
    rows = 0
    # Spooled to a temporary file: a tar member's size must be known before its bytes.
    with tempfile.TemporaryFile() as spool:
        for row in stream_rows(conn, table):
            line = (encode_row(row) + "\n").encode()
            digest.update(line)
            spool.write(line)
            rows += 1
        size = spool.tell()
        spool.seek(0)
        member = _table_member(index, table)
        tar.addfile(_member(member, size), spool)
    return {"name": table.name, "member": member, "rows": rows, "size": size, "sha256": digest.hexdigest()}


# --- Verify -----------------------------------------------------------------------------------

@dataclasses.dataclass
class Verified:
    manifest: dict[str, Any]
    # (min ts, max ts) of each partitioned table, to create its partitions before loading.
    ts_ranges: dict[str, tuple[dt.datetime, dt.datetime]]


def _open_stream(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, "r|gz")
    except FileNotFoundError:
        raise OpsError(f"{path}: no such file") from None
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise OpsError(f"{path} is not a readable backup archive ({describe(exc)})") from None


def _iter_members(path: Path) -> Iterator[tuple[tarfile.TarInfo, IO[bytes] | None]]:
    """Members of the archive in order; damage anywhere becomes one OpsError."""
    tar = _open_stream(path)
    try:
        with tar:
            for info in tar:
                yield info, tar.extractfile(info) if info.isfile() else None
    except OpsError:
        raise
    except (tarfile.TarError, OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise OpsError(f"{path} is corrupt or truncated ({describe(exc)})") from None


def _read_lines(stream: IO[bytes], digest: Any) -> Iterator[bytes]:
    """Lines of a member, hashing every byte (the last line may lack its newline)."""
    rest = b""
    while chunk := stream.read(COPY_BUFFER):
        digest.update(chunk)
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        yield from (line for line in lines if line)
    if rest:
        yield rest


def verify_archive(path: Path) -> Verified:
    """Read the whole archive once: checksums, sizes, row counts and row syntax, before any write."""
    path = Path(path)
    try:
        return _verify(path)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:  # raised by member reads
        raise OpsError(f"{path} is corrupt or truncated ({describe(exc)})") from None


def _verify(path: Path) -> Verified:
    by_name = {t.name: t for t in tables()}
    seen: dict[str, dict[str, Any]] = {}
    ts_ranges: dict[str, tuple[dt.datetime, dt.datetime]] = {}
    manifest: dict[str, Any] | None = None
    for info, stream in _iter_members(path):
        if stream is None:
            continue
        if info.name == MANIFEST:
            try:
                manifest = json.loads(stream.read())
            except ValueError:
                raise OpsError(f"{path}: the manifest is not valid JSON") from None
            continue
        digest = hashlib.sha256()
        if info.name.startswith("tables/"):
            table_name = info.name.removeprefix("tables/").removesuffix(".jsonl").split("-", 1)[-1]
            rows, low, high = 0, None, None
            for line in _read_lines(stream, digest):
                rows += 1
                if table_name in PARTITIONED_TABLES:
                    try:
                        ts = dt.datetime.fromisoformat(json.loads(line)["ts"])
                    except (ValueError, KeyError, TypeError):
                        raise OpsError(f"{path}: a row of {info.name} is damaged") from None
                    low = ts if low is None or ts < low else low
                    high = ts if high is None or ts > high else high
            if table_name in by_name and low is not None and high is not None:
                ts_ranges[table_name] = (low, high)
            seen[info.name] = {"rows": rows, "sha256": digest.hexdigest(), "size": info.size}
        else:
            while chunk := stream.read(COPY_BUFFER):
                digest.update(chunk)
            seen[info.name] = {"sha256": digest.hexdigest(), "size": info.size}
    if manifest is None or manifest.get("format") != FORMAT:
        raise OpsError(f"{path} is not a Sideline backup (no manifest; the archive may be truncated)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise OpsError(f"{path}: backup format version {manifest.get('format_version')} is not supported")
    expected = {e["member"]: e for e in manifest["tables"]} | {e["member"]: e for e in manifest["blobs"]}
    for member, entry in expected.items():
        got = seen.get(member)
        if got is None:
            raise OpsError(f"{path}: {member} is listed in the manifest but missing from the archive")
        if got["sha256"] != entry["sha256"]:
            raise OpsError(f"{path}: checksum mismatch for {member}; the archive is damaged")
        if "rows" in entry and got["rows"] != entry["rows"]:
            raise OpsError(f"{path}: {member} has {got['rows']} rows, the manifest says {entry['rows']}")
    extra = sorted(set(seen) - set(expected))
    if extra:
        raise OpsError(f"{path}: {extra[0]} is in the archive but not in its manifest")
    for entry in manifest["tables"]:
        if entry["name"] not in by_name:
            raise OpsError(f"{path}: table {entry['name']!r} is unknown to Sideline {__version__}")
    for entry in manifest["blobs"]:
        validate_key(entry["key"])
        if entry["member"] != f"blobs/{entry['key']}":
            raise OpsError(f"{path}: blob member {entry['member']} does not match its key")
    return Verified(manifest, ts_ranges)


# --- Restore ----------------------------------------------------------------------------------

def restore_backup(settings: Settings, path: Path, *, force: bool = False, echo: Echo = _quiet) -> dict[str, Any]:
    """Load an archive into the configured database and blob store; all or nothing for the rows."""
    path = Path(path)
    echo(f"verifying {path}")
    verified = verify_archive(path)
    manifest = verified.manifest
    head = head_revision()
    if manifest["alembic_revision"] != head:
        raise OpsError(f"the archive is at schema revision {manifest['alembic_revision']}, this Sideline at {head}; "
                       "restore it with the Sideline version that wrote it, then upgrade")
    db = Database.from_settings(settings)
    store = make_blob_store(settings)
    try:
        _prepare_target(db, store, force)
        _load(db, store, path, verified, force, echo)
    except OpsError:
        raise
    except Exception as exc:
        raise OpsError(f"restore failed, nothing was changed: {describe(exc)}") from exc
    finally:
        db.dispose()
    return manifest


def _prepare_target(db: Database, store: BlobStore, force: bool) -> None:
    try:
        with db.engine.connect() as conn:
            fresh = current_revision(db.engine) is None and not sa.inspect(conn).get_table_names()
    except Exception as exc:
        raise OpsError(f"cannot reach the database {safe_url(db.engine)}: {describe(exc)}") from None
    if fresh:
        upgrade(db.engine)
    if current_revision(db.engine) != head_revision():
        raise OpsError(f"the database {safe_url(db.engine)} is not at revision {head_revision()}; "
                       "run `sideline db upgrade` first")
    if force:
        return
    with db.engine.connect() as conn:
        busy = nonempty_tables(conn)
    blobs = store.list("")
    if busy or blobs:
        what = ", ".join(busy[:4]) + ("..." if len(busy) > 4 else "")
        raise OpsError("the target installation is not empty ("
                       + (f"rows in {what}" if busy else "") + (" and " if busy and blobs else "")
                       + (f"{len(blobs)} blobs" if blobs else "") + "); use --force to replace it")


def _load(db: Database, store: BlobStore, path: Path, verified: Verified, force: bool, echo: Echo) -> None:
    manifest = verified.manifest
    tables_by_member = {e["member"]: e for e in manifest["tables"]}
    blobs_by_member = {e["member"]: e for e in manifest["blobs"]}
    by_name = {t.name: t for t in tables()}
    before = set(store.list("")) if force else set()
    written: list[str] = []
    try:
        with db.engine.begin() as conn:
            if force:
                wipe(conn)
            prepare_partitions(conn, verified.ts_ranges)
            for info, stream in _iter_members(path):
                if stream is None or info.name == MANIFEST:
                    continue
                if info.name in tables_by_member:
                    entry = tables_by_member[info.name]
                    _load_table(conn, by_name[entry["name"]], stream, entry)
                    echo(f"  {entry['name']}: {entry['rows']} rows")
                else:
                    entry = blobs_by_member[info.name]
                    _load_blob(store, stream, entry)
                    written.append(entry["key"])
            for entry in manifest["tables"]:
                got = count_rows(conn, by_name[entry["name"]])
                if got != entry["rows"]:
                    raise OpsError(f"{entry['name']} has {got} rows after loading, the archive {entry['rows']}")
            reset_sequences(conn)
            echo(f"  blobs: {len(written)}")
    except BaseException:
        # The rows rolled back; take back the blobs this restore added (overwritten ones stay).
        for key in written:
            if key not in before:
                try:
                    store.delete(key)
                except Exception:
                    log.warning("could not remove restored blob %s after a failure", key)
        raise
    if force:
        for key in sorted(before - {e["key"] for e in manifest["blobs"]}):
            store.delete(key)


def _load_table(conn: sa.Connection, table: Table, stream: IO[bytes], entry: dict[str, Any]) -> None:
    decode = RowDecoder(table)
    digest = hashlib.sha256()
    batch: list[dict[str, Any]] = []
    for line in _read_lines(stream, digest):
        batch.append(decode(line))
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
    # Verified already; checked again in case the file changed between the two reads.
    if digest.hexdigest() != entry["sha256"]:
        raise OpsError(f"{entry['member']} changed since it was verified")


def _load_blob(store: BlobStore, stream: IO[bytes], entry: dict[str, Any]) -> None:
    digest = hashlib.sha256()
    with store.open_write(entry["key"]) as writer:
        while chunk := stream.read(COPY_BUFFER):
            digest.update(chunk)
            writer.write(chunk)
        if digest.hexdigest() != entry["sha256"]:
            raise OpsError(f"{entry['member']} changed since it was verified")  # aborts the write
