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
from datetime import UTC, datetime
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
    need_route,
    seed_card,
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
        self.app.now = lambda: datetime.now(UTC)  # a test may have lent it its server's clock
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
    # One item at one window (served as 抵押登记): no "first step", which means a journey.
    assert "取号成功" in ui.text() and "第一步" not in ui.text() and "抵押登记" not in ui.text()
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
    assert "王**" in ui.text() and "王秀英" not in ui.text() and "70" in ui.text()
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
    # The ticket screen names nobody; the session holds the card holder until idle.
    assert flow.state.applicant is not None and "D001" in ui.text(everywhere=True)
    ticker.advance(flow.settings.idle_seconds + 1)
    ui.wait_screen(Screen.HOME)
    everything = ui.text(everywhere=True)
    assert flow.state.applicant is None
    # "张" alone is in the archive viewer's hint (两指张开): the masked surname is what a
    # screen would show of the person.
    assert "张**" not in everything and "D001" not in everything and ZHANG_ID not in everything


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
    # The top says plainly that no paper came: not 取号成功 over an empty paper slot.
    assert "取号成功" not in ui.text() and "号票没有打印出来，请记下您的号码" in ui.text()
    ui.shot("ticket-not-printed-single")
    ui.wait(lambda: flow._unshown is None, "the screen to confirm the number was shown")
    ticker.advance(flow.settings.ticket_show_seconds + 1)
    ui.pump(0.5)
    result = flow.state.result
    assert result is not None
    ticket = http.get(f"/api/v1/tickets/{result.ticket.id}", headers=handle.headers("guide"))
    assert ticket.json()["status"] == "waiting"  # shown, so it counts


def _rendered_lines(label: Any) -> list[str]:
    """The lines Kivy drew for `label`, as the applicant reads them."""
    return ["".join(word.text for word in line.words) for line in label._label._cached_lines]


def _desk_split(ui: UI) -> list[list[str]]:
    """Every label on the glass that names 咨询台 with the word broken across two lines
    ("…请到咨" / "询台。"), as its drawn lines; [] when there is none."""
    from kivy.uix.label import Label

    broken = []
    for w in ui.app.root.walk(restrict=False):
        if isinstance(w, Label) and _visible(w) and "咨询台" in w.text.replace("\n", ""):
            lines = _rendered_lines(w)
            if "".join(lines).count("咨询台") != sum(line.count("咨询台") for line in lines):
                broken.append(lines)
    return broken


