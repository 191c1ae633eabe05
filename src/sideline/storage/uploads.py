"""Files of an organisation: resumable chunked uploads, single-request uploads, reading, deletion.

The service behind the ``uploads`` and ``files`` API routers, and the ``cleanup-uploads``
command; it knows nothing of HTTP. Request bodies come in as async iterables of bytes; a
body whose sender went away must end with ``BodyInterrupted``.

A chunked upload is declared (``create_upload``), receives its bytes in order
(``receive_chunk``, one ``START..END`` range at a time) and is checked and published by
``complete_upload``. Bytes are staged under ``uploads/<id>`` in the blob store and moved to
``files/<org>/<id>`` on completion. Keys are made from ids only; the user's file name is kept,
sanitised, in the database. Until completion the row says ``uploading``, so nothing
half-written is ever ``ready``; failed and abandoned uploads are removed by
``cleanup_uploads``.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import fnmatch
import hashlib
import logging
import mimetypes
import os
import re
import threading
import unicodedata
import uuid
from collections.abc import AsyncIterable, Iterator
from typing import TYPE_CHECKING, BinaryIO

import anyio
import anyio.to_thread
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sideline.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, UnsupportedMediaType
from sideline.settings import Settings
from sideline.storage.blobs import BlobError, BlobNotFound, BlobWriter, sha256_of
from sideline.storage.models import FileStatus, StoredFile, utcnow

if TYPE_CHECKING:
    from sideline.services import Services

log = logging.getLogger(__name__)

# Request bodies arrive in small pieces; they are batched up to this size per blob write.
WRITE_BLOCK = 1024 * 1024
MAX_FILENAME_CHARS = 255

_thread = anyio.to_thread.run_sync


class BodyInterrupted(Exception):
    """Raised by a request body's iterator when its sender went away before the end."""


# --- Rules --------------------------------------------------------------------------------------

def staging_key(file_id: uuid.UUID) -> str:
    return f"uploads/{file_id}"


def file_key(organisation_id: uuid.UUID, file_id: uuid.UUID) -> str:
    return f"files/{organisation_id}/{file_id}"


def human_bytes(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}".replace(".0 ", " ")
        n /= 1024
    raise AssertionError


def check_size(size: int, settings: Settings) -> None:
    if size > settings.max_upload_bytes:
        raise PayloadTooLarge(f"The file is {human_bytes(size)}; the limit is {settings.max_upload_bytes} bytes "
                              f"({human_bytes(settings.max_upload_bytes)})",
                              details={"size": size, "max_upload_bytes": settings.max_upload_bytes})


def check_chunk_length(length: int, settings: Settings) -> None:
    if length > settings.upload_chunk_bytes:
        raise PayloadTooLarge(f"A chunk may have at most {settings.upload_chunk_bytes} bytes; this one has {length}",
                              details={"chunk_size": settings.upload_chunk_bytes})


_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")


def check_content_type(value: str | None, settings: Settings) -> str:
    """The media type (lower case, parameters dropped) if the settings allow it, else 415."""
    media_type = (value or "").split(";", 1)[0].strip().lower()
    if not _MEDIA_TYPE.fullmatch(media_type):
        raise UnsupportedMediaType(f"Content type {value!r} is not a valid media type (like 'video/mp4')")
    if not any(fnmatch.fnmatchcase(media_type, pattern.lower()) for pattern in settings.allowed_upload_types):
        raise UnsupportedMediaType(f"Files of type {media_type} are not accepted; allowed: "
                                   f"{', '.join(settings.allowed_upload_types)}",
                                   details={"allowed": settings.allowed_upload_types})
    return media_type


def sanitize_filename(name: str) -> str:
    """A display name without directories or control characters; raises InvalidInput if none is left.

    The name is metadata only (storage keys are ids), but it is shown in the web app and sent
    back in Content-Disposition, so it must not carry paths, NULs, newlines or bidi tricks.
    """
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[\\/]", name)[-1]  # both separators: the uploader may be on Windows
    # Category C: controls (NUL, CR, LF), format characters (bidi overrides), unassigned, surrogates.
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = " ".join(name.split())
    name = name.strip(". ")  # no hidden files, no "..", no trailing dots that Windows drops
    if not name:
        raise InvalidInput("The file name is empty once directories and control characters are removed")
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        ext = dot + ext if dot and 0 < len(ext) <= 16 else ""
        name = name[:MAX_FILENAME_CHARS - len(ext)].rstrip() + ext
    return name


