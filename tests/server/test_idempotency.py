"""`Idempotency-Key` on POST /tickets: a kiosk whose answer was lost asks again and gets
the ticket it already has, never a second one; over HTTP, across a restart, and through
a real connection that dies after the server has answered."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from tests.netfaults import AnswerDropper
from tests.server.conftest import AppFactory, LiveServer


def test_asking_again_with_the_same_key_gives_the_same_ticket(api):
    client, h = api
    kiosk = {**h.headers("kiosk"), "Idempotency-Key": "press-0001"}
    first = client.post("/api/v1/tickets", json={"business": "transfer"}, headers=kiosk)
    again = client.post("/api/v1/tickets", json={"business": "transfer"}, headers=kiosk)
    assert first.status_code == again.status_code == 201
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    guide = h.headers("guide")
    waiting = client.get("/api/v1/tickets", params={"status": "waiting"}, headers=guide).json()
    assert [t["id"] for t in waiting] == [first.json()["id"]]
    history = client.get(f"/api/v1/tickets/{first.json()['id']}/history", headers=guide).json()
    assert [e["type"] for e in history] == ["ticket.issued"]
    # A new key is a new request.
    other = client.post("/api/v1/tickets", json={"business": "transfer"},
                        headers={**kiosk, "Idempotency-Key": "press-0002"}).json()
    assert other["number"] == "A002"


def test_keys_belong_to_their_caller(api):
    client, h = api
    one = client.post("/api/v1/tickets", json={"business": "transfer"},
                      headers={**h.headers("kiosk"), "Idempotency-Key": "k"}).json()
    two = client.post("/api/v1/tickets", json={"business": "transfer"},
                      headers={**h.headers("kiosk"), "Idempotency-Key": "k"}).json()
    assert one["id"] != two["id"]  # two kiosks, two tokens: nobody finds another's ticket


def test_the_replay_shows_the_ticket_as_it_is_now(api):
    client, h = api
    kiosk = {**h.headers("kiosk"), "Idempotency-Key": "press-1"}
    t = client.post("/api/v1/tickets", json={"business": "transfer"}, headers=kiosk).json()
    client.post("/api/v1/windows/1/call-next", headers=h.headers("window", 1))
    again = client.post("/api/v1/tickets", json={"business": "transfer"}, headers=kiosk).json()
    assert again["id"] == t["id"] and again["status"] == "called" and again["window"] == 1


def test_a_key_reused_for_another_request_or_malformed_is_refused(api):
    client, h = api
    kiosk = {**h.headers("kiosk"), "Idempotency-Key": "press-9"}
    client.post("/api/v1/tickets", json={"business": "transfer"}, headers=kiosk)
    r = client.post("/api/v1/tickets", json={"business": "tax"}, headers=kiosk)
    assert r.status_code == 422 and r.json()["error"]["code"] == "request_key_reused"
    assert "请求编号" in r.json()["error"]["message"]
    for bad in ("has space", "x" * 65, "中文".encode()):
        r = client.post("/api/v1/tickets", json={"business": "transfer"},
                        headers={**h.headers("kiosk"), "Idempotency-Key": bad})
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input", r.text


def test_the_key_holds_across_a_restart(make_app: AppFactory):
    h = make_app()
    token = h.token("kiosk")
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "press-restart"}
    with TestClient(h.app) as c:
        first = c.post("/api/v1/tickets", json={"business": "transfer"}, headers=headers).json()
    h2 = make_app()  # the server went down right after answering
    with TestClient(h2.app) as c:
        again = c.post("/api/v1/tickets", json={"business": "transfer"}, headers=headers)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json()["id"] == first["id"]


def test_an_answer_lost_on_the_wire_is_recovered_by_asking_again(make_app: AppFactory):
    h = make_app()
    headers = {**h.headers("kiosk"), "Idempotency-Key": "press-lost"}
    with LiveServer(h.app) as server, AnswerDropper(server.port) as proxy:
        proxy.drop = 1
        with httpx.Client(base_url=proxy.url, timeout=10) as c:
            try:
                c.post("/api/v1/tickets", json={"business": "transfer"}, headers=headers)
                raise AssertionError("the answer should have been lost")
            except httpx.TransportError:
                pass
        assert proxy.dropped == 1
        with httpx.Client(base_url=proxy.url, timeout=10) as c:
            again = c.post("/api/v1/tickets", json={"business": "transfer"}, headers=headers)
            waiting = c.get("/api/v1/tickets", params={"status": "waiting"},
                            headers=h.headers("guide")).json()
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert [t["id"] for t in waiting] == [again.json()["id"]]  # one ticket, not two


def test_a_caller_finds_the_ticket_it_issued_with_a_key_and_nobody_else_does(api):
    client, h = api
    kiosk = h.headers("kiosk")
    t = client.post("/api/v1/tickets", json={"business": "transfer"},
                    headers={**kiosk, "Idempotency-Key": "press-find"}).json()
    found = client.get("/api/v1/tickets", params={"request_key": "press-find"}, headers=kiosk)
    assert [x["id"] for x in found.json()] == [t["id"]]
    assert client.get("/api/v1/tickets", params={"request_key": "press-never"},
                      headers=kiosk).json() == []
    other = h.headers("kiosk")  # another kiosk's token
    assert client.get("/api/v1/tickets", params={"request_key": "press-find"},
                      headers=other).json() == []
    bad = client.get("/api/v1/tickets", params={"request_key": "no spaces"}, headers=kiosk)
    assert bad.status_code == 422