def test_notices_never_split_the_desk_across_lines_in_either_orientation(
        ui: UI, live: tuple[AppHandle, LiveServer, httpx.Client]) -> None:
    """Out of paper, the ticket screen ends 需要帮助请到咨询台; portrait broke it "咨" / "询台",
    and an elderly applicant read the end of a line as the end of a word. Neither
    orientation breaks it there, nor in the scan screen's or the offline screen's notice."""
    handle, _server, http = live
    ticker = Ticker()
    flow = ui.attach(handle, http, ticker=ticker)
    ui.wait_screen(Screen.HOME)
    ui.press("demo:paper")  # the simulated printer runs out of paper
    ticker.advance(flow.settings.health_check_seconds)
    ui.wait(lambda: "printer" in flow.state.faults, "the printer fault")
    ui.press("demo:card:zhang")
    ui.wait_screen(Screen.BUSINESS)
    ui.press("item:cert_collect")
    ui.wait_screen(Screen.MATERIALS)
    ui.press("materials:confirm")
    ui.wait_screen(Screen.TICKET)
    result = flow.state.result
    assert result is not None and result.print_problem == "paper_out"
    broken: dict[str, list[list[str]]] = {}
    for size in (PORTRAIT, LANDSCAPE):
        ui.orient(size)
        ui.wait_screen(Screen.TICKET)
        assert "需要帮助请到咨询台" in ui.text()
        ui.shot("ticket-paper-out-desk")
        broken[f"ticket {size}"] = _desk_split(ui)
    ui.orient(PORTRAIT)
    ui.press("nav:home")
    ui.wait_screen(Screen.HOME)
    ui.press("demo:lift")

    ui.press("home:appointment")
    ui.wait_screen(Screen.SCAN)
    flow.hw.simulator("scanner").present("not a slip")
    ui.wait(lambda: flow.state.notice == "slip_invalid", "the unreadable-code notice")
    for size in (PORTRAIT, LANDSCAPE):
        ui.orient(size)
        ui.wait_screen(Screen.SCAN)
        assert "或到咨询台" in ui.text()
        ui.shot("scan-invalid-desk")
        broken[f"scan {size}"] = _desk_split(ui)
    ui.orient(PORTRAIT)

    ui.app.attach(_idle_flow())  # no server: out of service
    for size in (PORTRAIT, LANDSCAPE):
        ui.orient(size)
        ui.wait_screen(Screen.OFFLINE)
        assert "请到咨询台" in ui.text()
        ui.shot("offline-desk")
        broken[f"offline {size}"] = _desk_split(ui)
    ui.orient(PORTRAIT)
    assert not any(broken.values()), {k: v for k, v in broken.items() if v}


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
    assert "预计办结" in text and "已超期" not in text  # within its promised time


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
    assert "第一步先办：税务" in ui.text()  # a real journey: tax first, then two more windows
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
    need_route(handle.app, CASE_ROUTE)  # shipped: its screens are drawn from the real route
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
    take("case")
    ui.press("nav:home")
    ui.wait_screen(Screen.HOME)
    ui.press("demo:lift")

    need_route(handle.app, ARCHIVE_ROUTE)
    seed_unit(http, handle.headers("registry"), "U-SHOT-1", ZHANG_ID)
    seed_unit(http, handle.headers("registry"), "U-SHOT-2", ZHANG_ID, mortgaged=False,
              seized=False)
    ui.press("home:archive")
    ui.wait_screen(Screen.CARD)
    ui.pump(0.3)
    ui.press("demo:card:zhang")
    ui.wait_screen(Screen.ARCHIVE)
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


def test_every_screen_in_both_orientations_with_big_enough_targets(
        ui: UI, make_hall: Callable[..., AppHandle]) -> None:
    handle = make_hall(SMALL)
    with LiveServer(handle.app) as server, httpx.Client(base_url=server.url) as http:
        shots = _walk(ui, handle, http)
    ui.flush()
    assert len(shots) == 2 * 29
    from PIL import Image

    for name in shots:
        # A drawn screen, not a blank: text antialiased gives hundreds of colours, a black
        # or one-colour window a few (the files stay for a person to open).
        with Image.open(SHOTS / name) as img:
            assert img.convert("RGB").getcolors(maxcolors=16) is None, f"{name} is blank"


def test_the_demo_slip_button_checks_in_against_a_demo_server(
        ui: UI, make_app: AppFactory) -> None:
    # `hallq serve --demo` checks slips with the demo key; the kiosk's demo button signs
    # with it, as a booking system signs with a real hall's key. The kiosk holds no key.
    # The button books the slot that began ten minutes before the kiosk's now; the test
    # server's clock is fixed (09:00 on its test day), so the kiosk is given that clock:
    # on the wall clock the slip would fall outside the slot on every run.
    handle = make_app(SMALL, catalogue_path=DEFAULT_CATALOGUE, slip_key=DEMO_KEY)
    ui.app.now = handle.clock
    with LiveServer(handle.app) as server, httpx.Client(base_url=server.url) as http:
        flow = ui.attach(handle, http)
        ui.wait_screen(Screen.HOME)
        ui.press("demo:slip:a")
        ui.wait_screen(Screen.TICKET)
        result = flow.state.result
        assert result is not None and result.appointment == "in_slot"
        ticket = http.get(f"/api/v1/tickets/{result.ticket.id}",
                          headers=handle.headers("guide")).json()
        assert ticket["priority"] == "appointment" and ticket["priority_reason"] == "appointment"


