"""The ticket operations' writes go straight to SQLite's driver (store/prepared.py): what
they store must be, byte for byte, what SQLAlchemy would have stored.

A day of ticket operations runs on one hall; every batch it wrote is written again, through
SQLAlchemy, into a second database made the same way; the two are compared column by
column as SQLite holds them (dates and times as text, JSON as text, booleans as 0/1).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from queue_server.api.app import create_app
from queue_server.hall import Hall
from queue_server.settings import Settings
from queue_server.store import repository
from queue_server.store.prepared import Prepared, Statements
from queue_server.store.repository import ChangeBatch, StaleState
from queue_server.store.tables import tickets
from tests.server.conftest import MINI

ACTOR = "window:w1"


def _hall(tmp_path: Path, name: str, clock: Any) -> Hall:
    settings = Settings(layout_path=MINI, data_dir=tmp_path / "var", catalogue_path=None,
                        db_url=f"sqlite:///{tmp_path / name}")  # type: ignore[call-arg]
    return create_app(settings, clock=clock).state.hall


def _stored(hall: Hall, table: str) -> list[tuple[Any, ...]]:
    """Rows as SQLite keeps them: plain SQL, no type processing on the way out."""
    with hall.store.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1, 2, 3")]


def _a_day(hall: Hall) -> None:
    a = hall.issue("transfer", actor="kiosk:k1", id_number="11010519491231002X", name="张三")
    b = hall.issue("query", actor="guide:g1")
    c = hall.issue("tax", actor="kiosk:k1", journey="sale")
    d = hall.issue("query", actor="kiosk:k1")
    hall.call_next(1, actor=ACTOR, acting_window=None)  # a
    hall.act("recall", a.id, actor=ACTOR, acting_window=None)
    hall.act("park", a.id, actor=ACTOR, acting_window=None)
    hall.call_next(4, actor="window:w4", acting_window=None)  # b
    hall.act("start", b.id, actor="window:w4", acting_window=None)
    hall.act("complete", b.id, actor="window:w4", acting_window=None)
    hall.transfer(d.id, "transfer", actor="guide:g1", acting_window=None)
    # Several operations on one ticket within one transaction (group commit).
    outcomes = hall.run_many([
        lambda: hall.call_next(3, actor="window:w3", acting_window=None),
        lambda: hall.act("start", c.id, actor="window:w3", acting_window=None),
        lambda: hall.act("forward", c.id, actor="window:w3", acting_window=None),
        lambda: hall.issue("mortgage", actor="kiosk:k1"),
    ])
    assert [error for _, error in outcomes] == [None] * 4
    hall.cancel(d.id, actor="guide:g1")


def test_the_driver_path_stores_exactly_what_sqlalchemy_would(tmp_path: Path, clock: Any,
                                                              monkeypatch: pytest.MonkeyPatch):
    fast, slow = _hall(tmp_path, "fast.db", clock), _hall(tmp_path, "slow.db", clock)
    batches: list[ChangeBatch] = []
    write = fast.store.write

    def recorded(batch: ChangeBatch) -> None:
        batches.append(copy.deepcopy(batch))
        write(batch)

    fast.store.write = recorded  # type: ignore[method-assign]
    _a_day(fast)
    assert len(batches) >= 10 and any(b.updates for b in batches)

    with monkeypatch.context() as m:
        m.setattr(Statements, "usable", staticmethod(lambda conn: False))
        for batch in batches:
            slow.store.write(batch)
    for table in ("tickets", "events", "windows"):
        stored = _stored(fast, table)
        assert stored and stored == _stored(slow, table), table
    # And the values are the real ones: times as SQLAlchemy's SQLite text, JSON as JSON.
    with fast.store.engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT hall, issued_at, parked FROM tickets").first()
    assert raw is not None and raw[0] == "MINI" and raw[2] in (0, 1)
    assert isinstance(raw[1], str) and raw[1][4] == "-" and "+" not in raw[1]


def test_a_ticket_changed_by_another_process_fails_the_driver_write(tmp_path: Path,
                                                                   clock: Any):
    hall = _hall(tmp_path, "h.db", clock)
    t = hall.issue("transfer", actor="kiosk:k1")
    # A second process (by mistake) calls the ticket behind this one's back.
    with hall.store.engine.begin() as conn:
        conn.execute(sa.update(tickets).where(tickets.c.id == t.id).values(status="called"))
    with pytest.raises(StaleState):
        hall.call_next(1, actor=ACTOR, acting_window=None)
    with hall.store.engine.connect() as conn:  # nothing of the refused call was stored
        assert conn.execute(sa.select(tickets.c.window).where(tickets.c.id == t.id)
                            ).scalar_one() is None


def test_a_statement_whose_rows_lack_a_computed_default_is_refused(tmp_path: Path, clock: Any):
    hall = _hall(tmp_path, "h.db", clock)
    with hall.store.engine.connect() as conn, pytest.raises(ValueError, match="hall"):
        # Without the hall code the row would need SQLAlchemy's default: never silently.
        Prepared(repository._INSERT_EVENT, conn, ["seq", "at", "type", "actor", "ticket_id",
                                                  "window", "data", "staff"])


def test_a_call_rewrites_only_the_columns_it_changed(tmp_path: Path, clock: Any):
    """SQLite rewrites every index on a column an UPDATE sets, even to the value it had, and
    a ticket sits in eight: a call sets what the call changed, nothing else."""
    hall = _hall(tmp_path, "h.db", clock)
    hall.issue("transfer", actor="kiosk:k1", id_number="11010519491231002X", name="张三")
    statements: list[str] = []
    hall.store.engine.dispose()  # the next connection is made with the trace below

    @sa.event.listens_for(hall.store.engine, "connect")
    def _trace(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.set_trace_callback(statements.append)

    called = hall.call_next(1, actor=ACTOR, acting_window=None)
    assert called is not None
    [update] = [s for s in statements if s.startswith("UPDATE tickets")]
    assigned = update.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    columns = {part.split("=")[0].strip() for part in assigned.split(",")}
    assert columns == {"status", "window", "called_at"}, update
