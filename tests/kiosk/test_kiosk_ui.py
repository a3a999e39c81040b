"""The kiosk's screens in a real Kivy window (offscreen), pressed by simulated touches,
against a queue server on a real socket and the simulated devices.

One Kivy app serves the whole session (Kivy allows one per process); each test attaches
a fresh flow (its own hall, server and devices). Screenshots of every screen, portrait
and landscape, go to test-artifacts/kiosk/.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import httpx
import pytest

from devices.config import parse_device_config
from devices.idcard import DEMO_CARDS
from devices.manager import DeviceManager
from devices.scanner.slip import DEMO_KEY
from kiosk.client import HallClient
from kiosk.flow import Flow
from kiosk.hardware import Hardware
from kiosk.models import CaseProgress, CaseStep, Encumbrance, Property
from kiosk.settings import KioskSettings
from kiosk.state import Screen
from queue_server.settings import DEFAULT_CATALOGUE
from tests.conftest import ARTIFACTS
from tests.kiosk.conftest import (
    ARCHIVE_ROUTE,
    CASE_ROUTE,
    DAY,
    SMALL,
    Ticker,
    build_flow,
    has_route,
    need_route,
    seed_case,
    seed_unit,
)
from tests.quality.helpers import add_staff, sign_in
from tests.server.conftest import AppFactory, AppHandle, LiveServer

pytestmark = pytest.mark.kivy

SHOTS = ARTIFACTS / "kiosk"
PORTRAIT, LANDSCAPE = (1080, 1920), (1920, 1080)
ZHANG_ID = DEMO_CARDS["zhang"].id_number  # type: ignore[union-attr]
MIN_TARGET = 120  # px at 1080p: about 20 mm on a 21.5-inch panel


class UI:
    """Drives the one Kivy app: attach a flow, press buttons by touch, wait, look."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.closers: list[Callable[[], None]] = []
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="png")
        self.writes: list[Future[None]] = []

    # --- plumbing -------------------------------------------------------------------------

    def attach(self, handle: AppHandle, http: httpx.Client, *, ticker: Ticker | None = None,
               settings: KioskSettings | None = None) -> Flow:
        flow, hw = build_flow(handle, http, ticker=ticker or time.monotonic,
                              settings=settings or KioskSettings(name="k-ui"))
        self.app.attach(flow)
        self.closers.append(hw.close)
        return flow

    def detach(self) -> None:
        self.flush()
        self.writer.shutdown()
        self.app.attach(_idle_flow())
        for close in self.closers:
            close()
        self.closers.clear()

    def pump(self, seconds: float = 0.05) -> None:
        from kivy.base import EventLoop

        end = time.monotonic() + seconds
        while True:
            EventLoop.idle()
            if time.monotonic() >= end:
                return

    def wait(self, predicate: Callable[[], bool], what: str, timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > end:
                shown = self.app.shown
                raise AssertionError(f"timed out waiting for {what}; on screen: "
                                     f"{shown.screen if shown else None}, flow: "
                                     f"{self.app.flow.state.screen}")
            self.pump(0.02)

    def settled(self) -> bool:
        """The glass shows the flow's latest state, with no "please wait" over it."""
        shown = self.app.shown
        return shown is not None and shown is self.app.flow.state and not shown.busy

    def wait_screen(self, screen: Screen, timeout: float = 30) -> None:
        def there() -> bool:
            return self.settled() and self.app.shown.screen is screen
        self.wait(there, f"screen {screen.value}", timeout)
        self.pump(0.05)  # let layouts settle (they run on the next frames) before looking

    def orient(self, size: tuple[int, int]) -> None:
        from kivy.core.window import Window

        Window.size = size
        self.wait(lambda: tuple(Window.size) == size and self.app.portrait == (
            size[1] >= size[0]), f"window {size}")
        self.pump(0.05)

    # --- looking --------------------------------------------------------------------------

    def buttons(self) -> list[Any]:
        from kiosk.widgets import KButton

        return [w for w in self.app.root.walk(restrict=False)
                if isinstance(w, KButton) and w.get_root_window() is not None
                and not w.disabled and _visible(w)]

    def button(self, name: str) -> Any:
        found = [b for b in self.buttons() if b.name == name]
        assert found, f"no button {name!r}; have {sorted(b.name for b in self.buttons())}"
        return found[0]

    def press(self, name: str) -> None:
        """Touch the button as a finger would: down and up at its centre.

        First wait for the screen to settle, as a person waits for "please wait" to go:
        the busy overlay swallows touches, so a press made under it would be lost.
        """
        from kivy.tests.common import UnitTestTouch

        self.wait(self.settled, f"the screen to settle before pressing {name}")

        x, y = self.button(name).to_window(*self.button(name).center)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.pump(0.02)
        touch.touch_up()
        self.pump(0.04)  # a frame or two: what the press rebuilt gets laid out

    def text(self, *, everywhere: bool = False) -> str:
        """All the words on the glass (or, `everywhere`, in every screen, shown or not);
        not the technicians' demo buttons, which name the demo cards."""
        from kivy.uix.label import Label

        roots = [self.app.root]
        if everywhere:
            roots += list(self.app.root.ids.screens.screens)
        words = []
        for root in roots:
            for w in root.walk(restrict=False):
                if isinstance(w, Label) and (everywhere or _visible(w)) and not str(
                        getattr(w, "name", "")).startswith("demo:"):
                    words.append(w.text.replace("\n", ""))  # lines wrapped for width
        return "\n".join(words)

    def shot(self, name: str) -> None:
        """The screen as the applicant sees it. (Window.screenshot reads the offscreen
        window black; export_to_png is right but slow: the pixels are read here and the
        PNG is written on another thread while the test goes on.)"""
        from kivy.core.window import Window
        from PIL import Image

        w, h = Window.size
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.pump(0.05)
        texture = self.app.root.export_as_image().texture
        image = Image.frombytes("RGBA", texture.size, texture.pixels)
        path = SHOTS / f"{name}-{'portrait' if h >= w else 'landscape'}.png"
        self.writes.append(self.writer.submit(
            lambda: image.convert("RGB").save(path, compress_level=1)))

    def flush(self) -> None:
        """Wait for the screenshots still being written."""
        for write in self.writes:
            write.result()
        self.writes.clear()

    def small_targets(self) -> list[str]:
        """Buttons an unsteady hand could miss (technicians' demo buttons excepted)."""
        return [f"{b.name} {b.width:.0f}x{b.height:.0f}" for b in self.buttons()
                if not b.name.startswith("demo:")
                and (b.width < MIN_TARGET * self.app.s or b.height < MIN_TARGET * self.app.s)]


def _visible(widget: Any) -> bool:
    w = widget
    while w is not None:
        if getattr(w, "opacity", 1) == 0:
            return False
        w = w.parent if w.parent is not w else None
    return True


def _idle_flow() -> Flow:
    """A flow for between tests: no server, no devices."""
    hw = Hardware(DeviceManager(parse_device_config({})))
    return Flow(HallClient("http://127.0.0.1:9", "none"), hw, KioskSettings(name="idle"))


@pytest.fixture(scope="session")
def kivy_app() -> Iterator[Any]:
    from kivy.core.window import Window

    Window.size = PORTRAIT
    from kiosk.app import KioskApp

    app = KioskApp(_idle_flow(), demo=True)
    app._run_prepare()  # what App.run() does before its event loop; the tests pump it
    yield app
    app.driver.stop()
    app.stop()


@pytest.fixture
def ui(kivy_app: Any) -> Iterator[UI]:
    driver = UI(kivy_app)
    driver.orient(PORTRAIT)
    yield driver
    driver.detach()


@pytest.fixture
def live(make_hall: Callable[..., AppHandle]) -> Iterator[tuple[AppHandle, LiveServer, httpx.Client]]:
    handle = make_hall(SMALL)
    with LiveServer(handle.app) as server, httpx.Client(base_url=server.url) as http:
        yield handle, server, http


def test_font_is_the_chinese_one(kivy_app: Any) -> None:
    from kivy.core.text import DEFAULT_FONT, LabelBase

    assert "wqy" in kivy_app.font_path
    assert LabelBase._fonts[DEFAULT_FONT][0] == kivy_app.font_path


def test_take_a_ticket_end_to_end(ui: UI, live: tuple[AppHandle, LiveServer, httpx.Client]
                                  ) -> None:
    handle, _server, http = live
    flow = ui.attach(handle, http)
    ui.wait_screen(Screen.HOME)
    ui.press("demo:card:zhang")  # the technician's button lays the demo card on the reader
    ui.wait_screen(Screen.BUSINESS)
    assert "张*，您好" in ui.text() and "张伟" not in ui.text()
    ui.press("item:mortgage_general")
    ui.wait_screen(Screen.MATERIALS)
    assert "一般抵押权首次登记" in ui.text()
    ui.press("materials:confirm")
    ui.wait_screen(Screen.TICKET)
    result = flow.state.result
    assert result is not None and result.printed
    number = result.ticket.number
    assert number == "D001" and number in ui.text()
    assert number.encode() in b"".join(flow.hw.simulator("printer").jobs)
    on_server = http.get(f"/api/v1/tickets/{result.ticket.id}", headers=handle.headers("guide"))
    assert on_server.status_code == 200
    assert on_server.json()["number"] == number and on_server.json()["status"] == "waiting"
    ui.press("nav:home")
    ui.wait_screen(Screen.HOME)


def test_a_ticket_that_lost_a_race_is_explained_on_screen(
        ui: UI, live: tuple[AppHandle, LiveServer, httpx.Client]) -> None:
    """The number this ticket was to get was taken behind the server's back (409
    conflict): the screen says nothing was issued and to try once more."""
    from datetime import UTC, datetime

    from queue_server.store.tables import tickets

    handle, _server, http = live
    at = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    with handle.app.state.store.engine.begin() as conn:
        conn.execute(tickets.insert().values(
            id="elsewhere", day=DAY, number="D001", seq=1, business="mortgage",
            origin_business="mortgage", status="waiting", priority="normal", issued_at=at,
            queued_at=at))
    ui.attach(handle, http)
    ui.wait_screen(Screen.HOME)
    ui.press("demo:card:zhang")
    ui.wait_screen(Screen.BUSINESS)
    ui.press("item:mortgage_general")
    ui.wait_screen(Screen.MATERIALS)
    ui.press("materials:confirm")
    ui.wait_screen(Screen.MESSAGE)
    text = ui.text()
    assert "刚才没有办成" in text and "这次什么也没有记下。请再点一次" in text
    assert "本次操作没有生效" in text  # the server's own reason, beneath
    ui.shot("message-conflict")
    ui.flush()
    ui.press("nav:home")
    ui.wait_screen(Screen.HOME)


def test_green_channel_in_english_with_the_materials_list(
        ui: UI, live: tuple[AppHandle, LiveServer, httpx.Client]) -> None:
    handle, _server, http = live
    flow = ui.attach(handle, http)
    ui.wait_screen(Screen.HOME)
    ui.press("demo:card:elder")
    ui.wait_screen(Screen.GREEN)
    assert "王*英" in ui.text() and "70" in ui.text()
    ui.press("green:yes")
    ui.wait_screen(Screen.BUSINESS)
    ui.press("lang")
    ui.wait(lambda: ui.app.lang == "en", "English")
    ui.pump(0.1)
    assert "Please choose a service" in ui.text() and "请选择" not in ui.text()
    ui.press("item:query_owner")
    ui.wait_screen(Screen.MATERIALS)
    item = flow.state.item
    assert item is not None and item.materials_en[0][:30] in ui.text().replace("\n", " ")
    ui.press("materials:print")
    ui.wait(lambda: flow.state.materials_printed == "ok", "materials printed")
    ui.press("materials:confirm")
    ui.wait_screen(Screen.TICKET)
    assert "Green channel" in ui.text()
    result = flow.state.result
    assert result is not None
    ticket = http.get(f"/api/v1/tickets/{result.ticket.id}", headers=handle.headers("guide"))
    assert ticket.json()["priority"] == "green"


def test_idle_returns_to_the_start_and_forgets_the_applicant(
        ui: UI, live: tuple[AppHandle, LiveServer, httpx.Client]) -> None:
    handle, _server, http = live
    ticker = Ticker()
    flow = ui.attach(handle, http, ticker=ticker)
    ui.wait_screen(Screen.HOME)
    ui.press("demo:card:zhang")
    ui.wait_screen(Screen.BUSINESS)
    ui.press("item:mortgage_general")
    ui.wait_screen(Screen.MATERIALS)
    ui.press("materials:confirm")
    ui.wait_screen(Screen.TICKET)
    assert "张" in ui.text(everywhere=True) and "D001" in ui.text(everywhere=True)
    ticker.advance(flow.settings.idle_seconds + 1)
    ui.wait_screen(Screen.HOME)
    everything = ui.text(everywhere=True)
    assert "张" not in everything and "D001" not in everything and ZHANG_ID not in everything


def test_out_of_paper_the_number_is_shown_and_kept(
        ui: UI, live: tuple[AppHandle, LiveServer, httpx.Client]) -> None:
    handle, _server, http = live
    ticker = Ticker()
    flow = ui.attach(handle, http, ticker=ticker)
    ui.wait_screen(Screen.HOME)
    ui.press("demo:paper")
    ticker.advance(flow.settings.health_check_seconds)
    ui.wait(lambda: "打印机暂停使用" in ui.text(), "the printer fault on the home screen")
    ui.press("demo:card:zhang")
    ui.wait_screen(Screen.BUSINESS)
    ui.press("item:cert_collect")
    ui.wait_screen(Screen.MATERIALS)
    ui.press("materials:confirm")
    ui.wait_screen(Screen.TICKET)
    assert "H001" in ui.text() and "打印机缺纸" in ui.text()
    ui.wait(lambda: flow._unshown is None, "the screen to confirm the number was shown")
    ticker.advance(flow.settings.ticket_show_seconds + 1)
    ui.pump(0.5)
    result = flow.state.result
    assert result is not None
    ticket = http.get(f"/api/v1/tickets/{result.ticket.id}", headers=handle.headers("guide"))
    assert ticket.json()["status"] == "waiting"  # shown, so it counts


def test_follow_a_case_by_typing_its_number(
        ui: UI, live: tuple[AppHandle, LiveServer, httpx.Client]) -> None:
    handle, _server, http = live
    need_route(handle.app, CASE_ROUTE)
    seed_case(http, handle.headers("registry"), "BDC-2026-7", ZHANG_ID)
    ui.attach(handle, http)
    ui.wait_screen(Screen.HOME)
    ui.press("home:case")
    ui.wait_screen(Screen.CASE_ENTRY)
    ui.press("key:ABC")
    for key in "BDC":
        ui.press(f"key:{key}")
    ui.press("key:123")
    for key in "-2026-7":
        ui.press(f"key:{key}")
    ui.wait(lambda: ui.app.flow.state.case_input == "BDC-2026-7", "the typed case number")
    ui.press("case:submit")
    ui.wait_screen(Screen.CARD)
    ui.press("demo:card:zhang")
    ui.wait_screen(Screen.CASE)
    text = ui.text()
    assert "二手房买卖转移登记" in text and "复审" in text and "正在办理" in text


def test_property_archive_after_laying_the_card(
        ui: UI, live: tuple[AppHandle, LiveServer, httpx.Client]) -> None:
    handle, _server, http = live
    need_route(handle.app, ARCHIVE_ROUTE)
    seed_unit(http, handle.headers("registry"), "U-UI-1", ZHANG_ID)
    ui.attach(handle, http)
    ui.wait_screen(Screen.HOME)
    ui.press("home:archive")
    ui.wait_screen(Screen.CARD)
    ui.press("demo:card:zhang")
    ui.wait_screen(Screen.ARCHIVE)
    text = ui.text()
    assert "解放大道88号" in text and "中国建设银行衡阳分行" in text and "已查封" in text
    ui.press("nav:home")
    ui.wait_screen(Screen.HOME)
    assert "解放大道88号" not in ui.text(everywhere=True)


def test_a_rating_left_half_way_sends_the_overall_and_leaves_nothing_on_glass(
        ui: UI, live: tuple[AppHandle, LiveServer, httpx.Client]) -> None:
    handle, _server, http = live
    add_staff(http, handle, "3003", "赵敏")  # type: ignore[arg-type]
    sign_in(http, handle, 6, "3003")  # type: ignore[arg-type]
    ticket = http.post("/api/v1/tickets", json={"business": "query", "applicant": {
        "id_number": ZHANG_ID, "name": "张伟"}}, headers=handle.headers("kiosk")).json()
    window = handle.headers("window", 6)
    assert http.post("/api/v1/windows/6/call-next", headers=window).status_code == 200
    assert http.post(f"/api/v1/tickets/{ticket['id']}/complete",
                     headers=window).status_code == 200
    ticker = Ticker()
    flow = ui.attach(handle, http, ticker=ticker)
    ui.wait_screen(Screen.HOME)
    ui.press("home:rate")
    ui.wait_screen(Screen.CARD)
    ui.press("demo:card:zhang")
    ui.wait_screen(Screen.RATE)
    text = ui.text()
    assert ticket["number"] in text and "赵敏" in text and "3003" in text and "6号窗口" in text
    ui.press("rate:1")
    ui.wait_screen(Screen.RATE_REASON)
    assert "服务态度不好" in ui.text() and "无人操作时，将只提交您的总体评价" in ui.text()
    ticker.advance(flow.settings.idle_seconds + 1)
    ui.wait_screen(Screen.HOME)
    everything = ui.text(everywhere=True)
    assert "赵敏" not in everything and ticket["number"] not in everything
    rated = http.get("/api/v1/evaluations", params={"from": "2026-11-23", "to": "2026-11-23"},
                     headers=handle.headers("manager")).json()
    # The overall touch was given: sent as it is, without a reason (as the pads do).
    assert [(e["rating"], e["reason"]) for e in rated] == [(1, None)]


# --- every screen, both orientations ------------------------------------------------------


def _walk(ui: UI, handle: AppHandle, http: httpx.Client) -> list[str]:
    """Visit every screen through the flow; photograph each in both orientations (turning
    the window between the two) and check its touch targets. Returns the files written."""
    problems: list[str] = []
    shots: list[str] = []

    def take(name: str) -> None:
        from kivy.core.window import Window

        first = tuple(Window.size)
        for size in (first, LANDSCAPE if first == PORTRAIT else PORTRAIT):
            if tuple(Window.size) != size:
                ui.orient(size)
            orientation = "portrait" if size == PORTRAIT else "landscape"
            ui.shot(name)
            shots.append(f"{name}-{orientation}.png")
            problems.extend(f"{name} ({orientation}): {p}" for p in ui.small_targets())

    ticker = Ticker()
    flow = ui.attach(handle, http, ticker=ticker)
    app = ui.app
    ui.wait_screen(Screen.HOME)
    take("home")
    ui.press("home:ticket")
    ui.wait_screen(Screen.CARD)
    take("card")
    ui.press("demo:card:elder")
    ui.wait_screen(Screen.GREEN)
    take("green")
    ui.press("green:yes")
    ui.wait_screen(Screen.BUSINESS)
    take("business")
    ui.press("business:more")
    ui.wait_screen(Screen.CATEGORIES)
    take("categories")
    ui.press("category:transfer")
    ui.wait_screen(Screen.ITEMS)
    take("items")
    ui.press("item:second_hand_sale")
    ui.wait_screen(Screen.MATERIALS)
    take("materials")
    ui.press("materials:print")
    ui.wait(lambda: flow.state.materials_printed == "ok", "materials printed")
    take("materials-printed")
    ui.press("materials:confirm")
    ui.wait_screen(Screen.TICKET)
    take("ticket")
    ui.press("nav:home")
    ui.wait_screen(Screen.HOME)
    ui.press("demo:lift")

    ui.press("demo:paper")
    ticker.advance(flow.settings.health_check_seconds)
    ui.wait(lambda: "printer" in flow.state.faults, "the printer fault")
    ui.pump(0.2)
    take("home-printer-fault")
    ui.press("demo:card:zhang")
    ui.wait_screen(Screen.BUSINESS)
    ui.press("item:second_hand_sale")
    ui.wait_screen(Screen.MATERIALS)
    ui.press("materials:confirm")
    ui.wait_screen(Screen.TICKET)
    take("ticket-not-printed")
    ui.press("demo:paper")
    ui.press("nav:home")
    ui.wait_screen(Screen.HOME)
    ui.press("demo:lift")
    ui.pump(0.5)  # the reader sees the card go before it comes back
    ui.press("demo:card:zhang")
    ui.wait_screen(Screen.BUSINESS)
    ui.press("item:second_hand_sale")
    ui.wait_screen(Screen.MATERIALS)
    ui.press("materials:confirm")  # zhang holds one already
    ui.wait_screen(Screen.MESSAGE)
    take("message")
    ui.press("nav:home")
    ui.wait_screen(Screen.HOME)

    ui.press("home:appointment")
    ui.wait_screen(Screen.SCAN)
    take("scan")
    ui.press("nav:home")
    ui.wait_screen(Screen.HOME)
    ui.press("demo:lift")

    case_no = "BDC-2026-8"
    if has_route(handle.app, CASE_ROUTE):
        seed_case(http, handle.headers("registry"), case_no, ZHANG_ID)
        ui.press("home:case")
        ui.wait_screen(Screen.CASE_ENTRY)
        for ch in case_no:
            app.do("case_key", ch)
        ui.wait(lambda: flow.state.case_input == case_no, "typed")
        take("case-entry")
        ui.press("key:ABC")
        take("case-entry-letters")
        ui.press("case:submit")
        ui.wait_screen(Screen.CARD)
        ui.press("demo:card:zhang")
        ui.wait_screen(Screen.CASE)
    else:  # drawn from a made-up state: the routes are not there to give one
        app.render(replace(flow.state, screen=Screen.CASE, case=_sample_case()))
    take("case")
    ui.press("nav:home")
    ui.wait_screen(Screen.HOME)
    ui.press("demo:lift")

    if has_route(handle.app, ARCHIVE_ROUTE):
        seed_unit(http, handle.headers("registry"), "U-SHOT-1", ZHANG_ID)
        seed_unit(http, handle.headers("registry"), "U-SHOT-2", ZHANG_ID, mortgaged=False,
                  seized=False)
        ui.press("home:archive")
        ui.wait_screen(Screen.CARD)
        ui.pump(0.3)
        ui.press("demo:card:zhang")
        ui.wait_screen(Screen.ARCHIVE)
    else:
        app.render(replace(flow.state, screen=Screen.ARCHIVE, properties=_sample_archive()))
    take("archive")
    ui.press("nav:home")
    ui.wait_screen(Screen.HOME)
    ui.press("demo:lift")

    # 好差评: zhang's journey served at two windows, rated one after the other.
    ui.press("home:rate")
    ui.wait_screen(Screen.CARD)
    take("card-rate")
    ui.press("lang")  # both ways in English too: the card, or the ticket's QR
    ui.wait(lambda: app.lang == "en", "English")
    take("card-rate-en")
    ui.press("lang")
    ui.wait(lambda: app.lang == "zh", "Chinese")
    ui.press("demo:card:zhang")
    ui.wait_screen(Screen.MESSAGE)  # nothing served yet
    take("rate-nothing")
    ui.press("nav:home")
    ui.wait_screen(Screen.HOME)
    ui.press("demo:lift")
    _serve_journey(http, handle)
    ui.pump(0.3)  # the reader sees the card go before it comes back
    ui.press("home:rate")
    ui.wait_screen(Screen.CARD)
    ui.press("demo:card:zhang")
    ui.wait_screen(Screen.RATE)
    take("rate")
    ui.press("rate:2")
    ui.wait_screen(Screen.RATE_REASON)
    take("rate-reason")
    ui.press("reason:slow")
    ui.wait_screen(Screen.RATE_THANKS)
    take("rate-thanks-next")
    ui.press("rate_thanks:next")
    ui.wait_screen(Screen.RATE)
    ui.press("lang")
    ui.wait(lambda: app.lang == "en", "English")
    ui.wait_screen(Screen.RATE)
    assert "Window 5" in ui.text() and "Very dissatisfied" in ui.text()
    take("rate-en")
    ui.press("rate:5")
    ui.wait_screen(Screen.RATE_DIMS)
    ui.press("dim:efficiency:5")
    ui.wait_screen(Screen.RATE_DIMS)
    ui.press("dim:attitude:3")
    ui.wait_screen(Screen.RATE_DIMS)
    assert flow.state.scores == (("efficiency", 5), ("attitude", 3))
    text = ui.text()
    assert "Rate these three too?" in text and "Efficiency" in text and "办事效率" in text
    take("rate-dims-en")
    ui.press("lang")
    ui.wait(lambda: app.lang == "zh", "Chinese")
    ui.wait_screen(Screen.RATE_DIMS)
    assert "提交评价" in ui.text() and "跳过" in ui.text()
    ui.press("dim:attitude:3")  # touched again: un-chosen
    ui.wait_screen(Screen.RATE_DIMS)
    ui.press("dim:attitude:4")
    ui.wait_screen(Screen.RATE_DIMS)
    take("rate-dims")
    ui.press("nav:back")  # the level can still be changed
    ui.wait_screen(Screen.RATE)
    ui.press("rate:4")
    ui.wait_screen(Screen.RATE_DIMS)
    assert flow.state.scores == ()
    ui.press("dim:efficiency:5")
    ui.wait_screen(Screen.RATE_DIMS)
    ui.press("dim:competence:4")
    ui.wait_screen(Screen.RATE_DIMS)
    ui.press("rate_dims:submit")
    ui.wait_screen(Screen.RATE_THANKS)
    take("rate-thanks")
    rated = http.get("/api/v1/evaluations", params={"from": "2026-11-23", "to": "2026-11-23"},
                     headers=handle.headers("manager")).json()
    assert sorted((e["window"], e["rating"], e["reason"], e["efficiency"], e["competence"],
                   e["attitude"]) for e in rated) == [
        (1, 2, "slow", None, None, None), (5, 4, None, 5, 4, None)]
    ui.press("nav:home")
    ui.wait_screen(Screen.HOME)
    assert "李娜" not in ui.text(everywhere=True) and "张伟" not in ui.text(everywhere=True)
    ui.press("lang")
    ui.wait(lambda: app.lang == "en", "English")
    take("home-en")

    # Out of service: the same kiosk pointed at a server that is not there.
    app.attach(_idle_flow())
    ui.wait_screen(Screen.OFFLINE)
    take("offline")
    assert not problems, "touch targets under 120 px:\n" + "\n".join(problems)
    return shots


def _serve_journey(http: httpx.Client, handle: AppHandle) -> None:
    """Zhang's second-hand sale (taken earlier in the walk) served at the tax window (5)
    and then at window 1, each by a signed-in member of staff; other tickets met on the
    way are simply finished."""
    add_staff(http, handle, "1001", "张伟")  # type: ignore[arg-type]
    add_staff(http, handle, "2002", "李娜")  # type: ignore[arg-type]
    sign_in(http, handle, 5, "2002")  # type: ignore[arg-type]
    sign_in(http, handle, 1, "1001")  # type: ignore[arg-type]
    waiting = http.get("/api/v1/tickets", params={"status": "waiting"},
                       headers=handle.headers("guide")).json()
    [mine] = [t for t in waiting if t["applicant"] and t["applicant"]["id_masked"].endswith(
        ZHANG_ID[-4:])]
    for window in (5, 1):
        headers = handle.headers("window", window)
        while True:
            called = http.post(f"/api/v1/windows/{window}/call-next", headers=headers).json()
            ticket = called["ticket"]["id"]
            http.post(f"/api/v1/tickets/{ticket}/start", headers=headers)
            handle.clock.advance(minutes=5)
            if ticket == mine["id"]:
                r = http.post(f"/api/v1/tickets/{ticket}/forward", headers=headers)
                assert r.status_code == 200, r.text
                break
            http.post(f"/api/v1/tickets/{ticket}/complete", headers=headers)


def _sample_case() -> CaseProgress:
    steps = ("已受理", "初审", "复审", "核定", "登簿", "缮证", "待领证", "已领证")
    return CaseProgress("BDC-2026-8", "二手房买卖转移登记", "", "复审",
                        tuple(CaseStep(n, "", "done" if i < 2 else "current" if i == 2
                                       else "pending") for i, n in enumerate(steps)),
                        "正在审核中，无需再来大厅。")


def _sample_archive() -> tuple[Property, ...]:
    return (Property("衡阳市蒸湘区解放大道88号3栋2单元501室", "湘(2024)衡阳市不动产权第0012345号",
                     "98.5 ㎡", "住宅", "owner", "", "张* 共同共有",
                     mortgages=(Encumbrance("中国建设银行衡阳分行", "32 万元",
                                            "2024-03-01 — 2044-03-01", "active"),)),)


def test_every_screen_in_both_orientations_with_big_enough_targets(
        ui: UI, make_hall: Callable[..., AppHandle]) -> None:
    handle = make_hall(SMALL)
    with LiveServer(handle.app) as server, httpx.Client(base_url=server.url) as http:
        shots = _walk(ui, handle, http)
    ui.flush()
    assert len(shots) == 2 * 29
    for name in shots:
        assert (SHOTS / name).stat().st_size > 10_000, name  # a drawn screen, not a blank


def test_the_demo_slip_button_checks_in_against_a_demo_server(
        ui: UI, make_app: AppFactory) -> None:
    # `hallq serve --demo` checks slips with the demo key; the kiosk's demo button signs
    # with it, as a booking system signs with a real hall's key. The kiosk holds no key.
    handle = make_app(SMALL, catalogue_path=DEFAULT_CATALOGUE, slip_key=DEMO_KEY)
    with LiveServer(handle.app) as server, httpx.Client(base_url=server.url) as http:
        flow = ui.attach(handle, http)
        ui.wait_screen(Screen.HOME)
        ui.press("demo:slip:a")
        ui.wait_screen(Screen.TICKET)
        result = flow.state.result
        assert result is not None and result.appointment in ("in_slot", "outside_slot")
        ticket = http.get(f"/api/v1/tickets/{result.ticket.id}",
                          headers=handle.headers("guide")).json()
        assert ticket["priority_reason"] in ("appointment", "appointment_outside_slot")
