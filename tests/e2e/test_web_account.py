"""Account and organisation pages in a real browser: invitations, members and roles, password
reset and change, athletes, and the organisation export.

Shares the session-scoped ``live_server`` (demo owner) with test_web_app.py, so it logs the demo
owner in once for the whole module (the login rate limit is per IP and email) and never changes
the owner's password or role. New people join through invitations; the links come from the
server log, where the log mailer writes each mail.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import wait_for
from tests.e2e.conftest import TIMEOUT_MS, UUID

pytestmark = pytest.mark.browser
VIEWPORT = {"width": 1280, "height": 900}


class Pages:
    """New browser contexts (each its own localStorage: its own session), closed after the test.
    Uncaught exceptions in any of their pages fail the test."""

    def __init__(self, browser):
        self.browser = browser
        self.contexts: list = []
        self.errors: list[str] = []

    def new(self, storage_state=None):
        context = self.browser.new_context(viewport=VIEWPORT, accept_downloads=True, storage_state=storage_state)
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        return page

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser) -> Iterator[Pages]:
    p = Pages(browser)
    yield p
    p.close()
    assert not p.errors, f"uncaught errors in the page: {p.errors}"


@pytest.fixture(scope="module")
def owner(browser, live_server) -> dict:
    """The demo owner's session (logged in once through the form) and organisation id."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(live_server.url + "/login")
    page.get_by_test_id("login-email").fill(live_server.demo_email)
    page.get_by_test_id("login-password").fill(live_server.demo_password)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(re.compile(rf"/o/{UUID}$"))
    org_id = re.search(rf"/o/({UUID})", page.url).group(1)
    state = context.storage_state()
    context.close()
    return {"state": state, "org_id": org_id}


def owner_page(pages: Pages, owner: dict, server, path: str):
    page = pages.new(storage_state=owner["state"])
    page.goto(server.url + path)
    return page


# --- the mails, as the log mailer wrote them into the server log ---------------------------------

def mail_links(server, email: str, kind: str) -> list[str]:
    """The app paths (``/invite/<token>`` or ``/reset-password/<token>``) mailed to ``email``, oldest first."""
    text = (server.home / "server.log").read_text(errors="replace")
    links = []
    for match in re.finditer(rf"mail to {re.escape(email)}: ", text):
        found = re.search(rf"https?://[^\s/]+(/{kind}/[A-Za-z0-9_\-]+)", text[match.end():match.end() + 2000])
        if found:
            links.append(found.group(1))
    return links


def wait_for_mail_link(server, email: str, kind: str, *, after: int = 0) -> str:
    """The newest link of ``kind`` mailed to ``email`` once more than ``after`` such mails exist."""
    def newest() -> str | None:
        links = mail_links(server, email, kind)
        return links[-1] if len(links) > after else None

    return wait_for(newest, timeout=15, interval=0.2, message=f"a {kind} mail to {email} in the server log")


def fresh_email() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}@example.org"


# --- tests ----------------------------------------------------------------------------------------

def test_forgot_password_answers_the_same_for_unknown_emails(pages, live_server):
    from playwright.sync_api import expect

    page = pages.new()
    page.goto(live_server.url + "/login")
    page.get_by_test_id("login-email").fill("nobody-here@example.org")
    page.get_by_test_id("forgot-password-link").click()
    expect(page).to_have_url(re.compile(r"/forgot-password$"))
    expect(page.get_by_test_id("reset-email")).to_have_value("nobody-here@example.org")  # carried over
    with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/password-reset")) as info:
        page.get_by_test_id("reset-submit").click()
    assert info.value.status == 202
    expect(page.get_by_test_id("reset-sent")).to_contain_text("If an account exists")
    # A link that was never issued: the server's own message, and a way to ask for a new one.
    page.goto(live_server.url + "/reset-password/not-a-real-token")
    page.get_by_test_id("reset-new-password").fill("something long")
    page.get_by_test_id("reset-repeat-password").fill("something else")
    page.get_by_test_id("reset-confirm").click()
    expect(page.get_by_test_id("reset-error")).to_have_text("The two passwords do not match.")  # checked before sending
    page.get_by_test_id("reset-repeat-password").fill("something long")
    with page.expect_response(lambda r: r.url.endswith("/password-reset/confirm")) as info:
        page.get_by_test_id("reset-confirm").click()
    assert info.value.status == 400
    expect(page.get_by_test_id("reset-error")).to_have_text(info.value.json()["error"]["message"])
    expect(page.get_by_test_id("reset-request-again")).to_be_visible()
    assert page.evaluate("localStorage.getItem('sideline.auth')") is None


