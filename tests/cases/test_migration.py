"""The migrations on SQLite and PostgreSQL: together they build exactly what tables.py
declares, every table of it, and the newest ones go down and up again cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from queue_server.store.db import MIGRATIONS, downgrade, make_engine, migrate
from queue_server.store.tables import metadata

CASES = {"cases", "case_applicants", "case_steps", "units", "unit_holders", "archive_audit",
         "notify_outbox", "ticket_watch"}
QUALITY = {"staff", "evaluations", "work_orders", "work_order_steps"}
CALLBACKS = {"callback_draws", "callback_calls", "callback_outcomes", "callback_reveals"}


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _diffs(engine) -> list:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    return [d for group in diffs for d in (group if isinstance(group, list) else [group])]


def test_the_migrations_build_every_declared_table(db_url: str):
    engine = make_engine(db_url)
    migrate(engine)
    # Types alembic reads back differently (UTCDateTime is DateTime underneath) are not
    # compared by default; tables, columns, indexes, constraints and nullability are.
    assert _diffs(engine) == []
    assert set(inspect(engine).get_table_names()) >= set(metadata.tables)
    engine.dispose()


def _down_to(engine, revision: str) -> None:  # type: ignore[no-untyped-def]
    downgrade(engine, revision)


def test_down_and_up_again(db_url: str):
    engine = make_engine(db_url)
    migrate(engine)
    _down_to(engine, "0005")
    names = set(inspect(engine).get_table_names())
    assert not CALLBACKS & names and names >= QUALITY
    _down_to(engine, "0004")
    names = set(inspect(engine).get_table_names())
    assert not QUALITY & names
    assert "staff" not in {c["name"] for c in inspect(engine).get_columns("events")}
    _down_to(engine, "0001")
    assert not CASES & set(inspect(engine).get_table_names())
    migrate(engine)
    assert set(inspect(engine).get_table_names()) >= CASES | QUALITY | CALLBACKS
    assert _diffs(engine) == []
    engine.dispose()


def test_the_ticket_follows_notice_column_goes_down_and_up(db_url: str):
    engine = make_engine(db_url)
    migrate(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("tickets")}
    assert "follows_notice" in columns
    _down_to(engine, "0014")
    assert "follows_notice" not in {c["name"] for c in inspect(engine).get_columns("tickets")}
    assert "ix_tickets_follows_notice" not in {
        i["name"] for i in inspect(engine).get_indexes("tickets")}
    migrate(engine)
    assert _diffs(engine) == []
    engine.dispose()
