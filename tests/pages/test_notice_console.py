"""不予受理 at the window console in real Chromium: the ticket's item and its materials,
ticks, the notice's number, the slip on the window's printer and the A4 page; 已预审 on a
pre-checked ticket; the guide's pre-check form; finding a notice by its number."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, Clock
from tests.devices.printer.escpos_text import read_job
from tests.pages.conftest import HallServer, wait_live

pytestmark = pytest.mark.browser


@pytest.fixture
def notice_hall(tmp_path: Path, clock: Clock) -> Iterator[HallServer]:
    printers = tmp_path / "printers.toml"
    printers.write_text(f'[window.1]\ndriver = "file"\npath = "{tmp_path / "lp1"}"\n',
                        encoding="utf-8")
    server = HallServer(tmp_path, clock)
    server.settings = replace(server.settings, catalogue_path=FIXTURES / "notice_catalogue.toml",
                              printers_path=printers)
    server.start()
    server.ok("POST", "/staff", role="admin", json={"number": "1024", "name": "李娜"})
    yield server
    server.stop()


def test_refusing_at_the_window_ticks_materials_and_prints_the_notice(
        notice_hall: HallServer, open_page: Any, pages_dir: Path, tmp_path: Path) -> None:
    hall = notice_hall
    hall.ok("POST", "/windows/1/sign-in", role="window", window=1, json={"staff": "1024"})
    t = hall.ok("POST", "/tickets", json={"business": "transfer", "precheck": {"item": "second_hand"}})
    page = open_page(f"{hall.url}/console/window/1?token={hall.token('window', 1)}", 1366, 900)
    wait_live(page)
    page.click("#act-call")
    page.wait_for_function(f"(document.querySelector('#cur-number')?.textContent || '') === {t['number']!r}")
    # The desk's pre-check shows on the ticket.
    assert "已预审" in page.locator("#cur-prechecked").inner_text()
    assert "二手房转移登记" in page.locator(".cur-facts").inner_text()

    page.keyboard.press("u")  # 不予受理
    page.wait_for_selector("#refuse:not([hidden])")
    # The pre-checked item is chosen; its materials are listed with where to get them.
    assert page.locator("#refuse-item").input_value() == "second_hand"
    labels = page.locator("#refuse-materials label")
    assert labels.count() == 4
    assert "获取途径 Where: 大厅税务窗口（7号窗口）开具" in labels.nth(3).inner_text()
    # Nothing ticked: said, nothing sent.
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/refuse") else None)
    page.click("#refuse-go")
    page.wait_for_selector(".toast.error")
    assert "至少一项" in page.locator(".toast.error").last.inner_text() and not sent
    labels.nth(0).locator("input").check()
    labels.nth(3).locator("input").check()
    page.fill("#refuse-note", "申请书未签字")
    page.screenshot(path=str(pages_dir / "window-console-refuse.png"), full_page=True)
    # The red "tick at least one" is still up (it lasts 6 s) when the refusal goes through.
    assert page.locator(".toast.error", has_text="至少一项").count() == 1
    page.click("#refuse-go")
    page.wait_for_selector("#notice-done:not([hidden])")
    # Done: the form's old error goes with it, not left to read as if the notice failed.
    assert page.locator(".toast.error").count() == 0
    no = page.locator("#notice-no-done").inner_text().strip()
    assert no.startswith("MINI-") and no.endswith("-0001")
    page.wait_for_selector(".cur-empty")  # the window is free for the next applicant
    stored = hall.ok("GET", f"/tickets/{t['id']}")
    assert (stored["status"], stored["outcome"]) == ("done", "refused")
    notice = hall.ok("GET", f"/notices/{no}")
    assert [m["index"] for m in notice["missing"]] == [1, 4] and notice["note"] == "申请书未签字"
    assert notice["staff"] == "1024"
    page.screenshot(path=str(pages_dir / "window-console-notice-issued.png"), full_page=True)

    # The slip on window 1's printer.
    page.click("#notice-print")
    page.wait_for_selector(".toast.ok")
    job = read_job((tmp_path / "lp1").read_bytes())
    assert f"编号：{no}" in job.text and "经办人工号：1024" in job.text

    # The A4 page opens in a new tab.
    with page.context.expect_page() as popup:
        page.click("#notice-a4")
    a4 = popup.value
    a4.wait_for_function("document.body.dataset.ready === '1'")
    assert a4.locator("#no").inner_text() == no
    rows = a4.locator("#materials tbody tr")
    assert rows.count() == 2
    assert "大厅税务窗口（7号窗口）开具" in rows.nth(1).inner_text()
    assert "1024" in a4.locator("#staff").inner_text()
    assert "测试大厅" in a4.locator("#hall").inner_text()
    a4.screenshot(path=str(pages_dir / "notice-a4.png"), full_page=True)
    a4.emulate_media(media="print")
    assert a4.locator(".n-tools").is_hidden() and a4.locator("#visits").is_hidden()
    a4.screenshot(path=str(pages_dir / "notice-a4-print.png"), full_page=True)
    # The console asked that tab to print (?print=1); a second tab renders the PDF a
    # printer would get: one A4 sheet.
    sheet = open_page(f"{hall.url}/notices/{no}?token={hall.token('window', 1)}", 1000, 1200)
    sheet.wait_for_function("document.body.dataset.ready === '1'")
    pdf = sheet.pdf(format="A4", print_background=True)
    (pages_dir / "notice-a4.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1


def test_an_item_without_where_leaves_the_column_out_and_a_notice_is_found_by_number(
        notice_hall: HallServer, open_page: Any, pages_dir: Path) -> None:
    hall = notice_hall
    t = hall.ok("POST", "/tickets", json={"business": "transfer"})
    hall.ok("POST", "/windows/1/call-next", role="window", window=1)
    no = hall.ok("POST", f"/tickets/{t['id']}/refuse", role="window", window=1,
                 json={"item": "gift", "missing": [2]})["notice"]["no"]
    page = open_page(f"{hall.url}/notices/{no}?token={hall.token('guide')}", 1000, 1200)
    page.wait_for_function("document.body.dataset.ready === '1'")
    assert page.locator("#materials thead th").count() == 2  # no "where" column
    assert "受赠人身份证原件及复印件1份" in page.locator("#materials").inner_text()
    assert page.locator("#staff").inner_text() == "未签到"
    page.screenshot(path=str(pages_dir / "notice-a4-no-where.png"), full_page=True)
    # A kiosk's token is turned away in words.
    kiosk = open_page(f"{hall.url}/notices/{no}?token={hall.token('kiosk')}", 1000, 800)
    kiosk.wait_for_selector("#login-error")
    assert "告知单只供" in kiosk.locator("#login-error").inner_text()

    # At the window console, the next visit: the clerk types the number and opens it.
    console = open_page(f"{hall.url}/console/window/2?token={hall.token('window', 2)}", 1366, 900)
    wait_live(console)
    console.fill("#notice-no", "mini-20000101-0009")
    console.click("#notice-find-go")
    console.wait_for_selector(".toast.error")
    assert "没有编号" in console.locator(".toast.error").last.inner_text()
    console.fill("#notice-no", no)
    with console.context.expect_page() as popup:
        console.click("#notice-find-go")
    popup.value.wait_for_function("document.body.dataset.ready === '1'")
    assert popup.value.locator("#no").inner_text() == no


def test_the_guide_issues_after_the_pre_check(notice_hall: HallServer, open_page: Any,
                                              pages_dir: Path) -> None:
    hall = notice_hall
    page = open_page(f"{hall.url}/console/guide?token={hall.token('guide')}", 1920, 1080)
    wait_live(page)
    assert page.locator("#precheck-list").is_hidden()
    page.select_option("#precheck-item", "second_hand")
    # The item's list, to check the papers against, with where to get each.
    rows = page.locator("#precheck-list li")
    assert rows.count() == 4
    assert "不动产登记申请书" in rows.nth(0).inner_text()
    assert "获取途径 Where: 大厅税务窗口（7号窗口）开具" in rows.nth(3).inner_text()
    page.select_option("#precheck-item", "gift")
    assert page.locator("#precheck-list li").count() == 2
    assert "获取途径" not in page.locator("#precheck-list").inner_text()
    page.select_option("#precheck-item", "second_hand")
    page.check("#precheck-done")
    page.click("#precheck-go")
    page.wait_for_selector("#precheck-number")
    number = page.locator("#precheck-number").inner_text()
    [t] = [x for x in hall.ok("GET", "/tickets") if x["number"] == number]
    assert t["prechecked"] and t["precheck_item"] == "second_hand"
    page.locator("#precheck-form").screenshot(path=str(pages_dir / "guide-console-precheck.png"))


def test_the_guide_links_a_returning_applicant_to_the_notice(
        notice_hall: HallServer, open_page: Any, pages_dir: Path) -> None:
    """No ID card was read at the refusal: the notice's number, typed at the desk, is what
    makes the new ticket its next visit."""
    hall = notice_hall
    t = hall.ok("POST", "/tickets", json={"business": "transfer"})
    hall.ok("POST", "/windows/1/call-next", role="window", window=1)
    no = hall.ok("POST", f"/tickets/{t['id']}/refuse", role="window", window=1,
                 json={"item": "second_hand", "missing": [3]})["notice"]["no"]
    page = open_page(f"{hall.url}/console/guide?token={hall.token('guide')}", 1920, 1080)
    wait_live(page)
    issued_before = len(hall.ok("GET", "/tickets"))
    page.select_option("#precheck-item", "second_hand")
    page.check("#precheck-done")
    # A number this hall never gave: said in words, no ticket.
    page.fill("#precheck-notice", "MINI-20000101-0009")
    page.click("#precheck-go")
    page.wait_for_selector(".toast.error")
    assert "本大厅没有编号为 MINI-20000101-0009" in page.locator(".toast.error").last.inner_text()
    assert len(hall.ok("GET", "/tickets")) == issued_before
    assert page.locator("#precheck-number").count() == 0
    # The right one, typed as read off the slip.
    page.fill("#precheck-notice", no.lower())
    page.locator("#precheck-form").screenshot(path=str(pages_dir / "guide-precheck-notice.png"))
    page.click("#precheck-go")
    page.wait_for_selector("#precheck-number")
    number = page.locator("#precheck-number").inner_text()
    assert no in page.locator("#precheck-follows").inner_text()
    assert page.locator("#precheck-notice").input_value() == ""  # the next applicant's own
    [ticket] = [x for x in hall.ok("GET", "/tickets") if x["number"] == number]
    assert ticket["follows_notice"] == no and ticket["precheck_item"] == "second_hand"
    assert [(v["number"], v["by"]) for v in hall.ok("GET", f"/notices/{no}")["later_visits"]] \
        == [(number, "notice")]
    page.locator("#precheck-form").screenshot(path=str(pages_dir / "guide-precheck-notice-issued.png"))
    # Without a number the form issues as before: nothing linked.
    page.select_option("#precheck-item", "gift")
    page.check("#precheck-done")
    page.click("#precheck-go")
    page.wait_for_function(f"document.querySelector('#precheck-number').textContent !== {number!r}")
    assert page.locator("#precheck-follows").count() == 0
    # The notice's page lists the linked visit for the clerk.
    sheet = open_page(f"{hall.url}/notices/{no}?token={hall.token('guide')}", 1000, 1200)
    sheet.wait_for_function("document.body.dataset.ready === '1'")
    assert "凭本单取号" in sheet.locator("#visits-list").inner_text()
    assert number in sheet.locator("#visits-list").inner_text()