def test_invite_join_role_change_password_reset_and_change(pages, owner, live_server):
    from playwright.sync_api import expect

    org_id = owner["org_id"]
    email = fresh_email()
    first_password, reset_password, changed_password = "first pass 123", "reset pass 456", "changed pass 789"

    # --- The owner invites a new email as analyst; the invitation is listed as pending.
    boss = owner_page(pages, owner, live_server, f"/o/{org_id}")
    boss.get_by_test_id("nav-members").click()
    expect(boss).to_have_url(re.compile(rf"/o/{org_id}/members$"))
    expect(boss.get_by_test_id("nav-members")).to_have_class(re.compile(r"\bactive\b"))
    boss.get_by_test_id("invite-email").fill(email)
    boss.get_by_test_id("invite-role").select_option("analyst")
    with boss.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/invitations")) as info:
        boss.get_by_test_id("invite-submit").click()
    assert info.value.status == 201, info.value.text()
    invitation_row = boss.get_by_test_id("invitation-row").filter(has_text=email)
    expect(invitation_row).to_be_visible()
    expect(invitation_row).to_contain_text("analyst")

    # --- They open the mailed link in their own browser, create the account and land in the org.
    link = wait_for_mail_link(live_server, email, "invite")
    newbie = pages.new()
    newbie.goto(live_server.url + link)
    expect(newbie.get_by_test_id("invite-have-account")).to_be_visible()
    # The page names the organisation and role before anyone accepts.
    expect(newbie.get_by_test_id("page-invite")).to_contain_text("Join Demo Club")
    expect(newbie.get_by_test_id("page-invite")).to_contain_text("invited as analyst")
    newbie.get_by_test_id("invite-name").fill("Erin Example")
    newbie.get_by_test_id("invite-password").fill(first_password)
    with newbie.expect_response(lambda r: r.url.endswith("/api/v1/invitations/accept")) as info:
        newbie.get_by_test_id("invite-accept").click()
    assert info.value.status == 200, info.value.text()
    expect(newbie).to_have_url(re.compile(rf"/o/{org_id}$"))
    expect(newbie.get_by_test_id("page-dashboard")).to_contain_text("your role: analyst")
    expect(newbie.get_by_test_id("page-dashboard")).to_contain_text("Welcome, Erin Example")

    # As an analyst they see the members (read-only) but cannot invite or export.
    newbie.get_by_test_id("nav-members").click()
    me_row = newbie.get_by_test_id("member-row").filter(has_text=email)
    expect(me_row.get_by_test_id("member-role")).to_have_text("analyst")
    expect(newbie.get_by_test_id("invitation-form")).to_have_count(0)
    expect(newbie.get_by_test_id("export-section")).to_have_count(0)
    expect(newbie.get_by_test_id("member-remove")).to_have_count(0)

    # --- The owner sees them as a member (the invitation is no longer pending) and makes them a viewer.
    boss.reload()
    member_row = boss.get_by_test_id("member-row").filter(has_text=email)
    expect(member_row.get_by_test_id("member-role")).to_have_value("analyst")
    expect(boss.get_by_test_id("invitation-row").filter(has_text=email)).to_have_count(0)
    with boss.expect_response(lambda r: r.request.method == "PATCH" and "/members/" in r.url) as info:
        member_row.get_by_test_id("member-role").select_option("viewer")
    assert info.value.status == 200, info.value.text()
    expect(member_row).to_have_attribute("data-role", "viewer")
    newbie.goto(live_server.url + f"/o/{org_id}")
    expect(newbie.get_by_test_id("page-dashboard")).to_contain_text("your role: viewer")
    newbie.get_by_test_id("nav-athletes").click()
    expect(newbie.get_by_test_id("page-athletes")).to_be_visible()
    expect(newbie.get_by_test_id("athlete-create")).to_have_count(0)  # viewers cannot add athletes

    # --- Forgotten password: request a link after logging out, set a new password through it.
    newbie.get_by_test_id("user-menu").click()
    newbie.get_by_test_id("logout").click()
    expect(newbie).to_have_url(re.compile(r"/login$"))
    newbie.get_by_test_id("forgot-password-link").click()
    newbie.get_by_test_id("reset-email").fill(email)
    newbie.get_by_test_id("reset-submit").click()
    expect(newbie.get_by_test_id("reset-sent")).to_contain_text("If an account exists")
    reset_link = wait_for_mail_link(live_server, email, "reset-password")
    newbie.goto(live_server.url + reset_link)
    newbie.get_by_test_id("reset-new-password").fill(reset_password)
    newbie.get_by_test_id("reset-repeat-password").fill(reset_password)
    with newbie.expect_response(lambda r: r.url.endswith("/password-reset/confirm")) as info:
        newbie.get_by_test_id("reset-confirm").click()
    assert info.value.status == 200, info.value.text()
    expect(newbie).to_have_url(re.compile(rf"/o/{org_id}$"))  # logged in with the returned tokens
    expect(newbie.get_by_test_id("page-dashboard")).to_be_visible()

    # The reset link is used up: the server says so.
    used = pages.new()
    used.goto(live_server.url + reset_link)
    used.get_by_test_id("reset-new-password").fill("another pass 000")
    used.get_by_test_id("reset-repeat-password").fill("another pass 000")
    used.get_by_test_id("reset-confirm").click()
    expect(used.get_by_test_id("reset-error")).to_contain_text("already been used")

    # Logged out, the used invitation link says so at once (its preview answers 410): nothing to submit.
    newbie.get_by_test_id("user-menu").click()
    newbie.get_by_test_id("logout").click()
    expect(newbie).to_have_url(re.compile(r"/login$"))
    newbie.goto(live_server.url + link)
    expect(newbie.get_by_test_id("invite-error")).to_contain_text("already been accepted")
    expect(newbie.get_by_test_id("invite-form")).to_have_count(0)
    # Only the new password logs in.
    newbie.goto(live_server.url + "/login")
    newbie.get_by_test_id("login-email").fill(email)
    newbie.get_by_test_id("login-password").fill(first_password)
    newbie.get_by_test_id("login-submit").click()
    expect(newbie.get_by_test_id("login-error")).to_be_visible()
    newbie.get_by_test_id("login-password").fill(reset_password)
    newbie.get_by_test_id("login-submit").click()
    expect(newbie).to_have_url(re.compile(r"/o/"))

    # --- Account settings: change the password; a wrong current one shows the server's message.
    newbie.goto(live_server.url + f"/o/{org_id}")
    newbie.get_by_test_id("user-menu").click()
    newbie.get_by_test_id("account-link").click()
    expect(newbie).to_have_url(re.compile(r"/account$"))
    expect(newbie.get_by_test_id("account-email")).to_have_text(email)
    newbie.get_by_test_id("password-current").fill("not my password")
    newbie.get_by_test_id("password-new").fill(changed_password)
    newbie.get_by_test_id("password-repeat").fill(changed_password)
    with newbie.expect_response(lambda r: r.url.endswith("/api/v1/me/password")) as info:
        newbie.get_by_test_id("password-submit").click()
    assert info.value.status == 400
    expect(newbie.get_by_test_id("password-error").locator(".alert-body")).to_have_text(info.value.json()["error"]["message"])
    newbie.get_by_test_id("password-current").fill(reset_password)
    with newbie.expect_response(lambda r: r.url.endswith("/api/v1/me/password")) as info:
        newbie.get_by_test_id("password-submit").click()
    assert info.value.status == 200, info.value.text()
    expect(newbie.get_by_test_id("password-success")).to_be_visible()
    expect(newbie.get_by_test_id("password-current")).to_have_value("")
    newbie.reload()  # still logged in: the new tokens were stored
    expect(newbie.get_by_test_id("page-account")).to_be_visible()

    # --- The owner removes them again (after a confirmation).
    boss.reload()
    member_row = boss.get_by_test_id("member-row").filter(has_text=email)
    member_row.get_by_test_id("member-remove").click()
    with boss.expect_response(lambda r: r.request.method == "DELETE" and "/members/" in r.url) as info:
        member_row.get_by_test_id("member-remove-confirm").click()
    assert info.value.status == 200, info.value.text()
    expect(boss.get_by_test_id("member-row").filter(has_text=email)).to_have_count(0)


