"""预约 on the staff pages in real headless Chromium at 1920×1080: the guide console's
"today's bookings" card (figures from GET /booking/day) and a booking checked in by hand
from its form; the manager's page shows the day's bookings, check-ins and no-shows per
business. Screenshots test-artifacts/pages/booking-figures-*.png."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cases.helpers import LI, PHONE_LI, PHONE_ZHANG, WANG, ZHANG, valid_id
from tests.conftest import FIXTURES, Clock
from tests.pages.conftest import HallServer, wait_live

pytestmark = pytest.mark.browser
KEY = "page-test-slip-key-0123456789"
ZHAO = valid_id("43042119900101003")


@pytest.fixture
def booking_hall(tmp_path: Path, clock: Clock) -> Iterator[HallServer]:
    server = HallServer(tmp_path, clock, layout=FIXTURES / "booking.toml")
    server.settings = dataclasses.replace(server.settings, slip_key=KEY)
    server.start()
    yield server
    server.stop()


def book(hall: HallServer, start: str, id_number: str, phone: str) -> dict[str, Any]:
    return hall.ok("POST", "/bookings", role="portal", json={
        "business": "transfer", "slot_start": f"2026-11-23T{start}:00+08:00",
        "id_number": id_number, "phone": phone})


def figures(page: Any) -> dict[str, str]:
    return {k: page.inner_text(f"#bk-{k} b") for k in ("booked", "came", "missed", "coming")}


def test_guide_checks_in_by_hand_and_both_pages_show_the_day(booking_hall: HallServer,
                                                             open_page: Any, pages_dir: Path):
    hall = booking_hall
    a = book(hall, "10:30", ZHANG, PHONE_ZHANG)  # Monday 09:00: four bookings of today
    b = book(hall, "10:30", LI, PHONE_LI)
    c = book(hall, "14:00", WANG, "13900001111")
    book(hall, "14:00", ZHAO, "13900002222")  # never comes
    hall.clock.advance(hours=1, minutes=20)  # 10:20
    hall.issue("transfer", appointment={"slip": a["slip"]})

    page = open_page(f"{hall.url}/console/guide?token={hall.token('guide')}", 1920, 1080)
    wait_live(page)
    page.wait_for_selector("#booking-form:not([hidden]) #bk-booked")
    assert figures(page) == {"booked": "4", "came": "1", "missed": "0", "coming": "3"}
    card = page.locator("#booking-form").bounding_box()
    assert card["y"] + card["height"] <= 1080, card  # in view without scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 1920

    # Li's phone is flat: the guide types the booking code (as read out, lower case).
    page.fill("#bk-code", b["code"].lower())
    page.click("#bk-go")
    page.wait_for_selector("#bk-number")
    number = page.inner_text("#bk-number")
    ticket = next(t for t in hall.ok("GET", "/tickets") if t["number"] == number)
    assert ticket["priority"] == "appointment"
    page.wait_for_function("document.querySelector('#bk-came b').textContent === '2'")
    assert "10:30–11:00" in page.inner_text("#bk-result")
    page.locator("#booking-form").screenshot(path=str(pages_dir / "booking-figures-guide-card.png"))
    page.screenshot(path=str(pages_dir / "booking-figures-guide.png"))
    # A code that names no booking: the guide is told in words, nothing is issued.
    page.fill("#bk-code", "BNOSUCH123")
    page.click("#bk-go")
    page.wait_for_function("document.body.innerText.includes('查不到这个预约')")

    # The afternoon: Wang comes, Zhao does not; the sweep stores the no-show at 14:15.
    hall.clock.advance(hours=3, minutes=35)  # 13:55
    hall.issue("transfer", appointment={"slip": c["slip"]})
    hall.clock.advance(minutes=21)  # 14:16
    assert hall.app.state.bookings.tick()["no_shows"] == 1
    page.reload()
    wait_live(page)
    page.wait_for_selector("#booking-form:not([hidden]) #bk-booked")
    assert figures(page) == {"booked": "4", "came": "3", "missed": "1", "coming": "0"}

    m = open_page(f"{hall.url}/manager?token={hall.token('manager')}", 1920, 1080)
    wait_live(m)
    m.wait_for_function("document.body.dataset.loaded === '2026-11-23..2026-11-23'")
    m.wait_for_selector("#card-bookings:not([hidden])")
    assert m.inner_text("#bk-booked .kpi-value") == "4"
    assert m.inner_text("#bk-in .kpi-value") == "3"
    assert "其中手工 1" in m.inner_text("#bk-in")
    assert m.inner_text("#bk-missed .kpi-value") == "1"
    assert m.inner_text("#bk-rate .kpi-value") == "75%"
    row = m.locator("#bk-table tr[data-business='transfer'] td").all_inner_texts()
    assert row[1:] == ["4", "3", "1", "1", "0", "0", "0", "75%"]
    assert m.evaluate("document.documentElement.scrollWidth") <= 1920
    m.locator("#card-bookings").scroll_into_view_if_needed()
    m.locator("#card-bookings").screenshot(path=str(pages_dir / "booking-figures-manager-card.png"))
    m.screenshot(path=str(pages_dir / "booking-figures-manager.png"), full_page=True)


def test_a_hall_without_booking_shows_no_booking_card(hall: HallServer, open_page: Any):
    page = open_page(f"{hall.url}/console/guide?token={hall.token('guide')}", 1920, 1080)
    wait_live(page)
    page.wait_for_function("document.body.dataset.bookings === 'none'")
    assert page.locator("#booking-form").is_hidden()
