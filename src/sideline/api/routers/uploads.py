"""Resumable chunked uploads: HTTP in front of ``sideline.storage.uploads``.

Protocol: ``POST /uploads`` declares a file; ``PUT /uploads/{id}/content`` sends its bytes in
order, one chunk per request with ``Content-Range: bytes START-END/TOTAL``; ``GET
/uploads/{id}`` says how many bytes arrived (to resume after an interruption); ``POST
/uploads/{id}/complete`` checks the size and checksum and publishes the file.

The storage rules (keys, locks, checksums, cleanup) live in ``sideline.storage.uploads``; the
user's file name is kept, sanitised, in the database and in download headers.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from sideline.api.deps import OrgRead, OrgWrite, ServicesDep, SessionDep
from sideline.api.schemas import ERROR_RESPONSES
from sideline.errors import InvalidInput
from sideline.settings import Settings
from sideline.storage import uploads as service
from sideline.storage.models import FileStatus, StoredFile

router = APIRouter(tags=["uploads"], responses=ERROR_RESPONSES)


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


# --- Request parsing ------------------------------------------------------------------------------

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


async def request_body(request: Request) -> AsyncIterator[bytes]:
    """The request body as it arrives; a client that goes away ends it with ``BodyInterrupted``."""
    try:
        async for piece in request.stream():
            yield piece
    except ClientDisconnect:
        raise service.BodyInterrupted from None


# --- Routes -------------------------------------------------------------------------------------------

@router.post("/orgs/{org_id}/uploads", response_model=UploadOut, status_code=status.HTTP_201_CREATED)
def create_upload(body: UploadIn, org: OrgWrite, session: SessionDep, services: ServicesDep) -> UploadOut:
    f = service.create_upload(session, services.settings, org.organisation_id, org.user_id, body.filename,
                              body.size, body.content_type, body.sha256)
    return upload_out(f, services.settings)


@router.get("/orgs/{org_id}/uploads/{upload_id}", response_model=UploadOut)
def get_upload(upload_id: uuid.UUID, org: OrgRead, services: ServicesDep) -> UploadOut:
    return upload_out(service.load_file(services, org.organisation_id, upload_id), services.settings)


@router.put("/orgs/{org_id}/uploads/{upload_id}/content", response_model=ChunkOut,
            openapi_extra={"requestBody": {"required": True, "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
async def put_chunk(upload_id: uuid.UUID, request: Request, org: OrgWrite, session: SessionDep,
                    services: ServicesDep) -> ChunkOut:
    """Receive the bytes START..END (inclusive) of the file, as the Content-Range header says."""
    # The request's session is not needed past the access check; free its connection now, not
    # after a body that may take long to arrive.
    await run_in_threadpool(session.commit)
    f = await run_in_threadpool(service.load_file, services, org.organisation_id, upload_id)
    start, end = parse_content_range(request.headers.get("content-range"), f.size)
    length = end - start + 1
    service.check_chunk_length(length, services.settings)
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) != length):
        raise InvalidInput(f"Content-Length {declared} differs from the {length} bytes of the Content-Range")
    f = await service.receive_chunk(services, f, start, end, request_body(request))
    return ChunkOut(id=f.id, received=f.received, status=f.status)


@router.post("/orgs/{org_id}/uploads/{upload_id}/complete", response_model=FileOut)
def complete_upload(upload_id: uuid.UUID, org: OrgWrite, session: SessionDep, services: ServicesDep) -> FileOut:
    session.commit()  # assembling a large file takes a while; do not hold the request's connection
    return FileOut.of(service.complete_upload(services, org.organisation_id, upload_id))
