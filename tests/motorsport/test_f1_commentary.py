"""Generated commentary on the 2018 Azerbaijan GP: known overtakes, pit stops, the fastest lap,
retirements and safety cars appear with numbers that match the laps / pit-stop tables and
f1db; the wording varies; the optional LLM step falls back to the template when the endpoint
is absent, slow or wrong (a local fake server); the API serves both analysis and commentary."""

from __future__ import annotations

import http.server
import json
import re
import threading
import time
from collections.abc import Iterator

import polars as pl
import pytest

from sideline.analytics.motorsport import commentary, strategy
from sideline.errors import InvalidInput
from sideline.live import commentary_llm
from tests.motorsport.f1_data import f1db, f1db_seconds, shared_data

RACE = ("2018", "races", "04-azerbaijan")


@pytest.fixture(scope="module")
def lines(race_2018) -> list[dict]:
    snapshot = race_2018.state.snapshot()
    retired = [{"driver": r["driver"], "retired_lap": r["retired_lap"], "note": r["retired_note"]}
               for r in snapshot["classification"] if r["status"] == "retired"]
    events = commentary.detect_events(race_2018.state.laps(), race_2018.state.pit_stops(),
                                      snapshot["race_control"], retired)
    names = {n: d["tla"] for n, d in snapshot["drivers"].items()}
    return commentary.commentary(events, "technical", names, {"44"})


def of_kind(lines: list[dict], kind: str) -> list[dict]:
    return [line for line in lines if line["kind"] == kind]


def test_known_overtakes_at_the_end_of_the_race(race_2018, lines):
    overtakes = {(line["lap"], *line["drivers"]): line for line in of_kind(lines, "overtake")}
    # lap 48 restart: Vettel locks up and Hamilton and Raikkonen go by; lap 49: Perez takes P3 from him
    assert {(48, "44", "5"), (48, "7", "5"), (49, "11", "5")} <= set(overtakes)
    laps = race_2018.state.laps()
    for key in [(48, "44", "5"), (48, "7", "5"), (49, "11", "5")]:
        line = overtakes[key]
        lap, passer, passed = key
        now = dict(laps.filter(pl.col("lap") == lap).select("driver", "position").rows())
        before = dict(laps.filter(pl.col("lap") == lap - 1).select("driver", "position").rows())
        assert line["data"]["position"] == now[passer] and line["data"]["from_position"] == before[passer]
        assert f"P{now[passer]}" in line["text"] and line["source"]["table"] == "laps"
    # Perez finished third (f1db), and kept the place he took
    podium = {r["position"]: str(r["driverNumber"]) for r in f1db(*RACE, "race-results.yml")}
    assert podium[3] == "11" and overtakes[(49, "11", "5")]["data"]["position"] == 3
    assert overtakes[(48, "44", "5")]["highlight"]  # Hamilton is a favourite here


