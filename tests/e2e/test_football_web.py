"""The football section in a real browser: match list, the 2D match player, a player page.

Runs against the ``live_server`` demo, which imports the full SkillCorner match (Bayern v
Dortmund). What the canvas draws is read through the page's test hook
(``window.__sidelinePlayer``: frame, time and positions as drawn) and checked against the
frames the API serves, decoded here independently of the app's decoder.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator

import numpy as np
import pytest

from tests.e2e.conftest import TIMEOUT_MS, UUID

pytestmark = pytest.mark.browser

FIRST_FRAME_BUDGET_MS = 10_000  # generous: the CI machine is 2 shared cores; a quiet one takes < 1.5 s


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context) -> Iterator:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture(scope="module")
def api(live_server):
    """An authenticated HTTP client for the demo organisation, and its id."""
    import httpx

    client = httpx.Client(base_url=live_server.url + "/api/v1", timeout=60)
    token = client.post("/auth/login", json={"email": live_server.demo_email,
                                             "password": live_server.demo_password}).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    org_id = client.get("/me").json()["memberships"][0]["organisation"]["id"]
    yield client, org_id
    client.close()


@pytest.fixture(scope="module")
def demo_match(api) -> dict:
    client, org_id = api
    items = client.get(f"/orgs/{org_id}/matches").json()["items"]
    match = next((m for m in items if "Bayern" in m["name"] and "Dortmund" in m["name"]), None)
    assert match is not None, f"the demo has no Bayern v Dortmund match: {[m['name'] for m in items]}"
    return client.get(f"/orgs/{org_id}/matches/{match['id']}").json()


def decode_slf1(data: bytes) -> dict[str, np.ndarray]:
    """The SLF1 layout, read with struct and NumPy (not the app's decoder, not the server's)."""
    magic, n, p, _flags = struct.unpack_from("<4sIII", data)
    assert magic == b"SLF1"
    t = np.frombuffer(data, "<f4", n, 16)
    xy = np.frombuffer(data, "<f4", n * p * 2, 16 + 16 * n).reshape(n, p, 2)
    return {"t": t, "xy": xy}


def login(page, server) -> str:
    from playwright.sync_api import expect

    page.goto(server.url + "/login")
    page.get_by_test_id("login-email").fill(server.demo_email)
    page.get_by_test_id("login-password").fill(server.demo_password)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(re.compile(rf"/o/{UUID}(/.*)?$"))
    return re.search(rf"/o/({UUID})", page.url).group(1)


def drawn(page) -> dict:
    return page.evaluate("(() => { const p = window.__sidelinePlayer;"
                         " return p ? {frame: p.frame, time: p.time, playing: p.playing, positions: p.positions()} : null; })()")


def wait_drawn_at(page, t: float, timeout: int = FIRST_FRAME_BUDGET_MS, players: bool = True):
    """Until the canvas shows time t (its chunk loaded) and, unless told otherwise, some player."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            "([t, players]) => { const p = window.__sidelinePlayer;"
            " return p && Math.abs(p.time - t) < 1e-3 && !document.querySelector('[data-testid=player-buffering]')"
            " && (!players || Object.values(p.positions()).some(Boolean)); }",
            arg=[t, players], timeout=timeout)
    except PlaywrightTimeout:
        state = drawn(page)
        summary = state and {k: v for k, v in state.items() if k != "positions"}
        shown = state and sum(v is not None for v in state["positions"].values())
        alerts = page.locator(".fb-player .alert").all_inner_texts()
        raise AssertionError(f"nothing drawn at t={t} within {timeout} ms: {summary}, {shown} players drawn, "
                             f"alerts {alerts}") from None


def football_clock(periods: list[dict], t: float) -> str:
    """The match clock as a football fan reads it, computed here from the API's periods."""
    period = max((p for p in periods if t >= p["start_s"]), key=lambda p: p["start_s"])
    seconds = int({1: 0, 2: 45, 3: 90, 4: 105}[period["period_id"]] * 60 + t - period["start_s"])
    return f"{'1H' if period['period_id'] == 1 else '2H'} {seconds // 60:02d}:{seconds % 60:02d}"


