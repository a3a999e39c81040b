"""State survives a restart, and the day turns over at the clear time (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tests.server.conftest import AppFactory


def test_restart_keeps_every_ticket_its_place_and_history(make_app: AppFactory):
    h = make_app()
    with TestClient(h.app) as c:
        kiosk, w1, guide = h.headers("kiosk"), h.headers("window", 1), h.headers("guide")
        ids = [c.post("/api/v1/tickets", json={"business": "transfer"}, headers=kiosk).json()["id"]
               for _ in range(4)]
        c.post("/api/v1/windows/1/call-next", headers=w1)
        c.post(f"/api/v1/tickets/{ids[0]}/start", headers=w1)
        c.post("/api/v1/windows/2/pause", headers=guide)
        c.put("/api/v1/windows/3/businesses", json={"businesses": ["tax", "query"]}, headers=guide)
        before = {i: c.get(f"/api/v1/tickets/{i}", headers=guide).json() for i in ids}
        windows_before = c.get("/api/v1/windows", headers=guide).json()
        history_before = c.get(f"/api/v1/tickets/{ids[0]}/history", headers=guide).json()

    h2 = make_app()  # a new process on the same database: nothing is carried in memory
    with TestClient(h2.app) as c:
        guide = h2.headers("guide")
        after = {i: c.get(f"/api/v1/tickets/{i}", headers=guide).json() for i in ids}
        assert after == before
        assert c.get("/api/v1/windows", headers=guide).json() == windows_before
        assert c.get(f"/api/v1/tickets/{ids[0]}/history", headers=guide).json() == history_before
        # Numbering continues, the window still holds its ticket, the queue order stands.
        t = c.post("/api/v1/tickets", json={"business": "transfer"}, headers=h2.headers("kiosk")).json()
        assert t["number"] == "A005" and t["waiting_ahead"] == 3
        w1 = h2.headers("window", 1)
        assert c.post("/api/v1/windows/1/call-next", headers=w1).json()["error"]["code"] == "window_busy"
        c.post(f"/api/v1/tickets/{ids[0]}/complete", headers=w1)
        assert c.post("/api/v1/windows/1/call-next", headers=w1).json()["ticket"]["id"] == ids[1]


def test_day_turns_over_at_the_clear_time(make_app: AppFactory):
    h = make_app()
    with TestClient(h.app) as c:
        kiosk, w1, guide = h.headers("kiosk"), h.headers("window", 1), h.headers("guide")
        for _ in range(3):
            c.post("/api/v1/tickets", json={"business": "transfer"}, headers=kiosk)
        first = c.post("/api/v1/windows/1/call-next", headers=w1).json()["ticket"]
        c.post(f"/api/v1/tickets/{first['id']}/complete", headers=w1)
        c.post("/api/v1/windows/2/pause", headers=guide)
        with c.websocket_connect(f"/api/v1/events?token={h.token('display')}") as ws:
            ws.receive_json()
            h.clock.now = datetime(2026, 11, 23, 10, 59, tzinfo=UTC)  # 18:59 in Shanghai
            assert h.app.state.hall.turn_over_if_due() is None
            h.clock.now = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # 19:00: the clear
            change = h.app.state.hall.turn_over_if_due()
            assert change is not None and change.new_day.isoformat() == "2026-11-24"
            types = [ws.receive_json()["type"] for _ in range(4)]
        assert types == ["ticket.abandoned", "ticket.abandoned", "day.closed", "queues"]
        report = c.get("/api/v1/reports/2026-11-23", headers=guide).json()
        assert report["abandoned"] == 2 and report["businesses"]["transfer"]["done"] == 1
        old = c.get(f"/api/v1/tickets/{first['id']}", headers=guide).json()
        assert old["status"] == "done" and old["day"] == "2026-11-23"
        t = c.post("/api/v1/tickets", json={"business": "transfer"}, headers=kiosk).json()
        assert t["number"] == "A001" and t["day"] == "2026-11-24" and t["waiting_ahead"] == 0
        windows = {w["number"]: w["status"] for w in c.get("/api/v1/windows", headers=guide).json()}
        assert windows[2] == "open"  # a new day starts from the layout


def test_a_clear_missed_while_the_server_was_down_runs_at_start(make_app: AppFactory):
    h = make_app()
    with TestClient(h.app) as c:
        ids = [c.post("/api/v1/tickets", json={"business": "query"}, headers=h.headers("kiosk")).json()["id"]
               for _ in range(2)]
    h.clock.now = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # next morning, server restarted
    h2 = make_app()
    assert h2.app.state.hall.abandoned_reports[0]["abandoned"] == 2
    with TestClient(h2.app) as c:
        guide = h2.headers("guide")
        assert [c.get(f"/api/v1/tickets/{i}", headers=guide).json()["closed_reason"] for i in ids] \
            == ["abandoned", "abandoned"]
        assert c.get("/api/v1/reports/2026-11-23", headers=guide).json()["abandoned"] == 2
        t = c.post("/api/v1/tickets", json={"business": "query"}, headers=h2.headers("kiosk")).json()
        assert t["number"] == "Q001"


def test_the_id_number_is_never_stored_in_clear(make_app: AppFactory):
    import sqlalchemy as sa
    h = make_app()
    with TestClient(h.app) as c:
        c.post("/api/v1/tickets", json={"business": "transfer", "applicant": {
            "id_number": "11010519491231002X", "name": "张三丰"}}, headers=h.headers("kiosk"))
    with h.app.state.store.engine.connect() as conn:
        dump = " ".join(str(row) for table in ("tickets", "events")
                        for row in conn.execute(sa.text(f"select * from {table}")))
    assert "11010519491231002X" not in dump and "张三丰" not in dump
    assert "110***********002X" in dump


def test_recent_calls_come_back_after_a_restart(make_app: AppFactory):
    h = make_app()
    with TestClient(h.app) as c:
        kiosk, w1 = h.headers("kiosk"), h.headers("window", 1)
        for _ in range(2):
            c.post("/api/v1/tickets", json={"business": "transfer"}, headers=kiosk)
        t = c.post("/api/v1/windows/1/call-next", headers=w1).json()["ticket"]
        c.post(f"/api/v1/tickets/{t['id']}/recall", headers=w1)
        before = h.app.state.hall.snapshot()["recent_calls"]
    h2 = make_app()
    after = h2.app.state.hall.snapshot()["recent_calls"]
    assert [(m["type"], m["seq"], m["ticket"]["number"]) for m in after] == \
        [(m["type"], m["seq"], m["ticket"]["number"]) for m in before]
    assert [m["type"] for m in after] == ["ticket.called", "ticket.recalled"]