# --- issue 15: the kiosk's screens as a new user found them --------------------------------

HENGYANG = SMALL.with_name("hengyang.toml")


def test_the_common_items_and_the_others_fit_the_first_screen(
        ui: UI, make_hall: Callable[..., AppHandle]) -> None:
    """The big hall's 11 common items and "其他业务" on one page, portrait and landscape:
    an elderly applicant sees 领取不动产权证书 without paging."""
    from kivy.core.window import Window

    handle = make_hall(HENGYANG)
    with LiveServer(handle.app) as server, httpx.Client(base_url=server.url) as http:
        flow = ui.attach(handle, http)
        ui.wait_screen(Screen.HOME)
        ui.press("demo:card:elder")
        ui.wait_screen(Screen.GREEN)
        ui.press("green:no")
        ui.wait_screen(Screen.BUSINESS)
        hall = flow.state.hall
        assert hall is not None and len(hall.common_items) == 11 and hall.has_more
        for size in (PORTRAIT, LANDSCAPE):
            ui.orient(size)
            ui.wait_screen(Screen.BUSINESS)
            names = {b.name for b in ui.buttons()}
            assert {f"item:{i.code}" for i in hall.common_items} <= names, size
            assert "business:more" in names and "page:next" not in names, size
            assert "领取不动产权证书" in ui.text()
            ui.shot("business-big-hall")
            assert not ui.small_targets(), ui.small_targets()
            for b in ui.buttons():  # every label inside its button, none cut
                if b.name.startswith("item:"):
                    assert b.texture_size[1] <= b.height and b.texture_size[0] <= b.width, b.name
        ui.press("item:cert_collect")
        ui.wait_screen(Screen.MATERIALS)
        Window.size = PORTRAIT


def _inside_screen(ui: UI, widget: Any) -> bool:
    """Drawn wholly inside the screen's area: not under the top bar, not below the nav."""
    area = ui.app.root.ids.screens
    x, y = widget.to_window(widget.x, widget.y)
    top = y + widget.height
    ax, ay = area.to_window(area.x, area.y)
    return y >= ay - 1 and top <= ay + area.height + 1 and widget.height > 1


