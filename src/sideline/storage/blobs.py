"""Blob store over local disk or any fsspec filesystem (S3 and S3-compatible stores, Azure).

Every store has one interface (see ``BlobStore``). Keys are ``/``-separated paths built by the
application from ids (``files/<org>/<file>``), never from user input, and are validated anyway,
so nothing can reach outside the store. A write becomes visible only when its writer is
committed: local writes go to a hidden temporary file that is renamed into place; S3 writes are
multipart uploads that are completed (or aborted) at the end.

Chunked uploads stage their bytes under a staging key with ``open_chunk`` (the caller
serialises the writers of one staging key) and ``assemble`` them into the final key:
locally by appending to one part file that is renamed at the end (no copy), on object stores
by keeping one object per chunk that is stream-concatenated into the final object.
"""

from __future__ import annotations

import abc
import hashlib
import logging
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from sideline.errors import ServiceUnavailable
from sideline.settings import ConfigurationError, Settings

log = logging.getLogger(__name__)

COPY_BUFFER = 1024 * 1024
# Multipart part size for object stores: S3 needs >= 5 MiB; larger parts mean more memory per writer.
OBJECT_PART_BYTES = 16 * 1024 * 1024
# S3's multipart limits (also MinIO's): parts but the last >= 5 MiB, at most 10,000 parts.
S3_MIN_PART = 5 * 1024 * 1024
S3_MAX_PARTS = 10_000

_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._=-]{0,199}")


class BlobError(Exception):
    """A blob store operation that cannot be done (missing key, staging out of order)."""


class BlobNotFound(BlobError, FileNotFoundError):
    pass


def validate_key(key: str, *, allow_empty: bool = False) -> str:
    """Return ``key`` if it is a safe relative path of plain segments, else raise ValueError.

    Segments may not start with a dot, which rules out ``.``/``..`` and keeps the names of the
    local store's hidden temporary files out of the key space.
    """
    if key == "" and allow_empty:
        return key
    if not isinstance(key, str) or not key or len(key) > 500:
        raise ValueError(f"invalid blob key {key!r}")
    if not all(_SEGMENT.fullmatch(part) for part in key.split("/")):
        raise ValueError(f"invalid blob key {key!r}")
    return key


class Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...


class BlobWriter(abc.ABC):
    """A streaming writer: ``write`` pieces, then ``commit`` to publish or ``abort`` to drop.

    Used as a context manager it commits on success and aborts on an exception, so a failed
    write never leaves a visible (partial) blob.
    """

    def __init__(self) -> None:
        self.written = 0
        self.finished = False

    def write(self, data: bytes) -> int:
        if self.finished:
            raise ValueError("write to a finished blob writer")
        self._write(data)
        self.written += len(data)
        return len(data)

    def commit(self) -> None:
        if self.finished:
            raise ValueError("blob writer already finished")
        self.finished = True
        try:
            self._commit()
        except BaseException:
            self._abort()
            raise

    def abort(self) -> None:
        if self.finished:
            return
        self.finished = True
        try:
            self._abort()
        except Exception:  # best effort: an aborted write is invisible either way
            log.warning("could not clean up an aborted blob write", exc_info=True)

    # Lets polars and other writers that probe for these treat us as a plain binary stream.
    def flush(self) -> None:
        pass

    def writable(self) -> bool:
        return not self.finished

    def __enter__(self) -> "BlobWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()

    @abc.abstractmethod
    def _write(self, data: bytes) -> None: ...

    @abc.abstractmethod
    def _commit(self) -> None: ...

    @abc.abstractmethod
    def _abort(self) -> None: ...


