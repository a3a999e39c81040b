"""预约 through the API on SQLite and PostgreSQL: the SMS code proves the phone, a booking
gets its signed slip, the kiosk checks it in against the stored booking, the portal books
on the applicant's behalf, and every refusal is typed, a 4xx, Chinese first."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from devices.scanner.appointment import appointment_value
from devices.scanner.slip import make_slip
from queue_server.store.tables import notify_outbox
from tests.cases.helpers import LI, PHONE_LI, PHONE_ZHANG, WANG, ZHANG
from tests.conftest import FIXTURES

KEY = "server-test-slip-key-0123456789"
LAYOUT = FIXTURES / "booking.toml"
TUE_9 = "2026-11-24T09:00:00+08:00"  # the test clock is Monday 2026-11-23 09:00
TUE_930 = "2026-11-24T09:30:00+08:00"


@pytest.fixture
def booking_api(make_app):
    h = make_app(LAYOUT, slip_key=KEY)
    return TestClient(h.app), h  # no lifespan: the outbox keeps what it was given


def sms_code(h, phone: str) -> str:
    """The newest one-time code sent to `phone`, read from the outbox as a gateway would."""
    masked = phone[:3] + "****" + phone[-4:]
    with h.app.state.store.engine.connect() as conn:
        rows = conn.execute(select(notify_outbox.c.body).where(
            notify_outbox.c.kind == "booking_code",
            notify_outbox.c.recipient_masked == masked)
            .order_by(notify_outbox.c.created_at.desc(), notify_outbox.c.id.desc())).all()
    m = re.search(r"验证码 (\d{6})", rows[0][0])
    assert m, rows[0][0]
    return m.group(1)


def phone_pass(c: TestClient, h, phone: str = PHONE_ZHANG) -> str:
    assert c.post("/api/v1/booking/sms-code", json={"phone": phone}).status_code == 201
    r = c.post("/api/v1/booking/verify", json={"phone": phone, "code": sms_code(h, phone)})
    assert r.status_code == 200, r.text
    return r.json()["pass"]


def book(c: TestClient, token: str, start: str = TUE_9, id_number: str = ZHANG,
         phone: str = PHONE_ZHANG, business: str = "transfer"):
    return c.post("/api/v1/bookings", json={"business": business, "slot_start": start,
                                            "id_number": id_number, "phone": phone,
                                            "phone_pass": token})


def refusal(r, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code
    zh, _, en = err["message"].partition(" / ")
    assert re.search(r"[\u4e00-\u9fff]", zh) and en and not re.search(r"[\u4e00-\u9fff]", en[:3])
    return err


def test_slots_show_places_left_and_why_one_cannot_be_booked(booking_api):
    c, _ = booking_api
    biz = c.get("/api/v1/booking/businesses").json()["businesses"]
    assert [b["code"] for b in biz] == ["transfer", "mortgage"]
    assert biz[0]["days"][:2] == ["2026-11-23", "2026-11-24"]
    today = c.get("/api/v1/booking/slots", params={"business": "transfer",
                                                    "day": "2026-11-23"}).json()
    assert [(s["label"], s["remaining"], s["reason"]) for s in today["slots"]] == [
        ("09:00–09:30", 2, "booking_closed"), ("09:30–10:00", 2, "booking_closed"),
        ("10:00–10:30", 2, "booking_closed"), ("10:30–11:00", 2, None),
        ("14:00–15:00", 2, None)]
    sunday = c.get("/api/v1/booking/slots", params={"business": "transfer",
                                                     "day": "2026-11-29"}).json()
    assert sunday["open"] is False and sunday["slots"] == []
    refusal(c.get("/api/v1/booking/slots", params={"business": "tax", "day": "2026-11-24"}),
            409, "not_bookable")


def test_book_with_the_sms_code_then_the_kiosk_checks_in_once(booking_api):
    c, h = booking_api
    token = phone_pass(c, h)
    r = book(c, token)
    assert r.status_code == 201, r.text
    b = r.json()
    assert b["status"] == "booked" and b["when"] == "2026年11月24日 周二 09:00–09:30"
    assert b["id_masked"] == ZHANG[:3] + "*" * 11 + ZHANG[-4:] and b["phone_masked"] == "138****5678"
    assert b["slip"].startswith(f"HQ1:A:20261124-0900-0930-TRANSFER-{b['code']}:")
    left = c.get("/api/v1/booking/slots", params={"business": "transfer", "day": "2026-11-24"})
    assert left.json()["slots"][0]["remaining"] == 1
    # The SMS with the slip's link is in the outbox.
    with h.app.state.store.engine.connect() as conn:
        made = conn.execute(select(notify_outbox.c.body).where(
            notify_outbox.c.kind == "booking_made")).scalar_one()
    assert b["code"] in made and "/m/book?slip=HQ1:A:" in made
    h.clock.advance(hours=24, minutes=-10)  # Tuesday 08:50
    kiosk = h.kiosk()
    issued = c.post("/api/v1/tickets", headers=kiosk, json={
        "business": "transfer", "appointment": {"slip": b["slip"]}})
    assert issued.status_code == 201, issued.text
    assert issued.json()["priority"] == "appointment"
    refusal(c.post(f"/api/v1/bookings/{b['code']}", json={"phone": PHONE_ZHANG,
                                                          "phone_pass": token}),
            403, "phone_pass_expired")  # a day later the pass has run out
    seen = c.post(f"/api/v1/bookings/{b['code']}", json={"phone": PHONE_ZHANG,
                                                         "phone_pass": phone_pass(c, h)})
    assert seen.json()["status"] == "checked_in"
    refusal(c.post("/api/v1/tickets", headers=kiosk, json={
        "business": "transfer", "appointment": {"slip": b["slip"]}}), 409, "appointment_used")


def test_cancelled_and_unknown_bookings_are_refused_at_the_kiosk(booking_api):
    c, h = booking_api
    token = phone_pass(c, h)
    b = book(c, token).json()
    r = c.post(f"/api/v1/bookings/{b['code']}/cancel", json={"phone": PHONE_ZHANG,
                                                             "phone_pass": token})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert c.get("/api/v1/booking/slots", params={"business": "transfer",
                                                   "day": "2026-11-24"}).json()["slots"][0][
        "remaining"] == 2
    kiosk = h.kiosk()
    refusal(c.post("/api/v1/tickets", headers=kiosk, json={
        "business": "transfer", "appointment": {"slip": b["slip"]}}), 409, "booking_cancelled")
    forged_serial = make_slip("A", appointment_value(date(2026, 11, 24), time(9), time(9, 30),
                                                     "transfer", "P0042"), KEY)
    refusal(c.post("/api/v1/tickets", headers=kiosk, json={
        "business": "transfer", "appointment": {"slip": forged_serial}}), 404, "booking_unknown")
    refusal(c.post(f"/api/v1/bookings/{b['code']}/cancel", json={
        "phone": PHONE_ZHANG, "phone_pass": token}), 409, "booking_cancelled")


def test_rebook_moves_the_place_and_the_old_slip_is_dead(booking_api):
    c, h = booking_api
    token = phone_pass(c, h)
    b = book(c, token).json()
    r = c.post(f"/api/v1/bookings/{b['code']}/rebook", json={
        "phone": PHONE_ZHANG, "phone_pass": token, "slot_start": TUE_930})
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["code"] != b["code"] and new["rebooked_from"] == b["code"]
    slots = c.get("/api/v1/booking/slots", params={"business": "transfer",
                                                   "day": "2026-11-24"}).json()["slots"]
    assert [s["remaining"] for s in slots[:2]] == [2, 1]
    old = c.post(f"/api/v1/bookings/{b['code']}", json={"phone": PHONE_ZHANG,
                                                        "phone_pass": token}).json()
    assert old["status"] == "cancelled"


def test_refusals_each_typed(booking_api):
    c, h = booking_api
    refusal(book(c, "forged"), 403, "phone_unverified")
    token = phone_pass(c, h)
    refusal(book(c, token, phone=PHONE_LI), 403, "phone_unverified")  # another phone's pass
    refusal(book(c, token, start="2026-11-23T09:00:00+08:00"), 409, "booking_closed")
    refusal(book(c, token, start="2026-12-01T09:00:00+08:00"), 409, "too_far_ahead")
    refusal(book(c, token, start="2026-11-29T09:00:00+08:00"), 409, "day_closed")
    refusal(book(c, token, start="2026-11-24T09:10:00+08:00"), 409, "no_such_slot")
    refusal(book(c, token, id_number="430408196203142310"), 422, "invalid_id_number")
    assert book(c, token).status_code == 201
    refusal(book(c, token, start=TUE_930), 409, "already_booked")
    assert book(c, token, start="2026-11-24T10:00:00+08:00", business="mortgage"
                ).status_code == 201
    refusal(book(c, token, start="2026-11-26T10:00:00+08:00", business="mortgage"),
            409, "weekly_limit_reached")
    # The slot's last place: Li takes it, Wang is refused.
    li = phone_pass(c, h, PHONE_LI)
    assert book(c, li, id_number=LI, phone=PHONE_LI).status_code == 201
    refusal(book(c, li, id_number=WANG, phone=PHONE_LI), 409, "slot_full")
    refusal(c.post("/api/v1/bookings/BNOSUCH123", json={"phone": PHONE_ZHANG,
                                                        "phone_pass": token}),
            404, "booking_unknown")


def test_an_expired_pass_is_told_apart_from_one_that_proves_nothing(booking_api):
    """The page left open past the pass's half hour: its own code, in words that say the
    one thing to do (a new SMS code), so the page asks for one instead of showing an error.
    A forged pass, or another phone's, is still `phone_unverified`, expired or not."""
    c, h = booking_api
    token = phone_pass(c, h)
    li = phone_pass(c, h, PHONE_LI)
    mine = {"phone": PHONE_ZHANG, "phone_pass": token}
    code = book(c, token).json()["code"]
    h.clock.advance(minutes=29, seconds=59)
    assert c.post("/api/v1/booking/mine", json=mine).status_code == 200
    h.clock.advance(seconds=1)  # 30 minutes on: the pass has run out
    err = refusal(c.post("/api/v1/booking/mine", json=mine), 403, "phone_pass_expired")
    assert err["message"] == ("验证已过期，请重新获取短信验证码 / your verification has "
                              "expired: please get a new SMS code")
    refusal(book(c, token, start=TUE_930), 403, "phone_pass_expired")
    refusal(c.post(f"/api/v1/bookings/{code}/cancel", json=mine), 403, "phone_pass_expired")
    refusal(c.post("/api/v1/booking/mine", json={"phone": PHONE_ZHANG, "phone_pass": li}),
            403, "phone_unverified")  # another phone's, though expired too
    stamp = token.split(".")[1]
    refusal(c.post("/api/v1/booking/mine", json={
        "phone": PHONE_ZHANG, "phone_pass": token.replace(stamp, str(int(stamp) + 3600))}),
        403, "phone_unverified")  # stretched by hand: forged, not expired
    fresh = phone_pass(c, h)
    assert c.post("/api/v1/booking/mine", json={"phone": PHONE_ZHANG,
                                                 "phone_pass": fresh}).status_code == 200
    # The document says so where an integrator's client looks: the operation's 403.
    doc = c.get("/api/openapi.json").json()["paths"]
    for path in ("/api/v1/booking/mine", "/api/v1/bookings", "/api/v1/bookings/{code}",
                 "/api/v1/bookings/{code}/cancel", "/api/v1/bookings/{code}/rebook",
                 "/api/v1/home-visits", "/api/v1/home-visits/mine",
                 "/api/v1/home-visits/{code}/cancel"):
        assert "phone_pass_expired" in doc[path]["post"]["responses"]["403"]["description"]