# --- Per-upload lock ------------------------------------------------------------------------------

def _busy(file_id: uuid.UUID) -> Conflict:
    return Conflict("Another request is writing to this upload; retry shortly",
                    details={"upload_id": str(file_id), "reason": "busy"})


@contextlib.contextmanager
def upload_lock(services: Services, file_id: uuid.UUID) -> Iterator[None]:
    """Hold the right to write to one upload, across threads and processes; 409 if taken.

    PostgreSQL: a transaction-level advisory lock (freed by the rollback, even if this process
    dies). Embedded SQLite runs on one machine, so an flock on a file in the home folder does.
    """
    if services.db.is_postgres:
        key = int.from_bytes(file_id.bytes[:8], "big", signed=True)
        with services.db.engine.connect() as conn:
            if not conn.scalar(select(func.pg_try_advisory_xact_lock(key))):
                raise _busy(file_id)
            yield
        return
    import fcntl

    folder = services.settings.home / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"upload-{file_id}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(file_id) from None
        # A holder that finished may have removed the file after we opened it: then ours is stale.
        try:
            if os.stat(path).st_ino != os.fstat(fd).st_ino:
                raise _busy(file_id)
        except FileNotFoundError:
            raise _busy(file_id) from None
        yield
    finally:
        os.close(fd)


def _drop_lock_file(services: Services, file_id: uuid.UUID) -> None:
    """Called with the lock held, once the upload is over."""
    if not services.db.is_postgres:
        (services.settings.home / "locks" / f"upload-{file_id}.lock").unlink(missing_ok=True)


# --- Running SHA-256 --------------------------------------------------------------------------------

class _HashCache:
    """SHA-256 states of uploads in progress, so ``complete`` need not re-read the whole file.

    Hash states cannot be stored in the database, so this is only a shortcut: when another
    process received the previous chunk (or this one restarted), ``complete`` hashes the bytes
    as it assembles them instead.
    """

    def __init__(self, capacity: int = 2048):
        self.capacity = capacity
        self._states: collections.OrderedDict[uuid.UUID, tuple[int, object]] = collections.OrderedDict()
        self._lock = threading.Lock()

    def take(self, file_id: uuid.UUID, offset: int):
        """A copy of the state after ``offset`` bytes, or None."""
        if offset == 0:
            return hashlib.sha256()
        with self._lock:
            entry = self._states.get(file_id)
            return entry[1].copy() if entry and entry[0] == offset else None  # type: ignore[attr-defined]

    def put(self, file_id: uuid.UUID, offset: int, state) -> None:
        with self._lock:
            self._states[file_id] = (offset, state)
            self._states.move_to_end(file_id)
            while len(self._states) > self.capacity:
                self._states.popitem(last=False)

    def forget(self, file_id: uuid.UUID) -> None:
        with self._lock:
            self._states.pop(file_id, None)


HASHES = _HashCache()


# --- Chunked uploads -----------------------------------------------------------------------------------

def load_file(services: Services, organisation_id: uuid.UUID, file_id: uuid.UUID, what: str = "Upload") -> StoredFile:
    """The row (detached, loaded) if it belongs to the organisation, else 404."""
    with services.db.session() as s:
        f = s.get(StoredFile, file_id)
        if f is None or f.organisation_id != organisation_id:
            raise NotFound(f"{what} not found")
        return f


def check_uploading(f: StoredFile) -> None:
    """409 unless the upload still takes bytes."""
    if f.status == FileStatus.ready:
        raise Conflict("This upload is already complete", details={"status": f.status.value})
    if f.status == FileStatus.failed:
        raise Conflict("This upload has failed; start a new upload", details={"status": f.status.value})


def _out_of_order(f: StoredFile, start: int) -> Conflict:
    return Conflict(f"Expected the chunk starting at byte {f.received}, not {start}",
                    details={"expected_offset": f.received, "received": f.received, "size": f.size})


def create_upload(session: Session, settings: Settings, organisation_id: uuid.UUID, user_id: uuid.UUID | None,
                  filename: str, size: int, content_type: str, sha256: str | None) -> StoredFile:
    """Declare an upload (added to ``session`` and flushed); its bytes follow with ``receive_chunk``."""
    check_size(size, settings)
    content_type = check_content_type(content_type, settings)
    f = StoredFile(id=uuid.uuid4(), organisation_id=organisation_id, created_by_id=user_id,
                   filename=sanitize_filename(filename), content_type=content_type, size=size,
                   received=0, sha256=sha256.lower() if sha256 else None, status=FileStatus.uploading)
    f.blob_key = file_key(organisation_id, f.id)
    session.add(f)
    session.flush()
    return f


