"""The call list on SQLite and PostgreSQL: masked phones, the audited reveal, outcomes
recorded (again, the latest counting), the summary, roles and every refusal. A hall
with a 50 % share, so eight served visits with a phone give four calls."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from queue_server.store.tables import callback_outcomes, callback_reveals, ticket_watch
from tests.callbacks.helpers import API, Hall, layout_with_share

NOV = "2026-11"


@pytest.fixture
def drawn(make_app, tmp_path):
    h = make_app(layout=layout_with_share(tmp_path, 50))
    hall = Hall(h)
    month = hall.build(with_phone=8, without_phone=2)
    h.clock.now = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    r = hall.c.post(f"{API}/callbacks/{NOV}/draw", headers=hall.manager)
    assert r.status_code == 201 and r.json()["sample_size"] == 4, r.text
    calls = hall.c.get(f"{API}/callbacks/{NOV}", headers=hall.manager).json()["calls"]
    return hall, month, calls


def test_reveal_is_audited_and_the_audit_is_append_only(drawn):
    hall, month, calls = drawn
    c, h = hall.c, hall.h
    tid = calls[0]["ticket_id"]
    assert calls[0]["phone_masked"] == "139****" + month.phones[tid][-4:]
    r = c.post(f"{API}/callbacks/{NOV}/calls/{tid}/reveal", headers=hall.manager)
    assert r.status_code == 200 and r.json() == {"phone": month.phones[tid]}
    h.clock.advance(minutes=3)
    c.post(f"{API}/callbacks/{NOV}/calls/{tid}/reveal", headers=hall.admin)
    log = c.get(f"{API}/callbacks/{NOV}/reveals", headers=hall.admin).json()
    assert [(x["ticket_id"], x["role"]) for x in log] == [(tid, "manager"), (tid, "admin")]
    assert log[0]["actor"].startswith("manager:") and log[0]["at"] == "2026-12-02T02:00:00+00:00"
    assert month.phones[tid] not in str(log)
    # The audit is for administrators; a manager who reveals cannot read or prune it.
    assert c.get(f"{API}/callbacks/{NOV}/reveals", headers=hall.manager).status_code == 403
    assert c.post(f"{API}/callbacks/{NOV}/calls/{tid}", json={"reached": False},
                  headers=hall.manager).status_code == 201
    engine = h.app.state.store.engine
    for statement in (sa.update(callback_reveals).values(actor="nobody"),
                      sa.delete(callback_reveals),
                      sa.update(callback_outcomes).values(reached=True),
                      sa.delete(callback_outcomes)):
        with pytest.raises(DatabaseError, match="只能追加"), engine.begin() as conn:
            conn.execute(statement)
    assert len(c.get(f"{API}/callbacks/{NOV}/reveals", headers=hall.admin).json()) == 2
    # The sealed number lives in the watch alone (re-sealed there at start): gone from it,
    # it is gone, said in words, and nothing is logged as shown.
    with engine.begin() as conn:
        conn.execute(sa.delete(ticket_watch).where(ticket_watch.c.ticket_id == tid))
    r = c.post(f"{API}/callbacks/{NOV}/calls/{tid}/reveal", headers=hall.manager)
    assert r.status_code == 409 and r.json()["error"]["code"] == "phone_gone"
    assert len(c.get(f"{API}/callbacks/{NOV}/reveals", headers=hall.admin).json()) == 2
    assert c.get(f"{API}/callbacks/{NOV}", headers=hall.manager).json()["calls"][0][
        "phone_masked"] == calls[0]["phone_masked"]  # the list stays as drawn


def test_outcomes_latest_counts_and_the_summary(drawn):
    hall, _, calls = drawn
    c, m = hall.c, hall.manager
    ids = [x["ticket_id"] for x in calls]

    def record(tid: str, **body):
        r = c.post(f"{API}/callbacks/{NOV}/calls/{tid}", json=body, headers=m)
        assert r.status_code == 201, r.text
        return r.json()

    first = record(ids[0], reached=False, comment="无人接听")
    assert first["attempts"] == 1 and first["outcome"]["reached"] is False
    hall.h.clock.advance(hours=2)
    second = record(ids[0], reached=True, attitude=5, time_taken=4, discipline=5,
                    comment="  满意  ")
    assert second["attempts"] == 2 and second["outcome"]["comment"] == "满意"
    record(ids[1], reached=True, attitude=3, time_taken=2)  # discipline not asked
    record(ids[2], reached=False)
    listing = {x["ticket_id"]: x for x in
               c.get(f"{API}/callbacks/{NOV}", headers=m).json()["calls"]}
    assert listing[ids[0]]["attempts"] == 2 and listing[ids[0]]["outcome"]["attitude"] == 5
    assert listing[ids[0]]["outcome"]["by"].startswith("manager:")
    assert listing[ids[3]]["outcome"] is None

    s = c.get(f"{API}/callbacks/{NOV}/summary", headers=m).json()
    assert (s["month"], s["population"], s["share_percent"]) == (NOV, 8, "50")
    assert (s["drawn"], s["called"], s["reached"]) == (4, 3, 2)
    assert s["reach_rate"] == round(2 / 3, 4)
    assert (s["mean_attitude"], s["mean_time_taken"], s["mean_discipline"]) == (4.0, 3.0, 5.0)
    windows = {w["window"]: w for w in s["by_window"]}
    assert sum(w["drawn"] for w in windows.values()) == 4
    w0 = windows[listing[ids[0]]["window"]]
    assert w0["reached"] >= 1 and w0["mean_discipline"] == 5.0
    assert [w["window"] for w in s["by_window"]] == sorted(windows)
    staff = {x["staff"]: x for x in s["by_staff"]}
    assert sum(x["drawn"] for x in staff.values()) == 4
    assert staff[listing[ids[0]]["staff"]]["reached"] >= 1


def test_bad_outcomes_and_unknown_calls_are_refused(drawn):
    hall, month, calls = drawn
    c, m = hall.c, hall.manager
    tid = calls[0]["ticket_id"]
    outside = next(t for t in month.with_phone + month.without_phone
                   if t not in {x["ticket_id"] for x in calls})
    cases = [
        (f"{NOV}/calls/{tid}", {"reached": True, "attitude": 6}, 422, "invalid_score"),
        (f"{NOV}/calls/{tid}", {"reached": True, "discipline": 0}, 422, "invalid_score"),
        (f"{NOV}/calls/{tid}", {"reached": False, "attitude": 4}, 422, "scores_without_reach"),
        (f"{NOV}/calls/{tid}", {"reached": "yes"}, 422, "invalid_input"),
        (f"{NOV}/calls/{tid}", {"reached": True, "attitude": True}, 422, "invalid_input"),
        (f"{NOV}/calls/{tid}", {"attitude": 4}, 422, "invalid_input"),
        (f"{NOV}/calls/{tid}", {"reached": True, "mood": 4}, 422, "invalid_input"),
        (f"{NOV}/calls/{tid}", {"reached": True, "comment": "x" * 1001}, 422, "invalid_input"),
        (f"{NOV}/calls/{outside}", {"reached": True}, 404, "not_in_sample"),
        (f"2026-10/calls/{tid}", {"reached": True}, 404, "callback_not_drawn"),
        (f"2026-1/calls/{tid}", {"reached": True}, 422, "invalid_month"),
        (f"{NOV}/calls/{outside}/reveal", None, 404, "not_in_sample"),
        (f"2026-09/calls/{tid}/reveal", None, 404, "callback_not_drawn"),
    ]
    for path, body, status, code in cases:
        r = c.post(f"{API}/callbacks/{path}", json=body, headers=m)
        assert r.status_code == status, (path, body, r.text)
        assert r.json()["error"]["code"] == code, (path, body, r.text)
    bad_json = c.post(f"{API}/callbacks/{NOV}/calls/{tid}", content=b"{", headers={
        **m, "content-type": "application/json"})
    assert bad_json.status_code == 400 and bad_json.json()["error"]["code"] == "malformed_json"
    for path in ("2026-10", "2026-10/summary", "2026-10/verify"):
        r = c.get(f"{API}/callbacks/{path}", headers=m)
        assert r.status_code == 404 and r.json()["error"]["code"] == "callback_not_drawn"
    r = c.get(f"{API}/callbacks/13-2026/summary", headers=m)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_month"
    # Nothing refused was recorded, and nothing refused was revealed.
    assert c.get(f"{API}/callbacks/{NOV}", headers=m).json()["calls"][0]["attempts"] == 0
    assert c.get(f"{API}/callbacks/{NOV}/reveals", headers=hall.admin).json() == []


def test_only_managers_and_admins(drawn):
    hall, _, calls = drawn
    c, h = hall.c, hall.h
    tid = calls[0]["ticket_id"]
    routes = [("post", "2026-10/draw", None), ("get", NOV, None), ("get", f"{NOV}/summary", None),
              ("get", f"{NOV}/verify", None), ("post", f"{NOV}/calls/{tid}", {"reached": True}),
              ("post", f"{NOV}/calls/{tid}/reveal", None)]
    others = [h.headers(role) for role in ("kiosk", "guide", "display", "registry", "portal")]
    others += [hall.win[1], h.headers("pad", 1)]
    for method, path, body in routes:
        for headers in others:
            r = c.request(method, f"{API}/callbacks/{path}", json=body, headers=headers)
            assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", (path, r.text)
        assert c.request(method, f"{API}/callbacks/{path}", json=body).status_code == 401
    assert c.get(f"{API}/callbacks/{NOV}", headers=hall.admin).status_code == 200
    assert c.get(f"{API}/callbacks/{NOV}/reveals", headers=hall.admin).status_code == 200
    # Nothing above was drawn, recorded or revealed.
    assert c.get(f"{API}/callbacks/2026-10", headers=hall.admin).status_code == 404
    assert c.get(f"{API}/callbacks/{NOV}/reveals", headers=hall.admin).json() == []


def test_a_case_linked_to_the_ticket_lends_its_applicant_phone(make_app, tmp_path):
    """A visit with no number left at the kiosk is still called back when the back office
    linked its case to the ticket: the case's first applicant with a phone. A number left
    at the kiosk comes first, being the visitor's own."""
    from tests.cases.helpers import PHONE_ZHANG, case_body

    h = make_app(layout=layout_with_share(tmp_path, 100))
    hall = Hall(h)
    month = hall.build(with_phone=2, without_phone=2)
    c, registry = hall.c, h.headers("registry")
    lone, watched = month.without_phone[0], month.with_phone[0]
    for n, tid in enumerate((lone, watched)):
        r = c.put(f"{API}/cases/202611230000{n}", json=case_body(ticket=tid), headers=registry)
        assert r.status_code == 201, r.text
    h.clock.now = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    d = c.post(f"{API}/callbacks/{NOV}/draw", headers=hall.manager).json()
    assert d["population"] == 3 and d["sample_size"] == 3  # two watched, one through its case
    calls = {x["ticket_id"]: x for x in
             c.get(f"{API}/callbacks/{NOV}", headers=hall.manager).json()["calls"]}
    assert month.without_phone[1] not in calls
    assert (calls[lone]["phone_from"], calls[lone]["case_no"]) == ("case", "2026112300000")
    assert calls[lone]["phone_masked"] == "138****5678"
    assert calls[watched]["phone_from"] == "kiosk"
    reveal = f"{API}/callbacks/{NOV}/calls/{{}}/reveal"
    assert c.post(reveal.format(lone), headers=hall.manager).json() == {"phone": PHONE_ZHANG}
    assert c.post(reveal.format(watched), headers=hall.manager).json() == {
        "phone": month.phones[watched]}
    assert c.get(f"{API}/callbacks/{NOV}/verify", headers=hall.manager).json()["ok"] is True
