"""The monthly draw on SQLite and PostgreSQL, over a month built through the real API
(60 served visits with a phone, one of them a journey through two windows; 15 served
without a phone; two with a phone not served; one served in December)."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from queue_server.domain import callbacks as cb
from queue_server.store.tables import callback_draws, ticket_watch
from tests.callbacks.helpers import API, STAFF, Hall

NOV = "2026-11"


def test_draw_takes_five_percent_of_phone_holders_reproducibly_and_once(make_app):
    h = make_app()
    hall = Hall(h)
    month = hall.build(with_phone=60, without_phone=15)
    december = hall.next_month()
    c, manager = hall.c, hall.manager

    r = c.post(f"{API}/callbacks/{NOV}/draw", headers=manager)
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["population"] == 60 and d["share_percent"] == "5"
    assert d["sample_size"] == math.ceil(60 * 0.05) == 3
    assert len(bytes.fromhex(d["seed"])) == 16
    assert d["population_hash"] == cb.population_hash(month.with_phone)
    assert d["drawn_by"].startswith("manager:")

    listing = c.get(f"{API}/callbacks/{NOV}", headers=manager).json()
    calls = listing["calls"]
    drawn = [x["ticket_id"] for x in calls]
    assert len(drawn) == 3 and set(drawn) <= set(month.with_phone)
    assert december not in drawn and not set(drawn) & set(month.not_served)
    # An auditor's redraw: the pure function over the seed and the sorted population.
    assert drawn == cb.draw(bytes.fromhex(d["seed"]), sorted(month.with_phone),
                            cb.parse_share("5"))
    for x in calls:
        assert x["phone_masked"] == month.phones[x["ticket_id"]][:3] + "****" + \
            month.phones[x["ticket_id"]][-4:]
        assert x["window"] == month.windows[x["ticket_id"]]
        assert x["staff"] == STAFF[x["window"]] and x["staff_name"] == f"员工{x['window']}"
        assert x["business"] in ("mortgage", "query", "transfer")
        assert x["day"] == "2026-11-23" and x["outcome"] is None and x["attempts"] == 0
    assert month.phones[drawn[0]] not in r.text + str(listing)

    ok = c.get(f"{API}/callbacks/{NOV}/verify", headers=manager).json()
    assert ok["ok"] is True and ok["problems"] == []

    again = c.post(f"{API}/callbacks/{NOV}/draw", headers=h.headers("admin"))
    assert again.status_code == 409
    err = again.json()["error"]
    assert err["code"] == "callback_already_drawn" and err["message"].startswith("2026-11 的回访")
    assert c.get(f"{API}/callbacks/{NOV}", headers=manager).json()["draw"]["seed"] == d["seed"]

    engine = h.app.state.store.engine
    # The draw itself cannot be rewritten, not even by SQL through hallq's own connection.
    for statement in (sa.update(callback_draws).values(seed="0" * 32),
                      sa.delete(callback_draws)):
        with pytest.raises(DatabaseError, match="只能追加"), engine.begin() as conn:
            conn.execute(statement)
    # The population changing under the draw (a phone watch taken away) is caught.
    with engine.begin() as conn:
        conn.execute(sa.delete(ticket_watch).where(ticket_watch.c.ticket_id == month.with_phone[5]))
    bad = c.get(f"{API}/callbacks/{NOV}/verify", headers=manager).json()
    assert bad["ok"] is False and bad["population"] == 59
    assert any("population hash" in p for p in bad["problems"])


def test_a_month_not_over_or_badly_written_is_refused(make_app):
    h = make_app()
    hall = Hall(h)
    hall.build(with_phone=2, without_phone=0)
    c, manager = hall.c, hall.manager
    for month, code in ((NOV, "month_not_over"), ("2027-01", "month_not_over"),
                        ("2026-13", "invalid_month"), ("2026-1", "invalid_month"),
                        ("1999-12", "invalid_month"), ("9999-12", "invalid_month"),
                        ("november", "invalid_month")):
        r = c.post(f"{API}/callbacks/{month}/draw", headers=manager)
        assert r.status_code == 422, (month, r.text)
        assert r.json()["error"]["code"] == code
        assert "/" in r.json()["error"]["message"]  # Chinese, then English
    # The last day of the month is not over at 23:59 in Shanghai, whatever UTC says.
    from datetime import UTC, datetime
    h.clock.now = datetime(2026, 11, 30, 15, 59, tzinfo=UTC)
    assert c.post(f"{API}/callbacks/{NOV}/draw", headers=manager).status_code == 422
    h.clock.now = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    r = c.post(f"{API}/callbacks/{NOV}/draw", headers=manager)
    assert r.status_code == 201 and r.json()["sample_size"] == 1  # at least one of 2


def test_a_month_with_nobody_to_call_is_drawn_empty(make_app):
    h = make_app()
    hall = Hall(h)
    r = hall.c.post(f"{API}/callbacks/2026-10/draw", headers=hall.manager)
    assert r.status_code == 201
    assert (r.json()["population"], r.json()["sample_size"]) == (0, 0)
    assert hall.c.get(f"{API}/callbacks/2026-10/summary", headers=hall.manager).json()[
        "reach_rate"] is None


def test_two_draws_at_once_leave_one(make_app):
    """Two managers pressing the button together: the month's key lets one draw through,
    the other is refused as already drawn, never a 5xx nor a second sample."""
    from concurrent.futures import ThreadPoolExecutor

    from queue_server.domain.errors import DomainError
    from queue_server.secrecy import SecretBox
    from queue_server.store.callbacks import Callbacks, Who

    h = make_app()
    hall = Hall(h)
    hall.build(with_phone=5, without_phone=0)
    h.clock.now = h.clock.now.replace(month=12)
    app_hall = h.app.state.hall
    services = [Callbacks(h.app.state.store.engine, SecretBox(app_hall.secret),
                          tz=app_hall.layout.hall.tz, share=cb.parse_share(5), clock=h.clock)
                for _ in range(4)]

    def attempt(service: Callbacks) -> str:
        try:
            return service.draw(NOV, Who("manager:test"))["seed"]
        except DomainError as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(attempt, services))
    seeds = [r for r in results if r != "callback_already_drawn"]
    assert len(seeds) == 1, results
    listing = hall.c.get(f"{API}/callbacks/{NOV}", headers=hall.manager).json()
    assert listing["draw"]["seed"] == seeds[0] and len(listing["calls"]) == 1
