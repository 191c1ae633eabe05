"""Uploaded files and other blobs, indexed from the database."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

import enum

from .base import Base, IdMixin, TimestampMixin


class FileStatus(str, enum.Enum):
    uploading = "uploading"
    ready = "ready"
    failed = "failed"


class StoredFile(IdMixin, TimestampMixin, Base):
    __tablename__ = "files"
    __table_args__ = (Index("ix_files_org_created", "organisation_id", "created_at"),)

    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    athlete_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[FileStatus] = mapped_column(
        Enum(FileStatus, name="file_status", native_enum=False, length=16), default=FileStatus.uploading
    )
    blob_key: Mapped[str] = mapped_column(String(500))
