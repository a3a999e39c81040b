"""The applicant's phone page (`follow_url`), 390×844 in real headless Chromium: the
place and wait, the window when called, then a rating of the service. Screenshots in
test-artifacts/pages/follow-*.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.pages.conftest import HallServer

pytestmark = pytest.mark.browser
PHONE = (390, 844)


def test_the_phone_follows_the_ticket_and_rates_the_service(hall: HallServer, open_page: Any,
                                                            pages_dir: Path):
    hall.ok("POST", "/staff", role="admin", json={"number": "1001", "name": "张伟"})
    hall.ok("POST", "/windows/1/sign-in", role="window", window=1, json={"staff": "1001"})
    hall.issue("transfer")
    t = hall.issue("transfer")
    page = open_page(f"{hall.url}{t['follow_url']}", *PHONE)
    page.wait_for_function("document.body.dataset.state === 'waiting'")
    assert page.inner_text("#number") == "A002"
    assert "前面还有 1 人" in page.inner_text("#status")
    page.screenshot(path=str(pages_dir / "follow-waiting.png"))
    hall.ok("POST", "/windows/1/call-next", role="window", window=1)
    hall.ok("POST", "/windows/2/call-next", role="window", window=2)
    page.reload()
    page.wait_for_function("document.body.dataset.state === 'called'")
    assert "请到 2 号窗口办理" in page.inner_text("#status")
    page.screenshot(path=str(pages_dir / "follow-called.png"))
    hall.ok("POST", f"/tickets/{t['id']}/complete", role="window", window=2)
    page.reload()
    page.wait_for_selector(".f-level[data-rating='5']")
    assert "2 号窗口" in page.inner_text("#served")
    page.screenshot(path=str(pages_dir / "follow-rate.png"))
    page.click(".f-level[data-rating='4']")
    page.wait_for_selector("#thanks")
    page.screenshot(path=str(pages_dir / "follow-thanks.png"))
    [ev] = hall.ok("GET", "/evaluations", role="manager",
                   params={"from": "2026-11-23", "to": "2026-11-23"})
    assert (ev["ticket_id"], ev["rating"], ev["channel"], ev["window"]) == (t["id"], 4, "phone", 2)


def test_a_made_up_link_says_so(hall: HallServer, open_page: Any):
    page = open_page(f"{hall.url}/t/nothing.abc", *PHONE)
    page.wait_for_function("document.body.dataset.state === 'unknown'")
    assert "链接无效" in page.inner_text("#status")
