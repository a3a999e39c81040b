"""Engines for SQLite (embedded default) and PostgreSQL, and running the migrations."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

from queue_server.store.tables import HALL_OPTION, halls

MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """`postgresql://…` means psycopg 3 here; SQLAlchemy would otherwise pick psycopg2."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, *, schema: str | None = None) -> Engine:
    """`hide_parameters`: an error's text (and so any traceback logged) never quotes the
    values of a statement, which are token and ID-number hashes."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # WAL lets readers (a `hallq token issue`, a report) run beside the server;
            # NORMAL keeps every commit durable against a process crash at a fraction of
            # FULL's fsync cost (queueing.md: ~12,500 vs ~3,300 issues/s).
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    connect_args = {"options": f"-csearch_path={schema}"} if schema else {}
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                         connect_args=connect_args, hide_parameters=True)


def migrate(engine: Engine, hall: str | None = None, name: str = "", *,
            strict: bool = False) -> None:
    """Bring the schema to the newest revision (a no-op when it is there), then bind the
    engine to its hall (`bind_hall`).

    `hall` is the layout's code: migration 0008 stamps it on the rows that were there
    before halls had codes, and a fresh database records it. Once recorded, the
    database's code is the one bound; `strict` (the server) refuses a layout naming
    another (`HallMismatch`), where a command run without `--layout` falls back to the
    default layout's code and must not be refused for it.
    """
    # Alembic (with Mako and Pygments) costs about half a second to import: a restart on a
    # database already at the newest revision, the common case after a power cut, skips it.
    current = current_revision(engine)
    if current is None and _empty_sqlite(engine):
        create_newest(engine)
    elif current != head_revision():
        _alembic(engine, lambda cfg: _command().upgrade(cfg, "head"), hall)
    bind_hall(engine, hall, name, strict=strict)


def _empty_sqlite(engine: Engine) -> bool:
    if engine.dialect.name != "sqlite":
        return False
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                                    ).scalar_one() == 0


def create_newest(engine: Engine) -> None:
    """A new SQLite database straight at the newest schema, stamped as migrated: Alembic's
    "building an up to date database from scratch" recipe. Running the sixteen migrations
    instead, each rebuilding tables in SQLite's batch mode, took 0.55 s of a hall's first
    start; tests/cases/test_migration.py checks both roads build the same schema."""
    from queue_server.store.tables import APPEND_ONLY, metadata, sqlite_append_only

    with engine.begin() as conn:
        metadata.create_all(conn)
        for table in APPEND_ONLY:
            for trigger in sqlite_append_only(table):
                conn.exec_driver_sql(trigger)
        # The table Alembic itself would create, in its own shape.
        conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                             "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))")
        conn.exec_driver_sql("INSERT INTO alembic_version (version_num) VALUES (?)",
                             (head_revision(),))


@cache
def head_revision() -> str:
    """The newest migration's revision, read from the files (a single line of history)."""
    revisions: dict[str, str | None] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        rev = re.search(r'^revision\s*=\s*"([^"]+)"', text, re.M)
        down = re.search(r'^down_revision\s*=\s*(?:"([^"]+)"|None)', text, re.M)
        if rev and down:
            revisions[rev.group(1)] = down.group(1)
    heads = set(revisions) - {d for d in revisions.values() if d}
    if len(heads) != 1:
        raise RuntimeError(f"migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    """The revision alembic recorded in this database; None before the first migration."""
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    except DBAPIError:  # no alembic_version table yet
        return None
    return rows[0][0] if len(rows) == 1 else None


def _command():  # type: ignore[no-untyped-def]
    from alembic import command

    return command


def upgrade(engine: Engine, revision: str, hall: str | None = None) -> None:
    """Bring the schema up to `revision` only (tests building an older database)."""
    _alembic(engine, lambda cfg: _command().upgrade(cfg, revision), hall)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to `revision` (tests, and an operator undoing an upgrade)."""
    _alembic(engine, lambda cfg: _command().downgrade(cfg, revision), None)


def _alembic(engine: Engine, run: Callable[[Config], None], hall: str | None) -> None:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["hall"] = hall
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            # Rebuilding a table (SQLite's way to change a key) drops and renames it;
            # with foreign keys enforced that would trip on the children of the old one.
            # PRAGMA foreign_keys only takes effect outside a transaction.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                run(cfg)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"foreign keys broken by a migration: {broken[:5]}")
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


class HallMismatch(Exception):
    """The layout's hall code is not the one this database was recorded for."""

    def __init__(self, recorded: str, layout: str) -> None:
        self.recorded, self.layout = recorded, layout
        super().__init__(
            f"此数据库属于大厅 {recorded}，布局的大厅代码却是 {layout}：请核对 [hall] code 或 "
            f"--db/--data / this database belongs to hall {recorded} but the layout's hall "
            f"code is {layout}: check [hall] code or --db/--data")


def bind_hall(engine: Engine, hall: str | None, name: str = "", *, strict: bool = False
              ) -> str | None:
    """Record the hall's code in the database the first time, and set it on the engine so
    that every insert through it stamps its rows with it (tables.hall_column).

    Returns the code bound, or None when neither the caller nor the database knows one
    (a fresh database opened by a command without a layout: it can read, not write).
    """
    with engine.begin() as conn:
        recorded = conn.execute(select(halls.c.hall).order_by(halls.c.recorded_at)).scalars().all()
        if hall is None:
            if len(recorded) != 1:
                return None
            hall = recorded[0]
        elif not recorded:
            conn.execute(insert(halls).values(hall=hall, name=name,
                                              recorded_at=datetime.now(UTC)))
        elif hall not in recorded:
            if strict:
                raise HallMismatch(recorded[0], hall)
            hall = recorded[0]
    engine.update_execution_options(**{HALL_OPTION: hall})
    return hall

