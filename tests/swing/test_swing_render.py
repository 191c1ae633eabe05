"""The annotated swing video drawn on frames the pose stage kept is the video drawn on a fresh decode."""

from __future__ import annotations

import numpy as np
import pytest

from sideline.errors import InvalidInput
from sideline.vision.decode import FrameStore, iter_frames
from sideline.vision.mp4_writer import Mp4Writer
from sideline.vision.swing_render import CENTRE, render_swing
from tests.swing.synthetic import make_pose, standing_body

SIZE = (160, 200)  # width, height


def textured_clip(path, n: int = 24):
    """A clip whose frames all differ (a moving gradient), so a wrong or reordered frame would show."""
    width, height = SIZE
    x = np.arange(width)[None, :, None]
    y = np.arange(height)[:, None, None]
    with Mp4Writer(path, width, height, 30) as writer:
        for i in range(n):
            writer.write(((x * 3 + y + 9 * i + np.array([0, 60, 120])) % 256).astype(np.uint8))
    return path


def decoded(path) -> np.ndarray:
    return np.stack([image for _, _, image in iter_frames(path)])


@pytest.fixture
def clip_and_pose(tmp_path):
    clip = textured_clip(tmp_path / "clip.mp4")
    times = np.array([t for _, t, _ in iter_frames(clip)])
    body = {name: xy * 0.2 for name, xy in standing_body().items()}  # the 1000 px body into 200 px
    body["left_elbow"] = np.array([130.0, 80.0])
    return clip, make_pose(body, times, frame_size=SIZE)


def drawn_pictures(monkeypatch) -> list[list[np.ndarray]]:
    """The pictures each render hands its encoder (x264 with threads is not bit-reproducible, so
    two renders are compared before encoding)."""
    from sideline.vision import swing_render

    renders: list[list[np.ndarray]] = []

    class Recording(Mp4Writer):
        def __enter__(self):
            renders.append([])
            return super().__enter__()

        def write(self, rgb=None):
            renders[-1].append(np.array(self.canvas if rgb is None else rgb))
            super().write(rgb)

    monkeypatch.setattr(swing_render, "Mp4Writer", Recording)
    return renders


def test_kept_frames_give_the_same_video_as_decoding_again(tmp_path, clip_and_pose, monkeypatch):
    clip, pose = clip_and_pose
    kept = FrameStore()
    for frame in iter_frames(clip):
        kept.add(*frame)
    kept.finish()
    events = {"top": 10}
    renders = drawn_pictures(monkeypatch)
    again = render_swing(clip, pose, tmp_path / "again.mp4", events=events)
    reused = render_swing(clip, pose, tmp_path / "reused.mp4", events=events, frames=kept)
    assert (again.frames, again.width, again.height) == (reused.frames, reused.width, reused.height) == (len(pose), *SIZE)
    assert len(renders) == 2 and all(np.array_equal(a, b) for a, b in zip(*renders, strict=True))
    video, source = decoded(tmp_path / "reused.mp4"), decoded(clip)
    # The overlay is there: the left elbow's dot (at 130, 80; 7 px across), in every frame.
    assert np.abs(video[:, 80, 130].astype(int) - CENTRE).mean(axis=1).max() < 30
    assert np.abs(source[:, 80, 130].astype(int) - CENTRE).mean() > 60
    # Away from the drawing the picture is the clip's (within the re-encoding's error).
    assert np.abs(video[:, 150:170, 20:40].astype(int) - source[:, 150:170, 20:40]).mean() < 4


def test_frames_of_another_size_are_refused(tmp_path, clip_and_pose):
    clip, pose = clip_and_pose
    small = [(i, t, image[::2, ::2]) for i, t, image in iter_frames(clip)]
    with pytest.raises(InvalidInput, match="frame 0 is 80x100, not 160x200"):
        render_swing(clip, pose, tmp_path / "out.mp4", frames=small)
    assert not (tmp_path / "out.mp4").exists()
