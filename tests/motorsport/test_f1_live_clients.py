"""Live F1 sources against local servers that serve the recorded 2018 Azerbaijan feed in the live
protocols: the SignalR client (classic and Core, dropped connections with a gap or resent
messages) and the OpenF1 polling client, each through the same ``live_messages`` ->
``SessionState`` path as the file replay, checked against that replay (itself checked against
f1db in test_f1_race_2018.py). Then the live job end to end, and an unreachable feed."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from urllib.parse import unquote

import pytest

from sideline.analytics.motorsport import SessionState
from sideline.core.timing import FeedMessage
from sideline.ingest.f1 import FeedParser, live_messages
from sideline.ingest.f1.live_signalr import LiveFeedUnavailable, SignalRClient
from sideline.ingest.f1.openf1 import OpenF1Client
from tests.motorsport.f1_data import f1_folder, f1db
from tests.motorsport.f1_live_servers import (T0_UTC, Drop, LocalServer, OpenF1Api, SignalRHub, closed_port,
                                              load_feed)

ISSUE_STREAMS = {"TimingData", "TimingAppData", "DriverList", "LapCount", "RaceControlMessages", "TrackStatus",
                 "SessionInfo", "SessionStatus", "CarData.z", "Position.z"}


@pytest.fixture(scope="module")
def feed():
    return load_feed(f1_folder("2018_azerbaijan_race"))


@pytest.fixture(scope="module")
def recorded(race_2018) -> list[tuple]:
    """The recording's messages as the file replay reads them."""
    return [(m.t, m.stream, m.data) for m in race_2018.recording]


def follow(client) -> tuple[SessionState, list[tuple[str, bytes]]]:
    """The client's lines through the live path into a session state, as the runner does."""

    async def run():
        state, lines = SessionState(), []

        async def tap():
            async for item in client.lines():
                lines.append(item)
                yield item

        async for message in live_messages(tap()):
            state.apply(message)
        state.finish()
        return state, lines

    return asyncio.run(run())


def messages_of(lines) -> list:
    parser = FeedParser()
    return [m for stream, line in lines if (m := parser.parse_stream_line(stream, line)) is not None]


def hub_server(feed, drops=()):
    hub = SignalRHub(feed, list(drops))
    return hub, LocalServer(hub.routes())


def assert_same_result(state: SessionState, replay) -> None:
    assert state.classification() == replay.state.classification()
    assert state.winner == "44" and state.fastest_lap == replay.state.fastest_lap
    official = [str(r["driverNumber"]) for r in f1db("2018", "races", "04-azerbaijan", "race-results.yml")]
    assert [e.driver for e in state.classification()] == official


def test_classic_signalr_feed_is_the_recording(feed, recorded, race_2018):
    hub, server = hub_server(feed)
    try:
        client = SignalRClient(server.url + "/signalr")
        state, lines = follow(client)
    finally:
        server.close()
    # The lines are the recorded lines: same streams, times and data, in the same order.
    assert [(m.t, m.stream, m.data) for m in messages_of(lines)] == recorded
    assert_same_result(state, race_2018)
    assert state.snapshot()["drivers"] == race_2018.state.snapshot()["drivers"]
    assert state.laps().equals(race_2018.state.laps())
    assert client.counters["connections"] == 1 and client.counters["keepalives"] >= 1
    assert not (client.counters["reconnects"] or client.counters["duplicates"] or client.counters["resync_streams"])
    (connection,) = hub.connections
    assert connection["headers"]["user-agent"] == "BestHTTP" and "GCLB=" in connection["headers"]["cookie"]
    assert ISSUE_STREAMS <= set(connection["topics"])


