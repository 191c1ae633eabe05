"""Resumable chunked uploads, and the upload rules the files router shares.

Protocol: ``POST /uploads`` declares a file; ``PUT /uploads/{id}/content`` sends its bytes in
order, one chunk per request with ``Content-Range: bytes START-END/TOTAL``; ``GET
/uploads/{id}`` says how many bytes arrived (to resume after an interruption); ``POST
/uploads/{id}/complete`` checks the size and checksum and publishes the file.

Bytes are staged under ``uploads/<id>`` in the blob store and moved to ``files/<org>/<id>``
on completion. Keys are made from ids only; the user's file name is kept, sanitised, in the
database and in download headers. Until completion the row says ``uploading``, so nothing
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
import os
import re
import threading
import unicodedata
import uuid
from collections.abc import Iterator

import anyio
from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select, update
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from sideline.api.deps import OrgRead, OrgWrite, ServicesDep, SessionDep
from sideline.api.schemas import ERROR_RESPONSES
from sideline.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, UnsupportedMediaType
from sideline.services import Services
from sideline.settings import Settings
from sideline.storage.blobs import BlobError, BlobWriter, sha256_of
from sideline.storage.models import FileStatus, StoredFile, utcnow

log = logging.getLogger(__name__)

router = APIRouter(tags=["uploads"], responses=ERROR_RESPONSES)

# Request bodies arrive in small pieces; they are batched up to this size per blob write.
WRITE_BLOCK = 1024 * 1024
MAX_FILENAME_CHARS = 255


# --- Shapes -------------------------------------------------------------------------------------

class UploadIn(BaseModel):
    filename: str = Field(min_length=1, max_length=4096)
    size: int = Field(ge=1, description="bytes; at most the server's max_upload_bytes")
    content_type: str = Field(min_length=1, max_length=200)
    sha256: str | None = Field(None, pattern=r"^[0-9a-fA-F]{64}$", description="hex SHA-256 of the whole file")


class UploadOut(BaseModel):
    id: uuid.UUID
    filename: str
    size: int
    content_type: str
    status: FileStatus
    received: int
    chunk_size: int


class ChunkOut(BaseModel):
    id: uuid.UUID
    received: int
    status: FileStatus


class FileOut(BaseModel):
    id: uuid.UUID
    filename: str
    size: int
    content_type: str
    sha256: str | None
    status: FileStatus
    created_at: dt.datetime

    @classmethod
    def of(cls, f: StoredFile) -> "FileOut":
        # While uploading, ``sha256`` holds the checksum the client promised, not one we verified.
        return cls(id=f.id, filename=f.filename, size=f.size, content_type=f.content_type,
                   sha256=f.sha256 if f.status == FileStatus.ready else None, status=f.status,
                   created_at=f.created_at)


def upload_out(f: StoredFile, settings: Settings) -> UploadOut:
    return UploadOut(id=f.id, filename=f.filename, size=f.size, content_type=f.content_type, status=f.status,
                     received=f.received, chunk_size=settings.upload_chunk_bytes)


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


# --- The upload service ------------------------------------------------------------------------------

def load_file(services: Services, organisation_id: uuid.UUID, file_id: uuid.UUID, what: str = "Upload") -> StoredFile:
    """The row (detached, loaded) if it belongs to the organisation, else 404."""
    with services.db.session() as s:
        f = s.get(StoredFile, file_id)
        if f is None or f.organisation_id != organisation_id:
            raise NotFound(f"{what} not found")
        return f


def _check_uploading(f: StoredFile) -> None:
    if f.status == FileStatus.ready:
        raise Conflict("This upload is already complete", details={"status": f.status.value})
    if f.status == FileStatus.failed:
        raise Conflict("This upload has failed; start a new upload", details={"status": f.status.value})


def _out_of_order(f: StoredFile, start: int) -> Conflict:
    return Conflict(f"Expected the chunk starting at byte {f.received}, not {start}",
                    details={"expected_offset": f.received, "received": f.received, "size": f.size})


_CONTENT_RANGE = re.compile(r"bytes (\d{1,19})-(\d{1,19})/(\d{1,19})")


def parse_content_range(value: str | None, size: int) -> tuple[int, int]:
    """(start, end) inclusive from ``bytes START-END/TOTAL``; 400 unless it fits the upload."""
    if not value:
        raise InvalidInput("The Content-Range header is required: bytes START-END/TOTAL")
    match = _CONTENT_RANGE.fullmatch(value.strip())
    if not match:
        raise InvalidInput(f"Content-Range {value!r} is not of the form bytes START-END/TOTAL")
    start, end, total = map(int, match.groups())
    if total != size:
        raise InvalidInput(f"Content-Range total {total} differs from the declared size {size}")
    if end < start or end >= total:
        raise InvalidInput(f"Content-Range {value!r} is not a byte range inside the file (0-{size - 1})")
    return start, end


def fail_upload(services: Services, f: StoredFile) -> None:
    """Mark an upload failed and delete whatever bytes it had; the row stays so clients can see why."""
    with services.db.session() as s:
        s.execute(update(StoredFile).where(StoredFile.id == f.id, StoredFile.status != FileStatus.ready)
                  .values(status=FileStatus.failed, received=0, updated_at=utcnow()))
    services.blobs.delete(staging_key(f.id))
    services.blobs.delete(f.blob_key)
    HASHES.forget(f.id)


def finish_upload(services: Services, organisation_id: uuid.UUID, file_id: uuid.UUID) -> StoredFile:
    """Check and publish a fully received upload (idempotent); call it with ``upload_lock`` held."""
    store = services.blobs
    f = load_file(services, organisation_id, file_id)
    if f.status == FileStatus.ready:
        return f
    _check_uploading(f)
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


def _record_chunk(services: Services, f: StoredFile, start: int, received: int) -> StoredFile:
    with services.db.session() as s:
        moved = s.execute(update(StoredFile).where(
            StoredFile.id == f.id, StoredFile.received == start, StoredFile.status == FileStatus.uploading,
        ).values(received=received, updated_at=utcnow())).rowcount
    if not moved:
        raise Conflict("The upload changed while this chunk was received; check its state and resume")
    return load_file(services, f.organisation_id, f.id)


async def _drain(request: Request, limit: int) -> None:
    """Read and drop a body (a repeated chunk), so the client sees a clean response."""
    seen = 0
    try:
        async for piece in request.stream():
            seen += len(piece)
            if seen > limit:
                break
    except ClientDisconnect:
        pass


async def _receive(request: Request, writer: BlobWriter, hasher, length: int) -> None:
    """Stream the body into ``writer`` (and ``hasher``) in blocks; 400 unless it is ``length`` bytes."""
    count = 0
    pending = bytearray()

    async def flush() -> None:
        data = bytes(pending)
        pending.clear()
        if hasher is not None:
            hasher.update(data)
        await run_in_threadpool(writer.write, data)

    try:
        async for piece in request.stream():
            count += len(piece)
            if count > length:
                raise InvalidInput(f"The body is longer than the {length} bytes Content-Range announces")
            pending += piece
            if len(pending) >= WRITE_BLOCK:
                await flush()
    except ClientDisconnect:
        raise InvalidInput("The connection closed before the chunk was complete") from None
    if count != length:
        raise InvalidInput(f"The body has {count} bytes but Content-Range announces {length}",
                           details={"received_bytes": count, "expected_bytes": length})
    if pending:
        await flush()


# --- Routes -------------------------------------------------------------------------------------------

@router.post("/orgs/{org_id}/uploads", response_model=UploadOut, status_code=status.HTTP_201_CREATED)
def create_upload(body: UploadIn, org: OrgWrite, session: SessionDep, services: ServicesDep) -> UploadOut:
    settings = services.settings
    check_size(body.size, settings)
    content_type = check_content_type(body.content_type, settings)
    f = StoredFile(id=uuid.uuid4(), organisation_id=org.organisation_id, created_by_id=org.user_id,
                   filename=sanitize_filename(body.filename), content_type=content_type, size=body.size,
                   received=0, sha256=body.sha256.lower() if body.sha256 else None, status=FileStatus.uploading)
    f.blob_key = file_key(org.organisation_id, f.id)
    session.add(f)
    session.flush()
    return upload_out(f, settings)


@router.get("/orgs/{org_id}/uploads/{upload_id}", response_model=UploadOut)
def get_upload(upload_id: uuid.UUID, org: OrgRead, services: ServicesDep) -> UploadOut:
    return upload_out(load_file(services, org.organisation_id, upload_id), services.settings)


@router.put("/orgs/{org_id}/uploads/{upload_id}/content", response_model=ChunkOut,
            openapi_extra={"requestBody": {"required": True, "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
async def put_chunk(upload_id: uuid.UUID, request: Request, org: OrgWrite, session: SessionDep,
                    services: ServicesDep) -> ChunkOut:
    """Receive the bytes START..END (inclusive) of the file, as the Content-Range header says."""
    # The request's session is not needed past the access check; free its connection now, not
    # after a body that may take long to arrive.
    await run_in_threadpool(session.commit)
    settings = services.settings
    f = await run_in_threadpool(load_file, services, org.organisation_id, upload_id)
    start, end = parse_content_range(request.headers.get("content-range"), f.size)
    length = end - start + 1
    if length > settings.upload_chunk_bytes:
        raise PayloadTooLarge(f"A chunk may have at most {settings.upload_chunk_bytes} bytes; this one has {length}",
                              details={"chunk_size": settings.upload_chunk_bytes})
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) != length):
        raise InvalidInput(f"Content-Length {declared} differs from the {length} bytes of the Content-Range")
    _check_uploading(f)

    lock = upload_lock(services, f.id)
    with anyio.CancelScope(shield=True):  # never leave a taken lock behind on cancellation
        await run_in_threadpool(lock.__enter__)
    writer: BlobWriter | None = None
    try:
        f = await run_in_threadpool(load_file, services, org.organisation_id, upload_id)  # fresh, under the lock
        _check_uploading(f)
        if end < f.received:  # a chunk we already have: a retry whose answer got lost
            await _drain(request, length)
            return ChunkOut(id=f.id, received=f.received, status=f.status)
        if start != f.received:
            raise _out_of_order(f, start)
        try:
            writer = await run_in_threadpool(services.blobs.open_chunk, staging_key(f.id), start)
        except BlobError:
            await run_in_threadpool(fail_upload, services, f)
            raise Conflict("The bytes received so far are missing from the blob store; start a new upload") from None
        hasher = HASHES.take(f.id, start)
        await _receive(request, writer, hasher, length)
        await run_in_threadpool(writer.commit)
        f = await run_in_threadpool(_record_chunk, services, f, start, end + 1)
        if hasher is not None:
            HASHES.put(f.id, end + 1, hasher)
    except BaseException as exc:
        # Shielded: a cancelled request (client gone) must still drop its bytes and the lock.
        with anyio.CancelScope(shield=True):
            if writer is not None:
                await run_in_threadpool(writer.abort)
            await run_in_threadpool(lock.__exit__, type(exc), exc, exc.__traceback__)
        raise
    with anyio.CancelScope(shield=True):
        await run_in_threadpool(lock.__exit__, None, None, None)
    return ChunkOut(id=f.id, received=f.received, status=f.status)


@router.post("/orgs/{org_id}/uploads/{upload_id}/complete", response_model=FileOut)
def complete_upload(upload_id: uuid.UUID, org: OrgWrite, session: SessionDep, services: ServicesDep) -> FileOut:
    session.commit()  # assembling a large file takes a while; do not hold the request's connection
    load_file(services, org.organisation_id, upload_id)  # 404 before touching any lock
    with upload_lock(services, upload_id):
        return FileOut.of(finish_upload(services, org.organisation_id, upload_id))

