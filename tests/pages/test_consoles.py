"""The window console and the guide console drive the real server through their buttons
and keys; a double click on "call" calls once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.pages.conftest import HallServer, checked_screenshot, wait_live

pytestmark = pytest.mark.browser


def current(hall: HallServer, n: int) -> dict[str, Any] | None:
    cur = hall.window(n)["current"]
    return hall.ok("GET", f"/tickets/{cur['id']}") if cur else None


def wait_current(page: Any, number: str) -> None:
    page.wait_for_function(
        f"(document.querySelector('#cur-number')?.textContent || '') === {number!r}"
        " && !document.querySelector('#act-complete').disabled")


def wait_idle(page: Any) -> None:
    page.wait_for_function("!document.querySelector('#cur-number') && document.querySelector('.cur-empty')"
                           " && !document.querySelector('#act-pause').disabled")


def test_window_console_buttons_and_keys_drive_the_window(hall: HallServer, open_page: Any,
                                                          pages_dir: Path) -> None:
    a1, a2 = hall.issue("transfer"), hall.issue("transfer")
    b1 = hall.issue("mortgage")
    t1 = hall.issue("tax", journey="sale")  # tax, then transfer
    hall.issue("query")  # window 1 does not serve it: not in its list
    hall.ok("PUT", "/windows/1/businesses", json={"businesses": ["transfer", "mortgage", "tax"]})
    page = open_page(f"{hall.url}/console/window/1?token={hall.token('window', 1)}", 1366, 768)
    wait_live(page)
    assert "token=" not in page.url  # the console keeps its token out of the address bar
    page.wait_for_function("document.querySelectorAll('#waiting tbody tr[data-id]').length === 4")
    # Every action shows its key on its button.
    for button in page.locator("#actions button").all():
        assert button.locator("kbd").inner_text().strip()

    # A double click calls once: the button is disabled before the request leaves.
    calls: list[str] = []
    page.on("request", lambda r: calls.append(r.url) if r.url.endswith("/call-next") else None)
    page.dblclick("#act-call")
    wait_current(page, a1["number"])
    assert len(calls) == 1
    assert page.locator(".toast.error").count() == 0
    assert hall.ok("GET", f"/tickets/{a2['id']}")["status"] == "waiting"

    page.keyboard.press("r")  # recall
    page.wait_for_function("document.querySelector('.cur-facts').textContent.includes('1 / 3')")
    assert current(hall, 1)["recalls"] == 1
    checked_screenshot(page, pages_dir / "window-console.png", full_page=True)
    page.click("#act-start")
    page.wait_for_function("document.querySelector('.cur-status.serving')")
    assert current(hall, 1)["status"] == "serving"

    page.keyboard.press("h")  # park: set aside, the window is free
    wait_idle(page)
    page.wait_for_function(f"document.querySelector('#parked').textContent.includes({a1['number']!r})")
    page.keyboard.press("b")  # call the parked ticket back
    wait_current(page, a1["number"])

    page.keyboard.press("t")  # transfer to another business
    page.select_option("#transfer-to", "query")
    page.keyboard.press("Enter")
    wait_idle(page)
    moved = hall.ok("GET", f"/tickets/{a1['id']}")
    assert (moved["business"], moved["status"]) == ("query", "waiting")

    page.keyboard.press("n")  # call next
    wait_current(page, a2["number"])
    page.keyboard.press("x")  # no-show
    wait_idle(page)
    assert hall.ok("GET", f"/tickets/{a2['id']}")["status"] == "no_show"

    # Pick one from the list: the journey ticket, then forward it to its next step.
    page.click(f"#waiting tr[data-id='{t1['id']}'] button")
    wait_current(page, t1["number"])
    page.click("#act-forward")
    wait_idle(page)
    forwarded = hall.ok("GET", f"/tickets/{t1['id']}")
    assert (forwarded["business"], forwarded["journey_step"]) == ("transfer", 1)

    # Keys 1-9 call the tickets in the order listed, which is call-next's order.
    listed = page.evaluate("[...document.querySelectorAll('#waiting tr[data-id]')].map(r => r.dataset.id)")
    assert listed == [t["id"] for t in hall.ok("GET", "/windows/1/queue")["waiting"]]
    page.keyboard.press(str(listed.index(t1["id"]) + 1))
    wait_current(page, t1["number"])
    page.keyboard.press("c")  # complete
    wait_idle(page)
    assert hall.ok("GET", f"/tickets/{t1['id']}")["status"] == "done"

    page.keyboard.press("p")  # pause: the window cannot call
    page.wait_for_function("document.querySelector('#wstatus').classList.contains('paused')")
    assert hall.window(1)["status"] == "paused"
    assert page.is_disabled("#act-call")
    page.click("#act-pause")  # now labelled resume
    page.wait_for_function("document.querySelector('#wstatus').classList.contains('open')")
    page.click("#act-call")
    wait_current(page, b1["number"])
    assert hall.window(1)["current"]["id"] == b1["id"]


def test_sign_in_form_and_a_refused_action_shown_in_words(hall: HallServer, open_page: Any,
                                                           pages_dir: Path) -> None:
    # A wrong token in the address: the sign-in form says so and takes another.
    page = open_page(f"{hall.url}/console/window/2?token=hq_wrong", 1366, 768)
    page.wait_for_selector("#login-token")
    page.wait_for_selector("#login-error")
    assert "令牌无效" in page.inner_text("#login-error")
    # Window 1's token on window 2's console is refused at sign-in (more of that in
    # test_console_sign_in.py); window 2's own token signs in.
    page.fill("#login-token", hall.token("window", 1))
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#login-error').textContent.includes('1 号窗口')")
    page.fill("#login-token", hall.token("window", 2))
    page.keyboard.press("Enter")
    wait_live(page)
    assert page.locator("#login").count() == 0
    # The server refuses an action the console thought possible, and the console says why:
    # a guide calls the next ticket to window 2 just as the clerk presses N.
    a1 = hall.issue("transfer")
    hall.issue("transfer")
    page.wait_for_function("document.querySelectorAll('#waiting tbody tr[data-id]').length === 2")

    def guide_first(route: Any) -> None:
        hall.ok("POST", "/windows/2/call-next")
        route.continue_()

    page.route("**/api/v1/windows/2/call-next", guide_first)
    page.click("#act-call")
    # A write that lost a race is said as such: not done, and why.
    page.wait_for_selector(".toast.conflict")
    said = page.inner_text(".toast.conflict")
    assert said.startswith("未执行：") and f"正在办理 {a1['number']}" in said and "Not done" in said
    # And the console is usable again once the window's state is reloaded: it shows the
    # ticket the guide called.
    wait_current(page, a1["number"])
    checked_screenshot(page, pages_dir / "window-console-lost-race.png")


def test_a_change_made_behind_the_server_is_told_not_guessed(hall: HallServer, open_page: Any,
                                                             pages_dir: Path) -> None:
    """The database changed under the server (a second writer by mistake): the clerk's
    "start" is refused with 409 conflict, and the console says it was not done."""
    import sqlalchemy as sa

    a1 = hall.issue("transfer")
    page = open_page(f"{hall.url}/console/window/1?token={hall.token('window', 1)}", 1366, 768)
    wait_live(page)
    page.wait_for_function("document.querySelectorAll('#waiting tbody tr[data-id]').length === 1")
    page.click("#act-call")
    wait_current(page, a1["number"])
    engine = sa.create_engine(hall.settings.database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE tickets SET status = 'no_show' WHERE id = :id"),
                     {"id": a1["id"]})
    engine.dispose()
    page.click("#act-start")
    page.wait_for_selector(".toast.conflict")
    said = page.inner_text(".toast.conflict")
    assert said.startswith(f"未执行：{a1['number']} 号刚被别处处理，本次操作没有生效"), said
    assert "Not done: ticket" in said
    checked_screenshot(page, pages_dir / "window-console-conflict.png")


def test_guide_console_sees_the_hall_and_moves_it(hengyang: HallServer, open_page: Any,
                                                  pages_dir: Path) -> None:
    # Uses windows 12, 9 and 46 of the shared busy hall (the window displays' test calls
    # at window 47).
    page = open_page(f"{hengyang.url}/console/guide?token={hengyang.token('guide')}", 1920, 1080)
    wait_live(page)
    assert page.locator(".wtile").count() == 96
    assert page.locator("#biz tbody tr").count() == 17
    alerting = [q["name"] for q in hengyang.ok("GET", "/queues") if q["alert"]]
    assert alerting and all(name in page.inner_text("#alerts") for name in alerting)
    # A window that is serving shows its ticket; the paused one says so.
    w12 = hengyang.window(12)
    assert w12["current"]["number"] in page.inner_text("[data-window='12']")
    assert "暂停" in page.inner_text("[data-window='9']")

    page.click("[data-window='46']")
    page.click("#win-pause")
    page.wait_for_function("document.querySelector(\"[data-window='46']\").classList.contains('paused')")
    assert hengyang.window(46)["status"] == "paused"
    page.click("#win-resume")
    page.wait_for_function("document.querySelector(\"[data-window='46']\").classList.contains('open')")
    page.click("#win-close")
    page.wait_for_function("document.querySelector(\"[data-window='46']\").classList.contains('closed')")
    assert hengyang.window(46)["status"] == "closed"
    page.click("#win-open")
    page.wait_for_function("document.querySelector(\"[data-window='46']\").classList.contains('open')")

    # Re-skill: add a service, move it to the front, save.
    before = hengyang.window(46)["businesses"]
    page.select_option("#skill-add", "query")
    page.click("#skill-add-go")
    page.click("#skills li[data-business='query'] button[title^='上移']")
    page.click("#skill-save")
    page.wait_for_selector(".toast.ok")
    after = hengyang.window(46)["businesses"]
    assert after[:-2] + after[-1:] == before and after[-2] == "query"

    # Move the two longest-waiting tickets of the longest queue to the shortest.
    queues = {q["business"]: q["waiting"] for q in hengyang.ok("GET", "/queues")}
    source = max(queues, key=lambda code: queues[code])
    target = min(queues, key=lambda code: queues[code])
    assert queues[source] >= 2 and source != target
    page.select_option("#move-from", source)
    page.select_option("#move-to", target)
    page.fill("#move-count", "2")
    page.click("#move-go")
    page.wait_for_function("[...document.querySelectorAll('.toast.ok')].some(t => t.textContent.includes('已移动 2'))")
    moved = {q["business"]: q["waiting"] for q in hengyang.ok("GET", "/queues")}
    assert (moved[source], moved[target]) == (queues[source] - 2, queues[target] + 2)
    page.wait_for_function(
        f"document.querySelector(\"#biz tr[data-business='{source}'] td:nth-child(3)\").textContent === '{moved[source]}'")

    # A green-channel ticket for someone the kiosk would not give one.
    page.select_option("#green-business", "certificate")
    page.select_option("#green-reason", "disability")
    page.click("#green-go")
    page.wait_for_selector("#green-number")
    number = page.inner_text("#green-number")
    issued = [t for t in hengyang.ok("GET", "/tickets?status=waiting&business=certificate")
              if t["number"] == number]
    assert len(issued) == 1
    assert (issued[0]["priority"], issued[0]["priority_reason"]) == ("green", "disability")
    # The help desk issues past a limit with a reason: recorded, and shown back to the guide.
    page.fill("#green-override", "外地老人专程前来，经科长同意")
    page.click("#green-go")
    page.wait_for_selector("#green-override-note")
    assert "外地老人专程前来" in page.inner_text("#green-result")
    over = [t for t in hengyang.ok("GET", "/tickets?status=waiting&business=certificate")
            if t["number"] == page.inner_text("#green-number")]
    assert over[0]["override_reason"] == "外地老人专程前来，经科长同意"
    assert page.input_value("#green-override") == ""
    page.locator("#green-form").screenshot(path=str(pages_dir / "guide-console-override.png"))
    page.click("[data-window='12']")
    checked_screenshot(page, pages_dir / "guide-console-96-windows.png", full_page=True)


def test_guide_console_shows_staffing_advice_and_applies_it(hall: HallServer, open_page: Any,
                                                             pages_dir: Path) -> None:
    # Tax (one window) overloaded: the server suggests a window to help, the guide applies it.
    for _ in range(12):
        hall.issue("tax")
    hall.ok("POST", "/windows/3/call-next", role="window", window=3)
    first = hall.ok("GET", "/advice")["suggestions"][0]
    page = open_page(f"{hall.url}/console/guide?token={hall.token('guide')}", 1920, 1080)
    wait_live(page)
    row = page.locator(f"#advice li[data-id='{first['id']}']")
    row.wait_for()
    assert first["text"] in row.inner_text()
    checked_screenshot(page, pages_dir / "guide-console-advice.png")
    row.locator("button").click()
    page.wait_for_function(
        f"!document.querySelector(\"#advice li[data-id='{first['id']}']\")")
    assert hall.window(first["window"])["businesses"] == first["businesses"]