def test_dropped_connections_resume_with_the_gap_bridged_and_duplicates_dropped(feed, race_2018):
    n = len(feed)
    gap, resent = Drop(at=n // 3, resume=n // 3 + 400), Drop(at=2 * n // 3, resume=2 * n // 3 - 250)
    hub, server = hub_server(feed, [gap, resent])
    try:
        client = SignalRClient(server.url + "/signalr", backoff_s=0.05)
        state, lines = follow(client)
    finally:
        server.close()
    assert len(hub.connections) == 3
    assert client.counters["connection_lost"] == 2 and client.counters["reconnects"] == 2
    assert client.counters["duplicates"] == 250  # every resent message, and nothing else
    # The 400 lost messages changed timing, car positions and more: bridged from the server's
    # state by the difference to what the client had, not by re-applying everything.
    assert 1 <= client.counters["resync_streams"] <= 8
    received = messages_of(lines)
    assert len(received) == n - 400 - 0 + client.counters["resync_streams"]
    # Nothing older than the drop came back: the session clock only moves on.
    assert all(b.t >= a.t for a, b in zip(received, received[1:]))
    assert_same_result(state, race_2018)
    final, expected = state.snapshot()["drivers"], race_2018.state.snapshot()["drivers"]
    for number, driver in expected.items():
        for field in ("position", "laps", "status", "best_lap", "pit_stops", "compound", "gap_to_leader"):
            assert final[number][field] == driver[field], (number, field)
    assert [m.message for m in state.race_control] == [m.message for m in race_2018.state.race_control]


def test_signalr_core_with_a_resent_stretch_is_the_recording(feed, recorded, race_2018):
    n = len(feed)
    hub, server = hub_server(feed, [Drop(at=n // 2, resume=n // 2 - 100)])
    try:
        client = SignalRClient(server.url + "/signalrcore", access_token="f1tv-token", backoff_s=0.05)
        assert client.protocol == "core"
        state, lines = follow(client)
    finally:
        server.close()
    assert client.counters["duplicates"] == 100 and client.counters["reconnects"] == 1
    assert client.counters["resync_streams"] == 0  # the reply after the drop held nothing new
    assert [(m.t, m.stream, m.data) for m in messages_of(lines)] == recorded
    assert_same_result(state, race_2018)
    assert state.laps().equals(race_2018.state.laps())
    assert all(c["headers"]["authorization"] == "Bearer f1tv-token" for c in hub.connections)
    assert "AWSALBCORS=" in hub.connections[0]["headers"]["cookie"]


def test_an_unreachable_feed_fails_with_a_precise_message():
    port = closed_port()
    client = SignalRClient(f"http://127.0.0.1:{port}/signalr", connect_attempts=2, backoff_s=0.01)
    with pytest.raises(LiveFeedUnavailable) as caught:
        follow(client)
    message = caught.value.message
    assert f"127.0.0.1:{port}" in message and "cannot connect" in message and "2 attempts" in message
    with pytest.raises(ValueError, match="http"):
        SignalRClient("ftp://example.org/signalr")


def test_subscribe_reply_mid_session_starts_from_the_servers_state(feed, race_2018):
    """Joining mid-race: the first reply is the whole state so far (stamped at the origin its
    Heartbeat gives), then live messages; the race still ends with the official result."""
    n = len(feed)
    hub = SignalRHub(feed, [Drop(at=0, resume=n // 4)])  # the first connection ends at once
    server = LocalServer(hub.routes())
    try:
        state, lines = follow(SignalRClient(server.url + "/signalr", backoff_s=0.05))
    finally:
        server.close()
    first = messages_of(lines[:20])
    assert {m.stream for m in first} >= {"SessionInfo", "DriverList", "TimingData", "TimingAppData"}
    assert json.loads(lines[0][1][12:]) == hub.state_at(n // 4)[lines[0][0]]
    assert [e.driver for e in state.classification()] == [e.driver for e in race_2018.state.classification()]



# -- OpenF1 --------------------------------------------------------------------------------------

SESSION_KEY, MEETING_KEY = 5090, 982


def iso(t: float) -> str:
    return (T0_UTC + dt.timedelta(seconds=t)).isoformat()


def openf1_gap(text):
    """The feed's gap text as OpenF1 gives it: seconds, "+N LAP(S)", or null (the leader)."""
    if not text or text.startswith("LAP"):
        return None
    if text.endswith("L"):
        laps = int(text[:-1])
        return f"+{laps} LAP" + ("S" if laps > 1 else "")
    return float(text)


def openf1_tables(replay) -> dict[str, list[dict]]:
    """OpenF1's endpoints as they would have served the 2018 race, derived from the recorded feed
    (its replay's deltas and tables), each row available from the feed time it describes."""
    state = replay.state
    info = state.raw["SessionInfo"]
    local_offset = dt.timedelta(hours=4)  # GmtOffset 04:00:00
    utc_of = lambda local: (dt.datetime.fromisoformat(local) - local_offset).replace(tzinfo=dt.UTC).isoformat()
    base = {"session_key": SESSION_KEY, "meeting_key": MEETING_KEY}
    tables = {
        "sessions": [{**base, "session_name": info["Name"], "session_type": info["Type"],
                      "date_start": utc_of(info["StartDate"]), "date_end": utc_of(info["EndDate"]),
                      "gmt_offset": info["GmtOffset"], "location": info["Meeting"]["Location"],
                      "country_name": info["Meeting"]["Country"]["Name"], "country_code": info["Meeting"]["Country"]["Code"],
                      "circuit_short_name": info["Meeting"]["Circuit"]["ShortName"], "year": 2018}],
        "meetings": [{"meeting_key": MEETING_KEY, "meeting_name": info["Meeting"]["Name"]}],
        "drivers": [{**base, "driver_number": int(n), "name_acronym": d["tla"], "full_name": d["name"],
                     "team_name": d["team"], "team_colour": d["team_colour"]} for n, d in state.snapshot()["drivers"].items()],
        "position": [], "intervals": [], "laps": [], "pit": [], "stints": [], "race_control": []}
    gaps: dict[int, list] = {}
    tyres: dict[int, dict] = {}
    stints = {(r["driver"], r["stint"]): r for r in state.stints().to_dicts()}
    stint_rows: dict[tuple, dict] = {}
    for d in replay.deltas:
        if d["kind"] != "driver":
            continue
        n, changed, t = int(d["driver"]), d["set"], d["t"]
        if changed.get("position") is not None:
            tables["position"].append({**base, "date": iso(t), "driver_number": n, "position": changed["position"],
                                       "_available": t})
        if "gap_to_leader" in changed or "interval" in changed:
            gap = gaps.setdefault(n, [None, None])
            gap[0], gap[1] = changed.get("gap_to_leader", gap[0]), changed.get("interval", gap[1])
            tables["intervals"].append({**base, "date": iso(t), "driver_number": n, "gap_to_leader": openf1_gap(gap[0]),
                                        "interval": openf1_gap(gap[1]), "_available": t})
        if changed.keys() & {"stint", "compound", "tyre_age", "tyre_new"}:
            tyre = tyres.setdefault(n, {})
            tyre.update({k: v for k, v in changed.items() if k in ("stint", "compound", "tyre_age", "tyre_new")})
            final = stints.get((str(n), tyre.get("stint")))
            if final is None or tyre.get("compound") is None:
                continue
            row = stint_rows.setdefault((n, tyre["stint"]), {
                **base, "driver_number": n, "stint_number": tyre["stint"], "lap_start": final["lap_start"],
                "tyre_age_at_start": final["tyre_age_start"], "_versions": []})
            version = {"_available": t, "compound": tyre["compound"], "lap_end": None}
            if final["tyre_age_start"] is not None and tyre.get("tyre_age") is not None:
                version["lap_end"] = final["lap_start"] + tyre["tyre_age"] - final["tyre_age_start"] - 1
            row["_versions"].append(version)
    tables["stints"] = list(stint_rows.values())
    for lap in state.laps().to_dicts():
        n = int(lap["driver"])
        start = lap["t_end"] - lap["lap_time"] if lap["lap_time"] is not None else (
            state.started_t if lap["lap"] == 1 else None)
        if start is None:
            continue
        done = {"_available": lap["t_end"], "lap_duration": lap["lap_time"], "is_pit_out_lap": lap["pit_out"],
                **{f"duration_sector_{i}": lap[f"sector_{i}"] for i in (1, 2, 3)}}
        tables["laps"].append({**base, "driver_number": n, "lap_number": lap["lap"], "date_start": iso(start),
                               "_versions": [{"_available": start, "lap_duration": None}, done]})
    for stop in state.pit_stops().to_dicts():
        if stop["t_in"] is not None and stop["t_out"] is not None:
            tables["pit"].append({**base, "date": iso(stop["t_in"]), "driver_number": int(stop["driver"]),
                                  "lap_number": stop["lap"], "pit_duration": stop["pit_lane_time"],
                                  "_available": stop["t_out"]})
    for m in state.race_control:
        tables["race_control"].append({**base, "date": iso(m.t), "category": m.category, "flag": m.flag,
                                       "scope": m.scope, "sector": m.sector, "lap_number": m.lap, "message": m.message,
                                       "driver_number": int(m.driver) if m.driver else None, "_available": m.t})
    return tables


def snapshots_at(messages, times: list[float]) -> list[dict]:
    """The state's snapshot just before the first message later than each time."""
    state, out, pending = SessionState(), [], sorted(times)
    for m in messages:
        while pending and m.t > pending[0]:
            out.append(json.loads(json.dumps(state.snapshot())))
            pending.pop(0)
        if not pending:
            break
        state.apply(m)
    return out


TOWER = ("position", "laps", "last_lap", "gap_to_leader", "interval", "compound", "pit_stops")


def test_openf1_polling_rebuilds_the_replay_tower(race_2018, recorded):
    tables = openf1_tables(race_2018)
    end = max(r[0] for r in recorded)
    step = 90.0  # feed seconds per poll (fewer requests keep the test short; OpenF1 itself is polled every 4 s)
    api = OpenF1Api(tables, SESSION_KEY, step=step, end=end)
    server = LocalServer(api.routes())
    try:
        client = OpenF1Client(server.url + "/v1", session_key=SESSION_KEY, poll_s=0.001, end_after_idle_polls=40)
        state, lines = follow(client)
    finally:
        server.close()
    assert client.counters["bad_rows"] == 0 and client.counters["polls"] > end / step
    # Filters as OpenF1 takes them: a cursor on the time series, the open laps only.
    requests = [unquote(r) for r in api.requests]
    assert any(r.startswith("position?session_key=5090&date>2018-04-29T") for r in requests)
    assert any(r.startswith("laps?session_key=5090&lap_number>=2") for r in requests)
    offset = (T0_UTC - client.t0_utc).total_seconds()  # OpenF1's origin is an hour before the start
    laps = race_2018.state.laps()
    leader_ends = {row["lap"]: row["t_end"] for row in laps.filter(laps["driver"] == "44").to_dicts()}
    times = [leader_ends[lap] + 20.0 for lap in (10, 25, 40)]
    expected = snapshots_at([FeedMessage(*r) for r in recorded], times)
    got = snapshots_at(messages_of(lines), [t + offset for t in times])
    stops = race_2018.state.pit_stops().to_dicts()
    stint_starts = [d["t"] for d in race_2018.deltas if d["kind"] == "stint"]
    compared = 0
    for t, want, have in zip(times, expected, got, strict=True):
        assert want["session"]["lap"] == have["session"]["lap"]
        for number, driver in want["drivers"].items():
            if driver["status"] != "running":
                continue
            mine = have["drivers"][number]
            crossing = any(abs(row["t_end"] - t) < 6 for row in laps.filter(laps["driver"] == number).to_dicts())
            in_lane = any(s["driver"] == number and s["t_in"] - 6 < t < s["t_out"] + 6 for s in stops)
            fields = [f for f in TOWER if not (crossing and f in ("laps", "last_lap"))
                      and not (in_lane and f in ("pit_stops", "compound"))]
            if driver["position"] == 1:
                fields = [f for f in fields if f not in ("gap_to_leader", "interval")]  # "LAP n": the client's count
            if any(t - step - 5 < s <= t for s in stint_starts):
                fields = [f for f in fields if f != "compound"]  # stints carry no time: seen a poll late
            assert {f: mine[f] for f in fields} == {f: driver[f] for f in fields}, (t, number)
            compared += len(fields)
        assert have["fastest_lap"] is None or have["fastest_lap"]["lap_time"] == want["fastest_lap"]["lap_time"]
    assert compared > 3 * 15 * 6
    # The race control log and the stops made come through whole.
    assert [m.message for m in state.race_control] == [m.message for m in race_2018.state.race_control]
    assert state.winner == "44" and state.chequered
    # Every stop, entry and exit to the millisecond. OpenF1 publishes a stop once the car is out,
    # so its entry is applied late: when the car crossed the line in the pit lane meanwhile, the
    # stop's lap reads one more than the feed's.
    ours = sorted((s["driver"], s["t_in"] - offset, s["t_out"] - offset, s["lap"]) for s in state.pit_stops().to_dicts())
    theirs = sorted((s["driver"], s["t_in"], s["t_out"], s["lap"]) for s in stops if s["t_out"] is not None)
    assert [(d, round(a, 3), round(b, 3)) for d, a, b, _ in ours] == [(d, round(a, 3), round(b, 3)) for d, a, b, _ in theirs]
    assert all(0 <= a[3] - b[3] <= 1 for a, b in zip(ours, theirs))


def test_openf1_unreachable_or_unknown_session():
    client = OpenF1Client(f"http://127.0.0.1:{closed_port()}/v1", connect_attempts=2, backoff_s=0.01)
    with pytest.raises(LiveFeedUnavailable, match="OpenF1 at 127.0.0.1:.*cannot connect"):
        follow(client)
    server = LocalServer(OpenF1Api({"sessions": []}, SESSION_KEY, step=1.0, end=1.0).routes())
    try:
        with pytest.raises(LiveFeedUnavailable, match="no session 1234"):
            follow(OpenF1Client(server.url + "/v1", session_key=1234))
    finally:
        server.close()


# -- the live job, through the API --------------------------------------------------------------

def comparable_rows(rows: list[dict]) -> list[dict]:
    return json.loads(json.dumps(rows))


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_live_job_follows_the_race_and_stores_a_replayable_feed(client, account, feed, race_2018, monkeypatch):
    from tests.conftest import wait_job
    from tests.motorsport.test_f1_api import start_replay

    hub, server = hub_server(feed)
    monkeypatch.setenv("SIDELINE_F1_SIGNALR_URL", server.url + "/signalr")
    try:
        r = client.post(account.url("/f1/sessions/live"), headers=account.headers,
                        json={"source": "live_signalr", "name": "Baku, live", "round": 4})
        assert r.status_code == 202, r.text
        session_id = r.json()["params"]["session_id"]
        # The session exists (and is listed) as soon as the job is accepted.
        detail = client.get(f"/api/v1/f1/sessions/{session_id}", headers=account.headers).json()
        assert detail["name"] == "Baku, live" and detail["replay"]["job_id"] == r.json()["id"]
        job = wait_job(client, account, r.json()["id"], timeout=180)
    finally:
        server.close()
    assert job["state"] == "succeeded", job["error"]
    assert job["result"]["lines"] == len(feed) and job["result"]["client"]["connections"] == 1
    expected = comparable_rows(race_2018.state.snapshot()["classification"])
    url = f"/api/v1/f1/sessions/{session_id}"
    assert client.get(url + "/classification", headers=account.headers).json()["items"] == expected
    detail = client.get(url, headers=account.headers).json()
    assert (detail["meeting"], detail["session_type"], detail["round"], detail["lines"]) == \
        ("Azerbaijan Grand Prix", "Race", 4, len(feed))
    assert detail["replay"]["state"] == "finished" and detail["starts_at"].startswith("2018-04-29T12:10")
    assert len(client.get(url + "/laps", headers=account.headers).json()["items"]) == 841
    # What was received is the session's feed: replaying it gives the same result.
    replayed = wait_job(client, account, start_replay(client, account, session_id, None)["id"])
    assert replayed["state"] == "succeeded", replayed["error"]
    assert client.get(url + "/classification", headers=account.headers).json()["items"] == expected


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_live_job_bad_input_and_an_unreachable_feed(client, account, monkeypatch):
    from tests.conftest import wait_job

    for body, message in (({"source": "pigeon"}, "source 'pigeon'"),
                          ({"source": "live_signalr", "session_key": 9158}, "only for source openf1"),
                          ({"source": "openf1", "session_key": -3}, "session_key"),
                          ({"source": "openf1", "round": 31}, "round")):
        r = client.post(account.url("/f1/sessions/live"), headers=account.headers, json=body)
        assert r.status_code == 400 and message in r.json()["error"]["message"], (body, r.text)
    port = closed_port()
    monkeypatch.setenv("SIDELINE_F1_SIGNALR_URL", f"http://127.0.0.1:{port}/signalr")
    monkeypatch.setenv("SIDELINE_F1_OPENF1_URL", f"http://127.0.0.1:{port}/v1")
    for body, service in (({}, "F1 live timing"), ({"source": "openf1", "session_key": "latest"}, "OpenF1")):
        r = client.post(account.url("/f1/sessions/live"), headers=account.headers, json=body)
        assert r.status_code == 202, r.text
        job = wait_job(client, account, r.json()["id"], timeout=60)
        assert job["state"] == "failed"
        assert job["error"].startswith(f"{service} at 127.0.0.1:{port}: cannot connect"), job["error"]
        assert "Traceback" not in job["error"]
        # Nothing arrived, so no empty public session is left behind.
        r = client.get(f"/api/v1/f1/sessions/{job['params']['session_id']}", headers=account.headers)
        assert r.status_code == 404


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_stopping_a_live_session_silent_or_streaming_keeps_what_arrived(client, account, feed, monkeypatch):
    from tests.conftest import wait_for, wait_job

    hub = SignalRHub(feed, hold_at=len(feed) // 4)  # then silence, the connection still open
    server = LocalServer(hub.routes())
    monkeypatch.setenv("SIDELINE_F1_SIGNALR_URL", server.url + "/signalr")
    try:
        r = client.post(account.url("/f1/sessions/live"), headers=account.headers, json={"source": "live_signalr"})
        assert r.status_code == 202, r.text
        job_id, session_id = r.json()["id"], r.json()["params"]["session_id"]
        url = f"/api/v1/f1/sessions/{session_id}"
        seqs = []

        def silent() -> bool:  # the first quarter applied, then nothing for a second
            seqs.append(client.get(url + "/snapshot", headers=account.headers).json()["seq"])
            return len(seqs) > 1 and seqs[-1] == seqs[-2] > 1000

        wait_for(silent, timeout=60, interval=1.0, message="the first quarter of the race, then silence")
        r = client.delete(account.url(f"/f1/sessions/{session_id}/replay"), headers=account.headers)
        assert r.status_code == 202, r.text
        job = wait_job(client, account, job_id, timeout=30)
    finally:
        server.close()
    assert job["state"] == "cancelled"
    detail = client.get(url, headers=account.headers).json()
    assert detail["replay"]["state"] == "stopped" and detail["lines"] == len(feed) // 4
    assert detail["meeting"] == "Azerbaijan Grand Prix" and len(detail["drivers"]) == 20

    # Stopped while the feed streams: the runner sees it between messages, the connection closes.
    hub = SignalRHub(feed)
    server = LocalServer(hub.routes())
    monkeypatch.setenv("SIDELINE_F1_SIGNALR_URL", server.url + "/signalr")
    try:
        r = client.post(account.url("/f1/sessions/live"), headers=account.headers, json={"source": "live_signalr"})
        job_id, session_id = r.json()["id"], r.json()["params"]["session_id"]
        url = f"/api/v1/f1/sessions/{session_id}"
        wait_for(lambda: client.get(url + "/snapshot", headers=account.headers).json()["seq"] > 1000, timeout=60,
                 interval=0.02, message="a thousand deltas")
        assert client.delete(account.url(f"/f1/sessions/{session_id}/replay"), headers=account.headers).status_code == 202
        job = wait_job(client, account, job_id, timeout=30)
    finally:
        server.close()
    detail = client.get(url, headers=account.headers).json()
    assert job["state"] == "cancelled" and detail["replay"]["state"] == "stopped"
    assert 1000 < detail["lines"] < len(feed)
