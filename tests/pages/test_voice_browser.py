"""The hall screen's browser voice: `mode = "browser"`, and the server mode's fallback when
a clip cannot be had. The page speaks through the browser's speech synthesis.

Headless Chromium has no voices, and its utterances take only its own voice objects, so
the Web Speech API (the browser's door to the operating system's speech engine) is
replaced by a recorder with a Chinese voice, whose speaking takes as long as a short
sentence and keeps what it was asked to say. Everything else is the page as a hall runs
it: its chime on the real Web Audio context, its queue, its reading rules.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Clock
from tests.pages.conftest import HallServer, wait_live

SPEECH_MS = 300

# Installed before the page's own scripts: a Chinese voice, and a speak() that ends after
# SPEECH_MS, recording each utterance with when it started and ended.
RECORDER = f"""
(() => {{
  const spoken = [];
  window.spoken = spoken;
  const voices = [{{ name: 'Test English', lang: 'en-US' }}, {{ name: 'Test 中文', lang: 'zh-CN' }}];
  window.SpeechSynthesisUtterance = class {{
    constructor(text) {{ this.text = text; this.lang = ''; this.rate = 1; this.voice = null; }}
  }};
  Object.defineProperty(window, 'speechSynthesis', {{ value: {{
    getVoices: () => voices,
    speak(u) {{
      const rec = {{ text: u.text, lang: u.lang, rate: u.rate, voice: u.voice && u.voice.name,
                    start: performance.now(), end: null }};
      spoken.push(rec);
      setTimeout(() => {{ rec.end = performance.now(); u.onend && u.onend(); }}, {SPEECH_MS});
    }},
    cancel() {{}},
  }} }});
}})();
"""


def voice_server(tmp_path: Path, clock: Clock, mode: str) -> HallServer:
    data = tmp_path / "var"
    data.mkdir()
    (data / "displays.toml").write_text(f'[voice]\nmode = "{mode}"\n', encoding="utf-8")
    return HallServer(tmp_path, clock).start()


@pytest.fixture
def browser_voice_hall(tmp_path: Path, clock: Clock) -> Iterator[HallServer]:
    server = voice_server(tmp_path, clock, "browser")
    yield server
    server.stop()


@pytest.fixture
def server_voice_hall(tmp_path: Path, clock: Clock) -> Iterator[HallServer]:
    server = voice_server(tmp_path, clock, "server")
    yield server
    server.stop()


def hall_screen(hall: HallServer, open_page: Any) -> Any:
    page = open_page("about:blank")
    page.add_init_script(RECORDER)
    page.goto(f"{hall.url}/display/hall?token={hall.token('display')}")
    wait_live(page)
    page.wait_for_function("window.hallqVoice && window.hallqVoice.ctx")
    if not page.evaluate("window.hallqVoice.enabled"):
        page.click("#sound-gate")  # the one touch browsers require before sound
        page.wait_for_function("window.hallqVoice.enabled")
    return page


def call_together(hall: HallServer, windows: tuple[int, ...]) -> None:
    barrier = threading.Barrier(len(windows))

    def call(n: int) -> None:
        barrier.wait()
        hall.ok("POST", f"/windows/{n}/call-next", role="window", window=n)

    threads = [threading.Thread(target=call, args=(n,)) for n in windows]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_browser_voice_says_each_call_in_chinese_one_after_another(
        browser_voice_hall: HallServer, open_page: Any) -> None:
    hall = browser_voice_hall
    hall.issue("transfer")
    hall.issue("tax")
    page = hall_screen(hall, open_page)
    call_together(hall, (1, 3))
    page.wait_for_function("window.spoken.length === 2 && window.spoken.every(s => s.end)",
                           timeout=20_000)
    spoken = page.evaluate("window.spoken")
    history = page.evaluate("window.hallqVoice.history")
    # Said in the order the server called them, the second only once the first ended.
    assert [s["text"] for s in spoken] == [e["text"] for e in history]
    assert set(s["text"] for s in spoken) == {"请A零零一号到一号窗口",
                                              "请T零零一号到三号窗口"}
    assert spoken[0]["end"] <= spoken[1]["start"]
    # Briskly (issue 15: a busy hall calls more than 8 a minute), in Chinese, with the
    # Chinese voice rather than the first one offered.
    assert all(s["lang"] == "zh-CN" and s["rate"] == 1.1 and s["voice"] == "Test 中文"
               for s in spoken)
    # Each announcement is the page's short chime (0.7 s) and then the sentence.
    assert all(e["via"] == "browser" and e["error"] is None for e in history)
    assert all(650 <= s["start"] - e["startedAt"] < 1600
               for s, e in zip(spoken, history, strict=True))
    assert page.evaluate("window.hallqVoice.clips.size") == 0  # no clip asked of the server

    # A recall is said with its own words.
    a001 = hall.window(1)["current"]["id"]
    hall.ok("POST", f"/tickets/{a001}/recall", role="window", window=1)
    page.wait_for_function("window.spoken.length === 3 && window.spoken[2].end", timeout=20_000)
    assert page.evaluate("window.spoken[2].text") == "请A零零一号速到一号窗口"


def test_server_voice_falls_back_to_the_browser_when_a_clip_cannot_be_had(
        server_voice_hall: HallServer, open_page: Any) -> None:
    hall = server_voice_hall
    hall.issue("transfer")
    page = hall_screen(hall, open_page)
    # The clip request fails (the server's speech engine gone, the network dropping it).
    page.route("**/api/v1/voice/call.wav*", lambda route: route.abort())
    hall.ok("POST", "/windows/1/call-next", role="window", window=1)
    page.wait_for_function("window.spoken.length === 1 && window.spoken[0].end", timeout=20_000)
    [entry] = page.evaluate("window.hallqVoice.history")
    assert entry["via"] == "browser" and entry["error"]  # why the clip was not played
    assert page.evaluate("window.spoken[0].text") == "请A零零一号到一号窗口"
