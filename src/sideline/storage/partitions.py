"""Monthly range partitions of the time-series tables on PostgreSQL.

Each partitioned table has a DEFAULT partition, so an insert never fails for want of a
partition; ``ensure_partitions`` creates the monthly ones ahead of time (the server does it
in-process runner and every Celery worker at start and daily, through ``maintain_partitions``). Rows that landed in the default partition before their
month existed are moved when that month's partition is created.
"""

from __future__ import annotations

import datetime as dt

import logging

from sqlalchemy import Connection, text

from sideline.storage.models.timeseries import PARTITIONED_TABLES

log = logging.getLogger(__name__)

#: Key of the PostgreSQL advisory lock that serialises partition creation across processes.
PARTITION_LOCK_KEY = 0x5_1DE_11E0


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    # Clamp the day so that e.g. 31 January + 1 month is the last day of February.
    next_first = dt.date(year + (month == 12), month % 12 + 1, 1)
    return dt.date(year, month, min(day.day, (next_first - dt.timedelta(days=1)).day))


def partition_name(table: str, month: dt.date) -> str:
    return f"{table}_p{month:%Y%m}"


def create_default_partitions(conn: Connection) -> None:
    for table in PARTITIONED_TABLES:
        conn.execute(text(f"CREATE TABLE IF NOT EXISTS {table}_default PARTITION OF {table} DEFAULT"))


def ensure_partitions(conn: Connection, start: dt.date, end: dt.date, tables=PARTITIONED_TABLES) -> list[str]:
    """Create the monthly partitions covering [start, end]; returns the names created."""
    if conn.dialect.name != "postgresql":
        return []
    created: list[str] = []
    for table in tables:
        month = _month_start(start)
        while month <= end:
            upper = _next_month(month)
            name = partition_name(table, month)
            exists = conn.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar()
            if exists is None:
                bounds = f"FROM ('{month.isoformat()}') TO ('{upper.isoformat()}')"
                # A new range partition may not overlap rows already in DEFAULT: move them out first.
                conn.execute(text(
                    f"CREATE TEMP TABLE _moving ON COMMIT DROP AS SELECT * FROM {table}_default "
                    f"WHERE ts >= :lo AND ts < :hi"), {"lo": month, "hi": upper})
                conn.execute(text(f"DELETE FROM {table}_default WHERE ts >= :lo AND ts < :hi"),
                             {"lo": month, "hi": upper})
                conn.execute(text(f"CREATE TABLE {name} PARTITION OF {table} FOR VALUES {bounds}"))
                conn.execute(text(f"INSERT INTO {table} SELECT * FROM _moving"))
                conn.execute(text("DROP TABLE _moving"))
                created.append(name)
            month = upper
    return created


def list_partitions(conn: Connection, table: str) -> list[str]:
    rows = conn.execute(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :t ORDER BY c.relname"), {"t": table})
    return [r[0] for r in rows]


def maintain_partitions(db, today: dt.date | None = None, months_ahead: int = 2) -> list[str]:
    """Create monthly partitions for today .. today + ``months_ahead`` months (PostgreSQL only)."""
    if not db.is_postgres:
        return []
    today = today or dt.datetime.now(dt.UTC).date()
    end = add_months(today, months_ahead)
    with db.engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PARTITION_LOCK_KEY})
        created = ensure_partitions(conn, today, end)
    if created:
        log.info("created partitions: %s", ", ".join(created))
    return created
