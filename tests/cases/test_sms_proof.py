"""The SMS level of the proof for the archive and a person's cases (issue 16): a one-time
code texted to the phone the registry holds (the phone on the person's newest case), with
or without the card's chip data, as the hall sets `HALLQ_LOOKUP_PROOF` (`sms`,
`card+sms`). Booking's own code and pass machinery, on SQLite and PostgreSQL, the real
app, the code read from the notify outbox as a gateway would send it."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from queue_server.store.tables import notify_outbox
from tests.cases.helpers import (
    LI,
    PHONE_LI,
    PHONE_ZHANG,
    WANG,
    ZHANG,
    card,
    case_body,
    register_cards,
    unit_body,
)

CASE = "2026112000123"
UNIT = "430405001001GB00001F0001"


def masked(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


def texts(h, phone: str) -> list[str]:
    """The lookup codes texted to `phone`, newest first, as the gateway would send them."""
    with h.app.state.store.engine.connect() as conn:
        rows = conn.execute(select(notify_outbox.c.body).where(
            notify_outbox.c.kind == "lookup_code",
            notify_outbox.c.recipient_masked == masked(phone))
            .order_by(notify_outbox.c.created_at.desc(), notify_outbox.c.id.desc())).all()
    return [r[0] for r in rows]


def sms_code(h, phone: str) -> str:
    m = re.search(r"验证码 (\d{6})", texts(h, phone)[0])
    assert m
    return m.group(1)


def refused(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code
    zh, _, en = err["message"].partition(" / ")
    assert re.search(r"[\u4e00-\u9fff]", zh) and en
    return err


def hall_at(make_app, level: str):
    h = make_app(lookup_proof=level)
    c = TestClient(h.app)  # no lifespan: the outbox keeps what it was given
    reg = h.headers("registry")
    assert c.put(f"/api/v1/cases/{CASE}", json=case_body(), headers=reg).status_code == 201
    assert c.put(f"/api/v1/units/{UNIT}", json=unit_body(), headers=reg).status_code == 201
    register_cards(c, reg)
    return c, h


def test_sms_level_texts_a_code_to_the_registrys_phone_and_the_code_opens_the_archive(
        make_app):
    c, h = hall_at(make_app, "sms")
    kiosk = h.kiosk()
    ask = c.post("/api/v1/archive/lookup", json={"id_number": ZHANG}, headers=kiosk)
    err = refused(ask, 403, "sms_code_required")
    assert err["phone_masked"] == "138****5678" and err["expires_in_seconds"] == 300
    assert "138****5678" in err["message"]
    sent = texts(h, PHONE_ZHANG)
    assert len(sent) == 1 and "自助机查询" in sent[0]
    code = sms_code(h, PHONE_ZHANG)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    refused(c.post("/api/v1/archive/lookup", json={"id_number": ZHANG, "sms_code": wrong},
                   headers=kiosk), 422, "wrong_sms_code")
    shown = c.post("/api/v1/archive/lookup", json={"id_number": ZHANG, "sms_code": code},
                   headers=kiosk)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["count"] == 1 and body["units"][0]["unit_no"] == UNIT
    # The code is used up; the pass it gave serves the rest of the visit, no second text.
    refused(c.post("/api/v1/archive/lookup", json={"id_number": ZHANG, "sms_code": code},
                   headers=kiosk), 422, "sms_code_expired")
    mine = c.post("/api/v1/cases/by-applicant",
                  json={"id_number": ZHANG, "sms_pass": body["sms_pass"]}, headers=kiosk)
    assert mine.status_code == 200 and [x["case_no"] for x in mine.json()["cases"]] == [CASE]
    by_header = c.get(f"/api/v1/cases/{CASE}", headers={
        **kiosk, "X-Id-Number": ZHANG, "X-Sms-Pass": body["sms_pass"]})
    assert by_header.status_code == 200 and by_header.json()["case_no"] == CASE
    assert len(texts(h, PHONE_ZHANG)) == 1
    log = [e["outcome"] for e in c.get("/api/v1/archive/audit",
                                       headers=h.headers("admin")).json()]
    assert log == ["sms_sent", "sms_refused", "shown", "sms_refused"]


def test_a_pass_opens_only_the_person_whose_phone_it_proved(make_app):
    c, h = hall_at(make_app, "sms")
    kiosk = h.kiosk()
    c.post("/api/v1/cases/lookup", json={"case_no": CASE, "id_number": ZHANG}, headers=kiosk)
    ok = c.post("/api/v1/cases/lookup", json={"case_no": CASE, "id_number": ZHANG,
                                              "sms_code": sms_code(h, PHONE_ZHANG)},
                headers=kiosk)
    assert ok.status_code == 200, ok.text
    zhang_pass = ok.json()["sms_pass"]
    # 李秀英 is on the same case, with her own phone: 张三丰's pass asks for her code.
    other = c.post("/api/v1/cases/lookup", json={"case_no": CASE, "id_number": LI,
                                                 "sms_pass": zhang_pass}, headers=kiosk)
    assert refused(other, 403, "sms_code_required")["phone_masked"] == "159****4321"
    assert len(texts(h, PHONE_LI)) == 1
    # A pass made up or run out is no proof either.
    h.clock.advance(minutes=16)
    late = c.post("/api/v1/cases/lookup", json={"case_no": CASE, "id_number": ZHANG,
                                                "sms_pass": zhang_pass}, headers=kiosk)
    refused(late, 403, "sms_code_required")


def test_card_and_sms_checks_the_card_first_and_texts_only_its_holder(make_app):
    c, h = hall_at(make_app, "card+sms")
    kiosk = h.kiosk()
    refused(c.post("/api/v1/archive/lookup", json={"id_number": ZHANG}, headers=kiosk),
            422, "card_required")
    wrong = {**card(ZHANG), "valid_from": "2012-03-01"}
    refused(c.post("/api/v1/archive/lookup", json={"id_number": ZHANG, "card": wrong},
                   headers=kiosk), 403, "card_not_verified")
    assert texts(h, PHONE_ZHANG) == []  # a guessed card texts nobody
    refused(c.post("/api/v1/archive/lookup", json={"id_number": ZHANG, "card": card(ZHANG)},
                   headers=kiosk), 403, "sms_code_required")
    code = sms_code(h, PHONE_ZHANG)
    # The right code with a wrong card is still refused: both are needed.
    refused(c.post("/api/v1/archive/lookup", json={"id_number": ZHANG, "card": wrong,
                                                   "sms_code": code}, headers=kiosk),
            403, "card_not_verified")
    shown = c.post("/api/v1/archive/lookup", json={"id_number": ZHANG, "card": card(ZHANG),
                                                   "sms_code": code}, headers=kiosk)
    assert shown.status_code == 200 and shown.json()["count"] == 1


def test_no_phone_on_record_sends_the_person_to_the_desk(make_app):
    c, h = hall_at(make_app, "sms")
    r = c.post("/api/v1/archive/lookup", json={"id_number": WANG}, headers=h.kiosk())
    assert "咨询台" in refused(r, 403, "phone_not_held")["message"]


def test_texts_and_wrong_codes_are_bounded(make_app):
    c, h = hall_at(make_app, "sms")
    kiosk = h.kiosk()
    statuses = [c.post("/api/v1/archive/lookup", json={"id_number": ZHANG},
                       headers=kiosk).status_code for _ in range(4)]
    assert statuses == [403, 403, 403, 429]  # three texts per person in 15 minutes
    assert len(texts(h, PHONE_ZHANG)) == 3
    h.clock.advance(minutes=16)
    c.post("/api/v1/archive/lookup", json={"id_number": LI}, headers=kiosk)
    good = sms_code(h, PHONE_LI)
    bad = f"{(int(good) + 1) % 10**6:06d}"
    answers = [c.post("/api/v1/archive/lookup", json={"id_number": LI, "sms_code": bad},
                      headers=kiosk) for _ in range(5)]
    assert [a.status_code for a in answers] == [422, 422, 422, 422, 429]
    assert answers[-1].json()["error"]["code"] == "sms_code_tries"
    # Five wrong tries kill the code: the right one no longer opens anything.
    refused(c.post("/api/v1/archive/lookup", json={"id_number": LI, "sms_code": good},
                   headers=kiosk), 429, "sms_code_tries")


def test_a_code_is_six_digits_and_refused_plainly_otherwise(make_app):
    c, h = hall_at(make_app, "sms")
    r = c.post("/api/v1/archive/lookup", json={"id_number": ZHANG, "sms_code": "12ab"},
               headers=h.kiosk())
    refused(r, 422, "invalid_input")
    r = c.get(f"/api/v1/cases/{CASE}", headers={**h.kiosk(), "X-Id-Number": ZHANG,
                                                "X-Sms-Code": "x"})
    refused(r, 422, "invalid_input")


def test_staff_need_no_code(make_app):
    c, h = hall_at(make_app, "sms")
    staff = c.post("/api/v1/archive/lookup", json={"id_number": ZHANG},
                   headers=h.headers("window", 1))
    assert staff.status_code == 200 and "sms_pass" not in staff.json()


def test_the_card_level_texts_nobody(make_app):
    c2, h2 = hall_at(make_app, "card")
    shown = c2.post("/api/v1/archive/lookup", json={"id_number": ZHANG, "card": card(ZHANG)},
                    headers=h2.kiosk())
    assert shown.status_code == 200 and "sms_pass" not in shown.json()
    assert texts(h2, PHONE_ZHANG) == []


@pytest.mark.parametrize("level", ["sms", "card+sms"])
def test_the_sms_levels_need_an_sms_gateway(make_app, monkeypatch, level):
    monkeypatch.setenv("HALLQ_SMS_GATEWAY", "none")
    with pytest.raises(ValueError, match="HALLQ_LOOKUP_PROOF"):
        make_app(lookup_proof=level)


def _one_page_png() -> bytes:
    import io

    from PIL import Image
    out = io.BytesIO()
    Image.new("L", (300, 420), 240).save(out, "PNG")
    return out.getvalue()


def test_the_archive_images_take_the_visits_pass_and_never_text_per_page(make_app):
    """档案原貌 under the SMS level: the pass the lookup gave opens every page of the
    visit; an image asked for without it is refused like any lookup (a code is texted,
    the refusal audited), never shown."""
    c, h = hall_at(make_app, "sms")
    reg = h.headers("registry")
    for append in ("false", "true"):
        assert c.put(f"/api/v1/units/{UNIT}/originals", content=_one_page_png(),
                     params={"append": append},
                     headers={**reg, "Content-Type": "image/png"}).status_code == 200
    kiosk = h.kiosk()
    c.post("/api/v1/archive/lookup", json={"id_number": ZHANG}, headers=kiosk)
    shown = c.post("/api/v1/archive/lookup", json={"id_number": ZHANG,
                                                   "sms_code": sms_code(h, PHONE_ZHANG)},
                   headers=kiosk)
    assert shown.status_code == 200, shown.text
    pass_ = shown.json()["sms_pass"]
    for page in (1, 2):
        r = c.post("/api/v1/archive/image", json={"id_number": ZHANG, "unit_no": UNIT,
                                                  "kind": "original", "page": page,
                                                  "sms_pass": pass_}, headers=kiosk)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "image/jpeg"
    assert len(texts(h, PHONE_ZHANG)) == 1  # the lookup's code only
    # Without the pass: no image, a code asked for, as every lookup at this level.
    bare = c.post("/api/v1/archive/image", json={"id_number": ZHANG, "unit_no": UNIT,
                                                 "kind": "original"}, headers=kiosk)
    refused(bare, 403, "sms_code_required")
    bad = c.post("/api/v1/archive/image", json={"id_number": ZHANG, "unit_no": UNIT,
                                                "kind": "original", "sms_pass": "x" * 200},
                 headers=kiosk)
    refused(bad, 422, "invalid_input")
    log = [(e["query"], e["outcome"]) for e in c.get(
        "/api/v1/archive/audit", params={"unit_no": UNIT}, headers=h.headers("admin")).json()
        if e["query"] == "image"]
    assert log == [("image", "shown"), ("image", "shown"), ("image", "sms_sent")]
