"""The swing section in a real browser: upload the GolfDB clip on the swing page, follow the job,
open the swing, see the eight events and the annotated video with the skeleton drawn on it.

The overlay check reads the shown frame back through a canvas at the impact event and compares it
with the uploaded clip's own frame, decoded here: the skeleton (sideline.vision.swing_render LEFT /
RIGHT colours), the readouts and the yellow event banner must be drawn on top of it.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.e2e.conftest import TIMEOUT_MS, UUID
from tests.swing.conftest import models_folder, require, shared_data

pytestmark = pytest.mark.browser

ANALYSIS_BUDGET_MS = 240_000  # BlazePose full + render of 264 frames on 2 shared cores (~20 s quiet)
EIGHT_EVENTS = ["Address", "Toe-up", "Mid-backswing", "Top", "Mid-downswing", "Impact", "Mid-follow-through", "Finish"]

# The frame the video element shows, as a PNG data URL (read back through a canvas).
FRAME_PNG_JS = """(video) => {
  const c = document.createElement('canvas'); c.width = video.videoWidth; c.height = video.videoHeight;
  c.getContext('2d').drawImage(video, 0, 0);
  return c.toDataURL('image/png');
}"""


def png_pixels(data_url: str) -> np.ndarray:
    import base64
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))).convert("RGB"))


def overlay_pixels(shown: np.ndarray, original: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the pixels the overlay changed (far beyond H.264 noise) and of those in its colours."""
    h, w = shown.shape[:2]
    changed = np.abs(shown.astype(int) - original[:h, :w].astype(int)).max(axis=2) > 90
    r, g, b = (shown[..., k].astype(int) for k in range(3))
    orange_or_cyan = ((r > 200) & (g > 120) & (g < 215) & (b < 110)) | ((r < 130) & (g > 160) & (b > 200))
    yellow = (r > 220) & (g > 190) & (b < 80)
    return changed, changed & (orange_or_cyan | yellow)


def test_upload_a_golf_swing_and_see_events_and_overlay(browser, live_server):
    from playwright.sync_api import expect

    from sideline.vision.decode import iter_frames

    clip = require(shared_data() / "video" / "golfdb_test_video.mp4")
    require(models_folder() / "pose_landmark_full.tflite")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(live_server.url + "/login")
        page.get_by_test_id("login-email").fill(live_server.demo_email)
        page.get_by_test_id("login-password").fill(live_server.demo_password)
        page.get_by_test_id("login-submit").click()
        expect(page).to_have_url(re.compile(rf"/o/{UUID}(/.*)?$"))

        page.get_by_test_id("nav-swing").click()
        page.get_by_test_id("swing-upload-toggle").click()
        page.get_by_test_id("swing-file").set_input_files(str(clip))
        page.get_by_test_id("swing-analyse").click()
        opened = page.get_by_test_id("swing-open")
        expect(opened).to_be_visible(timeout=ANALYSIS_BUDGET_MS)
        opened.click()
        expect(page.get_by_test_id("page-swing-detail")).to_be_visible()

        events = page.get_by_test_id("swing-event")
        expect(events).to_have_count(8)
        assert [text.split(" · ")[0] for text in events.all_inner_texts()] == EIGHT_EVENTS
        expect(page.get_by_test_id("swing-tempo")).to_contain_text(":1")

        video = page.get_by_test_id("swing-video")
        expect(video).to_be_visible()
        page.wait_for_function("v => v.readyState >= 2 && v.videoWidth > 0", arg=video.element_handle())
        events.filter(has_text="Impact").click()  # seeks to the impact frame, where the banner shows
        page.wait_for_function("v => !v.seeking && v.readyState >= 2 && v.currentTime > 0", arg=video.element_handle())
        shown = png_pixels(video.evaluate(FRAME_PNG_JS))
        impact_time = page.evaluate("() => document.querySelector('[data-testid=swing-video]').currentTime")
    finally:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"

    # Against the uploaded clip's frames around that time: the skeleton, the readouts and the yellow
    # IMPACT banner are drawn on top (compare with the nearest of three frames, in case of a seek
    # landing one frame off).
    frame = round(impact_time * 30 - 0.5)
    originals = [image for index, _, image in iter_frames(clip) if abs(index - frame) <= 1]
    assert shown.shape[:2] == (originals[0].shape[0] - originals[0].shape[0] % 2, originals[0].shape[1] - originals[0].shape[1] % 2)
    counts = []
    for original in originals:
        changed, coloured = overlay_pixels(shown, original)
        counts.append((int(changed.sum()), int(coloured.sum())))
    changed_count, coloured_count = min(counts)
    assert changed_count > 1500 and coloured_count > 500, counts
    # The picture underneath is the uploaded clip's (most of the frame unchanged), not some other video.
    assert changed_count < 0.1 * shown.shape[0] * shown.shape[1], counts
