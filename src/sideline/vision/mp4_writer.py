"""Streaming H.264 MP4 writer (PyAV + libx264) that browsers play progressively.

Frames are encoded as they come; nothing but the encoder's own look-ahead is held. The file
gets ``movflags=+faststart`` (index before the media data), which FFmpeg writes by re-reading
the finished file, so it always encodes into a real file: next to the target (then renamed, so
a failed render never leaves half a file under the final name) or, for a binary stream, in a
temporary folder (then copied into the stream).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np


class Mp4Writer:
    """``with Mp4Writer(out, width, height, fps) as w: w.write(rgb)`` (or draw into ``w.canvas``
    and ``w.write()``); ``w.bytes`` after closing."""

    def __init__(self, out: str | os.PathLike | BinaryIO, width: int, height: int, fps: int, *,
                 crf: int = 23, preset: str = "veryfast"):
        self.out, self.width, self.height, self.fps = out, width, height, fps
        self.crf, self.preset = crf, preset
        self.bytes = 0
        self.frames = 0
        self._scratch: tempfile.TemporaryDirectory | None = None

    def __enter__(self) -> Mp4Writer:
        if isinstance(self.out, (str, os.PathLike)):
            target = Path(self.out)
            self._path = target.with_name(f".{target.name}.partial.mp4")
        else:
            self._scratch = tempfile.TemporaryDirectory(prefix="sideline-clip-")
            self._path = Path(self._scratch.name) / "clip.mp4"
        self._container = av.open(str(self._path), mode="w", format="mp4", options={"movflags": "+faststart"})
        stream = self._container.add_stream("libx264", rate=self.fps)
        stream.width, stream.height, stream.pix_fmt = self.width, self.height, "yuv420p"
        # Flat colours and sharp edges: x264's animation tuning; a key frame every 2 s so
        # seeking in a browser is quick.
        # A key frame every 2 s so seeking in a browser is quick. (veryfast: x264's speed/size
        # sweet spot here; "tune animation" cost more CPU for no smaller files on these frames.)
        stream.options = {"crf": str(self.crf), "preset": self.preset, "g": str(2 * self.fps), "profile": "high"}
        stream.codec_context.time_base = Fraction(1, self.fps)
        self._stream = stream
        # One RGB frame reused for every picture: callers draw straight into ``canvas`` (no
        # per-frame allocation or copy); the encoder converts it to its own yuv420p frame.
        self._frame = av.VideoFrame(self.width, self.height, "rgb24")
        plane = self._frame.planes[0]
        rows = np.frombuffer(plane, dtype=np.uint8).reshape(self.height, plane.line_size)
        self.canvas = rows[:, :self.width * 3].reshape(self.height, self.width, 3)
        return self

    def write(self, rgb: np.ndarray | None = None) -> None:
        """Encode ``rgb`` (uint8 [H, W, 3]), or what was drawn into ``canvas`` when None."""
        if rgb is not None:
            np.copyto(self.canvas, rgb)
        self._frame.pts = self.frames
        self._frame.time_base = Fraction(1, self.fps)
        self._container.mux(self._stream.encode(self._frame))
        self.frames += 1

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self._container.mux(self._stream.encode(None))
            self._container.close()
            if exc_type is None:
                self._publish()
        finally:
            if self._path.exists() and (exc_type is not None or self._scratch is not None):
                self._path.unlink()
            if self._scratch is not None:
                self._scratch.cleanup()

    def _publish(self) -> None:
        self.bytes = self._path.stat().st_size
        if self._scratch is None:
            os.replace(self._path, Path(self.out))
        else:
            with open(self._path, "rb") as encoded:
                shutil.copyfileobj(encoded, self.out, length=1 << 20)  # type: ignore[arg-type]
