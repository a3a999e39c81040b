"""Every row says which hall it belongs to (migration 0008), on SQLite and PostgreSQL.

A database made at 0007, with rows in every table, is migrated with the layout's hall
code: every row carries it, nothing is lost, the append-only logs and foreign keys still
hold, and the hall serves on. Every key starts with `hall`, so a centre's database can
hold two halls' rows with the same numbers side by side.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import inspect

from queue_server.store.db import HallMismatch, make_engine, migrate, upgrade
from queue_server.store.tables import HALL_OPTION, HallUnknown, archive_audit, metadata, tickets
from tests.server.conftest import AppFactory

DAY = date(2026, 11, 23)  # the clock fixture's business day
AT = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)


def _filler(col: sa.Column[Any]) -> Any:
    t = col.type
    if isinstance(t, sa.Boolean):
        return False
    if isinstance(t, sa.Integer | sa.Numeric):
        return 1
    if isinstance(t, sa.DateTime):
        return AT
    if isinstance(t, sa.Date):
        return DAY
    if isinstance(t, sa.JSON):
        return {}
    return "x"


def _rows() -> dict[str, list[dict[str, Any]]]:
    """A hall's data as 0007 kept it: parents and children agree, so the foreign keys do."""
    t = {"day": DAY, "business": "transfer", "origin_business": "transfer",
         "status": "waiting", "priority": "normal", "issued_at": AT, "queued_at": AT,
         "channel": "kiosk"}
    return {
        "tickets": [{"id": "t1", "number": "A001", "seq": 1, "request_key": "k:1", **t},
                    {"id": "t2", "number": "A002", "seq": 2, "request_key": "k:2", **t}],
        "events": [{"seq": 1, "type": "ticket_issued", "ticket_id": "t1", "data": {}},
                   {"seq": 2, "type": "ticket_issued", "ticket_id": "t2", "data": {}}],
        "windows": [{"number": 1, "day": DAY, "zone": "front", "businesses": ["transfer"],
                     "status": "open", "kind": "front", "green_channel": False, "label": ""}],
        "tokens": [{"id": "tk1", "token_hash": "h1", "role": "admin"}],
        "day_reports": [{"day": date(2026, 11, 20)}],
        "cases": [{"case_no": "C1", "hall": "衡阳市不动产登记中心", "due_date": DAY}],
        "case_applicants": [{"case_no": "C1", "idx": 0}],
        "case_steps": [{"case_no": "C1", "seq": 1}],
        "units": [{"unit_no": "U1"}],
        "unit_holders": [{"unit_no": "U1", "idx": 0}],
        "archive_audit": [{}, {}],
        "notify_outbox": [{"id": "n1"}],
        "ticket_watch": [{"ticket_id": "t1"}],
        "staff": [{"number": "1001"}],
        "evaluations": [{"id": "e1", "ticket_id": "t1", "service_seq": 2}],
        "work_orders": [{"id": "w1", "evaluation_id": "e1"}],
        "work_order_steps": [{"order_id": "w1", "seq": 1}],
        "callback_draws": [{"month": "2026-10"}],
        "callback_calls": [{"month": "2026-10", "ticket_id": "t0"}],
        "callback_outcomes": [{"month": "2026-10", "ticket_id": "t0"}],
        "callback_reveals": [{"month": "2026-10", "ticket_id": "t0"}],
        "report_days": [{"day": date(2026, 11, 20), "by": "all", "key": "all"}],
    }


def _made_at_0007(url: str) -> sa.Engine:
    engine = make_engine(url)
    upgrade(engine, "0007")
    old = sa.MetaData()
    old.reflect(engine)
    with engine.begin() as conn:
        for name, rows in _rows().items():
            table = old.tables[name]
            # The logs' seq is the database's to number, as 0007 did.
            numbered = name in ("archive_audit", "callback_outcomes", "callback_reveals")
            full = [{c.name: _filler(c) for c in table.columns
                     if not c.nullable and not (numbered and c.name == "seq")} | r
                    for r in rows]
            conn.execute(table.insert(), full)
    return engine


def _counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {name: conn.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one()
                for name in _rows()}