def fail_upload(services: Services, f: StoredFile) -> None:
    """Mark an upload failed and delete whatever bytes it had; the row stays so clients can see why."""
    with services.db.session() as s:
        s.execute(update(StoredFile).where(StoredFile.id == f.id, StoredFile.status != FileStatus.ready)
                  .values(status=FileStatus.failed, received=0, updated_at=utcnow()))
    services.blobs.delete(staging_key(f.id))
    services.blobs.delete(f.blob_key)
    HASHES.forget(f.id)


def _record_chunk(services: Services, f: StoredFile, start: int, received: int) -> StoredFile:
    with services.db.session() as s:
        moved = s.execute(update(StoredFile).where(
            StoredFile.id == f.id, StoredFile.received == start, StoredFile.status == FileStatus.uploading,
        ).values(received=received, updated_at=utcnow())).rowcount
    if not moved:
        raise Conflict("The upload changed while this chunk was received; check its state and resume")
    return load_file(services, f.organisation_id, f.id)


async def _drain(body: AsyncIterable[bytes], limit: int) -> None:
    """Read and drop a body (a repeated chunk), so the client sees a clean response."""
    seen = 0
    try:
        async for piece in body:
            seen += len(piece)
            if seen > limit:
                break
    except BodyInterrupted:
        pass


async def _receive(body: AsyncIterable[bytes], writer: BlobWriter, hasher, length: int) -> None:
    """Stream ``body`` into ``writer`` (and ``hasher``) in blocks; 400 unless it is ``length`` bytes."""
    count = 0
    pending = bytearray()

    async def flush() -> None:
        data = bytes(pending)
        pending.clear()
        if hasher is not None:
            hasher.update(data)
        await _thread(writer.write, data)

    try:
        async for piece in body:
            count += len(piece)
            if count > length:
                raise InvalidInput(f"The body is longer than the {length} bytes Content-Range announces")
            pending += piece
            if len(pending) >= WRITE_BLOCK:
                await flush()
    except BodyInterrupted:
        raise InvalidInput("The connection closed before the chunk was complete") from None
    if count != length:
        raise InvalidInput(f"The body has {count} bytes but Content-Range announces {length}",
                           details={"received_bytes": count, "expected_bytes": length})
    if pending:
        await flush()


async def receive_chunk(services: Services, f: StoredFile, start: int, end: int,
                        body: AsyncIterable[bytes]) -> StoredFile:
    """Store ``body`` as the bytes ``start..end`` (inclusive) of upload ``f``; the upload's row after.

    ``f`` comes from ``load_file``, and the range was checked against its size. A chunk the
    upload already has (a retry whose answer got lost) is read and dropped.
    """
    check_uploading(f)
    length = end - start + 1
    lock = upload_lock(services, f.id)
    with anyio.CancelScope(shield=True):  # never leave a taken lock behind on cancellation
        await _thread(lock.__enter__)
    writer: BlobWriter | None = None
    try:
        f = await _thread(load_file, services, f.organisation_id, f.id)  # fresh, under the lock
        check_uploading(f)
        if end < f.received:  # a chunk we already have: a retry whose answer got lost
            await _drain(body, length)
        else:
            if start != f.received:
                raise _out_of_order(f, start)
            try:
                writer = await _thread(services.blobs.open_chunk, staging_key(f.id), start)
            except BlobError:
                await _thread(fail_upload, services, f)
                raise Conflict("The bytes received so far are missing from the blob store; "
                               "start a new upload") from None
            hasher = HASHES.take(f.id, start)
            await _receive(body, writer, hasher, length)
            await _thread(writer.commit)
            f = await _thread(_record_chunk, services, f, start, end + 1)
            if hasher is not None:
                HASHES.put(f.id, end + 1, hasher)
    except BaseException as exc:
        # Shielded: a cancelled request (client gone) must still drop its bytes and the lock.
        with anyio.CancelScope(shield=True):
            if writer is not None:
                await _thread(writer.abort)
            await _thread(lock.__exit__, type(exc), exc, exc.__traceback__)
        raise
    with anyio.CancelScope(shield=True):
        await _thread(lock.__exit__, None, None, None)
    return f


