"""预约, what happens after booking, on SQLite and PostgreSQL: a booking not checked in by
its slot's start + grace is stored as a no-show by the server's periodic job (its place
given back, idempotent), the stored no-shows block the ID, and a released slip no longer
checks in at the kiosk."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from queue_server.store.tables import booking_slots, bookings, notify_outbox
from tests.cases.helpers import LI, PHONE_LI, PHONE_ZHANG, WANG, ZHANG, valid_id
from tests.server.test_booking_api import KEY, LAYOUT, TUE_9, refusal


@pytest.fixture
def booking_api(make_app):
    h = make_app(LAYOUT, slip_key=KEY)
    return TestClient(h.app), h  # no lifespan: the tests run the periodic job by hand


def portal_book(c: TestClient, h, start: str = TUE_9, id_number: str = ZHANG,
                phone: str = PHONE_ZHANG, business: str = "transfer") -> dict:
    r = c.post("/api/v1/bookings", headers=h.headers("portal"), json={
        "business": business, "slot_start": start, "id_number": id_number, "phone": phone})
    assert r.status_code == 201, r.text
    return r.json()


def stored(h, code: str) -> dict:
    with h.app.state.store.engine.connect() as conn:
        return dict(conn.execute(select(bookings).where(bookings.c.code == code)).one()._mapping)


def taken(h, business: str = "transfer") -> int:
    with h.app.state.store.engine.connect() as conn:
        return sum(r[0] for r in conn.execute(select(booking_slots.c.taken).where(
            booking_slots.c.business == business)))


def test_the_sweep_stores_no_shows_at_start_plus_grace_once(booking_api):
    c, h = booking_api
    missed = portal_book(c, h)
    kept = portal_book(c, h, id_number=LI, phone=PHONE_LI)
    assert taken(h) == 2
    h.clock.advance(hours=24, minutes=-5)  # Tuesday 08:55: Li checks in at the kiosk
    assert c.post("/api/v1/tickets", headers=h.kiosk(), json={
        "business": "transfer", "appointment": {"slip": kept["slip"]}}).status_code == 201
    svc = h.app.state.bookings
    h.clock.advance(minutes=19)  # 09:14: within the grace
    assert svc.tick()["no_shows"] == 0
    assert stored(h, missed["code"])["status"] == "booked"
    h.clock.advance(minutes=1)  # 09:15: start + 15 min
    assert svc.tick()["no_shows"] == 1
    row = stored(h, missed["code"])
    assert row["status"] == "no_show" and row["no_show_at"] is not None
    assert row["live_key"] is None
    assert stored(h, kept["code"])["status"] == "checked_in"
    assert stored(h, kept["code"])["checked_in_by"] == "kiosk"
    assert taken(h) == 1  # the missed place went back
    h.clock.advance(minutes=5)
    assert svc.tick()["no_shows"] == 0  # idempotent: nothing twice, no place freed twice
    assert taken(h) == 1
    # The applicant who comes late is told plainly; the slip is dead.
    refusal(c.post("/api/v1/tickets", headers=h.kiosk(), json={
        "business": "transfer", "appointment": {"slip": missed["slip"]}}), 409,
        "booking_released")
    seen = c.get("/api/v1/booking/slip", params={"text": missed["slip"]}).json()
    assert seen["status"] == "no_show" and seen["status_zh"] == "未到（爽约）"


def test_a_late_slip_not_yet_swept_is_refused_too(booking_api):
    c, h = booking_api
    b = portal_book(c, h)
    h.clock.advance(hours=24, minutes=20)  # Tuesday 09:20, before any sweep ran
    refusal(c.post("/api/v1/tickets", headers=h.kiosk(), json={
        "business": "transfer", "appointment": {"slip": b["slip"]}}), 409, "booking_released")


def test_stored_no_shows_block_the_id_and_nothing_else_does(booking_api):
    c, h = booking_api
    svc = h.app.state.bookings
    for day in ("2026-11-24", "2026-12-01"):
        portal_book(c, h, start=f"{day}T09:00:00+08:00")
        h.clock.advance(days=7)
    svc.tick()
    # Two stored no-shows: still allowed. A cancelled booking never counts.
    b = portal_book(c, h, start="2026-12-08T09:00:00+08:00")
    assert c.post(f"/api/v1/bookings/{b['code']}/cancel", headers=h.headers("portal"),
                  json={}).status_code == 200
    h.clock.advance(days=7)
    svc.tick()
    portal_book(c, h, start="2026-12-15T09:00:00+08:00")
    h.clock.advance(days=7)
    svc.tick()
    with h.app.state.store.engine.connect() as conn:
        statuses = sorted(r[0] for r in conn.execute(select(bookings.c.status)))
    assert statuses == ["cancelled", "no_show", "no_show", "no_show"]
    err = refusal(c.post("/api/v1/bookings", headers=h.headers("portal"), json={
        "business": "transfer", "slot_start": "2026-12-22T09:00:00+08:00",
        "id_number": ZHANG, "phone": PHONE_ZHANG}), 403, "id_blocked")
    assert "2027年01月14日" in err["message"]


def test_the_running_server_sweeps_by_itself(make_app):
    """The lifespan's periodic job, like the daily clear: no call from the test."""
    h = make_app(LAYOUT, slip_key=KEY, turnover_check_seconds=0.05)
    with TestClient(h.app) as c:
        b = portal_book(c, h)
        h.clock.advance(hours=24, minutes=16)
        deadline = time.monotonic() + 20
        while stored(h, b["code"])["status"] != "no_show":
            assert time.monotonic() < deadline, "the server never swept the no-show"
            time.sleep(0.05)
    assert taken(h) == 0


