"""The window console asks the server whose token it is (`GET /me`) at sign-in: a window
token opens only its own window's console, tokens of roles that cannot act at a window
open none, guides and admins open any. A refused token is not kept, and a server that
cannot be reached does not cost the clerk the token typed into the box."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.pages.conftest import HallServer, wait_live
from tests.pages.test_consoles import wait_current

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 1366, 768  # a counter's desk monitor, as in the console tests


def stored_token(page: Any, n: int) -> str | None:
    return page.evaluate(f"localStorage.getItem('hallq.token.window-{n}')")


def sign_in(page: Any, token: str) -> None:
    page.wait_for_selector("#login-token")
    page.fill("#login-token", token)
    page.keyboard.press("Enter")


def wait_refusal(page: Any, words: str) -> str:
    """Waits for the sign-in form to show `words`; returns the whole message."""
    page.wait_for_function(
        f"(document.querySelector('#login-error')?.textContent || '').includes({words!r})")
    error = page.locator("#login-error")
    assert error.is_visible()
    return error.inner_text()


def assert_bilingual(message: str, zh: str, en: str) -> None:
    """Chinese on the first line, English on the second."""
    first, second = message.split("\n")
    assert zh in first and en in second


def assert_locked_out(page: Any, hall: HallServer, n: int) -> None:
    """The sign-in form covers the console; nothing acts and nothing is kept."""
    assert page.locator("#login").is_visible()
    assert page.locator("#actions button").count() == 0
    assert page.evaluate("window.hallqLive === undefined")  # no event stream either
    assert stored_token(page, n) is None
    assert page.input_value("#login-token") == ""  # the refused token is cleared from the box


def test_another_windows_token_is_refused_at_sign_in(hall: HallServer, open_page: Any,
                                                     pages_dir: Path) -> None:
    waiting = hall.issue("transfer")  # window 5 serves it: a call would have something to take
    page = open_page(f"{hall.url}/console/window/5", WIDTH, HEIGHT)
    sent: list[str] = []
    page.on("request", lambda r: sent.append(f"{r.method} {r.url}") if "/api/v1/" in r.url else None)
    sign_in(page, hall.token("window", 3))
    message = wait_refusal(page, "该令牌属于 3 号窗口")
    assert_bilingual(message, "该令牌属于 3 号窗口，不能登录 5 号窗口",
                     "this token belongs to window 3, not window 5")
    assert_locked_out(page, hall, 5)
    page.screenshot(path=str(pages_dir / "window-console-wrong-window.png"))

    # No actions possible: the call key does nothing, only the one check went out.
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("n")
    page.keyboard.press("p")
    # A marker request sent after the keys: a call the keys set off would have gone out
    # before it, so once the marker is seen, nothing else can still be on its way.
    marker = f"{hall.url}/api/v1/me?after=keys"
    with page.expect_request(marker):
        page.evaluate("fetch('/api/v1/me?after=keys').catch(() => null)")
    assert sent == [f"GET {hall.url}/api/v1/me", f"GET {marker}"]
    assert hall.window(5)["current"] is None and hall.window(5)["status"] == "open"
    assert hall.ok("GET", f"/tickets/{waiting['id']}")["status"] == "waiting"

    # Not kept: a reload asks again, with no message left over.
    page.reload()
    page.wait_for_selector("#login-token")
    assert page.locator("#login-error").is_hidden()
    assert stored_token(page, 5) is None

    # The same refusal for a token in the address, which leaves the address bar.
    page.goto(f"{hall.url}/console/window/5?token={hall.token('window', 3)}")
    wait_refusal(page, "该令牌属于 3 号窗口，不能登录 5 号窗口")
    assert "token=" not in page.url
    assert_locked_out(page, hall, 5)


def test_tokens_of_roles_that_cannot_act_at_a_window_are_refused(hall: HallServer,
                                                                  open_page: Any) -> None:
    page = open_page(f"{hall.url}/console/window/2?token={hall.token('display')}", WIDTH, HEIGHT)
    message = wait_refusal(page, "叫号屏令牌")
    assert_bilingual(message, "叫号屏令牌不能登录窗口工作台",
                     "a display token cannot sign in to a window console")
    assert "token=" not in page.url
    assert_locked_out(page, hall, 2)
    for role, zh in [("kiosk", "自助取号机令牌"), ("registry", "登记业务系统令牌"),
                     ("judicial", "司法协助令牌")]:
        sign_in(page, hall.token(role))
        assert_bilingual(wait_refusal(page, zh), zh, f"a {role} token cannot sign in")
        assert_locked_out(page, hall, 2)
    # A made-up token: the server does not know it.
    sign_in(page, "hq_not-a-real-token")
    assert_bilingual(wait_refusal(page, "令牌无效"), "令牌无效", "invalid token")
    assert_locked_out(page, hall, 2)


def test_guide_and_admin_tokens_sign_in_at_any_window(hall: HallServer, open_page: Any) -> None:
    ticket = hall.issue("transfer")
    guide = hall.token("guide")
    for n in (1, 5):
        page = open_page(f"{hall.url}/console/window/{n}", WIDTH, HEIGHT)
        sign_in(page, guide)
        wait_live(page)
        assert page.locator("#login").count() == 0
        assert stored_token(page, n) == guide
    # The server lets a guide act for any window: the call at window 5 goes through.
    page.click("#act-call")
    wait_current(page, ticket["number"])
    assert hall.window(5)["current"]["id"] == ticket["id"]

    admin = open_page(f"{hall.url}/console/window/3?token={hall.token('admin')}", WIDTH, HEIGHT)
    wait_live(admin)
    assert admin.locator("#login").count() == 0
    admin.wait_for_function("document.querySelector('#act-pause')?.disabled === false")


def test_own_window_token_signs_in_and_calls(hall: HallServer, open_page: Any) -> None:
    ticket = hall.issue("mortgage")
    token = hall.token("window", 2)
    page = open_page(f"{hall.url}/console/window/2", WIDTH, HEIGHT)
    sign_in(page, token)
    wait_live(page)
    assert page.locator("#login").count() == 0
    assert stored_token(page, 2) == token
    page.wait_for_function("document.querySelectorAll('#waiting tbody tr[data-id]').length === 1")
    page.keyboard.press("n")  # the call key, once the window's state is on screen
    wait_current(page, ticket["number"])
    assert hall.window(2)["current"]["id"] == ticket["id"]
    # Kept in this browser: a reload goes straight back to work.
    page.reload()
    wait_live(page)
    assert page.locator("#login").count() == 0
    wait_current(page, ticket["number"])


def test_sign_in_keeps_the_typed_token_while_the_server_is_unreachable(hall: HallServer,
                                                                        open_page: Any) -> None:
    token = hall.token("window", 2)
    page = open_page(f"{hall.url}/console/window/2", WIDTH, HEIGHT)
    page.wait_for_selector("#login-token")
    hall.stop()
    sign_in(page, token)
    message = wait_refusal(page, "无法连接服务器")
    assert_bilingual(message, "无法连接服务器", "cannot reach the server")
    assert page.input_value("#login-token") == token  # not lost from the box
    assert stored_token(page, 2) is None
    # The form keeps trying: once the server is back the console signs in by itself.
    hall.start()
    wait_live(page)
    assert page.locator("#login").count() == 0
    assert stored_token(page, 2) == token
