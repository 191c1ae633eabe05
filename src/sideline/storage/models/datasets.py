"""Datasets (a match, a session, a swing) and their bulk per-frame Parquet parts.

A dataset belongs to one organisation, or - for data that is the same for everyone, such as
a Formula 1 timing feed - to none, with ``visibility = public``. Public datasets are readable
by every authenticated principal and writable by none through the organisation API.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import BigInteger, CheckConstraint, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, IdMixin, TimestampMixin


class Visibility(str, enum.Enum):
    private = "private"  # only the owning organisation
    public = "public"  # everyone; organisation_id is NULL


class Dataset(IdMixin, TimestampMixin, Base):
    __tablename__ = "datasets"
    __table_args__ = (
        CheckConstraint(
            "(visibility = 'public' AND organisation_id IS NULL) OR "
            "(visibility = 'private' AND organisation_id IS NOT NULL)",
            name="owner_matches_visibility",
        ),
        Index("ix_datasets_org_kind", "organisation_id", "kind"),
    )

    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    visibility: Mapped[Visibility] = mapped_column(
        Enum(Visibility, name="visibility", native_enum=False, length=16), default=Visibility.private
    )
    kind: Mapped[str] = mapped_column(String(40))  # football_match, f1_session, swing, video, ...
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    athlete_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"), index=True)
    source_file_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("files.id", ondelete="SET NULL"))
    starts_at: Mapped[dt.datetime | None] = mapped_column()
    meta: Mapped[dict] = mapped_column(default=dict)


class FramePart(IdMixin, TimestampMixin, Base):
    """One Parquet file of per-frame data in the blob store, indexed by time range."""

    __tablename__ = "frame_parts"
    __table_args__ = (Index("ix_frame_parts_dataset_start", "dataset_id", "start_s"),)

    dataset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    stream: Mapped[str] = mapped_column(String(80))  # e.g. "tracking", "pose", "car_data"
    blob_key: Mapped[str] = mapped_column(String(500))
    start_s: Mapped[float] = mapped_column()
    end_s: Mapped[float] = mapped_column()
    rows: Mapped[int] = mapped_column(BigInteger)
    columns: Mapped[list] = mapped_column(default=list)
