"""Staff on the pages, in real headless Chromium: the window console's staff sign-in on
top of the window token (sign-in, shift change, sign-out), and the guide console showing
who is on duty at each window and the bad-review work orders near or past their deadline.
Screenshots in test-artifacts/pages/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.pages.conftest import HallServer, wait_live

pytestmark = pytest.mark.browser


def _staff(hall: HallServer, *people: tuple[str, str]) -> None:
    for number, name in people:
        hall.ok("POST", "/staff", role="admin", json={"number": number, "name": name})


def test_the_window_console_signs_staff_in_changes_shift_and_signs_out(
        hall: HallServer, open_page: Any, pages_dir: Path):
    _staff(hall, ("1001", "张伟"), ("1002", "刘芳"))
    page = open_page(f"{hall.url}/console/window/1?token={hall.token('window', 1)}", 1366, 768)
    wait_live(page)
    page.wait_for_selector("#staff-number")
    assert "未签到" in page.inner_text("#wstaff")
    page.fill("#staff-number", "9999")
    page.keyboard.press("Enter")
    page.wait_for_function("(document.querySelector('#toasts')?.textContent || '').includes('没有工号 9999')")
    page.fill("#staff-number", "1001")
    page.click("#staff-go")
    page.wait_for_selector("#staff-who")
    assert "张伟" in page.inner_text("#staff-who") and "1001" in page.inner_text("#staff-who")
    assert hall.window(1)["staff"]["number"] == "1001"
    page.screenshot(path=str(pages_dir / "window-console-staff.png"))
    # The keys still call: the staff box does not take them once signed in.
    hall.issue("transfer")
    page.keyboard.press("n")
    page.wait_for_function("document.querySelector('#cur-number')?.textContent === 'A001'")
    history = hall.ok("GET", f"/tickets/{hall.window(1)['current']['id']}/history")
    assert history[-1]["type"] == "ticket.called" and history[-1]["staff"] == "1001"
    # A shift change: the next person types their number over.
    page.click("#staff-change")
    page.fill("#staff-number", "1002")
    page.keyboard.press("Enter")
    page.wait_for_function("(document.querySelector('#staff-who')?.textContent || '').includes('刘芳')")
    assert hall.window(1)["staff"]["number"] == "1002"
    page.click("#staff-out")
    page.wait_for_selector("#staff-number")
    assert hall.window(1)["staff"] is None


def test_the_guide_console_shows_who_is_on_duty_and_overdue_work_orders(
        hall: HallServer, open_page: Any, pages_dir: Path):
    _staff(hall, ("1001", "张伟"))
    hall.ok("POST", "/windows/1/sign-in", role="window", window=1, json={"staff": "1001"})
    t = hall.issue("transfer")
    hall.ok("POST", "/windows/1/call-next", role="window", window=1)
    hall.ok("POST", f"/tickets/{t['id']}/complete", role="window", window=1)
    hall.ok("POST", f"/tickets/{t['id']}/evaluation", role="pad", window=1, json={"rating": 1})
    hall.clock.advance(days=22)  # past the 15 working days, no reply sent
    page = open_page(f"{hall.url}/console/guide?token={hall.token('guide')}", 1920, 1080)
    wait_live(page)
    page.wait_for_selector(".followup-alert.overdue")
    alert = page.inner_text(".followup-alert")
    assert "差评整改 A001" in alert and "已超期" in alert and "2026-12-14" in alert
    tiles = {int(el.get_attribute("data-window")): el.inner_text()
             for el in page.query_selector_all(".wtile")}
    assert "张伟" in tiles[1] and "未签到" in tiles[2]
    page.click(".wtile[data-window='1']")
    page.wait_for_selector("#win-signout")
    assert "张伟" in page.inner_text("#panel-staff")
    page.screenshot(path=str(pages_dir / "guide-console-staff.png"))
    page.click("#win-signout")
    page.wait_for_function(
        "document.querySelector(\".wtile[data-window='1'] .wt-staff\").textContent === '未签到'")
    assert hall.window(1)["staff"] is None


def test_overtime_services_and_long_waits_are_flagged(hall: HallServer, open_page: Any,
                                                      pages_dir: Path):
    # Transfer's typical service is 10 minutes in the small hall: past 20 is overtime.
    t = hall.issue("transfer")
    hall.ok("POST", "/windows/1/call-next", role="window", window=1)
    hall.ok("POST", f"/tickets/{t['id']}/start", role="window", window=1)
    waiting = hall.issue("mortgage")
    guide = open_page(f"{hall.url}/console/guide?token={hall.token('guide')}", 1920, 1080)
    console = open_page(f"{hall.url}/console/window/2?token={hall.token('window', 2)}",
                        1366, 768)
    one = open_page(f"{hall.url}/console/window/1?token={hall.token('window', 1)}", 1366, 768)
    for page in (guide, console, one):
        wait_live(page)
    assert guide.locator(".overtime-alert").count() == 0
    hall.clock.advance(minutes=25)
    hall.issue("query")  # any event brings the server's time to the pages
    guide.wait_for_selector(".overtime-alert")
    assert "1 号窗口 A001" in guide.inner_text(".overtime-alert")
    assert "25 分钟" in guide.inner_text(".overtime-alert")
    assert "overtime" in guide.get_attribute(".wtile[data-window='1']", "class")
    one.wait_for_selector("#overtime")
    assert "已办理 25 分钟" in one.inner_text("#overtime")
    # Window 2 lists the mortgage ticket that has waited past its 20-minute target.
    console.wait_for_selector(f"tr.late[data-id='{waiting['id']}']")
    one.screenshot(path=str(pages_dir / "window-console-overtime.png"))
    guide.screenshot(path=str(pages_dir / "guide-console-overtime.png"))