def test_wrong_codes_then_locked_and_the_send_rate(booking_api):
    c, h = booking_api
    assert c.post("/api/v1/booking/sms-code", json={"phone": PHONE_ZHANG}).status_code == 201
    good = sms_code(h, PHONE_ZHANG)
    bad = "000000" if good != "000000" else "111111"
    for _ in range(4):
        refusal(c.post("/api/v1/booking/verify", json={"phone": PHONE_ZHANG, "code": bad}),
                422, "wrong_sms_code")
    r = c.post("/api/v1/booking/verify", json={"phone": PHONE_ZHANG, "code": bad})
    refusal(r, 429, "sms_code_tries")
    assert r.headers["Retry-After"] == "60"
    # The right code no longer works: the phone asks for a new one.
    refusal(c.post("/api/v1/booking/verify", json={"phone": PHONE_ZHANG, "code": good}),
            429, "sms_code_tries")
    for _ in range(2):
        assert c.post("/api/v1/booking/sms-code", json={"phone": PHONE_ZHANG}).status_code == 201
    r = c.post("/api/v1/booking/sms-code", json={"phone": PHONE_ZHANG})
    refusal(r, 429, "rate_limited")
    assert int(r.headers["Retry-After"]) > 0
    h.clock.advance(minutes=6)
    refusal(c.post("/api/v1/booking/verify", json={"phone": PHONE_ZHANG,
                                                   "code": sms_code(h, PHONE_ZHANG)}),
            422, "sms_code_expired")
    refusal(c.post("/api/v1/booking/sms-code", json={"phone": "12345"}), 422, "invalid_phone")


