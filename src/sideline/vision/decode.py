"""Decode a video into RGB frames with their presentation times, honouring rotation metadata.

Frames stream out one batch at a time (never the whole video in memory). Times come from each
frame's pts x time_base, so variable-frame-rate phone footage keeps its real timing.

``read_ahead`` decodes in a background thread while the caller works on the previous frame, and
``FrameStore`` keeps a small clip's frames for a second pass (the swing job's annotated video) so
it is not decoded twice; a clip too large for its budget is decoded again instead.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from sideline.errors import InvalidInput


@dataclass(frozen=True)
class VideoInfo:
    width: int  # of the displayed (rotated, possibly downscaled) frame
    height: int
    nominal_fps: float
    frame_count: int | None  # from the container; may be missing or approximate
    duration_s: float | None
    rotation: int  # degrees counter-clockwise applied to the coded frames for display


@dataclass(frozen=True)
class FrameBatch:
    indices: np.ndarray  # [B] decode order
    times: np.ndarray  # [B] seconds from the stream start
    images: np.ndarray  # [B, H, W, 3] uint8 RGB, displayed orientation


def _open(path: str | Path):
    import av

    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"video file {path.name!r} not found")
    try:
        container = av.open(str(path))
    except Exception as exc:  # PyAV raises many subclasses; all mean "not a readable video"
        raise InvalidInput(f"{path.name!r} is not a readable video: {exc.__class__.__name__}") from None
    if not container.streams.video:
        container.close()
        raise InvalidInput(f"{path.name!r} has no video stream")
    return container


def _scaled(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    if not max_side or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    return max(2, round(width * scale)), max(2, round(height * scale))


def probe(path: str | Path, max_side: int | None = None) -> VideoInfo:
    """Size (displayed orientation), rate, count and rotation, reading only the first frame."""
    with _open(path) as container:
        stream = container.streams.video[0]
        rotation = 0
        for frame in container.decode(stream):
            rotation = int(frame.rotation or 0)
            break
        width, height = stream.codec_context.width, stream.codec_context.height
        if rotation % 180:
            width, height = height, width
        width, height = _scaled(width, height, max_side)
        duration = float(stream.duration * stream.time_base) if stream.duration else None
        rate = float(stream.average_rate) if stream.average_rate else 0.0
        return VideoInfo(width, height, rate, stream.frames or None, duration, rotation)


def iter_frames(path: str | Path, *, max_side: int | None = None) -> Iterator[tuple[int, float, np.ndarray]]:
    """Yield (index, time_s, rgb [H, W, 3] uint8) per frame, displayed orientation.

    ``max_side`` downscales in the decoder's scaler (cheap) so the longest side is at most that.
    """
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = float(stream.average_rate) if stream.average_rate else 30.0
        start = stream.start_time or 0
        for index, frame in enumerate(container.decode(stream)):
            if frame.pts is not None and stream.time_base is not None:
                time_s = float((frame.pts - start) * stream.time_base)
            else:
                time_s = index / rate
            quarter_turns = round((frame.rotation or 0) / 90) % 4
            width, height = frame.width, frame.height
            if quarter_turns % 2:
                height, width = _scaled(height, width, max_side)
            else:
                width, height = _scaled(width, height, max_side)
            image = frame.to_ndarray(format="rgb24", width=width, height=height)
            if quarter_turns:
                # np.rot90 turns counter-clockwise, as PyAV's rotation is defined.
                image = np.ascontiguousarray(np.rot90(image, k=quarter_turns))
            yield index, time_s, image


def iter_batches(path: str | Path, batch_size: int = 32, *, max_side: int | None = None) -> Iterator[FrameBatch]:
    """Frames grouped in batches of up to ``batch_size`` (the last one may be shorter)."""
    if batch_size < 1:
        raise InvalidInput(f"batch_size must be at least 1, got {batch_size}")
    indices: list[int] = []
    times: list[float] = []
    images: list[np.ndarray] = []
    for index, time_s, image in iter_frames(path, max_side=max_side):
        indices.append(index)
        times.append(time_s)
        images.append(image)
        if len(images) == batch_size:
            yield FrameBatch(np.array(indices), np.array(times), np.stack(images))
            indices, times, images = [], [], []
    if images:
        yield FrameBatch(np.array(indices), np.array(times), np.stack(images))


T = TypeVar("T")
_DONE = object()


def read_ahead(items: Iterable[T], depth: int = 4) -> Iterator[T]:
    """Iterate ``items`` (e.g. ``iter_frames``) in a background thread, at most ``depth`` ahead.

    LiteRT and onnxruntime release the GIL while a model runs, so the next frame is decoded
    meanwhile (100 BlazePose-full invokes and a decode of the golf clip together take the time of
    the invokes alone). A thread that holds the GIL (pure Python) would instead slow decoding down.
    Errors are raised in the caller's thread; closing the iterator early stops the thread (and
    closes the underlying generator, hence the file).
    """
    buffer: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def produce() -> None:
        source = iter(items)
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        buffer.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    break
        except BaseException as exc:  # handed to the consumer, raised there
            buffer.put((_DONE, exc))
            return
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()
        buffer.put((_DONE, None))

    thread = threading.Thread(target=produce, name="sideline-decode", daemon=True)
    thread.start()
    try:
        while True:
            item, error = buffer.get()
            if item is _DONE:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                buffer.get(timeout=0.05)
            except queue.Empty:
                pass
        thread.join()


class FrameStore:
    """Decoded frames of one pass, kept for a second pass over the same clip while they fit.

    ``add`` keeps (index, time, image) until the total would exceed ``max_bytes``; then everything
    is dropped and the store stays incomplete for good, so the second pass decodes the file again
    (a long or large clip streams as before, one frame in memory). ``complete`` is True only after
    ``finish`` on a store that kept every frame.
    """

    def __init__(self, max_bytes: int = 192 << 20):
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._frames: list[tuple[int, float, np.ndarray]] = []
        self._overflow = False
        self._finished = False

    def add(self, index: int, time_s: float, image: np.ndarray) -> None:
        if self._overflow:
            return
        if self.nbytes + image.nbytes > self.max_bytes:
            self._overflow, self._frames, self.nbytes = True, [], 0
            return
        self._frames.append((index, time_s, image))
        self.nbytes += image.nbytes

    def finish(self) -> None:
        self._finished = True

    @property
    def complete(self) -> bool:
        return self._finished and not self._overflow

    def __len__(self) -> int:
        return len(self._frames)

    def __iter__(self) -> Iterator[tuple[int, float, np.ndarray]]:
        if not self.complete:
            raise InvalidInput("the stored frames are incomplete; decode the video again")
        return iter(self._frames)

    def clear(self) -> None:
        self._frames, self.nbytes = [], 0
