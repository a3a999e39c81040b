"""Migration 0002 on SQLite and PostgreSQL: it builds what tables.py declares, and it
goes down and up again cleanly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from queue_server.store.db import MIGRATIONS, make_engine, migrate
from queue_server.store.tables import metadata

OURS = {"cases", "case_applicants", "case_steps", "units", "unit_holders", "archive_audit",
        "notify_outbox", "ticket_watch"}


def _table_of(diff: tuple) -> str | None:
    for part in diff[1:]:
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None:
            return table.name
        if isinstance(part, str) and part in OURS:
            return part
        if name in OURS:
            return name
    return None


def test_the_migration_matches_the_declared_tables(db_url: str):
    engine = make_engine(db_url)
    migrate(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    flat = [d for group in diffs for d in (group if isinstance(group, list) else [group])]
    ours = [d for d in flat if _table_of(d) in OURS]
    assert ours == []
    assert set(inspect(engine).get_table_names()) >= OURS
    engine.dispose()


def test_down_and_up_again(db_url: str):
    engine = make_engine(db_url)
    migrate(engine)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    assert not OURS & set(inspect(engine).get_table_names())
    migrate(engine)
    assert set(inspect(engine).get_table_names()) >= OURS
    engine.dispose()
