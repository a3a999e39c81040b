"""Two county halls and the city centre on three real PostgreSQL clusters: the centre
gets every row once, personal data stays at the halls, a centre or hall that goes away
catches up. The tests run in order and share the clusters (conftest.network)."""

from __future__ import annotations

import contextlib
import io
import json

import pytest
from sqlalchemy import Engine, create_engine, select, text

from hallq.cli import main
from queue_server.centre.replication import add_hall, publication_tables, remove_hall
from queue_server.centre.travel import LEFT_BEHIND, published_tables, travelling_columns
from queue_server.store.db import normalise_url
from queue_server.store.tables import events, tickets
from tests.centre.conftest import CountyHall, Network, wait_for

pytestmark = pytest.mark.postgres


def centre_engine(net: Network) -> Engine:
    return create_engine(normalise_url(net.centre_url))


def rows(engine: Engine, hall: str) -> list[tuple]:
    """Each ticket's travelling facts, as the hall or the centre holds them."""
    t = tickets.c
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(t.hall, t.id, t.number, t.status, t.business, t.issued_at, t.called_at,
                   t.finished_at).where(t.hall == hall).order_by(t.id))]


def event_seqs(engine: Engine, hall: str) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(events.c.seq).where(events.c.hall == hall)
                                 .order_by(events.c.seq)).scalars())


def caught_up(net: Network, centre: Engine) -> bool:
    return all(rows(centre, h.code) == rows(h.engine, h.code)
               and event_seqs(centre, h.code) == event_seqs(h.engine, h.code)
               for h in net.halls.values())


def first_copy_done(centre: Engine) -> bool:
    with centre.connect() as conn:
        subs, waiting = conn.execute(text(
            "SELECT (SELECT count(*) FROM pg_subscription WHERE starts_with(subname, "
            "'hallq_')), (SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r')"
        )).one()
    return bool(subs) and waiting == 0


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_add_halls_copies_what_was_there_and_streams_the_rest(network: Network) -> None:
    hy, ly = network.halls["HY01"], network.halls["LY02"]
    hy.issue(12)
    ly.issue(9)  # before joining: the subscription's first copy brings them
    code, out, err = cli("centre", "add-hall", "HY01", "--hall-db", hy.url,
                         "--centre-db", network.centre_url)
    assert code == 0, err
    assert "HY01" in out and "4GB" in out
    add_hall("LY02", ly.url, network.centre_url, wal_keep="2GB")
    with hy.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW max_slot_wal_keep_size").scalar() == "4GB"
    hy.issue(5)
    hy.serve_some(4)
    ly.issue(7)
    centre = centre_engine(network)
    # The first copy is done when every table of both subscriptions is ready: how long it
    # takes depends on the machine's load, so this waits on that state, not on a clock.
    wait_for(lambda: first_copy_done(centre), "both halls' first copy", timeout=120)
    wait_for(lambda: caught_up(network, centre), "the centre holds both halls' rows")
    with centre.connect() as conn:
        # Every row exactly once: the keys are (hall, id), so count by id alone too.
        assert conn.execute(text("SELECT count(*), count(DISTINCT id) FROM tickets")).one() \
            == (hy.issued + ly.issued, hy.issued + ly.issued)
        served = conn.execute(text("SELECT count(*) FROM tickets WHERE hall = 'HY01' AND "
                                   "status = 'done'")).scalar()
        assert served == 4
        assert set(conn.execute(text("SELECT hall FROM halls")).scalars()) == {"HY01", "LY02"}
    centre.dispose()


def test_personal_data_stays_at_the_hall(network: Network) -> None:
    hy = network.halls["HY01"]
    with hy.engine.connect() as conn:
        at_hall = conn.execute(text("SELECT count(*) FROM tickets WHERE id_hash IS NOT NULL "
                                    "AND name_masked IS NOT NULL")).scalar()
        assert at_hall and at_hall >= 5  # the hall holds them
        assert conn.execute(text("SELECT count(*) FROM events WHERE data IS NOT NULL")).scalar()
    centre = centre_engine(network)
    with centre.connect() as conn:
        for table in published_tables():
            for column in LEFT_BEHIND[table.name]:
                filled = conn.execute(text(f'SELECT count(*) FROM {table.name} '
                                           f'WHERE "{column}" IS NOT NULL')).scalar()
                assert filled == 0, f"{table.name}.{column} travelled"
        # Named here, not only through LEFT_BEHIND: a column dropped from it must fail.
        for table, column in (("tickets", "id_hash"), ("tickets", "name_masked"),
                              ("tickets", "id_masked"), ("events", "data")):
            assert conn.execute(text(f"SELECT count(*) FROM {table} WHERE {column} IS NOT "
                                     "NULL")).scalar() == 0
        # Tables kept at the hall as a whole are not even published.
        assert conn.execute(text("SELECT count(*) FROM tokens")).scalar() == 0
    centre.dispose()
    with hy.engine.connect() as conn:
        published = set(conn.execute(text(
            "SELECT tablename FROM pg_publication_tables WHERE pubname = 'hallq_hy01'"
        )).scalars())
    assert published == {t.name for t in published_tables()}
    assert "tokens" not in published and "ticket_watch" not in published


