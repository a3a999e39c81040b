"""上门服务 pages in real headless Chromium: the request form on the applicant's phone
(`/m/visit`, 390×844, the SMS code read from the outbox), the guides' scheduling page
(`/console/visits`) and the crew's day list on a tablet (`/crew/visits`, 1024×768) with
an outcome recorded. Screenshots in test-artifacts/pages/visit-*.png."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from queue_server.store.tables import home_visits, notify_outbox
from tests.cases.helpers import PHONE_LI, PHONE_ZHANG
from tests.conftest import FIXTURES, Clock
from tests.pages.conftest import HallServer, checked_screenshot
from tests.pages.test_booking_page import KEY, asked_for_a_new_code, sms_code, text

pytestmark = pytest.mark.browser
PHONE = (390, 844)
TABLET = (1024, 768)
ADDRESS = "雁峰区先锋路88号幸福小区3栋2单元501"


@pytest.fixture
def visit_hall(tmp_path: Path, clock: Clock) -> Iterator[HallServer]:
    server = HallServer(tmp_path, clock, layout=FIXTURES / "homevisit.toml").start()
    yield server
    server.stop()


def fits(page: Any) -> None:
    """Nothing sticks out sideways: an elderly applicant never scrolls left and right."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_phone_request_then_guides_schedule_and_the_crew_records(visit_hall: HallServer,
                                                                 open_page: Any,
                                                                 pages_dir: Path):
    hall = visit_hall
    page = open_page(f"{hall.url}/m/visit", *PHONE)
    page.wait_for_function("document.body.dataset.step === 'business'")
    assert text(page, "#businesses") == "转移登记 Transfer 抵押登记 Mortgage"
    fits(page)
    page.screenshot(path=str(pages_dir / "visit-1-business.png"))

    page.click("[data-business='transfer']")
    page.click("#who-ok")  # nothing filled in: told so, in words, on the same screen
    assert text(page, "#error") == "请填写申请人姓名 please give the applicant's name"
    page.fill("#name", "张三丰")
    page.click("[data-reason='elderly']")
    page.screenshot(path=str(pages_dir / "visit-2-who.png"))
    page.click("#who-ok")
    page.wait_for_function("document.body.dataset.step === 'where'")
    page.click("[data-district='雁峰区']")
    page.fill("#address", ADDRESS)
    fits(page)
    page.screenshot(path=str(pages_dir / "visit-3-where.png"))
    page.click("#where-ok")
    page.wait_for_function("document.body.dataset.step === 'days'")
    # Working days only: Monday 23rd is today, the weekend is not offered.
    assert page.locator("[data-day='2026-11-28']").count() == 0
    page.click("[data-day='2026-11-24']")
    page.click("[data-day='2026-11-26']")
    page.screenshot(path=str(pages_dir / "visit-4-days.png"))
    page.click("#days-ok")
    page.wait_for_function("document.body.dataset.step === 'phone'")
    assert "雁峰区" in text(page, "#chosen") and "11月24日、11月26日" in text(page, "#chosen")
    page.fill("#phone", PHONE_ZHANG)
    page.click("#send-code")
    page.wait_for_selector("#code-field:not([hidden])")
    page.fill("#code", "000000" if sms_code(hall) != "000000" else "111111")
    page.click("#submit")
    page.wait_for_selector("#error:not([hidden])")
    assert text(page, "#error").startswith("验证码不对")
    page.fill("#code", sms_code(hall))
    page.screenshot(path=str(pages_dir / "visit-5-phone.png"))
    page.click("#submit")
    page.wait_for_function("document.body.dataset.step === 'done'")
    code = text(page, "#visit-code")
    assert code.startswith("V") and "待安排" in text(page, "#visit-status")
    assert "3栋" not in text(page, "#visit-what")  # masked even on the applicant's own phone
    fits(page)
    page.screenshot(path=str(pages_dir / "visit-6-done.png"))
    with hall.app.state.store.engine.connect() as conn:
        row = conn.execute(select(home_visits.c.address_sealed, home_visits.c.phone_sealed)
                           .where(home_visits.c.code == code)).one()
        sms = conn.execute(select(notify_outbox.c.body).where(
            notify_outbox.c.kind == "visit_received")).scalar_one()
    assert ADDRESS not in row[0] and PHONE_ZHANG not in row[1] and code in sms

    # A second request, taken at the desk, for the crew's route order.
    desk = hall.ok("POST", "/home-visits", json={
        "business": "mortgage", "reason": "disabled", "name": "李四", "district": "珠晖区",
        "address": "珠晖区东风路5号院1栋", "phone": PHONE_LI, "preferred_days": ["2026-11-24"]})["code"]

    guide = open_page(f"{hall.url}/console/visits?token={hall.token('guide')}", 1440, 900)
    guide.wait_for_selector(f"#open tr[data-code='{code}']")
    assert not guide.evaluate("document.body.classList.contains('stale')")
    row_text = text(guide, f"#open tr[data-code='{code}']")
    assert "11月24日、11月26日" in row_text and "张*丰" in row_text and ADDRESS not in row_text
    guide.screenshot(path=str(pages_dir / "visit-7-schedule.png"))
    for c in (code, desk):
        guide.select_option(f"#open tr[data-code='{c}'] [data-field='day']", "2026-11-24")
        guide.click(f"#open tr[data-code='{c}'] [data-act='schedule']")
        guide.wait_for_selector(f"#scheduled tr[data-code='{c}']")
    assert "上门服务一组" in text(guide, f"#scheduled tr[data-code='{code}']")
    guide.screenshot(path=str(pages_dir / "visit-8-scheduled.png"))
    with hall.app.state.store.engine.connect() as conn:
        told = conn.execute(select(notify_outbox.c.body).where(
            notify_outbox.c.kind == "visit_scheduled")).scalars().all()
    assert len(told) == 2 and any("11月24日 周二 09:00–11:30" in b for b in told)

    crew = open_page(f"{hall.url}/crew/visits?token={hall.token('guide')}&team=team1"
                     "&day=2026-11-24", *TABLET)
    crew.wait_for_function("document.body.dataset.ready === '2026-11-24:team1'")
    assert not crew.evaluate("document.body.classList.contains('stale')")  # no banner
    stops = crew.locator(".v-stop")
    assert stops.count() == 2
    assert text(crew, ".v-stop >> nth=0").startswith("1 09:00–11:30 · 雁峰区")
    assert ADDRESS in text(crew, ".v-stop >> nth=0")  # the crew must find the door
    assert "珠晖区东风路5号院1栋" in text(crew, ".v-stop >> nth=1")
    fits(crew)
    crew.screenshot(path=str(pages_dir / "visit-9-crew.png"))
    done = f".v-stop[data-code='{code}'] [data-outcome='done']"
    crew.click(done)
    assert text(crew, done).startswith("再点一次确认")  # one stray touch records nothing
    crew.click(done)
    crew.wait_for_selector(f".v-stop[data-code='{code}'][data-status='done']")
    assert "共 2 户，未完成 1 户" in text(crew, "#summary")
    crew.screenshot(path=str(pages_dir / "visit-10-crew-done.png"))