def finish_upload(services: Services, organisation_id: uuid.UUID, file_id: uuid.UUID) -> StoredFile:
    """Check and publish a fully received upload (idempotent); call it with ``upload_lock`` held."""
    store = services.blobs
    f = load_file(services, organisation_id, file_id)
    if f.status == FileStatus.ready:
        return f
    check_uploading(f)
    if f.received != f.size:
        raise Conflict(f"The upload is incomplete: {f.received} of {f.size} bytes received",
                       details={"expected_offset": f.received, "received": f.received, "size": f.size})
    staging = staging_key(f.id)
    if store.staged_size(staging) == 0 and store.exists(f.blob_key):
        # An earlier complete moved the bytes but did not get to record it.
        size, digest = store.size(f.blob_key), sha256_of(store, f.blob_key)
    else:
        running = HASHES.take(f.id, f.size)
        hasher = None if running is not None else hashlib.sha256()
        try:
            size = store.assemble(staging, f.blob_key, hasher)
        except BlobError:
            fail_upload(services, f)
            raise Conflict("The uploaded bytes are missing from the blob store; start a new upload") from None
        digest = (running or hasher).hexdigest()  # type: ignore[union-attr]
    if size != f.size:
        fail_upload(services, f)
        raise Conflict(f"The stored upload has {size} bytes, not {f.size}; start a new upload")
    if f.sha256 and digest != f.sha256.lower():
        fail_upload(services, f)
        raise InvalidInput(f"SHA-256 mismatch: the file announced {f.sha256.lower()}, the received bytes "
                           f"hash to {digest}; the upload is discarded", details={"expected": f.sha256.lower(),
                                                                                   "actual": digest})
    with services.db.session() as s:
        done = s.execute(update(StoredFile).where(StoredFile.id == f.id, StoredFile.status == FileStatus.uploading)
                         .values(status=FileStatus.ready, sha256=digest, updated_at=utcnow())).rowcount
    if not done:  # deleted (or failed by cleanup) meanwhile: nothing may stay behind
        store.delete(f.blob_key)
        raise NotFound("Upload not found")
    HASHES.forget(f.id)
    _drop_lock_file(services, f.id)
    return load_file(services, organisation_id, file_id)


def complete_upload(services: Services, organisation_id: uuid.UUID, file_id: uuid.UUID) -> StoredFile:
    """Check and publish a fully received upload under its lock (idempotent)."""
    load_file(services, organisation_id, file_id)  # 404 before touching any lock
    with upload_lock(services, file_id):
        return finish_upload(services, organisation_id, file_id)


# --- Single-request uploads ------------------------------------------------------------------------------

class NewFile:
    """A file received whole in one request (a form upload), stored ``ready`` at once.

    ``start`` it once, ``write`` its bytes in order, ``end`` after the last, then ``finish``
    publishes it. ``abort`` drops the bytes written unless they were committed; call it
    whenever receiving fails (it is safe at any time).
    """

    def __init__(self, services: Services, organisation_id: uuid.UUID, user_id: uuid.UUID | None):
        self.services = services
        self.settings = services.settings
        self.organisation_id = organisation_id
        self.user_id = user_id
        self.id = uuid.uuid4()
        self.key = file_key(organisation_id, self.id)
        self.filename: str | None = None
        self.content_type: str | None = None
        self.size = 0
        self._writer: BlobWriter | None = None
        self._committed = False
        self._hasher = hashlib.sha256()
        self._pending = bytearray()

    @property
    def started(self) -> bool:
        return self._writer is not None

    async def start(self, filename: str, content_type: str | None) -> None:
        """Check the name and type (guessed from the name when not given) and open the blob."""
        self.filename = sanitize_filename(filename)
        guessed = content_type or mimetypes.guess_type(self.filename)[0] or "application/octet-stream"
        self.content_type = check_content_type(guessed, self.settings)
        self._writer = await _thread(self.services.blobs.open_write, self.key)

    async def _flush(self) -> None:
        data = bytes(self._pending)
        self._pending.clear()
        self._hasher.update(data)
        await _thread(self._writer.write, data)  # type: ignore[union-attr]

    async def write(self, data: bytes) -> None:
        self.size += len(data)
        check_size(self.size, self.settings)
        self._pending.extend(data)
        if len(self._pending) >= WRITE_BLOCK:
            await self._flush()

    async def end(self) -> None:
        if self._pending:
            await self._flush()

    async def finish(self) -> StoredFile:
        """Commit the bytes and record the file; the row (detached) after."""
        if self.size == 0:
            raise InvalidInput("The file is empty")
        await _thread(self._writer.commit)  # type: ignore[union-attr]
        self._committed = True
        row = StoredFile(id=self.id, organisation_id=self.organisation_id, created_by_id=self.user_id,
                         filename=self.filename, content_type=self.content_type, size=self.size,
                         received=self.size, sha256=self._hasher.hexdigest(), status=FileStatus.ready,
                         blob_key=self.key)
        try:
            await _thread(_insert, self.services, row)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await _thread(self.services.blobs.delete, self.key)
            raise
        return row

    async def abort(self) -> None:
        if self._writer is not None and not self._committed:
            with anyio.CancelScope(shield=True):
                await _thread(self._writer.abort)


