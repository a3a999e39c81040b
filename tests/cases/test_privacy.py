"""Privacy, end to end on SQLite and PostgreSQL: after a busy session touching cases,
the archive and notifications, no clear ID number, full name or phone number is found
in any response, any log line (the SQL sent to the database included), the database
itself (every table dumped), or the messages the file gateway wrote."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.cases.helpers import (
    CLEAR_VALUES,
    LI,
    LI_NAME,
    PHONE_LI,
    PHONE_ZHANG,
    WANG,
    WANG_NAME,
    ZHANG,
    ZHANG_NAME,
    card,
    card_header,
    case_body,
    dump_database,
    register_cards,
    secrets_in,
    step,
    unit_body,
)

CASE = "2026112000555"
UNIT = "430408001002GB00123F00010015"


class Recorder:
    """Keeps every response body, by the role that received it."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.bodies: list[tuple[str, str]] = []

    def __call__(self, role: str, method: str, url: str, **kw) -> dict:
        r = self.client.request(method, url, **kw)
        self.bodies.append((role, r.text))
        assert r.status_code < 500, r.text
        return r.json() if r.content else {}


@pytest.fixture
def session(make_app, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    # Every statement and parameter sent to the database is logged from here on.
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    # httpx logs each URL at INFO; a server test that ran `logs.configure` before this
    # one quietened it, and the URLs must be read here whatever ran first.
    caplog.set_level(logging.INFO, logger="httpx")
    h = make_app()
    with TestClient(h.app) as c:
        rec = Recorder(c)
        reg, kiosk, guide = h.headers("registry"), h.headers("kiosk"), h.headers("guide")
        register_cards(c, reg)
        display, admin = h.headers("display"), h.headers("admin")
        ready_at = (h.clock() - timedelta(hours=1)).isoformat()
        # The back office pushes a case, becoming ready, and the units.
        rec("registry", "PUT", f"/api/v1/cases/{CASE}", headers=reg, json=case_body(
            steps=[step(1, "accepted"), step(2, "ready", h.clock() - timedelta(hours=1))]))
        rec("registry", "PUT", f"/api/v1/units/{UNIT}", headers=reg, json=unit_body(
            mortgages=[{"holder_person": {"id_number": WANG, "name": WANG_NAME},
                        "amount_yuan": 100000}],
            prenotices=[{"kind": "预购商品房", "date": "2026-01-01",
                         "holders": [{"id_number": WANG, "name": WANG_NAME}]}]))
        csv = ("case_no,version,item,time_limit_days,accepted_at,applicant_ids,applicant_names,"
               "applicant_phones,step_seq,step,step_at\n"
               f"C-9,1,x,5,{ready_at},{WANG},{WANG_NAME},{PHONE_LI},1,accepted,{ready_at}\n"
               f"C-10,1,x,5,{ready_at},{WANG}0,{WANG_NAME},,1,accepted,{ready_at}\n")
        rec("registry", "POST", "/api/v1/cases/import", content=csv.encode(),
            headers={**reg, "Content-Type": "text/csv"})
        # The applicants at the kiosk.
        rec("kiosk", "POST", "/api/v1/cases/lookup", headers=kiosk,
            json={"case_no": CASE, "id_number": ZHANG})
        rec("kiosk", "GET", f"/api/v1/cases/{CASE}", headers={**kiosk, "X-Id-Number": LI, "X-Card-Evidence": card_header(LI)})
        rec("kiosk", "POST", "/api/v1/cases/lookup", headers=kiosk,
            json={"case_no": CASE, "id_number": WANG, "card": card(WANG)})
        rec("kiosk", "POST", "/api/v1/cases/lookup", headers=kiosk,
            json={"case_no": CASE, "id_number": ZHANG[:-1] + "0"})  # a wrong check digit
        rec("kiosk", "POST", "/api/v1/cases/by-applicant", headers=kiosk,
            json={"id_number": LI, "card": card(LI)})
        for who in (ZHANG, LI, WANG):
            rec("kiosk", "POST", "/api/v1/archive/lookup", headers=kiosk,
                json={"id_number": who, "card": card(who)})
        t = rec("kiosk", "POST", "/api/v1/tickets", headers=kiosk,
                json={"business": "transfer", "applicant": {"id_number": ZHANG, "name": ZHANG_NAME}})
        rec("kiosk", "POST", f"/api/v1/tickets/{t['id']}/notify", headers=kiosk,
            json={"phone": PHONE_ZHANG, "places": 3})
        rec("kiosk", "GET", f"/api/v1/tickets/{t['id']}", headers=kiosk)
        # The hall screens.
        rec("display", "GET", "/api/v1/windows", headers=display)
        rec("display", "GET", f"/api/v1/cases/{CASE}", headers=display)
        rec("display", "POST", "/api/v1/archive/lookup", headers=display,
            json={"id_number": ZHANG, "card": card(ZHANG)})
        with c.websocket_connect(f"/api/v1/events?token={h.token('display')}") as ws:
            rec.bodies.append(("display", json.dumps(ws.receive_json(), ensure_ascii=False)))
        # Staff.
        rec("guide", "GET", f"/api/v1/cases/{CASE}", headers=guide)
        rec("guide", "POST", "/api/v1/archive/lookup", headers=guide, json={"unit_no": UNIT})
        rec("guide", "POST", "/api/v1/archive/lookup", headers=guide, json={"id_number": WANG, "card": card(WANG)})
        rec("window", "GET", "/api/v1/cases/overdue", headers=h.headers("window", 1))
        h.app.state.records.notifier.run_once()
        rec("admin", "GET", "/api/v1/archive/audit", headers=admin)
        rec("admin", "POST", "/api/v1/archive/audit/search", headers=admin, json={"id_number": ZHANG})
        rec("admin", "GET", "/api/v1/notify/outbox", headers=admin)
        yield h, rec, caplog


def test_the_session_really_did_things(session):
    h, rec, _ = session
    kiosk_bodies = [b for role, b in rec.bodies if role == "kiosk"]
    assert any("张**" in b for b in kiosk_bodies) and any("430***********2317" in b for b in kiosk_bodies)
    assert any('"units"' in b and UNIT in b for b in kiosk_bodies)
    sms = (Path(h.settings.data_dir) / "sms-outbox.jsonl").read_text(encoding="utf-8")
    assert "138****5678" in sms and "159****4321" in sms


def test_no_clear_personal_data_in_any_response(session):
    _, rec, _ = session
    for role, body in rec.bodies:
        assert secrets_in(body, *CLEAR_VALUES) == [], (role, body[:300])


def test_no_clear_personal_data_in_any_log_line(session):
    _, _, caplog = session
    # The session ran in the fixture: its records belong to the setup phase.
    lines = [r.getMessage() for r in caplog.get_records("setup") + caplog.records]
    assert any("INSERT INTO case_applicants" in line for line in lines)  # SQL was logged
    assert any("HTTP Request" in line for line in lines)  # so were the request URLs
    for line in lines:
        assert secrets_in(line, *CLEAR_VALUES) == [], line[:300]


def test_no_clear_personal_data_in_the_database(session):
    h, _, _ = session
    dump = dump_database(h.app.state.store.engine)
    assert "430***********2317" in dump and "张**" in dump  # the masks are there
    assert secrets_in(dump, *CLEAR_VALUES) == []


def test_no_clear_phone_in_the_messages_written(session):
    h, _, _ = session
    sms = (Path(h.settings.data_dir) / "sms-outbox.jsonl").read_text(encoding="utf-8")
    assert secrets_in(sms, *CLEAR_VALUES) == []
    assert LI_NAME not in sms and ZHANG_NAME not in sms
