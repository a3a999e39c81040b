"""The property archive through the HTTP API, on SQLite and PostgreSQL: pushes, the
card holder's lookup (their units and nothing else), staff lookups, the audit log and
its append-only guarantee, and the rate limits."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.cases.helpers import (
    CARDS,
    LI,
    LI_NAME,
    WANG,
    WANG_NAME,
    ZHANG,
    ZHANG_NAME,
    register_cards,
    unit_body,
)
from tests.server.conftest import AppHandle

UNIT = "430408001002GB00123F00010015"
SHOP = "430408001002GB00124F00010001"
NEW_FLAT = "430408001002GB00125F00020301"


@pytest.fixture
def loaded(api: tuple[TestClient, AppHandle]):
    c, h = api
    reg = h.headers("registry")
    register_cards(c, reg)
    assert c.put(f"/api/v1/units/{UNIT}", json=unit_body(), headers=reg).status_code == 201
    shop = unit_body(holders=[{"id_number": WANG, "name": WANG_NAME, "share": "单独所有"}],
                     use="商业", seizures=[{"court": "衡阳市中级人民法院", "date": "2025-03-01",
                                            "doc_no": "(2025)湘04执12号"}])
    assert c.put(f"/api/v1/units/{SHOP}", json=shop, headers=reg).status_code == 201
    flat = unit_body(holders=[], prenotices=[{"kind": "预购商品房", "date": "2026-01-05",
                                              "holders": [{"id_number": ZHANG, "name": ZHANG_NAME}]}],
                     mortgages=[])
    assert c.put(f"/api/v1/units/{NEW_FLAT}", json=flat, headers=reg).status_code == 201
    return c, h


STRANGERS_CARD = {"authority": "北京市公安局东城分局", "valid_from": "2015-01-01",
                  "valid_to": "2035-01-01"}


def lookup(c: TestClient, hdr: dict[str, str], **body: str):
    if "id_number" in body:  # the card on the kiosk's reader; a stranger's is unknown
        body = {**body, "card": CARDS.get(body["id_number"].upper(), STRANGERS_CARD)}
    return c.post("/api/v1/archive/lookup", json=body, headers=hdr)


def test_pushes_are_versioned_and_idempotent(loaded):
    c, h = loaded
    reg = h.headers("registry")
    assert c.put(f"/api/v1/units/{UNIT}", json=unit_body(), headers=reg).json()["result"] == \
        "unchanged"
    assert c.put(f"/api/v1/units/{UNIT}", json=unit_body(version=0, use="办公"),
                 headers=reg).json()["result"] == "stale"
    r = c.put(f"/api/v1/units/{UNIT}", json=unit_body(use="办公"), headers=reg)
    assert r.status_code == 409 and r.json()["error"]["code"] == "version_conflict"
    # A sale: a newer version with a new holder; the old holders no longer see the flat.
    assert c.put(f"/api/v1/units/{UNIT}", json=unit_body(version=2, holders=[
        {"id_number": WANG, "name": WANG_NAME, "share": "单独所有"}]),
        headers=reg).json()["result"] == "updated"
    units = lookup(c, h.headers("kiosk"), id_number=LI).json()["units"]
    assert units == []
    assert c.put(f"/api/v1/units/{UNIT}", json=unit_body(), headers=h.headers("kiosk")
                 ).status_code == 403


def test_the_card_holder_sees_their_units_and_nothing_else(loaded):
    c, h = loaded
    kiosk = h.headers("kiosk")
    mine = lookup(c, kiosk, id_number=ZHANG).json()
    assert mine["id_masked"] == "430***********2317"
    assert sorted(u["unit_no"] for u in mine["units"]) == [UNIT, NEW_FLAT]
    flat = next(u for u in mine["units"] if u["unit_no"] == UNIT)
    assert flat["holders"] == [{"name_masked": "张**", "share": "共同共有", "you": True},
                               {"name_masked": "李**", "share": "共同共有", "you": False}]
    assert flat["your_right"] == "owner"
    assert flat["rights_status"]["codes"] == ["mortgages"]
    assert flat["rights_status"]["text"] == "已抵押"
    assert flat["mortgages"][0] == {"holder": "中国建设银行衡阳分行", "amount_yuan": 600000.0,
                                    "term_start": "2019-05-01", "term_end": "2039-05-01",
                                    "status": "active"}
    assert "certificate_no" not in flat["mortgages"][0] and "version" not in flat
    pre = next(u for u in mine["units"] if u["unit_no"] == NEW_FLAT)
    assert pre["your_right"] == "prenotice" and pre["rights_status"]["codes"] == ["prenotices"]
    # The shop's owner sees the seizure, without the ruling's number.
    shop = lookup(c, kiosk, id_number=WANG).json()["units"]
    assert [u["unit_no"] for u in shop] == [SHOP]
    assert shop[0]["seizures"][0]["court"] == "衡阳市中级人民法院" and "doc_no" not in shop[0]["seizures"][0]
    # Someone the registry holds no card of cannot prove the card is on the reader: the
    # same refusal as a wrong card, whether or not they hold property.
    nobody = lookup(c, kiosk, id_number="11010519491231002X")
    assert nobody.status_code == 403 and nobody.json()["error"]["code"] == "card_not_verified"


def test_a_kiosk_cannot_look_up_by_unit_number(loaded):
    c, h = loaded
    r = lookup(c, h.headers("kiosk"), unit_no=UNIT)
    assert r.status_code == 422
    r = lookup(c, h.headers("kiosk"), id_number=ZHANG, unit_no=UNIT)
    assert r.status_code == 422
    assert lookup(c, h.headers("display"), id_number=ZHANG).status_code == 403
    assert lookup(c, h.headers("registry"), id_number=ZHANG).status_code == 403


def test_staff_see_more(loaded):
    c, h = loaded
    guide = h.headers("guide")
    r = lookup(c, guide, unit_no=SHOP).json()["units"][0]
    assert r["seizures"][0]["doc_no"] == "(2025)湘04执12号" and r["version"] == 1
    assert r["holders"] == [{"id_masked": "430***********0031", "name_masked": "王**",
                             "share": "单独所有"}]
    by_id = lookup(c, h.headers("window", 3), id_number=LI).json()["units"]
    assert [u["unit_no"] for u in by_id] == [UNIT]
    assert by_id[0]["mortgages"][0]["certificate_no"] == "湘证明001"
    assert lookup(c, guide, unit_no="430408001002GB99999F00000000").status_code == 404
    assert lookup(c, guide).status_code == 422


def test_judicial_role_sees_seizures_under_its_own_token_and_is_audited(loaded):
    c, h = loaded
    court = h.token("judicial")
    r = lookup(c, {"Authorization": f"Bearer {court}"}, unit_no=SHOP)
    assert r.status_code == 200
    assert r.json()["units"][0]["seizures"][0]["doc_no"] == "(2025)湘04执12号"
    log = c.get("/api/v1/archive/audit", headers=h.headers("admin")).json()
    assert log[-1]["role"] == "judicial" and log[-1]["unit_no"] == SHOP
    # The role reads the archive; it issues no tickets and calls nobody.
    assert c.post("/api/v1/tickets", json={"business": "transfer"},
                  headers={"Authorization": f"Bearer {court}"}).status_code == 403


def test_every_lookup_is_audited_and_only_admins_read_it(loaded):
    c, h = loaded
    kiosk_token = h.token("kiosk")
    kiosk = {"Authorization": f"Bearer {kiosk_token}"}
    lookup(c, kiosk, id_number=ZHANG)
    lookup(c, kiosk, id_number=WANG)
    lookup(c, kiosk, id_number="11010519491231002X")
    lookup(c, h.headers("guide"), unit_no=SHOP)
    admin = h.headers("admin")
    log = c.get("/api/v1/archive/audit", headers=admin).json()
    assert [(e["role"], e["query"], e["unit_no"], e["outcome"]) for e in log] == [
        ("kiosk", "id", UNIT, "shown"), ("kiosk", "id", NEW_FLAT, "shown"),
        ("kiosk", "id", SHOP, "shown"), ("kiosk", "id", None, "card_refused"),
        ("guide", "unit", SHOP, "shown")]
    assert log[0]["subject_masked"] == "430***********2317" and log[0]["actor"].startswith("kiosk")
    assert len({e["token_id"] for e in log[:4]}) == 1 and log[0]["at"]
    assert [e["unit_no"] for e in c.get(f"/api/v1/archive/audit?unit_no={SHOP}",
                                        headers=admin).json()] == [SHOP, SHOP]
    about_zhang = c.post("/api/v1/archive/audit/search", json={"id_number": ZHANG},
                         headers=admin).json()
    assert {e["unit_no"] for e in about_zhang} == {UNIT, NEW_FLAT}
    page = c.get(f"/api/v1/archive/audit?after_seq={log[3]['seq']}", headers=admin).json()
    assert [e["seq"] for e in page] == [log[4]["seq"]]
    for role in ("guide", "kiosk", "registry"):
        assert c.get("/api/v1/archive/audit", headers=h.headers(role)).status_code == 403


def test_the_audit_log_cannot_be_changed_even_in_sql(loaded):
    c, h = loaded
    lookup(c, h.headers("kiosk"), id_number=ZHANG)
    engine = h.app.state.store.engine
    for statement in ("UPDATE archive_audit SET actor = 'nobody'", "DELETE FROM archive_audit"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    if engine.dialect.name == "postgresql":
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text("TRUNCATE archive_audit"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM archive_audit")).scalar_one() == 2
    # …and appending still works.
    lookup(c, h.headers("kiosk"), id_number=LI)
    assert len(c.get("/api/v1/archive/audit", headers=h.headers("admin")).json()) == 3


def test_lookups_are_rate_limited_per_kiosk_and_per_id(loaded):
    c, h = loaded
    kiosk = h.headers("kiosk")
    # Per ID: ten in ten minutes, whichever kiosk asks.
    for i in range(10):
        hdr = kiosk if i % 2 else h.headers("kiosk")
        assert lookup(c, hdr, id_number=LI).status_code == 200
    r = lookup(c, h.headers("kiosk"), id_number=LI)
    assert r.status_code == 429
    err = r.json()["error"]
    assert err["code"] == "rate_limited"
    assert err["message"].startswith("该身份证号码的查询过于频繁，请") and "/ too many" in err["message"]
    assert r.headers["retry-after"] == str(err["retry_after"])
    # Per kiosk: thirty a minute, across different people.
    busy = h.headers("kiosk")
    people = [ZHANG, WANG, "11010519491231002X"]
    codes = [lookup(c, busy, id_number=people[i % 3]).status_code for i in range(31)]
    # (the third has no card at the registry: refused, and counted all the same)
    assert codes[:30] == [200, 200, 403] * 10 and codes[30] == 429
    refused = lookup(c, busy, id_number=ZHANG).json()["error"]
    assert refused["message"].startswith("本机查询过于频繁")
    h.clock.advance(seconds=61)  # the kiosk's bucket refills; someone new is served
    assert lookup(c, busy, id_number=WANG).status_code == 200
    # Refusals are in the audit log too.
    log = c.get("/api/v1/archive/audit?limit=5000", headers=h.headers("admin")).json()
    assert sum(1 for e in log if e["outcome"] == "rate_limited") == 3


def test_bulk_import_of_units(api):
    c, h = api
    good = {"unit_no": UNIT, **unit_body()}
    bad_id = {"unit_no": SHOP, **unit_body(holders=[{"id_number": "430408196203142318",
                                                     "name": LI_NAME}])}
    unknown = {"unit_no": NEW_FLAT, **unit_body(), "colour": "red"}
    lines = [json.dumps(good, ensure_ascii=False), "", "not json",
             json.dumps(bad_id, ensure_ascii=False), json.dumps(unknown, ensure_ascii=False),
             json.dumps(good, ensure_ascii=False)]
    r = c.post("/api/v1/units/import", content="\n".join(lines).encode(),
               headers={**h.headers("registry"), "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["units"], report["created"], report["unchanged"]) == (5, 1, 1)
    assert [(e["line"], e["code"]) for e in report["errors"]] == [
        (3, "invalid_row"), (4, "invalid_id_number"), (5, "invalid_input")]
    assert "430408196203142318" not in r.text and LI_NAME not in r.text
    assert "colour" in report["errors"][2]["message"]
