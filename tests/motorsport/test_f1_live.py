"""F1 live timing over the WebSocket: a late joiner (snapshot, then ``since``) and a client that
reconnects mid-race both end with exactly the final state, every delta seen once, in order."""

from __future__ import annotations

import copy
import threading

import pytest

from sideline.api.routers import ws
from tests.conftest import wait_for
from tests.motorsport.test_f1_api import apply_event, comparable, import_recording, start_replay, wait_job

EVENTS_AFTER_PAUSE = 300  # the reconnecting client drops its connection after this many
RECEIVE_TIMEOUT_S = 60.0


def receive_json(socket, timeout: float = RECEIVE_TIMEOUT_S) -> dict:
    """The next frame, or a clear failure instead of a test that blocks until pytest's timeout."""
    box: dict = {}

    def receive() -> None:
        try:
            box["frame"] = socket.receive_json()
        except BaseException as exc:  # handed to the test thread below
            box["error"] = exc

    reader = threading.Thread(target=receive, daemon=True)
    reader.start()
    reader.join(timeout)
    if "error" in box:
        raise box["error"]
    assert "frame" in box, f"no WebSocket frame within {timeout:.0f} s"
    return box["frame"]


def snapshot_of(client, account, session_id: str) -> dict:
    r = client.get(f"/api/v1/f1/sessions/{session_id}/snapshot", headers=account.headers)
    assert r.status_code == 200, r.text
    return r.json()


def subscribe(socket, channel: str, since: int) -> int:
    socket.send_json({"type": "subscribe", "channel": channel, "since": since})
    reply = receive_json(socket)
    assert reply["type"] == "subscribed" and reply["channel"] == channel, reply
    return reply["seq"]


def read_events(socket, until_finished: bool = True, limit: int | None = None) -> list[dict]:
    """Event frames until the replay reports it finished (or ``limit`` of them); no gap allowed."""
    frames = []
    while limit is None or len(frames) < limit:
        frame = receive_json(socket)
        assert frame["type"] == "event", f"expected only events, got {frame}"
        frames.append(frame)
        if until_finished and frame["event"] == "replay" and frame["data"]["state"] == "finished":
            break
    return frames


@pytest.fixture
def roomy_buffers(services, monkeypatch):
    # A max-speed replay publishes ~26,000 deltas in seconds; the test wants resume from the
    # buffer, not the (separately tested) overflow gap.
    services.pubsub.buffer_size = 100_000
    monkeypatch.setattr(ws, "MAX_PENDING_EVENTS", 100_000)


# PostgreSQL only: the race takes most of a minute through the live path, and the laps go into
# the table that is time-partitioned there (the replay itself is the same code on SQLite).
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_late_join_and_reconnect_rebuild_the_final_state(client, account, other_account, roomy_buffers):
    session_id = import_recording(client, account)["session_id"]
    channel = f"public:f1:{session_id}"
    # 100x until lap 3 (a few seconds), so the pause lands mid-race even on a busy machine (at
    # full speed the race could finish before the pause request arrives); then full speed.
    job = start_replay(client, account, session_id, 100)
    wait_for(lambda: (snapshot_of(client, account, session_id)["session"]["lap"] or 0) >= 3, timeout=90,
             interval=0.02, message="lap 3")
    r = client.patch(account.url(f"/f1/sessions/{session_id}/replay"), headers=account.headers, json={"paused": True})
    assert r.status_code == 200
    wait_for(lambda: snapshot_of(client, account, session_id)["replay"]["state"] == "paused", message="pause")
    # Another organisation joins late: the snapshot, then everything after its seq.
    late = snapshot_of(client, other_account, session_id)
    assert late["session"]["lap"] < 51 and late["seq"] > 1000 and late["channel"] == channel
    url = f"/api/v1/ws?token={other_account.token}"
    with client.websocket_connect(url) as full, client.websocket_connect(url) as flaky:
        # (a commentary or win-probability run that began before the pause may publish after it)
        assert subscribe(full, channel, late["seq"]) >= late["seq"]
        subscribe(flaky, channel, late["seq"])
        r = client.patch(account.url(f"/f1/sessions/{session_id}/replay"), headers=account.headers,
                         json={"paused": False, "speed": None})
        assert r.status_code == 200
        first_part = read_events(flaky, until_finished=False, limit=EVENTS_AFTER_PAUSE)
        flaky.close()
        events = read_events(full)
    with client.websocket_connect(url) as again:
        subscribe(again, channel, first_part[-1]["seq"])
        second_part = read_events(again)
    assert wait_job(client, account, job["id"])["state"] == "succeeded"

    final = snapshot_of(client, account, session_id)
    assert final["replay"]["state"] == "finished" and final["session"]["winner"] == "44"
    for received in (events, first_part + second_part):
        seqs = [e["seq"] for e in received]
        assert seqs == list(range(late["seq"] + 1, final["seq"] + 1))  # no gap, no duplicate
        assert all(e["data"]["seq"] == e["seq"] for e in received)
        state = copy.deepcopy(late)
        for e in received:
            state = apply_event(state, e["event"], e["data"])
        assert comparable(state) == comparable(final)
    kinds = {e["data"].get("kind") for e in events if e["event"] == "delta"}
    kinds |= {d["kind"] for e in events if e["event"] == "deltas" for d in e["data"]["deltas"]}
    assert any(e["event"] == "deltas" and len(e["data"]["deltas"]) > 1 for e in events)  # a message's deltas, one event
    assert {"driver", "lap", "session", "classification", "pit_stop"} <= kinds
