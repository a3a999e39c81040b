"""The guide console's kiosk panel: every self-service kiosk's latest health report, the
broken and the silent ones first, polled from `GET /kiosks`. Kiosks report through the real
HTTP API with their own tokens; the server decides what is failed and what is stale."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from queue_server.api.boards import STALE_SECONDS
from tests.pages.conftest import HallServer, wait_live

pytestmark = pytest.mark.browser

POLL_MS = 15_000  # the console's polling interval
OUT_OF_PAPER = "打印机缺纸，请联系工作人员更换纸卷 / printer is out of paper"
PAPER_LOW = "打印纸即将用完，请及时更换 / paper is running low"
READER_TIMEOUT = "读卡器无应答 / ID card reader timed out"


def report(printer: str = "ok", reason: str = "", idcard: str = "ok", idcard_reason: str = "",
           faults: tuple[str, ...] = ()) -> dict[str, Any]:
    """A report as kiosk/health.py sends it."""
    return {"devices": [{"device": "idcard", "state": idcard, "reason": idcard_reason},
                        {"device": "printer", "state": printer, "reason": reason},
                        {"device": "scanner", "state": "ok", "reason": ""}],
            "faults": list(faults), "screen": "home", "version": "0.1.0",
            "counters": {"issued": 42, "health_reports": 9}}


HEALTHY = report()
PAPER_OUT = report("failed", OUT_OF_PAPER, faults=("printer",))


def kiosk_order(page: Any) -> list[tuple[str, str]]:
    rows = page.evaluate("[...document.querySelectorAll('#kiosks .kiosk')]"
                         ".map(li => [li.dataset.kiosk, li.dataset.state])")
    return [(name, state) for name, state in rows]


def wait_kiosks(page: Any, n: int) -> None:
    page.wait_for_function(f"document.querySelectorAll('#kiosks .kiosk').length === {n}")


def colour(page: Any, selector: str) -> tuple[int, ...]:
    rgb = page.eval_on_selector(selector, "e => getComputedStyle(e).backgroundColor")
    return tuple(int(x) for x in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3])


def test_guide_sees_every_kiosk_broken_and_silent_first(hall: HallServer, open_page: Any,
                                                        pages_dir: Path) -> None:
    hall.kiosk_report("K-03", HEALTHY)  # then silent: the server will call it stale
    hall.clock.advance(seconds=STALE_SECONDS + 60)
    hall.kiosk_report("K-01", HEALTHY)
    hall.kiosk_report("K-02", PAPER_OUT)
    hall.kiosk_report("K-04", report("degraded", PAPER_LOW))
    assert {k["name"]: k["state"] for k in hall.ok("GET", "/kiosks")} == {
        "K-01": "ok", "K-02": "failed", "K-03": "stale", "K-04": "degraded"}

    page = open_page(f"{hall.url}/console/guide?token={hall.token('guide')}", 1920, 1080)
    wait_live(page)
    wait_kiosks(page, 4)
    # Broken first, then silent, then needing attention soon, then the healthy ones.
    assert kiosk_order(page) == [("K-02", "failed"), ("K-03", "stale"), ("K-04", "degraded"),
                                 ("K-01", "ok")]
    # A row for each kiosk that needs someone, its state in words; the healthy ones share
    # one quiet line under one "OK".
    pill = {name: f"#kiosks li[data-kiosk='{name}'] .kpill" for name in ("K-02", "K-03", "K-04")}
    pill["K-01"] = "#kiosks .kiosk-ok .kpill"
    assert page.locator("#kiosks .kiosk-ok [data-kiosk='K-01']").is_visible()
    pills = {name: page.inner_text(selector) for name, selector in pill.items()}
    assert pills == {"K-01": "正常 OK", "K-02": "故障 Failed", "K-03": "失联 Not reporting",
                     "K-04": "部分故障 Degraded"}
    # Each state its own colour; failed is red.
    colours = {name: colour(page, selector) for name, selector in pill.items()}
    assert len(set(colours.values())) == 4
    r, g, b = colours["K-02"]
    assert r > 150 and g < 80 and b < 80

    # The reason the kiosk sent, word for word, beside the device it is about.
    printer = page.locator("#kiosks [data-kiosk='K-02'] .k-dev[data-device='printer']")
    assert printer.locator(".k-reason").text_content() == OUT_OF_PAPER
    assert "打印机" in printer.locator(".k-dev-name").inner_text()
    assert page.locator("#kiosks [data-kiosk='K-02'] .k-dev").count() == 1  # the healthy devices stay quiet
    assert page.locator("#kiosks [data-kiosk='K-04'] .k-reason").text_content() == PAPER_LOW
    assert page.locator("#kiosks [data-kiosk='K-01'] .k-dev").count() == 0
    stale = page.inner_text("#kiosks [data-kiosk='K-03']")
    assert "已 3 分钟未上报" in stale and "silent 3 min" in stale
    assert "更新于" in page.inner_text("#kiosk-updated")
    assert "alarm" in (page.get_attribute("#kiosk-card", "class") or "")

    # The failed and the silent kiosk are raised in the console's alert bar too, first.
    alerts = page.locator("#alerts")
    assert alerts.is_visible()
    assert page.evaluate("[...document.querySelectorAll('#alerts .alert-item')].map(a => a.dataset.kiosk || '')"
                         ) == ["K-02", "K-03"]
    assert "自助机 K-02：故障（打印机）" in alerts.inner_text()
    assert "自助机 K-03：失联" in alerts.inner_text()
    page.screenshot(path=str(pages_dir / "guide-console-kiosks.png"))


def test_the_panel_polls_and_keeps_what_it_shows_when_a_poll_fails(hall: HallServer,
                                                                     open_page: Any,
                                                                     pages_dir: Path) -> None:
    page = open_page("about:blank", 1366, 768)
    page.clock.install()  # the page's timers on a clock the test moves: no 15 s waits
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if r.url.endswith("/api/v1/kiosks") else None)
    page.goto(f"{hall.url}/console/guide?token={hall.token('guide')}")
    wait_live(page)
    page.wait_for_selector("#kiosks .k-empty")
    assert page.inner_text("#kiosks .k-empty") == "尚无自助机上报 No kiosk has reported yet"
    assert page.locator("#alerts").is_hidden()
    assert len(polls) == 1  # at sign-in
    page.evaluate("window.notReloaded = true")

    hall.kiosk_report("K-07", PAPER_OUT)
    page.clock.fast_forward(POLL_MS)
    page.wait_for_selector("#kiosks [data-kiosk='K-07'][data-state='failed']")
    assert len(polls) == 2
    assert page.locator("#kiosks .k-empty").count() == 0
    assert "自助机 K-07" in page.inner_text("#alerts")
    shown = page.inner_text("#kiosks")

    # The server cannot be reached for one poll: what is shown stays, marked as old.
    page.route("**/api/v1/kiosks", lambda route: route.abort())
    hall.kiosk_report("K-08", HEALTHY)
    page.clock.fast_forward(POLL_MS)
    page.wait_for_selector("#kiosk-updated.warn")
    assert len(polls) == 3
    assert page.inner_text("#kiosks") == shown
    assert "刷新失败" in page.inner_text("#kiosk-updated")
    assert "Refresh failed" in page.inner_text("#kiosk-updated")
    page.screenshot(path=str(pages_dir / "guide-console-kiosks-poll-failed.png"))
    assert "自助机 K-07" in page.inner_text("#alerts")

    # A server error is no different.
    page.unroute("**/api/v1/kiosks")
    page.route("**/api/v1/kiosks", lambda route: route.fulfill(
        status=503, json={"error": {"code": "storage_unavailable", "message": "暂时不可用 / unavailable"}}))
    page.clock.fast_forward(POLL_MS)
    page.wait_for_function("document.querySelector('#kiosk-updated').title.includes('unavailable')")
    assert page.inner_text("#kiosks") == shown

    # Back, and K-07 has paper again: the next poll brings both, clears the warning and
    # the alert.
    page.unroute("**/api/v1/kiosks")
    hall.kiosk_report("K-07", HEALTHY)
    page.clock.fast_forward(POLL_MS)
    page.wait_for_selector("#kiosks [data-kiosk='K-08'][data-state='ok']")
    assert page.locator("#kiosk-updated.warn").count() == 0
    assert kiosk_order(page) == [("K-07", "ok"), ("K-08", "ok")]
    assert page.locator("#alerts").is_hidden()
    assert "alarm" not in (page.get_attribute("#kiosk-card", "class") or "")

    # A read that hangs: at the next poll the panel says the server did not answer, and
    # only the newest read's answer counts.
    held: list[Any] = []
    page.route("**/api/v1/kiosks", lambda route: held.append(route))
    # Count the kiosk reads that have settled (the page's own code runs right after):
    # the proof that a late answer was ignored waits for that answer, not for a while.
    page.evaluate("""() => {
      window.kioskReadsSettled = 0;
      const real = window.fetch;
      window.fetch = (url, opts) => {
        const p = real(url, opts);
        if (String(url).endsWith('/kiosks')) p.finally(() => { window.kioskReadsSettled += 1; }).catch(() => null);
        return p;
      };
    }""")
    hall.kiosk_report("K-07", PAPER_OUT)
    page.clock.fast_forward(POLL_MS)
    page.clock.fast_forward(POLL_MS)
    page.wait_for_function("document.querySelector('#kiosk-updated').title.includes('did not answer')")
    deadline = time.monotonic() + 10
    while len(held) < 2 and time.monotonic() < deadline:
        page.wait_for_function("true")  # lets Playwright hand over the held routes
    assert len(held) == 2 and kiosk_order(page) == [("K-07", "ok"), ("K-08", "ok")]
    held[1].continue_()
    page.wait_for_selector("#kiosks [data-kiosk='K-07'][data-state='failed']")
    page.wait_for_function("window.kioskReadsSettled === 1")
    assert page.locator("#kiosk-updated.warn").count() == 0
    held[0].abort()  # the older read fails late: ignored
    page.wait_for_function("window.kioskReadsSettled === 2")  # its failure has been handled
    assert page.locator("#kiosk-updated.warn").count() == 0
    assert page.locator("#kiosks [data-kiosk='K-07'][data-state='failed']").count() == 1
    assert page.evaluate("window.notReloaded === true")


def test_kiosks_beside_a_busy_hall(hengyang: HallServer, open_page: Any, pages_dir: Path) -> None:
    # The 96-window hall on a desk monitor: a broken kiosk shows without scrolling, beside
    # the hall's queue alerts. Only this test touches the shared hall's kiosks.
    hengyang.kiosk_report("entrance-3", HEALTHY)
    hengyang.clock.advance(seconds=STALE_SECONDS + 300)
    for name in ("entrance-1", "entrance-2", "hall-north", "hall-south"):
        hengyang.kiosk_report(name, HEALTHY)
    hengyang.kiosk_report("entrance-4", PAPER_OUT)
    hengyang.kiosk_report("hall-east", report("degraded", PAPER_LOW, "failed", READER_TIMEOUT,
                                              faults=("idcard",)))
    page = open_page(f"{hengyang.url}/console/guide?token={hengyang.token('guide')}", 1920, 1080)
    wait_live(page)
    wait_kiosks(page, 7)
    assert [name for name, _ in kiosk_order(page)][:3] == ["entrance-4", "hall-east", "entrance-3"]
    east = page.locator("#kiosks [data-kiosk='hall-east'] .k-dev")
    assert [d.get_attribute("data-device") for d in east.all()] == ["idcard", "printer"]
    for name in ("entrance-4", "hall-east", "entrance-3"):
        box = page.locator(f"#kiosks [data-kiosk='{name}']").bounding_box()
        assert box and box["y"] + box["height"] <= 1080, f"{name} is below the fold"
    # Nothing in the panel is cut off: every row fits the card's width.
    assert page.evaluate("[...document.querySelectorAll('#kiosks > li')]"
                         ".every(li => li.scrollWidth <= li.clientWidth)")
    page.screenshot(path=str(pages_dir / "guide-console-kiosks-busy-hall.png"))
