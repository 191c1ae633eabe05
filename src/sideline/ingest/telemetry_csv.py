"""Car telemetry CSV (one row per sample) -> a Polars table with canonical columns.

Reads the McLaren/ATLAS-style export of ``motorsport/telemetry/f1_2010_aus_button_mclaren_telemetry.csv``
(``File`` = epoch seconds, ``NGPSLatitude``, ``NGPSLongitude``, ``NGear``, ``nEngine``,
``rThrottlePedal``, ``pBrakeF``, ``gLat``, ``gLong``, ``sLap``, ``vCar``, ``Lap``); canonical
names: ``t`` (s from the first sample), ``lat``, ``lon``, ``gear``, ``rpm``, ``throttle`` (%),
``brake`` (front brake pressure, bar), ``g_lat``, ``g_long``, ``distance`` (m into the lap),
``speed`` (km/h), ``lap``.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from sideline.errors import InvalidInput

COLUMNS = {  # source name -> canonical name
    "NGPSLatitude": "lat", "NGPSLongitude": "lon", "NGear": "gear", "nEngine": "rpm",
    "rThrottlePedal": "throttle", "pBrakeF": "brake", "gLat": "g_lat", "gLong": "g_long",
    "sLap": "distance", "vCar": "speed", "Lap": "lap",
}
TIME_COLUMN = "File"
REQUIRED = ("sLap", "vCar", "Lap")


def read_telemetry_csv(source: str | Path | bytes, name: str | None = None) -> pl.DataFrame:
    """The telemetry table, sorted by time; raises ``InvalidInput`` naming the file and problem."""
    label = name or (str(source) if not isinstance(source, bytes) else "telemetry CSV")
    try:
        raw = pl.read_csv(io.BytesIO(source) if isinstance(source, bytes) else source, infer_schema_length=10_000)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{label}: not a readable CSV ({exc})") from None
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise InvalidInput(f"{label}: missing telemetry columns {', '.join(missing)}")
    raw = raw.rename({c: _canonical_case(c) for c in raw.columns})
    present = {src: dst for src, dst in COLUMNS.items() if src in raw.columns}
    try:
        table = raw.select(*[pl.col(src).cast(pl.Float64).alias(dst) for src, dst in present.items()],
                           *([pl.col(TIME_COLUMN).cast(pl.Float64).alias("t")] if TIME_COLUMN in raw.columns else []))
    except pl.exceptions.PolarsError:
        raise InvalidInput(f"{label}: non-numeric values in the telemetry columns") from None
    if table.height == 0:
        raise InvalidInput(f"{label}: no telemetry rows")
    if "t" not in table.columns:  # no clock: assume the nominal 1 Hz
        table = table.with_row_index("t").with_columns(pl.col("t").cast(pl.Float64))
    table = table.with_columns((pl.col("t") - pl.col("t").min()).alias("t"), pl.col("lap").cast(pl.Int32),
                               *[pl.col(c).cast(pl.Int32) for c in ("gear",) if c in table.columns])
    return table.sort("t")


def _canonical_case(column: str) -> str:
    """Header names as ``COLUMNS`` spells them whatever their case (exports write ``file`` or ``File``)."""
    known = {name.lower(): name for name in (*COLUMNS, TIME_COLUMN)}
    return known.get(column.strip().lower(), column)