def test_match_player_plays_scrubs_and_matches_the_served_frames(page, live_server, api, demo_match):
    from playwright.sync_api import expect

    client, org_id = api
    assert login(page, live_server) == org_id
    page.get_by_test_id("nav-football").click()
    row = page.get_by_test_id("match-row").filter(has_text="Bayern")
    expect(row).to_have_attribute("data-status", "ready")
    expect(row).to_contain_text("4 – 0")  # the score, from the match metadata
    row.get_by_test_id("match-link").click()
    expect(page).to_have_url(re.compile(rf"/o/{org_id}/football/matches/{demo_match['id']}$"))

    # The first chunk is drawn without pressing anything (broadcast tracking may show nobody at kick-off).
    start = demo_match["periods"][0]["start_s"]
    wait_drawn_at(page, start, players=False)
    counter = page.get_by_test_id("frame-counter")
    first_frame = int(counter.get_attribute("data-frame"))
    assert first_frame == drawn(page)["frame"] == round(start * demo_match["frame_rate"])

    # Play: the frame counter advances, players appear and move; pause stops them.
    page.get_by_test_id("play-toggle").click()
    page.wait_for_function("f => window.__sidelinePlayer.frame >= f + 15", arg=first_frame)
    page.wait_for_function("Object.values(window.__sidelinePlayer.positions()).filter(Boolean).length >= 5")
    before = drawn(page)
    page.wait_for_function("f => window.__sidelinePlayer.frame >= f + 10", arg=before["frame"])
    page.get_by_test_id("play-toggle").click()
    after = drawn(page)
    assert after["playing"] is False
    assert int(counter.get_attribute("data-frame")) == after["frame"] > before["frame"] > first_frame
    moved = [pid for pid, xy in before["positions"].items()
             if xy and after["positions"].get(pid) and np.hypot(*np.subtract(xy, after["positions"][pid])) > 0.05]
    assert moved, "no player moved while playing"
    page.wait_for_timeout(300)
    assert drawn(page)["frame"] == after["frame"], "the player kept going after pause"

    # Scrub into the second half: the clock follows.
    page.get_by_test_id("scrub").fill("3000")
    wait_drawn_at(page, 3000, players=False)
    expect(page.get_by_test_id("match-clock")).to_have_text(football_clock(demo_match["periods"], 3000))

    # On a recorded frame, the drawn positions are the served frame's (seek to its exact float32 time).
    def observed(k: int) -> int:
        return int(np.isfinite(xy[k, :, 0]).sum())

    # Two consecutive recorded frames 0.1 s apart, each showing at least five players.
    for t0 in (2940, 1200, 600, 4200):
        frames = decode_slf1(client.get(f"/orgs/{org_id}/matches/{demo_match['id']}/frames",
                                        params={"t0": t0, "t1": t0 + 60}).content)
        t, xy = frames["t"], frames["xy"]
        i = next((k for k in range(len(t) - 1)
                  if abs(t[k + 1] - t[k] - 0.1) < 1e-3 and observed(k) >= 5 and observed(k + 1) >= 5), None)
        if i is not None:
            break
    assert i is not None, "no two consecutive frames with players in four minutes of the demo match"
    on_frame = float(t[i])
    page.evaluate("t => window.__sidelinePlayer.seek(t)", on_frame)
    wait_drawn_at(page, on_frame)
    state = drawn(page)
    assert state["frame"] == round(on_frame * demo_match["frame_rate"])
    index = {p["player_id"]: p["index"] for p in demo_match["players"]}
    for pid, pos in state["positions"].items():
        expected = xy[i, index[pid]]
        if np.isnan(expected).any():
            assert pos is None, f"{pid} is drawn but was not observed"
        else:
            np.testing.assert_allclose(pos, expected, atol=2e-3, err_msg=pid)
    assert sum(pos is not None for pos in state["positions"].values()) >= 5

    # Between two frames: the linear blend of both, and nothing for a player missing in either.
    middle = on_frame + 0.025
    page.evaluate("t => window.__sidelinePlayer.seek(t)", middle)
    wait_drawn_at(page, middle)
    state = drawn(page)
    w = (middle - t[i]) / (t[i + 1] - t[i])
    for pid, pos in state["positions"].items():
        a, b = xy[i, index[pid]], xy[i + 1, index[pid]]
        if np.isnan(a).any() or np.isnan(b).any():
            assert pos is None, f"{pid} is drawn though missing in a bracketing frame"
        else:
            np.testing.assert_allclose(pos, a + (b - a) * w, atol=2e-3, err_msg=pid)