def _insert(services: Services, row: StoredFile) -> None:
    with services.db.session() as s:
        s.add(row)


# --- Files: listing, reading, deletion ------------------------------------------------------------------

def list_files(session: Session, organisation_id: uuid.UUID, status: FileStatus | None, limit: int,
               offset: int, where=None) -> tuple[list[StoredFile], int]:
    """A page of the organisation's files, newest first, and how many there are in all
    (``where``: an extra clause, e.g. an athlete's own files)."""
    query = select(StoredFile).where(StoredFile.organisation_id == organisation_id)
    if where is not None:
        query = query.where(where)
    if status is not None:
        query = query.where(StoredFile.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(StoredFile.created_at.desc(), StoredFile.id)
                           .limit(limit).offset(offset)).all()
    return list(rows), total


def check_ready(f: StoredFile) -> None:
    """409 unless the file's content can be read."""
    if f.status != FileStatus.ready:
        raise Conflict(f"The file is not ready (status {f.status.value})", details={"status": f.status.value})


def open_content(services: Services, f: StoredFile, start: int = 0) -> BinaryIO:
    """A reader of the file's bytes from ``start``; 404 if they are missing from the blob store."""
    try:
        reader = services.blobs.open_read(f.blob_key)
    except BlobNotFound:
        raise NotFound("The file's content is missing from the blob store") from None
    if start:
        reader.seek(start)
    return reader


def iter_content(reader: BinaryIO, length: int) -> Iterator[bytes]:
    """Up to ``length`` bytes of ``reader`` in blocks; closes the reader."""
    left = length
    try:
        while left > 0:
            piece = reader.read(min(WRITE_BLOCK, left))
            if not piece:
                break
            left -= len(piece)
            yield piece
    finally:
        reader.close()


def delete_file(services: Services, organisation_id: uuid.UUID, file_id: uuid.UUID) -> None:
    """Delete a file or upload: the row first (so it is never served without its blob), then its bytes."""
    f = load_file(services, organisation_id, file_id, "File")
    guard = upload_lock(services, f.id) if f.status == FileStatus.uploading else contextlib.nullcontext()
    with guard:
        with services.db.session() as s:
            row = s.get(StoredFile, f.id)
            if row is not None:
                s.delete(row)
        services.blobs.delete(f.blob_key)
        services.blobs.delete(staging_key(f.id))
        HASHES.forget(f.id)
        _drop_lock_file(services, f.id)


def cleanup_uploads(services: Services, older_than_hours: float = 24.0) -> int:
    """Remove uploads not finished for ``older_than_hours`` (rows and bytes) and orphaned staging.

    For a periodic job or the CLI; returns how many uploads it removed. Uploads busy right now
    are left for the next run.
    """
    cutoff = utcnow() - dt.timedelta(hours=older_than_hours)
    with services.db.session() as s:
        stale = s.execute(select(StoredFile.id, StoredFile.organisation_id).where(
            StoredFile.status.in_([FileStatus.uploading, FileStatus.failed]),
            StoredFile.updated_at < cutoff)).all()
    removed = 0
    for file_id, organisation_id in stale:
        try:
            delete_file(services, organisation_id, file_id)
            removed += 1
        except (Conflict, NotFound):
            continue
    # Staged bytes whose upload row is gone (its organisation was deleted, or a crash).
    staged_ids = {key.split("/")[1] for key in services.blobs.list("uploads") if key.count("/") >= 2}
    if staged_ids:
        with services.db.session() as s:
            live = {str(i) for i in s.scalars(select(StoredFile.id).where(StoredFile.status == FileStatus.uploading))}
        for orphan in staged_ids - live:
            services.blobs.delete(f"uploads/{orphan}")
    if removed:
        log.info("removed %d abandoned or failed uploads", removed)
    return removed
