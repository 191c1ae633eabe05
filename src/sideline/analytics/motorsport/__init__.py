"""Motorsport live timing, pure: ``SessionState`` turns F1 feed messages into the session's
state, small deltas for live clients, and the laps / stints / pit stops / classification
tables (docs/motorsport.md)."""

from sideline.analytics.motorsport.state import Delta, SessionState

__all__ = ["Delta", "SessionState"]
