"""Time-series tables built for volume: samples, metrics and laps.

On PostgreSQL each table is natively partitioned by range of ``ts`` (monthly partitions plus
a default one, see migration 0001 and ``sideline.storage.partitions``); the primary key
there is ``(id, ts)`` (created by the migration; the ORM maps ``id`` alone, which is unique
from its sequence). On SQLite they are ordinary tables. With TimescaleDB, each table
would instead be turned into a hypertable (``SELECT create_hypertable('samples', 'ts')``) and
the partition maintenance dropped; nothing else changes (docs/storage.md).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL wants 64-bit ids for volume.
BigIntegerId = BigInteger().with_variant(Integer, "sqlite")

PARTITIONED_TABLES = ("samples", "metrics", "laps")


class Sample(Base):
    """A scalar measurement at an instant (heart rate, speed from a wearable, a gap)."""

    __tablename__ = "samples"
    __table_args__ = (Index("ix_samples_dataset_channel_ts", "dataset_id", "channel", "ts"),)

    id: Mapped[int] = mapped_column(BigIntegerId, primary_key=True, autoincrement=True)
    ts: Mapped[dt.datetime] = mapped_column()
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    dataset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    athlete_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    subject: Mapped[str | None] = mapped_column(String(80))  # player or driver when not an athlete record
    channel: Mapped[str] = mapped_column(String(80))
    value: Mapped[float] = mapped_column()


class Metric(Base):
    """A computed metric over a window (a period, a 5-minute block, a lap, a swing)."""

    __tablename__ = "metrics"
    __table_args__ = (Index("ix_metrics_dataset_name", "dataset_id", "name"),)

    id: Mapped[int] = mapped_column(BigIntegerId, primary_key=True, autoincrement=True)
    ts: Mapped[dt.datetime] = mapped_column()  # window start
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    dataset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    athlete_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str | None] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(80))
    value: Mapped[float] = mapped_column()
    unit: Mapped[str] = mapped_column(String(20), default="")
    window_s: Mapped[float | None] = mapped_column()
    coverage: Mapped[float | None] = mapped_column()  # share of the window the value is based on
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Lap(Base):
    """One lap of one driver in a motorsport session."""

    __tablename__ = "laps"
    __table_args__ = (Index("ix_laps_dataset_driver_lap", "dataset_id", "driver", "lap"),)

    id: Mapped[int] = mapped_column(BigIntegerId, primary_key=True, autoincrement=True)
    ts: Mapped[dt.datetime] = mapped_column()  # lap start
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    dataset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    driver: Mapped[str] = mapped_column(String(20))
    lap: Mapped[int] = mapped_column()
    lap_time_ms: Mapped[int | None] = mapped_column()
    sector_ms: Mapped[list] = mapped_column(default=list)
    position: Mapped[int | None] = mapped_column()
    compound: Mapped[str | None] = mapped_column(String(20))
    tyre_age: Mapped[int | None] = mapped_column()
    pit_in: Mapped[bool] = mapped_column(default=False)
    pit_out: Mapped[bool] = mapped_column(default=False)
    deleted: Mapped[bool] = mapped_column(default=False)