def test_withdrawn_invitation_and_the_last_owner(pages, owner, live_server):
    from playwright.sync_api import expect

    org_id = owner["org_id"]
    email = fresh_email()
    boss = owner_page(pages, owner, live_server, f"/o/{org_id}/members")
    boss.get_by_test_id("invite-email").fill(email)
    boss.get_by_test_id("invite-role").select_option("coach")
    boss.get_by_test_id("invite-submit").click()
    row = boss.get_by_test_id("invitation-row").filter(has_text=email)
    expect(row).to_be_visible()
    link = wait_for_mail_link(live_server, email, "invite")
    with boss.expect_response(lambda r: r.request.method == "DELETE" and "/invitations/" in r.url) as info:
        row.get_by_test_id("invitation-withdraw").click()
    assert info.value.status == 200, info.value.text()
    expect(row).to_have_count(0)

    guest = pages.new()
    with guest.expect_response(lambda r: r.url.endswith("/api/v1/invitations/preview")) as info:
        guest.goto(live_server.url + link)
    assert info.value.status == 410
    expect(guest.get_by_test_id("invite-error")).to_have_text(info.value.json()["error"]["message"])
    expect(guest.get_by_test_id("invite-error")).to_contain_text("withdrawn")
    expect(guest.get_by_test_id("invite-form")).to_have_count(0)  # nothing left to try

    # The demo owner is the only owner: demoting them is refused (409) and nothing changes.
    owners = boss.locator('[data-testid="member-row"][data-role="owner"]')
    expect(owners).to_have_count(1)
    me = boss.get_by_test_id("member-row").filter(has_text=live_server.demo_email)
    with boss.expect_response(lambda r: r.request.method == "PATCH" and "/members/" in r.url) as info:
        me.get_by_test_id("member-role").select_option("viewer")
    assert info.value.status == 409
    expect(boss.get_by_test_id("members-error").locator(".alert-body")).to_have_text(info.value.json()["error"]["message"])
    expect(boss.get_by_test_id("members-error")).to_contain_text("last owner")
    expect(me.get_by_test_id("member-role")).to_have_value("owner")
    expect(me).to_have_attribute("data-role", "owner")


