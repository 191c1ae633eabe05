"""The motorsport section in a real browser: the 2018 Azerbaijan GP is imported over the API,
a replay is started at 100x while the timing page is open, and the tower, lap counter, track
status and race control update without a reload; the user's favourite driver (a server-side
preference) is highlighted in the tower; the page's pause and stop controls work."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from tests.conftest import wait_for
from tests.e2e.conftest import TIMEOUT_MS, UUID
from tests.motorsport.f1_data import f1_folder

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture(scope="module")
def api(live_server):
    import httpx

    client = httpx.Client(base_url=live_server.url + "/api/v1", timeout=60)
    token = client.post("/auth/login", json={"email": live_server.demo_email,
                                             "password": live_server.demo_password}).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    org_id = client.get("/me").json()["memberships"][0]["organisation"]["id"]
    yield client, org_id
    client.close()


def finished_job(client, org_id: str, job_id: str) -> dict:
    def done():
        job = client.get(f"/orgs/{org_id}/jobs/{job_id}").json()
        return job if job["state"] in ("succeeded", "failed", "cancelled") else None

    return wait_for(done, timeout=120, interval=0.2, message="the job")


@pytest.fixture(scope="module")
def race(api) -> str:
    client, org_id = api
    ids = []
    for path in sorted(f1_folder("2018_azerbaijan_race").glob("*.jsonStream")):
        r = client.post(f"/orgs/{org_id}/files", files={"file": (path.name, path.read_bytes(), "application/octet-stream")})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    r = client.post(f"/orgs/{org_id}/f1/sessions/import", json={"files": ids})
    assert r.status_code == 202, r.text
    job = finished_job(client, org_id, r.json()["id"])
    assert job["state"] == "succeeded", job["error"]
    return job["result"]["session_id"]


def login(page, server) -> str:
    from playwright.sync_api import expect

    page.goto(server.url + "/login")
    page.get_by_test_id("login-email").fill(server.demo_email)
    page.get_by_test_id("login-password").fill(server.demo_password)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(re.compile(rf"/o/{UUID}(/.*)?$"))
    return re.search(rf"/o/({UUID})", page.url).group(1)


def shown_lap(page) -> int:
    match = re.search(r"Lap (\d+)", page.get_by_test_id("f1-lap").inner_text())
    return int(match.group(1)) if match else 0


def test_timing_tower_follows_a_replay_live(page, live_server, api, race):
    from playwright.sync_api import expect

    client, org_id = api
    # a favourite driver, stored server-side, is highlighted in the tower
    assert client.put("/me/preferences/motorsport", json={"favourite_drivers": ["HAM"]}).status_code == 200
    login(page, live_server)
    page.goto(f"{live_server.url}/o/{org_id}/motorsport")
    row = page.get_by_test_id("f1-session-row").filter(has_text="2018 Azerbaijan Grand Prix Race")
    expect(row).to_have_count(1)
    row.get_by_test_id("f1-session-link").click()
    expect(page).to_have_url(re.compile(rf"/motorsport/sessions/{race}$"))
    expect(page.get_by_test_id("f1-timing")).to_be_visible()

    # Started from elsewhere (the API) while the page is open: it follows over the WebSocket.
    r = client.post(f"/orgs/{org_id}/f1/sessions/{race}/replay", json={"speed": 100})
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    expect(page.get_by_test_id("f1-replay-state")).to_have_text("replay running", timeout=30_000)
    expect(page.get_by_test_id("f1-tower-row")).to_have_count(20, timeout=30_000)
    expect(page.locator("[data-testid=f1-tower-row][data-favourite]")).to_have_count(1)
    expect(page.locator("[data-testid=f1-tower-row][data-driver='44']")).to_have_attribute("data-favourite", "true")
    page.wait_for_function("() => /Lap ([3-9]|\\d\\d+)/.test(document.querySelector('[data-testid=f1-lap]').innerText)",
                           timeout=60_000)
    first_lap, first_leader = shown_lap(page), page.get_by_test_id("f1-leader").inner_text()
    assert first_leader in {"HAM", "VET", "BOT", "RAI", "PER", "RIC", "VER"}, first_leader
    # The lap counter moves on without a reload (about a lap a second at 100x).
    wait_for(lambda: shown_lap(page) >= first_lap + 2, timeout=30, interval=0.2, message="the lap counter to move")
    assert page.get_by_test_id("f1-race-control-message").count() > 0
    assert page.get_by_test_id("f1-track-status").get_attribute("data-status") in {"green", "yellow", "sc", "vsc", "vsc_ending"}
    positions = page.get_by_test_id("f1-position").all_inner_texts()
    assert positions[:3] == ["1", "2", "3"]
    # The tower agrees with the server's snapshot of the same moment (within a couple of laps).
    snapshot = client.get(f"/f1/sessions/{race}/snapshot").json()
    assert abs(snapshot["session"]["lap"] - shown_lap(page)) <= 2

    # The page's own controls: pause holds the lap counter, stop ends the replay.
    page.get_by_test_id("f1-replay-pause").click()
    expect(page.get_by_test_id("f1-replay-state")).to_have_text("replay paused", timeout=15_000)
    paused_lap = shown_lap(page)
    time.sleep(2.0)
    assert shown_lap(page) == paused_lap
    page.get_by_test_id("f1-replay-stop").click()
    expect(page.get_by_test_id("f1-replay-state")).to_have_text("replay stopped", timeout=15_000)
    assert finished_job(client, org_id, job_id)["state"] == "cancelled"
    expect(page.get_by_test_id("f1-replay-start")).to_be_visible()
