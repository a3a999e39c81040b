"""Requests the OpenAPI document calls invalid are refused (schemathesis ST201), each with
a 422 a person can read: dates are ISO text, not a number of seconds; a window or
business the layout does not have is a mistake, not an empty list; a count is a number,
not a yes/no; a batch fits the body limit its document promises. SQLite and PostgreSQL."""

from __future__ import annotations

import re

from tests.cases.helpers import ZHANG, card, case_body, unit_body


def refused(r, code: str = "invalid_input") -> str:
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == code
    assert re.search(r"[\u4e00-\u9fff]", err["message"])
    return err["message"]


def test_a_date_is_iso_text_not_a_number(api):
    c, h = api
    admin = h.headers("admin")
    assert "YYYY-MM-DD" in refused(c.get("/api/v1/evaluations", params={
        "from": "0", "to": "2026-11-30"}, headers=admin))
    refused(c.get("/api/v1/load/windows", params={"from": "0", "to": "2026-11-30"},
                  headers=admin))
    ok = c.get("/api/v1/load/windows", params={"from": "2026-11-23", "to": "2026-11-23"},
               headers=admin)
    assert ok.status_code == 200
    reg = h.headers("registry")
    body = unit_body()
    body["prenotices"] = [{"date": 0, "holders": [], "kind": "预告登记", "status": "active"}]
    refused(c.put("/api/v1/units/430405001001GB00001F0001", json=body, headers=reg))
    refused(c.put("/api/v1/cases/2026112000123", json=case_body(accepted_at=0), headers=reg))
    refused(c.put("/api/v1/cases/2026112000123", json=case_body(accepted_at="1764000000"),
                  headers=reg))
    assert c.put("/api/v1/cases/2026112000123", json=case_body(),
                 headers=reg).status_code == 201
    bad_card = {**card(ZHANG), "valid_from": 1}
    refused(c.put("/api/v1/id-cards", json={"cards": [{"id_number": ZHANG, **bad_card}]},
                  headers=reg))


def test_a_window_or_business_the_layout_lacks_is_refused(api):
    c, h = api
    guide = h.headers("guide")
    assert "0" in refused(c.get("/api/v1/tickets", params={"window": 0}, headers=guide))
    refused(c.get("/api/v1/tickets", params={"business": "nope"}, headers=guide))
    assert c.get("/api/v1/tickets", params={"window": 1}, headers=guide).status_code == 200


def test_a_count_is_a_number_not_yes_or_no(api):
    c, h = api
    r = c.post("/api/v1/screens/hall/audio", json={"audible": False, "mode": "off",
                                                    "missed": False},
               headers=h.headers("display"))
    refused(r)
    refused(c.post("/api/v1/screens/hall/audio", json={"audible": 1, "mode": "off"},
                   headers=h.headers("display")))
    r = c.post("/api/v1/screens/hall/audio", json={"audible": False, "mode": "off",
                                                    "missed": 3},
               headers=h.headers("display"))
    assert r.status_code == 204


def test_a_card_batch_is_as_long_as_the_document_says(api):
    c, h = api
    reg = h.headers("registry")
    line = {"id_number": ZHANG, **card(ZHANG)}
    refused(c.put("/api/v1/id-cards", json={"cards": [line] * 151}, headers=reg))
    assert c.put("/api/v1/id-cards", json={"cards": [line] * 150},
                 headers=reg).json() == {"stored": 150}
    doc = c.get("/api/openapi.json").json()["components"]["schemas"]["IdCardsBody"]
    assert doc["properties"]["cards"]["maxItems"] == 150
