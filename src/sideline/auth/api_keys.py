"""API keys: ``sk_<prefix>_<secret>``, shown once, stored as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_PREFIX = "sk_"
SCOPES = ("read", "write", "admin")


def generate_api_key() -> tuple[str, str, str]:
    """Returns (full key, lookup prefix, hash)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = f"{KEY_PREFIX}{prefix}_{secret}"
    return key, prefix, hash_api_key(key)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_prefix(key: str) -> str | None:
    if not key.startswith(KEY_PREFIX):
        return None
    body = key[len(KEY_PREFIX):]
    prefix, sep, secret = body.partition("_")
    if not sep or len(prefix) != 12 or not secret:
        return None
    return prefix


def matches(key: str, key_hash: str) -> bool:
    return hmac.compare_digest(hash_api_key(key), key_hash)
