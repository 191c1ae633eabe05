"""Organisations and users: creating them, for the API, the CLI and tests alike."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sideline.auth.passwords import MIN_PASSWORD_LENGTH, hash_password
from sideline.errors import Conflict, InvalidInput
from sideline.storage.models import Membership, Organisation, Role, User


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return (slug or "org")[:60]


def create_organisation(session: Session, name: str, owner_id: uuid.UUID | None, slug: str | None = None) -> Organisation:
    """Add an organisation (with ``owner_id`` as its owner, if given); a free slug is made from the
    name unless ``slug`` is given, which must be free (else 409)."""
    base = slug or slugify(name)
    candidate, n = base, 1
    while session.scalar(select(Organisation.id).where(Organisation.slug == candidate)) is not None:
        if slug:
            raise Conflict(f"An organisation with slug {slug!r} already exists")
        n += 1
        candidate = f"{base}-{n}"
    org = Organisation(name=name, slug=candidate)
    session.add(org)
    session.flush()
    if owner_id is not None:
        session.add(Membership(organisation_id=org.id, user_id=owner_id, role=Role.owner))
        session.flush()
    return org


def ensure_user(session: Session, email: str, password: str, name: str = "", *, superuser: bool = False) -> User:
    """The user with this email (any case), created with this password if there is none.

    Raises InvalidInput if the password is too short (checked even when the user exists).
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    user = session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is None:
        user = User(email=email.lower(), name=name, password_hash=hash_password(password), is_superuser=superuser)
        session.add(user)
        session.flush()
    return user
