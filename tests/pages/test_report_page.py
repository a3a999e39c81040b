"""The printable monthly report (/manager/report) in real headless Chromium, laid out for
print: its figures are GET /reports' for the month. Screenshot in
test-artifacts/pages/manager-report.png (print media)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.pages.conftest import HallServer

pytestmark = pytest.mark.browser


def test_the_monthly_report_prints_the_months_figures(hall: HallServer, open_page: Any,
                                                      pages_dir: Path):
    hall.ok("POST", "/staff", role="admin", json={"number": "1001", "name": "张伟"})
    hall.ok("POST", "/windows/1/sign-in", role="window", window=1, json={"staff": "1001"})
    for rating in (5, 2):
        t = hall.issue("transfer")
        hall.ok("POST", "/windows/1/call-next", role="window", window=1)
        hall.clock.advance(minutes=6)
        hall.ok("POST", f"/tickets/{t['id']}/complete", role="window", window=1)
        hall.ok("POST", f"/tickets/{t['id']}/evaluation", role="pad", window=1,
                json={"rating": rating})
    hall.issue("mortgage")
    page = open_page(f"{hall.url}/manager/report?month=2026-11&token={hall.token('manager')}",
                     1000, 1400)
    page.wait_for_function("document.body.dataset.ready === '2026-11'")
    api = hall.ok("GET", "/reports", role="manager",
                  params={"from": "2026-11-01", "to": "2026-11-30", "by": "business"})
    overview = page.inner_text("#overview")
    assert f"取号 arrived\n{api['totals']['arrived']}" in overview
    assert f"办结 served\n{api['totals']['served']}" in overview
    assert "差评 bad reviews\n1" in overview
    # Refusals with and without the desk's pre-check, as the API counts them (issue 18):
    # two called visits, none refused, none pre-checked (no rate for them: "—").
    t = api["totals"]
    assert (t["refused"], t["refusal_rate"], t["refusal_rate_prechecked"]) == (0, 0.0, None)
    assert "不予受理 refused\n0" in overview and "不予受理率 refusal rate\n0%" in overview
    assert "预审后不予受理率 refused, pre-checked\n—" in overview
    assert "未预审不予受理率 refused, not pre-checked\n0%" in overview
    assert "张伟（1001）" in page.inner_text("#body")
    assert "本月差评整改单 1 件，已回复 0 件" in page.inner_text("#orders")
    assert "尚未抽取" in page.inner_text("#calls")
    assert "2026 年 11 月服务情况月报" in page.inner_text("#title")
    page.emulate_media(media="print")
    assert not page.locator(".r-tools").is_visible()  # the buttons stay off the paper
    page.screenshot(path=str(pages_dir / "manager-report.png"), full_page=True)
    guide = open_page(f"{hall.url}/manager/report?token={hall.token('guide')}", 1000, 800)
    guide.wait_for_function(
        "(document.querySelector('#login-error')?.textContent || '').includes('仅限管理人员')")