def test_centre_away_catches_up_with_nothing_lost_or_doubled(network: Network) -> None:
    hy, ly = network.halls["HY01"], network.halls["LY02"]
    network.centre.stop()
    # The halls go on exactly as before while the centre is away.
    hy.issue(30)
    hy.serve_some(10)
    ly.issue(25)
    ly.serve_some(5)
    network.centre.start()
    centre = centre_engine(network)
    wait_for(lambda: caught_up(network, centre), "the centre catches up after its restart",
             timeout=30)
    with centre.connect() as conn:
        total = conn.execute(text("SELECT count(*), count(DISTINCT (hall, id)) FROM tickets")
                             ).one()
    assert total == (hy.issued + ly.issued, hy.issued + ly.issued)
    centre.dispose()


def test_hall_restarted_mid_stream(network: Network) -> None:
    hy = network.halls["HY01"]
    hy.issue(10)
    hy.cluster.stop()  # the hall's database restarts between two requests
    hy.cluster.start()
    hy.issue(10)  # the hall's pool reconnects (pre-ping)
    hy.serve_some(3)
    centre = centre_engine(network)
    wait_for(lambda: caught_up(network, centre), "the centre follows the restarted hall",
             timeout=30)
    centre.dispose()


def test_a_hall_that_is_down_shows_as_behind_not_empty(network: Network) -> None:
    ly = network.halls["LY02"]
    ly.cluster.stop()
    try:
        code, out, err = cli("centre", "status", "--centre-db", network.centre_url, "--json",
                             "--at", "2026-11-23T08:00:00+00:00")
        assert code == 0, err
        halls = {h["code"]: h for h in json.loads(out)["halls"]}
        assert halls["LY02"]["hall_reachable"] is False
        assert halls["LY02"]["lag_bytes"] is None
        assert halls["LY02"]["tickets_today"] == ly.issued  # what arrived stays shown
        assert halls["HY01"]["hall_reachable"] is True
        code, out, _ = cli("centre", "migrate", "--centre-db", network.centre_url)
        assert code == 1 and "LY02" in out and "unreachable" in out
    finally:
        ly.cluster.start()


def test_migrate_brings_new_column_lists_to_the_publications(network: Network) -> None:
    hy = network.halls["HY01"]

    def older(t):  # type: ignore[no-untyped-def]
        # As a publication made before a (nullable) column existed would list them.
        return [c for c in travelling_columns(t) if (t.name, c) != ("tickets", "called_at")]

    def issue_and_call() -> str:
        t = hy.hall.issue("second_hand", actor="kiosk:test")  # window 1 serves it
        hy.issued += 1
        hy.ids.append(t.id)
        hy.hall.clock.advance(seconds=30)  # type: ignore[attr-defined]
        hy.hall.call_ticket(1, t.id, actor="window:1", acting_window=1)
        return t.id

    def finish(ticket_id: str) -> None:
        hy.hall.act("start", ticket_id, actor="window:1", acting_window=1)
        hy.hall.act("complete", ticket_id, actor="window:1", acting_window=1)

    with hy.engine.connect() as conn:
        conn.exec_driver_sql(f"ALTER PUBLICATION hallq_hy01 SET TABLE "
                             f"{publication_tables('HY01', older)}")
        conn.commit()
    before = issue_and_call()
    centre = centre_engine(network)
    called = select(tickets.c.status, tickets.c.called_at).where(tickets.c.id == before)
    wait_for(lambda: centre.connect().execute(called).one()[0] == "called",
             "the older lists still replicate")
    with centre.connect() as conn:
        assert conn.execute(called).one()[1] is None  # not in the older list
    code, out, err = cli("centre", "migrate", "--centre-db", network.centre_url)
    assert code == 0, out + err
    assert "HY01" in out and "refreshed" in out
    # A row changed after the refresh carries the column, old or new.
    finish(before)
    after = issue_and_call()
    called = select(tickets.c.called_at).where(tickets.c.id == after)
    wait_for(lambda: centre.connect().execute(called).scalar() is not None,
             "the new list carries called_at")
    finish(after)
    wait_for(lambda: caught_up(network, centre), "caught up, `before` with its called_at")
    centre.dispose()


def test_status_lists_each_hall_with_lag_and_last_event(network: Network) -> None:
    centre = centre_engine(network)
    wait_for(lambda: caught_up(network, centre), "caught up")
    centre.dispose()
    # The halls' clock says 2026-11-23; the centre's figures are asked as of that day.
    code, out, err = cli("centre", "status", "--centre-db", network.centre_url, "--json",
                         "--at", "2026-11-23T08:00:00+00:00")
    assert code == 0, err
    halls = {h["code"]: h for h in json.loads(out)["halls"]}
    assert set(halls) == {"HY01", "LY02"}
    for c, h in halls.items():
        assert h["state"] in ("streaming", "catching_up"), h
        assert h["tickets_today"] == network.halls[c].issued
        assert h["hall_reachable"] and h["wal_status"] == "reserved"
        assert h["lag_bytes"] is not None and h["lag_bytes"] >= 0
        assert h["last_event_at"].startswith("2026-11-23")
    code, out, _ = cli("centre", "list", "--centre-db", network.centre_url)
    assert code == 0 and "HY01" in out and "LY02" in out