class BlobStore(abc.ABC):
    """The interface every store implements; ``url`` says where it is (no credentials)."""

    url: str

    # -- plain blobs --------------------------------------------------------------------
    @abc.abstractmethod
    def open_write(self, key: str) -> BlobWriter:
        """A streaming writer for ``key``; the blob appears only when it is committed."""

    @abc.abstractmethod
    def open_read(self, key: str) -> BinaryIO:
        """A seekable binary reader; raises BlobNotFound."""

    @abc.abstractmethod
    def exists(self, key: str) -> bool: ...

    @abc.abstractmethod
    def size(self, key: str) -> int:
        """Size in bytes; raises BlobNotFound."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Delete the blob ``key`` and every blob under ``key/``; missing ones are ignored."""

    @abc.abstractmethod
    def list(self, prefix: str = "") -> list[str]:
        """Sorted keys equal to ``prefix`` or under ``prefix/`` (all keys for "")."""

    @abc.abstractmethod
    def check(self) -> None:
        """Raise ServiceUnavailable unless the store can be used (folder writable, bucket reachable)."""

    def local_path(self, key: str) -> Path | None:
        """The file of ``key`` on local disk, for readers that can use a path; None for remote stores."""
        return None

    def put(self, key: str, data: bytes) -> None:
        with self.open_write(key) as writer:
            writer.write(data)

    def get(self, key: str) -> bytes:
        with self.open_read(key) as reader:
            return reader.read()

    def iter_read(self, key: str, start: int = 0, end: int | None = None,
                  buffer: int = COPY_BUFFER) -> Iterator[bytes]:
        """Yield the bytes ``[start, end)`` of ``key`` in pieces (for streamed downloads)."""
        with self.open_read(key) as reader:
            if start:
                reader.seek(start)
            left = None if end is None else end - start
            while left is None or left > 0:
                piece = reader.read(buffer if left is None else min(buffer, left))
                if not piece:
                    break
                if left is not None:
                    left -= len(piece)
                yield piece

    # -- staged (chunked) writes ----------------------------------------------------------
    @abc.abstractmethod
    def open_chunk(self, staging: str, offset: int) -> BlobWriter:
        """A writer for the staged bytes of ``staging`` from ``offset`` on.

        Once committed, the staged content is its first ``offset`` bytes followed by what was
        written; anything staged beyond ``offset`` before (left by an interrupted attempt) is
        dropped. Raises BlobError if fewer than ``offset`` bytes are staged. The caller must
        not run two writers of one staging key at once.
        """

    @abc.abstractmethod
    def staged_size(self, staging: str) -> int:
        """How many contiguous bytes, from byte 0, are staged under ``staging``."""

    @abc.abstractmethod
    def assemble(self, staging: str, target: str, hasher: Hasher | None = None) -> int:
        """Move the staged bytes to the blob ``target`` and drop the staging; return the size.

        ``hasher`` (e.g. ``hashlib.sha256()``), if given, is fed every byte in order.
        """


# --- Local disk ---------------------------------------------------------------------------------

class _LocalWriter(BlobWriter):
    def __init__(self, path: Path):
        super().__init__()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Hidden name in the same folder: the rename is atomic and list() never shows it.
        self.tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        self.file = open(self.tmp, "xb")

    def _write(self, data: bytes) -> None:
        self.file.write(data)

    def _commit(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.tmp, self.path)

    def _abort(self) -> None:
        self.file.close()
        self.tmp.unlink(missing_ok=True)