def test_landscape_materials_ticket_and_keypad_are_readable(
        ui: UI, live: tuple[AppHandle, LiveServer, httpx.Client]) -> None:
    """Landscape, where height runs short: the materials list shows most of its items with
    a "more below" cue; the printed notice leaves the title whole; the English ticket's
    title and 'Nobody is ahead of you' sit below the top bar; the letter keypad leaves the
    case-entry title on screen."""
    from kiosk.widgets import NumberedItem

    handle, _server, http = live
    need_route(handle.app, CASE_ROUTE)
    flow = ui.attach(handle, http)
    ui.orient(LANDSCAPE)
    ui.wait_screen(Screen.HOME)
    ui.press("demo:card:elder")  # the tallest ticket: green channel, a long journey name
    ui.wait_screen(Screen.GREEN)
    ui.press("green:yes")
    ui.wait_screen(Screen.BUSINESS)
    ui.press("item:second_hand_loan")
    ui.wait_screen(Screen.MATERIALS)
    screen = ui.app.root.ids.screens.get_screen("materials")
    scroll = screen.ids.scroll

    def shown_items() -> int:
        sx, sy = scroll.to_window(scroll.x, scroll.y)
        out = 0
        for w in screen.ids.list.children:
            if isinstance(w, NumberedItem):
                x, y = w.to_window(w.x, w.y)
                out += y >= sy - 1 and y + w.height <= sy + scroll.height + 1
        return out

    for printed in (False, True):
        if printed:
            ui.press("materials:print")
            ui.wait(lambda: flow.state.materials_printed == "ok", "materials printed")
            ui.pump(0.2)
        ui.shot("materials-landscape-printed" if printed else "materials-landscape")
        assert shown_items() >= 4, (printed, shown_items())
        more = screen.ids.more
        assert more.opacity == 1 and "更多" in more.text and _inside_screen(ui, more)
        title = screen.ids.title
        assert _inside_screen(ui, title) and title.height >= title.texture_size[1] - 1
        lines = ["".join(w.text for w in line.words) for line in title._label._cached_lines]
        assert lines and not any(line.lstrip().startswith(("」", "）")) for line in lines), lines
        if printed:  # said on the print button, in landscape: no line taken from the list
            assert "已打印" in ui.button("materials:print").text
    scroll.scroll_y = 0  # read to the end: the cue goes
    ui.pump(0.2)
    assert screen.ids.more.opacity == 0

    ui.press("lang")
    ui.wait(lambda: ui.app.lang == "en", "English")
    ui.press("materials:confirm")
    ui.wait_screen(Screen.TICKET)
    ticket = ui.app.root.ids.screens.get_screen("ticket")
    ui.shot("ticket-en")
    assert "Nobody is ahead of you" in ui.text()
    for key in ("title", "ahead", "number", "item"):
        assert _inside_screen(ui, ticket.ids[key]), key
    ui.press("nav:home")
    ui.wait_screen(Screen.HOME)

    ui.press("home:case")
    ui.wait_screen(Screen.CASE_ENTRY)
    ui.press("key:ABC")
    ui.pump(0.2)
    entry = ui.app.root.ids.screens.get_screen("case_entry")
    ui.shot("case-entry-letters-probe")
    assert _inside_screen(ui, entry.ids.title) and _inside_screen(ui, entry.ids.typed)
    for name in ("key:A", "key:Z", "case:submit", "case:delete"):
        assert _inside_screen(ui, ui.button(name)), name
    assert not ui.small_targets(), ui.small_targets()
    # One 确定 on the glass, the keypad's own, and a touch on it is not swallowed by the
    # row it replaced (that row, hidden and disabled, once lay over the keys).
    from kiosk.widgets import KButton
    submits = [w for w in ui.app.root.walk(restrict=False)
               if isinstance(w, KButton) and w.name == "case:submit"]
    assert len(submits) == 1, [(b.pos, b.disabled) for b in submits]
    ui.press("key:B")
    ui.wait(lambda: ui.app.flow.state.case_input == "B", "typed B")
    ui.press("case:submit")
    ui.wait_screen(Screen.CARD)
    ui.orient(PORTRAIT)


def test_a_case_past_its_promised_date_says_overdue(
        ui: UI, live: tuple[AppHandle, LiveServer, httpx.Client]) -> None:
    handle, _server, http = live
    need_route(handle.app, CASE_ROUTE)
    seed_card(http, handle.headers("registry"), ZHANG_ID)
    push = {"version": 1, "item": "second_hand_sale", "item_name": "二手房买卖转移登记",
            "accepted_at": "2026-11-10T09:12:00+08:00", "due_date": "2026-11-20",
            "applicants": [{"id_number": ZHANG_ID, "name": "张伟", "role": "权利人"}],
            "steps": [{"seq": 1, "step": "accepted", "at": "2026-11-10T10:00:00+08:00"},
                      {"seq": 2, "step": "review_1", "at": "2026-11-12T10:00:00+08:00"}]}
    r = http.put("/api/v1/cases/BDC-2026-9", json=push, headers=handle.headers("registry"))
    assert r.status_code in (200, 201), r.text
    ui.attach(handle, http)
    ui.wait_screen(Screen.HOME)
    ui.press("home:case")
    ui.wait_screen(Screen.CASE_ENTRY)
    for ch in "BDC-2026-9":
        ui.app.do("case_key", ch)
    ui.wait(lambda: ui.app.flow.state.case_input == "BDC-2026-9", "typed")
    ui.press("case:submit")
    ui.wait_screen(Screen.CARD)
    ui.press("demo:card:zhang")
    ui.wait_screen(Screen.CASE)
    for size in (PORTRAIT, LANDSCAPE):
        ui.orient(size)
        ui.wait_screen(Screen.CASE)
        # ui.text() joins the lines as wrapped, with no space where a line broke.
        text = ui.text().replace(" ", "")
        assert "已超期应于2026-11-20办结请到咨询台" in text, text
        ui.shot("case-overdue")
    ui.press("lang")
    ui.wait(lambda: "OverdueDueby2026-11-20" in ui.text().replace(" ", ""), "the English hint")
    ui.shot("case-overdue-en")
    ui.orient(PORTRAIT)


