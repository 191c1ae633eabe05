"""Chunked, resumable uploads and files over the API (SQLite and PostgreSQL; local disk and S3)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import socket
import threading
import time
import uuid

import httpx
import pytest
from sqlalchemy import update

from sideline.errors import InvalidInput
from sideline.storage.models import StoredFile
from sideline.storage.uploads import HASHES, cleanup_uploads, sanitize_filename, upload_lock
from tests.conftest import create_account, free_port, make_settings, wait_for

KiB = 1024
CHUNK = 64 * KiB  # the smallest chunk size the settings allow, so a few hundred KiB make many chunks
LIMIT = 2 * 1024 * KiB


@pytest.fixture
def settings(tmp_path, backend):
    return make_settings(tmp_path, database_url=backend, upload_chunk_bytes=CHUNK, max_upload_bytes=LIMIT)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def start_upload(client, account, data: bytes, filename="match.csv", content_type="text/csv", checksum=True, **extra):
    body = {"filename": filename, "size": len(data), "content_type": content_type, **extra}
    if checksum:
        body["sha256"] = sha(data)
    r = client.post(account.url("/uploads"), json=body, headers=account.headers)
    assert r.status_code == 201, r.text
    return r.json()


def put_chunk(client, account, upload_id, data: bytes, start: int, end: int | None = None, total: int | None = None,
              body: bytes | None = None, http=None):
    end = start + len(data) - 1 if end is None else end
    total = len(data) if total is None else total
    headers = {**account.headers, "Content-Range": f"bytes {start}-{end}/{total}"}
    return (http or client).put(account.url(f"/uploads/{upload_id}/content"), headers=headers,
                                content=data[start:end + 1] if body is None else body)


def send_all(client, account, upload_id, data: bytes, chunk=CHUNK, http=None):
    for start in range(0, len(data), chunk):
        r = put_chunk(client, account, upload_id, data, start, min(start + chunk, len(data)) - 1, http=http)
        assert r.status_code == 200, r.text
        assert r.json()["received"] == min(start + chunk, len(data))


def upload(client, account, data: bytes, **kw) -> dict:
    up = start_upload(client, account, data, **kw)
    send_all(client, account, up["id"], data)
    r = client.post(account.url(f"/uploads/{up['id']}/complete"), headers=account.headers)
    assert r.status_code == 200, r.text
    return r.json()


def error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()["error"]
    assert body["code"] == code and body["message"]
    return body


# --- Happy paths -----------------------------------------------------------------------------------

def test_chunked_upload_and_download(client, account, services):
    data = os.urandom(5 * CHUNK + 17)
    up = start_upload(client, account, data, filename="Spiel ü 1.csv", content_type="text/csv; charset=utf-8")
    assert {k: up[k] for k in ("filename", "size", "content_type", "status", "received", "chunk_size")} == {
        "filename": "Spiel ü 1.csv", "size": len(data), "content_type": "text/csv", "status": "uploading",
        "received": 0, "chunk_size": CHUNK}
    send_all(client, account, up["id"], data)
    state = client.get(account.url(f"/uploads/{up['id']}"), headers=account.headers).json()
    assert state["received"] == len(data) and state["status"] == "uploading"
    # Not a file yet: nothing half-written can be downloaded.
    error(client.get(account.url(f"/files/{up['id']}/content"), headers=account.headers), 409, "conflict")

    r = client.post(account.url(f"/uploads/{up['id']}/complete"), headers=account.headers)
    assert r.status_code == 200, r.text
    f = r.json()
    assert f["id"] == up["id"] and f["status"] == "ready" and f["sha256"] == sha(data) and f["size"] == len(data)
    assert set(f) == {"id", "filename", "size", "content_type", "sha256", "status", "created_at"}
    # Completing again is harmless (a retry whose answer was lost).
    assert client.post(account.url(f"/uploads/{up['id']}/complete"), headers=account.headers).json() == f

    r = client.get(account.url(f"/files/{f['id']}/content"), headers=account.headers)
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-type"].startswith("text/csv") and r.headers["accept-ranges"] == "bytes"
    assert r.headers["content-disposition"] == ("attachment; filename=\"Spiel u 1.csv\"; "
                                                "filename*=UTF-8''Spiel%20%C3%BC%201.csv")
    assert r.headers["x-content-type-options"] == "nosniff"
    # Stored under an id-derived key only; the staging area is gone.
    assert services.blobs.list("") == [f"files/{account.org_id}/{f['id']}"]


def test_complete_without_cached_hash_state(client, account):
    """Another process received the chunks: complete hashes the bytes while assembling them."""
    data = os.urandom(3 * CHUNK)
    up = start_upload(client, account, data)
    send_all(client, account, up["id"], data)
    HASHES.forget(uuid.UUID(up["id"]))
    r = client.post(account.url(f"/uploads/{up['id']}/complete"), headers=account.headers)
    assert r.status_code == 200 and r.json()["sha256"] == sha(data)


def test_upload_without_checksum_gets_one(client, account):
    data = b"t,x\n0.0,1\n"
    f = upload(client, account, data, checksum=False)
    assert f["sha256"] == sha(data)


def test_resume_after_failed_and_repeated_chunks(client, account):
    data = os.urandom(3 * CHUNK)
    up = start_upload(client, account, data)
    assert put_chunk(client, account, up["id"], data, 0, CHUNK - 1).status_code == 200
    # The second chunk breaks off: its body is shorter than announced, by Content-Length ...
    r = put_chunk(client, account, up["id"], data, CHUNK, 2 * CHUNK - 1, body=data[CHUNK:CHUNK + 1000])
    assert "Content-Length" in error(r, 400, "invalid_input")["message"]
    # ... or, sent without one (chunked transfer encoding), once the body has ended.
    r = put_chunk(client, account, up["id"], data, CHUNK, 2 * CHUNK - 1, body=iter([data[CHUNK:CHUNK + 1000]]))
    assert error(r, 400, "invalid_input")["details"] == {"received_bytes": 1000, "expected_bytes": CHUNK}
    state = client.get(account.url(f"/uploads/{up['id']}"), headers=account.headers).json()
    assert state["received"] == CHUNK
    # A chunk from the wrong place is refused with the offset to resume from.
    r = put_chunk(client, account, up["id"], data, 2 * CHUNK, 3 * CHUNK - 1)
    assert error(r, 409, "conflict")["details"]["expected_offset"] == CHUNK
    # A repeat of a chunk already received changes nothing.
    r = put_chunk(client, account, up["id"], data, 0, CHUNK - 1)
    assert r.status_code == 200 and r.json()["received"] == CHUNK
    # Resume with another chunk size; the checksum proves the bytes are in order.
    for start, end in ((CHUNK, CHUNK + 999), (CHUNK + 1000, 2 * CHUNK + 999), (2 * CHUNK + 1000, 3 * CHUNK - 1)):
        assert put_chunk(client, account, up["id"], data, start, end).status_code == 200
    r = client.post(account.url(f"/uploads/{up['id']}/complete"), headers=account.headers)
    assert r.status_code == 200 and r.json()["sha256"] == sha(data)


@contextlib.contextmanager
def live(app):
    """The app behind a real uvicorn server, for what TestClient cannot do (a dropped connection)."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=15, message="uvicorn to start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


