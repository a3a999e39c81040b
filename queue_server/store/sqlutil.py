"""`INSERT … ON CONFLICT DO NOTHING` on both backends: the building block of every
idempotent write here (a resend inserts nothing, whoever wins a race)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import sqlite

if TYPE_CHECKING:
    from sqlalchemy.dialects.postgresql.dml import Insert as PgInsert
    from sqlalchemy.dialects.sqlite.dml import Insert as SqliteInsert


def upsert_insert(conn: Connection, table: Table) -> PgInsert | SqliteInsert:
    """The backend's own INSERT, the one with ON CONFLICT. PostgreSQL's dialect module
    (with its asyncpg and psycopg variants, ~25 ms) is imported only by a hall that
    stores there, not at every SQLite hall's start."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_ignore(conn: Connection, table: Table, values: dict[str, Any],
                  keys: Sequence[str]) -> bool:
    """Insert one row unless its key exists; True when it was inserted.

    RETURNING tells, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT.
    """
    # Every key starts with the hall (tables.hall_column), whose value the column's
    # default gives: the conflict target must name it to match the key.
    target = ["hall", *keys] if "hall" in table.c and "hall" not in keys else list(keys)
    stmt = (upsert_insert(conn, table).values(**values)
            .on_conflict_do_nothing(index_elements=target)
            .returning(*(table.c[k] for k in keys)))
    return conn.execute(stmt).first() is not None
