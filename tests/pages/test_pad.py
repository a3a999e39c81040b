"""The evaluation pad in real headless Chromium, portrait 800×1280 and landscape 1280×800:
it wakes when its window finishes a ticket, shows who served, takes one touch, asks the
rest, thanks and sleeps; nobody's touch is ever assumed. Screenshots in
test-artifacts/pages/pad-*.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.pages.conftest import HallServer, wait_live

pytestmark = pytest.mark.browser
PORTRAIT, LANDSCAPE = (800, 1280), (1280, 800)


def _serve(hall: HallServer, window: int) -> dict[str, Any]:
    t = hall.issue("transfer" if window in (1, 2) else "tax")
    hall.ok("POST", f"/windows/{window}/call-next", role="window", window=window)
    hall.ok("POST", f"/tickets/{t['id']}/start", role="window", window=window)
    hall.clock.advance(minutes=7)
    hall.ok("POST", f"/tickets/{t['id']}/complete", role="window", window=window)
    return t


def _pad(hall: HallServer, open_page: Any, size: tuple[int, int], query: str = "") -> Any:
    token = hall.token("pad", 1)
    page = open_page(f"{hall.url}/pad/window/1?token={token}{query}", *size)
    wait_live(page)
    return page


def _screen(page: Any, name: str) -> None:
    page.wait_for_function(f"document.body.dataset.screen === {name!r}", timeout=10_000)


def _evaluations(hall: HallServer) -> list[dict[str, Any]]:
    return hall.ok("GET", "/evaluations", role="manager",
                   params={"from": "2026-11-23", "to": "2026-11-23"})


def test_portrait_a_good_rating_with_one_dimension(hall: HallServer, open_page: Any,
                                                   pages_dir: Path):
    hall.ok("POST", "/staff", role="admin", json={"number": "1001", "name": "张伟"})
    page = _pad(hall, open_page, PORTRAIT, "&ask=30&thanks=30")
    assert "暂无工作人员签到" in page.inner_text("#staff")
    hall.ok("POST", "/windows/1/sign-in", role="window", window=1, json={"staff": "1001"})
    page.wait_for_function("document.querySelector('#staff-name').textContent === '张伟'")
    assert page.inner_text("#staff-number") == "1001"
    page.screenshot(path=str(pages_dir / "pad-portrait-sleep.png"))
    t = _serve(hall, 1)
    _screen(page, "overall")
    assert page.inner_text("#ticket-number") == t["number"]
    boxes = [page.locator(f".level[data-rating='{r}']").bounding_box() for r in range(1, 6)]
    assert all(b["height"] >= 150 and b["width"] >= 600 for b in boxes), boxes
    assert page.locator(".level").all_inner_texts()[0].startswith("非常满意")
    assert page.locator(".level svg.face").count() == 5
    page.screenshot(path=str(pages_dir / "pad-portrait-overall.png"))
    page.click(".level[data-rating='4']")
    _screen(page, "more")
    page.click("[data-dimension='efficiency'] .chip[data-rating='5']")
    page.screenshot(path=str(pages_dir / "pad-portrait-dimensions.png"))
    page.click("#submit")
    _screen(page, "thanks")
    page.screenshot(path=str(pages_dir / "pad-portrait-thanks.png"))
    [ev] = _evaluations(hall)
    assert (ev["number"], ev["rating"], ev["efficiency"], ev["attitude"], ev["staff"],
            ev["channel"], ev["window"]) == (t["number"], 4, 5, None, "1001", "pad", 1)


def test_landscape_a_bad_rating_asks_why_and_opens_a_work_order(hall: HallServer,
                                                                open_page: Any,
                                                                pages_dir: Path):
    page = _pad(hall, open_page, LANDSCAPE, "&ask=30&thanks=1")
    t = _serve(hall, 1)
    _screen(page, "overall")
    boxes = [page.locator(f".level[data-rating='{r}']").bounding_box() for r in range(1, 6)]
    assert len({round(b["y"]) for b in boxes}) == 1  # side by side
    assert all(b["height"] >= 150 and b["width"] >= 150 for b in boxes)
    page.screenshot(path=str(pages_dir / "pad-landscape-overall.png"))
    page.click(".level[data-rating='1']")
    _screen(page, "more")
    assert page.locator("#reasons").is_visible() and not page.locator("#dimensions").is_visible()
    page.click("#reasons .chip[data-reason='slow']")
    page.fill("#comment", "等了一个多小时")
    page.screenshot(path=str(pages_dir / "pad-landscape-reasons.png"))
    page.click("#submit")
    _screen(page, "thanks")
    _screen(page, "sleep")  # and back to sleep after the thanks
    [ev] = _evaluations(hall)
    assert (ev["ticket_id"], ev["rating"], ev["reason"], ev["comment"]) == (
        t["id"], 1, "slow", "等了一个多小时")
    [order] = hall.ok("GET", "/followups", role="manager")
    assert order["ticket"] == t["id"] and order["status"] == "open"


def test_nobody_touching_leaves_the_visit_unrated(hall: HallServer, open_page: Any):
    page = _pad(hall, open_page, PORTRAIT, "&wake=1")
    _serve(hall, 1)
    _screen(page, "overall")
    _screen(page, "sleep")
    assert _evaluations(hall) == []


def test_the_overall_touch_is_sent_when_the_questions_time_out(hall: HallServer,
                                                               open_page: Any):
    page = _pad(hall, open_page, PORTRAIT, "&ask=1&thanks=30")
    t = _serve(hall, 1)
    _screen(page, "overall")
    page.click(".level[data-rating='5']")
    _screen(page, "thanks")
    [ev] = _evaluations(hall)
    assert (ev["ticket_id"], ev["rating"], ev["efficiency"]) == (t["id"], 5, None)


def test_a_pad_hears_only_its_own_window(hall: HallServer, open_page: Any):
    page = _pad(hall, open_page, PORTRAIT)
    _serve(hall, 2)  # another window finishes: this pad stays asleep
    t = _serve(hall, 1)
    _screen(page, "overall")
    assert page.inner_text("#ticket-number") == t["number"]
    # What reached this pad carried no applicant's data and nothing of window 2.
    seen = page.evaluate("window.hallqPad.ticket")
    assert set(seen) == {"id", "number", "status", "business_name", "business_name_en"}


def test_another_windows_pad_token_is_refused(hall: HallServer, open_page: Any):
    page = open_page(f"{hall.url}/pad/window/1?token={hall.token('pad', 2)}", *PORTRAIT)
    page.wait_for_function(
        "(document.querySelector('#login-error')?.textContent || '').includes('2 号窗口')")
    kiosk = open_page(f"{hall.url}/pad/window/1?token={hall.token('kiosk')}", *PORTRAIT)
    kiosk.wait_for_function(
        "(document.querySelector('#login-error')?.textContent || '').includes('不能打开评价器')")
