"""Decoding: presentation timestamps (variable frame rate), rotation metadata, batching, bad input;
decoding ahead in a thread and keeping a small clip's frames for a second pass."""

from __future__ import annotations

import threading
from fractions import Fraction

import av
import numpy as np
import pytest

from sideline.errors import InvalidInput
from sideline.vision.decode import FrameStore, iter_batches, iter_frames, probe, read_ahead

IDENTITY = bytes.fromhex("00010000" "00000000" "00000000" "00000000" "00010000" "00000000" "00000000" "00000000" "40000000")
# 90 deg clockwise display rotation (what phones write for portrait video): a=0 b=1 c=-1 d=0.
CLOCKWISE_90 = bytes.fromhex("00000000" "00010000" "00000000" "FFFF0000" "00000000" "00000000" "00000000" "00000000" "40000000")


def write_clip(path, pts_ms: list[int], width: int = 64, height: int = 32) -> None:
    """An H.264 clip whose frames have a white stripe on the left and the given timestamps."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, 1000)
        stream.codec_context.time_base = Fraction(1, 1000)
        for pts in pts_ms:
            image = np.zeros((height, width, 3), np.uint8)
            image[:, :8] = 255
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = pts, Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def test_variable_frame_rate_times_come_from_timestamps(tmp_path):
    pts = [0, 33, 100, 120, 300, 310]
    write_clip(tmp_path / "vfr.mp4", pts)
    times = [t for _, t, _ in iter_frames(tmp_path / "vfr.mp4")]
    np.testing.assert_allclose(times, np.array(pts) / 1000, atol=1e-3)


def test_rotation_metadata_is_applied(tmp_path):
    path = tmp_path / "portrait.mp4"
    write_clip(path, [0, 33, 66])
    data = path.read_bytes()
    track_header = data.index(b"tkhd")
    matrix_at = data.index(IDENTITY, track_header)
    path.write_bytes(data[:matrix_at] + CLOCKWISE_90 + data[matrix_at + len(IDENTITY):])

    _, _, image = next(iter_frames(path))
    assert image.shape == (64, 32, 3)  # displayed portrait
    # The stripe on the coded frame's left edge is on the displayed frame's top edge after a clockwise turn.
    assert image[:6].mean() > 200 and image[12:].mean() < 40
    info = probe(path)
    assert (info.width, info.height, info.rotation) == (32, 64, -90)


def test_batches_cover_every_frame_once_and_downscale(tmp_path):
    write_clip(tmp_path / "c.mp4", list(range(0, 330, 33)), width=128, height=64)
    batches = list(iter_batches(tmp_path / "c.mp4", batch_size=4, max_side=64))
    assert [len(b.indices) for b in batches] == [4, 4, 2]
    assert np.array_equal(np.concatenate([b.indices for b in batches]), np.arange(10))
    assert batches[0].images.shape[1:] == (32, 64, 3)


def test_bad_files_raise_invalid_input(tmp_path):
    with pytest.raises(InvalidInput, match="not found"):
        next(iter_frames(tmp_path / "missing.mp4"))
    (tmp_path / "junk.mp4").write_bytes(b"not a video at all" * 10)
    with pytest.raises(InvalidInput, match="junk.mp4"):
        next(iter_frames(tmp_path / "junk.mp4"))


def test_read_ahead_yields_the_same_frames_and_raises_in_the_caller(tmp_path):
    write_clip(tmp_path / "c.mp4", list(range(0, 400, 33)), width=96, height=48)
    direct = list(iter_frames(tmp_path / "c.mp4"))
    ahead = list(read_ahead(iter_frames(tmp_path / "c.mp4"), depth=2))
    assert [(i, t) for i, t, _ in ahead] == [(i, t) for i, t, _ in direct] and len(direct) == 13
    assert all(np.array_equal(a[2], d[2]) for a, d in zip(ahead, direct))
    (tmp_path / "junk.mp4").write_bytes(b"not a video at all" * 10)
    with pytest.raises(InvalidInput, match="junk.mp4"):
        next(read_ahead(iter_frames(tmp_path / "junk.mp4")))
    # Stopping early (a cancelled job) ends the decoding thread.
    frames = read_ahead(iter_frames(tmp_path / "c.mp4"), depth=1)
    next(frames)
    frames.close()
    assert not any(t.name == "sideline-decode" and t.is_alive() for t in threading.enumerate())


def test_frame_store_keeps_a_clip_only_if_it_fits(tmp_path):
    write_clip(tmp_path / "c.mp4", list(range(0, 330, 33)), width=64, height=32)
    frame_bytes = 64 * 32 * 3
    roomy, tight, unfinished = FrameStore(10 * frame_bytes), FrameStore(9 * frame_bytes), FrameStore(10 * frame_bytes)
    for store in (roomy, tight, unfinished):
        for frame in iter_frames(tmp_path / "c.mp4"):
            store.add(*frame)
    roomy.finish()
    tight.finish()
    assert roomy.complete and len(roomy) == 10 and roomy.nbytes == 10 * frame_bytes
    assert [i for i, _, _ in roomy] == list(range(10))
    assert all(np.array_equal(kept[2], fresh[2]) for kept, fresh in zip(roomy, iter_frames(tmp_path / "c.mp4")))
    # Over budget: nothing kept (the second pass decodes again); not finished: not trusted either.
    assert not tight.complete and len(tight) == 0 and tight.nbytes == 0
    assert not unfinished.complete
    with pytest.raises(InvalidInput, match="decode the video again"):
        iter(tight)
