"""One test per class of bad input: each is a 4xx with a clear message, never a 5xx."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.server.conftest import AppHandle


def err(r) -> dict:  # type: ignore[no-untyped-def]
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error"} and body["error"]["message"]
    return body["error"]


def issue(client: TestClient, h: AppHandle, business: str = "transfer") -> dict:
    return client.post("/api/v1/tickets", json={"business": business}, headers=h.headers("kiosk")).json()


def test_unknown_business(api):
    client, h = api
    r = client.post("/api/v1/tickets", json={"business": "nosuch"}, headers=h.headers("kiosk"))
    assert r.status_code == 404 and err(r)["code"] == "unknown_business"


def test_unknown_window(api):
    client, h = api
    r = client.post("/api/v1/windows/77/call-next", headers=h.headers("guide"))
    assert r.status_code == 404 and err(r)["code"] == "unknown_window"


def test_wrong_window(api):
    client, h = api
    issue(client, h)
    r = client.post("/api/v1/windows/1/call-next", headers=h.headers("window", 2))
    assert r.status_code == 403 and err(r)["code"] == "wrong_window"
    t = client.post("/api/v1/windows/1/call-next", headers=h.headers("window", 1)).json()["ticket"]
    r = client.post(f"/api/v1/tickets/{t['id']}/complete", headers=h.headers("window", 2))
    assert r.status_code == 403 and "不在本窗口" in err(r)["message"]


def test_illegal_transition_completing_a_waiting_ticket(api):
    client, h = api
    t = issue(client, h)
    r = client.post(f"/api/v1/tickets/{t['id']}/complete", headers=h.headers("guide"))
    assert r.status_code == 409 and err(r)["code"] == "illegal_transition"


def test_calling_from_a_paused_window(api):
    client, h = api
    issue(client, h)
    w = h.headers("window", 1)
    client.post("/api/v1/windows/1/pause", headers=w)
    r = client.post("/api/v1/windows/1/call-next", headers=w)
    assert r.status_code == 409 and err(r)["code"] == "window_paused"


def test_double_click_on_call_next_does_not_call_twice(api):
    client, h = api
    issue(client, h)
    issue(client, h)
    w = h.headers("window", 1)
    assert client.post("/api/v1/windows/1/call-next", headers=w).status_code == 200
    r = client.post("/api/v1/windows/1/call-next", headers=w)
    assert r.status_code == 409 and err(r)["code"] == "window_busy"
    waiting = client.get("/api/v1/tickets?status=waiting", headers=w).json()
    assert len(waiting) == 1


def test_malformed_json(api):
    client, h = api
    r = client.post("/api/v1/tickets", content=b'{"business": ', headers={
        **h.headers("kiosk"), "content-type": "application/json"})
    assert r.status_code == 400 and err(r)["code"] == "malformed_json"


@pytest.mark.parametrize("body", [
    {},  # missing business
    {"business": 7},
    {"business": "transfer", "priority": "vip"},
    {"business": "transfer", "extra": 1},
    {"business": "transfer", "applicant": {"name": "张三"}},
    ["transfer"],
])
def test_wrong_shapes_are_422(api, body):
    client, h = api
    r = client.post("/api/v1/tickets", json=body, headers=h.headers("kiosk"))
    assert r.status_code == 422 and err(r)["code"] == "invalid_input"


def test_invalid_id_number(api):
    client, h = api
    r = client.post("/api/v1/tickets", json={"business": "transfer", "applicant": {
        "id_number": "110105194912310021", "name": "张三"}}, headers=h.headers("kiosk"))
    assert r.status_code == 422 and err(r)["code"] == "invalid_id_number"
    assert "110105194912310021" not in r.text


def test_oversize_body_declared_and_streamed(api):
    client, h = api
    big = b'{"business": "' + b"x" * 200_000 + b'"}'
    hdr = {**h.headers("kiosk"), "content-type": "application/json"}
    r = client.post("/api/v1/tickets", content=big, headers=hdr)
    assert r.status_code == 413 and err(r)["code"] == "too_large"

    def chunks():  # no Content-Length: the limit must hold while streaming
        for _ in range(20):
            yield b"x" * 10_000
    r = client.post("/api/v1/tickets", content=chunks(), headers=hdr)
    assert r.status_code == 413 and err(r)["code"] == "too_large"


def test_missing_or_bad_token(api):
    client, _ = api
    r = client.post("/api/v1/tickets", json={"business": "transfer"})
    assert r.status_code == 401 and err(r)["code"] == "unauthorized"
    r = client.get("/api/v1/windows", headers={"Authorization": "Bearer hq_forged"})
    assert r.status_code == 401


def test_wrong_role(api):
    client, h = api
    r = client.post("/api/v1/tickets", json={"business": "transfer"}, headers=h.headers("display"))
    assert r.status_code == 403 and err(r)["code"] == "forbidden"
    r = client.post("/api/v1/windows/1/call-next", headers=h.headers("kiosk"))
    assert r.status_code == 403


def test_unknown_ticket_path_and_method(api):
    client, h = api
    assert err(client.get("/api/v1/tickets/nope", headers=h.headers("guide")))["code"] == "not_found"
    assert err(client.get("/api/v1/nowhere"))["code"] == "not_found"
    r = client.delete("/api/v1/health")
    assert r.status_code == 405 and err(r)["code"] == "method_not_allowed"


def test_bad_path_parameter(api):
    client, h = api
    r = client.post("/api/v1/windows/abc/call-next", headers=h.headers("guide"))
    assert r.status_code == 422 and err(r)["code"] == "invalid_input"


def test_daily_cap_refusal_tells_the_applicant_what_to_do(api):
    client, h = api
    for _ in range(5):
        issue(client, h)
    r = client.post("/api/v1/tickets", json={"business": "transfer"}, headers=h.headers("kiosk"))
    assert r.status_code == 409 and err(r)["code"] == "daily_cap_reached"
    assert "咨询台" in r.json()["error"]["message"]


def test_appointment_without_time_zone(api):
    client, h = api
    r = client.post("/api/v1/tickets", json={"business": "transfer", "appointment": {
        "code": "X", "slot_start": "2026-11-23T09:00:00", "slot_end": "2026-11-23T10:00:00"}},
        headers=h.headers("guide"))
    assert r.status_code == 422