# --- 档案原貌 / 房屋现貌: the image viewer -------------------------------------------------

def _scan(n: int) -> bytes:
    """A register page as a scanner gives it: a form with lines of text, in Chinese."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    from kiosk.fonts import find_font

    im = Image.new("L", (1240, 1754), 250)  # A4 at 150 dpi, greyscale
    d = ImageDraw.Draw(im)
    big, small = ImageFont.truetype(find_font(), 64), ImageFont.truetype(find_font(), 34)
    d.text((380, 90), "不动产登记簿", fill=0, font=big)
    d.text((520, 180), f"第 {n} 页", fill=0, font=small)
    d.rectangle((90, 260, 1150, 1650), outline=0, width=4)
    rows = ["不动产单元号  U-UI-IMG", "坐落  衡阳市蒸湘区解放大道88号3栋2单元501室",
            "权利人  张伟", "共有情况  共同共有", "用途  住宅    面积  98.50 ㎡",
            "登记时间  2024年3月1日", "登簿人  李明"]
    for i, row in enumerate(rows):
        y = 300 + i * 130
        d.text((130, y), row, fill=20, font=small)
        d.line((90, y + 100, 1150, y + 100), fill=0, width=2)
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def _house() -> bytes:
    import io

    from PIL import Image, ImageDraw

    im = Image.new("RGB", (1600, 1200), (150, 190, 230))
    d = ImageDraw.Draw(im)
    d.rectangle((0, 900, 1600, 1200), fill=(90, 150, 80))
    d.rectangle((450, 420, 1150, 950), fill=(220, 200, 170), outline=(90, 60, 40), width=8)
    d.polygon([(400, 440), (800, 160), (1200, 440)], fill=(160, 60, 50))
    for x in (520, 900):
        d.rectangle((x, 520, x + 170, 690), fill=(120, 170, 220), outline=(60, 40, 30), width=6)
    d.rectangle((730, 720, 870, 950), fill=(110, 70, 40))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90)
    return out.getvalue()


def _cached(texture: Any) -> bool:
    """Whether Kivy's object cache holds `texture` (or an image whose texture it is)."""
    from kivy.cache import Cache

    for entries in Cache._objects.values():
        for entry in entries.values():
            obj = entry["object"]
            if obj is texture or getattr(obj, "texture", None) is texture:
                return True
    return False


def _pinch(ui: UI, widget: Any, spread: float) -> None:
    """Two fingers on the image, moved apart by `spread` px each, as a person zooms."""
    from kivy.tests.common import UnitTestTouch

    cx, cy = widget.to_window(*widget.center)
    a, b = UnitTestTouch(cx - 60, cy), UnitTestTouch(cx + 60, cy)
    a.touch_down()
    b.touch_down()
    ui.pump(0.02)
    for step in range(1, 6):
        a.touch_move(cx - 60 - spread * step / 5, cy)
        b.touch_move(cx + 60 + spread * step / 5, cy)
        ui.pump(0.02)
    a.touch_up()
    b.touch_up()
    ui.pump(0.04)


def _shown(zoom: Any) -> tuple[float, float]:
    """The picture's size on the glass, fitted ("contain") in the view, at scale 1."""
    w, h = zoom.picture.norm_image_size
    return w * zoom.scale, h * zoom.scale


