"""Bad input gets a precise 4xx with the standard error body, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import uuid

import pytest


def error(r, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    body = r.json()["error"]
    assert body["code"] == code and body["request_id"] == r.headers["x-request-id"], body
    return body["message"]


def test_malformed_json_is_400(client, account):
    for raw in (b'{"name": ', b"{'name': 'single quotes'}", b'{"name": "x"} trailing', b"\xff\xfe"):
        r = client.post(account.url("/athletes"), headers={**account.headers, "Content-Type": "application/json"},
                        content=raw)
        assert error(r, 400, "malformed_json") == "The request body is not valid JSON"


def test_json_of_the_wrong_shape_is_422(client, account):
    for body in ([1, 2], "text", 3, None, {"name": 5}):
        r = client.post(account.url("/athletes"), headers=account.headers, json=body)
        assert r.status_code == 422, (body, r.text)
    r = client.post(account.url("/athletes"), headers=account.headers, json={})
    assert error(r, 422, "validation_error") == "name: Field required"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml",
                                          "multipart/form-data; boundary=x"])
def test_json_endpoint_with_another_media_type_is_415(client, account, content_type):
    r = client.post(account.url("/athletes"), headers={**account.headers, "Content-Type": content_type},
                    content=b'{"name": "Ada"}')
    message = error(r, 415, "unsupported_media_type")
    assert message == f"This endpoint takes application/json, not {content_type.split(';')[0]!r}"


def test_json_body_without_content_type_is_415_and_json_variants_work(client, account):
    r = client.post(account.url("/athletes"), headers=account.headers, content=b'{"name": "Ada"}')
    assert "no Content-Type" in error(r, 415, "unsupported_media_type")
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json", "APPLICATION/JSON"):
        r = client.post(account.url("/athletes"), headers={**account.headers, "Content-Type": content_type},
                        content=b'{"name": "Ada"}')
        assert r.status_code == 201, (content_type, r.text)


def test_unknown_ids_are_404(client, account):
    missing = uuid.uuid4()
    for path, what in (("/athletes", "Athlete"), ("/datasets", "Dataset"), ("/jobs", "Job"), ("/members", "Member"),
                       ("/exports", "Export")):
        url = account.url(f"{path}/{missing}" + ("/download" if path == "/exports" else ""))
        assert error(client.get(url, headers=account.headers), 404, "not_found") == f"{what} not found"
    for method, path, body in (("PATCH", f"/athletes/{missing}", {"name": "x"}), ("DELETE", f"/athletes/{missing}", None),
                               ("DELETE", f"/api-keys/{missing}", None), ("DELETE", f"/invitations/{missing}", None),
                               ("PATCH", f"/members/{missing}", {"role": "viewer"}), ("DELETE", f"/datasets/{missing}", None)):
        r = client.request(method, account.url(path), headers=account.headers, json=body)
        assert r.status_code == 404, (method, path, r.text)
    r = client.get(f"/api/v1/public/datasets/{missing}", headers=account.headers)
    assert error(r, 404, "not_found") == "Dataset not found"


def test_invalid_uuids_in_paths_and_queries_are_422_and_say_which(client, account):
    r = client.get("/api/v1/orgs/not-a-uuid/athletes", headers=account.headers)
    message = error(r, 422, "validation_error")
    assert message.startswith("org_id in the path must be a UUID") and "'not-a-uuid'" in message
    r = client.delete(account.url("/athletes/12345"), headers=account.headers)
    assert error(r, 422, "validation_error").startswith("athlete_id in the path must be a UUID")
    r = client.get(account.url("/datasets?athlete_id=abc"), headers=account.headers)
    assert error(r, 422, "validation_error").startswith("athlete_id in the query must be a UUID")
    r = client.get(account.url("/athletes?limit=0"), headers=account.headers)
    assert error(r, 422, "validation_error").startswith("query.limit:")


def test_huge_json_bodies_are_413_before_they_are_read(client, services, account):
    limit = services.settings.max_body_bytes
    big = b'{"name": "' + b"x" * limit + b'"}'
    r = client.post(account.url("/athletes"), headers={**account.headers, "Content-Type": "application/json"}, content=big)
    assert error(r, 413, "payload_too_large") == f"The request body is larger than the limit of {limit // 1024} KiB"

    def chunks():  # no Content-Length: the limit is enforced while reading
        yield b'{"name": "'
        for _ in range(limit // 65536 + 1):
            yield b"x" * 65536
        yield b'"}'

    for content_type in ("application/json", "text/plain"):
        r = client.post(account.url("/athletes"), headers={**account.headers, "Content-Type": content_type},
                        content=chunks())
        error(r, 413, "payload_too_large")
    # Just under the limit is fine (and then fails validation for what it is).
    near = b'{"name": "' + b"x" * (limit - 20) + b'"}'
    r = client.post(account.url("/athletes"), headers={**account.headers, "Content-Type": "application/json"}, content=near)
    assert error(r, 422, "validation_error").startswith("name: String should have at most 200 characters")
    assert client.get(account.url("/athletes"), headers=account.headers).json()["total"] == 0


def test_uploads_are_not_limited_by_the_json_guard(client, services, account):
    size = services.settings.max_body_bytes + 1000
    r = client.post(account.url("/uploads"), headers=account.headers,
                    json={"filename": "big.json", "size": size, "content_type": "application/json"})
    assert r.status_code == 201, r.text
    upload_id = r.json()["id"]
    r = client.put(account.url(f"/uploads/{upload_id}/content"), content=b"[" + b" " * (size - 2) + b"]",
                   headers={**account.headers, "Content-Type": "application/json",
                            "Content-Range": f"bytes 0-{size - 1}/{size}"})
    assert r.status_code == 200, r.text
    assert r.json()["received"] == size
    files = {"file": ("big.bin", b"\0" * size, "application/octet-stream")}
    r = client.post(account.url("/files"), headers=account.headers, files=files)
    assert r.status_code == 201, r.text


def test_nul_characters_are_400_on_every_backend(client, account):
    r = client.post(account.url("/athletes"), headers={**account.headers, "Content-Type": "application/json"},
                    content=b'{"name": "Ada\\u0000Lovelace"}')
    assert "NUL" in error(r, 400, "invalid_input")
    r = client.post(account.url("/datasets"), headers=account.headers,
                    json={"kind": "x", "name": "ok", "meta": {"note": "a\u0000b"}})
    error(r, 400, "invalid_input")
    # An escaped backslash followed by "u0000" is ordinary text.
    r = client.post(account.url("/athletes"), headers={**account.headers, "Content-Type": "application/json"},
                    content=b'{"name": "Ada\\\\u0000"}')
    assert r.status_code == 201 and r.json()["name"] == "Ada\\u0000"
    r = client.get(account.url("/athletes?q=a%00b"), headers=account.headers)
    assert "NUL" in error(r, 400, "invalid_input")
    r = client.get("/api/v1/orgs/%00/athletes", headers=account.headers)
    error(r, 400, "invalid_input")
    assert client.get("/some/page%00.html").status_code == 400  # the web app's fallback route too


def test_values_out_of_range_are_4xx(client, account):
    for body in ({"kind": "x", "name": "y", "starts_at": "0001-01-01T00:00:00+01:00"},
                 {"kind": "x", "name": "y", "starts_at": "9999-12-31T23:59:59-05:00"},
                 {"kind": "BAD KIND", "name": "y"}):
        r = client.post(account.url("/datasets"), headers=account.headers, json=body)
        assert r.status_code == 422, (body, r.text)
    # Python's JSON parser accepts these, but they are not JSON and cannot be stored as such.
    for number in (b"1e400", b"NaN", b"-Infinity", b"1" * 400 + b".5"):
        r = client.post(account.url("/datasets"), headers={**account.headers, "Content-Type": "application/json"},
                        content=b'{"kind": "x", "name": "y", "meta": {"n": ' + number + b"}}")
        assert error(r, 400, "invalid_input").startswith("Numbers must be finite"), number
    r = client.post(account.url("/api-keys"), headers=account.headers,
                    json={"name": "k", "scopes": ["read"], "expires_in_days": 10**30})
    assert error(r, 422, "validation_error").startswith("expires_in_days:")
    r = client.get(account.url("/athletes?offset=99999999999999999999"), headers=account.headers)
    error(r, 422, "validation_error")


def test_wrong_methods_and_routes(client, account):
    r = client.put(account.url("/athletes"), headers=account.headers, json={})
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    r = client.get("/api/v1/nothing/here", headers=account.headers)
    assert error(r, 404, "not_found") == "No such endpoint: GET /api/v1/nothing/here"
