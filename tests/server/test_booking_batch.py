"""批量预约 on SQLite and PostgreSQL: one enterprise account books many cases of a bulk
business over one slot range, earliest slots first, all or nothing, with typed refusals;
it sees only its own batches."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from queue_server.security import TokenError, issue_token
from queue_server.store.tables import booking_slots, bookings
from tests.server.test_booking_api import KEY, LAYOUT, refusal

FROM = "2026-11-24T09:00:00+08:00"  # Tuesday; the test clock is Monday 09:00
TO = "2026-11-24T11:00:00+08:00"  # four 30-minute slots of 2 online places each


@pytest.fixture
def hall(make_app):
    h = make_app(LAYOUT, slip_key=KEY)
    return TestClient(h.app), h


def enterprise(h, name: str = "衡阳某某房地产开发有限公司") -> dict[str, str]:
    return {"Authorization": "Bearer " + issue_token(h.app.state.store, "enterprise",
                                                     name=name)}


def batch(c, headers, cases, slot_from=FROM, slot_to=TO, business="transfer"):
    return c.post("/api/v1/booking/batches", headers=headers, json={
        "business": business, "slot_from": slot_from, "slot_to": slot_to,
        "phone": "13812345678", "cases": cases})


def taken(h) -> int:
    with h.app.state.store.engine.connect() as conn:
        return conn.execute(select(func.coalesce(func.sum(booking_slots.c.taken), 0))).scalar()


def test_many_cases_over_one_range_earliest_first(hall):
    c, h = hall
    ent = enterprise(h)
    r = batch(c, ent, [f"HT2026-{n:03d}" for n in range(1, 6)])
    assert r.status_code == 201, r.text
    b = r.json()
    assert b["count"] == 5 and b["account"] == "衡阳某某房地产开发有限公司"
    starts = [x["slot_start"][11:16] for x in b["bookings"]]
    assert starts == ["09:00", "09:00", "09:30", "09:30", "10:00"]
    assert [x["case_no"] for x in b["bookings"]] == [f"HT2026-{n:03d}" for n in range(1, 6)]
    assert all(x["channel"] == "enterprise" and x["batch"] == b["batch"]
               and x["slip"].startswith("HQ1:A:20261124-") for x in b["bookings"])
    slots = c.get("/api/v1/booking/slots", params={"business": "transfer",
                                                   "day": "2026-11-24"}).json()["slots"]
    assert [s["remaining"] for s in slots[:4]] == [0, 0, 1, 2]
    # The enterprise reads its own batch back; another enterprise cannot.
    assert c.get(f"/api/v1/booking/batches/{b['batch']}", headers=ent).json()["count"] == 5
    refusal(c.get(f"/api/v1/booking/batches/{b['batch']}", headers=enterprise(h, "另一家公司")),
            404, "batch_unknown")
    # A batch's booking checks in at the kiosk like any other.
    h.clock.advance(hours=24, minutes=-10)
    assert c.post("/api/v1/tickets", headers=h.kiosk(), json={
        "business": "transfer", "appointment": {"slip": b["bookings"][0]["slip"]}}
    ).status_code == 201


def test_all_or_nothing_and_every_refusal_typed(hall):
    c, h = hall
    ent = enterprise(h)
    assert batch(c, ent, ["A1", "A2", "A3", "A4", "A5"]).status_code == 201
    before = taken(h)
    # Three places left in the range: four cases get none of them.
    err = refusal(batch(c, ent, ["B1", "B2", "B3", "B4"]), 409, "batch_no_room")
    assert "3" in err["message"]
    assert taken(h) == before
    refusal(batch(c, ent, ["B1", "A2"]), 409, "case_already_booked")
    assert taken(h) == before
    refusal(batch(c, ent, ["C1", "C1"]), 422, "batch_duplicate_case")
    refusal(batch(c, ent, ["C1"], business="mortgage"), 409, "batch_not_allowed")
    refusal(batch(c, ent, ["C1"], business="tax"), 409, "not_bookable")
    refusal(batch(c, ent, ["C1"], slot_from=TO, slot_to=FROM), 422, "batch_bad_range")
    refusal(batch(c, ent, ["C1"], slot_from="2026-11-23T09:00:00+08:00",
                  slot_to="2026-11-23T10:00:00+08:00"), 409, "batch_no_slots")
    refusal(batch(c, ent, ["C1"], slot_from="2026-11-24T09:00:00+08:00",
                  slot_to="2026-12-04T10:00:00+08:00"), 409, "too_far_ahead")
    refusal(batch(c, ent, [f"D{n}" for n in range(201)]), 422, "batch_too_large")
    r = batch(c, ent, [])
    assert r.status_code == 422 and r.json()["error"]["code"]
    # Only an enterprise account batch books; the portal and the kiosk cannot.
    refusal(batch(c, h.headers("portal"), ["C1"]), 403, "forbidden")
    refusal(batch(c, h.kiosk(), ["C1"]), 403, "forbidden")
    assert taken(h) == before
    with h.app.state.store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(bookings)).scalar() == 5


def test_two_batches_at_once_for_the_last_places_one_wins_whole(hall):
    c, h = hall
    ent = enterprise(h)
    assert batch(c, ent, ["A1", "A2", "A3", "A4"]).status_code == 201  # 4 of 8 left

    def one(prefix: str) -> int:
        return batch(c, ent, [f"{prefix}{n}" for n in range(3)]).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = sorted(pool.map(one, ("X", "Y")))
    assert codes == [201, 409]
    assert taken(h) == 7


def test_an_enterprise_token_names_its_account(hall):
    _, h = hall
    with pytest.raises(TokenError):
        issue_token(h.app.state.store, "enterprise")


def test_dates_out_of_range_are_a_422_not_a_5xx(hall):
    c, h = hall
    ent = enterprise(h)
    for a, b in (("0001-01-01T00:00:00+14:00", "0001-01-02T00:00:00+14:00"),
                 ("9999-12-31T00:00:00-12:00", "9999-12-31T23:59:59-12:00"),
                 (FROM, "9999-12-31T23:59:59-12:00")):
        refusal(batch(c, ent, ["A1"], slot_from=a, slot_to=b), 422, "date_out_of_range")
    for day in ("9999-12-31", "0001-01-01"):
        refusal(c.get("/api/v1/booking/day", headers=h.headers("guide"), params={"day": day}),
                422, "date_out_of_range")
