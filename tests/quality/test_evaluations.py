"""好差评 through the API: one rating per service, bound to ticket, window, staff and
business; bad ratings open work orders at once; the refusals (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from tests.quality.helpers import API, add_staff, serve, sign_in
from tests.server.conftest import AppHandle


def _rate(client: TestClient, h: AppHandle, ticket_id: str, body: dict, role: str = "pad",
          window: int | None = 1):
    # The one kiosk of the test, as a real kiosk keeps its token: a kiosk rates only what
    # it has offered (domain/scope.py Offers).
    headers = (h.kiosk() if role == "kiosk"
               else h.headers(role, window if role in ("pad", "window") else None))
    return client.post(f"{API}/tickets/{ticket_id}/evaluation", json=body, headers=headers)


def test_a_pad_rates_its_windows_service_once(api: tuple[TestClient, AppHandle]):
    client, h = api
    add_staff(client, h, "1001", "张伟")
    sign_in(client, h, 1, "1001")
    t = serve(client, h, 1)
    r = _rate(client, h, t["id"], {"rating": 5, "dimensions": {"efficiency": 4, "attitude": 5}})
    assert r.status_code == 201, r.text
    ev = r.json()
    assert (ev["number"], ev["window"], ev["staff"], ev["business"], ev["rating"],
            ev["rating_name"], ev["channel"]) == ("A001", 1, "1001", "transfer", 5, "非常满意",
                                                  "pad")
    assert ev["dimensions"] == {"efficiency": 4, "competence": None, "attitude": 5}
    assert ev["work_order"] is None
    again = _rate(client, h, t["id"], {"rating": 1})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_evaluated"
    # From the kiosk too: the same service is the same service.
    kiosk = _rate(client, h, t["id"], {"rating": 3}, role="kiosk")
    assert kiosk.status_code == 409 and kiosk.json()["error"]["code"] == "already_evaluated"
    listed = client.get(f"{API}/evaluations", params={"from": "2026-11-23", "to": "2026-11-23"},
                        headers=h.headers("manager")).json()
    assert [(e["number"], e["rating"], e["staff"], e["efficiency"]) for e in listed] == [
        ("A001", 5, "1001", 4)]


def test_a_journey_is_one_visit_with_one_rating_per_window(api):
    client, h = api
    kiosk = h.kiosk()
    t = client.post(f"{API}/tickets", json={"business": "tax", "journey": "sale"},
                    headers=kiosk).json()
    w3, w1 = h.headers("window", 3), h.headers("window", 1)
    assert client.post(f"{API}/windows/3/call-next", headers=w3).json()["ticket"]["id"] == t["id"]
    # Not served yet anywhere: nothing to rate.
    early = _rate(client, h, t["id"], {"rating": 5}, role="kiosk")
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_served"
    assert client.post(f"{API}/tickets/{t['id']}/forward", headers=w3).status_code == 200
    # Window 1's pad cannot rate a service window 1 has not given.
    other = _rate(client, h, t["id"], {"rating": 5}, window=1)
    assert other.status_code == 403 and other.json()["error"]["code"] == "wrong_window"
    tax = _rate(client, h, t["id"], {"rating": 4}, window=3)
    assert tax.status_code == 201 and tax.json()["business"] == "tax"
    client.post(f"{API}/windows/1/call-next", headers=w1)
    client.post(f"{API}/tickets/{t['id']}/complete", headers=w1)
    # The applicant scans the ticket at the kiosk, which offers the one service left
    # unrated (window 1's transfer) and rates it.
    ref = t["follow_url"].rsplit("/t/", 1)[1]
    offered = client.get(f"{API}/follow/{ref}", headers=kiosk).json()["to_rate"]
    assert [(s["window"], s["business"]) for s in offered] == [(1, "transfer")]
    last = _rate(client, h, t["id"], {"rating": 5}, role="kiosk")
    assert last.status_code == 201
    assert (last.json()["window"], last.json()["business"], last.json()["channel"]) == (
        1, "transfer", "kiosk")
    done = _rate(client, h, t["id"], {"rating": 5}, role="kiosk")
    assert done.status_code == 409 and done.json()["error"]["code"] == "already_evaluated"


def test_a_bad_rating_opens_a_work_order_due_in_working_days(api):
    client, h = api
    add_staff(client, h, "1001", "张伟")
    sign_in(client, h, 1, "1001")
    t = serve(client, h, 1)
    r = _rate(client, h, t["id"], {"rating": 2, "reason": "slow", "comment": "等了  一小时"})
    assert r.status_code == 201
    order = r.json()["work_order"]
    # Reviewed Monday 2026-11-23: 15 working days later, weekends not counted.
    assert order["due_date"] == date(2026, 12, 14).isoformat()
    listed = client.get(f"{API}/followups", headers=h.headers("manager")).json()
    assert [(o["id"], o["number"], o["rating"], o["status"], o["staff"], o["window"])
            for o in listed] == [(order["id"], "A001", 2, "open", "1001", 1)]
    one = client.get(f"{API}/followups/{order['id']}", headers=h.headers("manager")).json()
    assert one["evaluation"]["reason"] == "slow" and one["evaluation"]["comment"] == "等了 一小时"
    assert [e["type"] for e in one["history"]][:2] == ["ticket.issued", "ticket.called"]
    assert one["history"][-1]["type"] == "evaluation.recorded"


def test_bad_input_is_refused_and_stores_nothing(api):
    client, h = api
    t = serve(client, h, 1)
    cases = [({"rating": 6}, 422, "invalid_rating"), ({"rating": 0}, 422, "invalid_rating"),
             ({"rating": True}, 422, "invalid_input"), ({"rating": "5"}, 422, "invalid_input"),
             ({"rating": 4, "dimensions": {"attitude": 9}}, 422, "invalid_rating"),
             ({"rating": 4, "dimensions": {"looks": 3}}, 422, "invalid_input"),
             ({"rating": 2, "reason": "weather"}, 422, "unknown_reason"),
             ({"rating": 2, "comment": "长" * 401}, 422, "comment_too_long"),
             ({"rating": "good"}, 422, "invalid_input"),
             ({}, 422, "invalid_input")]
    for body, status, code in cases:
        r = _rate(client, h, t["id"], body)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), body
    assert _rate(client, h, "nope", {"rating": 5}).status_code == 404
    # Who may rate: the pad and the kiosk, never the staff rated nor a display.
    for role, window in (("window", 1), ("guide", None), ("display", None), ("manager", None)):
        r = client.post(f"{API}/tickets/{t['id']}/evaluation", json={"rating": 5},
                        headers=h.headers(role, window))
        assert r.status_code == 403, role
    assert client.get(f"{API}/evaluations", params={"from": "2026-11-23", "to": "2026-11-23"},
                      headers=h.headers("manager")).json() == []
    assert _rate(client, h, t["id"], {"rating": 5}).status_code == 201


def test_yesterdays_service_is_not_rated_at_the_pad(api):
    client, h = api
    t = serve(client, h, 1)
    h.clock.advance(days=1)
    r = _rate(client, h, t["id"], {"rating": 5})
    assert r.status_code == 409 and r.json()["error"]["code"] == "evaluation_closed"


ID = "110105198001010016"
OTHER = "110105198001010024"


def test_the_kiosk_finds_the_card_holders_services_to_rate(api):
    client, h = api
    add_staff(client, h, "1001", "张伟")
    sign_in(client, h, 1, "1001")
    kiosk, win = h.kiosk(), h.headers("window", 1)
    mine = client.post(f"{API}/tickets", json={"business": "transfer", "applicant": {
        "id_number": ID, "name": "王小明"}}, headers=kiosk).json()
    client.post(f"{API}/tickets", json={"business": "mortgage", "applicant": {
        "id_number": OTHER, "name": "李四"}}, headers=kiosk)
    pending = lambda number: client.post(f"{API}/evaluations/pending",  # noqa: E731
                                         json={"id_number": number}, headers=kiosk)
    assert pending(ID).json() == []  # waiting: nothing to rate yet
    client.post(f"{API}/windows/1/call-next", headers=win)
    client.post(f"{API}/tickets/{mine['id']}/complete", headers=win)
    [one] = pending(ID).json()
    assert (one["ticket"], one["number"], one["window"], one["staff"], one["staff_name"],
            one["business_name"]) == (mine["id"], "A001", 1, "1001", "张伟", "转移登记")
    assert pending(OTHER).json() == []
    r = _rate(client, h, one["ticket"], {"rating": 4, "window": one["window"]}, role="kiosk")
    assert r.status_code == 201 and r.json()["channel"] == "kiosk"
    assert pending(ID).json() == []
    bad = pending("123")
    assert bad.status_code == 422
    assert client.post(f"{API}/evaluations/pending", json={"id_number": ID},
                       headers=h.headers("pad", 1)).status_code == 403


def test_a_case_the_back_office_pushed_for_the_ticket_is_named_in_its_evaluation(api):
    from tests.cases.helpers import case_body
    client, h = api
    t = serve(client, h, 1)
    r = client.put(f"{API}/cases/BDC20261123001", json=case_body(ticket=t["id"]),
                   headers=h.headers("registry"))
    assert r.status_code in (200, 201), r.text
    ev = _rate(client, h, t["id"], {"rating": 2})
    assert ev.status_code == 201 and ev.json()["case_no"] == "BDC20261123001"
    order = client.get(f"{API}/followups/{ev.json()['work_order']['id']}",
                       headers=h.headers("manager")).json()
    assert order["evaluation"]["case_no"] == "BDC20261123001"
    # Without a case, the evaluation names none rather than guessing.
    other = serve(client, h, 1)
    assert _rate(client, h, other["id"], {"rating": 5}).json()["case_no"] is None
    bad = client.put(f"{API}/cases/BDC2", json=case_body(ticket=""), headers=h.headers("registry"))
    assert bad.status_code == 422


def test_the_pending_lookup_is_rate_limited_per_id_number(api):
    """A kiosk token copied off a kiosk cannot ask about one person again and again."""
    client, h = api
    kiosk = h.headers("kiosk")
    answers = [client.post(f"{API}/evaluations/pending", json={"id_number": ID},
                           headers=kiosk).status_code for _ in range(12)]
    assert answers[:5] == [200] * 5 and answers[-1] == 429
    r = client.post(f"{API}/evaluations/pending", json={"id_number": ID}, headers=kiosk)
    assert r.json()["error"]["code"] == "rate_limited" and int(r.headers["retry-after"]) >= 1
    # Another person's lookup from the same kiosk still answers.
    other = client.post(f"{API}/evaluations/pending", json={"id_number": OTHER}, headers=kiosk)
    assert other.status_code == 200


def test_a_kiosk_rates_only_what_it_offered_its_applicant(api):
    """A kiosk token copied off a kiosk cannot pour bad reviews, each a work order, onto
    the day's tickets: a kiosk rates a service only after the card holder's ID card
    (/evaluations/pending) or the scanned ticket (/follow) offered it, for minutes."""
    client, h = api
    kiosk, copied = h.kiosk(), h.headers("kiosk")
    win = h.headers("window", 1)
    t = client.post(f"{API}/tickets", json={"business": "transfer", "applicant": {
        "id_number": ID, "name": "王小明"}}, headers=kiosk).json()
    client.post(f"{API}/windows/1/call-next", headers=win)
    client.post(f"{API}/tickets/{t['id']}/complete", headers=win)

    def rate(headers: dict[str, str], rating: int = 1):
        return client.post(f"{API}/tickets/{t['id']}/evaluation",
                           json={"rating": rating, "window": 1}, headers=headers)

    # Knowing the ticket's id (the displays' stream carries it) is not enough.
    r = rate(kiosk)
    assert r.status_code == 403 and r.json()["error"]["code"] == "evaluation_not_offered"
    assert r.json()["error"]["message"].startswith("请先刷身份证")
    # The phone's link read without a token offers nothing to any kiosk.
    ref = t["follow_url"].rsplit("/t/", 1)[1]
    assert client.get(f"{API}/follow/{ref}").status_code == 200
    assert rate(kiosk).status_code == 403
    # Offered to one kiosk: another kiosk's token still cannot rate it.
    assert len(client.post(f"{API}/evaluations/pending", json={"id_number": ID},
                           headers=kiosk).json()) == 1
    assert rate(copied).json()["error"]["code"] == "evaluation_not_offered"
    # The offer lasts while the applicant stands there, not for the rest of the day.
    h.clock.advance(minutes=11)
    assert rate(kiosk).json()["error"]["code"] == "evaluation_not_offered"
    client.get(f"{API}/follow/{ref}", headers=kiosk)
    ok = rate(kiosk, 5)
    assert ok.status_code == 201 and ok.json()["channel"] == "kiosk"
    assert client.get(f"{API}/evaluations", params={"from": "2026-11-23", "to": "2026-11-23"},
                      headers=h.headers("manager")).json()[0]["rating"] == 5
