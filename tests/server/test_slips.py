"""QR slips are checked by the server, which alone holds the hall's slip key."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time

import pytest
from fastapi.testclient import TestClient

from devices.scanner import SlipKind, make_slip
from devices.scanner.appointment import appointment_value
from queue_server.domain.slips import SlipKeyError
from tests.server.conftest import AppFactory, AppHandle

KEY = "server-test-slip-key-0123456789"
DAY = date(2026, 11, 23)  # the clock fixture's day: 09:00 in Shanghai


def booking(business: str = "mortgage", start: time = time(8, 50), end: time = time(9, 20),
            key: str = KEY) -> str:
    return make_slip(SlipKind.APPOINTMENT, appointment_value(DAY, start, end, business, "P7"),
                     key)


@pytest.fixture
def keyed(make_app: AppFactory) -> Iterator[tuple[TestClient, AppHandle]]:
    handle = make_app(slip_key=KEY)
    with TestClient(handle.app) as client:
        yield client, handle


def check(client: TestClient, h: AppHandle, text: str, role: str = "kiosk") -> tuple[int, dict]:
    r = client.post("/api/v1/slips/check", json={"text": text}, headers=h.headers(role))
    return r.status_code, r.json()


def test_an_appointment_slip_says_what_it_books(keyed):
    client, h = keyed
    assert client.get("/api/v1/hall", headers=h.headers("kiosk")).json()["slips"] is True
    status, body = check(client, h, booking() + "\r\n")  # as a serial scanner sends it
    assert status == 200, body
    assert body["kind"] == "appointment" and body["value"] == "20261123-0850-0920-MORTGAGE-P7"
    assert body["appointment"] == {
        "code": "20261123-0850-0920-MORTGAGE-P7", "business": "mortgage",
        "business_name": "抵押登记", "business_name_en": "Mortgage",
        "slot_start": "2026-11-23T08:50:00+08:00", "slot_end": "2026-11-23T09:20:00+08:00"}


def test_a_case_slip_names_its_case(keyed):
    client, h = keyed
    status, body = check(client, h, make_slip(SlipKind.CASE, "BDC2026-000123", KEY), "guide")
    assert status == 200 and body == {"kind": "case", "value": "BDC2026-000123"}


@pytest.mark.parametrize("text", [
    booking(key="another-hall-key-0123456789"),  # forged, or another hall's
    booking()[:-1] + ("A" if booking()[-1] != "A" else "B"),  # one character damaged
    "HQ1:C:BDC1:SHORT", "hello",
])
def test_a_slip_not_signed_by_this_hall_is_refused_in_words(keyed, text):
    client, h = keyed
    status, body = check(client, h, text)
    assert status == 422 and body["error"]["code"] == "invalid_slip"
    assert "二维码无效" in body["error"]["message"] and "not valid" in body["error"]["message"]


def test_a_genuine_slip_whose_booking_cannot_be_read(keyed):
    client, h = keyed
    status, body = check(client, h, make_slip(SlipKind.APPOINTMENT, "JUNK-1", KEY))
    assert status == 422 and body["error"]["code"] == "appointment_invalid"


def test_displays_may_not_check_slips_and_oversize_text_is_refused(keyed):
    client, h = keyed
    assert check(client, h, booking(), "display")[0] == 403
    status, body = check(client, h, "HQ1:" + "A" * 400)
    assert status == 422 and body["error"]["code"] == "invalid_input"


def test_a_hall_without_a_key_says_so(api):
    client, h = api
    assert client.get("/api/v1/hall", headers=h.headers("kiosk")).json()["slips"] is False
    status, body = check(client, h, booking())
    assert status == 404 and body["error"]["code"] == "slips_unavailable"
    r = client.post("/api/v1/tickets", json={"business": "mortgage",
                                             "appointment": {"slip": booking()}},
                    headers=h.headers("kiosk"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "slips_unavailable"


def test_a_key_too_short_to_be_safe_stops_the_server(make_app: AppFactory):
    with pytest.raises(SlipKeyError, match="at least 16 bytes"):
        make_app(slip_key="short")


# --- check-in with the slip ---------------------------------------------------------------


def issue(client: TestClient, h: AppHandle, body: dict, role: str = "kiosk"):
    return client.post("/api/v1/tickets", json=body, headers=h.headers(role))


def waiting(client: TestClient, h: AppHandle) -> int:
    return len(client.get("/api/v1/tickets", params={"status": "waiting"},
                          headers=h.headers("guide")).json())


def test_check_in_by_slip_gets_the_appointment_priority_in_its_slot(keyed):
    client, h = keyed
    r = issue(client, h, {"business": "mortgage", "appointment": {"slip": booking()}})
    assert r.status_code == 201, r.text
    assert r.json()["priority"] == "appointment"
    late = issue(client, h, {"business": "query", "appointment": {
        "slip": booking("query", time(14, 0), time(14, 30))}})
    assert late.status_code == 201 and late.json()["priority_reason"] == "appointment_outside_slot"


@pytest.mark.parametrize(("appointment", "business", "code", "status"), [
    ({"slip": booking(key="another-hall-key-0123456789")}, "mortgage", "invalid_slip", 422),
    ({"slip": booking()}, "query", "appointment_business_mismatch", 422),
    ({"slip": make_slip(SlipKind.CASE, "BDC1", KEY)}, "mortgage", "slip_wrong_kind", 422),
    # A kiosk's token alone cannot claim a booking: without the slip, no check-in.
    ({"code": "X", "slot_start": "2026-11-23T08:50:00+08:00",
      "slot_end": "2026-11-23T09:20:00+08:00"}, "mortgage", "slip_required", 403),
    ({"slip": booking(), "code": "X"}, "mortgage", "invalid_input", 422),
    ({}, "mortgage", "invalid_input", 422),
])
def test_a_check_in_the_slip_does_not_back_is_refused_and_issues_nothing(
        keyed, appointment, business, code, status):
    client, h = keyed
    r = issue(client, h, {"business": business, "appointment": appointment})
    assert r.status_code == status and r.json()["error"]["code"] == code, r.text
    assert waiting(client, h) == 0


def test_a_guide_checks_in_a_booking_by_hand(keyed):
    client, h = keyed
    r = issue(client, h, {"business": "mortgage", "appointment": {
        "code": "PHONE-1", "slot_start": "2026-11-23T08:50:00+08:00",
        "slot_end": "2026-11-23T09:20:00+08:00"}}, role="guide")
    assert r.status_code == 201 and r.json()["priority"] == "appointment"


def test_a_booking_checks_in_once_a_day_even_after_a_restart(make_app: AppFactory):
    slip = {"business": "mortgage", "appointment": {"slip": booking()}}
    handle = make_app(slip_key=KEY)
    with TestClient(handle.app) as client:
        first = issue(client, handle, slip)
        assert first.status_code == 201
        # The same slip again (passed along the queue, or scanned twice): refused, naming
        # the ticket it already has.
        again = issue(client, handle, slip)
        assert again.status_code == 409 and again.json()["error"]["code"] == "appointment_used"
        assert first.json()["number"] in again.json()["error"]["message"]
        assert waiting(client, handle) == 1
    handle = make_app(slip_key=KEY)  # restarted on the same database
    with TestClient(handle.app) as client:
        assert issue(client, handle, slip).json()["error"]["code"] == "appointment_used"
        # A check-in whose ticket was taken back (nobody received it) frees the booking.
        r = client.post(f"/api/v1/tickets/{first.json()['id']}/cancel",
                        headers=handle.headers("guide"))
        assert r.status_code == 200, r.text
        second = issue(client, handle, slip)
        assert second.status_code == 201 and second.json()["priority"] == "appointment"
        history = client.get(f"/api/v1/tickets/{second.json()['id']}/history",
                             headers=handle.headers("guide")).json()
        assert history[0]["data"]["appointment"] == "20261123-0850-0920-MORTGAGE-P7"
