"""The writes of every ticket operation, compiled once and handed to SQLite's driver.

Through `Connection.execute`, SQLAlchemy looks the statement up in its compiled cache,
builds each row's parameters and runs each value's type processor inside its own
machinery: at 17 requests to a batch that cost about as much as SQLite's own work for
the rows (docs/performance.md). Here a statement is compiled once per set of columns, its
type processors are taken from the compiled form, and the rows go to the driver's
`executemany` as tuples: the same SQL and the same stored values (a test compares them
with SQLAlchemy's on every column), at a fraction of the cost.

Only SQLite: PostgreSQL's commit waits for the disk, so its time is elsewhere, and every
other write keeps SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import UpdateBase

from queue_server.store.tables import hall_code

Processor = Callable[[Any], Any] | None


class Prepared:
    """One DML statement for one set of parameter names, ready for the driver."""

    def __init__(self, stmt: UpdateBase, conn: Connection, keys: Sequence[str]) -> None:
        compiled = stmt.compile(dialect=conn.dialect, column_keys=list(keys))
        if compiled.positiontup is None:
            raise ValueError("a positional parameter style (SQLite's qmark) is needed")
        self.sql = str(compiled)
        self.names = tuple(compiled.positiontup)
        missing = set(self.names) - set(keys)
        if missing:  # a default SQLAlchemy would compute, which rows here must carry
            raise ValueError(f"rows lack {sorted(missing)}")
        self.pairs: tuple[tuple[str, Processor], ...] = tuple(
            (n, compiled.binds[n].type.dialect_impl(conn.dialect).bind_processor(conn.dialect))
            for n in self.names)

    def run(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
        """Execute once per row in one call; the number of rows the statement changed."""
        pairs = self.pairs
        params = [tuple(row[n] if p is None else p(row[n]) for n, p in pairs) for row in rows]
        dbapi = conn.dialect.loaded_dbapi
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(self.sql, params)
            return int(cursor.rowcount)
        except dbapi.Error as exc:
            # As SQLAlchemy raises it (IntegrityError, OperationalError…): callers catch
            # those, and the values stay out of the message as everywhere (hide_parameters).
            raise DBAPIError.instance(self.sql, None, exc, dbapi.Error, hide_parameters=True,
                                      dialect=conn.dialect, ismulti=True) from exc
        finally:
            cursor.close()


class Statements:
    """Prepared forms of a few statements, by name and parameter names, for one backend."""

    def __init__(self, statements: dict[str, UpdateBase]) -> None:
        self.statements = statements
        self._prepared: dict[tuple[str, tuple[str, ...]], Prepared] = {}

    @staticmethod
    def usable(conn: Connection) -> bool:
        return conn.dialect.name == "sqlite"

    def run(self, conn: Connection, name: str, rows: Sequence[dict[str, Any]]) -> int:
        keys = tuple(rows[0])
        prepared = self._prepared.get((name, keys))
        if prepared is None:
            prepared = self._prepared[name, keys] = Prepared(self.statements[name], conn, keys)
        return prepared.run(conn, rows)


def hall_of(conn: Connection) -> str:
    """The hall code the engine was bound to (store.db.bind_hall), as inserts stamp it."""
    return hall_code(conn.get_execution_options())
