"""Issue 15, "a voice that keeps up", on the real hall screen in Chromium: a backlog keeps the
newest call per window, a ticket started or ended before its turn is not announced, a
silent screen shows a banner nobody can miss and tells the server, and a zone with its own
screen announces only its calls.

The browser voice is used with a recorder for speech (as in test_voice_browser.py) whose
utterances last until the test lets them end: the backlog is then built exactly, not by
racing a clip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Clock
from tests.pages.conftest import REFUSES_SOUND, HallServer, launch_chromium, wait_live

pytestmark = pytest.mark.browser

# Speech that lasts until window.releaseSpeech() (each release ends the one on air).
HELD_RECORDER = """
(() => {
  const spoken = [];
  window.spoken = spoken;
  let current = null;
  window.releaseSpeech = () => { if (current) { const c = current; current = null; c.end = performance.now(); c.u.onend(); } };
  window.SpeechSynthesisUtterance = class {
    constructor(text) { this.text = text; this.lang = ''; this.rate = 1; this.voice = null; }
  };
  Object.defineProperty(window, 'speechSynthesis', { value: {
    getVoices: () => [{ name: 'Test 中文', lang: 'zh-CN' }],
    speak(u) { current = { text: u.text, u, start: performance.now(), end: null }; spoken.push(current); },
    cancel() {},
  } });
})();
"""


def browser_hall(tmp_path: Path, clock: Clock, layout_text: str | None = None) -> HallServer:
    data = tmp_path / "var"
    data.mkdir()
    (data / "displays.toml").write_text('[voice]\nmode = "browser"\n', encoding="utf-8")
    if layout_text is None:
        return HallServer(tmp_path, clock).start()
    layout = tmp_path / "hall.toml"
    layout.write_text(layout_text, encoding="utf-8")
    return HallServer(tmp_path, clock, layout).start()


@pytest.fixture
def held_hall(tmp_path: Path, clock: Clock) -> Iterator[HallServer]:
    server = browser_hall(tmp_path, clock)
    yield server
    server.stop()


def open_screen(hall: HallServer, open_page: Any, query: str = "", tap: bool = True,
                width: int = 1920, height: int = 1080) -> Any:
    page = open_page("about:blank", width, height)
    page.add_init_script(HELD_RECORDER)
    page.goto(f"{hall.url}/display/hall?token={hall.token('display')}{query}")
    wait_live(page)
    page.wait_for_function("window.hallqVoice && window.hallqVoice.ctx")
    if tap and not page.evaluate("window.hallqVoice.enabled"):
        page.click("#sound-gate")
        page.wait_for_function("window.hallqVoice.enabled")
    return page


def said(page: Any) -> list[str]:
    return page.evaluate("window.spoken.map(s => s.text)")


def call(hall: HallServer, window: int) -> dict[str, Any]:
    return hall.ok("POST", f"/windows/{window}/call-next", role="window", window=window)["ticket"]


def test_a_backlog_keeps_the_newest_call_per_window_and_drops_what_was_served(
        held_hall: HallServer, open_page: Any) -> None:
    hall = held_hall
    for business in ("transfer", "transfer", "tax", "query", "query"):
        hall.issue(business)
    page = open_screen(hall, open_page)
    a001 = call(hall, 1)  # said first, held on air
    page.wait_for_function("window.spoken.length === 1")
    a002 = call(hall, 2)
    t001 = call(hall, 3)
    q001 = call(hall, 4)
    page.wait_for_function("window.hallqVoice.queue.length === 3")
    # While A001 is said: T001 walks up to window 3 (started), window 2 gives A002 up and
    # window 4 marks Q001 no-show and calls Q002: none of A002, T001, Q001 stands any more.
    hall.ok("POST", f"/tickets/{t001['id']}/start", role="window", window=3)
    hall.ok("POST", f"/tickets/{a002['id']}/no-show", role="window", window=2)
    hall.ok("POST", f"/tickets/{q001['id']}/no-show", role="window", window=4)
    q002 = call(hall, 4)
    page.wait_for_function("window.hallqVoice.history.length === 5")
    # Q002 made Q001's announcement obsolete at once: one per window in the queue.
    assert page.evaluate("window.hallqVoice.queue.map(e => e.number)") == ["A002", "T001", "Q002"]
    page.evaluate("window.releaseSpeech()")
    page.wait_for_function("window.spoken.length === 2")
    page.evaluate("window.releaseSpeech()")
    page.wait_for_function("window.hallqVoice.queue.length === 0 && !window.hallqVoice.playing")
    assert said(page) == [f"请{a001['number'][0]}零零一号到一号窗口", "请Q零零二号到四号窗口"]
    skipped = {e["number"]: e["skipped"] for e in page.evaluate("window.hallqVoice.history")}
    assert skipped == {"A001": None, "A002": "no longer called", "T001": "no longer called",
                       "Q001": "superseded by a newer call at its window", "Q002": None}
    assert q002["number"] == "Q002"


def test_the_headline_follows_the_window_and_never_breaks_inside_a_word(
        held_hall: HallServer, open_page: Any, pages_dir: Path) -> None:
    hall = held_hall
    hall.issue("transfer")
    hall.issue("tax")
    hd = open_screen(hall, open_page)
    uhd = open_screen(hall, open_page, width=3840, height=2160)
    a001 = call(hall, 1)
    t001 = call(hall, 3)
    hall.ok("POST", f"/tickets/{t001['id']}/recall", role="window", window=3)
    for page in (hd, uhd):
        page.wait_for_function("document.querySelector('#now-number').textContent === 'T001'"
                               " && document.querySelector('#now').classList.contains('recall')")
        # Issue 15: "请到 3 号窗 / 口": the sentence must sit on one line.
        line = page.locator("#now-where .now-line")
        box = line.bounding_box()
        font = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#now-where .now-line')).fontSize)")
        assert box["height"] < 1.6 * font, "the call sentence wraps"
        assert "再次呼叫" in page.inner_text("#now-where")
    hd.screenshot(path=str(pages_dir / "hall-recall-1920x1080.png"))
    uhd.screenshot(path=str(pages_dir / "hall-recall-3840x2160.png"))
    # T001 is served and done, window 3 idle: the headline goes back to A001, still called.
    hall.ok("POST", f"/tickets/{t001['id']}/start", role="window", window=3)
    hall.ok("POST", f"/tickets/{t001['id']}/complete", role="window", window=3)
    hd.wait_for_function("document.querySelector('#now-number').textContent === 'A001'")
    # A001 started too: nobody is being called; the screen says so instead of a stale number.
    hall.ok("POST", f"/tickets/{a001['id']}/start", role="window", window=1)
    hd.wait_for_function("document.querySelector('#now-number').textContent === '—'")
    assert "请留意叫号" in hd.inner_text("#now-where")
    assert "T001" in hd.inner_text("#recent")  # the history of calls stays


def test_a_silent_screen_shows_a_banner_and_the_guide_sees_it(
        held_hall: HallServer, open_page: Any, browser: Any, pages_dir: Path,
        request: pytest.FixtureRequest) -> None:
    hall = held_hall
    for _ in range(3):
        hall.issue("transfer")
    # A browser as a screen PC has it without `hallq screen`: sound only after a tap.
    strict = launch_chromium(browser.browser_type,
                             ["--autoplay-policy=document-user-activation-required"])
    request.addfinalizer(strict.close)
    page = strict.new_context(viewport={"width": 1920, "height": 1080},
                              reduced_motion="reduce").new_page()
    page.add_init_script(REFUSES_SOUND)
    page.add_init_script(HELD_RECORDER)
    page.goto(f"{hall.url}/display/hall?token={hall.token('display')}")
    wait_live(page)
    page.wait_for_function("window.hallqVoice && window.hallqVoice.ctx")
    assert not page.evaluate("window.hallqVoice.enabled")
    banner = page.locator("#sound-gate")
    box = banner.bounding_box()
    # Across the whole screen and at least a tenth of its height: seen from the floor.
    assert box["width"] >= 1900 and box["height"] >= 108, box
    assert "语音未开启" in banner.inner_text() and "Sound is off" in banner.inner_text()
    call(hall, 1)
    call(hall, 2)
    page.wait_for_function("document.querySelector('#sound-missed').textContent.includes('2')")
    assert "已漏播 2 次" in page.inner_text("#sound-missed")
    page.screenshot(path=str(pages_dir / "hall-silent-1920x1080.png"))

    # The screen has told the server (read here with a guide's token, from the page).
    page.wait_for_function(
        """async (token) => {
          const r = await fetch('/api/v1/screens', { headers: { Authorization: `Bearer ${token}` } });
          const hall = (await r.json()).find((s) => s.name === 'hall');
          return hall && hall.missed === 2;
        }""", arg=hall.token("guide"), polling=200, timeout=10_000)
    screen = {s["name"]: s for s in hall.ok("GET", "/screens")}["hall"]
    assert screen["state"] == "silent" and not screen["audible"] and screen["mode"] == "browser"

    guide = open_page(f"{hall.url}/console/guide?token={hall.token('guide')}")
    guide.wait_for_function("document.querySelector(\"#screens li[data-screen='hall']\")")
    row = guide.locator("#screens li[data-screen='hall']")
    # The console's own poll may have read the screen's report before its second miss.
    guide.wait_for_function(
        """() => { const r = document.querySelector("#screens li[data-screen='hall']");
                   return r.dataset.state === 'silent' && r.textContent.includes('已漏播 2'); }""")
    assert "未开启" in row.inner_text()
    # In the alert bar too, like a broken kiosk (drawn on the bar's own refresh).
    guide.wait_for_function("document.querySelector('#alerts').textContent.includes('hall')")
    guide.screenshot(path=str(pages_dir / "guide-silent-screen-1920x1080.png"))

    page.click("#sound-gate")
    page.wait_for_function("window.hallqVoice.enabled")
    assert page.locator("#sound-gate").count() == 0
    guide.wait_for_function(
        "document.querySelector(\"#screens li[data-screen='hall']\")?.dataset.state === 'ok'",
        timeout=40_000)


def test_a_zone_with_its_own_screen_announces_only_its_calls(
        tmp_path: Path, clock: Clock, open_page: Any, pages_dir: Path) -> None:
    from tests.conftest import FIXTURES

    text = (FIXTURES / "mini.toml").read_text(encoding="utf-8")
    # Window 4 (query) moves to its own zone, with its own screen and speaker.
    text = text.replace('name_en = "Front"\n', 'name_en = "Front"\n\n[[zones]]\ncode = "side"\n'
                        'name = "查询区"\nname_en = "Queries"\nown_screen = true\n', 1)
    text = text.replace('number = 4\nzone = "front"', 'number = 4\nzone = "side"')
    hall = browser_hall(tmp_path, clock, text)
    try:
        hall.issue("transfer")
        hall.issue("query")
        main = open_screen(hall, open_page)
        side = open_screen(hall, open_page, "&zone=side")
        wrong = open_screen(hall, open_page, "&zone=front", tap=False)
        assert "未设独立叫号屏" in wrong.inner_text("#zone-problem")
        call(hall, 4)
        side.wait_for_function("window.spoken.length === 1")
        call(hall, 1)
        main.wait_for_function("window.spoken.length === 1")
        side.evaluate("window.releaseSpeech()")
        main.evaluate("window.releaseSpeech()")
        assert said(side) == ["请Q零零一号到四号窗口"]
        assert said(main) == ["请A零零一号到一号窗口"]
        # The zone screen shows its own windows only; the main screen shows all of them.
        assert side.locator(".tile").count() == 1
        assert main.locator("[data-window='4']").count() == 1
        side.screenshot(path=str(pages_dir / "hall-zone-screen-1920x1080.png"))
    finally:
        hall.stop()


def test_the_page_keeps_the_backlog_by_the_same_rules_as_the_device_queue(
        hall: HallServer, open_page: Any) -> None:
    # voice.js's admit() and devices/voice/backlog.py's admit(), on the same 300 seeded
    # sequences of calls and recalls over a few numbers and windows.
    import random

    from devices.voice.backlog import admit
    from devices.voice.phrases import Announcement

    page = open_page(f"{hall.url}/display/hall?token={hall.token('display')}")
    page.evaluate("import('/static/voice.js').then(m => { window.voiceModule = m; })")
    page.wait_for_function("window.voiceModule")
    rng = random.Random(15)
    sequences = [[(rng.choice("ABC") + "00" + rng.choice("12"), str(rng.randint(1, 3)),
                   rng.random() < 0.3) for _ in range(rng.randint(1, 8))] for _ in range(300)]
    js = page.evaluate("""seqs => seqs.map(seq => {
        let queue = [];
        const log = [];
        for (const [number, win, recall] of seq) {
          const r = window.voiceModule.admit(queue, { number, window: win, recall });
          queue = r.waiting;
          log.push([r.absorbed, r.dropped.map(e => e.number + '@' + e.window)]);
        }
        return [queue.map(e => [e.number, e.window, e.recall]), log];
      })""", sequences)
    for seq, (js_queue, js_log) in zip(sequences, js, strict=True):
        queue: list[Announcement] = []
        log = []
        for number, window, recall in seq:
            r = admit(queue, Announcement(number, window, "", recall))
            queue = r.waiting
            log.append([r.absorbed, [f"{d.number}@{d.window}" for d in r.dropped]])
        assert [[a.number, a.window, a.recall] for a in queue] == js_queue, seq
        assert log == js_log, seq