def test_connection_dropped_mid_chunk_then_resumed(client, account, app):
    data = os.urandom(4 * CHUNK)
    up = start_upload(client, account, data)
    with live(app) as base, httpx.Client(base_url=base) as http:
        assert put_chunk(client, account, up["id"], data, 0, CHUNK - 1, http=http).status_code == 200
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            path = account.url(f"/uploads/{up['id']}/content")
            head = (f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"Authorization: Bearer {account.token}\r\nContent-Range: bytes {CHUNK}-{2 * CHUNK - 1}/{len(data)}\r\n"
                    f"Content-Length: {CHUNK}\r\nContent-Type: application/octet-stream\r\n\r\n")
            sock.sendall(head.encode() + data[CHUNK:CHUNK + CHUNK // 2])
            time.sleep(0.3)  # let the server start writing the chunk before the line drops

        def resumed():
            r = put_chunk(client, account, up["id"], data, CHUNK, 2 * CHUNK - 1, http=http)
            if r.status_code == 409 and r.json()["error"]["details"].get("reason") == "busy":
                return False  # the server has not noticed the dropped connection yet
            assert r.status_code == 200, r.text
            return True

        assert http.get(account.url(f"/uploads/{up['id']}"), headers=account.headers).json()["received"] == CHUNK
        wait_for(resumed, timeout=10, message="the interrupted chunk to be released")
        for start in (2 * CHUNK, 3 * CHUNK):
            assert put_chunk(client, account, up["id"], data, start, start + CHUNK - 1, http=http).status_code == 200
        r = http.post(account.url(f"/uploads/{up['id']}/complete"), headers=account.headers)
        assert r.status_code == 200 and r.json()["sha256"] == sha(data)


def test_concurrent_writer_gets_409(client, account, services):
    data = os.urandom(CHUNK)
    up = start_upload(client, account, data)
    with upload_lock(services, uuid.UUID(up["id"])):
        r = put_chunk(client, account, up["id"], data, 0)
        assert error(r, 409, "conflict")["details"]["reason"] == "busy"
        error(client.post(account.url(f"/uploads/{up['id']}/complete"), headers=account.headers), 409, "conflict")
    assert put_chunk(client, account, up["id"], data, 0).status_code == 200


# --- Refusals ---------------------------------------------------------------------------------------

def test_checksum_mismatch_fails_the_upload(client, account, services):
    data = os.urandom(2 * CHUNK)
    up = start_upload(client, account, data, checksum=False, sha256="ab" * 32)
    send_all(client, account, up["id"], data)
    body = error(client.post(account.url(f"/uploads/{up['id']}/complete"), headers=account.headers), 400,
                 "invalid_input")
    assert body["details"] == {"expected": "ab" * 32, "actual": sha(data)}
    state = client.get(account.url(f"/uploads/{up['id']}"), headers=account.headers).json()
    assert state["status"] == "failed"
    assert services.blobs.list("") == []  # chunks and the assembled blob are gone
    error(put_chunk(client, account, up["id"], data, 0, CHUNK - 1), 409, "conflict")
    error(client.post(account.url(f"/uploads/{up['id']}/complete"), headers=account.headers), 409, "conflict")
    listed = client.get(account.url("/files?status=ready"), headers=account.headers).json()
    assert listed["total"] == 0


def test_incomplete_upload_cannot_complete(client, account):
    data = os.urandom(2 * CHUNK)
    up = start_upload(client, account, data)
    put_chunk(client, account, up["id"], data, 0, CHUNK - 1)
    body = error(client.post(account.url(f"/uploads/{up['id']}/complete"), headers=account.headers), 409, "conflict")
    assert body["details"]["expected_offset"] == CHUNK


def test_size_limits(client, account, services):
    body = {"filename": "big.mp4", "size": LIMIT + 1, "content_type": "video/mp4"}
    err = error(client.post(account.url("/uploads"), json=body, headers=account.headers), 413, "payload_too_large")
    assert str(LIMIT) in err["message"] and "2 MiB" in err["message"]
    assert client.post(account.url("/uploads"), json={**body, "size": 0}, headers=account.headers).status_code == 422
    # A chunk larger than chunk_size is refused before a byte of it is stored.
    data = os.urandom(2 * CHUNK)
    up = start_upload(client, account, data)
    err = error(put_chunk(client, account, up["id"], data, 0, 2 * CHUNK - 1), 413, "payload_too_large")
    assert err["details"] == {"chunk_size": CHUNK}
    # A body longer than its Content-Range.
    r = put_chunk(client, account, up["id"], data, 0, 99, body=data[:200])
    error(r, 400, "invalid_input")
    assert services.blobs.staged_size(f"uploads/{up['id']}") == 0
    assert client.get(account.url(f"/uploads/{up['id']}"), headers=account.headers).json()["received"] == 0


def test_disallowed_types_are_415(client, account):
    for content_type in ("text/html", "application/x-msdownload", "image/svg+xml", "nonsense", "text/ csv"):
        body = {"filename": "x", "size": 10, "content_type": content_type}
        r = client.post(account.url("/uploads"), json=body, headers=account.headers)
        error(r, 415, "unsupported_media_type")
    r = client.post(account.url("/uploads"), json={**body, "content_type": ""}, headers=account.headers)
    assert r.status_code == 422


def test_video_wildcard_is_allowed(client, account):
    assert start_upload(client, account, b"x" * 10, filename="a.mov", content_type="Video/QuickTime")[
        "content_type"] == "video/quicktime"


def test_content_range_errors(client, account):
    data = os.urandom(100)
    up = start_upload(client, account, data)
    for header in (None, "bytes 0-9", "bytes=0-9/100", "bytes 9-0/100", "bytes 0-100/100", "bytes 0-9/99",
                   "bytes -1-9/100", "items 0-9/100", "bytes 0-9/*"):
        headers = {**account.headers, **({"Content-Range": header} if header else {})}
        r = client.put(account.url(f"/uploads/{up['id']}/content"), headers=headers, content=data[:10])
        assert "Content-Range" in error(r, 400, "invalid_input")["message"], header
    assert client.get(account.url(f"/uploads/{up['id']}"), headers=account.headers).json()["received"] == 0


NAMES = [
    ("../../etc/passwd", "passwd"), ("..\\x", "x"), ("a\x01b.csv", "ab.csv"), ("C:\\Users\\me\\clip.mp4", "clip.mp4"),
    ("evil\u202egpj.exe", "evilgpj.exe"), ("line\r\nbreak.txt", "linebreak.txt"), ("  .hidden  ", "hidden"),
    ("x" * 300 + ".csv", "x" * 251 + ".csv"),
]


def test_file_names_are_sanitised(client, account, services):
    for raw, clean in NAMES:
        f = upload(client, account, b"t,x\n", filename=raw)
        assert f["filename"] == clean, raw
        assert services.blobs.list(f"files/{account.org_id}/{f['id']}") == [f"files/{account.org_id}/{f['id']}"]
        r = client.get(account.url(f"/files/{f['id']}/content"), headers=account.headers)
        assert "/" not in r.headers["content-disposition"].split("filename*=")[0]
    # Only id-named blobs were written, whatever the names said.
    assert len(services.blobs.list("")) == len(NAMES) and all(k.startswith("files/") for k in services.blobs.list(""))


def test_names_that_leave_nothing_are_refused(client, account):
    for raw in ("..", "../..", "/", "\x7f", " . ", "a/\x01", "\u200b\u202e"):
        body = {"filename": raw, "size": 10, "content_type": "text/csv"}
        err = error(client.post(account.url("/uploads"), json=body, headers=account.headers), 400, "invalid_input")
        assert "file name" in err["message"], raw


def test_nul_in_file_names(client, account, services):
    # In JSON, the API's input guard refuses NUL anywhere (PostgreSQL cannot store it) ...
    body = {"filename": "a\x00b.csv", "size": 10, "content_type": "text/csv"}
    assert "NUL" in error(client.post(account.url("/uploads"), json=body, headers=account.headers), 400,
                          "invalid_input")["message"]
    # ... in a multipart part header, the name is cleaned like any other control character.
    raw = (b"--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../a\x00b.csv\"\r\n"
           b"Content-Type: text/csv\r\n\r\nt,x\n\r\n--XX--\r\n")
    r = client.post(account.url("/files"), content=raw,
                    headers={**account.headers, "Content-Type": "multipart/form-data; boundary=XX"})
    assert r.status_code == 201, r.text
    assert r.json()["filename"] == "ab.csv"
    assert services.blobs.list("") == [f"files/{account.org_id}/{r.json()['id']}"]


def test_sanitize_filename_unit():
    assert sanitize_filename("ok.csv") == "ok.csv"
    assert sanitize_filename("..\x00/..\\a\x00b\tc.csv") == "abc.csv"
    with pytest.raises(InvalidInput):
        sanitize_filename("\u200b")


def test_viewer_cannot_upload(client, account, services):
    viewer = create_account(client, services, role="viewer", org_id=account.org_id)
    r = client.post(viewer.url("/uploads"), json={"filename": "a", "size": 1, "content_type": "text/csv"},
                    headers=viewer.headers)
    error(r, 403, "forbidden")
    f = upload(client, account, b"abc")
    assert client.get(viewer.url(f"/files/{f['id']}/content"), headers=viewer.headers).content == b"abc"
    error(client.delete(viewer.url(f"/files/{f['id']}"), headers=viewer.headers), 403, "forbidden")


# --- Files ------------------------------------------------------------------------------------------

def test_download_ranges(client, account):
    data = bytes(range(256)) * 40  # 10240 bytes
    f = upload(client, account, data)
    url = account.url(f"/files/{f['id']}/content")

    def get(range_header, **headers):
        return client.get(url, headers={**account.headers, "Range": range_header, **headers})

    r = get("bytes=10-19")
    assert r.status_code == 206 and r.content == data[10:20]
    assert r.headers["content-range"] == f"bytes 10-19/{len(data)}" and r.headers["content-length"] == "10"
    r = get("bytes=-5")
    assert r.status_code == 206 and r.content == data[-5:]
    r = get("bytes=10000-")
    assert r.status_code == 206 and r.content == data[10000:]
    r = get("bytes=10000-99999")
    assert r.status_code == 206 and r.content == data[10000:]
    for bad in (f"bytes={len(data)}-", "bytes=-0", "bytes=20-10"):
        r = get(bad)
        error(r, 416, "range_not_satisfiable")
        assert r.headers["content-range"] == f"bytes */{len(data)}"
    # Several ranges, or a malformed header, get the whole file (RFC 9110 allows ignoring Range).
    for ignored in ("bytes=0-1,5-6", "lines=1-2", "bytes=x-y"):
        r = get(ignored)
        assert r.status_code == 200 and r.content == data
    # If-Range with a stale validator: the whole (changed) file, not a piece of it.
    assert get("bytes=0-9", **{"If-Range": '"stale"'}).status_code == 200
    assert get("bytes=0-9", **{"If-Range": f'"{f["sha256"]}"'}).status_code == 206


def test_list_get_and_delete(client, account, services):
    ids = [upload(client, account, f"file {i}".encode(), filename=f"f{i}.txt", content_type="text/plain")["id"]
           for i in range(3)]
    pending = start_upload(client, account, b"x" * 100)
    r = client.get(account.url("/files?limit=2"), headers=account.headers).json()
    assert r["total"] == 4 and len(r["items"]) == 2
    ready = client.get(account.url("/files?status=ready&limit=10"), headers=account.headers).json()
    assert sorted(i["id"] for i in ready["items"]) == sorted(ids)
    uploading = client.get(account.url("/files?status=uploading"), headers=account.headers).json()
    assert [i["id"] for i in uploading["items"]] == [pending["id"]] and uploading["items"][0]["sha256"] is None
    assert client.get(account.url("/files?status=bogus"), headers=account.headers).status_code == 422
    assert client.get(account.url(f"/files/{ids[0]}"), headers=account.headers).json()["filename"] == "f0.txt"

    assert client.delete(account.url(f"/files/{ids[0]}"), headers=account.headers).status_code == 204
    error(client.get(account.url(f"/files/{ids[0]}"), headers=account.headers), 404, "not_found")
    error(client.get(account.url(f"/files/{ids[0]}/content"), headers=account.headers), 404, "not_found")
    error(client.delete(account.url(f"/files/{ids[0]}"), headers=account.headers), 404, "not_found")
    assert f"files/{account.org_id}/{ids[0]}" not in services.blobs.list("")
    # Deleting an upload in progress drops its staged bytes too.
    put_chunk(client, account, pending["id"], b"x" * 100, 0)
    assert client.delete(account.url(f"/files/{pending['id']}"), headers=account.headers).status_code == 204
    assert services.blobs.list("uploads") == []


def test_other_organisation_gets_404(client, account, other_account, services):
    data = os.urandom(CHUNK + 10)
    f = upload(client, account, data)
    up = start_upload(client, account, data)
    theirs = other_account
    requests = [
        ("get", f"/uploads/{up['id']}", {}), ("post", f"/uploads/{up['id']}/complete", {}),
        ("get", f"/files/{f['id']}", {}), ("get", f"/files/{f['id']}/content", {}),
        ("delete", f"/files/{f['id']}", {}), ("delete", f"/files/{up['id']}", {}),
    ]
    for method, path, kw in requests:
        r = getattr(client, method)(theirs.url(path), headers=theirs.headers, **kw)
        error(r, 404, "not_found")
    r = put_chunk(client, theirs, up["id"], data, 0, CHUNK - 1)
    error(r, 404, "not_found")
    # Their own organisation's URL with our ids is just as unknown as ours with theirs.
    error(client.get(account.url(f"/files/{f['id']}"), headers=theirs.headers), 404, "not_found")
    assert client.get(theirs.url("/files"), headers=theirs.headers).json()["total"] == 0
    assert client.get(account.url(f"/files/{f['id']}/content"), headers=account.headers).content == data
    assert client.get(account.url(f"/uploads/{up['id']}"), headers=account.headers).json()["received"] == 0


def test_cleanup_removes_abandoned_and_failed_uploads(client, account, services):
    data = os.urandom(2 * CHUNK)
    abandoned = start_upload(client, account, data)
    put_chunk(client, account, abandoned["id"], data, 0, CHUNK - 1)
    recent = start_upload(client, account, data)
    put_chunk(client, account, recent["id"], data, 0, CHUNK - 1)
    done = upload(client, account, b"keep me")
    services.blobs.put("uploads/" + str(uuid.uuid4()) + "/part", b"orphan")  # a crash left bytes, no row
    with services.db.session() as s:
        s.execute(update(StoredFile).where(StoredFile.id == uuid.UUID(abandoned["id"]))
                  .values(updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=30)))
    assert cleanup_uploads(services, older_than_hours=24) == 1
    error(client.get(account.url(f"/uploads/{abandoned['id']}"), headers=account.headers), 404, "not_found")
    assert client.get(account.url(f"/uploads/{recent['id']}"), headers=account.headers).json()["received"] == CHUNK
    assert services.blobs.list("uploads") == services.blobs.list(f"uploads/{recent['id']}") != []
    assert client.get(account.url(f"/files/{done['id']}/content"), headers=account.headers).content == b"keep me"


# --- Single-request uploads ----------------------------------------------------------------------------

def test_simple_upload(client, account, services):
    data = os.urandom(300 * KiB)
    r = client.post(account.url("/files"), headers=account.headers,
                    files={"file": ("../clip.mp4", data, "video/mp4")}, data={"note": "ignored"})
    assert r.status_code == 201, r.text
    f = r.json()
    assert (f["filename"], f["content_type"], f["size"], f["sha256"], f["status"]) == (
        "clip.mp4", "video/mp4", len(data), sha(data), "ready")
    assert client.get(account.url(f"/files/{f['id']}/content"), headers=account.headers).content == data
    assert services.blobs.list("") == [f"files/{account.org_id}/{f['id']}"]


def test_simple_upload_refusals_leave_nothing(client, account, services):
    url, h = account.url("/files"), account.headers
    error(client.post(url, headers=h, files={"file": ("big.bin", b"\0" * (LIMIT + 1), "application/octet-stream")}),
          413, "payload_too_large")
    error(client.post(url, headers=h, files={"file": ("page.html", b"<script>", "text/html")}),
          415, "unsupported_media_type")
    error(client.post(url, headers=h, files={"other": ("a.csv", b"x", "text/csv")}), 400, "invalid_input")
    error(client.post(url, headers=h, files={"file": ("empty.csv", b"", "text/csv")}), 400, "invalid_input")
    error(client.post(url, headers=h, files={"file": ("..", b"x", "text/csv")}), 400, "invalid_input")
    error(client.post(url, headers=h, data={"file": "not a file"}, files={"x": ("x.csv", b"x", "text/csv")}), 400,
          "invalid_input")
    error(client.post(url, headers=h, content=b"raw"), 415, "unsupported_media_type")
    body = b"--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nabc"  # cut off
    r = client.post(url, headers={**h, "Content-Type": "multipart/form-data; boundary=XX"}, content=body)
    error(r, 400, "invalid_input")
    assert services.blobs.list("") == []
    assert client.get(url, headers=h).json()["total"] == 0


# --- S3 --------------------------------------------------------------------------------------------------

@pytest.fixture
def s3_client(tmp_path, backend, s3_server, s3_bucket):
    from fastapi.testclient import TestClient

    from sideline.api.app import create_app
    from sideline.services import build_services
    from sideline.storage.migrate import upgrade

    settings = make_settings(tmp_path, database_url=backend, upload_chunk_bytes=CHUNK, max_upload_bytes=LIMIT,
                             blob_url=f"s3://{s3_bucket}/sideline", s3_endpoint_url=s3_server, s3_region="us-east-1")
    services = build_services(settings)
    upgrade(services.db.engine)
    with TestClient(create_app(settings, services)) as client:
        yield client, services
    services.close()


def test_upload_to_s3(s3_client, s3_server, s3_bucket):
    import boto3

    client, services = s3_client
    account = create_account(client, services)
    data = os.urandom(4 * CHUNK + 5)
    up = start_upload(client, account, data)
    put_chunk(client, account, up["id"], data, 0, CHUNK - 1)
    # Interrupted second chunk, then resumed.
    error(put_chunk(client, account, up["id"], data, CHUNK, 2 * CHUNK - 1, body=data[CHUNK:CHUNK + 10]), 400,
          "invalid_input")
    for start in range(CHUNK, len(data), CHUNK):
        assert put_chunk(client, account, up["id"], data, start, min(start + CHUNK, len(data)) - 1).status_code == 200
    s3 = boto3.client("s3", endpoint_url=s3_server)
    staged = [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket, Prefix=f"sideline/uploads/{up['id']}/")["Contents"]]
    assert len(staged) == 5  # one object per chunk until complete
    f = client.post(account.url(f"/uploads/{up['id']}/complete"), headers=account.headers).json()
    assert f["status"] == "ready" and f["sha256"] == sha(data)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert keys == [f"sideline/files/{account.org_id}/{f['id']}"]
    assert s3.get_object(Bucket=s3_bucket, Key=keys[0])["Body"].read() == data
    r = client.get(account.url(f"/files/{f['id']}/content"), headers={**account.headers, "Range": "bytes=100-199"})
    assert r.status_code == 206 and r.content == data[100:200]
    simple = client.post(account.url("/files"), headers=account.headers, files={"file": ("s.csv", b"t\n1\n", "text/csv")})
    assert simple.status_code == 201
    for file_id in (f["id"], simple.json()["id"]):
        assert client.delete(account.url(f"/files/{file_id}"), headers=account.headers).status_code == 204
    assert s3.list_objects_v2(Bucket=s3_bucket).get("KeyCount") == 0
    assert s3.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []
