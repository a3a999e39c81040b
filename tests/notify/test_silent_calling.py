"""Silent calling (静默叫号) on SQLite and PostgreSQL: a phone registered for a ticket gets
one SMS when the ticket is within N places of being called, and one when it is called."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from tests.cases.helpers import PHONE_ZHANG
from tests.notify.test_case_ready import quiet_client, sms_lines


def issue(c: TestClient, h, n: int = 1) -> list[dict]:
    return [c.post("/api/v1/tickets", json={"business": "transfer"},
                   headers=h.kiosk()).json() for _ in range(n)]


def call(c: TestClient, h, window: int) -> dict:
    return c.post(f"/api/v1/windows/{window}/call-next", headers=h.headers("window", window)
                  ).json()["ticket"]


def watch(c: TestClient, h, ticket_id: str, **body):
    return c.post(f"/api/v1/tickets/{ticket_id}/notify",
                  json={"phone": PHONE_ZHANG, **body}, headers=h.kiosk())


def test_near_then_called_each_once(make_app):
    h = make_app()
    c = quiet_client(h)
    tickets = issue(c, h, 4)
    r = watch(c, h, tickets[3]["id"], places=1)
    assert r.status_code == 201, r.text
    assert r.json() == {"ticket_id": tickets[3]["id"], "phone_masked": "138****5678",
                        "places": 1, "number": "A004", "waiting_ahead": 3}
    notifier = h.app.state.records.notifier
    assert notifier.run_once().sent == 0
    call(c, h, 1)
    assert notifier.run_once().sent == 0  # two ahead
    call(c, h, 2)
    assert notifier.run_once().sent == 1  # one ahead: within N
    call(c, h, 5)
    assert notifier.run_once().sent == 0  # none ahead, but "near" was said once already
    w1 = h.headers("window", 1)
    first = tickets[0]["id"]
    c.post(f"/api/v1/tickets/{first}/start", headers=w1)
    c.post(f"/api/v1/tickets/{first}/complete", headers=w1)
    assert call(c, h, 1)["number"] == "A004"
    assert notifier.run_once().sent == 1
    assert notifier.run_once().sent == 0
    lines = sms_lines(h)
    assert [x["body"] for x in lines] == [
        "【测试大厅】您的A004号前面还有1人，请尽快回到大厅留意叫号。"
        "Ticket A004: 1 ahead of you, please return to the hall.",
        "【测试大厅】请A004号到1号窗口办理。Ticket A004: please go to window 1."]
    assert {x["to"] for x in lines} == {"138****5678"}


def test_a_ticket_already_within_reach_is_told_at_once(make_app):
    h = make_app()
    c = quiet_client(h)
    t = issue(c, h, 2)[1]
    assert watch(c, h, t["id"]).json()["places"] == 3  # the hall's default N
    assert h.app.state.records.notifier.run_once().sent == 1


def test_sign_up_is_checked(make_app):
    h = make_app()
    c = quiet_client(h)
    first, second = issue(c, h, 2)
    call(c, h, 1)
    r = watch(c, h, first["id"])
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_waiting"
    assert watch(c, h, "no-such-ticket").status_code == 404
    bad = watch(c, h, second["id"], phone="12345")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_phone"
    assert watch(c, h, second["id"], places=99).status_code == 422
    display = c.post(f"/api/v1/tickets/{second['id']}/notify", json={"phone": PHONE_ZHANG},
                     headers=h.headers("display"))
    assert display.status_code == 403


def test_a_new_number_replaces_one_that_has_sent_nothing(make_app):
    h = make_app()
    c = quiet_client(h)
    t = issue(c, h, 5)[4]  # the business caps at five a day
    assert watch(c, h, t["id"], places=1).status_code == 201
    again = watch(c, h, t["id"], phone="15987654321", places=2)
    assert again.status_code == 200 and again.json()["phone_masked"] == "159****4321"
    assert again.json()["places"] == 2


def test_a_ticket_that_leaves_the_queue_is_not_messaged(make_app):
    h = make_app()
    c = quiet_client(h)
    tickets = issue(c, h, 5)
    watch(c, h, tickets[4]["id"], places=0)
    c.post(f"/api/v1/tickets/{tickets[4]['id']}/cancel", headers=h.kiosk())
    for w in (1, 2, 5):
        call(c, h, w)
    assert h.app.state.records.notifier.run_once().sent == 0
    assert sms_lines(h) == []


@pytest.mark.timeout(60)
def test_the_halls_events_wake_the_worker(make_app, monkeypatch):
    monkeypatch.setenv("HALLQ_NOTIFY_POLL_SECONDS", "120")  # only a wake-up sends in time
    h = make_app()
    with TestClient(h.app) as c:
        tickets = issue(c, h, 3)
        watch(c, h, tickets[2]["id"], places=0)
        call(c, h, 1)
        call(c, h, 2)
        for _ in range(200):
            if sms_lines(h):
                break
            time.sleep(0.05)
        assert [x["body"][:19] for x in sms_lines(h)] == ["【测试大厅】您的A003号前面还有0人"]
