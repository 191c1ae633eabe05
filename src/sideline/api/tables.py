"""Tables as downloads: CSV or Parquet, with a file name."""

from __future__ import annotations

import io

import polars as pl
from fastapi import Response

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


def table_download(frame: pl.DataFrame, fmt: str, filename: str) -> Response:
    """``frame`` as ``<filename>.<fmt>`` (``csv`` or ``parquet``, zstd-compressed)."""
    buffer = io.BytesIO()
    if fmt == "csv":
        frame.write_csv(buffer)
    else:
        frame.write_parquet(buffer, compression="zstd")
    return Response(buffer.getvalue(), media_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'})