class _LocalChunkWriter(BlobWriter):
    """Appends to the staging part file; an abort cuts it back to where this chunk began."""

    def __init__(self, path: Path, offset: int):
        super().__init__()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self.file = os.fdopen(fd, "r+b")
        self.offset = offset
        staged = os.fstat(fd).st_size
        if staged < offset:
            self.file.close()
            raise BlobError(f"only {staged} bytes are staged; cannot write at byte {offset}")
        self.file.truncate(offset)
        self.file.seek(offset)

    def _write(self, data: bytes) -> None:
        self.file.write(data)

    def _commit(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()

    def _abort(self) -> None:
        try:
            self.file.truncate(self.offset)
        finally:
            self.file.close()


class LocalBlobStore(BlobStore):
    PART_NAME = "part"

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.url = str(self.root)

    def _path(self, key: str, *, allow_root: bool = False) -> Path:
        validate_key(key, allow_empty=allow_root)
        path = (self.root / key).resolve() if key else self.root
        # Defence in depth against symlinks placed inside the store.
        if path != self.root and self.root not in path.parents:
            raise ValueError(f"invalid blob key {key!r}")
        return path

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    def open_write(self, key: str) -> BlobWriter:
        return _LocalWriter(self._path(key))

    def open_read(self, key: str) -> BinaryIO:
        path = self._path(key)
        try:
            if path.is_dir():
                raise FileNotFoundError(key)
            return path.open("rb")
        except FileNotFoundError:
            raise BlobNotFound(f"no blob {key!r}") from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        path = self._path(key)
        if not path.is_file():
            raise BlobNotFound(f"no blob {key!r}")
        return path.stat().st_size

    def delete(self, key: str) -> None:
        path = self._path(key)
        # Empty parent folders stay: removing them would race with writers creating files there.
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)

    def list(self, prefix: str = "") -> list[str]:
        base = self._path(prefix, allow_root=True)
        if base.is_file():
            return [prefix]
        if not base.is_dir():
            return []
        keys = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if not name.startswith("."):
                    keys.append(Path(dirpath, name).relative_to(self.root).as_posix())
        return sorted(keys)

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / f".probe.{secrets.token_hex(4)}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise ServiceUnavailable(f"Blob folder is not writable: {exc.strerror}") from None

    # Staging: one part file per staging key, appended to chunk by chunk and renamed at the end.
    def _part(self, staging: str) -> Path:
        return self._path(f"{staging}/{self.PART_NAME}")

    def open_chunk(self, staging: str, offset: int) -> BlobWriter:
        return _LocalChunkWriter(self._part(staging), offset)

    def staged_size(self, staging: str) -> int:
        part = self._part(staging)
        return part.stat().st_size if part.is_file() else 0

    def assemble(self, staging: str, target: str, hasher: Hasher | None = None) -> int:
        part = self._part(staging)
        if not part.is_file():
            raise BlobError(f"nothing is staged under {staging!r}")
        if hasher is not None:
            with part.open("rb") as f:
                while piece := f.read(COPY_BUFFER):
                    hasher.update(piece)
        size = part.stat().st_size
        destination = self._path(target)
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, destination)
        self.delete(staging)
        return size


# --- fsspec (S3, Azure) ------------------------------------------------------------------------

class _FsspecWriter(BlobWriter):
    def __init__(self, fs, path: str, block_size: int):
        super().__init__()
        self.file = fs.open(path, "wb", block_size=block_size)

    def _write(self, data: bytes) -> None:
        self.file.write(data)

    def _commit(self) -> None:
        self.file.close()  # completes the multipart upload (or does one PUT for small blobs)

    def _abort(self) -> None:
        try:
            self.file.discard()  # S3: aborts the multipart upload
        finally:
            # Mark closed without flushing, so neither close() nor __del__ publishes the blob.
            self.file.closed = True


class _SpooledWriter(BlobWriter):
    """For filesystems whose files appear as soon as they are opened (memory://): spool to a
    temporary file (on disk past a few MiB) and copy it in on commit."""

    def __init__(self, fs, path: str, block_size: int):
        import tempfile

        super().__init__()
        self.fs, self.path = fs, path
        self.file = tempfile.SpooledTemporaryFile(max_size=block_size)

    def _write(self, data: bytes) -> None:
        self.file.write(data)

    def _commit(self) -> None:
        self.file.seek(0)
        with self.file, self.fs.open(self.path, "wb") as target:
            shutil.copyfileobj(self.file, target, COPY_BUFFER)

    def _abort(self) -> None:
        self.file.close()


