"""The compact binary frame format the 2D match player streams ("SLF1", docs/football.md).

Little-endian. A 16-byte header: ``b"SLF1"``, uint32 frames ``n``, uint32 players ``p``,
uint32 flags (0). Then float32 ``t[n]`` (timeline seconds), float32 ``ball[n*3]``, float32
``xy[n*p*2]``, then uint8 ``period[n]``, uint8 ``ball_state[n]`` (0 dead, 1 alive,
255 unknown), uint8 ``owner[n]`` (0 home, 1 away, 255 unknown). NaN means not observed.
Float arrays come first so each stays 4-byte aligned for a zero-copy Float32Array view.
About 10x smaller than the same frames as JSON, and decoding is a few typed-array views.
"""

from __future__ import annotations

import struct

import numpy as np

from sideline.core.football import Tracking

MAGIC = b"SLF1"
HEADER = struct.Struct("<4sIII")


def encode_frames(tracking: Tracking) -> bytes:
    n, p = tracking.n_frames, tracking.n_players
    parts = [
        HEADER.pack(MAGIC, n, p, 0),
        tracking.timeline.astype("<f4").tobytes(),
        tracking.ball.astype("<f4").tobytes(),
        tracking.xy.astype("<f4").tobytes(),
        tracking.period.astype(np.uint8).tobytes(),
        tracking.ball_state.astype(np.int16).clip(-1, 254).astype(np.uint8).tobytes(),  # -1 -> 255
        tracking.ball_owning_team.astype(np.int16).clip(-1, 254).astype(np.uint8).tobytes(),
    ]
    return b"".join(parts)


def decode_frames(data: bytes) -> dict[str, np.ndarray]:
    """The inverse, for tests and Python clients."""
    magic, n, p, _flags = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ValueError("not an SLF1 frame block")
    offset = HEADER.size

    def take(dtype: str, count: int) -> np.ndarray:
        nonlocal offset
        arr = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
        offset += arr.nbytes
        return arr

    t = take("<f4", n)
    ball = take("<f4", n * 3).reshape(n, 3)
    xy = take("<f4", n * p * 2).reshape(n, p, 2)
    period, state, owner = take("u1", n), take("u1", n), take("u1", n)
    return {"t": t, "ball": ball, "xy": xy, "period": period, "ball_state": state, "owner": owner}
