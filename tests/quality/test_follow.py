"""The follow link on the applicant's phone: no token, one ticket, no applicant data, and
a rating of each service once served (SQLite and PostgreSQL)."""

from __future__ import annotations

from fastapi.testclient import TestClient

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