def test_withdrawing_takes_a_second_tap_that_says_what_it_does(visit_hall: HallServer,
                                                               open_page: Any,
                                                               pages_dir: Path):
    """The done screen's withdraw is a quiet button that only asks; 不撤回 keeps the
    request, 确定撤回 withdraws it."""
    hall = visit_hall
    code = hall.ok("POST", "/home-visits", json={
        "business": "transfer", "reason": "elderly", "name": "张三丰", "district": "雁峰区",
        "address": ADDRESS, "phone": PHONE_ZHANG, "preferred_days": ["2026-11-24"]})["code"]

    def status() -> str:
        with hall.app.state.store.engine.connect() as conn:
            return conn.execute(select(home_visits.c.status)
                                .where(home_visits.c.code == code)).scalar_one()

    page = open_page(f"{hall.url}/m/visit", *PHONE)
    page.wait_for_function("document.body.dataset.step === 'business'")
    page.click("#to-mine")
    page.fill("#mine-phone", PHONE_ZHANG)
    page.click("#mine-send")
    page.wait_for_selector("#mine-code-field:not([hidden])")
    page.fill("#mine-code", sms_code(hall))
    page.click("#mine-show")
    page.click(f"#mine-list [data-code='{code}']")
    page.wait_for_function("document.body.dataset.step === 'done'")
    withdraw = page.locator("#cancel")
    assert withdraw.is_visible() and text(page, "#cancel") == "撤回申请 Withdraw the request"
    # Not the loudest thing on the screen: no red fill, and no taller than a plain button.
    looks = withdraw.evaluate("b => { const s = getComputedStyle(b); return "
                              "[s.backgroundColor, b.getBoundingClientRect().height]; }")
    assert looks[0] == "rgb(255, 255, 255)" and looks[1] < 72
    fits(page)
    page.screenshot(path=str(pages_dir / "visit-11-mine-done.png"))

    page.click("#cancel")  # one tap asks, and withdraws nothing
    page.wait_for_selector("#confirm-withdraw:not([hidden])")
    assert text(page, "#confirm-withdraw") == (
        "确定撤回这次上门服务申请？ Withdraw this home-visit request? "
        "撤回后工作人员不会上门，需要时请重新申请。 Staff will not come; ask again if you need "
        "a visit. 确定撤回 Yes, withdraw 不撤回 No, keep it")
    assert page.evaluate("document.activeElement.id") == "withdraw-no"  # Enter keeps it
    assert status() == "requested"
    page.screenshot(path=str(pages_dir / "visit-12-withdraw-ask.png"))

    page.click("#withdraw-no")
    page.wait_for_selector("#confirm-withdraw", state="hidden")
    assert status() == "requested" and "待安排" in text(page, "#visit-status")

    page.click("#cancel")
    page.click("#withdraw-yes")
    page.wait_for_function("document.getElementById('done-title').textContent.startsWith('申请已撤回')")
    assert status() == "cancelled"
    assert page.is_hidden("#cancel") and page.is_hidden("#confirm-withdraw")
    assert text(page, "#done-hint") == "此申请已撤回。 This request was withdrawn."
    page.screenshot(path=str(pages_dir / "visit-13-withdrawn.png"))


