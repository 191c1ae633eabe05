"""Per-user preferences, one JSON document per user and area (``scope``, e.g. ``motorsport``).

A user's own settings, not an organisation's data: the same in every organisation they belong
to, deleted with the user. Each area validates its document at the API (``routers.preferences``).
"""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, IdMixin, TimestampMixin


class UserPreference(IdMixin, TimestampMixin, Base):
    __tablename__ = "user_preferences"
    __table_args__ = (UniqueConstraint("user_id", "scope"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(40))
    values: Mapped[dict] = mapped_column(default=dict)
