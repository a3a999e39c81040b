"""`INSERT … ON CONFLICT DO NOTHING` on both backends: the building block of every
idempotent write here (a resend inserts nothing, whoever wins a race)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignore(conn: Connection, table: Table, values: dict[str, Any],
                  keys: Sequence[str]) -> bool:
    """Insert one row unless its key exists; True when it was inserted.

    RETURNING tells, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT.
    """
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    # Every key starts with the hall (tables.hall_column), whose value the column's
    # default gives: the conflict target must name it to match the key.
    target = ["hall", *keys] if "hall" in table.c and "hall" not in keys else list(keys)
    stmt = (dialect.insert(table).values(**values)
            .on_conflict_do_nothing(index_elements=target)
            .returning(*(table.c[k] for k in keys)))
    return conn.execute(stmt).first() is not None
