"""Files of an organisation: single-request uploads, listing, streamed downloads, deletion.

HTTP in front of ``sideline.storage.uploads``: multipart and Range parsing, download headers.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response, StreamingResponse
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from sideline.api.deps import OrgRead, OrgWrite, ServicesDep, SessionDep, athlete_scope, get_owned
from sideline.api.routers.uploads import FileOut
from sideline.api.schemas import ERROR_RESPONSES, Page, PageDep
from sideline.errors import InvalidInput, RangeNotSatisfiable, UnsupportedMediaType
from sideline.storage import uploads as service
from sideline.storage.models import FileStatus, StoredFile

router = APIRouter(tags=["files"], responses=ERROR_RESPONSES)

# Room for the multipart boundaries and part headers around the file itself.
FORM_OVERHEAD = 64 * 1024
MAX_PART_HEADERS = 16 * 1024


# --- Listing and metadata -------------------------------------------------------------------------

@router.get("/orgs/{org_id}/files", response_model=Page[FileOut])
def list_files(org: OrgRead, session: SessionDep, page: PageDep,
               status_filter: FileStatus | None = Query(None, alias="status")) -> Page[FileOut]:
    rows, total = service.list_files(session, org.organisation_id, status_filter, page.limit, page.offset,
                                     where=athlete_scope(StoredFile, org))
    return Page(items=[FileOut.of(f) for f in rows], total=total, limit=page.limit, offset=page.offset)


@router.get("/orgs/{org_id}/files/{file_id}", response_model=FileOut)
def get_file(file_id: uuid.UUID, org: OrgRead, session: SessionDep) -> FileOut:
    return FileOut.of(get_owned(session, StoredFile, org, file_id, "File"))


@router.delete("/orgs/{org_id}/files/{file_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_file(file_id: uuid.UUID, org: OrgWrite, session: SessionDep, services: ServicesDep) -> Response:
    session.commit()
    service.delete_file(services, org.organisation_id, file_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- Download ----------------------------------------------------------------------------------------

_RANGE = re.compile(r"bytes=(\d{0,19})-(\d{0,19})")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte range asked for, or None for the whole file.

    Headers we do not serve as a range (malformed, or several ranges) are ignored, as RFC 9110
    allows; a range outside the file is 416.
    """
    if not header:
        return None
    match = _RANGE.fullmatch(header.strip())
    if not match or not (match[1] or match[2]):
        return None
    unsatisfiable = RangeNotSatisfiable(f"Range {header!r} is outside the file (0-{size - 1})",
                                        headers={"Content-Range": f"bytes */{size}"})
    if match[1]:
        start = int(match[1])
        end = int(match[2]) if match[2] else size - 1
        if start >= size or end < start:
            raise unsatisfiable
        return start, min(end, size - 1)
    suffix = int(match[2])
    if suffix == 0:
        raise unsatisfiable
    return max(0, size - suffix), size - 1


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact UTF-8 name (RFC 6266)."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = re.sub(r"[^A-Za-z0-9 ._()+-]", "_", fallback).strip() or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get("/orgs/{org_id}/files/{file_id}/content", response_class=StreamingResponse,
            responses={200: {"content": {"application/octet-stream": {}}}, 206: {"description": "Partial content"},
                       416: {"description": "Range not satisfiable"}})
def download_file(file_id: uuid.UUID, request: Request, org: OrgRead, session: SessionDep,
                  services: ServicesDep) -> StreamingResponse:
    f = get_owned(session, StoredFile, org, file_id, "File")
    service.check_ready(f)
    session.commit()  # streaming may take long; release the connection
    etag = f'"{f.sha256}"'
    wanted = request.headers.get("range")
    if_range = request.headers.get("if-range")
    span = parse_range(wanted, f.size) if not if_range or if_range == etag else None
    start, end = span or (0, f.size - 1)
    reader = service.open_content(services, f, start)
    headers = {
        "Content-Length": str(end - start + 1),
        "Content-Disposition": content_disposition(f.filename),
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Cache-Control": "private, no-cache",
        # Uploaded content is never interpreted by the browser on our origin.
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
    }
    if span:
        headers["Content-Range"] = f"bytes {start}-{end}/{f.size}"
    return StreamingResponse(service.iter_content(reader, end - start + 1), media_type=f.content_type, headers=headers,
                             status_code=status.HTTP_206_PARTIAL_CONTENT if span else status.HTTP_200_OK)


