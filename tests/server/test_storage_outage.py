"""The database going away mid-day and coming back, through a real TCP connection that
is cut: staff and kiosks get a clear 503, nothing half-done is kept or announced, and the
hall carries on where the database left off."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.netfaults import TcpRelay
from tests.server.conftest import AppFactory


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_database_that_goes_away_and_comes_back(make_app: AppFactory, db_url: str):
    direct = sa.engine.make_url(db_url)
    with TcpRelay(direct.port or 5432, direct.host or "127.0.0.1") as relay:
        h = make_app(db_url=direct.set(host="127.0.0.1", port=relay.port)
                     .render_as_string(hide_password=False))
        hall = h.app.state.hall
        heard: list[dict] = []
        hall.listeners.append(heard.extend)
        with TestClient(h.app) as c:
            kiosk, w1, guide = h.headers("kiosk"), h.headers("window", 1), h.headers("guide")
            first = c.post("/api/v1/tickets", json={"business": "transfer"}, headers=kiosk)
            assert first.status_code == 201 and first.json()["number"] == "A001"
            before = len(heard)

            relay.cut()
            for method, path, body, headers in (
                    ("POST", "/api/v1/tickets", {"business": "transfer"}, kiosk),
                    ("POST", "/api/v1/windows/1/call-next", None, w1)):
                r = c.request(method, path, json=body, headers=headers)
                assert r.status_code == 503, r.text
                assert r.json()["error"]["code"] == "storage_unavailable"
                assert r.json()["error"]["message"].startswith("数据库暂时无法访问")
                assert r.headers["retry-after"] == "5"
            assert len(heard) == before  # nothing that was not stored was announced

            relay.restore()
            second = c.post("/api/v1/tickets", json={"business": "transfer"}, headers=kiosk)
            assert second.status_code == 201
            assert second.json()["number"] == "A002"  # the lost attempt used up no number
            called = c.post("/api/v1/windows/1/call-next", headers=w1).json()["ticket"]
            assert called["id"] == first.json()["id"]
            waiting = c.get("/api/v1/tickets", headers=guide).json()
            assert [t["number"] for t in waiting] == ["A001", "A002"]
    with sa.create_engine(db_url).connect() as conn:
        rows = conn.execute(sa.text("select number, status from tickets order by number")).all()
        seqs = [r[0] for r in conn.execute(sa.text("select seq from events order by seq"))]
    assert [tuple(r) for r in rows] == [("A001", "called"), ("A002", "waiting")]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # numbered without gaps
    assert [m["seq"] for m in heard if m["type"] != "queues"] == seqs
