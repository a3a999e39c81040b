"""The applicant's phone page (`follow_url`), 390×844 in real headless Chromium: the
place and wait, the window when called, then a rating of the service. Screenshots in
test-artifacts/pages/follow-*.png."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Clock
from tests.pages.conftest import HallServer

pytestmark = pytest.mark.browser
PHONE = (390, 844)


VIBRATIONS = "window.vibrations = []; navigator.vibrate = (p) => { window.vibrations.push(p); return true; };"


def test_the_phone_follows_the_ticket_live_and_rates_the_service(
        hall: HallServer, open_page: Any, pages_dir: Path):
    from tests.cases.helpers import case_body

    hall.ok("POST", "/staff", role="admin", json={"number": "1001", "name": "张伟"})
    hall.ok("POST", "/windows/1/sign-in", role="window", window=1, json={"staff": "1001"})
    hall.issue("transfer")
    t = hall.issue("transfer")
    page = open_page("about:blank", *PHONE)
    page.add_init_script(VIBRATIONS)  # what the phone was asked to do, as a pocket feels it
    page.goto(f"{hall.url}{t['follow_url']}")
    page.wait_for_function("document.body.dataset.state === 'waiting'")
    page.wait_for_function("window.hallqFollow.live")
    assert page.inner_text("#number") == "A002"
    assert "前面还有 1 人" in page.inner_text("#status")
    page.screenshot(path=str(pages_dir / "follow-waiting.png"))
    # Live, without a reload: the one ahead is called, the place moves up.
    hall.ok("POST", "/windows/1/call-next", role="window", window=1)
    page.wait_for_function("document.querySelector('#ahead').textContent.includes('下一位就是您')")
    assert "实时" in page.inner_text("#updated")
    # In the hall's time, not the browser's (this one runs in UTC).
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo
    hours = {(datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(seconds=d)).strftime("%H:")
             for d in (-5, 0, 5)}
    assert any(f"· {h}" in page.inner_text("#updated") for h in hours), page.inner_text("#updated")
    hall.ok("POST", "/windows/2/call-next", role="window", window=2)
    page.wait_for_function("document.body.dataset.state === 'called'")
    assert page.inner_text("#window") == "2"
    assert "请到" in page.inner_text("#status") and "Please go to window 2" in page.inner_text("#status")
    assert page.evaluate("window.vibrations.length") == 1
    big = page.eval_on_selector("#window", "e => parseFloat(getComputedStyle(e).fontSize)")
    assert big >= 120  # readable at arm's length
    page.screenshot(path=str(pages_dir / "follow-called.png"))
    # The back office accepts the case at this ticket; the visit ends.
    hall.ok("PUT", "/cases/HY2026-000777", role="registry",
            json=case_body(ticket=t["id"], item_name="二手房买卖转移登记"))
    hall.ok("POST", f"/tickets/{t['id']}/complete", role="window", window=2)
    page.wait_for_selector(".f-level[data-rating='5']")
    assert "2 号窗口" in page.inner_text("#served")
    page.wait_for_selector("#cases:not([hidden])")
    cases = page.inner_text("#cases")
    assert "办件进度" in cases and "HY2026-000777" in cases and "二手房买卖转移登记" in cases
    assert "张" not in cases  # nobody's name on a link that may be passed on
    page.screenshot(path=str(pages_dir / "follow-rate.png"), full_page=True)
    page.click(".f-level[data-rating='4']")
    page.wait_for_selector("#thanks")
    page.screenshot(path=str(pages_dir / "follow-thanks.png"))
    [ev] = hall.ok("GET", "/evaluations", role="manager",
                   params={"from": "2026-11-23", "to": "2026-11-23"})
    assert (ev["ticket_id"], ev["rating"], ev["channel"], ev["window"]) == (t["id"], 4, "phone", 2)


def test_remind_me_signs_the_phone_up_for_an_sms(hall: HallServer, open_page: Any,
                                                 pages_dir: Path):
    for _ in range(4):
        hall.issue("transfer")
    t = hall.issue("transfer")
    page = open_page(f"{hall.url}{t['follow_url']}", *PHONE)
    page.wait_for_selector("#remind-open")
    page.screenshot(path=str(pages_dir / "follow-remind-offer.png"))
    page.click("#remind-open")
    page.fill("#phone", "1381234")
    page.click("#remind-send")
    page.wait_for_selector("#remind-error:not([hidden])")
    assert "手机号" in page.inner_text("#remind-error")  # a clear word, nothing signed up
    page.fill("#phone", "13812345678")
    page.select_option("#places", "2")
    page.screenshot(path=str(pages_dir / "follow-remind-form.png"))
    page.click("#remind-send")
    page.wait_for_selector("#reminded")
    text = page.inner_text("#reminded")
    assert "前面还剩 2 人" in text and "138****5678" in text
    page.screenshot(path=str(pages_dir / "follow-remind-done.png"))


def test_a_phone_told_to_poll_still_follows(hall: HallServer, open_page: Any):
    import dataclasses

    state = hall.app.state  # a server already full of phones
    state.settings = dataclasses.replace(state.settings, live_max_phones=0)
    hall.issue("transfer")
    t = hall.issue("transfer")
    page = open_page(f"{hall.url}{t['follow_url']}", *PHONE)
    page.wait_for_function("window.hallqFollow.pollMs >= 15000")
    assert not page.evaluate("window.hallqFollow.live")
    assert "前面还有 1 人" in page.inner_text("#status")


def test_a_made_up_link_says_so(hall: HallServer, open_page: Any, pages_dir: Path):
    page = open_page(f"{hall.url}/t/nothing.abc", *PHONE)
    page.wait_for_function("document.body.dataset.state === 'unknown'")
    assert "链接无效" in page.inner_text("#status")
    assert page.is_hidden("#number")  # no "—" that reads as a number
    size = page.eval_on_selector("#status p", "e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 30  # the words, legible at arm's length
    page.screenshot(path=str(pages_dir / "follow-unknown.png"))


def test_yesterdays_link_says_it_has_expired_and_keeps_the_case(hall: HallServer,
                                                                open_page: Any,
                                                                pages_dir: Path):
    from tests.cases.helpers import case_body

    t = hall.issue("transfer")
    hall.ok("PUT", "/cases/HY2026-000778", role="registry",
            json=case_body(ticket=t["id"], item_name="二手房买卖转移登记"))
    hall.clock.advance(days=1)
    page = open_page(f"{hall.url}{t['follow_url']}", *PHONE)
    page.wait_for_function("document.body.dataset.state === 'expired'")
    status = page.inner_text("#status")
    assert "链接已过期" in status and "has expired" in status
    assert "已取消" not in page.inner_text("body")  # the hall cancelled nobody
    assert page.is_hidden("#number") and page.is_hidden("#remind")
    page.wait_for_selector("#cases:not([hidden])")
    assert "HY2026-000778" in page.inner_text("#cases")
    page.screenshot(path=str(pages_dir / "follow-expired.png"))


ONE_WINDOW = """[hall]
code = "ONE"
name = "一窗大厅"
timezone = "Asia/Shanghai"
clear_time = "19:00"