@pytest.fixture
def visit_and_booking_hall(tmp_path: Path, clock: Clock) -> Iterator[HallServer]:
    """The visits hall with a slip key, so its online booking runs too."""
    server = HallServer(tmp_path, clock, layout=FIXTURES / "homevisit.toml")
    server.settings = dataclasses.replace(server.settings, slip_key=KEY)
    server.start()
    yield server
    server.stop()


def test_the_manager_sees_the_home_visits_of_the_period(visit_and_booking_hall: HallServer,
                                                        open_page: Any, pages_dir: Path):
    """The manager's page counts the service beside the bookings (GET /home-visits/summary
    read with the manager's own token): requests made in the period and what the crews did
    in it, by outcome, per crew, with the backlog at the period's end."""
    hall = visit_and_booking_hall

    def desk(name: str, phone: str) -> str:
        return hall.ok("POST", "/home-visits", json={
            "business": "transfer", "reason": "elderly", "name": name, "district": "雁峰区",
            "address": ADDRESS, "phone": phone, "preferred_days": ["2026-11-24"]})["code"]

    done, away = desk("张三丰", PHONE_ZHANG), desk("李四", PHONE_LI)
    desk("王五", "13900001111")  # left for the guides
    for c in (done, away):
        hall.ok("POST", f"/home-visits/{c}/schedule", json={
            "team": "team1", "day": "2026-11-24", "time_window": "09:00-11:30"})
    hall.clock.advance(days=1)  # Tuesday: the crew goes out
    hall.issue("transfer")  # the day's first ticket starts the hall's day
    hall.ok("POST", f"/home-visits/{done}/outcome", json={"outcome": "done"})
    hall.ok("POST", f"/home-visits/{away}/outcome", json={"outcome": "nobody_home",
                                                          "note": "敲门无人应答"})
    assert hall.call("GET", "/home-visits/summary", role="manager",
                     params={"from": "2026-11-24", "to": "2026-11-24"}).status_code == 200

    m = open_page(f"{hall.url}/manager?token={hall.token('manager')}", 1920, 1080)
    m.wait_for_function("document.body.dataset.loaded === '2026-11-24..2026-11-24'")
    m.wait_for_selector("#card-visits:not([hidden])")
    figures = {k: m.inner_text(f"#hv-{k} .kpi-value") for k in
               ("requested", "scheduled", "done", "rescheduled", "refused", "nobody")}
    # Today: no request was made or scheduled today; one visit done, nobody home at one.
    assert figures == {"requested": "0", "scheduled": "0", "done": "1", "rescheduled": "0",
                       "refused": "0", "nobody": "1"}
    assert " ".join(m.inner_text("#hv-done .kpi-label").split()) == "已办结 Done"
    row = m.locator("#hv-table tr[data-team='team1'] td").all_inner_texts()
    assert row == ["上门服务一组", "0", "1", "0", "0", "1"]
    assert m.is_visible("#card-bookings")  # beside the bookings, on the same row
    bk, hv = (m.locator(s).bounding_box() for s in ("#card-bookings", "#card-visits"))
    assert abs(bk["y"] - hv["y"]) < 2 and bk["x"] + bk["width"] <= hv["x"], (bk, hv)

    m.click("[data-quick='week']")  # Monday and Tuesday: the three requests of Monday too
    m.wait_for_function("document.body.dataset.loaded === '2026-11-23..2026-11-24'")
    assert m.inner_text("#hv-requested .kpi-value") == "3"
    # Still open at the end: the one left for the guides and the one where nobody was home.
    assert (" ".join(m.inner_text("#hv-requested .kpi-note").split())
            == "期末未办结 2 open at end")
    assert m.inner_text("#visits-period") == "2026-11-23 – 2026-11-24"
    assert m.evaluate("document.documentElement.scrollWidth") <= 1920
    m.locator("#card-visits").scroll_into_view_if_needed()
    m.locator("#card-visits").screenshot(path=str(pages_dir / "visit-14-manager-card.png"))
    m.screenshot(path=str(pages_dir / "visit-15-manager.png"), full_page=True)