# --- Single-request upload (multipart/form-data) -----------------------------------------------------

class _FormEvents:
    """Collects the streaming parser's callbacks as events, handled after each piece of the body.

    Only the part named ``file`` is kept; other fields are skipped without being stored.
    """

    def __init__(self) -> None:
        self.events: list[tuple] = []
        self._field = bytearray()
        self._value = bytearray()
        self._headers: dict[str, str] = {}
        self._header_bytes = 0
        self._in_file = False

    def take(self) -> list[tuple]:
        events, self.events = self.events, []
        return events

    def callbacks(self) -> dict:
        return {"on_part_begin": self._part_begin, "on_header_field": self._header_field,
                "on_header_value": self._header_value, "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished, "on_part_data": self._part_data,
                "on_part_end": self._part_end}

    def _part_begin(self) -> None:
        self._headers, self._header_bytes, self._in_file = {}, 0, False

    def _grow(self, buffer: bytearray, data: bytes, start: int, end: int) -> None:
        self._header_bytes += end - start
        if self._header_bytes > MAX_PART_HEADERS:
            raise InvalidInput("The headers of a form part are too long")
        buffer += data[start:end]

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._grow(self._field, data, start, end)

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._grow(self._value, data, start, end)

    def _header_end(self) -> None:
        self._headers[self._field.decode("latin-1").strip().lower()] = self._value.decode("latin-1").strip()
        self._field.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get("content-disposition", ""))
        if options.get(b"name") == b"file":
            self._in_file = True
            filename = options.get(b"filename")
            # Browsers send the name as raw UTF-8 in the quoted string.
            name = filename.decode("utf-8", "replace") if filename is not None else None
            self.events.append(("file", name, self._headers.get("content-type")))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self.events.append(("data", bytes(data[start:end])))

    def _part_end(self) -> None:
        if self._in_file:
            self.events.append(("end",))
            self._in_file = False


@router.post("/orgs/{org_id}/files", response_model=FileOut, status_code=status.HTTP_201_CREATED,
             openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["file"],
                 "properties": {"file": {"type": "string", "format": "binary"}}}}}}})
async def upload_file(request: Request, org: OrgWrite, session: SessionDep, services: ServicesDep) -> FileOut:
    """Upload a (small) file in one request, as the form field ``file``; streamed to the store."""
    await run_in_threadpool(session.commit)  # free the connection while the body arrives
    settings = services.settings
    media_type, options = parse_options_header(request.headers.get("content-type", ""))
    if media_type != b"multipart/form-data" or not options.get(b"boundary"):
        raise UnsupportedMediaType("Send the file as multipart/form-data in a field named 'file'")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.max_upload_bytes + FORM_OVERHEAD:
        service.check_size(int(declared) - FORM_OVERHEAD, settings)

    new = service.NewFile(services, org.organisation_id, org.user_id)
    events = _FormEvents()
    parser = MultipartParser(options[b"boundary"], events.callbacks())  # type: ignore[arg-type]
    done = False

    async def handle(batch: list[tuple]) -> None:
        nonlocal done
        for event in batch:
            if event[0] == "file":
                if new.started:
                    raise InvalidInput("Send exactly one 'file' field per request")
                if event[1] is None:
                    raise InvalidInput("The 'file' field must be a file (its part needs a filename)")
                await new.start(event[1], event[2])
            elif event[0] == "data":
                await new.write(event[1])
            else:
                await new.end()
                done = True

    body_bytes = 0
    try:
        try:
            async for piece in request.stream():
                body_bytes += len(piece)
                if body_bytes > settings.max_upload_bytes + FORM_OVERHEAD:
                    service.check_size(body_bytes - FORM_OVERHEAD, settings)
                parser.write(piece)
                await handle(events.take())
            parser.finalize()
        except FormParserError as exc:
            raise InvalidInput(f"Malformed multipart body: {exc}") from None
        except ClientDisconnect:
            raise InvalidInput("The connection closed before the upload was complete") from None
        await handle(events.take())
        if not new.started:
            raise InvalidInput("The form has no 'file' field")
        if not done:
            raise InvalidInput("The multipart body ended in the middle of the file")
        row = await new.finish()
    except BaseException:
        await new.abort()
        raise
    return FileOut.of(row)