def test_rows_made_at_0007_get_the_layouts_code_and_the_hall_serves_on(
        db_url: str, make_app: AppFactory):
    engine = _made_at_0007(db_url)
    before = _counts(engine)
    # Without a code the rows already there cannot be stamped: refused, nothing changed.
    with pytest.raises(RuntimeError, match="迁移 0008 要给已有的记录写上大厅代码"):
        migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0007"
    migrate(engine, "MINI")  # the code of tests/fixtures/mini.toml, which make_app serves
    assert _counts(engine) == before
    with engine.connect() as conn:
        for name in _rows():
            halls = conn.execute(sa.text(f"SELECT DISTINCT hall FROM {name}")).scalars().all()
            assert halls == ["MINI"], name
        case = conn.execute(sa.text("SELECT accepted_hall FROM cases")).scalar_one()
        assert case == "衡阳市不动产登记中心"  # the back office's name kept, under its new name
        assert conn.execute(sa.text("SELECT hall FROM halls")).scalars().all() == ["MINI"]
    # The append-only logs stay append-only, the foreign keys still bind.
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("UPDATE archive_audit SET actor = 'rewritten'"))
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO case_steps (hall, case_no, seq, step, at, note, "
                             "reason, received_at) VALUES ('MINI', 'NOSUCH', 1, 'x', "
                             ":at, '', '', :at)"), {"at": AT})
    # A new audit line follows the old ones, stamped with the hall like every insert.
    with engine.begin() as conn:
        conn.execute(archive_audit.insert().values(at=AT, actor="a", token_id="t", role="r",
                                                   query="id", outcome="none"))
        new = conn.execute(sa.select(archive_audit.c.hall, archive_audit.c.seq)
                           .order_by(archive_audit.c.seq.desc())).first()
    assert tuple(new) == ("MINI", 3)
    engine.dispose()
    # The hall starts on the migrated data and serves the tickets it had.
    h = make_app()
    with TestClient(h.app) as client:
        queue = client.get("/api/v1/tickets?status=waiting", headers=h.headers("guide"))
        assert queue.status_code == 200, queue.text
        assert {t["number"] for t in queue.json()} >= {"A001", "A002"}
        info = client.get("/api/v1/hall", headers=h.headers("display")).json()
        assert info["code"] == "MINI"


def test_a_server_is_refused_a_database_of_another_hall(db_url: str, make_app: AppFactory):
    engine = make_engine(db_url)
    migrate(engine, "HY01")
    engine.dispose()
    with pytest.raises(HallMismatch, match="此数据库属于大厅 HY01，布局的大厅代码却是 MINI"):
        make_app()


def test_every_key_starts_with_the_hall_so_a_centre_can_hold_many_halls(db_url: str):
    engine = make_engine(db_url)
    migrate(engine, "HY01")
    insp = inspect(engine)
    for name in metadata.tables:
        assert insp.get_pk_constraint(name)["constrained_columns"][0] == "hall", name
        hall = next(c for c in insp.get_columns(name) if c["name"] == "hall")
        assert not hall["nullable"], name
        for u in insp.get_unique_constraints(name):
            assert u["column_names"][0] == "hall", (name, u)
        for ix in insp.get_indexes(name):
            assert not ix["unique"] or ix["column_names"][0] == "hall", (name, ix)
        for fk in insp.get_foreign_keys(name):
            assert fk["constrained_columns"][0] == fk["referred_columns"][0] == "hall"
    # Two halls' tickets with the same id and number on the same day, side by side.
    row = {"id": "t1", "day": DAY, "number": "A001", "seq": 1, "business": "transfer",
           "origin_business": "transfer", "status": "waiting", "priority": "normal",
           "issued_at": AT, "queued_at": AT}
    other = engine.execution_options(**{HALL_OPTION: "HY02"})
    with engine.begin() as conn:
        conn.execute(tickets.insert().values(**row))
    with other.begin() as conn:
        conn.execute(tickets.insert().values(**row))
    with engine.connect() as conn:
        halls = conn.execute(sa.select(tickets.c.hall).order_by(tickets.c.hall)).scalars().all()
    assert halls == ["HY01", "HY02"]
    # Within one hall the key still holds.
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(tickets.insert().values(**row))
    engine.dispose()


def test_an_engine_never_told_its_hall_writes_nothing(db_url: str):
    engine = make_engine(db_url)
    migrate(engine)  # a fresh database and no layout: nothing to bind to
    with pytest.raises(sa.exc.StatementError) as err, engine.begin() as conn:
        conn.execute(archive_audit.insert().values(at=AT, actor="a", token_id="t", role="r",
                                                   query="id", outcome="none"))
    assert isinstance(err.value.orig, HallUnknown)
    engine.dispose()
