"""Case due dates through the HTTP API on the product's calendar: China's holidays and
调休 counted, one calendar shared as app.state.calendar, and a due date that runs into a
year without holiday data kept and marked provisional."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient

from queue_server.domain.workdays import WorkCalendar
from tests.cases.helpers import LI, card, case_body, register_cards, step
from tests.server.conftest import AppHandle

CASE = "2026021200042"
SPRING = datetime(2026, 2, 12, 1, 30, tzinfo=UTC)  # Thursday 09:30 in Shanghai


@pytest.fixture
def client(api: tuple[TestClient, AppHandle]):
    c, h = api
    register_cards(c, h.headers("registry"))
    return c, h, h.headers("registry"), h.headers("kiosk")


def test_a_case_accepted_before_the_spring_festival_is_due_after_it(client):
    c, _, reg, kiosk = client
    body = case_body(accepted_at=SPRING.isoformat(), time_limit_days=5,
                     steps=[step(1, "accepted", SPRING)])
    r = c.put(f"/api/v1/cases/{CASE}", json=body, headers=reg)
    assert r.status_code == 201, r.text
    view = c.post("/api/v1/cases/lookup", json={"case_no": CASE, "id_number": LI, "card": card(LI)},
                  headers=kiosk)
    assert view.status_code == 200, view.text
    # 02-13, Saturday 02-14 (调休), then 02-24, 02-25, 02-26: not 02-19, mid-holiday.
    assert view.json()["due_date"] == "2026-02-26"


def test_the_app_shares_one_calendar(client):
    _, h, _, _ = client
    cal = h.app.state.calendar
    assert isinstance(cal, WorkCalendar) and 2026 in cal.covered_years
    assert cal is h.app.state.records.config.calendar
    assert cal is h.app.state.records.cases.calendar
    assert cal.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)


def test_a_due_date_in_a_year_without_data_is_provisional_and_says_so(client):
    """The case is kept (a refusal would lose it every late December until the State
    Council publishes): that year counts on its weekends and the date is marked."""
    c, h, reg, _ = client
    cal = h.app.state.calendar
    # The first year no source knows (2027 as this is written), whenever data arrives.
    missing = next(y for y in range(2027, 2100) if not cal.covers(y))
    # Enough working days from Friday 2026-11-20 to reach 3 working days into that year.
    days = cal.workdays_between(date(2026, 11, 20), date(missing - 1, 12, 31)) + 3
    r = c.put(f"/api/v1/cases/{CASE}", json=case_body(time_limit_days=days), headers=reg)
    assert r.status_code == 201, r.text
    view = c.get(f"/api/v1/cases/{CASE}", headers=h.headers("guide")).json()
    first = date(missing, 1, 1)
    weekdays = [first.replace(day=d) for d in range(1, 10) if first.replace(day=d).weekday() < 5]
    assert view["due_date"] == weekdays[2].isoformat() and view["due_provisional"] is True
    ok = c.put("/api/v1/cases/C-SHORT", json=case_body(time_limit_days=5), headers=reg)
    assert ok.status_code == 201
    short = c.get("/api/v1/cases/C-SHORT", headers=h.headers("guide")).json()
    assert short["due_provisional"] is False
