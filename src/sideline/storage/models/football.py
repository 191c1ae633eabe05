"""Football clips: named time ranges of a match, optionally rendered to MP4."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, IdMixin, TimestampMixin


class Clip(IdMixin, TimestampMixin, Base):
    __tablename__ = "clips"
    __table_args__ = (
        CheckConstraint("end_s > start_s", name="clip_range"),
        Index("ix_clips_dataset", "dataset_id", "start_s"),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    dataset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="manual")  # manual, sprint, goal, shot, ...
    start_s: Mapped[float] = mapped_column()  # match timeline seconds
    end_s: Mapped[float] = mapped_column()
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The rendered MP4 (a stored file of the organisation) and the job rendering it.
    video_file_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("files.id", ondelete="SET NULL"))
    render_job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
