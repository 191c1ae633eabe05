"""API keys, members and roles, invitations, password reset and change, and the mailers."""

from __future__ import annotations

import datetime as dt
import logging
import re
import socket
import socketserver
import threading
import uuid

import pytest
from sqlalchemy import select, update

from sideline.auth.tokens import hash_opaque_token
from sideline.mail import LogMailer, MailError, SmtpMailer, make_mailer
from sideline.settings import ConfigurationError
from sideline.storage.models import ApiKey, Invitation, PasswordReset, User, utcnow
from tests.conftest import create_account, make_settings


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def last_link(services, kind: str) -> str:
    body = services.mailer.sent[-1]["body"]
    match = re.search(rf"/{kind}/([A-Za-z0-9_-]+)", body)
    assert match, body
    return match.group(1)


def make_key(client, account, scopes=("read",), **extra) -> dict:
    r = client.post(account.url("/api-keys"), headers=account.headers,
                    json={"name": "ci", "scopes": list(scopes), **extra})
    assert r.status_code == 201, r.text
    return r.json()


# --- API keys ---------------------------------------------------------------------------------

def test_api_key_is_shown_once_stored_hashed_and_works(client, services, account):
    created = make_key(client, account, scopes=["read", "read", "write"], expires_in_days=30)
    assert created["key"].startswith("sk_") and created["scopes"] == ["read", "write"]
    expires = dt.datetime.fromisoformat(created["expires_at"])
    assert dt.timedelta(days=29, hours=23) < expires - utcnow() <= dt.timedelta(days=30)
    with services.db.session() as s:
        row = s.get(ApiKey, uuid.UUID(created["id"]))
        assert created["key"] not in (row.key_hash, row.prefix) and len(row.key_hash) == 64
    listed = client.get(account.url("/api-keys"), headers=account.headers).json()
    assert listed["total"] == 1 and "key" not in listed["items"][0]
    assert listed["items"][0]["prefix"] == created["prefix"]
    r = client.get(account.url("/jobs"), headers=bearer(created["key"]))
    assert r.status_code == 200
    assert client.get(account.url("/api-keys"), headers={"X-API-Key": created["key"]}).status_code == 403