def test_the_send_rate_per_address(make_app, monkeypatch):
    monkeypatch.setenv("HALLQ_BOOKING_SMS_RATE_ADDR", "2/900")
    h = make_app(LAYOUT, slip_key=KEY)
    c = TestClient(h.app)
    for phone in (PHONE_ZHANG, PHONE_LI):
        assert c.post("/api/v1/booking/sms-code", json={"phone": phone}).status_code == 201
    refusal(c.post("/api/v1/booking/sms-code", json={"phone": "13900001111"}), 429,
            "rate_limited")


def test_portal_books_lists_and_cancels_on_behalf(booking_api):
    c, h = booking_api
    portal = h.headers("portal")
    r = c.post("/api/v1/bookings", headers=portal, json={
        "business": "transfer", "slot_start": TUE_9, "id_number": ZHANG, "phone": PHONE_ZHANG})
    assert r.status_code == 201, r.text
    b = r.json()
    assert {"id", "slot_start", "slot_end", "slip"} <= set(b) and b["channel"] == "portal"
    listed = c.get("/api/v1/bookings", headers=portal, params={"id_number": ZHANG}).json()
    assert [x["code"] for x in listed] == [b["code"]]
    assert c.post(f"/api/v1/bookings/{b['code']}/cancel", headers=portal, json={}
                  ).json()["status"] == "cancelled"
    refusal(c.get("/api/v1/bookings", headers=h.kiosk(), params={"id_number": ZHANG}),
            403, "forbidden")
    refusal(c.post("/api/v1/bookings", headers=h.kiosk(), json={
        "business": "transfer", "slot_start": TUE_9, "id_number": ZHANG,
        "phone": PHONE_ZHANG}), 403, "forbidden")
    refusal(c.get("/api/v1/bookings", params={"id_number": ZHANG}), 401, "unauthorized")


