"""Pub/sub (in-memory or Redis) and live feeds."""
