"""Every lookup a hall makes by a key searches an index instead of reading the table.

The hall leads every key (for the centre), while a hall's own queries name the key alone;
before migration 0016 each `WHERE id = ?` read the whole table, so every call and
completion scanned the year's tickets and a hall slowed down the longer it ran.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine

from queue_server.store.db import make_engine, migrate
from queue_server.store.repository import _UPDATE_TICKET, _UPDATE_WINDOW
from queue_server.store.tables import HOT_TWINS, metadata, tokens


def _plan(engine: Engine, statement: Any, params: dict[str, Any]) -> str:
    compiled = statement.compile(dialect=engine.dialect, column_keys=list(params))
    bound = compiled.construct_params(params)
    args: Any = ([bound[k] for k in compiled.positiontup] if compiled.positiontup is not None
                 else bound)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), tuple(args)).all()
            return " | ".join(str(r[-1]) for r in rows)
        # An empty table is read whole whatever its indexes: ask what a big one would get.
        conn.exec_driver_sql("SET enable_seqscan = off")
        return " | ".join(str(r[0]) for r in conn.exec_driver_sql("EXPLAIN " + str(compiled),
                                                                  args))


@pytest.fixture
def engine(db_url: str) -> Engine:
    engine = make_engine(db_url)
    migrate(engine, "TEST")
    return engine


def test_the_hot_writes_search_their_row(engine: Engine):
    """A call and a completion update one ticket and one window, found by their key."""
    ticket = {c.name: None for c in metadata.tables["tickets"].columns if c.name not in
              ("id", "hall")} | {"w_id": "x", "w_status": "waiting", "w_business": "tax"}
    window = {c.name: None for c in metadata.tables["windows"].columns if c.name not in
              ("number", "hall")} | {"w_number": 3}
    for statement, params, index in ((_UPDATE_TICKET, ticket, "lk_tickets_id"),
                                     (_UPDATE_WINDOW, window, "lk_windows_number")):
        plan = _plan(engine, statement, params)
        assert index in plan, plan


def test_a_token_is_found_by_its_hash_without_a_scan(engine: Engine):
    statement = tokens.select().where(tokens.c.token_hash == "h", tokens.c.revoked_at.is_(None))
    plan = _plan(engine, statement, {"token_hash_1": "h"})
    assert "lk_tokens_token_hash" in plan, plan


def test_every_key_led_by_the_hall_can_be_searched_without_it(db_url: str, engine: Engine):
    """Whatever table a later issue adds, its keys are searchable by the key alone."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the plans are read on SQLite, the embedded default")
    checked = 0
    for table in metadata.tables.values():
        for key in (table.primary_key.columns, *(ix.columns for ix in table.indexes)):
            names = [c.name for c in key]
            if names[0] != "hall" or len(names) == 1:
                continue
            if table.name in HOT_TWINS and tuple(names[1:]) not in HOT_TWINS[table.name]:
                continue  # written on every ticket operation: only the twins it needs
            where = " AND ".join(f'"{n}" = ?' for n in names[1:])
            with engine.connect() as conn:
                plan = " | ".join(str(r[-1]) for r in conn.exec_driver_sql(
                    f'EXPLAIN QUERY PLAN SELECT * FROM "{table.name}" WHERE {where}',
                    tuple([None] * (len(names) - 1))).all())
            assert plan.startswith("SEARCH"), (table.name, names, plan)
            checked += 1
    assert checked > 30
