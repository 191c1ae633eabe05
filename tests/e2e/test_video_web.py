"""The video section in a real browser: upload a short clip on the video page, follow its analysis,
see the tracks, the annotated video with the live overlay, and after a calibration the
reliability strip under the player.

The clip is the first 2 s of the fixed-camera vtest.avi sample (8 pedestrians), re-encoded here
to H.264 so that Chromium can play the original too; NanoDet keeps the analysis to seconds.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.e2e.conftest import TIMEOUT_MS, UUID
from tests.video._data import shared_data, shared_models

pytestmark = pytest.mark.browser
FRAMES = 20  # 2 s at 10 fps


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory):
    import av

    from sideline.vision.decode import iter_frames

    shared_models()  # the server finds the detector through SIDELINE_MODEL_DIR; skip clearly without it
    out = tmp_path_factory.mktemp("clip") / "training.mp4"
    with av.open(str(out), mode="w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 768, 576, "yuv420p"
        for index, _t, image in iter_frames(shared_data() / "video" / "vtest.avi"):
            if index >= FRAMES:
                break
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def overlay_ink(page) -> int:
    """Painted pixels of the overlay canvas (what the page draws over the video)."""
    return page.evaluate("""() => { const c = document.querySelector('[data-testid=video-overlay]');
        if (!c || !c.width) return 0; const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""")


def test_upload_analyse_tracks_overlay_and_reliability(page, live_server, short_clip):
    import httpx
    from playwright.sync_api import expect

    page.goto(live_server.url + "/login")
    page.get_by_test_id("login-email").fill(live_server.demo_email)
    page.get_by_test_id("login-password").fill(live_server.demo_password)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(re.compile(rf"/o/{UUID}(/.*)?$"))
    org_id = re.search(rf"/o/({UUID})", page.url).group(1)

    # Upload on the library page and start the analysis.
    page.goto(f"{live_server.url}/o/{org_id}/video")
    page.get_by_role("button", name="Upload a video").click()
    page.get_by_test_id("video-file").set_input_files(str(short_clip))
    page.get_by_test_id("video-detector").select_option("nanodet")
    page.get_by_test_id("video-start").click()
    page.get_by_test_id("video-open").click()
    expect(page).to_have_url(re.compile(rf"/o/{org_id}/video/{UUID}$"))
    video_id = page.url.rsplit("/", 1)[1]

    # Every stage runs; without a calibration the video waits for one (projection skipped).
    expect(page.get_by_test_id("video-status")).to_have_text("needs calibration", timeout=180_000)
    for stage in ("probe", "detect", "track", "identify", "camera", "render"):
        expect(page.locator(f"[data-testid=video-stage][data-stage={stage}]")).to_have_attribute("data-status", "done")

    # The track list, checked against the API's tracks.
    client = httpx.Client(base_url=live_server.url + "/api/v1", timeout=60)
    token = client.post("/auth/login", json={"email": live_server.demo_email,
                                             "password": live_server.demo_password}).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    tracks = client.get(f"/orgs/{org_id}/videos/{video_id}/tracks").json()
    assert len(tracks) >= 2
    rows = page.get_by_test_id("track-row")
    expect(rows).to_have_count(len(tracks))
    shown = sorted(int(rows.nth(i).get_attribute("data-track-id")) for i in range(len(tracks)))
    assert shown == sorted(t["track_id"] for t in tracks)

    # The annotated video plays in the page; the overlay draws the tracked boxes over it.
    video = page.get_by_test_id("video-element")
    page.wait_for_function("() => { const v = document.querySelector('[data-testid=video-element]');"
                           " return v && v.readyState >= 2 && v.videoWidth === 768; }", timeout=30_000)
    assert overlay_ink(page) == 0
    page.get_by_test_id("overlay-boxes").check()
    video.evaluate("v => { v.currentTime = 1.0; }")
    page.wait_for_function("() => { const c = document.querySelector('[data-testid=video-overlay]');"
                           " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                           " for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true; return false; }")
    assert overlay_ink(page) > 100

    # A calibration (through the API, as the calibration tool sends it): the fixed camera is
    # recognised and the strip under the player says every frame is reliable.
    body = {"frame": 0, "image_points": [[100, 560], [700, 560], [620, 150], [160, 150]],
            "pitch_points": [[-20, -15], [20, -15], [20, 15], [-20, 15]]}
    r = client.put(f"/orgs/{org_id}/videos/{video_id}/calibration", json=body)
    assert r.status_code == 202, r.text
    page.reload()
    expect(page.get_by_test_id("video-status")).to_have_text("ready", timeout=120_000)
    strip = page.get_by_test_id("reliability")
    expect(strip).to_contain_text("Fixed camera")
    expect(strip).to_contain_text("100 % of frames reliable")
    expect(page.get_by_test_id("keyframe-mark")).to_have_count(1)
    expect(page.get_by_test_id("unreliable-span")).to_have_count(0)
    summary = client.get(f"/orgs/{org_id}/videos/{video_id}").json()["calibration"]["summary"]
    assert summary["reliable_frames"] == FRAMES and np.isclose(summary["frames"], FRAMES)
    client.close()