def test_athletes_create_search_edit_and_erase(pages, owner, live_server):
    from playwright.sync_api import expect

    org_id = owner["org_id"]
    tag = uuid.uuid4().hex[:6]
    name, other = f"Zola {tag}", f"Ines {tag}"
    page = owner_page(pages, owner, live_server, f"/o/{org_id}")
    page.get_by_test_id("nav-athletes").click()
    expect(page).to_have_url(re.compile(rf"/o/{org_id}/athletes$"))

    for athlete, sport, position in [(name, "football", "striker"), (other, "tennis", "")]:
        page.get_by_test_id("athlete-name").fill(athlete)
        page.get_by_test_id("athlete-sport").fill(sport)
        page.get_by_test_id("athlete-position").fill(position)
        page.get_by_test_id("athlete-birth-date").fill("2001-05-17")
        with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/athletes")) as info:
            page.get_by_test_id("athlete-create").click()
        assert info.value.status == 201, info.value.text()
        expect(page.get_by_test_id("athlete-row").filter(has_text=athlete)).to_be_visible()
    expect(page.get_by_test_id("athlete-name")).to_have_value("")  # the form is ready for the next one
    row = page.get_by_test_id("athlete-row").filter(has_text=name)
    expect(row).to_contain_text("football")
    expect(row).to_contain_text("2001")

    # Search by part of the name: the URL carries it (?q=), so a reload keeps the result.
    page.get_by_test_id("athlete-search").fill(f"zola {tag}")
    expect(page).to_have_url(re.compile(rf"/athletes\?q=zola\+{tag}$"))
    expect(page.get_by_test_id("athlete-row")).to_have_count(1)
    expect(row).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("athlete-search")).to_have_value(f"zola {tag}")
    expect(page.get_by_test_id("athlete-row")).to_have_count(1)
    expect(row).to_be_visible()

    # Edit.
    row.get_by_test_id("athlete-edit").click()
    expect(page.get_by_test_id("athlete-name")).to_have_value(name)
    page.get_by_test_id("athlete-position").fill("left wing")
    with page.expect_response(lambda r: r.request.method == "PATCH" and "/athletes/" in r.url) as info:
        page.get_by_test_id("athlete-save").click()
    assert info.value.status == 200, info.value.text()
    expect(row).to_contain_text("left wing")

    # Erase: the confirmation explains what goes, and wants the name typed.
    row.get_by_test_id("athlete-delete").click()
    dialog = page.get_by_test_id("athlete-delete-dialog")
    expect(dialog).to_contain_text("permanently erases")
    expect(dialog).to_contain_text("cannot be undone")
    confirm = page.get_by_test_id("athlete-delete-confirm")
    expect(confirm).to_be_disabled()
    page.get_by_test_id("athlete-delete-confirm-name").fill(name[:-1])
    expect(confirm).to_be_disabled()
    page.get_by_test_id("athlete-delete-confirm-name").fill(name)
    with page.expect_response(lambda r: r.request.method == "DELETE" and "/athletes/" in r.url) as info:
        confirm.click()
    assert info.value.status == 200, info.value.text()
    expect(page.get_by_test_id("athletes-notice")).to_contain_text("erased")
    expect(dialog).to_have_count(0)
    expect(page.get_by_test_id("athletes-empty")).to_be_visible()

    # The other one is still there; erase it too, leaving the demo organisation as it was.
    page.get_by_test_id("athlete-search").fill(other)
    other_row = page.get_by_test_id("athlete-row").filter(has_text=other)
    expect(other_row).to_be_visible()
    other_row.get_by_test_id("athlete-delete").click()
    page.get_by_test_id("athlete-delete-confirm-name").fill(other)
    page.get_by_test_id("athlete-delete-confirm").click()
    expect(page.get_by_test_id("athletes-empty")).to_be_visible()