def test_three_no_shows_block_online_booking(booking_api):
    c, h = booking_api
    portal = h.headers("portal")
    for day in ("2026-11-24", "2026-12-01", "2026-12-08"):  # one Tuesday a week, missed
        r = c.post("/api/v1/bookings", headers=portal, json={
            "business": "transfer", "slot_start": f"{day}T09:00:00+08:00",
            "id_number": ZHANG, "phone": PHONE_ZHANG})
        assert r.status_code == 201, r.text
        h.clock.advance(days=7)
    listed = c.get("/api/v1/bookings", headers=portal, params={"id_number": ZHANG}).json()
    assert [x["status"] for x in listed] == ["no_show"] * 3
    err = refusal(c.post("/api/v1/bookings", headers=portal, json={
        "business": "transfer", "slot_start": "2026-12-15T09:00:00+08:00",
        "id_number": ZHANG, "phone": PHONE_ZHANG}), 403, "id_blocked")
    assert "2027年01月07日" in err["message"]
    # Another person is not blocked.
    assert c.post("/api/v1/bookings", headers=portal, json={
        "business": "transfer", "slot_start": "2026-12-15T09:00:00+08:00",
        "id_number": LI, "phone": PHONE_LI}).status_code == 201


def test_two_at_once_for_the_last_place(booking_api):
    """The database decides: of two requests for the last place, one gets it."""
    c, h = booking_api
    portal = h.headers("portal")
    # Mortgage's 10:00 slot has one place.
    def one(id_number: str, phone: str) -> int:
        return c.post("/api/v1/bookings", headers=portal, json={
            "business": "mortgage", "slot_start": "2026-11-24T10:00:00+08:00",
            "id_number": id_number, "phone": phone}).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = sorted(pool.map(one, (ZHANG, LI), (PHONE_ZHANG, PHONE_LI)))
    assert codes == [201, 409]
    slots = c.get("/api/v1/booking/slots", params={"business": "mortgage",
                                                   "day": "2026-11-24"}).json()["slots"]
    assert slots[0]["remaining"] == 0


