"""The API through HTTP, as a kiosk, window staff and a guide use it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.server.conftest import AppHandle

ELDER = "11010519491231002X"


def test_health_needs_no_token(api: tuple[TestClient, AppHandle]):
    client, _ = api
    assert client.get("/api/v1/health").json() == {"status": "ok"}


def test_openapi_docs_are_served(api):
    client, _ = api
    assert client.get("/api/docs").status_code == 200
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/v1/tickets" in paths and "/api/v1/windows/{number}/call-next" in paths


def test_businesses_and_windows_as_in_the_contract(api):
    client, h = api
    hdr = h.headers("display")
    businesses = client.get("/api/v1/businesses", headers=hdr).json()
    assert {"code": "transfer", "name": "转移登记", "prefix": "A"}.items() <= businesses[0].items()
    windows = client.get("/api/v1/windows", headers=hdr).json()
    assert windows[0]["number"] == 1 and windows[0]["businesses"] == ["transfer", "mortgage"]
    assert {w["number"]: w["status"] for w in windows}[6] == "closed"


def test_a_ticket_from_issue_to_done(api):
    client, h = api
    kiosk, win = h.headers("kiosk"), h.headers("window", 1)
    r = client.post("/api/v1/tickets", json={"business": "transfer"}, headers=kiosk)
    assert r.status_code == 201
    t = r.json()
    assert t["number"] == "A001" and t["status"] == "waiting"
    # Windows 1 and 2 serve transfer and hold nobody: both tickets are called at once.
    assert t["waiting_ahead"] == 0 and t["estimated_wait_minutes"] == 0
    second = client.post("/api/v1/tickets", json={"business": "transfer"}, headers=kiosk).json()
    assert second["waiting_ahead"] == 1 and second["estimated_wait_minutes"] == 0

    called = client.post("/api/v1/windows/1/call-next", headers=win).json()["ticket"]
    assert called["id"] == t["id"] and called["status"] == "called" and called["window"] == 1
    assert client.post(f"/api/v1/tickets/{t['id']}/recall", headers=win).json()["recalls"] == 1
    assert client.post(f"/api/v1/tickets/{t['id']}/start", headers=win).json()["status"] == "serving"
    h.clock.advance(minutes=12)
    done = client.post(f"/api/v1/tickets/{t['id']}/complete", headers=win).json()
    assert done["status"] == "done"
    # The second applicant moved up (as staff see it: 12 minutes on, the kiosk no longer
    # reaches the ticket it issued).
    again = client.get(f"/api/v1/tickets/{second['id']}", headers=win).json()
    assert again["waiting_ahead"] == 0
    history = client.get(f"/api/v1/tickets/{t['id']}/history", headers=h.headers("guide")).json()
    assert [e["type"] for e in history] == ["ticket.issued", "ticket.called", "ticket.recalled",
                                            "ticket.started", "ticket.completed"]
    assert history[1]["window"] == 1 and history[1]["actor"].startswith("window:1")


def test_no_show_transfer_forward_park_cancel(api):
    client, h = api
    kiosk, guide = h.headers("kiosk"), h.headers("guide")
    w1, w3 = h.headers("window", 1), h.headers("window", 3)
    a = client.post("/api/v1/tickets", json={"business": "transfer"}, headers=kiosk).json()
    client.post("/api/v1/windows/1/call-next", headers=w1)
    assert client.post(f"/api/v1/tickets/{a['id']}/no-show", headers=w1).json()["status"] == "no_show"

    b = client.post("/api/v1/tickets", json={"business": "transfer"}, headers=kiosk).json()
    client.post("/api/v1/windows/1/call-next", headers=w1)
    moved = client.post(f"/api/v1/tickets/{b['id']}/transfer", json={"business": "mortgage"},
                        headers=w1).json()
    assert moved["business"] == "mortgage" and moved["status"] == "waiting"
    assert moved["issued_at"] == b["issued_at"] and moved["number"] == b["number"]

    j = client.post("/api/v1/tickets", json={"business": "tax", "journey": "sale"},
                    headers=kiosk).json()
    client.post("/api/v1/windows/3/call-next", headers=w3)
    fwd = client.post(f"/api/v1/tickets/{j['id']}/forward", headers=w3).json()
    assert fwd["business"] == "transfer" and fwd["journey_step"] == 1 and fwd["journey_next"] is None

    c = client.post("/api/v1/windows/1/call-next", headers=w1).json()["ticket"]
    parked = client.post(f"/api/v1/tickets/{c['id']}/park", headers=w1).json()
    assert parked["parked"] and parked["status"] == "waiting"
    back = client.post(f"/api/v1/tickets/{c['id']}/call", json={"window": 1}, headers=w1).json()
    assert back["status"] == "called"

    d = client.post("/api/v1/tickets", json={"business": "query"}, headers=kiosk).json()
    assert client.post(f"/api/v1/tickets/{d['id']}/cancel", headers=guide).json()["status"] == "cancelled"


def test_guide_moves_queues_and_windows(api):
    client, h = api
    kiosk, guide = h.headers("kiosk"), h.headers("guide")
    for _ in range(3):
        client.post("/api/v1/tickets", json={"business": "query"}, headers=kiosk)
    r = client.post("/api/v1/queues/query/move", json={"to": "tax", "count": 2}, headers=guide)
    assert [t["business"] for t in r.json()["moved"]] == ["tax", "tax"]
    w = client.put("/api/v1/windows/3/businesses", json={"businesses": ["query", "tax"]},
                   headers=guide).json()
    assert w["businesses"] == ["query", "tax"]
    assert client.post("/api/v1/windows/3/pause", headers=guide).json()["status"] == "paused"
    assert client.post("/api/v1/windows/3/resume", headers=guide).json()["status"] == "open"
    assert client.post("/api/v1/windows/6/open", headers=guide).json()["status"] == "open"
    queues = {q["business"]: q for q in client.get("/api/v1/queues", headers=guide).json()}
    assert queues["tax"]["waiting"] == 2 and queues["query"]["waiting"] == 1


def test_guide_issues_a_green_channel_ticket(api):
    client, h = api
    r = client.post("/api/v1/tickets", json={"business": "transfer", "priority": "green",
                                             "priority_reason": "disability"},
                    headers=h.headers("guide"))
    assert r.status_code == 201 and r.json()["priority"] == "green"


def test_elderly_applicant_is_green_and_shown_masked(api):
    client, h = api
    r = client.post("/api/v1/tickets", json={
        "business": "transfer", "applicant": {"id_number": ELDER, "name": "张三"}},
        headers=h.headers("kiosk"))
    t = r.json()
    assert t["priority"] == "green" and t["applicant"] == {"id_masked": "110***********002X",
                                                           "name_masked": "张*"}
    assert ELDER not in r.text and "张三" not in r.text


def test_list_waiting_tickets_in_queue_order(api):
    client, h = api
    kiosk = h.headers("kiosk")
    for _ in range(3):
        client.post("/api/v1/tickets", json={"business": "mortgage"}, headers=kiosk)
    rows = client.get("/api/v1/tickets?status=waiting&business=mortgage",
                      headers=h.headers("window", 2)).json()
    assert [r["number"] for r in rows] == ["B001", "B002", "B003"]
    assert [r["waiting_ahead"] for r in rows] == [0, 1, 2]


def test_displays_cannot_read_tickets(api):
    client, h = api
    t = client.post("/api/v1/tickets", json={"business": "transfer"}, headers=h.headers("kiosk")).json()
    r = client.get(f"/api/v1/tickets/{t['id']}", headers=h.headers("display"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


def test_admin_issues_and_revokes_tokens(api):
    client, h = api
    admin = h.headers("admin")
    token = client.post("/api/v1/tokens", json={"role": "window", "window": 2}, headers=admin).json()["token"]
    hdr = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/windows", headers=hdr).status_code == 200
    tid = [t for t in client.get("/api/v1/tokens", headers=admin).json() if t["window"] == 2][0]["id"]
    assert client.delete(f"/api/v1/tokens/{tid}", headers=admin).json() == {"revoked": True}
    assert client.get("/api/v1/windows", headers=hdr).status_code == 401


def test_me_tells_a_console_who_the_token_is(api):
    client, h = api
    r = client.get("/api/v1/me", headers=h.headers("window", 3)).json()
    assert r["role"] == "window" and r["window"] == 3


def test_window_queue_is_in_call_next_order(api):
    client, h = api
    kiosk, guide = h.headers("kiosk"), h.headers("guide")
    normal = client.post("/api/v1/tickets", json={"business": "transfer"}, headers=kiosk).json()
    h.clock.advance(minutes=5)
    green = client.post("/api/v1/tickets", json={"business": "mortgage", "priority": "green"},
                        headers=guide).json()
    client.post("/api/v1/tickets", json={"business": "tax"}, headers=kiosk)  # not window 1's
    w1 = h.headers("window", 1)
    queue = client.get("/api/v1/windows/1/queue", headers=w1).json()
    # The green mortgage ticket is younger but its head start puts it first, as call-next does.
    assert [t["id"] for t in queue["waiting"]] == [green["id"], normal["id"]]
    called = client.post("/api/v1/windows/1/call-next", headers=w1).json()["ticket"]
    assert called["id"] == queue["waiting"][0]["id"]
    parked = client.post(f"/api/v1/tickets/{called['id']}/park", headers=w1).json()
    queue = client.get("/api/v1/windows/1/queue", headers=w1).json()
    assert [t["id"] for t in queue["parked"]] == [parked["id"]]
    assert [t["id"] for t in queue["waiting"]] == [normal["id"]]
