"""The guide console tells one wait (issue 15): the "Est." column and the advice card come
from the same figure, and the advice follows the event stream rather than a 60 s poll."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import Clock
from tests.pages.conftest import HallServer, wait_live

PORT = 18101  # this test's own port


def stalled_fee_hall(tmp_path: Path) -> Path:
    """14 open windows for fees and one closed; service 6 minutes."""
    parts = ['[hall]\ncode = "FEES"\nname = "缴费大厅"\ntimezone = "Asia/Shanghai"\nclear_time = "19:00"\n'
             "per_id_daily_limit = 100\n",
             '[[zones]]\ncode = "all"\nname = "全部"\nname_en = "All"\n',
             '[[businesses]]\ncode = "fee"\nname = "缴费"\nname_en = "Fees"\nprefix = "F"\n'
             "service_minutes = 6\nwait_target_minutes = 30\n"]
    for n in range(1, 16):
        closed = "open = false\n" if n == 15 else ""
        parts.append(f'[[windows]]\nnumber = {n}\nzone = "all"\nbusinesses = ["fee"]\n{closed}')
    path = tmp_path / "fees.toml"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def test_est_column_and_advice_card_tell_the_same_wait(tmp_path: Path, clock: Clock,
                                                      open_page: Any, pages_dir: Path) -> None:
    hall = HallServer(tmp_path, clock, stalled_fee_hall(tmp_path))
    hall.port, hall.url = PORT, f"http://127.0.0.1:{PORT}"
    hall.start()
    try:
        page = open_page(f"{hall.url}/console/guide?token={hall.token('guide')}", 1920, 1080)
        wait_live(page)
        page.wait_for_function("document.querySelector('#advice li.hint')?.textContent.includes('暂无调整建议')")
        # Two windows serve; twelve open ones sit free while eleven wait eight minutes.
        for n in (1, 2):
            hall.issue("fee")
            hall.ok("POST", f"/windows/{n}/call-next", role="window", window=n)
        for _ in range(11):
            hall.issue("fee")
        clock.advance(minutes=8)
        hall.issue("fee")  # any event: the console re-reads the advice from the stream
        card = page.locator("#advice li[data-id='w15-open']")
        card.wait_for(timeout=10_000)
        est = page.locator("#biz tbody tr[data-business='fee'] td").nth(4).inner_text()
        now_on_card = card.locator(".advice-now").inner_text()
        card_text = card.inner_text()
        queue = next(q for q in hall.ok("GET", "/queues") if q["business"] == "fee")
        page.screenshot(path=str(pages_dir / "guide-console-est-and-advice.png"))
    finally:
        hall.stop()
    assert est != "0′" and queue["estimate"]["high"] >= 10
    assert now_on_card.startswith(f"现在取号 {est}")
    assert "「缴费」下一小时平均等候" in card_text


def test_a_business_only_a_back_office_window_lists_is_refused_and_shown(
        tmp_path: Path, clock: Clock, open_page: Any, pages_dir: Path) -> None:
    # Mini hall: transfer is served by front windows 1 and 2 and back-office window 5.
    hall = HallServer(tmp_path, clock)
    hall.port, hall.url = PORT + 1, f"http://127.0.0.1:{PORT + 1}"
    hall.start()
    try:
        page = open_page(f"{hall.url}/console/guide?token={hall.token('guide')}", 1920, 1080)
        wait_live(page)
        for n in (1, 2):
            hall.ok("POST", f"/windows/{n}/close")
        alert = page.locator("#alerts .alert-item[data-business='transfer']")
        alert.wait_for(timeout=10_000)
        refused = hall.call("POST", "/tickets", role="kiosk", json={"business": "transfer"})
        # The guide tries a green-channel ticket for it: told why, in Chinese first.
        page.select_option("#green-business", "transfer")
        page.click("#green-go")
        toast = page.locator(".toast", has_text="暂停取号")
        toast.wait_for(timeout=10_000)
        page.screenshot(path=str(pages_dir / "guide-console-no-front-window.png"))
        alert_text, toast_text = alert.inner_text(), toast.inner_text()
    finally:
        hall.stop()
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "business_closed"
    assert refused.json()["error"]["message"].startswith("「转移登记」暂停取号：目前没有开放的前台窗口办理")
    assert "没有开放的前台窗口，暂停取号" in alert_text
    assert "「转移登记」暂停取号" in toast_text


def test_waiting_alert_is_shown_the_moment_it_trips(tmp_path: Path, clock: Clock,
                                                    open_page: Any, pages_dir: Path) -> None:
    # Mini hall: transfer alerts at 3 waiting; window 1 serves transfer, window 3 does not.
    hall = HallServer(tmp_path, clock)
    hall.port, hall.url = PORT + 2, f"http://127.0.0.1:{PORT + 2}"
    hall.start()
    try:
        guide = open_page(f"{hall.url}/console/guide?token={hall.token('guide')}", 1920, 1080)
        window = open_page(f"{hall.url}/console/window/1?token={hall.token('window', 1)}", 1920, 1080)
        other = open_page(f"{hall.url}/console/window/3?token={hall.token('window', 3)}", 1920, 1080)
        for page in (guide, window, other):
            wait_live(page)
        window.locator("#wbiz .chip").first.wait_for()
        for _ in range(3):
            hall.issue("transfer")
        for page in (guide, window):
            page.locator(".toast", has_text="已达告警阈值 3").wait_for(timeout=10_000)
        guide.locator("#alerts .alert-item[data-business='transfer']").wait_for(timeout=10_000)
        window.screenshot(path=str(pages_dir / "window-console-queue-alert.png"))
        tax = hall.issue("tax")  # once window 3 lists it, it has heard the alert before it
        other.wait_for_function(f"document.body.innerText.includes('{tax['number']}')",
                                timeout=10_000)
        told_other = other.locator(".toast", has_text="已达告警阈值").count()
        bar = guide.locator("#alerts").inner_text()
    finally:
        hall.stop()
    assert "等候 3 人（阈值 3）" in bar
    assert told_other == 0  # window 3 does not serve transfer


def test_advice_card_follows_the_event_stream(tmp_path: Path, clock: Clock,
                                              open_page: Any) -> None:
    # Opened on a quiet hall; tax (one window) then fills up. The card must show the
    # server's suggestion within seconds, not at the next minute's poll.
    hall = HallServer(tmp_path, clock)
    hall.port, hall.url = PORT + 3, f"http://127.0.0.1:{PORT + 3}"
    hall.start()
    try:
        page = open_page(f"{hall.url}/console/guide?token={hall.token('guide')}", 1920, 1080)
        wait_live(page)
        page.wait_for_function(
            "document.querySelector('#advice li.hint')?.textContent.includes('暂无调整建议')")
        for _ in range(12):
            hall.issue("tax")
        hall.ok("POST", "/windows/3/call-next", role="window", window=3)
        first = hall.ok("GET", "/advice")["suggestions"][0]
        row = page.locator(f"#advice li[data-id='{first['id']}']")
        row.wait_for(timeout=10_000)
        shown = row.inner_text()
    finally:
        hall.stop()
    assert first["text"] in shown
