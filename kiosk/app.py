"""The Kivy app: draws the flow's state, sends touches back to the flow.

The flow runs on its own thread (kiosk.driver); a state change schedules one redraw on
Kivy's thread, which reads the newest state. Touch handlers only post actions. So a slow
printer or an unreachable server shows "please wait" instead of a frozen screen.

Import this module only after Kivy's environment is set (the CLI and tests/conftest.py
do it): importing Kivy reads KIVY_* and SDL_* once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import NoTransition
from kivy.uix.widget import Widget

from devices.idcard import DEMO_CARDS
from devices.scanner import SlipKind, make_slip
from devices.scanner.appointment import appointment_value
from devices.scanner.slip import DEMO_KEY
from kiosk import texts
from kiosk.codes import receipt_text
from kiosk.driver import FlowDriver
from kiosk.flow import Flow
from kiosk.fonts import register_font
from kiosk.state import Purpose, Screen, State
from kiosk.views import SCREENS, KScreen
from kiosk.widgets import COLORS, KButton, Root

log = logging.getLogger(__name__)

KV_DIR = Path(__file__).with_name("screens")
KV_FILES = ("common.kv", "home.kv", "card.kv", "choose.kv", "materials.kv", "ticket.kv",
            "case.kv", "archive.kv", "images.kv", "rate.kv", "message.kv")

# Per screen: is "back" offered (it differs from "home"), and what the home button says.
NAV: dict[Screen, tuple[bool, str] | None] = {
    Screen.STARTING: None, Screen.OFFLINE: None, Screen.HOME: None,
    Screen.CARD: (False, "nav.home"), Screen.GREEN: (False, "nav.home"),
    Screen.BUSINESS: (False, "nav.home"), Screen.CATEGORIES: (True, "nav.home"),
    Screen.ITEMS: (True, "nav.home"), Screen.MATERIALS: (True, "nav.home"),
    Screen.TICKET: (False, "nav.done"), Screen.SCAN: (False, "nav.home"),
    Screen.CASE_ENTRY: (False, "nav.home"), Screen.CASE: (False, "nav.done"),
    Screen.ARCHIVE: (False, "nav.done"), Screen.IMAGES: (True, "nav.done"),
    Screen.RATE: (False, "nav.home"),
    Screen.RATE_DIMS: (True, "nav.home"), Screen.RATE_REASON: (True, "nav.home"),
    Screen.RATE_THANKS: (False, "nav.done"),
    Screen.MESSAGE: (False, "nav.home"),
}
DEMO_CASE = ("BDC2026-000123", "DEMOTOKENABCDEFG")
DEMO_SWAP_SECONDS = 0.8  # several reader polls


class KioskApp(App):
    s = NumericProperty(1.0)  # pixel scale: 1.0 at a 1080-pixel short side
    lang = StringProperty("zh")
    portrait = BooleanProperty(True)
    demo = BooleanProperty(False)

    def __init__(self, flow: Flow, *, driver: FlowDriver | None = None, demo: bool = False,
                 font: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.title = "hallq 自助机"
        self.flow = flow
        self.driver = driver or FlowDriver(flow)
        self.demo = demo
        self.font_path = register_font(font)
        self.shown: State | None = None  # the state on screen now (tests read it)
        # The time demo slips are booked around: the wall clock, as a `--demo` server's
        # is; a test whose server runs on a fixed clock sets that clock here, or its slip
        # would never fall in the slot.
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._redraw = Clock.create_trigger(self._render_latest)

    # --- building ---------------------------------------------------------------------

    def build(self) -> Root:
        for name in KV_FILES:
            Builder.load_file(str(KV_DIR / name))
        Window.clearcolor = COLORS["bg"]
        Window.bind(size=self._on_resize)
        self._on_resize(Window, Window.size)
        root = Root()
        # Strong references: kv ids are weak, and _nav takes these in and out of the tree.
        self.back_button: KButton = root.ids.back_button.__self__
        self.home_button: KButton = root.ids.home_button.__self__
        manager = root.ids.screens
        manager.transition = NoTransition()
        for name, cls in SCREENS.items():
            manager.add_widget(cls(name=name))
        if self.demo:
            self._build_demo_bar(root)
        self.flow.listeners.append(self._on_flow_state)
        return root

    def _on_flow_state(self, _state: State) -> None:
        self._redraw()  # on the flow's thread: only schedule; Kivy draws on its own

    def attach(self, flow: Flow, driver: FlowDriver | None = None) -> None:
        """Run another flow in this app (tests: one Kivy app per process, a hall per test)."""
        self.driver.stop()
        if self._on_flow_state in self.flow.listeners:
            self.flow.listeners.remove(self._on_flow_state)
        self.flow, self.driver = flow, driver or FlowDriver(flow)
        flow.listeners.append(self._on_flow_state)
        self.driver.start()
        self.render(flow.state)

    def on_start(self) -> None:
        if not self.driver.alive:
            self.driver.start()
        self.render(self.flow.state)

    def on_stop(self) -> None:
        self.driver.stop()

    def _on_resize(self, _window: Any, size: tuple[int, int]) -> None:
        width, height = size
        self.s = max(0.4, min(width, height) / 1080)
        self.portrait = height >= width
        if self.root is not None and self.shown is not None:
            self.render(self.flow.state)  # grids change their columns with the orientation

    # --- words ----------------------------------------------------------------------------

    def tr(self, key: str, lang: str, **fields: object) -> str:
        """For kv rules: naming `app.lang` there makes the text follow the language."""
        return texts.t(key, lang, **fields)

    def t(self, key: str, **fields: object) -> str:
        return texts.t(key, self.lang, **fields)

    # --- actions --------------------------------------------------------------------------

    def do(self, action: str, *args: Any) -> None:
        self.driver.call(action, *args)

    def switch_language(self) -> None:
        self.do("set_language", "en" if self.lang == "zh" else "zh")

    # --- drawing --------------------------------------------------------------------------

    def _render_latest(self, *_: Any) -> None:
        self.render(self.flow.state)

    def render(self, s: State) -> None:
        root = self.root
        if root is None:
            return
        self.lang = s.lang
        hall = s.hall
        root.ids.hall_name.text = texts.pick(s.lang, hall.name, hall.name_en) if hall else "hallq"
        root.ids.banner.text = self._banner(s)
        self._nav(s)
        manager = root.ids.screens
        if s.screen in (Screen.HOME, Screen.OFFLINE, Screen.STARTING):
            for other in manager.screens:
                other.wipe()  # type: ignore[attr-defined]
        screen: KScreen = manager.get_screen(s.screen.value)
        screen.update(s, self)
        manager.current = s.screen.value
        root.ids.busy.shown = s.busy
        self.shown = s
        if s.screen is Screen.TICKET and s.result is not None and not s.result.printed:
            # Drawn this frame; tell the flow on the next, once it is really on the glass.
            Clock.schedule_once(lambda _dt: self.do("mark_shown"), 0)

    def _banner(self, s: State) -> str:
        if s.screen is not Screen.HOME:
            return ""
        return "\n".join(self.t(f"fault.{kind}") for kind in ("printer", "idcard", "scanner")
                         if kind in s.faults)

    def _nav(self, s: State) -> None:
        """Back and home under the screen in portrait, in a column beside it in landscape,
        where height is what runs short."""
        ids = self.root.ids
        nav, back_button, home_button = ids.nav, self.back_button, self.home_button
        config = NAV.get(s.screen)
        if s.screen is Screen.CARD and s.purpose is Purpose.CASE:
            config = (True, "nav.home")
        for button in (back_button, home_button):
            if button.parent is not None:
                button.parent.remove_widget(button)
        nav.clear_widgets()
        if config is None:
            nav.size_hint, nav.size, nav.opacity, nav.disabled = (None, None), (0, 0), 0, True
            return
        back, home_key = config
        home_button.text = self.t(home_key)
        home_button.kind = "primary" if home_key == "nav.done" else "secondary"
        nav.opacity, nav.disabled = 1, False
        if self.portrait:
            nav.orientation, nav.size_hint, nav.height = "horizontal", (1, None), self.s * 170
            nav.padding = (self.s * 48, self.s * 16)
        else:
            nav.orientation, nav.size_hint, nav.width = "vertical", (None, 1), self.s * 430
            nav.padding = (0, self.s * 36, self.s * 48, self.s * 36)
            nav.add_widget(Widget())  # the buttons sit at the bottom, under the thumb
        if back:
            nav.add_widget(back_button)
        nav.add_widget(home_button)

    # --- demo mode --------------------------------------------------------------------------

    def _build_demo_bar(self, root: Root) -> None:
        bar = root.ids.demo_bar
        buttons = [
            (self.t("demo.card", name="张伟"), "demo:card:zhang", lambda: self.demo_card("zhang")),
            (self.t("demo.card", name="王秀英"), "demo:card:elder",
             lambda: self.demo_card("elder")),
            (self.t("demo.lift"), "demo:lift", self.demo_lift),
            (self.t("demo.slip_a"), "demo:slip:a", self.demo_appointment),
            (self.t("demo.slip_c"), "demo:slip:c", self.demo_receipt),
            (self.t("demo.paper"), "demo:paper", self.demo_paper),
            (self.t("demo.offline"), "demo:offline", self.demo_printer_offline),
        ]
        for text, name, action in buttons:
            b = KButton(text=text, name=name, kind="demo", font_px=22, height_px=60)
            b.bind(on_release=lambda _b, a=action: a())
            bar.add_widget(b)

    def demo_card(self, key: str) -> None:
        """Lift whatever card lies there, then lay this one once the reader has seen it gone
        (a reader cannot tell one card swapped for another between two polls)."""
        sim = self.flow.hw.simulator("idcard")
        if sim is None:
            return
        if sim.card is None:
            sim.lay(DEMO_CARDS[key])
            return
        sim.lift()
        Clock.schedule_once(lambda _dt: sim.lay(DEMO_CARDS[key]), DEMO_SWAP_SECONDS)

    def demo_lift(self) -> None:
        sim = self.flow.hw.simulator("idcard")
        if sim is not None:
            sim.lift()

    def demo_appointment(self) -> None:
        """A slip booked for the slot that started ten minutes ago, for a common business.

        Signed with the demo key, as a booking system would sign with the hall's: a server
        started with `--demo` accepts it, a real hall's server refuses it."""
        sim, hall = self.flow.hw.simulator("scanner"), self.flow.hall
        state_hall = self.flow.state.hall
        if sim is None or hall is None or state_hall is None:
            return
        items = state_hall.common_items
        if not items:
            return
        now = self.now().astimezone(ZoneInfo(hall.timezone))
        start = (now - timedelta(minutes=10)).replace(second=0, microsecond=0)
        end = start + timedelta(minutes=30)
        value = appointment_value(start.date(), start.time(), end.time(), items[0].business,
                                  f"D{now:%H%M%S}")
        sim.present(make_slip(SlipKind.APPOINTMENT, value, DEMO_KEY))

    def demo_receipt(self) -> None:
        sim = self.flow.hw.simulator("scanner")
        if sim is not None:
            sim.present(receipt_text(*DEMO_CASE))

    def demo_paper(self) -> None:
        sim = self.flow.hw.simulator("printer")
        if sim is not None:
            sim.paper = "out" if sim.paper == "ok" else "ok"

    def demo_printer_offline(self) -> None:
        sim = self.flow.hw.simulator("printer")
        if sim is not None:
            sim.online = not sim.online
