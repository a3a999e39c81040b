"""`hallq screen`: the hall screen started as it must run. Chromium launched with the
command's own flags plays sound without anyone tapping (no banner, announcements said),
while a browser with the default policy shows the banner (issue 15)."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hallq.cli import main
from queue_server.screen_cli import KIOSK_FLAGS, chromium_args, screen_url
from tests.conftest import Clock
from tests.pages.conftest import REFUSES_SOUND, HallServer, launch_chromium, wait_live

pytestmark = pytest.mark.browser


@pytest.fixture
def voice_hall_server(tmp_path: Path, clock: Clock) -> Iterator[HallServer]:
    data = tmp_path / "var"
    data.mkdir()
    (data / "displays.toml").write_text("[voice]\nspeed = 450\n", encoding="utf-8")
    server = HallServer(tmp_path, clock).start()
    yield server
    server.stop()


def launch(session_browser: Any, flags: list[str]) -> Any:
    """A Chromium of its own with these flags, from the session's Playwright."""
    return launch_chromium(session_browser.browser_type, flags)


def test_the_command_line_names_the_flags_and_the_screen(capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    assert main(["screen", "--server", "http://10.0.0.5:8000/", "--token", "T0K",
                 "--zone", "side", "--name", "side-1", "--browser", "/usr/bin/chromium",
                 "--profile", "/tmp/screen"]) == 0
    cmd = shlex.split(capsys.readouterr().out)
    assert cmd[0] == "/usr/bin/chromium"
    assert "--autoplay-policy=no-user-gesture-required" in cmd and "--kiosk" in cmd
    assert "--user-data-dir=/tmp/screen" in cmd
    assert cmd[-1] == "http://10.0.0.5:8000/display/hall?token=T0K&zone=side&screen=side-1"


@pytest.mark.parametrize("argv,fragment", [
    (["--server", "10.0.0.5:8000", "--token", "T"], "服务器地址应为"),
    (["--server", "http://10.0.0.5:8000", "--token", " "], "需要显示屏令牌"),
])
def test_bad_arguments_are_refused_in_words(argv: list[str], fragment: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screen", *argv]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "/" in err  # Chinese, then English


def test_a_screen_started_by_hallq_screen_speaks_without_a_tap(
        voice_hall_server: HallServer, browser: Any, pages_dir: Path) -> None:
    hall = voice_hall_server
    hall.issue("transfer")
    url = screen_url(hall.url, hall.token("display"), name="hall-east")
    flags = chromium_args(url)[:-1]
    assert set(KIOSK_FLAGS) <= set(flags)
    screen = launch(browser, flags)
    try:
        page = screen.new_context(viewport={"width": 1920, "height": 1080},
                                   reduced_motion="reduce").new_page()
        page.goto(url)
        wait_live(page)
        page.wait_for_function("window.hallqVoice && window.hallqVoice.enabled", timeout=10_000)
        assert page.locator("#sound-gate").count() == 0
        hall.ok("POST", "/windows/1/call-next", role="window", window=1)
        page.wait_for_function("window.hallqVoice.history.length === 1"
                               " && window.hallqVoice.history[0].endedAt", timeout=30_000)
        entry = page.evaluate("window.hallqVoice.history[0]")
        assert entry["skipped"] is None and entry["via"] == "server"
        assert {s["name"]: s["state"] for s in hall.ok("GET", "/screens")}["hall-east"] == "ok"
        page.screenshot(path=str(pages_dir / "hall-kiosk-mode-1920x1080.png"))
    finally:
        screen.close()


def test_a_browser_without_the_flag_shows_the_silent_banner(voice_hall_server: HallServer,
                                                            browser: Any) -> None:
    hall = voice_hall_server
    plain = launch(browser, ["--autoplay-policy=document-user-activation-required"])
    try:
        page = plain.new_context(viewport={"width": 1920, "height": 1080}).new_page()
        page.add_init_script(REFUSES_SOUND)
        page.goto(f"{hall.url}/display/hall?token={hall.token('display')}")
        wait_live(page)
        page.wait_for_function("window.hallqVoice && window.hallqVoice.ctx")
        assert not page.evaluate("window.hallqVoice.enabled")
        assert page.locator("#sound-gate").bounding_box()["height"] >= 108
    finally:
        plain.close()
