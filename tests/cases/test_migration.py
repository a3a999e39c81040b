"""The migrations on SQLite and PostgreSQL: together they build exactly what tables.py
declares, every table of it, and the newest ones go down and up again cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from queue_server.store.db import MIGRATIONS, downgrade, make_engine, migrate, upgrade
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
    upgrade(engine, "head")  # the migrations themselves, not a new database's shortcut
    # Types alembic reads back differently (UTCDateTime is DateTime underneath) are not
    # compared by default; tables, columns, indexes, constraints and nullability are.
    assert _diffs(engine) == []
    assert set(inspect(engine).get_table_names()) >= set(metadata.tables)
    engine.dispose()


def _sqlite_schema(engine) -> dict:  # type: ignore[no-untyped-def]
    """Each table's columns, indexes and foreign keys as SQLite reports them."""
    out = {}
    with engine.connect() as conn:
        q = conn.exec_driver_sql
        for (table,) in q("SELECT name FROM sqlite_master WHERE type = 'table'"):
            columns = {tuple(r[1:]) for r in q(f'PRAGMA table_info("{table}")')}
            indexes = set()
            for _, name, unique, origin, partial in q(f'PRAGMA index_list("{table}")'):
                cols = tuple(r[2] for r in q(f'PRAGMA index_info("{name}")'))
                # Names differ only for SQLite's own autoindexes of a key.
                indexes.add((name if origin == "c" else origin, unique, cols, partial))
            fks = {tuple(r[2:5]) for r in q(f'PRAGMA foreign_key_list("{table}")')}
            out[table] = (columns, indexes, fks)
        # Triggers (the append-only tables'), as SQLite keeps their text.
        out["triggers"] = {(name, " ".join(sql.split())) for name, sql in q(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")}
    return out


def test_a_new_sqlite_database_is_what_the_migrations_build(tmp_path):
    """A hall's first start creates the newest schema at once (0.55 s less than running
    the migrations); it must be the very schema the migrations build, stamped at head so
    the next migration applies to it."""
    created, migrated = (make_engine(f"sqlite:///{tmp_path / n}.db") for n in ("new", "old"))
    migrate(created, "TEST")
    upgrade(migrated, "head", "TEST")
    new, old = _sqlite_schema(created), _sqlite_schema(migrated)
    assert new.keys() == old.keys() and len(new) > len(metadata.tables)
    assert len(new["triggers"]) == 10
    for table in new:
        assert new[table] == old[table], table
    with created.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one() \
            == migrated.connect().exec_driver_sql("SELECT version_num FROM alembic_version"
                                                  ).scalar_one()


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
