"""The window display and the hall screen in a real browser: calls appear live, the voice
queue says simultaneous calls one after another, and a server restart never leaves a
screen stale."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from devices.voice.phrases import number_to_chinese, read_ticket_digits
from tests.pages.conftest import HallServer, checked_screenshot, wait_live

pytestmark = pytest.mark.browser


def test_a_call_appears_on_the_window_display_and_the_hall_screen(
        hengyang: HallServer, open_page: Any, pages_dir: Path) -> None:
    # Uses windows 47 (calls), 9 (paused) and 64 (closed) of the shared busy hall.
    display = hengyang.token("display")
    window = open_page(f"{hengyang.url}/display/window/47?token={display}")
    hall_hd = open_page(f"{hengyang.url}/display/hall?token={display}")
    hall_4k = open_page(f"{hengyang.url}/display/hall?token={display}", 3840, 2160)
    for page in (window, hall_hd, hall_4k):
        wait_live(page)
    assert "等待叫号" in window.inner_text("#sentence")

    called = hengyang.ok("POST", "/windows/47/call-next", role="window", window=47)["ticket"]
    number = called["number"]
    sentence = f"请 {number} 号到 47 号窗口办理"
    window.wait_for_function(f"document.querySelector('#sentence').textContent === {sentence!r}")
    assert window.inner_text("#number") == number
    for page in (hall_hd, hall_4k):
        page.wait_for_function(f"document.querySelector('#now-number').textContent === {number!r}")
        assert "47" in page.inner_text("#now-where")
        newest = page.locator("#recent li.newest")
        assert newest.count() == 1 and number in newest.inner_text()
        assert page.inner_text("[data-window='47'] .tile-number") == number
        # The paused and the closed window say so on their tiles.
        assert "暂停" in page.inner_text("[data-window='9']")
        assert "关闭" in page.inner_text("[data-window='64']")
        # Waiting per business, with the prefix people look for.
        assert page.locator("#queues .queue").count() == 17
    # The strip and the windows fit the screen: nothing is pushed below the fold.
    for page, height in ((hall_hd, 1080), (hall_4k, 2160)):
        bottom = page.evaluate("document.querySelector('.notice').getBoundingClientRect().bottom")
        assert bottom <= height + 1
    checked_screenshot(window, pages_dir / "window-display-1920x1080.png")
    checked_screenshot(hall_hd, pages_dir / "hall-1920x1080.png")
    checked_screenshot(hall_4k, pages_dir / "hall-3840x2160.png")

    # Serving, then paused: the window display follows each change.
    hengyang.ok("POST", f"/tickets/{called['id']}/start", role="window", window=47)
    window.wait_for_function("document.querySelector('#panel').dataset.state === 'serving'")
    hengyang.ok("POST", f"/tickets/{called['id']}/complete", role="window", window=47)
    hengyang.ok("POST", "/windows/47/pause", role="window", window=47)
    window.wait_for_function("document.querySelector('#panel').dataset.state === 'paused'")
    assert "暂停服务" in window.inner_text("#sentence")
    checked_screenshot(window, pages_dir / "window-display-paused.png")


def test_simultaneous_calls_are_announced_one_after_another(voice_hall: HallServer,
                                                             open_page: Any) -> None:
    hall = voice_hall
    for _ in range(2):
        hall.issue("transfer")
        hall.issue("tax")
    page = open_page(f"{hall.url}/display/hall?token={hall.token('display')}")
    wait_live(page)
    # Browsers allow sound only after a touch, unless this origin has earned autoplay
    # (Chromium's engagement rules): the page asks exactly when the browser would refuse.
    page.wait_for_function("window.hallqVoice && window.hallqVoice.ctx")
    if page.evaluate("window.hallqVoice.ctx.state") == "running":
        assert page.evaluate("window.hallqVoice.enabled")
        assert page.locator("#sound-gate").count() == 0
    else:
        assert not page.evaluate("window.hallqVoice.enabled")
        assert "点击此处开启语音" in page.inner_text("#sound-gate")
        page.click("#sound-gate")
        page.wait_for_function("window.hallqVoice.enabled && window.hallqVoice.ctx.state === 'running'")
        assert page.locator("#sound-gate").count() == 0
    assert "语音开启" in page.inner_text("#voice-state")

    # Two windows press "call" at the same moment.
    barrier = threading.Barrier(2)

    def call(n: int) -> None:
        barrier.wait()
        hall.ok("POST", f"/windows/{n}/call-next", role="window", window=n)

    threads = [threading.Thread(target=call, args=(n,)) for n in (1, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    page.wait_for_function(
        "window.hallqVoice.history.length === 2 && window.hallqVoice.history.every(e => e.endedAt)",
        timeout=30_000)
    history = page.evaluate("window.hallqVoice.history")
    first, second = history
    # Said in the order the server called them, each whole, neither on top of the other.
    seqs = [e["seq"] for e in history]
    assert seqs == sorted(seqs)
    assert first["endedAt"] <= second["startedAt"]
    assert all(e["via"] == "server" and e["error"] is None for e in history), history
    # Each clip is chime + speech: well over a second of sound, really played out.
    assert all(e["endedAt"] - e["startedAt"] > 1500 for e in history)
    assert {(e["number"], e["window"]) for e in history} == {("A001", 1), ("T001", 3)}
    texts = {e["window"]: e["text"] for e in history}
    assert texts == {1: "请A零零一号到一号窗口", 3: "请T零零一号到三号窗口"}

    # A recall is announced too, after what is already queued.
    a001 = hall.window(1)["current"]["id"]
    hall.ok("POST", f"/tickets/{a001}/recall", role="window", window=1)
    page.wait_for_function("window.hallqVoice.history.length === 3 && window.hallqVoice.history[2].startedAt",
                           timeout=30_000)
    recall = page.evaluate("window.hallqVoice.history[2]")
    assert recall["recall"] and recall["text"] == "请A零零一号速到一号窗口"
    assert recall["startedAt"] >= second["endedAt"]

    # The page's reading rules are the server's (devices/voice/phrases.py).
    page.evaluate("import('/static/voice.js').then(m => { window.voiceModule = m; })")
    page.wait_for_function("window.voiceModule")
    windows = list(range(1, 130)) + [200, 1010, 2002, 9999]
    assert page.evaluate("ns => ns.map(n => window.voiceModule.numberToChinese(n))", windows) == [
        number_to_chinese(n) for n in windows]
    tickets = ["A001", "B120", "q007", "Z1000"]
    assert page.evaluate("ts => ts.map(t => window.voiceModule.readTicket(t))", tickets) == [
        read_ticket_digits(t) for t in tickets]


def test_a_display_recovers_after_a_server_restart(hall: HallServer, open_page: Any) -> None:
    first = hall.issue("transfer")
    second = hall.issue("transfer")
    display = hall.token("display")
    window = open_page(f"{hall.url}/display/window/1?token={display}")
    screen = open_page(f"{hall.url}/display/hall?token={display}")
    for page in (window, screen):
        wait_live(page)
    hall.ok("POST", "/windows/1/call-next", role="window", window=1)
    window.wait_for_function(f"document.querySelector('#number').textContent === {first['number']!r}")

    hall.stop()
    for page in (window, screen):
        page.wait_for_function("window.hallqLive.status === 'reconnecting'", timeout=10_000)
        banner = page.locator("#conn")
        assert banner.is_visible() and "正在重新连接" in banner.inner_text()
        assert page.evaluate("document.body.classList.contains('stale')")

    # The server comes back on the same port and database; meanwhile the hall moved on
    # (changes made directly through the new server before the displays return).
    hall.start()
    hall.ok("POST", f"/tickets/{first['id']}/complete", role="window", window=1)
    hall.ok("POST", "/windows/1/call-next", role="window", window=1)
    for page in (window, screen):
        wait_live(page, connects=2)
        assert not page.locator("#conn").is_visible()
    window.wait_for_function(f"document.querySelector('#number').textContent === {second['number']!r}")
    assert window.inner_text("#sentence") == f"请 {second['number']} 号到 1 号窗口办理"
    screen.wait_for_function(
        f"document.querySelector(\"[data-window='1'] .tile-number\").textContent === {second['number']!r}")
    # And live again: the next event arrives without a reload.
    hall.ok("POST", "/windows/2/pause", role="window", window=2)
    screen.wait_for_function("document.querySelector(\"[data-window='2']\").classList.contains('paused')")