def test_export_runs_live_and_downloads(pages, owner, live_server):
    from playwright.sync_api import expect

    org_id = owner["org_id"]
    page = owner_page(pages, owner, live_server, f"/o/{org_id}/members")
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(
        payload if isinstance(payload, str) else payload.decode(errors="replace"))))
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-status", "live")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/export")) as info:
        page.get_by_test_id("export-start").click()
    assert info.value.status == 202, info.value.text()
    job_id = info.value.json()["id"]
    job = page.locator(f'[data-testid="export-job"][data-job-id="{job_id}"]')
    expect(job).to_have_attribute("data-state", "succeeded", timeout=60_000)
    expect(page.get_by_test_id("export-progress")).to_have_attribute("aria-valuenow", "100")
    assert any(job_id in f for f in frames), "the export's progress did not come over the WebSocket"

    with page.expect_download() as download_info:
        page.get_by_test_id("export-download").click()
    download = download_info.value
    assert re.fullmatch(r"sideline-export-.+\.zip", download.suggested_filename), download.suggested_filename
    data = Path(download.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert archive.namelist()

    # Still offered after leaving and coming back.
    page.reload()
    expect(page.locator(f'[data-testid="export-job"][data-job-id="{job_id}"]')).to_have_attribute("data-state", "succeeded")
    expect(page.get_by_test_id("export-download")).to_be_visible()
