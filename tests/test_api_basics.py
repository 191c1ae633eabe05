"""Login, tokens, organisations, errors and the web app fallback."""

from __future__ import annotations

import uuid


def test_login_and_me(client, account):
    r = client.get("/api/v1/me", headers=account.headers)
    assert r.status_code == 200
    body = r.json()
    assert body["email"] == account.email
    assert [m["organisation"]["id"] for m in body["memberships"]] == [str(account.org_id)]


def test_wrong_password_is_401_with_error_body(client, account):
    r = client.post("/api/v1/auth/login", json={"email": account.email, "password": "wrong password"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized"
    assert r.json()["error"]["message"] == "Incorrect email or password"
    assert r.headers["x-request-id"] == r.json()["error"]["request_id"]


def test_refresh_issues_new_access_token(client, account):
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh_token})
    assert r.status_code == 200
    token = r.json()["access_token"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    # An access token is not a refresh token and vice versa.
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": account.token}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {account.refresh_token}"}).status_code == 401


def test_no_or_garbage_token_is_401(client):
    assert client.get("/api/v1/me").status_code == 401
    r = client.get("/api/v1/me", headers={"Authorization": "Bearer not.a.jwt"})
    assert r.status_code == 401 and "Access token rejected" in r.json()["error"]["message"]
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_create_and_list_organisations(client, account):
    r = client.post("/api/v1/orgs", headers=account.headers, json={"name": "Youth Academy"})
    assert r.status_code == 201
    assert r.json()["slug"] == "youth-academy" and r.json()["role"] == "owner"
    names = [o["name"] for o in client.get("/api/v1/orgs", headers=account.headers).json()["items"]]
    assert names == ["Alpha FC", "Youth Academy"]


def test_other_organisation_is_404_not_403(client, account, other_account):
    for path in ("", "/jobs"):
        r = client.get(f"/api/v1/orgs/{other_account.org_id}{path}", headers=account.headers)
        assert r.status_code == 404, path
        missing = client.get(f"/api/v1/orgs/{uuid.uuid4()}{path}", headers=account.headers)
        assert missing.status_code == 404
        assert r.json()["error"]["message"] == missing.json()["error"]["message"]


def test_unknown_api_route_is_json_404(client):
    r = client.get("/api/v1/does-not-exist")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_health(client):
    assert client.get("/healthz").json()["status"] == "ok"
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["checks"]["database"] == "ok"


def test_etag_revalidation(client, account):
    r = client.get(account.url("/jobs"), headers=account.headers)
    etag = r.headers["etag"]
    again = client.get(account.url("/jobs"), headers={**account.headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    client.post(account.url("/jobs"), headers=account.headers, json={"type": "demo.count", "params": {"steps": 1, "delay": 0}})
    changed = client.get(account.url("/jobs"), headers={**account.headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_logout_voids_refresh_tokens(client, account):
    second = client.post("/api/v1/auth/login", json={"email": account.email, "password": account.password}).json()
    r = client.post("/api/v1/auth/logout", json={"refresh_token": account.refresh_token})
    assert r.status_code == 204
    for token in (account.refresh_token, second["refresh_token"]):  # every session of the user
        r = client.post("/api/v1/auth/refresh", json={"refresh_token": token})
        assert r.status_code == 401 and "revoked" in r.json()["error"]["message"]
    # Signing out twice, or with garbage, still answers 204.
    assert client.post("/api/v1/auth/logout", json={"refresh_token": account.refresh_token}).status_code == 204
    assert client.post("/api/v1/auth/logout", json={"refresh_token": "nonsense"}).status_code == 204
    fresh = client.post("/api/v1/auth/login", json={"email": account.email, "password": account.password})
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": fresh.json()["refresh_token"]}).status_code == 200
