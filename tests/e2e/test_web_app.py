"""The web app in a real browser (Debian's chromium via Playwright) against a live server.

Needs the built web app (``cd web && npm ci && npm run build``) and the ``live_server`` fixture
from tests/conftest.py. Never runs ``playwright install``: it drives /usr/bin/chromium.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import TIMEOUT_MS, UUID

pytestmark = pytest.mark.browser


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context) -> Iterator:
    page = context.new_page()
    errors: list[str] = []  # uncaught exceptions in the page fail the test
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    assert not errors, f"uncaught errors in the page: {errors}"


def login(page, server, *, expect_path: str | None = None) -> str:
    """Log in through the form; returns the organisation id the app lands on."""
    from playwright.sync_api import expect

    if "/login" not in page.url:
        page.goto(server.url + "/login")
    page.get_by_test_id("login-email").fill(server.demo_email)
    page.get_by_test_id("login-password").fill(server.demo_password)
    page.get_by_test_id("login-submit").click()
    if expect_path is not None:
        expect(page).to_have_url(re.compile(re.escape(expect_path) + r"$"))
    else:
        expect(page).to_have_url(re.compile(rf"/o/{UUID}(/.*)?$"))
    return re.search(rf"/o/({UUID})", page.url).group(1)


def progress_value(locator) -> int:
    return int(locator.get_attribute("aria-valuenow") or "0")


# --- tests ------------------------------------------------------------------------------------------

def test_wrong_password_shows_the_error_message(page, live_server):
    from playwright.sync_api import expect

    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/login$"))  # no session: the app sends us to the login form
    page.get_by_test_id("login-email").fill(live_server.demo_email)
    page.get_by_test_id("login-password").fill("definitely-not-the-password")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/login")) as info:
        page.get_by_test_id("login-submit").click()
    assert info.value.status == 401
    message = info.value.json()["error"]["message"]
    alert = page.get_by_test_id("login-error")
    expect(alert).to_be_visible()
    expect(alert).to_have_text(message)  # the server's own message, as it said it
    expect(alert).to_have_attribute("role", "alert")
    expect(page).to_have_url(re.compile(r"/login$"))
    assert page.evaluate("localStorage.getItem('sideline.auth')") is None


def test_deep_links_work_before_and_after_login(page, context, live_server):
    from playwright.sync_api import expect

    org_id = login(page, live_server)
    # Log out through the user menu: the session is gone and the app is back at the login form.
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/login$"))

    # A deep link without a session: log in first, then land exactly there.
    deep = f"/o/{org_id}/jobs"
    page.goto(live_server.url + deep)
    expect(page).to_have_url(re.compile(r"/login$"))
    login(page, live_server, expect_path=deep)
    expect(page.get_by_test_id("page-jobs")).to_be_visible()
    expect(page.get_by_test_id("nav-jobs")).to_have_class(re.compile(r"\bactive\b"))

    # Loaded directly with a session (the server falls back to index.html for any app path).
    for path, testid in [(f"/o/{org_id}/uploads", "page-uploads"), (f"/o/{org_id}/api-keys", "page-api-keys"),
                         (f"/o/{org_id}/football", "page-football"), (f"/o/{org_id}", "page-dashboard")]:
        other = context.new_page()
        response = other.goto(live_server.url + path)
        assert response is not None and response.status == 200
        expect(other).to_have_url(re.compile(re.escape(path) + r"$"))
        expect(other.get_by_test_id(testid)).to_be_visible()
        expect(other.get_by_test_id("org-switcher")).to_have_value(org_id)
        other.close()

    # An unknown path inside the app shows the app's own not-found page, still logged in.
    page.goto(live_server.url + f"/o/{org_id}/no-such-page")
    expect(page.get_by_test_id("not-found")).to_be_visible()


def test_upload_then_live_job_then_api_key(page, live_server):
    from playwright.sync_api import expect

    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(
        payload if isinstance(payload, str) else payload.decode(errors="replace"))))
    org_id = login(page, live_server)

    # --- Uploads: ~3 MB in chunks, a visible progress bar that reaches 100, then the file is listed.
    page.get_by_test_id("nav-uploads").click()
    expect(page).to_have_url(re.compile(rf"/o/{org_id}/uploads$"))
    data = bytes((i * 7 + i // 1024) % 256 for i in range(3 * 1024 * 1024 + 123))
    name = f"e2e-{int(time.time() * 1000)}.csv"
    page.get_by_test_id("upload-input").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    item = page.get_by_test_id("upload-item").filter(has_text=name)
    bar = item.get_by_test_id("upload-progress")
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=60_000)
    expect(item).to_have_attribute("data-status", "done")
    row = page.get_by_test_id("file-row").filter(has_text=name)
    expect(row).to_be_visible()
    expect(row.get_by_test_id("file-sha")).to_have_text(hashlib.sha256(data).hexdigest()[:12])
    expect(row).to_contain_text("3.0 MB")

    # --- Jobs: a demo job's progress updates live over the WebSocket, without a reload.
    page.get_by_test_id("nav-jobs").click()
    expect(page.get_by_test_id("page-jobs")).to_be_visible()
    page.evaluate("window.__e2eNoReload = 42")
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-status", "live")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(f"/orgs/{org_id}/jobs")) as info:
        page.get_by_test_id("start-demo-job").click()
    assert info.value.status == 202, info.value.text()
    job_id = info.value.json()["id"]
    job_row = page.locator(f'[data-testid="job-row"][data-job-id="{job_id}"]')
    expect(job_row).to_be_visible()
    progress = job_row.get_by_test_id("job-progress")
    state = job_row.get_by_test_id("job-state")

    seen: list[int] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        seen.append(progress_value(progress))
        if state.inner_text().strip().lower() == "succeeded":
            break
        page.wait_for_timeout(50)
    assert state.inner_text().strip().lower() == "succeeded", f"job did not finish; progress seen: {seen}"
    assert progress_value(progress) == 100
    expect(job_row.get_by_test_id("job-percent")).to_have_text("100%")
    assert seen == sorted(seen), f"progress went backwards: {seen}"
    intermediate = {v for v in seen if 0 < v < 100}
    assert len(intermediate) >= 2, f"progress did not visibly increase step by step: {seen}"
    assert page.evaluate("window.__e2eNoReload") == 42, "the page was reloaded"
    # The updates came over the WebSocket (not from polling).
    events = [json.loads(f) for f in frames if '"event"' in f]
    job_events = [e for e in events if e.get("type") == "event" and (e.get("data") or {}).get("id") == job_id]
    assert job_events, f"no live events for the job; frames: {frames[:5]}"
    assert any(e["data"]["state"] == "succeeded" for e in job_events)

    # --- API keys: the secret is shown once; revoking shows "revoked".
    page.get_by_test_id("nav-api-keys").click()
    expect(page.get_by_test_id("page-api-keys")).to_be_visible()
    key_name = f"e2e key {job_id[:8]}"
    page.get_by_test_id("apikey-name").fill(key_name)
    page.get_by_test_id("apikey-scope-read").check()
    page.get_by_test_id("apikey-expiry").fill("30")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/api-keys")) as info:
        page.get_by_test_id("apikey-create").click()
    assert info.value.status == 201, info.value.text()
    secret_el = page.get_by_test_id("apikey-secret")
    expect(secret_el).to_be_visible()
    secret = secret_el.inner_text().strip()
    assert secret.startswith("sk_")
    assert secret == info.value.json()["key"]
    expect(page.get_by_test_id("apikey-secret-warning")).to_be_visible()
    expect(page.get_by_test_id("apikey-copy")).to_be_visible()
    key_row = page.get_by_test_id("apikey-row").filter(has_text=key_name)
    expect(key_row).to_be_visible()
    expect(key_row.get_by_test_id("apikey-status")).to_have_text("active")

    page.get_by_test_id("apikey-secret-dismiss").click()
    expect(page.get_by_test_id("apikey-secret")).to_have_count(0)
    assert secret not in page.content()
    page.reload()  # shown once: not after a reload either
    expect(key_row).to_be_visible()
    assert secret not in page.content()

    key_row.get_by_test_id("apikey-revoke").click()
    with page.expect_response(lambda r: r.request.method == "DELETE" and "/api-keys/" in r.url) as info:
        key_row.get_by_test_id("apikey-revoke-confirm").click()
    assert info.value.ok, info.value.text()
    expect(key_row.get_by_test_id("apikey-status")).to_have_text("revoked")
    expect(key_row.get_by_test_id("apikey-revoke")).to_have_count(0)
    page.reload()
    expect(page.get_by_test_id("apikey-row").filter(has_text=key_name).get_by_test_id("apikey-status")).to_have_text("revoked")


def test_theme_toggle_persists_and_phone_layout_collapses_the_nav(page, live_server):
    from playwright.sync_api import expect

    page.emulate_media(color_scheme="dark")
    login(page, live_server)
    html = page.locator("html")
    expect(html).to_have_attribute("data-theme", "dark")  # follows the system before a choice
    page.get_by_test_id("theme-toggle").click()
    expect(html).to_have_attribute("data-theme", "light")
    page.reload()
    expect(html).to_have_attribute("data-theme", "light")  # the choice is remembered
    page.get_by_test_id("theme-toggle").click()
    expect(html).to_have_attribute("data-theme", "dark")

    nav_jobs = page.get_by_test_id("nav-jobs")
    expect(nav_jobs).to_be_visible()
    expect(page.get_by_test_id("nav-toggle")).to_be_hidden()
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_test_id("nav-toggle")).to_be_visible()
    expect(nav_jobs).to_be_hidden()  # the side navigation collapses into a menu
    page.get_by_test_id("nav-toggle").click()
    expect(nav_jobs).to_be_visible()
    expect(nav_jobs).to_be_in_viewport()
    nav_jobs.click()
    expect(page.get_by_test_id("page-jobs")).to_be_visible()
    expect(nav_jobs).to_be_hidden()  # the menu closes after navigating
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