[[zones]]
code = "all"
name = "全部"

[[businesses]]
code = "fee"
name = "缴费"
name_en = "Fees"
prefix = "F"
service_minutes = 6

[[windows]]
number = 1
zone = "all"
businesses = ["fee"]
"""


def test_the_wait_range_is_shown_and_moves_with_the_live_places(
        tmp_path: Path, clock: Clock, open_page: Any, pages_dir: Path):
    """A real estimate: one window serving, five waiting, six minutes a service (the
    layout's, and one service timed at six keeps it so). Fifth in line with four ahead:
    (4 + ½) × 6 = 27 minutes, the range 27 × (1 − 0.8/√5) … 27 × (1 + 1.5/√5) in
    five-minute steps, 15–50. One departure on, three ahead: 21, 10–40 — carried by the
    `places` frame, not a reload."""
    layout = tmp_path / "one.toml"
    layout.write_text(ONE_WINDOW, encoding="utf-8")
    hall = HallServer(tmp_path, clock, layout=layout).start()
    try:
        first = hall.issue("fee")
        hall.ok("POST", "/windows/1/call-next", role="window", window=1)
        hall.ok("POST", f"/tickets/{first['id']}/start", role="window", window=1)
        t = [hall.issue("fee") for _ in range(5)][-1]
        frames: list[dict[str, Any]] = []
        page = open_page("about:blank", *PHONE)
        page.on("websocket", lambda ws: ws.on(
            "framereceived", lambda f: frames.append(json.loads(f if isinstance(f, str) else f.decode()))))
        page.goto(f"{hall.url}{t['follow_url']}")
        page.wait_for_function("window.hallqFollow.live")
        assert "前面还有 4 人" in page.inner_text("#ahead")
        wait = " ".join(page.inner_text("#status p:nth-of-type(2)").split())
        assert wait == "预计等候约 27 分钟（15–50 分钟） About 27 min (15–50)"
        assert hall.ok("GET", f"/tickets/{t['id']}")["estimated_wait_range"] == [15, 50]
        page.screenshot(path=str(pages_dir / "follow-wait-range.png"))

        hall.clock.advance(minutes=6)  # the first service takes the layout's six minutes
        hall.ok("POST", f"/tickets/{first['id']}/complete", role="window", window=1)
        hall.ok("POST", "/windows/1/call-next", role="window", window=1)
        page.wait_for_function(
            "document.querySelector('#ahead').textContent.includes('前面还有 3 人')")
        wait = " ".join(page.inner_text("#status p:nth-of-type(2)").split())
        assert wait == "预计等候约 21 分钟（10–40 分钟） About 21 min (10–40)"
        assert page.evaluate("window.hallqFollow.live") and "实时" in page.inner_text("#updated")
        moved = [f for f in frames if f.get("type") == "places"]
        assert moved and moved[-1]["places"][t["number"]] == [3, 21, 10, 40]
        page.screenshot(path=str(pages_dir / "follow-wait-range-moved.png"))
    finally:
        hall.stop()
