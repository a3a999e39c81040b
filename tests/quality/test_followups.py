"""差评整改 work orders: the steps in order with who, when and what was said, deadlines
in working days, alerts near and past them, and replies in time (SQLite and PostgreSQL)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.quality.helpers import API, serve
from tests.server.conftest import AppHandle


def _bad_review(client: TestClient, h: AppHandle, rating: int = 1) -> dict:
    t = serve(client, h, 1)
    r = client.post(f"{API}/tickets/{t['id']}/evaluation", json={"rating": rating},
                    headers=h.headers("pad", 1))
    assert r.status_code == 201
    return r.json()["work_order"]


def _step(client, h, order_id, step, note="已处理"):  # type: ignore[no-untyped-def]
    return client.post(f"{API}/followups/{order_id}/steps", json={"step": step, "note": note},
                       headers=h.headers("manager"))


def test_the_steps_go_in_order_and_the_reply_is_in_time(api: tuple[TestClient, AppHandle]):
    client, h = api
    order = _bad_review(client, h)
    r = _step(client, h, order["id"], "reply")
    assert r.status_code == 409 and r.json()["error"]["code"] == "wrong_step"
    assert "核实" in r.json()["error"]["message"]
    r = _step(client, h, order["id"], "verify", "   ")
    assert r.status_code == 422 and r.json()["error"]["code"] == "note_required"
    assert _step(client, h, order["id"], "fix").json()["error"]["code"] == "unknown_step"
    assert _step(client, h, order["id"], "verify", "调看录像，确认等候过长").status_code == 200
    h.clock.advance(days=2)
    assert _step(client, h, order["id"], "rectify", "午间增开一个窗口").status_code == 200
    # Without a reply the order stays open however long it waits.
    close_early = _step(client, h, order["id"], "close")
    assert close_early.status_code == 409
    h.clock.advance(days=1)
    r = _step(client, h, order["id"], "reply", "电话告知申请人整改情况，申请人表示认可")
    assert r.status_code == 200
    assert r.json()["status"] == "replied" and r.json()["in_time"] is True
    done = _step(client, h, order["id"], "close", "归档").json()
    assert done["status"] == "closed" and done["urgency"] is None
    assert [(s["step"], s["seq"], s["actor"].split(":")[0]) for s in done["steps"]] == [
        ("verify", 1, "manager"), ("rectify", 2, "manager"), ("reply", 3, "manager"),
        ("close", 4, "manager")]
    assert done["steps"][1]["at"] == "2026-11-25T01:06:00+00:00"
    assert _step(client, h, order["id"], "close").json()["error"]["code"] == "order_closed"
    status = lambda s: [o["id"] for o in client.get(  # noqa: E731
        f"{API}/followups", params={"status": s}, headers=h.headers("manager")).json()]
    assert status("open") == [] and status("closed") == [order["id"]]
    assert status("all") == [order["id"]]


def test_orders_near_and_past_their_due_date_are_alerted(api):
    client, h = api
    order = _bad_review(client, h, rating=2)
    assert order["due_date"] == "2026-12-14"
    listed = lambda s: client.get(f"{API}/followups", params={"status": s},  # noqa: E731
                                  headers=h.headers("guide")).json()
    assert listed("due_soon") == [] and listed("overdue") == []
    h.clock.advance(days=16)  # Wednesday 12-09: three working days before the due date
    soon = listed("due_soon")
    assert [(o["id"], o["urgency"], o["urgency_name"]) for o in soon] == [
        (order["id"], "due_soon", "即将超期")]
    h.clock.advance(days=6)  # Tuesday 12-15: past it, no reply sent
    late = listed("overdue")
    assert [(o["id"], o["in_time"]) for o in late] == [(order["id"], None)]
    for step in ("verify", "rectify"):
        assert _step(client, h, order["id"], step).status_code == 200
    assert listed("overdue")[0]["status"] == "rectified"  # still overdue until the reply
    r = _step(client, h, order["id"], "reply")
    assert r.json()["in_time"] is False and r.json()["urgency"] is None
    assert listed("overdue") == []


def test_who_may_read_and_act_on_orders(api):
    client, h = api
    order = _bad_review(client, h)
    for role, window in (("kiosk", None), ("window", 1), ("display", None), ("pad", 1)):
        hdr = h.headers(role, window)
        assert client.get(f"{API}/followups", headers=hdr).status_code == 403, role
        r = client.post(f"{API}/followups/{order['id']}/steps",
                        json={"step": "verify", "note": "x"}, headers=hdr)
        assert r.status_code == 403, role
    # A guide sees the alerts but does not run the supervision office's steps.
    assert client.get(f"{API}/followups", headers=h.headers("guide")).status_code == 200
    assert client.post(f"{API}/followups/{order['id']}/steps", json={"step": "verify",
                       "note": "x"}, headers=h.headers("guide")).status_code == 403
    r = client.get(f"{API}/followups/nope", headers=h.headers("admin"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_order"
    r = client.get(f"{API}/followups", params={"status": "late"}, headers=h.headers("admin"))
    assert r.status_code == 422


def test_a_deadline_in_a_year_without_holidays_is_provisional_then_settled(
        make_app, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime
    h = make_app()
    h.clock.now = datetime(2026, 12, 21, 1, 0, tzinfo=UTC)  # Monday: 15 working days reach 2027
    cal = h.app.state.calendar
    if cal.covers(2027):  # a calendar package that has learnt 2027 makes this moot
        return
    with TestClient(h.app) as client:
        order = _bad_review(client, h)
        # 2027 counted on its weekends only, and said to be so.
        assert order["due_date"] == "2027-01-11" and order["due_provisional"] is True
    # The hall adds 2027 (dates made up for this test: New Year's Day off, no 调休) and
    # restarts: the deadline is counted again and is final.
    holidays = tmp_path / "holidays.toml"
    holidays.write_text('[years.2027]\nholidays = ["2027-01-01"]\nworkdays = []\n',
                        encoding="utf-8")
    monkeypatch.setenv("HALLQ_HOLIDAYS_FILE", str(holidays))
    h2 = make_app()
    with TestClient(h2.app) as client:
        [o] = client.get(f"{API}/followups", headers=h2.headers("manager")).json()
        assert (o["due_date"], o["due_provisional"]) == ("2027-01-12", False)
