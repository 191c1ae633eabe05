"""``sideline migrate-to``: move an embedded installation (SQLite + local blobs) to PostgreSQL + S3.

Rows are copied parents-first in batches inside one target transaction, blobs are streamed
and then read back from the target to compare checksums, and only when every count and
checksum matches is the transaction committed. A failed run leaves the target database
empty and removes the blobs it copied, so it can simply be run again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from sideline.ops import (OpsError, count_rows, describe, json_columns, nonempty_tables, prepare_partitions,
                          reset_sequences, safe_url, snapshot, sql_nulls, stream_rows, tables)
from sideline.settings import ConfigurationError, Settings, load_settings
from sideline.storage.blobs import COPY_BUFFER, BlobStore, make_blob_store, sha256_of
from sideline.storage.db import Database
from sideline.storage.migrate import current_revision, head_revision, upgrade
from sideline.storage.models import PARTITIONED_TABLES

log = logging.getLogger(__name__)

BATCH = 1000
Echo = Callable[[str], None]


@dataclasses.dataclass
class TransferReport:
    rows: dict[str, int]
    blobs: int
    blob_bytes: int
    settings: list[str]


def target_settings(source: Settings, database_url: str, blob_url: str | None, s3_endpoint_url: str | None,
                    s3_region: str | None) -> Settings:
    overrides: dict[str, object] = {"database_url": database_url}
    if blob_url:
        overrides.update(blob_url=blob_url, s3_endpoint_url=s3_endpoint_url, s3_region=s3_region)
    try:
        target = load_settings(**overrides)
    except ConfigurationError as exc:
        # The message names the environment variable; here the value came from an option.
        raise OpsError(str(exc).replace("SIDELINE_DATABASE_URL", "--database-url")
                       .replace("SIDELINE_BLOB_URL", "--blob-url")) from None
    if not target.resolved_database_url.startswith("postgresql"):
        raise OpsError("--database-url must be a PostgreSQL URL (postgresql+psycopg://user:password@host/db)")
    return target


def migrate_to(source: Settings, target: Settings, *, echo: Echo = print) -> TransferReport:
    copy_blobs = target.resolved_blob_url != source.resolved_blob_url
    src_db, dst_db = Database.from_settings(source), Database.from_settings(target)
    src_store = make_blob_store(source)
    dst_store = make_blob_store(target) if copy_blobs else src_store
    try:
        _check_source(src_db)
        _check_target(src_db, dst_db, dst_store if copy_blobs else None)
        echo(f"copying {safe_url(src_db.engine)} -> {safe_url(dst_db.engine)}"
             + (f", blobs {src_store.url} -> {dst_store.url}" if copy_blobs else ""))
        rows, blobs, size = _copy(src_db, dst_db, src_store, dst_store if copy_blobs else None, echo)
    except OpsError:
        raise
    except Exception as exc:
        raise OpsError(f"migration failed, the target was left empty: {describe(exc)}") from exc
    finally:
        src_db.dispose()
        dst_db.dispose()
    return TransferReport(rows, blobs, size, next_settings(source, target, dst_db))


def _check_source(db: Database) -> None:
    try:
        revision = current_revision(db.engine)
    except Exception as exc:
        raise OpsError(f"cannot read the source database {safe_url(db.engine)}: {describe(exc)}") from None
    if revision != head_revision():
        raise OpsError(f"the source database is at revision {revision}, not {head_revision()}; "
                       "run `sideline db upgrade` first")


def _check_target(src: Database, dst: Database, dst_store: BlobStore | None) -> None:
    if src.engine.url == dst.engine.url:
        raise OpsError("the target database is the source database")
    try:
        with dst.engine.connect() as conn:
            busy = nonempty_tables(conn)
    except Exception as exc:
        raise OpsError(f"cannot reach the target database {safe_url(dst.engine)}: {describe(exc)}") from None
    if busy:
        raise OpsError(f"the target database {safe_url(dst.engine)} is not empty (rows in {', '.join(busy[:4])}); "
                       "migrate-to only fills a new, empty database")
    if dst_store is not None:
        try:
            dst_store.check()
            existing = dst_store.list("")
        except Exception as exc:
            raise OpsError(f"cannot use the target blob store {dst_store.url}: {describe(exc)}") from None
        if existing:
            raise OpsError(f"the target blob store {dst_store.url} is not empty ({len(existing)} blobs)")
    upgrade(dst.engine)


def _copy(src: Database, dst: Database, src_store: BlobStore, dst_store: BlobStore | None,
          echo: Echo) -> tuple[dict[str, int], int, int]:
    copied: list[str] = []
    counts: dict[str, int] = {}
    blob_bytes = 0
    try:
        with snapshot(src.engine) as read, dst.engine.begin() as write:
            ranges = {}
            for table in tables():
                if table.name in PARTITIONED_TABLES:
                    low, high = read.execute(sa.select(sa.func.min(table.c.ts), sa.func.max(table.c.ts))).one()
                    if low is not None:
                        ranges[table.name] = (low, high)
            prepare_partitions(write, ranges)
            for table in tables():
                counts[table.name] = _copy_table(read, write, table)
                echo(f"  {table.name}: {counts[table.name]} rows")
            reset_sequences(write)
            if dst_store is not None:
                # Inside the transaction: if a blob fails, no row is committed either.
                for key in src_store.list(""):
                    blob_bytes += _copy_blob(src_store, dst_store, key)
                    copied.append(key)
                echo(f"  blobs: {len(copied)} ({blob_bytes} bytes), checksums verified")
    except BaseException:
        for key in copied:
            try:
                dst_store.delete(key)  # type: ignore[union-attr]
            except Exception:
                log.warning("could not remove copied blob %s after a failure", key)
        raise
    return counts, len(copied), blob_bytes


def _copy_table(read: sa.Connection, write: sa.Connection, table: sa.Table) -> int:
    json_cols = json_columns(table)
    batch: list[dict] = []
    total = 0
    for row in stream_rows(read, table, BATCH):
        batch.append(sql_nulls(row._asdict(), json_cols))
        if len(batch) >= BATCH:
            write.execute(table.insert(), batch)
            total += len(batch)
            batch = []
    if batch:
        write.execute(table.insert(), batch)
        total += len(batch)
    expected = count_rows(read, table)
    landed = count_rows(write, table)
    if not expected == total == landed:
        raise OpsError(f"{table.name}: {expected} rows in the source, {landed} in the target")
    return landed


def _copy_blob(src: BlobStore, dst: BlobStore, key: str) -> int:
    digest = hashlib.sha256()
    with src.open_read(key) as reader, dst.open_write(key) as writer:
        while chunk := reader.read(COPY_BUFFER):
            digest.update(chunk)
            writer.write(chunk)
        size = writer.written
    # Read back from the target: proves the object store holds exactly these bytes.
    if sha256_of(dst, key) != digest.hexdigest():
        raise OpsError(f"blob {key!r} differs after copying (checksum mismatch)")
    return size


def next_settings(source: Settings, target: Settings, dst_db: Database) -> list[str]:
    """The environment to run with from now on (secrets masked, never printed)."""
    lines = [f"SIDELINE_DATABASE_URL={safe_url(dst_db.engine)}"
             + ("   # *** = the password you gave" if dst_db.engine.url.password else "")]
    lines.append(f"SIDELINE_BLOB_URL={target.resolved_blob_url}")
    if target.s3_endpoint_url:
        lines.append(f"SIDELINE_S3_ENDPOINT_URL={target.s3_endpoint_url}")
    if target.s3_region:
        lines.append(f"SIDELINE_S3_REGION={target.s3_region}")
    if source.secret_key:
        lines.append("SIDELINE_SECRET_KEY=<unchanged: keep the value you use now>")
    else:
        key_file = Path(source.home) / "secret.key"
        lines.append(f"SIDELINE_SECRET_KEY=<the contents of {key_file.resolve()}>   # keeps sessions and links valid")
    if not source.redis_url:
        lines.append("SIDELINE_REDIS_URL=redis://HOST:6379/0   # for Celery workers and several API processes")
    return lines