class _ChunkObjectWriter(BlobWriter):
    """Writes one chunk object; on commit drops chunk objects staged after it (stale attempts)."""

    def __init__(self, store: "FsspecBlobStore", staging: str, offset: int):
        self.store, self.staging, self.offset = store, staging, offset
        self.inner = store.open_write(store._chunk_key(staging, offset))
        BlobWriter.__init__(self)

    def _write(self, data: bytes) -> None:
        self.inner.write(data)

    def _abort(self) -> None:
        self.inner.abort()

    def _commit(self) -> None:
        self.inner.commit()
        stale = [p for p in self.store._chunk_objects(self.staging) if p[0] > self.offset]
        if stale:
            self.store.fs.rm([path for _, path, _ in stale])


class FsspecBlobStore(BlobStore):
    """A store in a bucket (S3) or container (Azure), under an optional prefix."""

    def __init__(self, url: str, fs, *, block_size: int = OBJECT_PART_BYTES):
        scheme, _, rest = url.partition("://")
        self.url = url
        self.fs = fs
        self.block_size = block_size
        self.bucket, _, prefix = rest.partition("/")
        if not self.bucket:
            raise ConfigurationError(f"Invalid configuration: SIDELINE_BLOB_URL: {scheme}:// needs a bucket name")
        self.prefix = prefix.strip("/")
        if self.prefix:
            validate_key(self.prefix)
        self.base = f"{self.bucket}/{self.prefix}" if self.prefix else self.bucket

    def _full(self, key: str, *, allow_root: bool = False) -> str:
        validate_key(key, allow_empty=allow_root)
        return f"{self.base}/{key}" if key else self.base

    def _key(self, full: str) -> str:
        return full[len(self.base) + 1:]

    def open_write(self, key: str) -> BlobWriter:
        writer = _SpooledWriter if self.fs.protocol in ("memory", ("memory",)) else _FsspecWriter
        return writer(self.fs, self._full(key), self.block_size)

    def open_read(self, key: str) -> BinaryIO:
        try:
            return self.fs.open(self._full(key), "rb", block_size=COPY_BUFFER * 4)
        except FileNotFoundError:
            raise BlobNotFound(f"no blob {key!r}") from None

    def exists(self, key: str) -> bool:
        return self.fs.isfile(self._full(key))

    def size(self, key: str) -> int:
        try:
            info = self.fs.info(self._full(key))
        except FileNotFoundError:
            raise BlobNotFound(f"no blob {key!r}") from None
        if info.get("type") != "file":
            raise BlobNotFound(f"no blob {key!r}")
        return int(info["size"])

    def delete(self, key: str) -> None:
        paths = [self._full(k) for k in self.list(key)]
        if paths:
            self.fs.rm(paths)

    def list(self, prefix: str = "") -> list[str]:
        full = self._full(prefix, allow_root=True)
        try:
            found = self.fs.find(full)
        except FileNotFoundError:
            return []
        # find() on "a/b" may also match "a/bc" in some filesystems; keep exact folder semantics.
        keys = [self._key(p) for p in found if p == full or p.startswith(full + "/")]
        return sorted(k for k in keys if k)

    def check(self) -> None:
        try:
            self.fs.ls(self.bucket, refresh=True)
        except Exception as exc:  # the message of a client error names no secret
            raise ServiceUnavailable(f"Blob store {self.url} is not reachable: {type(exc).__name__}: {exc}") from None

    # Staging: one object per chunk, named by its offset, concatenated on assemble.
    @staticmethod
    def _chunk_key(staging: str, offset: int) -> str:
        return f"{staging}/chunk-{offset:016d}"

    def _chunk_objects(self, staging: str) -> list[tuple[int, str, int]]:
        """(offset, full path, size) of the chunk objects of ``staging``, by offset."""
        full = self._full(staging)
        try:
            found = self.fs.find(full, detail=True)
        except FileNotFoundError:
            return []
        chunks = []
        for path, info in found.items():
            name = path.rsplit("/", 1)[-1]
            if path.startswith(full + "/") and name.startswith("chunk-"):
                chunks.append((int(name[6:]), path, int(info["size"])))
        return sorted(chunks)

    def _chain(self, staging: str) -> list[tuple[int, str, int]]:
        """The chunk objects that follow each other without a gap from byte 0."""
        chain, position = [], 0
        for offset, path, size in self._chunk_objects(staging):
            if offset != position:
                break
            chain.append((offset, path, size))
            position += size
        return chain

    def open_chunk(self, staging: str, offset: int) -> BlobWriter:
        staged = self.staged_size(staging)
        if staged < offset:
            raise BlobError(f"only {staged} bytes are staged; cannot write at byte {offset}")
        return _ChunkObjectWriter(self, staging, offset)

    def staged_size(self, staging: str) -> int:
        return sum(size for _, _, size in self._chain(staging))

    def _merge_server_side(self, chain: list[tuple[int, str, int]], target: str) -> bool:
        """Join the chunks inside the store (S3 multipart upload_part_copy): no byte of a
        multi-GB video travels through this process. S3 needs every part but the last to be
        >= 5 MiB and allows 10,000 parts; otherwise, or on any error, the caller streams."""
        merge = getattr(self.fs, "merge", None)
        if merge is None or len(chain) > S3_MAX_PARTS or any(size < S3_MIN_PART for _, _, size in chain[:-1]):
            return False
        try:
            merge(self._full(target), [path for _, path, _ in chain])
            return True
        except Exception:
            log.warning("server-side merge of %d chunks failed; streaming them instead", len(chain), exc_info=True)
            return False

    def assemble(self, staging: str, target: str, hasher: Hasher | None = None) -> int:
        chain = self._chain(staging)
        if not chain:
            raise BlobError(f"nothing is staged under {staging!r}")
        if hasher is None and self._merge_server_side(chain, target):
            self.delete(staging)
            return sum(size for _, _, size in chain)
        # Otherwise streamed through this process (bounded memory): the checksum needs the bytes,
        # or the chunks are too small for a server-side multipart copy.
        with self.open_write(target) as writer:
            for _, path, _ in chain:
                with self.fs.open(path, "rb", block_size=COPY_BUFFER * 4) as reader:
                    while piece := reader.read(COPY_BUFFER):
                        if hasher is not None:
                            hasher.update(piece)
                        writer.write(piece)
            size = writer.written
        self.delete(staging)
        return size


