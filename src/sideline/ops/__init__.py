"""Operations on a whole installation: backup, restore and moving to PostgreSQL + S3.

Shared here: the table order, consistent read snapshots, emptiness checks and the
PostgreSQL-specific fix-ups (partitions ahead of bulk inserts, sequences after them).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy import Connection, Engine, Table

from sideline.logs import redact


class OpsError(Exception):
    """An operation that cannot go on; the CLI prints the message as one line."""


def tables() -> list[Table]:
    """Every application table, parents before children (the order rows must be inserted in)."""
    from sideline.storage import models  # noqa: F401 - registers every model on the metadata

    return list(models.Base.metadata.sorted_tables)


def describe(exc: BaseException) -> str:
    """One line for an unexpected error (driver messages span lines and may quote URLs)."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return redact(f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__)


def safe_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


@contextlib.contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only connection that sees all tables as of one moment, while the app keeps running."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True) as conn:
            with conn.begin():
                yield conn
        return
    with engine.connect() as conn:
        # pysqlite only sends BEGIN before writes; an explicit one pins one WAL snapshot for every SELECT.
        conn.exec_driver_sql("BEGIN")
        try:
            yield conn
        finally:
            conn.rollback()


def stream_rows(conn: Connection, table: Table, batch: int = 1000) -> Iterator[sa.Row]:
    query = sa.select(table).order_by(*table.primary_key.columns)
    result = conn.execution_options(yield_per=batch).execute(query)
    yield from result


def nonempty_tables(conn: Connection) -> list[str]:
    """Names of application tables with at least one row (tables not created yet count as empty)."""
    existing = set(sa.inspect(conn).get_table_names())
    found = []
    for table in tables():
        if table.name in existing and conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
            found.append(table.name)
    return found


def count_rows(conn: Connection, table: Table) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def json_columns(table: Table) -> set[str]:
    return {c.name for c in table.columns if isinstance(c.type, sa.JSON)}


def sql_nulls(row: dict, json_cols: set[str]) -> dict:
    # Python None in a JSON column would be stored as the JSON value 'null'; keep SQL NULL.
    for name in json_cols:
        if row.get(name, 0) is None:
            row[name] = sa.null()
    return row


def prepare_partitions(conn: Connection, ranges: dict[str, tuple[dt.datetime, dt.datetime]]) -> None:
    """Create the monthly partitions the incoming rows need, so they don't pile up in DEFAULT."""
    if conn.dialect.name != "postgresql":
        return
    from sideline.storage.partitions import ensure_partitions

    for table, (low, high) in ranges.items():
        ensure_partitions(conn, low.date(), high.date(), tables=(table,))


def reset_sequences(conn: Connection) -> None:
    """After inserting explicit ids, move each serial/BIGSERIAL sequence past the largest id."""
    if conn.dialect.name != "postgresql":
        return  # SQLite's INTEGER PRIMARY KEY continues from MAX(id) by itself
    for table in tables():
        for column in table.primary_key.columns:
            if not isinstance(column.type, sa.Integer):
                continue
            sequence = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                                    {"t": table.name, "c": column.name}).scalar()
            if sequence:
                top = conn.execute(sa.select(sa.func.max(column))).scalar()
                # is_called=false: the next nextval() returns exactly this value.
                conn.execute(sa.text("SELECT setval(:s, :v, false)"), {"s": sequence, "v": (top or 0) + 1})


def wipe(conn: Connection) -> None:
    """Delete every application row (restore --force), children first, inside the caller's transaction."""
    ordered = tables()
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in ordered)))
        return
    for table in reversed(ordered):
        conn.execute(table.delete())