def test_revoked_and_expired_keys_get_precise_401(client, services, account):
    revoked = make_key(client, account)
    r = client.delete(account.url(f"/api-keys/{revoked['id']}"), headers=account.headers)
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    first_revocation = r.json()["revoked_at"]
    r = client.get(account.url("/jobs"), headers=bearer(revoked["key"]))
    assert r.status_code == 401 and r.json()["error"]["message"] == "API key has been revoked"
    # Revoking again keeps the original time.
    again = client.delete(account.url(f"/api-keys/{revoked['id']}"), headers=account.headers).json()
    assert again["revoked_at"] == first_revocation

    expired = make_key(client, account, expires_in_days=1)
    with services.db.session() as s:
        s.execute(update(ApiKey).where(ApiKey.id == uuid.UUID(expired["id"]))
                  .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    r = client.get(account.url("/jobs"), headers=bearer(expired["key"]))
    assert r.status_code == 401 and r.json()["error"]["message"] == "API key has expired"

    tampered = expired["key"][:-2] + ("aa" if not expired["key"].endswith("aa") else "bb")
    r = client.get(account.url("/jobs"), headers=bearer(tampered))
    assert r.status_code == 401 and r.json()["error"]["message"] == "Invalid API key"


def test_key_input_is_validated(client, account):
    for body in ({"name": "x", "scopes": []}, {"name": "x", "scopes": ["root"]}, {"name": "", "scopes": ["read"]},
                 {"name": "x", "scopes": ["read"], "expires_in_days": 0}):
        r = client.post(account.url("/api-keys"), headers=account.headers, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["code"] == "validation_error"


def test_keys_cannot_create_keys_but_admin_keys_may_list_and_revoke(client, account):
    admin = make_key(client, account, scopes=["admin"])
    r = client.post(account.url("/api-keys"), headers=bearer(admin["key"]), json={"name": "x", "scopes": ["read"]})
    assert r.status_code == 403 and "API keys cannot create API keys" in r.json()["error"]["message"]
    assert client.get(account.url("/api-keys"), headers=bearer(admin["key"])).json()["total"] == 1
    write = make_key(client, account, scopes=["read", "write"])
    r = client.get(account.url("/api-keys"), headers=bearer(write["key"]))
    assert r.status_code == 403 and r.json()["error"]["message"] == "This API key lacks the 'admin' scope"
    assert client.delete(account.url(f"/api-keys/{write['id']}"), headers=bearer(admin["key"])).status_code == 200
    assert client.get(account.url("/jobs"), headers=bearer(write["key"])).status_code == 401


def test_only_owners_manage_keys(client, services, account):
    for role in ("coach", "analyst", "viewer"):
        member = create_account(client, services, role=role, org_id=account.org_id)
        r = client.post(account.url("/api-keys"), headers=member.headers, json={"name": "x", "scopes": ["read"]})
        assert r.status_code == 403, role
        assert f"Your role ({role})" in r.json()["error"]["message"]
        assert client.get(account.url("/api-keys"), headers=member.headers).status_code == 403


# --- Members ----------------------------------------------------------------------------------

def test_members_list_change_role_and_remove(client, services, account):
    analyst = create_account(client, services, role="analyst", org_id=account.org_id)
    r = client.get(account.url("/members"), headers=analyst.headers)
    assert r.status_code == 200
    assert {(m["email"], m["role"]) for m in r.json()["items"]} == {(account.email, "owner"), (analyst.email, "analyst")}
    assert client.get(account.url("/members?role=owner"), headers=analyst.headers).json()["total"] == 1

    # Only owners change roles.
    r = client.patch(account.url(f"/members/{analyst.user_id}"), headers=analyst.headers, json={"role": "owner"})
    assert r.status_code == 403
    r = client.patch(account.url(f"/members/{analyst.user_id}"), headers=account.headers, json={"role": "viewer"})
    assert r.status_code == 200 and r.json()["role"] == "viewer"
    r = client.post(account.url("/athletes"), headers=analyst.headers, json={"name": "A"})
    assert r.status_code == 403  # the new role applies at once

    r = client.delete(account.url(f"/members/{analyst.user_id}"), headers=account.headers)
    assert r.status_code == 200 and r.json()["email"] == analyst.email
    assert client.get(account.url(), headers=analyst.headers).status_code == 404
    assert client.delete(account.url(f"/members/{analyst.user_id}"), headers=account.headers).status_code == 404


def test_last_owner_cannot_be_demoted_or_removed(client, services, account):
    for call in (lambda: client.patch(account.url(f"/members/{account.user_id}"), headers=account.headers,
                                      json={"role": "coach"}),
                 lambda: client.delete(account.url(f"/members/{account.user_id}"), headers=account.headers)):
        r = call()
        assert r.status_code == 409 and "last owner" in r.json()["error"]["message"]
    second = create_account(client, services, role="owner", org_id=account.org_id)
    r = client.patch(account.url(f"/members/{account.user_id}"), headers=second.headers, json={"role": "coach"})
    assert r.status_code == 200
    r = client.delete(account.url(f"/members/{second.user_id}"), headers=second.headers)
    assert r.status_code == 409
    roles = {m["email"]: m["role"] for m in client.get(account.url("/members"), headers=second.headers).json()["items"]}
    assert roles == {account.email: "coach", second.email: "owner"}


# --- Invitations ------------------------------------------------------------------------------

def invite(client, account, email, role="analyst"):
    r = client.post(account.url("/invitations"), headers=account.headers, json={"email": email, "role": role})
    assert r.status_code == 201, r.text
    return r.json()


def test_invitation_creates_a_new_user_once(client, services, account):
    inv = invite(client, account, "New.Coach@Example.org", "coach")
    assert inv["email"] == "new.coach@example.org" and inv["status"] == "pending"
    mail = services.mailer.sent[-1]
    assert mail["to"] == "new.coach@example.org" and "Alpha FC" in mail["subject"]
    assert f"{services.settings.public_url}/invite/" in mail["body"]
    token = last_link(services, "invite")
    with services.db.session() as s:
        row = s.get(Invitation, uuid.UUID(inv["id"]))
        assert row.token_hash == hash_opaque_token(token) and token not in row.token_hash
        lifetime = row.expires_at - row.created_at
        assert abs(lifetime - dt.timedelta(days=services.settings.invitation_days)) < dt.timedelta(seconds=5)

    preview = client.post("/api/v1/invitations/preview", json={"token": token})
    assert preview.status_code == 200
    assert preview.json()["organisation_name"] == "Alpha FC" and preview.json()["role"] == "coach"
    assert client.post("/api/v1/invitations/preview", json={"token": token + "x"}).status_code == 400

    r = client.post("/api/v1/invitations/accept", json={"token": token})
    assert r.status_code == 400 and "password" in r.json()["error"]["message"]
    r = client.post("/api/v1/invitations/accept", json={"token": token, "name": "Nia", "password": "s3cret-pass"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["organisation_id"] == str(account.org_id) and body["role"] == "coach"
    me = client.get("/api/v1/me", headers=bearer(body["access_token"])).json()
    assert me["name"] == "Nia" and me["memberships"][0]["role"] == "coach"
    login = client.post("/api/v1/auth/login", json={"email": "new.coach@example.org", "password": "s3cret-pass"})
    assert login.status_code == 200

    r = client.post("/api/v1/invitations/accept", json={"token": token, "password": "another-pass"})
    assert r.status_code == 410 and r.json()["error"]["message"] == "This invitation has already been accepted"
    assert client.post("/api/v1/invitations/preview", json={"token": token}).status_code == 410
    assert r.json()["error"]["code"] == "gone"
    listed = client.get(account.url("/invitations"), headers=account.headers).json()
    assert [i["status"] for i in listed["items"]] == ["accepted"]


def test_existing_user_accepts_while_logged_in(client, services, account, other_account):
    invite(client, account, other_account.email, "viewer")
    token = last_link(services, "invite")
    # Without logging in, the existing account cannot be taken over by creating a new one.
    r = client.post("/api/v1/invitations/accept", json={"token": token, "password": "whatever-123"})
    assert r.status_code == 409 and "log in" in r.json()["error"]["message"]
    r = client.post("/api/v1/invitations/accept", headers=other_account.headers, json={"token": token})
    assert r.status_code == 200 and r.json()["user_id"] == str(other_account.user_id)
    orgs = {m["organisation"]["id"]: m["role"]
            for m in client.get("/api/v1/me", headers=other_account.headers).json()["memberships"]}
    assert orgs == {str(account.org_id): "viewer", str(other_account.org_id): "owner"}


def test_inviting_a_member_conflicts_and_reinviting_replaces_the_link(client, services, account, other_account):
    r = client.post(account.url("/invitations"), headers=account.headers, json={"email": account.email, "role": "viewer"})
    assert r.status_code == 409
    first = invite(client, account, "twice@example.org")
    first_token = last_link(services, "invite")
    invite(client, account, "twice@example.org", "coach")
    second_token = last_link(services, "invite")
    r = client.post("/api/v1/invitations/accept", json={"token": first_token, "password": "password-1"})
    assert r.status_code == 410 and "withdrawn" in r.json()["error"]["message"]
    statuses = {i["id"]: i["status"] for i in client.get(account.url("/invitations"), headers=account.headers).json()["items"]}
    assert statuses[first["id"]] == "revoked" and sorted(statuses.values()) == ["pending", "revoked"]
    pending = client.get(account.url("/invitations?status=pending"), headers=account.headers).json()
    assert pending["total"] == 1 and pending["items"][0]["role"] == "coach"
    r = client.post("/api/v1/invitations/accept", json={"token": second_token, "password": "password-1"})
    assert r.status_code == 200 and r.json()["role"] == "coach"


def test_revoked_expired_and_unknown_invitations(client, services, account):
    inv = invite(client, account, "late@example.org")
    token = last_link(services, "invite")
    r = client.delete(account.url(f"/invitations/{inv['id']}"), headers=account.headers)
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    r = client.post("/api/v1/invitations/accept", json={"token": token, "password": "password-1"})
    assert r.status_code == 410 and "withdrawn" in r.json()["error"]["message"]

    invite(client, account, "late@example.org")
    token = last_link(services, "invite")
    with services.db.session() as s:
        s.execute(update(Invitation).where(Invitation.token_hash == hash_opaque_token(token))
                  .values(expires_at=utcnow() - dt.timedelta(minutes=1)))
    r = client.post("/api/v1/invitations/accept", json={"token": token, "password": "password-1"})
    assert r.status_code == 410 and r.json()["error"]["message"] == "This invitation has expired; ask for a new one"
    assert client.get(account.url("/invitations?status=expired"), headers=account.headers).json()["total"] == 1

    r = client.post("/api/v1/invitations/accept", json={"token": "not-a-token", "password": "password-1"})
    assert r.status_code == 400 and "not valid" in r.json()["error"]["message"]
    with services.db.session() as s:
        assert s.scalar(select(User.id).where(User.email == "late@example.org")) is None


def test_invitation_input_and_permissions(client, services, account):
    r = client.post(account.url("/invitations"), headers=account.headers, json={"email": "nope", "role": "viewer"})
    assert r.status_code == 422 and r.json()["error"]["message"].startswith("email:")
    r = client.post(account.url("/invitations"), headers=account.headers, json={"email": "a@b.org", "role": "god"})
    assert r.status_code == 422
    coach = create_account(client, services, role="coach", org_id=account.org_id)
    r = client.post(account.url("/invitations"), headers=coach.headers, json={"email": "a@b.org", "role": "viewer"})
    assert r.status_code == 403
    admin_key = make_key(client, account, scopes=["admin"])["key"]
    invite_by_key = client.post(account.url("/invitations"), headers=bearer(admin_key),
                                json={"email": "bot-invite@example.org", "role": "viewer"})
    assert invite_by_key.status_code == 201 and invite_by_key.json()["invited_by_id"] is None
    token = last_link(services, "invite")
    r = client.post("/api/v1/invitations/accept", headers=bearer(admin_key), json={"token": token})
    assert r.status_code == 403


# --- Password reset and change ------------------------------------------------------------------

def test_password_reset_does_not_reveal_accounts(client, services, account):
    before = len(services.mailer.sent)
    unknown = client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.org"})
    known = client.post("/api/v1/auth/password-reset", json={"email": account.email.upper()})
    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json()
    assert [m["to"] for m in services.mailer.sent[before:]] == [account.email]


def test_password_reset_sets_the_password_once_and_kills_old_refresh_tokens(client, services, account):
    client.post("/api/v1/auth/password-reset", json={"email": account.email})
    token = last_link(services, "reset-password")
    assert services.settings.public_url in services.mailer.sent[-1]["body"]
    with services.db.session() as s:
        reset = s.scalar(select(PasswordReset).where(PasswordReset.user_id == account.user_id))
        assert reset.token_hash == hash_opaque_token(token)
        minutes = (reset.expires_at - reset.created_at).total_seconds() / 60
        assert round(minutes) == services.settings.password_reset_minutes

    r = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": "short"})
    assert r.status_code == 422
    r = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": "brand-new-secret"})
    assert r.status_code == 200, r.text
    fresh_refresh = r.json()["refresh_token"]

    r = client.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh_token})
    assert r.status_code == 401 and "revoked" in r.json()["error"]["message"]
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": fresh_refresh}).status_code == 200
    assert client.post("/api/v1/auth/login", json={"email": account.email, "password": account.password}).status_code == 401
    assert client.post("/api/v1/auth/login", json={"email": account.email, "password": "brand-new-secret"}).status_code == 200

    r = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": "third-secret-1"})
    assert r.status_code == 410 and "already been used" in r.json()["error"]["message"]


def test_password_reset_expired_unknown_and_superseded_links(client, services, account):
    client.post("/api/v1/auth/password-reset", json={"email": account.email})
    old = last_link(services, "reset-password")
    client.post("/api/v1/auth/password-reset", json={"email": account.email})
    new = last_link(services, "reset-password")
    with services.db.session() as s:
        s.execute(update(PasswordReset).where(PasswordReset.token_hash == hash_opaque_token(new))
                  .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    r = client.post("/api/v1/auth/password-reset/confirm", json={"token": new, "new_password": "new-password-1"})
    assert r.status_code == 410 and "expired" in r.json()["error"]["message"]
    r = client.post("/api/v1/auth/password-reset/confirm", json={"token": "garbage", "new_password": "new-password-1"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input"
    # Using one link voids the others.
    assert client.post("/api/v1/auth/password-reset/confirm",
                       json={"token": old, "new_password": "new-password-1"}).status_code == 200
    client.post("/api/v1/auth/password-reset", json={"email": account.email})
    another = last_link(services, "reset-password")
    with services.db.session() as s:
        s.execute(update(PasswordReset).where(PasswordReset.token_hash == hash_opaque_token(another))
                  .values(used_at=utcnow()))
    assert client.post("/api/v1/auth/password-reset/confirm",
                       json={"token": another, "new_password": "new-password-2"}).status_code == 410


def test_change_own_password(client, services, account):
    r = client.post("/api/v1/me/password", headers=account.headers,
                    json={"current_password": "wrong-one", "new_password": "brand-new-secret"})
    assert r.status_code == 400 and "current password" in r.json()["error"]["message"]
    r = client.post("/api/v1/me/password", headers=account.headers,
                    json={"current_password": account.password, "new_password": "brand-new-secret"})
    assert r.status_code == 200
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh_token}).status_code == 401
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": r.json()["refresh_token"]}).status_code == 200
    assert client.post("/api/v1/auth/login", json={"email": account.email, "password": "brand-new-secret"}).status_code == 200
    key = make_key(client, account)["key"]
    r = client.post("/api/v1/me/password", headers=bearer(key),
                    json={"current_password": "brand-new-secret", "new_password": "another-secret"})
    assert r.status_code == 403


# --- Mailers ----------------------------------------------------------------------------------

class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (no STARTTLS offered) to receive one message with AUTH PLAIN."""

    def reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        server = self.server
        self.reply("220 test ESMTP")
        data_mode, lines = False, []
        while raw := self.rfile.readline():
            line = raw.decode().rstrip("\r\n")
            server.commands.append(line)
            if data_mode:
                if line == ".":
                    data_mode = False
                    server.messages.append("\n".join(lines))
                    self.reply("250 queued")
                else:
                    lines.append(line)
                continue
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-test\r\n250 AUTH PLAIN\r\n")
            elif verb == "AUTH":
                self.reply("235 ok")
            elif verb == "DATA":
                data_mode = True
                self.reply("354 go on")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.daemon_threads = True
    server.commands, server.messages = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_smtp_mailer_delivers_and_never_logs_the_password(smtp_server, tmp_path, caplog):
    port = smtp_server.server_address[1]
    settings = make_settings(tmp_path, mail_backend="smtp", smtp_url=f"smtp://mailer:p%40ss-S3CRET@127.0.0.1:{port}?starttls=false",
                             mail_from="club@example.org")
    mailer = make_mailer(settings)
    assert isinstance(mailer, SmtpMailer) and "S3CRET" not in repr(mailer)
    caplog.set_level(logging.DEBUG)
    mailer.send("coach@example.org", "Hello", "Link: http://x/invite/abc")
    assert "Subject: Hello" in smtp_server.messages[0] and "http://x/invite/abc" in smtp_server.messages[0]
    assert any(c.upper().startswith("AUTH PLAIN") for c in smtp_server.commands)
    assert "rcpt to:<coach@example.org>" in [c.lower() for c in smtp_server.commands]
    # STARTTLS is the default: a server that does not offer it is refused rather than sent the password in clear.
    strict = SmtpMailer(f"smtp://mailer:p%40ss-S3CRET@127.0.0.1:{port}", "club@example.org")
    assert strict.starttls
    with pytest.raises(MailError) as info:
        strict.send("coach@example.org", "Hello", "body")
    assert "S3CRET" not in str(info.value)
    assert "S3CRET" not in caplog.text and "p@ss" not in caplog.text


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_mailer_configuration(tmp_path):
    assert isinstance(make_mailer(make_settings(tmp_path)), LogMailer)
    with pytest.raises(ConfigurationError, match="SIDELINE_SMTP_URL is required"):
        make_mailer(make_settings(tmp_path, mail_backend="smtp"))
    with pytest.raises(ConfigurationError, match="SIDELINE_SMTP_URL must look like"):
        make_mailer(make_settings(tmp_path, mail_backend="smtp", smtp_url="http://mail.example.org"))
    port = closed_port()
    with pytest.raises(MailError, match=f"127.0.0.1:{port}"):
        SmtpMailer(f"smtp://127.0.0.1:{port}", "x@example.org").send("a@example.org", "s", "b")


def test_invitation_is_not_saved_when_mail_fails(client, services, account, monkeypatch):
    monkeypatch.setattr(services, "mailer", SmtpMailer(f"smtp://127.0.0.1:{closed_port()}", "x@example.org"))
    r = client.post(account.url("/invitations"), headers=account.headers, json={"email": "x@example.org", "role": "viewer"})
    assert r.status_code == 503 and "could not be sent" in r.json()["error"]["message"]
    assert client.get(account.url("/invitations"), headers=account.headers).json()["total"] == 0
