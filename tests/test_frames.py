"""Parquet frame store: round trips and time windows on SQLite and PostgreSQL, local disk and S3."""

from __future__ import annotations

import uuid

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sideline.errors import InvalidInput, NotFound
from sideline.storage.blobs import make_blob_store
from sideline.storage.db import Database
from sideline.storage.frames import delete_frames, find_parts, read_frames, summarize_streams, write_frames
from sideline.storage.migrate import upgrade
from sideline.storage.models import Dataset, FramePart, Organisation
from tests.conftest import make_settings

ROWS = 300_000  # 25 Hz for 200 minutes
FPS = 25.0


@pytest.fixture
def db(backend):
    database = Database(backend)
    upgrade(database.engine)
    yield database
    database.dispose()


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return make_blob_store(make_settings(tmp_path))
    server, bucket = request.getfixturevalue("s3_server"), request.getfixturevalue("s3_bucket")
    return make_blob_store(make_settings(tmp_path, blob_url=f"s3://{bucket}/frames-test", s3_endpoint_url=server,
                                         s3_region="us-east-1"))


@pytest.fixture
def local_store(tmp_path):
    return make_blob_store(make_settings(tmp_path))


@pytest.fixture
def dataset_id(db):
    with db.session() as s:
        org = Organisation(name="Alpha FC", slug=f"alpha-{id(s)}")
        s.add(org)
        s.flush()
        ds = Dataset(organisation_id=org.id, kind="football_match", name="Alpha v Bravo")
        s.add(ds)
        s.flush()
        return ds.id


def tracking(rows: int = ROWS, start: float = 0.0) -> pl.DataFrame:
    rng = np.random.default_rng(7)
    t = start + np.arange(rows) / FPS
    return pl.DataFrame({"t": t, "player": (np.arange(rows) % 23).astype(np.int32),
                         "x": rng.uniform(0, 105, rows), "y": rng.uniform(0, 68, rows)})


def window(frame: pl.DataFrame, t0: float, t1: float) -> pl.DataFrame:
    return frame.filter((pl.col("t") >= t0) & (pl.col("t") < t1))


def test_round_trip_and_windows(db, store, dataset_id):
    frame = tracking()
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=1)  # the writer sorts by t
    with db.session() as s:
        parts = write_frames(s, store, dataset_id, "tracking", shuffled, rows_per_part=100_000)
    assert [p.rows for p in parts] == [100_000] * 3
    assert store.list(f"frames/{dataset_id}") == sorted(p.blob_key for p in parts)
    with db.session() as s:
        index = find_parts(s, dataset_id, "tracking")
        assert [(p.start_s, p.end_s) for p in index] == [(0.0, 3999.96), (4000.0, 7999.96), (8000.0, 11999.96)]
        assert index[0].columns == ["t", "player", "x", "y"]

        assert_frame_equal(read_frames(s, store, dataset_id, "tracking"), frame)
        # A window inside one part reads only that part.
        assert len(find_parts(s, dataset_id, "tracking", 5000.0, 5010.0)) == 1
        got = read_frames(s, store, dataset_id, "tracking", 5000.0, 5010.0)
        assert got.height == 250 and got["t"].min() == 5000.0 and got["t"].max() < 5010.0
        assert_frame_equal(got, window(frame, 5000.0, 5010.0))
        # Across a part boundary, half-open at the end.
        assert len(find_parts(s, dataset_id, "tracking", 3990.0, 4010.0)) == 2
        assert_frame_equal(read_frames(s, store, dataset_id, "tracking", 3990.0, 4010.0), window(frame, 3990.0, 4010.0))
        edge = read_frames(s, store, dataset_id, "tracking", 4000.0, 4000.04)
        assert edge["t"].to_list() == [4000.0]
        # Columns, open-ended windows, and windows with nothing in them.
        cols = read_frames(s, store, dataset_id, "tracking", t1=1.0, columns=["x", "player"])
        assert cols.columns == ["t", "x", "player"] and cols.height == 25
        assert read_frames(s, store, dataset_id, "tracking", t0=11999.0).height == 25
        assert read_frames(s, store, dataset_id, "tracking", 20_000.0, 30_000.0).height == 0
        assert read_frames(s, store, dataset_id, "pose").height == 0


def test_append_replace_and_delete(db, local_store, dataset_id):
    store = local_store
    first = tracking(1000)
    later = tracking(500, start=40.0).with_columns(speed=pl.col("x") / 10).drop("y")
    with db.session() as s:
        write_frames(s, store, dataset_id, "tracking", first)
    with db.session() as s:
        write_frames(s, store, dataset_id, "tracking", later)
    with db.session() as s:
        both = read_frames(s, store, dataset_id, "tracking")
        assert both.height == 1500 and set(both.columns) == {"t", "player", "x", "y", "speed"}
        # Parts overlap in time (appended data from 40 s on): rows still come back in t order.
        assert both["t"].is_sorted()
        assert both["speed"].null_count() == 1000 and both["y"].null_count() == 500
        only = read_frames(s, store, dataset_id, "tracking", 0.0, 1.0, columns=["speed"])
        assert only.columns == ["t", "speed"] and only["speed"].null_count() == 25
        [summary] = summarize_streams(s, dataset_id)
        assert (summary.parts, summary.rows, summary.start_s, summary.end_s) == (2, 1500, 0.0, 59.96)
        old_keys = [p.blob_key for p in find_parts(s, dataset_id, "tracking")]

    with db.session() as s:
        write_frames(s, store, dataset_id, "tracking", tracking(10), replace=True)
    assert not any(store.exists(k) for k in old_keys)  # replaced blobs go once the new index is committed
    with db.session() as s:
        assert read_frames(s, store, dataset_id, "tracking").height == 10
        assert delete_frames(s, store, dataset_id) == 1
    assert store.list("frames") == []


def test_rolled_back_write_leaves_no_blobs(db, local_store, dataset_id):
    with pytest.raises(RuntimeError):
        with db.session() as s:
            write_frames(s, local_store, dataset_id, "tracking", tracking(100))
            raise RuntimeError("the ingest job failed later")
    assert local_store.list("") == []
    with db.session() as s:
        assert s.query(FramePart).count() == 0


def test_bad_frames_are_refused(db, local_store, dataset_id):
    good = tracking(10)
    cases = [good.drop("t"), good.with_columns(pl.col("t").cast(pl.Int64)),
             good.with_columns(t=pl.Series([float("nan")] + [1.0] * 9)), good.with_columns(t=pl.lit(None, pl.Float64))]
    with db.session() as s:
        for frame in cases:
            with pytest.raises(InvalidInput):
                write_frames(s, local_store, dataset_id, "tracking", frame)
        with pytest.raises(InvalidInput):
            write_frames(s, local_store, dataset_id, "../x", good)
        with pytest.raises(NotFound):
            write_frames(s, local_store, uuid.uuid4(), "tracking", good)
        write_frames(s, local_store, dataset_id, "tracking", good)
        s.flush()
        with pytest.raises(InvalidInput, match="nope"):
            read_frames(s, local_store, dataset_id, "tracking", columns=["nope"])
        with pytest.raises(InvalidInput):
            read_frames(s, local_store, dataset_id, "tracking", 5.0, 1.0)
        with pytest.raises(InvalidInput):
            read_frames(s, local_store, dataset_id, "tracking", float("nan"))
    assert len(local_store.list("frames")) == 1
