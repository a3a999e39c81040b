"""What a hall trying hallq sees once the demo traffic has run a while: the hall screen
and the manager's page in real headless Chromium, screenshots kept for a person to judge."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import REPO
from tests.demo.test_traffic_serve import _start, _until

SCREENS = REPO / "var" / "screens" / "demo"


def test_hall_screen_and_manager_page_are_busy(tmp_path: Path, browser: Any):
    proc, lines, base = _start(tmp_path, "--traffic", "60")
    link = {name: next(line for line in lines if name in line).split()[-1]
            for name in ("/display/hall?", "/manager?")}
    admin = next(line for line in lines if "admin token" in line).split()[-1]
    auth = {"Authorization": f"Bearer {admin}"}
    SCREENS.mkdir(parents=True, exist_ok=True)
    try:
        def enough() -> bool:
            statuses = [t["status"] for t in httpx.get(f"{base}/api/v1/tickets",
                                                       headers=auth).json()]
            return statuses.count("done") >= 15 and statuses.count("waiting") >= 5
        _until(enough, "15 tickets done and 5 waiting", seconds=120)
        # The run's one browser (tests/conftest.py), in a context of its own.
        ctx = browser.new_context(viewport={"width": 1920, "height": 1080},
                                  reduced_motion="reduce")
        errors: list[str] = []
        hall = ctx.new_page()
        hall.on("pageerror", lambda e: errors.append(str(e)))
        hall.goto(link["/display/hall?"])
        # Recent calls listed and numbers at the windows: a busy hall, not an empty one.
        hall.wait_for_function("document.querySelectorAll('#recent li').length >= 3")
        hall.wait_for_function("document.querySelector('#now-number').textContent.trim()"
                               " !== '—'")
        assert "请留意叫号" not in hall.locator("#now-where").inner_text()
        hall.wait_for_function("document.querySelectorAll('#queues > *').length >= 3")
        hall.screenshot(path=str(SCREENS / "hall.png"))
        manager = ctx.new_page()
        manager.on("pageerror", lambda e: errors.append(str(e)))
        manager.goto(link["/manager?"])
        manager.wait_for_function("document.body.dataset.loaded")
        day = httpx.get(f"{base}/api/v1/hall", headers=auth).json()["day"]
        manager.wait_for_function(f"document.body.dataset.loaded === '{day}..{day}'")
        text = manager.locator("body").inner_text()
        # The staff table names the simulated clerks who served.
        staff = httpx.get(f"{base}/api/v1/staff", headers=auth).json()
        served_names = [s["name"] for s in staff if s.get("window")]
        assert any(name in text for name in served_names), text[:2000]
        manager.wait_for_function("window.hallqManager && "
                                  "Object.keys(window.hallqManager.charts).length >= 3")
        manager.screenshot(path=str(SCREENS / "manager.png"), full_page=True)
        ctx.close()
        assert not errors, errors
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