def outbox_of(h, kind: str) -> list[tuple[str, str]]:
    with h.app.state.store.engine.connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(
            select(notify_outbox.c.id, notify_outbox.c.body).where(notify_outbox.c.kind == kind)
            .order_by(notify_outbox.c.id))]


def test_reminders_the_day_before_at_the_layouts_hour_once_each(make_app, tmp_path):
    layout = tmp_path / "booking.toml"
    layout.write_text(LAYOUT.read_text(encoding="utf-8").replace(
        "block_days = 30\n", 'block_days = 30\nreminder_time = "18:30"\n'), encoding="utf-8")
    h = make_app(layout, slip_key=KEY)
    c = TestClient(h.app)
    svc = h.app.state.bookings
    tomorrow = portal_book(c, h)  # Tuesday 09:00, booked on Monday 09:00
    dropped = portal_book(c, h, id_number=LI, phone=PHONE_LI)
    assert c.post(f"/api/v1/bookings/{dropped['code']}/cancel", headers=h.headers("portal"),
                  json={}).status_code == 200
    later = portal_book(c, h, start="2026-11-25T09:00:00+08:00", id_number=LI,
                        phone=PHONE_LI)  # Wednesday: reminded on Tuesday
    h.clock.advance(hours=9, minutes=29)  # Monday 18:29
    assert svc.tick()["reminded"] == 0
    h.clock.advance(minutes=1)  # 18:30
    assert svc.tick()["reminded"] == 1
    assert svc.tick()["reminded"] == 0  # idempotent
    sent = outbox_of(h, "booking_remind")
    assert [k for k, _ in sent] == [f"booking-remind:{tomorrow['code']}"]
    body = sent[0][1]
    assert body.startswith("【") and "明天09:00–09:30" in body and tomorrow["code"] in body
    assert "/m/book?slip=HQ1:A:" in body and "Reminder" in body
    assert stored(h, tomorrow["code"])["reminded_at"] is not None
    assert stored(h, dropped["code"])["reminded_at"] is None
    h.clock.advance(hours=24)  # Tuesday 18:30: Wednesday's booking
    assert svc.tick()["reminded"] == 1
    assert [k for k, _ in outbox_of(h, "booking_remind")] == sorted(
        [f"booking-remind:{tomorrow['code']}", f"booking-remind:{later['code']}"])


def test_a_booking_made_after_the_reminder_hour_gets_no_reminder(booking_api):
    c, h = booking_api
    h.clock.advance(hours=8)  # Monday 17:00, past the default 16:00
    b = portal_book(c, h)
    assert h.app.state.bookings.tick()["reminded"] == 0
    assert stored(h, b["code"])["reminded_at"] is None
    assert outbox_of(h, "booking_made") and not outbox_of(h, "booking_remind")