def test_the_owner_pages_through_the_originals_and_sees_the_photo(
        ui: UI, live: tuple[AppHandle, LiveServer, httpx.Client]) -> None:
    handle, _server, http = live
    reg = handle.headers("registry")
    seed_unit(http, reg, "U-UI-IMG", ZHANG_ID, seized=False)
    for n, append in ((1, "false"), (2, "true"), (3, "true")):
        r = http.put("/api/v1/units/U-UI-IMG/originals", content=_scan(n),
                     params={"append": append}, headers={**reg, "Content-Type": "image/png"})
        assert r.status_code == 200, r.text
    r = http.put("/api/v1/units/U-UI-IMG/photo", content=_house(),
                 headers={**reg, "Content-Type": "image/jpeg"})
    assert r.status_code == 200, r.text
    flow = ui.attach(handle, http)
    ui.wait_screen(Screen.HOME)
    ui.press("home:archive")
    ui.wait_screen(Screen.CARD)
    ui.press("demo:card:zhang")
    ui.wait_screen(Screen.ARCHIVE)
    assert "查看档案原貌共 3 页" in ui.text() and "查看房屋照片" in ui.text()
    ui.shot("images-archive-list")
    ui.press("images:original:U-UI-IMG")
    ui.wait_screen(Screen.IMAGES)
    zoom = ui.app.root.ids.screens.get_screen("images").ids.zoom
    assert "第 1 / 3 页" in ui.text() and zoom.picture.texture is not None
    assert zoom.picture.texture.size[1] == 1754  # the page, fitted on the glass
    # Not in Kivy's caches (kv.texture, kv.image): once the viewer drops it, it is gone.
    assert not _cached(zoom.picture.texture)
    assert "images:prev" not in [b.name for b in ui.buttons()]
    ui.shot("images-original-page1")
    # Turned, the page keeps most of the height (a row of buttons under it took a fifth):
    # the buttons go into a column beside it, the address beside the title.
    ui.orient(LANDSCAPE)
    ui.shot("images-original-page1")
    assert _shown(zoom)[1] >= 0.6 * LANDSCAPE[1]  # the demo bar under it, too
    assert zoom.width >= 0.55 * LANDSCAPE[0] and zoom.height >= 0.6 * LANDSCAPE[1]
    assert ui.small_targets() == []
    ui.orient(PORTRAIT)
    assert _shown(zoom)[0] >= 0.6 * PORTRAIT[0]  # portrait as it was: the page's full width
    # Larger by the button, then by two fingers; "还原" fits it again.
    ui.press("images:zoom_in")
    assert zoom.scale == pytest.approx(1.5)
    _pinch(ui, zoom, 200)
    assert zoom.scale > 1.9
    ui.shot("images-original-zoomed")
    ui.press("images:reset")
    assert zoom.scale == pytest.approx(1.0)
    ui.press("images:next")
    ui.wait_screen(Screen.IMAGES)
    assert "第 2 / 3 页" in ui.text()
    ui.press("images:next")
    ui.wait_screen(Screen.IMAGES)
    assert "第 3 / 3 页" in ui.text() and "images:next" not in [b.name for b in ui.buttons()]
    ui.press("nav:back")
    ui.wait_screen(Screen.ARCHIVE)
    assert flow.state.viewer is None
    ui.press("images:photo:U-UI-IMG")
    ui.wait_screen(Screen.IMAGES)
    assert "房屋现貌照片" in ui.text()
    ui.shot("images-photo")
    ui.orient(LANDSCAPE)
    ui.shot("images-photo")
    assert _shown(zoom)[0] >= 0.45 * LANDSCAPE[0]  # was a fifth of the width
    problems = ui.small_targets()
    ui.orient(PORTRAIT)
    assert problems == []
    # Done: the image leaves the state and the texture leaves the screen.
    ui.press("nav:home")
    ui.wait_screen(Screen.HOME)
    assert flow.state.viewer is None and zoom.picture.texture is None
    # Every page shown is in the archive audit, as the kiosk's and the person's.
    rows = http.get("/api/v1/archive/audit", params={"unit_no": "U-UI-IMG"},
                    headers=handle.headers("admin")).json()
    shown = [r["image"] for r in rows if r["query"] == "image" and r["outcome"] == "shown"]
    assert shown == ["original:1", "original:2", "original:3", "photo"]
