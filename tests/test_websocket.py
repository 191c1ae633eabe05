"""/api/v1/ws: authentication, channel authorisation, job events, resume, and several servers."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import os
import socket
import subprocess
import time
import uuid

import httpx
import jwt
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import delete, update
from starlette.websockets import WebSocketDisconnect

from sideline.live.redis_pubsub import RedisPubSub
from sideline.storage.models import ApiKey
from tests.conftest import (REDIS_URL, create_account, create_pg_database, drop_pg_database, start_server,
                            wait_for)

pytestmark = pytest.mark.timeout(90)
WS = "/api/v1/ws"


def connect(client, token: str | None):
    return client.websocket_connect(f"{WS}?token={token}" if token else WS)


def subscribe(ws, channel: str, since: int | None = None) -> dict:
    ws.send_json({"type": "subscribe", "channel": channel, "since": since})
    reply = ws.receive_json()
    assert reply.get("type") == "subscribed", reply
    return reply


def closed_with(ws) -> WebSocketDisconnect:
    with pytest.raises(WebSocketDisconnect) as info:
        ws.receive_json()
    return info.value


def access_token(services, user_id, expires_in: float) -> str:
    now = dt.datetime.now(dt.UTC)
    return jwt.encode({"sub": str(user_id), "typ": "access", "iat": now, "exp": now + dt.timedelta(seconds=expires_in)},
                      services.settings.resolved_secret_key, algorithm="HS256")


def api_key(client, account, scopes=("read",)) -> str:
    r = client.post(account.url("/api-keys"), headers=account.headers, json={"name": "live", "scopes": list(scopes)})
    assert r.status_code == 201, r.text
    return r.json()["key"]


def connections() -> float:
    return REGISTRY.get_sample_value("sideline_websocket_connections") or 0.0


# --- Authentication -------------------------------------------------------------------------------

def test_access_token_api_key_and_first_message_auth_are_accepted(client, account):
    before = connections()
    with connect(client, account.token) as ws:
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}
        assert connections() == before + 1
    wait_for(lambda: connections() == before, message="the connection gauge to drop")
    with connect(client, api_key(client, account)) as ws:
        assert subscribe(ws, f"org:{account.org_id}:jobs")["seq"] == 0
    with connect(client, None) as ws:
        ws.send_json({"type": "auth", "token": account.token})
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


@pytest.mark.parametrize("token", ["garbage", "sk_0123456789ab_nope", "eyJhbGciOiJIUzI1NiJ9.e30.bad"])
def test_bad_tokens_are_closed_with_4401_and_a_reason(client, token):
    with connect(client, token) as ws:
        closed = closed_with(ws)
    assert closed.code == 4401
    assert "rejected" in closed.reason or "Invalid API key" in closed.reason


def test_expired_tokens_and_keys_are_closed_with_4401(client, services, account):
    with connect(client, access_token(services, account.user_id, -5)) as ws:
        closed = closed_with(ws)
    assert (closed.code, closed.reason) == (4401, "Access token rejected: token expired")
    key = api_key(client, account)
    with services.db.session() as s:
        s.execute(update(ApiKey).where(ApiKey.organisation_id == account.org_id)
                  .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
    with connect(client, key) as ws:
        closed = closed_with(ws)
    assert (closed.code, closed.reason) == (4401, "API key has expired")


def test_missing_auth_is_closed_with_4401(client):
    with connect(client, None) as ws:
        ws.send_json({"type": "subscribe", "channel": "public:news", "since": None})
        closed = closed_with(ws)
    assert closed.code == 4401 and "Authentication required" in closed.reason


def test_connection_closes_with_4401_when_its_token_expires(client, services, account):
    with connect(client, access_token(services, account.user_id, 2)) as ws:
        subscribe(ws, f"org:{account.org_id}:jobs")
        started = time.monotonic()
        closed = closed_with(ws)
    assert closed.code == 4401 and "expired" in closed.reason
    assert time.monotonic() - started < 5


def test_revoked_keys_and_removed_memberships_are_noticed_while_connected(client, services, account, other_account,
                                                                          monkeypatch):
    from sideline.api.routers import ws as ws_module
    from sideline.storage.models import Membership

    monkeypatch.setattr(ws_module, "RECHECK_SECONDS", 0.3)
    member = create_account(client, services, org_id=other_account.org_id, role="viewer")
    with connect(client, member.token) as ws:
        subscribe(ws, f"org:{other_account.org_id}:jobs")
        subscribe(ws, "public:news")
        with services.db.session() as s:
            s.execute(delete(Membership).where(Membership.user_id == member.user_id))
        assert ws.receive_json() == {"type": "error", "code": "not_found", "message": "Channel not found",
                                     "channel": f"org:{other_account.org_id}:jobs"}
        services.pubsub.publish(f"org:{other_account.org_id}:jobs", "job.updated", {"n": 1})
        services.pubsub.publish("public:news", "posted", {"n": 2})
        assert ws.receive_json()["channel"] == "public:news"  # the other subscription goes on
    with connect(client, api_key(client, account)) as ws:
        subscribe(ws, f"org:{account.org_id}:jobs")
        with services.db.session() as s:
            s.execute(update(ApiKey).where(ApiKey.organisation_id == account.org_id)
                      .values(revoked_at=dt.datetime.now(dt.UTC)))
        closed = closed_with(ws)
    assert (closed.code, closed.reason) == (4401, "API key has been revoked")


# --- Channels -----------------------------------------------------------------------------------

def test_other_org_channel_is_refused_exactly_like_a_missing_org(client, account, other_account):
    key_of_other_org = api_key(client, other_account)
    for token in (account.token, key_of_other_org):
        with connect(client, token) as ws:
            refusals = []
            for org_id in (other_account.org_id if token == account.token else account.org_id, uuid.uuid4()):
                ws.send_json({"type": "subscribe", "channel": f"org:{org_id}:jobs", "since": None})
                refusals.append(ws.receive_json())
            assert {k: v for k, v in refusals[0].items() if k != "channel"} == \
                   {k: v for k, v in refusals[1].items() if k != "channel"} == \
                   {"type": "error", "code": "not_found", "message": "Channel not found"}
            ws.send_json({"type": "subscribe", "channel": "org:not-a-uuid:jobs", "since": None})
            assert ws.receive_json()["code"] == "not_found"
            ws.send_json({"type": "subscribe", "channel": "secret:thing", "since": None})
            assert ws.receive_json()["code"] == "not_found"
            assert subscribe(ws, "public:announcements")["channel"] == "public:announcements"


MALFORMED = [
    "not json", "[1, 2]", '{"type": 5}', '{"type": "nope"}', '{"type": "subscribe"}',
    '{"type": "subscribe", "channel": "bad channel!", "since": null}',
    '{"type": "subscribe", "channel": "public:x", "since": -1}',
    '{"type": "subscribe", "channel": "public:x", "since": "3"}',
    '{"type": "subscribe", "channel": "public:x", "since": true}',
    '{"type": "unsubscribe", "channel": 7}', '{"type": "auth"}', "x" * 20000,
]


def test_malformed_messages_get_invalid_message_and_the_connection_stays(client, account):
    with connect(client, account.token) as ws:
        for message in MALFORMED:
            ws.send_text(message)
            reply = ws.receive_json()
            assert reply["type"] == "error" and reply["code"] == "invalid_message" and reply["message"], message
        ws.send_bytes(b"\x00\x01")
        assert ws.receive_json()["code"] == "invalid_message"
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


# --- Events ---------------------------------------------------------------------------------------

def _start_job(client, account, steps: int, delay: float) -> str:
    r = client.post(account.url("/jobs"), headers=account.headers,
                    json={"type": "demo.count", "params": {"steps": steps, "delay": delay}})
    assert r.status_code == 202, r.text
    return r.json()["id"]


def _events_until_done(ws, job_id: str) -> list[dict]:
    events = []
    while not events or events[-1]["data"]["state"] not in ("succeeded", "failed", "cancelled"):
        message = ws.receive_json()
        assert message["type"] == "event", message
        assert message["data"]["id"] == job_id
        events.append(message)
    return events


def test_job_progress_arrives_live_to_100_percent(client, account):
    channel = f"org:{account.org_id}:jobs"
    with connect(client, account.token) as ws:
        start = subscribe(ws, channel)["seq"]
        job_id = _start_job(client, account, steps=4, delay=0.25)
        events = _events_until_done(ws, job_id)
    assert [e["seq"] for e in events] == list(range(start + 1, start + 1 + len(events)))
    assert {(e["type"], e["channel"], e["event"]) for e in events} == {("event", channel, "job.updated")}
    progress = [e["data"]["progress"] for e in events]
    assert progress == sorted(progress) and progress[-1] == 100.0
    assert {25.0, 50.0, 75.0, 100.0} <= set(progress)
    assert events[0]["data"]["state"] == "running" and events[-1]["data"]["state"] == "succeeded"
    assert events[-1]["data"]["result"] == {"counted": 4}


def test_resume_with_since_gets_exactly_the_missed_events(client, account):
    channel = f"org:{account.org_id}:jobs"
    with connect(client, account.token) as reference:
        subscribe(reference, channel)
        with connect(client, account.token) as ws:
            subscribe(ws, channel)
            job_id = _start_job(client, account, steps=10, delay=0.1)
            first = [ws.receive_json() for _ in range(3)]
        # Disconnected; the job goes on.
        everything = _events_until_done(reference, job_id)
    with connect(client, account.token) as ws:
        resumed = subscribe(ws, channel, since=first[-1]["seq"])
        assert resumed["seq"] == everything[-1]["seq"]
        missed = [ws.receive_json() for _ in range(len(everything) - 3)]
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}  # nothing more: no duplicates
    assert first + missed == everything


def test_unsubscribe_stops_events_and_resubscribe_restarts_from_since(client, services, account):
    channel = f"org:{account.org_id}:jobs"
    with connect(client, account.token) as ws:
        subscribe(ws, channel)
        services.pubsub.publish(channel, "job.updated", {"n": 1})
        assert ws.receive_json()["data"] == {"n": 1}
        ws.send_json({"type": "unsubscribe", "channel": channel})
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}
        services.pubsub.publish(channel, "job.updated", {"n": 2})
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}
        assert subscribe(ws, channel, since=1)["seq"] == 2
        assert ws.receive_json()["data"] == {"n": 2}


def test_since_older_than_the_buffer_gets_a_gap(client, services, account):
    channel = f"org:{account.org_id}:jobs"
    total = services.pubsub.buffer_size + 50
    for i in range(total):
        services.pubsub.publish(channel, "job.updated", {"i": i})
    with connect(client, account.token) as ws:
        assert subscribe(ws, channel, since=3)["seq"] == total
        assert ws.receive_json() == {"type": "gap", "channel": channel, "seq": total, "reason": "expired"}
        services.pubsub.publish(channel, "job.updated", {"i": total})
        assert ws.receive_json()["seq"] == total + 1


# --- Several real server processes on one Redis -----------------------------------------------------

def _login(server) -> tuple[str, str]:
    r = httpx.post(server.url + "/api/v1/auth/login", json={"email": server.demo_email, "password": server.demo_password})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    orgs = httpx.get(server.url + "/api/v1/orgs", headers={"Authorization": f"Bearer {token}"}).json()["items"]
    return token, orgs[0]["id"]


async def _ws(server, token: str, **options):
    import websockets

    return await websockets.connect(server.url.replace("http", "ws", 1) + f"{WS}?token={token}", **options)


async def _subscribe(conn, channel: str, since: int | None = None) -> dict:
    await conn.send(json.dumps({"type": "subscribe", "channel": channel, "since": since}))
    reply = json.loads(await conn.recv())
    assert reply["type"] == "subscribed", reply
    return reply


async def _receive(conn, n: int) -> list[dict]:
    return [json.loads(await conn.recv()) for _ in range(n)]


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory, pg_server, redis_server):
    """Two `sideline serve` processes on one PostgreSQL database and one Redis (shared by the
    tests of this module: starting them takes a while)."""
    import redis

    namespace = f"sltest:{uuid.uuid4().hex[:10]}"
    database = create_pg_database()
    env = {"SIDELINE_REDIS_URL": REDIS_URL, "SIDELINE_DATABASE_URL": database, "SIDELINE_REDIS_NAMESPACE": namespace}
    servers = []
    try:
        for name in ("a", "b"):
            servers.append(start_server(tmp_path_factory.mktemp(f"server-{name}"), env))
        yield namespace, servers
    finally:
        for server in servers:
            server.process.terminate()
            try:
                server.process.wait(10)
            except subprocess.TimeoutExpired:
                server.process.kill()
        drop_pg_database(database)
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{namespace}*", count=1000):
            client.delete(key)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
async def test_two_servers_deliver_the_same_events_and_resume_across_servers(two_servers):
    redis_namespace, (a, b) = two_servers
    token, org_id = _login(a)
    channel = f"org:{org_id}:jobs"
    publisher = RedisPubSub(REDIS_URL, namespace=redis_namespace)  # stands in for a Celery worker
    conn_a, conn_b = await _ws(a, token), await _ws(b, token)
    try:
        start = (await _subscribe(conn_a, channel))["seq"]
        assert (await _subscribe(conn_b, channel))["seq"] == start
        sent = [publisher.publish(channel, "job.updated", {"n": i}) for i in range(20)]
        assert sent == list(range(start + 1, start + 21))
        got_a, got_b = await _receive(conn_a, 20), await _receive(conn_b, 20)
        assert got_a == got_b
        assert [(m["seq"], m["data"]["n"]) for m in got_a] == [(s, i) for i, s in enumerate(sent)]
        # A client of server A drops; events go on; it resumes on server B and misses nothing.
        await conn_a.close()
        more = [publisher.publish(channel, "job.updated", {"n": i}) for i in range(20, 25)]
        conn_a = await _ws(b, token)
        await _subscribe(conn_a, channel, since=sent[-1])
        assert [m["seq"] for m in await _receive(conn_a, 5)] == more
        assert [m["seq"] for m in await _receive(conn_b, 5)] == more
    finally:
        await conn_a.close()
        await conn_b.close()
        publisher.close()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
async def test_a_stalled_client_gets_an_overflow_gap_and_does_not_hold_up_others(two_servers):
    redis_namespace, (server, _) = two_servers
    token, org_id = _login(server)
    channel = f"org:{org_id}:jobs"
    publisher = RedisPubSub(REDIS_URL, namespace=redis_namespace)
    # A tiny receive window and a client that reads nothing make the server's sends block
    # (without compression, which would shrink the payloads to nothing).
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", int(server.url.rsplit(":", 1)[1])))
    stalled = await _ws(server, token, sock=sock, max_queue=4, compression=None)
    fast = await _ws(server, token, max_size=None)
    try:
        start = (await _subscribe(stalled, channel))["seq"]
        await _subscribe(fast, channel)
        blob, count = base64.b64encode(os.urandom(6144)).decode(), 3000
        got: list[dict] = []

        async def read_fast():
            while len(got) < count:
                got.append(json.loads(await fast.recv()))

        reading = asyncio.create_task(read_fast())
        publishing = 0.0
        # In batches the fast client keeps up with even on a busy machine; the stalled one never reads.
        for first in range(0, count, 250):
            batch = range(first, min(count, first + 250))
            started = time.monotonic()
            await asyncio.to_thread(lambda: [publisher.publish(channel, "job.updated", {"n": i, "blob": blob})
                                             for i in batch])
            publishing += time.monotonic() - started
            async with asyncio.timeout(60):
                while len(got) < batch[-1] + 1 and not reading.done():
                    await asyncio.sleep(0.01)
        await asyncio.wait_for(reading, 60)
        assert publishing < 30  # publishing never waited for the stalled client
        assert [m["seq"] for m in got] == list(range(start + 1, start + count + 1))
        # Now the stalled client reads: some events, then a gap, then contiguous events to the end.
        seen = []
        while not seen or seen[-1].get("seq") != start + count:
            seen.append(json.loads(await asyncio.wait_for(stalled.recv(), 30)))
        gaps = [i for i, m in enumerate(seen) if m["type"] == "gap"]
        assert gaps, "expected an overflow gap"
        gap = seen[gaps[-1]]
        assert gap["reason"] == "overflow" and gap["channel"] == channel
        after = [m["seq"] for m in seen[gaps[-1] + 1:]]
        assert after == list(range(gap["seq"] + 1, start + count + 1))
        assert len(after) <= 1000
    finally:
        await stalled.close()
        await fast.close()
        publisher.close()