def test_a_moment_jumps_the_player_to_its_start(page, live_server, api, demo_match):
    from playwright.sync_api import expect

    client, org_id = api
    login(page, live_server)
    page.goto(f"{live_server.url}/o/{org_id}/football/matches/{demo_match['id']}")
    moments = client.get(f"/orgs/{org_id}/matches/{demo_match['id']}/moments").json()["items"]
    assert moments, "the demo match has no moments"
    page.get_by_test_id("tab-button-moments").click()
    items = page.get_by_test_id("moment-item")
    expect(items).to_have_count(len(moments))
    items.nth(len(moments) // 2).click()
    target = moments[len(moments) // 2]["start_s"]
    wait_drawn_at(page, target)
    expect(page.get_by_test_id("match-clock")).to_have_text(football_clock(demo_match["periods"], target))


def test_deep_link_time_player_page_and_phone_layout(page, live_server, api, demo_match):
    from playwright.sync_api import expect

    client, org_id = api
    login(page, live_server)
    match_url = f"{live_server.url}/o/{org_id}/football/matches/{demo_match['id']}"
    page.goto(match_url + "?t=1234.5")
    wait_drawn_at(page, 1234.5, players=False)
    expect(page.get_by_test_id("match-clock")).to_have_text(football_clock(demo_match["periods"], 1234.5))
    assert abs(float(page.get_by_test_id("scrub").input_value()) - 1234.5) < 0.2, "the scrub bar is not at the time"

    # The physical table: sorted by distance, biggest first, as the API's numbers say.
    physical = client.get(f"/orgs/{org_id}/matches/{demo_match['id']}/physical", params={"by": "match"}).json()["rows"]
    minutes = {p["player_id"]: p["minutes_played"] or 0 for p in demo_match["players"]}
    shown = [r for r in physical if minutes[r["player_id"]] >= 1]
    top = max(shown, key=lambda r: r["distance_m"] or 0)
    rows = page.get_by_test_id("physical-row")
    expect(rows).to_have_count(len(shown))
    first_link = rows.first.get_by_test_id("player-link")
    name = next(p["name"] for p in demo_match["players"] if p["player_id"] == top["player_id"])
    expect(first_link).to_contain_text(name)
    page.get_by_test_id("sort-distance_m").click()  # flips to ascending
    expect(rows.first.get_by_test_id("player-link")).not_to_contain_text(name)

    # The player page of the player who ran furthest, and back to the match at one of his sprints.
    page.get_by_test_id("sort-distance_m").click()
    rows.first.get_by_test_id("player-link").click()
    expect(page.get_by_test_id("page-player")).to_have_attribute("data-player-id", top["player_id"])
    expect(page.get_by_test_id("player-by-period").locator("tbody tr")).to_have_count(len(demo_match["periods"]))
    expect(page.get_by_test_id("speed-chart")).to_be_visible()
    expect(page.get_by_test_id("heatmap")).to_be_visible()
    sprint = page.get_by_test_id("sprint-link").first
    expect(sprint).to_be_visible()
    sprint.click()
    expect(page).to_have_url(re.compile(r"\?t=\d+(\.\d)?&player="))
    t = float(re.search(r"t=([\d.]+)", page.url).group(1))
    wait_drawn_at(page, t, players=False)

    # On a phone the match page does not scroll sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(200)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the match page scrolls sideways on a phone ({width}px)"
    expect(page.get_by_test_id("play-toggle")).to_be_visible()


def test_import_panel_uploads_files_and_follows_the_job_to_the_new_match(page, live_server, api):
    """StatsBomb events and line-ups (small real files) through the import panel: one progress
    bar per file to 100 %, the job followed live, then a link to the match the API now lists."""
    from playwright.sync_api import expect

    from tests.conftest import SHARED_DATA

    client, org_id = api
    folder = SHARED_DATA / "football" / "events" / "statsbomb_15986"
    name = "StatsBomb 15986 (browser import)"
    login(page, live_server)
    page.goto(f"{live_server.url}/o/{org_id}/football")
    page.get_by_test_id("import-toggle").click()
    page.get_by_test_id("import-provider").select_option("statsbomb")
    page.get_by_test_id("import-file-event_data").set_input_files(str(folder / "statsbomb_15986_event.json"))
    page.get_by_test_id("import-file-lineup_data").set_input_files(str(folder / "statsbomb_15986_lineup.json"))
    page.get_by_test_id("import-name").fill(name)
    page.get_by_test_id("import-start").click()

    bars = page.get_by_test_id("import-upload-progress")
    expect(bars).to_have_count(2)
    for i in range(2):
        expect(bars.nth(i)).to_have_attribute("aria-valuenow", "100", timeout=60_000)
    link = page.get_by_test_id("import-open-match")
    expect(link).to_be_visible(timeout=120_000)
    items = client.get(f"/orgs/{org_id}/matches").json()["items"]
    match = next(m for m in items if m["name"] == name)
    link.click()
    expect(page).to_have_url(re.compile(rf"/football/matches/{match['id']}"))
