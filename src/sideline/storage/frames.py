"""Bulk per-frame data (tracking, pose, telemetry) as Parquet parts in the blob store.

A stream of a dataset is a time-sorted table with a float ``t`` column (seconds). It is
written as one or more Parquet parts (zstd) under ``frames/<dataset>/<part>.parquet``, each
indexed in ``frame_parts`` with its time range, row count and columns. Reading a window
``[t0, t1)`` picks the parts whose range overlaps it from the index and filters them with
Polars: lazily, with row-group pruning, from local disk; part by part through the store's
stream from object stores (so memory stays bounded by one part).

Writes take the caller's session, so frame parts are committed together with the dataset
they belong to; the blobs of a rolled-back write, and those replaced by a committed one, are
deleted when the transaction ends.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import uuid
from collections.abc import Sequence

import polars as pl
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from sideline.errors import InvalidInput, NotFound
from sideline.storage.blobs import BlobStore
from sideline.storage.models import Dataset, FramePart

log = logging.getLogger(__name__)

# A part is at most this many rows and about this many bytes in memory: the unit read from an
# object store for any window that touches it, so it bounds both memory and over-fetching.
ROWS_PER_PART = 250_000
BYTES_PER_PART = 64 * 1024 * 1024
# Row groups are what a local lazy scan skips by their t statistics.
ROW_GROUP_ROWS = 50_000

_STREAM = re.compile(r"[a-z0-9][a-z0-9_.-]{0,79}")


def frame_key(dataset_id: uuid.UUID, part_id: uuid.UUID) -> str:
    return f"frames/{dataset_id}/{part_id}.parquet"


def _check_frame(frame: pl.DataFrame, stream: str) -> None:
    if not _STREAM.fullmatch(stream):
        raise InvalidInput(f"Invalid stream name {stream!r}: use 1-80 lower-case letters, digits, '_', '.' or '-'")
    if "t" not in frame.columns:
        raise InvalidInput("Frame data needs a 't' column (seconds)")
    if frame.schema["t"] not in (pl.Float32, pl.Float64):
        raise InvalidInput(f"Column 't' must be a float number of seconds, not {frame.schema['t']}")
    if frame.height and (frame["t"].null_count() or frame["t"].is_nan().any() or frame["t"].is_infinite().any()):
        raise InvalidInput("Column 't' must not contain nulls, NaN or infinities")


def _rows_per_part(frame: pl.DataFrame, rows_per_part: int) -> int:
    row_bytes = max(1, frame.estimated_size() // max(1, frame.height))
    return max(1, min(rows_per_part, BYTES_PER_PART // row_bytes))


def _after_transaction(session: Session, *, on_commit: Sequence[str], on_rollback: Sequence[str],
                       store: BlobStore) -> None:
    """Delete blobs once the session's transaction ends, depending on how it ends."""
    done = False

    def delete(keys: Sequence[str]) -> None:
        nonlocal done
        if done:
            return
        done = True
        for key in keys:
            try:
                store.delete(key)
            except Exception:  # an orphaned blob wastes space but breaks nothing
                log.warning("could not delete frame part %s", key, exc_info=True)

    event.listen(session, "after_commit", lambda _s: delete(on_commit), once=True)
    event.listen(session, "after_rollback", lambda _s: delete(on_rollback), once=True)


def write_frames(session: Session, store: BlobStore, dataset_id: uuid.UUID, stream: str, frame: pl.DataFrame, *,
                 replace: bool = False, rows_per_part: int = ROWS_PER_PART,
                 row_group_rows: int = ROW_GROUP_ROWS) -> list[FramePart]:
    """Store ``frame`` as parts of the dataset's ``stream``; returns the new (flushed) index rows.

    ``replace`` drops the stream's existing parts (in the same transaction); otherwise the
    new rows add to them. Nothing is visible to readers until the caller commits.
    ``row_group_rows`` sets the unit a windowed read decodes (small for data read in short windows).
    """
    _check_frame(frame, stream)
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound("Dataset not found")
    old = session.scalars(select(FramePart).where(FramePart.dataset_id == dataset_id,
                                                  FramePart.stream == stream)).all() if replace else []
    if frame.height == 0 and not replace:
        return []
    frame = frame.sort("t", maintain_order=True)
    step = _rows_per_part(frame, rows_per_part)
    written: list[str] = []
    parts: list[FramePart] = []
    try:
        for offset in range(0, frame.height, step):
            chunk = frame.slice(offset, step)
            part_id = uuid.uuid4()
            key = frame_key(dataset_id, part_id)
            with store.open_write(key) as writer:
                chunk.write_parquet(writer, compression="zstd", row_group_size=row_group_rows, statistics=True)
            written.append(key)
            parts.append(FramePart(id=part_id, dataset_id=dataset_id, organisation_id=dataset.organisation_id,
                                   stream=stream, blob_key=key, start_s=float(chunk["t"][0]),
                                   end_s=float(chunk["t"][-1]), rows=chunk.height, columns=list(chunk.columns)))
        for row in old:
            session.delete(row)
        session.add_all(parts)
        session.flush()
    except BaseException:
        for key in written:
            store.delete(key)
        raise
    _after_transaction(session, on_commit=[p.blob_key for p in old], on_rollback=written, store=store)
    return parts


