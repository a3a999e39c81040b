"""Cases through the HTTP API, on SQLite and PostgreSQL: pushes, out-of-order updates,
the applicant's lookup and its proof, the staff views and the overtime warnings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.cases.helpers import (
    LI,
    T_ACCEPT,
    WANG,
    ZHANG,
    card,
    card_header,
    case_body,
    register_cards,
    step,
)
from tests.server.conftest import AppHandle

CASE = "2026112000123"


@pytest.fixture
def client(api: tuple[TestClient, AppHandle]):
    c, h = api
    register_cards(c, h.headers("registry"))
    return c, h, h.headers("registry"), h.headers("kiosk")


def put(c: TestClient, reg: dict[str, str], body: dict, case_no: str = CASE):
    return c.put(f"/api/v1/cases/{case_no}", json=body, headers=reg)


def test_a_push_creates_then_a_resend_changes_nothing(client):
    c, h, reg, _ = client
    r = put(c, reg, case_body())
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["header"] == "created" and first["steps_added"] == 1
    assert first["status"] == "accepted"
    # hallq issued the receipt token, for the back office to print as a QR code.
    assert len(first["receipt_token"]) == 16
    assert first["receipt_qr"] == f"HQC1:{CASE}:{first['receipt_token']}"
    again = put(c, reg, case_body())
    assert again.status_code == 200
    assert again.json()["header"] == "unchanged" and again.json()["steps_added"] == 0
    assert again.json()["receipt_token"] == first["receipt_token"]


def test_only_the_registry_pushes(client):
    c, h, _, kiosk = client
    for role in ("kiosk", "guide", "admin", "window", "display"):
        hdr = h.headers(role, 1 if role == "window" else None)
        r = c.put(f"/api/v1/cases/{CASE}", json=case_body(), headers=hdr)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


def test_steps_arriving_out_of_order_leave_the_highest_seq_current(client):
    c, h, reg, _ = client
    t = T_ACCEPT
    put(c, reg, case_body(steps=[step(1, "accepted", t), step(4, "recorded", t + timedelta(days=3))]))
    # A late, older step fills the timeline but does not move the case back.
    late = put(c, reg, case_body(steps=[step(2, "review_1", t + timedelta(days=1))])).json()
    assert late["steps_added"] == 1 and late["status"] == "recorded"
    view = c.get(f"/api/v1/cases/{CASE}", headers=h.headers("guide")).json()
    assert [s["step"] for s in view["timeline"]] == ["accepted", "review_1", "recorded"]
    assert view["status"] == "recorded"
    # A correction sent back to review comes with a higher seq, and wins.
    back = put(c, reg, case_body(steps=[step(5, "review_2", t + timedelta(days=4))])).json()
    assert back["status"] == "review_2"


def test_a_stale_header_never_overwrites_a_newer_one(client):
    c, h, reg, _ = client
    put(c, reg, case_body(version=5, item_name="新名称"))
    stale = put(c, reg, case_body(version=3, item_name="旧名称",
                                  steps=[step(2, "review_1")])).json()
    assert stale["header"] == "stale"
    assert stale["steps_added"] == 1  # its steps still count: they carry their own seq
    view = c.get(f"/api/v1/cases/{CASE}", headers=h.headers("guide")).json()
    assert view["item_name"] == "新名称" and view["version"] == 5
    newer = put(c, reg, case_body(version=6, item_name="更新", applicants=[
        {"id_number": WANG, "name": "王建国"}])).json()
    assert newer["header"] == "updated"
    view = c.get(f"/api/v1/cases/{CASE}", headers=h.headers("guide")).json()
    assert view["item_name"] == "更新" and [a["name_masked"] for a in view["applicants"]] == ["王**"]


def test_same_version_with_other_content_is_a_conflict(client):
    c, _, reg, _ = client
    put(c, reg, case_body(version=2))
    r = put(c, reg, case_body(version=2, item_name="别的名称"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "version_conflict"
    r = put(c, reg, case_body(version=2, steps=[step(1, "review_1")]))
    assert r.status_code == 409 and r.json()["error"]["code"] == "step_conflict"


@pytest.mark.parametrize("change, code", [
    ({"steps": [step(1, "refused")]}, "reason_required"),
    ({"time_limit_days": None, "item": "unknown_item"}, "time_limit_required"),
    ({"applicants": [{"id_number": "430408196203142318", "name": "张三丰"}]}, "invalid_id_number"),
    ({"applicants": [{"id_number": ZHANG, "name": "张三丰", "phone": "12345"}]}, "invalid_phone"),
    ({"accepted_at": "2026-11-20T09:30:00"}, "invalid_input"),
])
def test_bad_pushes_are_refused_with_a_reason(client, change, code):
    c, _, reg, _ = client
    r = put(c, reg, case_body(**change))
    assert r.status_code == 422 and r.json()["error"]["code"] == code
    assert ZHANG not in r.text and "430408196203142318" not in r.text


def test_reserved_words_are_not_case_numbers(client):
    c, _, reg, _ = client
    for bad in ("import", "overdue", "lookup", "a" * 41, "有中文"):
        r = put(c, reg, case_body(), case_no=bad)
        assert r.status_code in (405, 422), (bad, r.text)


def test_the_applicant_sees_progress_with_the_id_card(client):
    c, h, reg, kiosk = client
    put(c, reg, case_body(steps=[step(1, "accepted"), step(2, "review_1")]))
    by_post = c.post("/api/v1/cases/lookup", json={"case_no": CASE, "id_number": LI.lower(), "card": card(LI)},
                     headers=kiosk)
    assert by_post.status_code == 200, by_post.text
    view = by_post.json()
    assert view["status"] == "review_1" and view["status_name"] == "初审"
    assert view["due_date"] == "2026-11-27"  # five working days after Friday the 20th
    assert [p["state"] for p in view["progress"][:3]] == ["done", "current", "todo"]
    assert view["hint"].startswith("正在审核中")
    assert {a["name_masked"] for a in view["applicants"]} == {"张**", "李**"}
    by_header = c.get(f"/api/v1/cases/{CASE}", headers={**kiosk, "X-Id-Number": ZHANG, "X-Card-Evidence": card_header(ZHANG)})
    assert by_header.status_code == 200 and by_header.json() == view


def test_the_receipt_token_and_its_qr_are_proof_too(client):
    c, _, reg, kiosk = client
    token = put(c, reg, case_body()).json()["receipt_token"]
    r = c.post("/api/v1/cases/lookup", json={"case_no": CASE, "receipt_token": token.lower()},
               headers=kiosk)
    assert r.status_code == 200
    qr = c.post("/api/v1/cases/lookup", json={"receipt_qr": f"HQC1:{CASE}:{token}"}, headers=kiosk)
    assert qr.status_code == 200 and qr.json()["case_no"] == CASE
    hdr = c.get(f"/api/v1/cases/{CASE}", headers={**kiosk, "X-Receipt-Token": token})
    assert hdr.status_code == 200


def test_a_receipt_code_from_the_back_office_replaces_hallqs_token(client):
    c, _, reg, kiosk = client
    r = put(c, reg, case_body(receipt_code="RCPT-77-ABC")).json()
    assert "receipt_token" not in r
    ok = c.post("/api/v1/cases/lookup", json={"case_no": CASE, "receipt_token": "rcpt77abc"},
                headers=kiosk)
    assert ok.status_code == 200


def test_a_wrong_proof_says_nothing_about_existence(client):
    c, _, reg, kiosk = client
    token = put(c, reg, case_body()).json()["receipt_token"]
    answers = [
        c.post("/api/v1/cases/lookup", json={"case_no": CASE, "id_number": WANG, "card": card(WANG)}, headers=kiosk),
        c.post("/api/v1/cases/lookup", json={"case_no": "2099000000001", "id_number": WANG, "card": card(WANG)},
               headers=kiosk),
        c.post("/api/v1/cases/lookup", json={"case_no": "2099000000001", "id_number": ZHANG, "card": card(ZHANG)},
               headers=kiosk),
        c.post("/api/v1/cases/lookup", json={"case_no": CASE, "receipt_token": "A" * 16},
               headers=kiosk),
        c.post("/api/v1/cases/lookup", json={"case_no": "2099000000001", "receipt_token": token},
               headers=kiosk),
        c.get(f"/api/v1/cases/{CASE}", headers={**kiosk, "X-Id-Number": WANG, "X-Card-Evidence": card_header(WANG)}),
        c.get("/api/v1/cases/2099000000001", headers={**kiosk, "X-Id-Number": WANG, "X-Card-Evidence": card_header(WANG)}),
    ]
    assert {r.status_code for r in answers} == {404}
    assert len({r.content for r in answers}) == 1
    assert set(answers[0].headers) == set(answers[1].headers)
    assert answers[0].json()["error"]["code"] == "case_not_found"


def test_proof_is_required_and_never_taken_from_the_url(client):
    c, _, reg, kiosk = client
    put(c, reg, case_body())
    r = c.get(f"/api/v1/cases/{CASE}", headers=kiosk)
    assert r.status_code == 422 and r.json()["error"]["code"] == "proof_required"
    # A query parameter is not a place for an ID number: it is ignored, not accepted.
    r = c.get(f"/api/v1/cases/{CASE}?id_number={ZHANG}", headers=kiosk)
    assert r.status_code == 422


def test_the_card_holder_lists_their_cases(client):
    c, _, reg, kiosk = client
    put(c, reg, case_body())
    put(c, reg, case_body(applicants=[{"id_number": LI, "name": "李秀英"}]), case_no="2026112000999")
    mine = c.post("/api/v1/cases/by-applicant", json={"id_number": LI, "card": card(LI)}, headers=kiosk).json()
    assert sorted(x["case_no"] for x in mine["cases"]) == [CASE, "2026112000999"]
    assert c.post("/api/v1/cases/by-applicant", json={"id_number": WANG, "card": card(WANG)},
                  headers=kiosk).json() == {"cases": []}


def test_a_refusal_shows_its_reason(client):
    c, _, reg, kiosk = client
    put(c, reg, case_body(steps=[step(1, "accepted"),
                                 step(2, "refused", reason="缺少完税证明")]))
    view = c.post("/api/v1/cases/lookup", json={"case_no": CASE, "id_number": ZHANG, "card": card(ZHANG)},
                  headers=kiosk).json()
    assert view["status"] == "refused" and view["refusal_reason"] == "缺少完税证明"
    assert view["progress"] == []


def test_staff_see_masked_applicants_and_display_sees_nothing(client):
    c, h, reg, _ = client
    put(c, reg, case_body())
    view = c.get(f"/api/v1/cases/{CASE}", headers=h.headers("window", 1)).json()
    zhang = view["applicants"][0]
    assert zhang["id_masked"] == "430***********2317" and zhang["phone_masked"] == "138****5678"
    r = c.get(f"/api/v1/cases/{CASE}", headers=h.headers("display"))
    assert r.status_code == 403
    assert c.get("/api/v1/cases/nope-1", headers=h.headers("guide")).status_code == 404


def test_overtime_warnings_follow_working_days(client):
    c, h, reg, _ = client
    put(c, reg, case_body())  # due Friday the 27th
    put(c, reg, case_body(steps=[step(1, "accepted"), step(2, "ready")]), case_no="2026112000200")
    guide = h.headers("guide")
    assert c.get("/api/v1/cases/overdue", headers=guide).json()["cases"] == []  # Monday
    h.clock.advance(days=2)  # Wednesday: two working days left
    soon = c.get("/api/v1/cases/overdue", headers=guide).json()
    assert [(x["case_no"], x["urgency"], x["workdays_left"]) for x in soon["cases"]] == [
        (CASE, "due_soon", 2)]
    assert soon["cases"][0]["urgency_name"] == "即将超期"
    h.clock.advance(days=3)  # Saturday: past the due date; the ready case never warns
    late = c.get("/api/v1/cases/overdue", headers=h.headers("window", 2)).json()
    assert [(x["case_no"], x["urgency"]) for x in late["cases"]] == [(CASE, "overdue")]
    assert late["overdue"] == 1 and late["cases"][0]["applicants"][0]["id_masked"].startswith("430")
    assert c.get("/api/v1/cases/overdue", headers=h.headers("kiosk")).status_code == 403


def test_case_lookups_are_rate_limited_per_id(client):
    c, h, reg, kiosk = client
    put(c, reg, case_body())
    for _ in range(10):
        assert c.post("/api/v1/cases/lookup", json={"case_no": CASE, "id_number": ZHANG, "card": card(ZHANG)},
                      headers=h.headers("kiosk")).status_code == 200
    r = c.post("/api/v1/cases/lookup", json={"case_no": CASE, "id_number": ZHANG, "card": card(ZHANG)},
               headers=h.headers("kiosk"))
    assert r.status_code == 429
    err = r.json()["error"]
    assert err["code"] == "rate_limited" and err["message"].startswith("该身份证号码的查询过于频繁")
    assert int(r.headers["retry-after"]) == err["retry_after"] > 0
    h.clock.advance(minutes=10)
    assert c.post("/api/v1/cases/lookup", json={"case_no": CASE, "id_number": ZHANG, "card": card(ZHANG)},
                  headers=kiosk).status_code == 200
