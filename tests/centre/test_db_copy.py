"""`hallq db copy --to URL`: a SQLite hall moved into an empty PostgreSQL database, verified,
and the hall going on there; a non-empty target or a running server refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from queue_server.hall import Hall
from queue_server.security import issue_token
from queue_server.store.db import make_engine, migrate
from queue_server.store.repository import Store
from queue_server.store.tables import metadata, tickets, token_audit
from queue_server.store.writer_lock import WriterLock
from tests.centre.conftest import CountyHall, Network, layout_for
from tests.centre.test_replication import cli
from tests.conftest import Clock

pytestmark = pytest.mark.postgres


def sqlite_hall(tmp_path: Path, clock: Clock) -> CountyHall:
    url = f"sqlite:///{tmp_path / 'var' / 'hallq.db'}"
    engine = make_engine(url)
    migrate(engine, "XS01")
    hall = Hall(layout_for("XS01"), Store(engine), b"k" * 32, clock=clock)
    h = CountyHall("XS01", None, url, engine, hall)  # type: ignore[arg-type]
    h.issue(40)
    h.serve_some(12)
    issue_token(hall.store, "kiosk", name="kiosk-1")
    issue_token(hall.store, "guide", name="guide-1")
    return h


def counts(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in metadata.sorted_tables}


def test_copy_moves_every_row_and_the_hall_goes_on(network: Network, tmp_path: Path,
                                                   clock: Clock) -> None:
    h = sqlite_hall(tmp_path, clock)
    before = counts(h.engine)
    h.engine.dispose()
    target = network.centre.create_db("copied")
    code, out, err = cli("db", "copy", "--to", target, "--data", str(tmp_path / "var"))
    assert code == 0, err
    assert re.search(r"tickets\s+40\b", out) and "counts equal" in out
    pg = make_engine(target)
    assert counts(pg) == before
    assert before["tickets"] == 40 and before["events"] > 40 and before["token_audit"] == 2
    sqlite = make_engine(h.url)
    with sqlite.connect() as a, pg.connect() as b:
        q = select(tickets).order_by(tickets.c.id)
        assert [tuple(r) for r in a.execute(q)] == [tuple(r) for r in b.execute(q)]
    sqlite.dispose()
    # The hall starts on PostgreSQL: same code, its numbers go on, its logs too.
    migrate(pg, "XS01", strict=True)
    hall = Hall(layout_for("XS01"), Store(pg), b"k" * 32, clock=clock)
    clock.advance(minutes=5)
    t = hall.issue("second_hand", actor="kiosk:test")
    with pg.connect() as conn:
        numbers = conn.execute(select(tickets.c.number).where(
            tickets.c.business == "second_hand")).scalars().all()
    assert len(set(numbers)) == len(numbers) and t.number in numbers
    issue_token(hall.store, "display", name="screen")  # token_audit numbered past the copy
    with pg.connect() as conn:
        seqs = conn.execute(select(token_audit.c.seq).order_by(token_audit.c.seq)).scalars().all()
    assert seqs == [1, 2, 3]
    pg.dispose()

    # Copying again into the same database: refused, nothing changed.
    code, _, err = cli("db", "copy", "--to", target, "--data", str(tmp_path / "var"))
    assert code == 1 and "不为空" in err and "not empty" in err
    pg = make_engine(target)
    with pg.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tickets")).scalar() == 41
    pg.dispose()


def test_copy_refuses_while_the_server_runs_and_a_non_postgres_target(
        network: Network, tmp_path: Path, clock: Clock) -> None:
    h = sqlite_hall(tmp_path, clock)
    h.engine.dispose()
    target = network.centre.create_db("copied_refused")
    lock = WriterLock(tmp_path / "var", h.url, "XS01")
    lock.acquire()
    try:
        code, _, err = cli("db", "copy", "--to", target, "--data", str(tmp_path / "var"))
    finally:
        lock.release()
    assert code == 1 and "another hallq serve" in err
    pg = make_engine(target)
    with pg.connect() as conn:  # nothing was created
        assert conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
                            ).scalar() == 0
    pg.dispose()
    code, _, err = cli("db", "copy", "--to", f"sqlite:///{tmp_path / 'other.db'}",
                       "--data", str(tmp_path / "var"))
    assert code == 1 and "PostgreSQL" in err