def _s3_filesystem(settings: Settings):
    import s3fs

    client_kwargs = {"region_name": settings.s3_region} if settings.s3_region else {}
    # Credentials come from the usual AWS variables, files or instance roles (botocore's chain).
    # Listing caches are off: other processes write to the same bucket.
    return s3fs.S3FileSystem(endpoint_url=settings.s3_endpoint_url, client_kwargs=client_kwargs,
                             skip_instance_cache=True, use_listings_cache=False)


def _azure_filesystem(url: str):
    try:
        import adlfs
    except ImportError:
        raise ConfigurationError(
            f"Invalid configuration: SIDELINE_BLOB_URL: {url.split('://')[0]}:// needs the adlfs package "
            "(pip install 'sideline[azure]')") from None
    # Account name and key or connection string from AZURE_STORAGE_* variables, as adlfs documents.
    return adlfs.AzureBlobFileSystem(anon=False, skip_instance_cache=True, use_listings_cache=False)


def make_blob_store(settings: Settings) -> BlobStore:
    url = settings.resolved_blob_url
    scheme = url.split("://", 1)[0] if "://" in url else "file"
    if scheme == "file":
        return LocalBlobStore(url.removeprefix("file://"))
    if scheme == "s3":
        return FsspecBlobStore(url, _s3_filesystem(settings))
    if scheme in ("az", "abfs"):
        return FsspecBlobStore(url, _azure_filesystem(url))
    if scheme == "memory":
        import fsspec.implementations.memory

        return FsspecBlobStore(url, fsspec.implementations.memory.MemoryFileSystem(skip_instance_cache=True))
    raise ConfigurationError(f"Invalid configuration: SIDELINE_BLOB_URL: unsupported scheme {scheme!r}")


def sha256_of(store: BlobStore, key: str) -> str:
    digest = hashlib.sha256()
    for piece in store.iter_read(key):
        digest.update(piece)
    return digest.hexdigest()
