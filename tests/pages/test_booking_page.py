"""预约 on the applicant's phone (`/m/book`), 390×844 in real headless Chromium: a business
with its materials list, a day and a slot with places left, ID and phone, the SMS code
read from the outbox, the QR slip shown (and checked in at the kiosk's API), rebook and
cancel from the same page. Screenshots in test-artifacts/pages/book-*.png."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pyzbar import pyzbar
from sqlalchemy import select

from queue_server.store.tables import notify_outbox
from tests.cases.helpers import LI, PHONE_LI, PHONE_ZHANG, WANG, ZHANG
from tests.conftest import FIXTURES, REPO, Clock
from tests.pages.conftest import HallServer, checked_screenshot

pytestmark = pytest.mark.browser
PHONE = (390, 844)
KEY = "page-test-slip-key-0123456789"
EXPIRED = ("验证已过期，请重新获取短信验证码 your verification has expired: please get a new "
           "SMS code")


@pytest.fixture
def booking_hall(tmp_path: Path, clock: Clock) -> Iterator[HallServer]:
    server = HallServer(tmp_path, clock, layout=FIXTURES / "booking.toml")
    server.settings = dataclasses.replace(server.settings, slip_key=KEY,
                                          catalogue_path=REPO / "layouts" / "catalogue.toml")
    server.start()
    yield server
    server.stop()


def sms_code(hall: HallServer) -> str:
    with hall.app.state.store.engine.connect() as conn:
        body = conn.execute(select(notify_outbox.c.body).where(
            notify_outbox.c.kind == "booking_code")
            .order_by(notify_outbox.c.created_at.desc(), notify_outbox.c.id.desc())
        ).first()[0]
    return re.search(r"验证码 (\d{6})", body).group(1)


def text(page: Any, selector: str) -> str:
    return " ".join(page.inner_text(selector).split())


def test_book_see_the_slip_rebook_and_cancel(booking_hall: HallServer, open_page: Any,
                                             pages_dir: Path):
    hall = booking_hall
    page = open_page(f"{hall.url}/m/book", *PHONE)
    page.wait_for_function("document.body.dataset.step === 'business'")
    assert text(page, "#businesses").startswith("转移登记 Transfer 抵押登记 Mortgage")
    page.screenshot(path=str(pages_dir / "book-1-business.png"))

    page.click("[data-business='mortgage']")
    page.wait_for_function("document.body.dataset.step === 'materials'")
    materials = text(page, "#materials")
    assert "不动产权证书" in materials  # the catalogue's one-time list, before booking
    page.screenshot(path=str(pages_dir / "book-2-materials.png"))

    page.click("#materials-ok")
    page.wait_for_function("document.getElementById('slots').children.length > 0")
    # Monday 09:00: mortgage closes two hours before its 10:00 slot, so today offers none.
    assert "这一天没有可预约的时段" in text(page, "#slots")
    page.click("[data-day='2026-11-24']")
    page.wait_for_selector("[data-slot='2026-11-24T10:00:00+08:00']")
    assert "余 1 个" in text(page, "[data-slot='2026-11-24T10:00:00+08:00']")
    page.screenshot(path=str(pages_dir / "book-3-slot.png"))

    page.click("[data-slot='2026-11-24T10:00:00+08:00']")
    page.wait_for_function("document.body.dataset.step === 'who'")
    page.fill("#id-number", ZHANG)
    page.fill("#phone", PHONE_ZHANG)
    page.click("#send-code")
    page.wait_for_selector("#code-field:not([hidden])")
    assert "138****5678" in text(page, "#send-code")
    page.fill("#code", "000000" if sms_code(hall) != "000000" else "111111")
    page.click("#confirm")
    page.wait_for_selector("#error:not([hidden])")
    assert text(page, "#error").startswith("验证码不对")
    page.screenshot(path=str(pages_dir / "book-4-wrong-code.png"))
    page.fill("#code", sms_code(hall))
    page.click("#confirm")
    page.wait_for_function("document.body.dataset.step === 'done'")
    assert text(page, "#when").startswith("2026年11月24日 周二 10:00–11:00")
    page.wait_for_function("document.getElementById('qr').naturalWidth > 0")
    page.screenshot(path=str(pages_dir / "book-5-slip.png"))
    # The QR on the screen is what a kiosk's scanner reads.
    shot = pages_dir / "book-5-qr.png"
    page.locator("#qr").screenshot(path=str(shot))
    [read] = pyzbar.decode(Image.open(shot))
    code = page.inner_text("#booking-code")
    slip = read.data.decode("ascii")
    assert slip.startswith("HQ1:A:20261124-1000-1100-MORTGAGE-" + code)
    # The slot is now full for anyone else.
    slots = hall.ok("GET", "/booking/slots", params={"business": "mortgage", "day": "2026-11-24"})
    assert slots["slots"][0]["remaining"] == 0

    # Rebook to Thursday (Wednesday's mortgage slot is open too, but the applicant picks).
    page.click("#rebook")
    page.wait_for_function("document.body.dataset.step === 'slot'")
    page.click("[data-day='2026-11-26']")
    page.wait_for_selector("[data-slot='2026-11-26T10:00:00+08:00']")
    page.click("[data-slot='2026-11-26T10:00:00+08:00']")
    page.wait_for_function("document.getElementById('when').innerText.includes('11月26日')")
    assert text(page, "#done-title").startswith("改约成功")
    new_code = page.inner_text("#booking-code")
    assert new_code != code

    page.click("#cancel")
    page.wait_for_selector("#confirm-cancel:not([hidden])")
    page.screenshot(path=str(pages_dir / "book-6-cancel-confirm.png"))
    page.click("#cancel-yes")
    page.wait_for_function("document.body.dataset.booking === 'cancelled'")
    assert "已取消" in text(page, "#what")
    assert text(page, "#done-hint").startswith("此预约已取消，二维码不能再签到")
    page.screenshot(path=str(pages_dir / "book-7-cancelled.png"))
    listed = hall.ok("GET", "/bookings", role="portal", params={"id_number": ZHANG})
    assert [(b["code"], b["status"]) for b in listed] == [(code, "cancelled"),
                                                         (new_code, "cancelled")]


def test_the_sms_link_shows_the_slip_and_the_kiosk_checks_it_in(booking_hall: HallServer,
                                                                open_page: Any,
                                                                pages_dir: Path):
    hall = booking_hall
    b = hall.ok("POST", "/bookings", role="portal", json={
        "business": "transfer", "slot_start": "2026-11-24T09:30:00+08:00",
        "id_number": ZHANG, "phone": PHONE_ZHANG})
    page = open_page(f"{hall.url}{b['slip_url']}", *PHONE)
    page.wait_for_function("document.body.dataset.step === 'done'")
    assert text(page, "#when").startswith("2026年11月24日 周二 09:30–10:00")
    assert page.is_hidden("#cancel")  # the link alone proves no phone: an SMS code first
    assert text(page, "#prove").startswith("取消或改约（需短信验证）")
    page.wait_for_function("document.getElementById('qr').naturalWidth > 0")
    page.screenshot(path=str(pages_dir / "book-8-sms-link.png"))
    hall.clock.advance(hours=24, minutes=20)  # Tuesday 09:20
    t = hall.issue("transfer", appointment={"slip": b["slip"]})
    assert t["priority"] == "appointment"
    page.reload()
    page.wait_for_function("document.body.dataset.booking === 'checked_in'")
    assert "已签到" in text(page, "#what")
    # "My bookings" after the SMS code lists it too.
    page.click("#again")
    page.click("#to-mine")
    page.fill("#mine-phone", PHONE_ZHANG)
    page.click("#mine-send")
    page.wait_for_selector("#mine-code-field:not([hidden])")
    page.fill("#mine-code", sms_code(hall))
    page.click("#mine-show")
    page.wait_for_selector(f"[data-code='{b['code']}']")
    assert "已签到" in text(page, "#mine-list")
    page.screenshot(path=str(pages_dir / "book-9-mine.png"))


def prove_and_confirm(page: Any, hall: HallServer, id_number: str, phone: str) -> None:
    page.fill("#id-number", id_number)
    page.fill("#phone", phone)
    page.click("#send-code")
    page.wait_for_selector("#code-field:not([hidden])")
    page.fill("#code", sms_code(hall))
    page.click("#confirm")


def test_refusals_on_the_page_are_words_with_the_one_next_step(booking_hall: HallServer,
                                                               open_page: Any,
                                                               pages_dir: Path):
    """A forged slip link, the last place taken while the applicant typed, a blocked ID:
    each said in words, Chinese first, never the raw answer; the time gone sends the page
    back to the day's times, re-read."""
    hall = booking_hall
    page = open_page(f"{hall.url}/m/book?slip=HQ1:A:20261124-0900-0930-TRANSFER-BFAKE:xx",
                     *PHONE)
    page.wait_for_selector("#error:not([hidden])")
    assert text(page, "#error").startswith("这个预约链接无效或不完整，请核对短信中的链接")
    assert "HQ1:" not in text(page, "#error")  # no wire format on an applicant's screen
    assert page.evaluate("document.body.dataset.step") == "business"  # book from here
    assert "{" not in page.inner_text("body")
    page.screenshot(path=str(pages_dir / "book-10-forged-link.png"))

    # Mortgage's Tuesday 10:00 has one place; the portal books it while Zhang types.
    page.goto(f"{hall.url}/m/book")
    page.click("[data-business='mortgage']")
    page.click("#materials-ok")
    page.click("[data-day='2026-11-24']")
    page.click("[data-slot='2026-11-24T10:00:00+08:00']")
    page.wait_for_function("document.body.dataset.step === 'who'")
    hall.ok("POST", "/bookings", role="portal", json={
        "business": "mortgage", "slot_start": "2026-11-24T10:00:00+08:00",
        "id_number": LI, "phone": PHONE_LI})
    prove_and_confirm(page, hall, ZHANG, PHONE_ZHANG)
    page.wait_for_function("document.body.dataset.step === 'slot'")
    page.wait_for_selector("#error:not([hidden])")
    assert text(page, "#error").startswith("该时段已约满，请选其他时段")
    slot = page.locator("[data-slot='2026-11-24T10:00:00+08:00']")
    assert slot.is_disabled() and "已约满" in text(page, "[data-slot='2026-11-24T10:00:00+08:00']")
    page.screenshot(path=str(pages_dir / "book-11-slot-full.png"))

    # Wang missed three bookings in three weeks: online booking is blocked for him.
    for day in ("2026-11-24", "2026-12-01", "2026-12-08"):
        hall.ok("POST", "/bookings", role="portal", json={
            "business": "transfer", "slot_start": f"{day}T09:00:00+08:00",
            "id_number": WANG, "phone": "13900001111"})
        hall.clock.advance(days=7)
    page.goto(f"{hall.url}/m/book")
    page.click("[data-business='transfer']")
    page.click("#materials-ok")
    page.click("[data-day='2026-12-15']")
    page.click("[data-slot='2026-12-15T09:00:00+08:00']")
    prove_and_confirm(page, hall, WANG, "13900002222")
    page.wait_for_selector("#error:not([hidden])")
    err = text(page, "#error")
    assert err.startswith("该身份证号 90 天内爽约 3 次") and "请现场取号" in err
    assert page.evaluate("document.body.dataset.step") == "who"  # no other time would help
    page.screenshot(path=str(pages_dir / "book-12-blocked.png"))