def test_every_pit_stop_has_a_line_with_its_lap_and_lane_time(lines):
    stops = of_kind(lines, "pit_stop")
    official = f1db(*RACE, "pit-stops.yml")
    assert sorted((line["drivers"][0], line["lap"]) for line in stops) == sorted(
        (str(r["driverNumber"]), r["lap"]) for r in official)
    lane_times = {(str(r["driverNumber"]), r["lap"]): f1db_seconds(r["time"]) for r in official}
    errors = []
    for line in stops:
        lane = line["data"]["pit_lane_time"]
        assert f"{lane:.3f}" in line["text"] or "lane" not in line["text"]
        errors.append(abs(lane - lane_times[(line["drivers"][0], line["lap"])]))
    assert sorted(errors)[len(errors) // 2] < 0.1  # the median stop's lane time agrees with f1db


def test_fastest_lap_retirements_and_safety_cars(lines):
    fastest = of_kind(lines, "fastest_lap")
    official = next(r for r in f1db(*RACE, "fastest-laps.yml") if r["position"] == 1)
    last = fastest[-1]
    assert last["drivers"] == [str(official["driverNumber"])] and last["lap"] == official["lap"]
    assert last["data"]["lap_time"] == f1db_seconds(official["time"]) and "1:45.149" in last["text"]
    assert all(a["data"]["lap_time"] > b["data"]["lap_time"] for a, b in zip(fastest, fastest[1:]))
    retired = {line["drivers"][0] for line in of_kind(lines, "retirement")}
    assert retired == {str(r["driverNumber"]) for r in f1db(*RACE, "race-results.yml") if r["reasonRetired"]}
    safety = [line["data"]["message"] for line in of_kind(lines, "safety_car")]
    assert safety.count("SAFETY CAR DEPLOYED") == 2
    assert any("CHEQUERED" in line["text"] for line in of_kind(lines, "flag"))
    assert [line["lap"] for line in of_kind(lines, "overcut") if line["drivers"] == ["44", "5"]] == [31]


def test_lines_are_varied_and_cite_their_numbers(lines):
    assert [line["t"] for line in lines] == sorted(line["t"] for line in lines)
    assert len({line["id"] for line in lines}) == len(lines)
    last_template: dict[str, str] = {}
    for line in lines:
        kind = line["kind"]
        if len(commentary.TEMPLATES[kind]["technical"]) > 1:
            assert last_template.get(kind) != line["template"], line
        last_template[kind] = line["template"]
        # every number in the text is the lap, a driver position or a value in the cited data
        cited = {str(line["lap"])} | {json.dumps(v) for v in line["data"].values()}
        cited |= {f"{v:.3f}" for v in line["data"].values() if isinstance(v, float)}
        cited |= {commentary.lap_time_text(v) for k, v in line["data"].items() if "lap_time" in k and v}
        cited |= {str(v) for v in line["data"].values()}
        cited_text = " ".join(cited)
        for number in re.findall(r"\d+(?:[.:]\d+)*", line["text"].split(" (")[0]):
            assert number in cited_text, (number, line)
    texts = [line["text"] for line in commentary.commentary(
        [commentary.Event("x", "pit_stop", 1.0, 3, ("1",), {"stop": 1, "pit_lane_time": 20.0, "old_compound": "SOFT",
                                                             "new_compound": "HARD", "position_after": 4}, {})] * 4)]
    assert len(set(texts)) == 4  # four casual pit-stop templates, taken in turn
    with pytest.raises(InvalidInput, match="style"):
        commentary.Phraser("shouty")


# -- the optional LLM phrasing step ----------------------------------------------------------

SLOW_S = 4.0  # far over the 0.5 s timeout, so a loaded machine cannot blur the two


class FakeLlm(http.server.BaseHTTPRequestHandler):
    mode = "ok"
    seen_headers: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeLlm.seen_headers.append(dict(self.headers))
        line = body["messages"][-1]["content"]
        if FakeLlm.mode == "slow":
            time.sleep(SLOW_S)
        if FakeLlm.mode == "garbage":
            payload = b"<html>not json"
        else:
            text = {"ok": f"What a moment! {line}", "wrong_number": line.replace("3", "4", 1)}.get(FakeLlm.mode, line)
            payload = json.dumps({"choices": [{"message": {"content": text}}]}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up first: the point of "slow"
            pass

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeLlm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


LINE = {"id": "pit_stop:22:44:1", "text": "HAM pits on lap 22: 20.346 s in the lane.", "kind": "pit_stop"}


def test_llm_absent_means_template(monkeypatch):
    monkeypatch.delenv("SIDELINE_LLM_URL", raising=False)
    assert commentary_llm.settings_from_env() is None
    assert commentary_llm.phrase(LINE)["phrased_by"] == "template"
    assert commentary_llm.phrase_all([LINE])[0]["text"] == LINE["text"]


def test_llm_used_when_it_keeps_the_numbers_and_falls_back_otherwise(fake_llm, caplog):
    settings = commentary_llm.settings_from_env({"SIDELINE_LLM_URL": fake_llm, "SIDELINE_LLM_MODEL": "m",
                                                 "SIDELINE_LLM_API_KEY": "sk-secret-123", "SIDELINE_LLM_TIMEOUT_S": "0.5"})
    assert "sk-secret" not in repr(settings)
    caplog.set_level("DEBUG")
    FakeLlm.mode = "ok"
    good = commentary_llm.phrase(LINE, "casual", settings)
    assert good["phrased_by"] == "llm" and good["text"].startswith("What a moment!") and good["template_text"] == LINE["text"]
    assert FakeLlm.seen_headers[-1]["Authorization"] == "Bearer sk-secret-123"
    for mode in ("garbage", "wrong_number", "slow"):
        FakeLlm.mode = mode
        started = time.monotonic()
        result = commentary_llm.phrase(LINE, "casual", settings)
        assert result["phrased_by"] == "template" and result["text"] == LINE["text"], mode
        assert time.monotonic() - started < SLOW_S / 2, mode  # the timeout, not the server's delay
    # a dead endpoint costs one timeout for a whole batch, not one per line
    started = time.monotonic()
    batch = commentary_llm.phrase_all([LINE] * 5, "casual", settings)
    assert all(line["phrased_by"] == "template" for line in batch) and time.monotonic() - started < SLOW_S / 2
    FakeLlm.mode = "ok"
    unreachable = commentary_llm.LlmSettings(url="http://127.0.0.1:9/v1", model="m", timeout_s=0.5)
    assert commentary_llm.phrase(LINE, "casual", unreachable)["phrased_by"] == "template"
    assert "sk-secret" not in caplog.text


# -- over the API ------------------------------------------------------------------------------

def test_analysis_and_commentary_over_the_api(client, account, race_2018):
    from tests.motorsport.test_f1_api import import_recording, start_replay, wait_job

    session_id = import_recording(client, account, round=4)["session_id"]
    h = account.headers
    empty = client.get(f"/api/v1/f1/sessions/{session_id}/commentary", headers=h)
    assert empty.status_code == 200 and empty.json()["items"] == []  # nothing played yet: nothing to say
    job = wait_job(client, account, start_replay(client, account, session_id, None)["id"])
    assert job["state"] == "succeeded", job["error"]

    body = client.get(f"/api/v1/f1/sessions/{session_id}/analysis", headers=h).json()
    assert {"laps", "positions", "gaps", "sectors", "pace", "stints", "pit_loss", "undercuts"} <= set(body)
    # the stored tables give what the in-memory state gives
    state = race_2018.state
    assert body["undercuts"] == strategy.undercuts(state.laps(), state.pit_stops())
    expected = {(r["driver"], r["stop"]): r["time_lost"] for r in strategy.pit_loss(state.laps(), state.pit_stops())}
    assert all(r["time_lost"] == pytest.approx(expected[(r["driver"], r["stop"])], abs=0.01)
               for r in body["pit_loss"] if r["time_lost"] is not None)
    ham = next(p for p in body["positions"] if p["driver"] == "44")
    assert ham["laps"][0] == 0 and ham["positions"][0] == 2 and ham["positions"][-1] == 1
    part = client.get(f"/api/v1/f1/sessions/{session_id}/analysis/stints", headers=h).json()["items"]
    assert part == body["stints"] and any(s["slope"] is not None for s in part)
    assert client.get(f"/api/v1/f1/sessions/{session_id}/analysis/nonsense", headers=h).status_code == 422

    feed = client.get(f"/api/v1/f1/sessions/{session_id}/commentary", headers=h,
                      params={"style": "technical", "favourites": "11"}).json()
    kinds = {line["kind"] for line in feed["items"]}
    assert {"overtake", "pit_stop", "fastest_lap", "retirement", "safety_car", "flag"} <= kinds
    perez = next(line for line in feed["items"] if line["id"] == "overtake:49:11:5")
    assert perez["highlight"] and perez["phrased_by"] == "template" and "P3" in perez["text"]
    later = client.get(f"/api/v1/f1/sessions/{session_id}/commentary", headers=h, params={"after_t": perez["t"]}).json()
    assert later["items"] and all(line["t"] > perez["t"] for line in later["items"])
    assert client.get(f"/api/v1/f1/sessions/{session_id}/commentary", headers=h,
                      params={"style": "shouty"}).status_code == 422
    missing = "00000000-0000-0000-0000-000000000000"
    assert client.get(f"/api/v1/f1/sessions/{missing}/analysis", headers=h).status_code == 404


def test_telemetry_of_an_uploaded_csv_over_the_api(client, account, other_account):
    from tests.motorsport.test_f1_api import upload

    path = shared_data() / "motorsport" / "telemetry" / "f1_2010_aus_button_mclaren_telemetry.csv"
    if not path.is_file():
        pytest.skip(f"telemetry CSV not found at {path} (set SIDELINE_SHARED_DATA)")
    file_id = upload(client, account, path)
    url = account.url(f"/f1/telemetry/{file_id}")
    laps = client.get(url, headers=account.headers).json()["items"]
    assert len(laps) == 43 and laps[19]["lap"] == 20
    compared = client.get(url, headers=account.headers, params={"view": "compare", "lap": 20, "lap_b": 30}).json()
    assert compared["delta"][-1] == pytest.approx(laps[29]["lap_time"] - laps[19]["lap_time"], abs=0.05)
    track = client.get(url, headers=account.headers, params={"view": "map", "lap": 20, "colour_by": "gear"}).json()
    assert len(track["x"]) == len(track["value"]) > 50
    assert client.get(url, headers=account.headers, params={"view": "traces"}).status_code == 400
    assert client.get(url, headers=account.headers, params={"view": "traces", "lap": 99}).status_code == 400
    bad = upload(client, account, path, name="notes.csv", content=b"a,b\n1,2\n")
    r = client.get(account.url(f"/f1/telemetry/{bad}"), headers=account.headers)
    assert r.status_code == 400 and "notes.csv: missing telemetry columns" in r.text
    # another organisation's file is not there
    assert client.get(other_account.url(f"/f1/telemetry/{file_id}"), headers=other_account.headers).status_code == 404
