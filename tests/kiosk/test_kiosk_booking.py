"""The kiosk's appointment check-in in a hall that books online (issue 14): a slip booked
through hallq checks in, and one not on record or cancelled is refused in words."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any

from tests.cases.helpers import PHONE_ZHANG, ZHANG
from tests.kiosk.conftest import SMALL, Rig

BOOKING = """

[booking]
cutoff_minutes = 0

[[booking.businesses]]
code = "mortgage"
[[booking.businesses.slots]]
start = "09:00"
end = "11:00"
length_minutes = 30
capacity = 4
"""


def booking_rig(rig_factory: Any, tmp_path: Path) -> Rig:
    path = tmp_path / "small-booking.toml"
    path.write_text(SMALL.read_text(encoding="utf-8") + BOOKING, encoding="utf-8")
    return rig_factory(path)


def book(rig: Rig, start: str = "2026-11-23T09:30:00+08:00") -> dict[str, Any]:
    r = rig.http.post("/api/v1/bookings", headers=rig.headers("portal"), json={
        "business": "mortgage", "slot_start": start, "id_number": ZHANG, "phone": PHONE_ZHANG})
    assert r.status_code == 201, r.text
    return r.json()


def test_a_booked_slip_checks_in_and_the_booking_says_so(rig_factory, tmp_path: Path) -> None:
    rig = booking_rig(rig_factory, tmp_path)
    b = book(rig)
    rig.hall.clock.advance(minutes=25)  # 09:25, five minutes before the slot
    rig.present(b["slip"])
    r = rig.state.result
    assert r is not None and r.appointment == "in_slot"
    [seen] = rig.http.get("/api/v1/bookings", headers=rig.headers("portal"),
                          params={"id_number": ZHANG}).json()
    assert seen["status"] == "checked_in"


def test_an_unknown_or_cancelled_booking_is_refused(rig_factory, tmp_path: Path) -> None:
    rig = booking_rig(rig_factory, tmp_path)
    rig.present(rig.appointment_slip("mortgage", time(9, 0), time(9, 30), serial="P0042"))
    m = rig.state.message
    assert m is not None and m.code == "booking_unknown"
    assert len(rig.printer.jobs) == 0
    rig.flow.home()
    b = book(rig)
    assert rig.http.post(f"/api/v1/bookings/{b['code']}/cancel", headers=rig.headers("portal"),
                         json={}).status_code == 200
    rig.scanner.dedup = None
    rig.present(b["slip"])
    m = rig.state.message
    assert m is not None and m.code == "booking_cancelled"
    assert len(rig.printer.jobs) == 0