def test_a_rebook_refused_at_the_bookings_own_cut_off_is_said_on_the_slip(
        booking_hall: HallServer, open_page: Any, pages_dir: Path):
    """Zhang opens today's 10:30 booking before its 09:30 cut-off and goes to change it;
    the cut-off passes while he looks at the times. The refusal is his booking's, not the
    time's: the page goes back to the slip and says so there, with the one step left
    (come at 10:30), instead of a times list every choice of which is refused again."""
    hall = booking_hall
    b = hall.ok("POST", "/bookings", role="portal", json={
        "business": "transfer", "slot_start": "2026-11-23T10:30:00+08:00",
        "id_number": ZHANG, "phone": PHONE_ZHANG})
    hall.clock.advance(minutes=25)  # 09:25: five minutes to go (the SMS pass lasts 30)
    page = open_page(f"{hall.url}/m/book", *PHONE)
    page.wait_for_function("document.body.dataset.step === 'business'")
    page.click("#to-mine")
    page.fill("#mine-phone", PHONE_ZHANG)
    page.click("#mine-send")
    page.wait_for_selector("#mine-code-field:not([hidden])")
    page.fill("#mine-code", sms_code(hall))
    page.click("#mine-show")
    page.click(f"[data-code='{b['code']}']")
    page.wait_for_function("document.body.dataset.step === 'done'")
    assert page.is_visible("#rebook") and page.is_visible("#cancel")
    page.click("#rebook")
    page.wait_for_function("document.body.dataset.step === 'slot'")
    page.click("[data-day='2026-11-24']")
    page.wait_for_selector("[data-slot='2026-11-24T09:00:00+08:00']")

    hall.clock.advance(minutes=6)  # 09:31: the 10:30 booking's changes closed at 09:30
    page.click("[data-slot='2026-11-24T09:00:00+08:00']")
    page.wait_for_selector("#error:not([hidden])")
    assert page.evaluate("document.body.dataset.step") == "done"  # the slip, not the times
    assert text(page, "#error") == (
        "这个预约已过改约截止时间（开始前 60 分钟），不能再改约或取消。请按预约时间 10:30 到大厅，"
        "在自助机扫码签到 it is too late for this booking to be rebooked (changes close 60 "
        "minutes before it starts); please come to the hall at 10:30 and scan it at a kiosk")
    assert page.is_hidden("#rebook") and page.is_hidden("#cancel")  # nothing to try again
    assert text(page, "#done-hint").startswith("已过改约和取消的截止时间。请按预约时间到大厅")
    assert text(page, "#booking-code") == b["code"] and "10:30–11:00" in text(page, "#when")
    page.wait_for_function("document.getElementById('qr').naturalWidth > 0")
    page.screenshot(path=str(pages_dir / "book-13-rebook-closed.png"))
    listed = hall.ok("GET", "/bookings", role="portal", params={"id_number": ZHANG})
    assert [(x["code"], x["status"]) for x in listed] == [(b["code"], "booked")]

    # Opened again after the cut-off: the slip offers neither change, and says why.
    page.click("#again")
    page.click("#to-mine")  # the phone proved already: the list is read again, as it is now
    page.wait_for_selector("#mine-list[data-reads='2']")
    page.click(f"#mine-list [data-code='{b['code']}']")
    page.wait_for_function("document.body.dataset.step === 'done'")
    assert page.is_hidden("#rebook") and page.is_hidden("#cancel") and page.is_hidden("#error")
    assert text(page, "#done-hint").startswith("已过改约和取消的截止时间")


