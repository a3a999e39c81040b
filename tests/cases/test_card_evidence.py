"""An ID number alone is no proof for the archive or a person's cases (issue 16): the
kiosk sends what the chip holds, checked against the back office's copy. SQLite and
PostgreSQL, the real app."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.cases.helpers import (
    LI,
    ZHANG,
    card,
    card_header,
    case_body,
    register_cards,
    unit_body,
)

CASE = "2026112000123"


@pytest.fixture
def hall(api):
    c, h = api
    reg = h.headers("registry")
    assert c.put(f"/api/v1/cases/{CASE}", json=case_body(), headers=reg).status_code == 201
    assert c.put("/api/v1/units/430405001001GB00001F0001", json=unit_body(),
                 headers=reg).status_code == 201
    return c, h


def code(r) -> tuple[int, str]:
    return r.status_code, r.json().get("error", {}).get("code", "")


def test_the_number_alone_opens_nothing(hall):
    """What a copied kiosk token could do before: read anyone's cases and property."""
    c, h = hall
    register_cards(c, h.headers("registry"))
    kiosk = h.kiosk()
    assert code(c.post("/api/v1/archive/lookup", json={"id_number": ZHANG}, headers=kiosk)) \
        == (422, "card_required")
    assert code(c.post("/api/v1/cases/by-applicant", json={"id_number": LI}, headers=kiosk)) \
        == (422, "card_required")
    assert code(c.post("/api/v1/cases/lookup", json={"case_no": CASE, "id_number": LI},
                       headers=kiosk)) == (422, "card_required")
    assert code(c.get(f"/api/v1/cases/{CASE}", headers={**kiosk, "X-Id-Number": LI})) \
        == (422, "card_required")


def test_a_guessed_card_is_refused_and_audited(hall):
    c, h = hall
    register_cards(c, h.headers("registry"))
    kiosk = h.kiosk()
    right = card(ZHANG)
    for wrong in ({**right, "authority": "衡阳市公安局蒸湘分局"},
                  {**right, "valid_from": "2012-03-15"},
                  {**right, "valid_to": "2032-03-14"}):
        r = c.post("/api/v1/archive/lookup", json={"id_number": ZHANG, "card": wrong},
                   headers=kiosk)
        assert code(r) == (403, "card_not_verified")
        assert r.json()["error"]["message"].startswith("无法核验这张身份证")
    r = c.post("/api/v1/cases/by-applicant", json={"id_number": LI, "card": card(ZHANG)},
               headers=kiosk)
    assert code(r) == (403, "card_not_verified")
    log = c.get("/api/v1/archive/audit", headers=h.headers("admin")).json()
    assert [e["outcome"] for e in log] == ["card_refused"] * 3
    # The right card, even with the authority spaced differently, opens the archive.
    spaced = {**right, "authority": " 衡阳市公安局 石鼓分局"}
    shown = c.post("/api/v1/archive/lookup", json={"id_number": ZHANG, "card": spaced},
                   headers=kiosk)
    assert shown.status_code == 200 and shown.json()["count"] == 1
    mine = c.post("/api/v1/cases/by-applicant", json={"id_number": LI, "card": card(LI)},
                  headers=kiosk)
    assert [x["case_no"] for x in mine.json()["cases"]] == [CASE]
    by_header = c.get(f"/api/v1/cases/{CASE}", headers={
        **kiosk, "X-Id-Number": LI, "X-Card-Evidence": card_header(LI)})
    assert by_header.status_code == 200
    assert code(c.get(f"/api/v1/cases/{CASE}", headers={
        **kiosk, "X-Id-Number": LI, "X-Card-Evidence": "not base64 json"})) \
        == (422, "invalid_input")


def test_guessing_is_throttled_with_the_lookups(hall):
    c, h = hall
    register_cards(c, h.headers("registry"))
    wrong = {**card(ZHANG), "valid_from": "2012-03-01"}
    codes = [c.post("/api/v1/archive/lookup", json={"id_number": ZHANG, "card": wrong},
                    headers=h.headers("kiosk")).status_code for _ in range(11)]
    assert codes == [403] * 10 + [429]  # ten tries per ID number in ten minutes, any kiosk


def test_a_person_the_registry_holds_no_card_of_is_refused_alike(hall):
    c, h = hall  # no cards pushed
    r = c.post("/api/v1/archive/lookup", json={"id_number": ZHANG, "card": card(ZHANG)},
               headers=h.kiosk())
    assert code(r) == (403, "card_not_verified")


def test_staff_and_receipts_need_no_card(hall):
    c, h = hall
    staff = c.post("/api/v1/archive/lookup", json={"id_number": ZHANG},
                   headers=h.headers("window", 1))
    assert staff.status_code == 200 and staff.json()["count"] == 1
    pushed = c.put(f"/api/v1/cases/{CASE}", json=case_body(version=2),
                   headers=h.headers("registry")).json()
    token = pushed.get("receipt_token")
    if token:  # the receipt is a proof of its own: the paper the applicant holds
        r = c.post("/api/v1/cases/lookup", json={"case_no": CASE, "receipt_token": token},
                   headers=h.kiosk())
        assert r.status_code == 200


def test_only_the_registry_pushes_cards_and_bad_cards_are_refused(api):
    c, h = api
    body = {"cards": [{"id_number": ZHANG, **card(ZHANG)}]}
    assert code(c.put("/api/v1/id-cards", json=body, headers=h.kiosk())) == (403, "forbidden")
    reg = h.headers("registry")
    backwards = {"cards": [{"id_number": ZHANG, "authority": "衡阳市公安局",
                            "valid_from": "2030-01-01", "valid_to": "2020-01-01"}]}
    assert code(c.put("/api/v1/id-cards", json=backwards, headers=reg)) == (422, "invalid_input")
    assert code(c.put("/api/v1/id-cards", json={"cards": [{"id_number": "123", **card(ZHANG)}]},
                      headers=reg))[0] == 422
    assert c.put("/api/v1/id-cards", json=body, headers=reg).json() == {"stored": 1}
    # A new card (renewed) replaces the old one.
    renewed = {"id_number": ZHANG, "authority": "衡阳市公安局石鼓分局",
               "valid_from": "2032-03-14", "valid_to": None}
    assert c.put("/api/v1/id-cards", json={"cards": [renewed]}, headers=reg).status_code == 200
    old = c.post("/api/v1/archive/lookup", json={"id_number": ZHANG, "card": card(ZHANG)},
                 headers=h.kiosk())
    assert code(old) == (403, "card_not_verified")
    new = {k: v for k, v in renewed.items() if k != "id_number"}
    assert c.post("/api/v1/archive/lookup", json={"id_number": ZHANG, "card": new},
                  headers=h.kiosk()).status_code == 200


def test_the_database_holds_no_card_facts_in_clear(hall):
    c, h = hall
    register_cards(c, h.headers("registry"))
    from tests.cases.helpers import dump_database
    dump = dump_database(h.app.state.store.engine)
    assert "石鼓分局" not in dump and "2012-03-14" not in dump and ZHANG not in dump


def test_the_proof_level_is_checked_at_start(make_app):
    with pytest.raises(ValueError, match="HALLQ_LOOKUP_PROOF"):
        TestClient(make_app(lookup_proof="nothing").app)