def test_a_hall_without_home_visits_shows_no_visit_card(hall: HallServer, open_page: Any):
    m = open_page(f"{hall.url}/manager?token={hall.token('manager')}", 1920, 1080)
    m.wait_for_function("document.body.dataset.loaded !== undefined")
    assert m.locator("#card-visits").is_hidden()


def test_an_expired_sms_pass_asks_for_a_new_code_on_the_visit_page_too(
        visit_hall: HallServer, open_page: Any, pages_dir: Path):
    """/m/visit proves the phone with the same code and pass (phone.js): 我的上门申请 read
    again, withdrawing one, and asking for another, each after the pass's 30 minutes, come
    back to the phone and SMS code with the number kept and one plain line saying why."""
    hall = visit_hall
    code = hall.ok("POST", "/home-visits", json={
        "business": "transfer", "reason": "elderly", "name": "张三丰", "district": "雁峰区",
        "address": ADDRESS, "phone": PHONE_ZHANG, "preferred_days": ["2026-11-24"]})["code"]
    page = open_page(f"{hall.url}/m/visit", *PHONE)
    page.wait_for_function("document.body.dataset.step === 'business'")
    page.click("#to-mine")
    page.fill("#mine-phone", PHONE_ZHANG)

    def prove_mine() -> None:
        page.click("#mine-send")
        page.wait_for_selector("#mine-code-field:not([hidden])")
        page.fill("#mine-code", sms_code(hall))
        page.click("#mine-show")
        page.wait_for_selector(f"#mine-list [data-code='{code}']")

    prove_mine()
    hall.clock.advance(minutes=31)
    page.click("#mine-show")  # 查看 again, to see whether a crew is booked yet
    asked_for_a_new_code(page, "mine", "#mine-phone", "#mine-code-field", "#mine-show",
                         "#mine-send")
    assert text(page, "#mine-list") == ""
    fits(page)
    checked_screenshot(page, pages_dir / "visit-13-expired-mine.png")
    prove_mine()

    page.click(f"#mine-list [data-code='{code}']")
    page.wait_for_function("document.body.dataset.step === 'done'")
    hall.clock.advance(minutes=31)
    page.click("#cancel")
    page.click("#withdraw-yes")
    asked_for_a_new_code(page, "mine", "#mine-phone", "#mine-code-field", "#mine-show",
                         "#mine-send")
    checked_screenshot(page, pages_dir / "visit-14-expired-withdraw.png")
    with hall.app.state.store.engine.connect() as conn:
        assert conn.execute(select(home_visits.c.status).where(
            home_visits.c.code == code)).scalar_one() == "requested"  # not withdrawn
    prove_mine()

    # A second request, the phone proved: ⑤ offers 提交 at once; the pass runs out first.
    page.click("[data-for='mine'] [data-back]")
    page.click("[data-business='mortgage']")
    page.fill("#name", "张三丰")
    page.click("[data-reason='elderly']")
    page.click("#who-ok")
    page.click("[data-district='雁峰区']")
    page.fill("#address", ADDRESS)
    page.click("#where-ok")
    page.click("[data-day='2026-11-26']")
    page.click("#days-ok")
    page.wait_for_function("document.body.dataset.step === 'phone'")
    assert page.is_hidden("#code-field") and page.is_visible("#submit")
    page.fill("#phone", PHONE_ZHANG)
    hall.clock.advance(minutes=31)
    page.click("#submit")
    asked_for_a_new_code(page, "phone", "#phone", "#code-field", "#submit", "#send-code")
    fits(page)
    checked_screenshot(page, pages_dir / "visit-15-expired-request.png")
    page.click("#send-code")
    page.wait_for_selector("#code-field:not([hidden])")
    page.fill("#code", sms_code(hall))
    page.click("#submit")
    page.wait_for_function("document.body.dataset.step === 'done'")
    assert text(page, "#done-title").startswith("申请已提交")