def test_the_store_gives_the_last_place_once_under_threads(booking_api):
    """Straight at storage, with a barrier so both commits really overlap."""
    import threading

    from queue_server.domain.booking import Slot
    from queue_server.domain.errors import LimitReached
    from queue_server.store.booking import NewBooking

    _, h = booking_api
    store = h.app.state.bookings.store
    slot = Slot("mortgage", datetime.fromisoformat("2026-11-24T10:00:00+08:00"),
                datetime.fromisoformat("2026-11-24T11:00:00+08:00"), 1)
    gate = threading.Barrier(4)
    results: list[str] = []

    def one(n: int) -> None:
        new = NewBooking(code=f"BRACE{n}", slot=slot, id_hash=f"{n:064d}", id_masked="x",
                         phone_sealed="s", phone_masked="m", phone_ref="r", channel="portal",
                         actor="test")
        gate.wait()
        try:
            store.create(new, h.clock())
            results.append("ok")
        except LimitReached as e:
            results.append(e.code)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["ok", "slot_full", "slot_full", "slot_full"]
    assert store.taken("mortgage", [slot.start]) == {slot.start: 1}


def test_cancel_closes_at_the_cut_off(booking_api):
    c, h = booking_api
    portal = h.headers("portal")
    b = c.post("/api/v1/bookings", headers=portal, json={
        "business": "transfer", "slot_start": "2026-11-23T10:30:00+08:00",
        "id_number": ZHANG, "phone": PHONE_ZHANG}).json()
    assert (b["changeable"], b["changes_close"]) == (True, "2026-11-23T09:30:00+08:00")
    h.clock.advance(minutes=31)  # 09:31: the 10:30 slot closed at 09:30
    refusal(c.post(f"/api/v1/bookings/{b['code']}/cancel", headers=portal, json={}),
            409, "booking_closed")
    r = c.post(f"/api/v1/bookings/{b['code']}/rebook", headers=portal,
               json={"slot_start": "2026-11-24T10:30:00+08:00"})
    refusal(r, 409, "booking_closed")
    # Not "choose another time": it is the booking held that closed, so no time would do.
    assert r.json()["error"]["message"].startswith(
        "这个预约已过改约截止时间（开始前 60 分钟），不能再改约或取消。请按预约时间 10:30 到大厅")
    again = c.post(f"/api/v1/bookings/{b['code']}", headers=portal, json={}).json()
    assert (again["status"], again["changeable"]) == ("booked", False)


def test_a_forged_or_altered_slip_link_is_refused_in_the_phones_words(booking_api):
    """The SMS link's slip read back on /m/book: one altered, forged or cut short is a
    typed 422 whose message fits a phone at home (no desk, no wire format)."""
    c, h = booking_api
    b = c.post("/api/v1/bookings", headers=h.headers("portal"), json={
        "business": "transfer", "slot_start": TUE_9, "id_number": ZHANG,
        "phone": PHONE_ZHANG}).json()
    assert c.get("/api/v1/booking/slip", params={"text": b["slip"]}).status_code == 200
    altered = b["slip"][:-1] + ("A" if b["slip"][-1] != "A" else "B")
    forged = make_slip("A", appointment_value(date(2026, 11, 24), time(9), time(9, 30),
                                              "transfer", b["code"]), "another-hall-key-0123456")
    for text in (altered, forged, "HQ1:A:junk", b["slip"][:20]):
        err = refusal(c.get("/api/v1/booking/slip", params={"text": text}), 422,
                      "invalid_slip")
        assert err["message"].startswith("这个预约链接无效或不完整") and "HQ1" not in err["message"]