def test_a_guide_checks_a_booking_in_by_hand_and_it_is_recorded(booking_api):
    c, h = booking_api
    b = portal_book(c, h)
    other_day = portal_book(c, h, start="2026-11-25T09:00:00+08:00", id_number=LI,
                            phone=PHONE_LI)
    h.clock.advance(hours=24, minutes=-10)  # Tuesday 08:50
    guide = h.headers("guide")
    refusal(c.post(f"/api/v1/bookings/{b['code']}/check-in", headers=h.kiosk()), 403,
            "forbidden")
    refusal(c.post("/api/v1/bookings/BNOSUCH123/check-in", headers=guide), 404,
            "booking_unknown")
    refusal(c.post(f"/api/v1/bookings/{other_day['code']}/check-in", headers=guide), 409,
            "booking_not_today")
    r = c.post(f"/api/v1/bookings/{b['code'].lower()}/check-in", headers=guide)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["ticket"]["priority"] == "appointment" and out["ticket"]["business"] == "transfer"
    assert out["booking"]["status"] == "checked_in"
    assert out["booking"]["checked_in_by"].startswith("guide")
    row = stored(h, b["code"])
    assert row["ticket_id"] == out["ticket"]["id"] and row["checked_in_by"].startswith("guide")
    # Done once: by hand again, or the slip at a kiosk, is the same check-in.
    refusal(c.post(f"/api/v1/bookings/{b['code']}/check-in", headers=guide), 409,
            "booking_checked_in")
    refusal(c.post("/api/v1/tickets", headers=h.kiosk(), json={
        "business": "transfer", "appointment": {"slip": b["slip"]}}), 409, "appointment_used")
    # Checked in by hand: the sweep leaves it alone.
    h.clock.advance(hours=1)
    assert h.app.state.bookings.tick()["no_shows"] == 0
    assert stored(h, b["code"])["status"] == "checked_in"


def test_the_older_by_hand_form_records_the_booking_too(booking_api):
    c, h = booking_api
    b = portal_book(c, h)
    h.clock.advance(hours=24, minutes=-10)
    r = c.post("/api/v1/tickets", headers=h.headers("guide"), json={
        "business": "transfer", "appointment": {
            "code": b["code"], "slot_start": b["slot_start"], "slot_end": b["slot_end"]}})
    assert r.status_code == 201, r.text
    row = stored(h, b["code"])
    assert row["status"] == "checked_in" and row["checked_in_by"].startswith("guide")
    assert row["ticket_id"] == r.json()["id"]


def test_a_released_booking_is_not_checked_in_by_hand(booking_api):
    c, h = booking_api
    b = portal_book(c, h)
    h.clock.advance(hours=24, minutes=15)  # Tuesday 09:15: released
    refusal(c.post(f"/api/v1/bookings/{b['code']}/check-in", headers=h.headers("guide")), 409,
            "booking_released")


def test_the_days_figures_count_bookings_check_ins_and_no_shows(booking_api):
    c, h = booking_api
    a = portal_book(c, h)  # Tuesday 09:00: checked in at the kiosk
    b = portal_book(c, h, id_number=LI, phone=PHONE_LI)  # 09:00: checked in by hand
    missed = portal_book(c, h, start="2026-11-24T09:30:00+08:00", id_number=WANG,
                         phone="13900001111")
    dropped = portal_book(c, h, start="2026-11-24T10:00:00+08:00",
                          id_number=valid_id("43042119900101003"), phone="13900002222")
    c.post(f"/api/v1/bookings/{dropped['code']}/cancel", headers=h.headers("portal"), json={})
    coming = portal_book(c, h, start="2026-11-24T10:30:00+08:00",
                         id_number=valid_id("43042119900101004"), phone="13900003333")
    h.clock.advance(hours=24, minutes=-10)  # Tuesday 08:50
    assert c.post("/api/v1/tickets", headers=h.kiosk(), json={
        "business": "transfer", "appointment": {"slip": a["slip"]}}).status_code == 201
    assert c.post(f"/api/v1/bookings/{b['code']}/check-in",
                  headers=h.headers("guide")).status_code == 201
    h.clock.advance(minutes=60)  # 09:50: the 09:30 booking is due
    h.app.state.bookings.tick()
    for role in ("guide", "manager"):
        r = c.get("/api/v1/booking/day", headers=h.headers(role))
        assert r.status_code == 200, r.text
    f = r.json()
    assert f["day"] == "2026-11-24"
    assert {k: f[k] for k in ("booked", "checked_in", "by_hand", "no_show", "to_come",
                              "cancelled", "show_rate")} == {
        "booked": 4, "checked_in": 2, "by_hand": 1, "no_show": 1, "to_come": 1,
        "cancelled": 1, "show_rate": round(2 / 3, 3)}
    transfer = next(x for x in f["businesses"] if x["code"] == "transfer")
    assert transfer["booked"] == 4 and transfer["name"] == "转移登记"
    other = c.get("/api/v1/booking/day", headers=h.headers("guide"),
                  params={"day": "2026-11-25"}).json()
    assert other["booked"] == 0 and other["show_rate"] is None
    refusal(c.get("/api/v1/booking/day", headers=h.kiosk()), 403, "forbidden")
    refusal(c.get("/api/v1/booking/day", headers=h.headers("portal")), 403, "forbidden")
    assert missed and coming
