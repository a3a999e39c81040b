"""The follow link on the applicant's phone: no token, one ticket, no applicant data, and
a rating of each service once served (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.quality.helpers import API
from tests.server.conftest import AppHandle

ELDER = "11010519491231002X"


def _ref(url: str) -> str:
    assert url.startswith("/t/")
    return url[3:]


def test_the_link_follows_one_ticket_and_shows_nobody(api: tuple[TestClient, AppHandle]):
    client, h = api
    kiosk, win = h.headers("kiosk"), h.headers("window", 1)
    first = client.post(f"{API}/tickets", json={"business": "transfer"}, headers=kiosk).json()
    t = client.post(f"{API}/tickets", json={"business": "transfer", "applicant": {
        "id_number": ELDER, "name": "王秀英"}}, headers=kiosk).json()
    ref = _ref(t["follow_url"])
    again = client.get(f"{API}/tickets/{t['id']}", headers=h.headers("guide")).json()
    assert again["follow_url"] == t["follow_url"]
    seen = client.get(f"{API}/follow/{ref}").json()  # no token at all
    assert (seen["number"], seen["status"], seen["business_name"]) == ("A002", "waiting", "转移登记")
    assert seen["waiting_ahead"] == 0  # green: ahead of the first ticket
    text = str(seen)
    assert "王" not in text and ELDER[-4:] not in text and "applicant" not in seen
    # A link altered by one character, or made up, finds nothing.
    for bad in (ref[:-1] + ("a" if ref[-1] != "a" else "b"), first["id"], "x.y", ""):
        r = client.get(f"{API}/follow/{bad}")
        assert r.status_code == 404 and r.json()["error"]["code"] in ("unknown_follow",
                                                                       "not_found")
    # Displays hear every ticket's events, never its link.
    with client.websocket_connect(f"{API}/events?token={h.token('display')}") as ws:
        snap = ws.receive_json()
        assert "follow_url" not in str(snap) and ref not in str(snap)
    client.post(f"{API}/windows/1/call-next", headers=win)
    called = client.get(f"{API}/follow/{ref}").json()
    assert (called["status"], called["window"]) == ("called", 1)
    early = client.post(f"{API}/follow/{ref}/evaluation", json={"rating": 5})
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_served"
    client.post(f"{API}/tickets/{t['id']}/complete", headers=win)
    done = client.get(f"{API}/follow/{ref}").json()
    assert done["status"] == "done" and [s["window"] for s in done["to_rate"]] == [1]
    r = client.post(f"{API}/follow/{ref}/evaluation", json={"rating": 4, "window": 1})
    assert r.status_code == 201 and r.json()["channel"] == "phone"
    assert client.get(f"{API}/follow/{ref}").json()["to_rate"] == []
    twice = client.post(f"{API}/follow/{ref}/evaluation", json={"rating": 1})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_evaluated"
    assert client.post(f"{API}/follow/{ref}/evaluation", json={"rating": 9}).status_code == 422


def test_the_public_address_prefixes_the_link(make_app):  # type: ignore[no-untyped-def]
    h = make_app(public_url="https://hall.example")
    with TestClient(h.app) as client:
        t = client.post(f"{API}/tickets", json={"business": "transfer"},
                        headers=h.headers("kiosk")).json()
        assert t["follow_url"].startswith("https://hall.example/t/")


def test_the_contracts_evaluation_route_takes_the_follow_link_too(api):
    """`POST /tickets/{id}/evaluation?follow=REF` with no token: the phone, as the
    contract lists it; a link of another ticket is refused."""
    client, h = api
    kiosk, win = h.headers("kiosk"), h.headers("window", 1)
    mine = client.post(f"{API}/tickets", json={"business": "transfer"}, headers=kiosk).json()
    other = client.post(f"{API}/tickets", json={"business": "transfer"}, headers=kiosk).json()
    for t in (mine, other):
        client.post(f"{API}/windows/1/call-next", headers=win)
        client.post(f"{API}/tickets/{t['id']}/complete", headers=win)
    ref = _ref(mine["follow_url"])
    wrong = client.post(f"{API}/tickets/{other['id']}/evaluation", params={"follow": ref},
                        json={"rating": 5})
    assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "unknown_follow"
    assert client.post(f"{API}/tickets/{mine['id']}/evaluation",
                       json={"rating": 5}).status_code == 401  # neither token nor link
    r = client.post(f"{API}/tickets/{mine['id']}/evaluation", params={"follow": ref},
                    json={"rating": 4})
    assert r.status_code == 201 and r.json()["channel"] == "phone"


def test_remind_me_from_the_link(api: tuple[TestClient, AppHandle]):
    """提醒我: one phone per ticket, a clear word for a bad number or a ticket already
    called, and a limit per phone so a passed-on link cannot flood one number."""
    client, h = api
    kiosk = h.headers("kiosk")
    tickets = [client.post(f"{API}/tickets", json={"business": "transfer"}, headers=kiosk).json()
               for _ in range(3)]
    ref = _ref(tickets[2]["follow_url"])
    assert client.get(f"{API}/follow/{ref}").json()["remind"] is True
    bad = client.post(f"{API}/follow/{ref}/notify", json={"phone": "12345"})
    assert bad.status_code == 422 and bad.json()["error"]["message"].startswith("手机号码")
    r = client.post(f"{API}/follow/{ref}/notify", json={"phone": "13812345678", "places": 2})
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["phone_masked"], body["places"], body["number"]) == ("138****5678", 2, "A003")
    assert "13812345678" not in r.text and "ticket_id" not in body
    # The same ticket again replaces the number (nothing was sent yet): still one watch.
    again = client.post(f"{API}/follow/{ref}/notify", json={"phone": "13912345678"})
    assert again.status_code == 200 and again.json()["phone_masked"] == "139****5678"
    for n in (0, 99):
        assert client.post(f"{API}/follow/{ref}/notify",
                           json={"phone": "13812345678", "places": n}).status_code == 422
    # A called ticket needs no reminder.
    first = _ref(tickets[0]["follow_url"])
    client.post(f"{API}/windows/1/call-next", headers=h.headers("window", 1))
    r = client.post(f"{API}/follow/{first}/notify", json={"phone": "13812345678"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_waiting"
    # One number signed up over and over from passed-on links: refused with a wait.
    second = _ref(tickets[1]["follow_url"])
    codes = [client.post(f"{API}/follow/{second}/notify", json={"phone": "13700000000"}
                         ).status_code for _ in range(12)]
    assert 429 in codes
    limited = client.post(f"{API}/follow/{second}/notify", json={"phone": "13700000000"})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert client.post(f"{API}/follow/nothing.abc/notify",
                       json={"phone": "13812345678"}).status_code == 404


def test_the_link_shows_its_case_and_nobody_in_it(api: tuple[TestClient, AppHandle]):
    from tests.cases.helpers import ZHANG_NAME, case_body

    client, h = api
    t = client.post(f"{API}/tickets", json={"business": "transfer"},
                    headers=h.headers("kiosk")).json()
    ref = _ref(t["follow_url"])
    assert client.get(f"{API}/follow/{ref}/cases").json() == {"cases": []}
    r = client.put(f"{API}/cases/HY2026-000123", json=case_body(ticket=t["id"]),
                   headers=h.headers("registry"))
    assert r.status_code in (200, 201), r.text
    [case] = client.get(f"{API}/follow/{ref}/cases").json()["cases"]
    assert (case["case_no"], case["status"], case["status_name"]) == (
        "HY2026-000123", "accepted", "已受理")
    assert case["due_date"] and "urgency" in case and "applicants" not in case
    assert ZHANG_NAME[0] not in str(case)
    # Another ticket's link does not reach it.
    other = client.post(f"{API}/tickets", json={"business": "transfer"},
                        headers=h.headers("kiosk")).json()
    assert client.get(f"{API}/follow/{_ref(other['follow_url'])}/cases").json() == {"cases": []}


def test_the_link_is_good_for_its_business_day_only(api: tuple[TestClient, AppHandle]):
    """A day later the ticket's follow link says it has expired (a typed 404, Chinese
    first), not "已取消" as if the hall had cancelled the applicant; the case accepted at
    the ticket still shows its progress; a made-up link stays unknown_follow."""
    from tests.cases.helpers import case_body

    client, h = api
    t = client.post(f"{API}/tickets", json={"business": "transfer"},
                    headers=h.headers("kiosk")).json()
    ref = _ref(t["follow_url"])
    assert client.get(f"{API}/follow/{ref}").status_code == 200
    r = client.put(f"{API}/cases/HY2026-000321", json=case_body(ticket=t["id"]),
                   headers=h.headers("registry"))
    assert r.status_code in (200, 201), r.text
    h.clock.advance(days=1)
    r = client.get(f"{API}/follow/{ref}")
    assert r.status_code == 404, r.text
    err = r.json()["error"]
    assert err["code"] == "follow_expired" and err["message"].startswith("这个链接已过期")
    assert "已取消" not in r.text and "cancelled" not in r.text
    [case] = client.get(f"{API}/follow/{ref}/cases").json()["cases"]
    assert case["case_no"] == "HY2026-000321"
    # Before the daily clear has run, the hall still holds it as waiting: no SMS sign-up
    # for a ticket of yesterday all the same.
    gone = client.post(f"{API}/follow/{ref}/notify", json={"phone": "13812345678"})
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "follow_expired"
    with (client.websocket_connect(f"{API}/follow/{ref}/events") as ws,
          pytest.raises(WebSocketDisconnect) as closed):
        ws.receive_json()
    assert closed.value.code == 4404
    made_up = client.get(f"{API}/follow/{ref[:-1]}{'a' if ref[-1] != 'a' else 'b'}")
    assert made_up.status_code == 404 and made_up.json()["error"]["code"] == "unknown_follow"