def find_parts(session: Session, dataset_id: uuid.UUID, stream: str, t0: float | None = None,
               t1: float | None = None) -> list[FramePart]:
    """The parts of a stream that may hold rows with ``t0 <= t < t1``, in time order."""
    query = select(FramePart).where(FramePart.dataset_id == dataset_id, FramePart.stream == stream)
    if t0 is not None:
        query = query.where(FramePart.end_s >= t0)
    if t1 is not None:
        query = query.where(FramePart.start_s < t1)
    return list(session.scalars(query.order_by(FramePart.start_s, FramePart.created_at, FramePart.id)))


def read_frames(session: Session, store: BlobStore, dataset_id: uuid.UUID, stream: str, t0: float | None = None,
                t1: float | None = None, columns: Sequence[str] | None = None) -> pl.DataFrame:
    """Rows with ``t0 <= t < t1`` (either bound may be None), sorted by ``t``.

    ``columns`` selects columns (``t`` is always included); a column that only some parts
    have is null in the others. Unknown columns are a 400.
    """
    for bound in (t0, t1):
        if bound is not None and not math.isfinite(bound):
            raise InvalidInput("Time bounds must be finite numbers of seconds")
    if t0 is not None and t1 is not None and t1 < t0:
        raise InvalidInput(f"The window ends ({t1}) before it starts ({t0})")
    parts = find_parts(session, dataset_id, stream, t0, t1)
    wanted = None
    if columns is not None:
        # Checked against the whole stream: a column only later parts have is null in this window.
        known = {c for cols in session.scalars(select(FramePart.columns).where(
            FramePart.dataset_id == dataset_id, FramePart.stream == stream)) for c in cols}
        missing = [c for c in columns if c not in known and c != "t"]
        if known and missing:
            raise InvalidInput(f"Unknown column(s) in stream {stream!r}: {', '.join(missing)}",
                               details={"available": sorted(known)})
        wanted = ["t", *[c for c in dict.fromkeys(columns) if c != "t"]]
    if not parts:
        return pl.DataFrame(schema={"t": pl.Float64})
    window = pl.lit(True)
    if t0 is not None:
        window &= pl.col("t") >= t0
    if t1 is not None:
        window &= pl.col("t") < t1
    pieces = []
    for part in parts:
        select_cols = [c for c in wanted if c in part.columns] if wanted else None
        path = store.local_path(part.blob_key)
        if path is not None:
            lazy = pl.scan_parquet(path)  # lazy: the filter skips row groups by their t statistics
        else:
            with store.open_read(part.blob_key) as f:
                lazy = pl.read_parquet(f, columns=select_cols).lazy()
        if select_cols is not None:
            lazy = lazy.select(select_cols)
        pieces.append(lazy.filter(window))
    # Parts written by later appends may overlap earlier ones in time, and columns may differ.
    result = pl.concat(pieces, how="diagonal_relaxed").sort("t", maintain_order=True).collect()
    if wanted:
        result = result.with_columns([pl.lit(None).alias(c) for c in wanted if c not in result.columns]).select(wanted)
    return result


@dataclasses.dataclass(frozen=True)
class StreamSummary:
    stream: str
    parts: int
    rows: int
    start_s: float
    end_s: float
    columns: list[str]


def summarize_streams(session: Session, dataset_id: uuid.UUID) -> list[StreamSummary]:
    by_stream: dict[str, list[FramePart]] = {}
    for part in session.scalars(select(FramePart).where(FramePart.dataset_id == dataset_id)):
        by_stream.setdefault(part.stream, []).append(part)
    return [StreamSummary(stream, len(ps), sum(p.rows for p in ps), min(p.start_s for p in ps),
                          max(p.end_s for p in ps), list(dict.fromkeys(c for p in ps for c in p.columns)))
            for stream, ps in sorted(by_stream.items())]


def delete_frames(session: Session, store: BlobStore, dataset_id: uuid.UUID, stream: str | None = None) -> int:
    """Remove the parts of one stream (or all streams) of a dataset; blobs go once committed."""
    query = select(FramePart).where(FramePart.dataset_id == dataset_id)
    if stream is not None:
        query = query.where(FramePart.stream == stream)
    parts = list(session.scalars(query))
    for part in parts:
        session.delete(part)
    session.flush()
    _after_transaction(session, on_commit=[p.blob_key for p in parts], on_rollback=[], store=store)
    return len(parts)