def asked_for_a_new_code(page: Any, step: str, phone: str, code_field: str, nxt: str,
                         send: str) -> None:
    """The phone form as at first, the number still in it, and one line saying why: not
    an error to puzzle over, nor a button that is refused again on every tap."""
    page.wait_for_selector("#error:not([hidden])")
    assert page.evaluate("document.body.dataset.step") == step
    assert page.input_value(phone) == PHONE_ZHANG
    assert page.is_hidden(code_field) and page.is_hidden(nxt)
    assert page.input_value(f"{code_field} input") == ""  # the used code is dead
    assert text(page, send) == "获取短信验证码 Text me a code"
    assert text(page, "#error") == EXPIRED
    # Said calmly, in the page's blue: nothing went wrong, so no refusal's red.
    assert page.evaluate("getComputedStyle(document.getElementById('error'))"
                         ".backgroundColor") == "rgb(230, 239, 251)"


def test_an_expired_sms_pass_asks_for_a_new_code_not_an_error(booking_hall: HallServer,
                                                              open_page: Any,
                                                              pages_dir: Path):
    """Zhang proves his phone and sees his booking, then leaves the page open past the
    pass's 30 minutes. 我的预约, the slip's cancel and booking anew each bring him back to
    the phone and SMS code, his number still typed in, with one plain line saying the
    check expired; a new code and he carries on."""
    hall = booking_hall
    b = hall.ok("POST", "/bookings", role="portal", json={
        "business": "transfer", "slot_start": "2026-11-24T09:00:00+08:00",
        "id_number": ZHANG, "phone": PHONE_ZHANG})
    page = open_page(f"{hall.url}/m/book", *PHONE)
    page.wait_for_function("document.body.dataset.step === 'business'")
    page.click("#to-mine")
    page.fill("#mine-phone", PHONE_ZHANG)

    def prove_mine() -> None:
        page.click("#mine-send")
        page.wait_for_selector("#mine-code-field:not([hidden])")
        page.fill("#mine-code", sms_code(hall))
        page.click("#mine-show")
        page.wait_for_selector(f"#mine-list [data-code='{b['code']}']")

    prove_mine()
    hall.clock.advance(minutes=31)  # he put the phone down; the pass lasts 30 minutes
    page.click("[data-for='mine'] [data-back]")
    page.click("#to-mine")  # a phone proved reads the list again: its pass is refused
    asked_for_a_new_code(page, "mine", "#mine-phone", "#mine-code-field", "#mine-show",
                         "#mine-send")
    assert text(page, "#mine-list") == ""  # the list read with the old pass is gone
    checked_screenshot(page, pages_dir / "book-14-expired-mine.png")
    prove_mine()

    # On the slip, 取消预约 after another half hour away: the booking stays as it was.
    page.click(f"#mine-list [data-code='{b['code']}']")
    page.wait_for_function("document.body.dataset.step === 'done'")
    hall.clock.advance(minutes=31)
    page.click("#cancel")
    page.click("#cancel-yes")
    asked_for_a_new_code(page, "mine", "#mine-phone", "#mine-code-field", "#mine-show",
                         "#mine-send")
    checked_screenshot(page, pages_dir / "book-15-expired-cancel.png")
    listed = hall.ok("GET", "/bookings", role="portal", params={"id_number": ZHANG})
    assert [(x["code"], x["status"]) for x in listed] == [(b["code"], "booked")]
    prove_mine()

    # Booking another business: the phone proved, ③ offers 确认预约 at once; he dawdles.
    page.click("[data-for='mine'] [data-back]")
    page.click("[data-business='mortgage']")
    page.click("#materials-ok")
    page.click("[data-day='2026-11-24']")
    page.click("[data-slot='2026-11-24T10:00:00+08:00']")
    page.wait_for_function("document.body.dataset.step === 'who'")
    assert page.is_hidden("#code-field") and page.is_visible("#confirm")
    page.fill("#id-number", ZHANG)
    page.fill("#phone", PHONE_ZHANG)
    hall.clock.advance(minutes=31)
    page.click("#confirm")
    asked_for_a_new_code(page, "who", "#phone", "#code-field", "#confirm", "#send-code")
    assert page.input_value("#id-number") == ZHANG  # nothing else to type again
    checked_screenshot(page, pages_dir / "book-16-expired-booking.png")
    page.click("#send-code")
    page.wait_for_selector("#code-field:not([hidden])")
    page.fill("#code", sms_code(hall))
    page.click("#confirm")
    page.wait_for_function("document.body.dataset.step === 'done'")
    assert text(page, "#done-title").startswith("预约成功")