def test_figures_per_hall_and_city_wide(network: Network) -> None:
    code, out, err = cli("centre", "figures", "--centre-db", network.centre_url, "--json",
                         "--day", "2026-11-23")
    assert code == 0, err
    figures = json.loads(out)
    for c, h in network.halls.items():
        with h.engine.connect() as conn:
            done = conn.execute(text("SELECT count(*) FROM tickets WHERE status = 'done'")
                                ).scalar()
        mine = figures["halls"][c]
        assert sum(f["issued"] for f in mine.values()) == h.issued
        assert sum(f["served"] for f in mine.values()) == done
        assert all(f["mean_wait_min"] is None or f["mean_wait_min"] >= 0
                   for f in mine.values())
    city = figures["city"]
    for business, f in city.items():
        assert f["issued"] == sum(figures["halls"][c].get(business, {"issued": 0})["issued"]
                                  for c in network.halls)
    code, out, _ = cli("centre", "figures", "--centre-db", network.centre_url, "--day",
                       "2026-11-23")
    assert code == 0 and "全市 city" in out and "second_hand" in out
    code, _, err = cli("centre", "figures", "--centre-db", network.centre_url, "--day", "23/11")
    assert code == 2 and "YYYY-MM-DD" in err


def test_check_names_quiet_halls(network: Network) -> None:
    args = ("centre", "check", "--centre-db", network.centre_url, "--hours", "08:30-17:30")
    last = max(datetime_of(h) for h in network.halls.values())
    # Minutes after the last event, within open hours: all is well.
    code, out, _ = cli(*args, "--quiet-minutes", "30", "--at", last)
    assert code == 0, out
    # Two hours later on the same working day: both halls have gone quiet.
    code, out, _ = cli(*args, "--quiet-minutes", "30", "--at", "2026-11-23T07:30:00+00:00")
    assert code == 1
    assert "HY01" in out and "LY02" in out and "should be open" in out
    # At night nobody is expected to send anything.
    code, out, _ = cli(*args, "--quiet-minutes", "30", "--at", "2026-11-23T14:00:00+00:00")
    assert code == 0, out
    code, _, err = cli(*args, "--quiet-minutes", "0")
    assert code == 2 and "/" in err


def datetime_of(h: CountyHall) -> str:
    return h.hall.clock().isoformat()  # type: ignore[no-any-return]


def test_remove_keeps_rows_unless_purged_and_a_hall_can_join_again(network: Network) -> None:
    ly = network.halls["LY02"]
    code, out, err = cli("centre", "remove-hall", "LY02", "--centre-db", network.centre_url)
    assert code == 0, err
    assert "stay" in out
    with ly.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM pg_replication_slots")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM pg_publication")).scalar() == 0
    centre = centre_engine(network)
    assert len(rows(centre, "LY02")) == ly.issued  # kept
    # Joining again over the kept rows would copy them twice: refused.
    code, _, err = cli("centre", "add-hall", "LY02", "--hall-db", ly.url,
                       "--centre-db", network.centre_url)
    assert code == 1 and "--purge" in err
    with ly.engine.connect() as conn:  # the refused add left its publication; add reuses it
        assert conn.execute(text("SELECT count(*) FROM pg_replication_slots")).scalar() == 0
    done = remove_hall("LY02", network.centre_url, hall_url=ly.url, purge=True)
    assert done.purged_rows and done.purged_rows > ly.issued
    assert rows(centre, "LY02") == []
    ly.issue(3)
    add_hall("LY02", ly.url, network.centre_url)
    wait_for(lambda: first_copy_done(centre), "LY02's first copy again", timeout=120)
    wait_for(lambda: caught_up(network, centre), "LY02 copied again after the purge")
    centre.dispose()


def test_bad_input_is_refused_with_a_message(network: Network) -> None:
    code, _, err = cli("centre", "add-hall", "hy-01", "--hall-db", network.halls["HY01"].url,
                       "--centre-db", network.centre_url)
    assert code == 1 and "大厅代码" in err and "hall code" in err
    code, _, err = cli("centre", "add-hall", "XS09", "--hall-db", "sqlite:///x.db",
                       "--centre-db", network.centre_url)
    assert code == 1 and "PostgreSQL" in err
    code, _, err = cli("centre", "add-hall", "LY02", "--hall-db", network.halls["HY01"].url,
                       "--centre-db", network.centre_url)
    assert code == 1 and "belongs to hall HY01" in err
    code, _, err = cli("centre", "remove-hall", "ZZ99", "--centre-db", network.centre_url)
    assert code == 1 and "no subscription" in err
