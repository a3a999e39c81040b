"""Waits against windows that are open but not calling (issue 15, "Waits that tell the truth").

The reported hall: fees had 11 waiting, the longest for 8 minutes, with 50 windows open
and only 15 calling, and every estimate said 0 ("即将叫到 / soon"). Open windows that do
not call must not count as capacity.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.server.conftest import AppFactory

OPEN, CALLING, WAITING = 50, 15, 11


def fee_hall(tmp_path: Path, windows: int = OPEN) -> Path:
    parts = ['[hall]\ncode = "FEES"\nname = "缴费大厅"\ntimezone = "Asia/Shanghai"\nclear_time = "19:00"\n'
             "per_id_daily_limit = 100\n",
             '[[zones]]\ncode = "all"\nname = "全部"\n',
             '[[businesses]]\ncode = "fee"\nname = "缴费"\nname_en = "Fees"\nprefix = "F"\n'
             "service_minutes = 6\n"]
    for n in range(1, windows + 1):
        parts.append(f'[[windows]]\nnumber = {n}\nzone = "all"\nbusinesses = ["fee"]\n')
    path = tmp_path / "fees.toml"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def test_open_windows_that_do_not_call_do_not_make_waits_read_soon(make_app: AppFactory,
                                                                    tmp_path: Path):
    handle = make_app(fee_hall(tmp_path))
    kiosk, guide = handle.headers("kiosk"), handle.headers("guide")
    with TestClient(handle.app) as client:
        # 15 windows are serving someone; 35 more are open and sit free.
        for n in range(1, CALLING + 1):
            client.post("/api/v1/tickets", json={"business": "fee"}, headers=kiosk)
            r = client.post(f"/api/v1/windows/{n}/call-next", headers=handle.headers("window", n))
            assert r.json()["ticket"] is not None
        tickets = [client.post("/api/v1/tickets", json={"business": "fee"}, headers=kiosk).json()
                   for _ in range(WAITING)]
        # Just now, a free window will call them: that is honest.
        assert tickets[0]["estimated_wait_minutes"] == 0
        # Eight minutes on, nobody at the 35 free windows has called anyone.
        handle.clock.advance(minutes=8)
        last = client.get(f"/api/v1/tickets/{tickets[-1]['id']}", headers=guide).json()
        fee = next(q for q in client.get("/api/v1/queues", headers=guide).json()
                   if q["business"] == "fee")
    assert fee["waiting"] == WAITING
    # Only the 15 serving windows are capacity: 6-minute services, so the 11th in line
    # waits about (10 + ½) × 6 ÷ 15 ≈ 4 minutes, and a new ticket about as long.
    assert last["estimated_wait_minutes"] >= 4
    assert fee["estimate"]["minutes"] >= 4 and fee["estimate"]["high"] >= 4
    assert fee["working_windows"] == CALLING and fee["windows"] == OPEN


def test_a_window_that_calls_again_counts_again(make_app: AppFactory, tmp_path: Path):
    handle = make_app(fee_hall(tmp_path, windows=3))
    kiosk, guide = handle.headers("kiosk"), handle.headers("guide")
    with TestClient(handle.app) as client:
        for _ in range(6):
            client.post("/api/v1/tickets", json={"business": "fee"}, headers=kiosk)
        client.post("/api/v1/windows/1/call-next", headers=handle.headers("window", 1))
        handle.clock.advance(minutes=5)  # windows 2 and 3 sat free with five waiting
        stalled = client.get("/api/v1/queues", headers=guide).json()[0]
        for n in (2, 3):
            client.post(f"/api/v1/windows/{n}/call-next", headers=handle.headers("window", n))
        working = client.get("/api/v1/queues", headers=guide).json()[0]
    assert stalled["working_windows"] == 1
    assert working["working_windows"] == 3
    assert working["estimate"]["minutes"] < stalled["estimate"]["minutes"]
