"""Sideline: self-hostable sports performance analytics."""

__version__ = "0.1.0"
