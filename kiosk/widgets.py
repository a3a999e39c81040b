"""Big, plain widgets for the kiosk: buttons an unsteady hand can hit, text a weak eye can read.

Sizes are in pixels of a 1080-pixel short side (`app.s` scales them): a button is at
least 150 px high, about 25 mm on a 21.5-inch 1080p panel, above the 20 mm asked for;
body text is 44 px (about 7 mm), titles 64 px. Colours are dark on light, at least 7:1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from io import BytesIO

from kivy.app import App
from kivy.core.image import Image as CoreImage
from kivy.core.text import Label as CoreLabel
from kivy.graphics import Color, Ellipse, Line
from kivy.graphics.transformation import Matrix
from kivy.properties import (
    BooleanProperty,
    ColorProperty,
    NumericProperty,
    OptionProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.image import Image as KImage
from kivy.uix.label import Label
from kivy.uix.scatter import Scatter
from kivy.uix.stencilview import StencilView
from kivy.uix.widget import Widget

from hallrules.wrapping import wrap_measured
from kiosk import paging


def rgb(hex_colour: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    h = hex_colour.lstrip("#")
    return (int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255, alpha)


# Contrast against the background (WCAG): text 17:1, primary button text 9:1, warning 10:1.
COLORS = {
    "bg": rgb("#F6F5F0"),
    "text": rgb("#111111"),
    "muted": rgb("#3A3A3A"),
    "bar": rgb("#0A3D7A"),
    "on_dark": rgb("#FFFFFF"),
    "primary": rgb("#0A4EA3"),
    "primary_down": rgb("#06316A"),
    "green": rgb("#0E6B2E"),
    "green_down": rgb("#084219"),
    "secondary": rgb("#FFFFFF"),
    "secondary_down": rgb("#D9E4F5"),
    "border": rgb("#0A4EA3"),
    "warn_bg": rgb("#FFF1B8"),
    "warn_text": rgb("#4A3200"),
    "error": rgb("#A3001B"),
    "info_bg": rgb("#E3EDFA"),
    "card": rgb("#FFFFFF"),
    "line": rgb("#B8B8B8"),
    "number": rgb("#A3001B"),
    "demo": rgb("#5A5A5A"),
    # 好差评, from 5 非常满意 to 1 非常不满意: green to red as on the pads, darkened so
    # white words keep 5:1 or better (the words carry the level too, for colour-blind eyes).
    "rate5": rgb("#0E6B2E"), "rate5_down": rgb("#084219"),
    "rate4": rgb("#3D7A1A"), "rate4_down": rgb("#264D10"),
    "rate3": rgb("#3F5F86"), "rate3_down": rgb("#283C55"),
    "rate2": rgb("#9A4A00"), "rate2_down": rgb("#5E2D00"),
    "rate1": rgb("#A3001B"), "rate1_down": rgb("#650011"),
}

_FILL = {
    "primary": ("primary", "primary_down", "on_dark"),
    "green": ("green", "green_down", "on_dark"),
    "secondary": ("secondary", "secondary_down", "primary"),
    "demo": ("demo", "text", "on_dark"),
    "key": ("secondary", "secondary_down", "text"),
    **{f"rate{n}": (f"rate{n}", f"rate{n}_down", "on_dark") for n in range(1, 6)},
}


class KLabel(Label):
    """Text that wraps to its width and takes the height it needs."""

    role = OptionProperty("body", options=["title", "body", "small", "big"])
    strong = BooleanProperty(False)  # bold (a kv rule sets `bold`, so kwargs go through here)


class WrapLabel(KLabel):
    """Chinese text wrapped as a typesetter would: no line starts with 。，）, Latin words
    stay whole. Kivy alone breaks only at spaces, and Chinese has none."""

    source = StringProperty("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.bind(source=self._rewrap, width=self._rewrap, font_size=self._rewrap)
        self._rewrap()

    def _rewrap(self, *_: object) -> None:
        if not self.source or self.width < 100:
            self.text = self.source
            return
        measure = CoreLabel(font_size=self.font_size, bold=self.bold).get_extents
        self.text = "\n".join(
            line for paragraph in self.source.split("\n")
            for line in wrap_measured(paragraph, self.width - 2, lambda t: measure(t)[0]) or [""])


class NumberedItem(BoxLayout):
    """"3." and then the text beside it, its lines aligned under each other."""

    number = NumericProperty(1)
    source = StringProperty("")


class KButton(ButtonBehavior, Label):
    """A flat, rounded, high-contrast button. `name` lets tests and logs find it."""

    name = StringProperty("")
    kind = OptionProperty("primary", options=list(_FILL))
    # Sizes at scale 1; kv scales them. (Kivy lets a kv expression override a constructor
    # argument, so code passes these instead of font_size and height.)
    font_px = NumericProperty(50)
    height_px = NumericProperty(150)
    fit = NumericProperty(1.0)  # shrinks the font until a long label fits the button
    fill = ColorProperty(COLORS["primary"])
    edge = ColorProperty(COLORS["primary"])

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.bind(kind=self._paint, state=self._paint)
        self.bind(text=self._refit, width=self._refit, font_px=self._refit)
        self.bind(texture_size=self._shrink, height=self._shrink)
        self._paint()

    def _refit(self, *_: object) -> None:
        self.fit = 1.0

    def _shrink(self, *_: object) -> None:
        # Never below 70 %: a label that still does not fit is too long, not too big.
        if self.texture_size[1] > self.height * 0.92 and self.fit > 0.7 and self.height > 1:
            self.fit = round(self.fit - 0.06, 2)

    def _paint(self, *_: object) -> None:
        normal, down, text = _FILL[self.kind]
        self.fill = COLORS[down if self.state == "down" else normal]
        self.edge = COLORS["border"] if self.kind in ("secondary", "key") else self.fill
        self.color = COLORS[text]


class RateButton(KButton):
    """One of the five levels: its colour, its words and a face that smiles or frowns, so
    that a reader of neither language still finds the one they mean. The face sits left of
    the words on a wide button (portrait) and above them on a tall one (landscape)."""

    rating = NumericProperty(3)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self._draw_face, size=self._draw_face, rating=self._draw_face)

    def _draw_face(self, *_: object) -> None:
        self.canvas.after.clear()
        if self.width < 10 or self.height < 10:
            return
        wide = self.width > self.height * 1.6
        if wide:
            r = self.height * 0.3
            cx, cy = self.x + self.height * 0.55, self.center_y
            self.padding = (self.height * 0.9, 0, 0, 0)  # the words move right of the face
        else:
            r = min(self.width * 0.24, self.height * 0.2)
            cx, cy = self.center_x, self.top - self.height * 0.08 - r
            self.padding = (0, r * 2.4, 0, 0)  # the words move below it
        # 5: a broad smile … 3: a straight mouth … 1: a deep frown.
        bend = (self.rating - 3) / 2 * r * 0.32
        mouth = []
        for i in range(13):
            u = i / 12 * 2 - 1  # -1 … 1 across the mouth
            mouth += [cx + u * r * 0.5, cy - r * 0.35 - bend * (1 - u * u)]
        with self.canvas.after:
            Color(1, 1, 1, 1)
            Line(circle=(cx, cy, r), width=max(1.5, r * 0.07))
            eye = r * 0.13
            for dx in (-0.35, 0.35):
                Ellipse(pos=(cx + dx * r - eye, cy + r * 0.2 - eye), size=(eye * 2, eye * 2))
            Line(points=mouth, width=max(1.5, r * 0.07), cap="round", joint="round")


class DimButton(KButton):
    """A level in a dimension's row: white until chosen, then in the level's colour with
    a tick in its corner (the colour and the tick both say it, for colour-blind eyes)."""

    level = NumericProperty(3)
    chosen = BooleanProperty(False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self._draw_tick, size=self._draw_tick, chosen=self._draw_tick)

    def _paint(self, *_: object) -> None:
        self.kind = f"rate{self.level}" if self.chosen else "key"
        super()._paint()
        self.edge = COLORS[f"rate{self.level}"]  # the level's colour, as on the overall's

    def on_chosen(self, *_: object) -> None:
        self._paint()

    def _draw_tick(self, *_: object) -> None:
        self.canvas.after.clear()
        if not self.chosen or self.width < 10 or self.height < 10:
            return
        # In the corner, above the words (they are centred, two or four lines).
        r = min(self.width, self.height) * 0.12
        cx, cy = self.right - r * 0.95, self.top - r * 0.95
        with self.canvas.after:
            Color(1, 1, 1, 1)
            Ellipse(pos=(cx - r, cy - r), size=(r * 2, r * 2))
            Color(*COLORS[f"rate{self.level}"])
            Line(points=[cx - r * 0.5, cy, cx - r * 0.12, cy - r * 0.42, cx + r * 0.55, cy + r * 0.4],
                 width=max(1.5, r * 0.16), cap="round", joint="round")


class Panel(BoxLayout):
    """A box with a background colour (notices, the ticket, a property)."""

    fill = ColorProperty(COLORS["card"])
    edge = ColorProperty((0, 0, 0, 0))
    pad_px = NumericProperty(28)  # padding at scale 1 (kv scales it)


class BusyOverlay(Label):
    """Covers the screen while the kiosk works, and swallows touches meanwhile."""

    shown = BooleanProperty(False)

    def on_touch_down(self, touch: object) -> bool:
        return bool(self.shown)

    def on_touch_move(self, touch: object) -> bool:
        return bool(self.shown)

    def on_touch_up(self, touch: object) -> bool:
        return bool(self.shown)


class ChoiceGrid(BoxLayout):
    """A page of big choice buttons, with large previous/next buttons when there are more.

    Buttons fill the grid's cells, so they grow with the room the screen leaves; `cols`
    and `rows` are chosen per orientation to keep every cell at least 120 px high.
    """

    cols = NumericProperty(2)
    rows = NumericProperty(4)
    page_number = NumericProperty(0)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._choices: list[tuple[str, str]] = []
        self._extra: tuple[str, str, Callable[[], None]] | None = None
        self._prefix = ""
        self._on_choose: Callable[[str], None] | None = None
        # The pager is taken out of the layout when there is one page: a hidden, disabled
        # button still swallows the touches that land on it, over the last row of choices.
        # (A strong reference: kv ids are weak. Found on first draw: a widget built inside a
        # kv rule gets its own rules, and ids, only after __init__.)
        self._pager: BoxLayout | None = None
        self.bind(cols=self._redraw, rows=self._redraw)

    def set_choices(self, prefix: str, choices: Sequence[tuple[str, str]],
                    on_choose: Callable[[str], None],
                    extra: tuple[str, str, Callable[[], None]] | None = None) -> None:
        """`choices` are (code, label); buttons are named `{prefix}:{code}`. `extra` is one
        more button (name, label, action) after the last choice, e.g. "other services"."""
        if prefix != self._prefix or list(choices) != self._choices:
            self.page_number = 0
        self._prefix, self._choices, self._on_choose = prefix, list(choices), on_choose
        self._extra = extra
        self._redraw()

    @property
    def per_page(self) -> int:
        return int(self.cols * self.rows)

    def _cells(self) -> list[tuple[str, str, Callable[[], None], str]]:
        cells: list[tuple[str, str, Callable[[], None], str]] = [
            (f"{self._prefix}:{code}", label,
             lambda c=code: self._on_choose and self._on_choose(c), "primary")
            for code, label in self._choices]
        if self._extra is not None:
            name, label, action = self._extra
            cells.append((name, label, action, "secondary"))
        return cells

    def turn(self, delta: int) -> None:
        pages = paging.page_count(len(self._cells()), self.per_page)
        self.page_number = max(0, min(pages - 1, self.page_number + delta))
        self._redraw()

    def _redraw(self, *_: object) -> None:
        if self._pager is None:
            self._pager = self.ids.pager.__self__
        grid, pager = self.ids.grid, self._pager
        grid.clear_widgets()
        grid.cols, grid.rows = int(self.cols), int(self.rows)
        cells = self._cells()
        shown = paging.page(cells, self.page_number, self.per_page)
        for name, label, action, kind in shown:
            button = KButton(text=label, name=name, kind=kind, font_px=44, size_hint_y=1)
            button.bind(on_release=lambda _b, a=action: a())
            grid.add_widget(button)
        for _ in range(self.per_page - len(shown)):
            grid.add_widget(Widget())  # keep rows at their size: no giant lone buttons
        pages = paging.page_count(len(cells), self.per_page)
        app = App.get_running_app()
        paged = pages > 1
        if paged and pager.parent is None:
            self.add_widget(pager)
        elif not paged and pager.parent is not None:
            self.remove_widget(pager)
        self.ids.page_label.text = app.t("nav.page", page=self.page_number + 1, pages=pages)
        self.ids.prev.disabled = self.page_number == 0
        self.ids.next.disabled = self.page_number >= pages - 1


class Root(FloatLayout):
    """The whole screen: top bar, fault banner, the current screen, navigation, demo bar."""


class ZoomView(StencilView):
    """An image as large as fits, zoomed and moved by touch (Kivy's Scatter: two fingers
    spread, one finger drags) or by the buttons under it, never past the view's edge
    when fitted. `show(data)` takes JPEG bytes (from memory) or None to drop the texture."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.scatter = Scatter(do_rotation=False, scale_min=1.0, scale_max=6.0,
                               auto_bring_to_front=False, size_hint=(None, None))
        self.picture = KImage(fit_mode="contain", size_hint=(None, None))
        self.scatter.add_widget(self.picture)
        self.add_widget(self.scatter)
        self._data: bytes | None = None
        self.bind(size=self._fit, pos=self._fit)

    def show(self, data: bytes | None) -> None:
        if data is self._data:
            return
        self._data = data
        if data is None:
            self.picture.texture = None
        else:
            self.picture.texture = CoreImage(BytesIO(data), ext="jpg").texture
        self._fit()

    @property
    def scale(self) -> float:
        return float(self.scatter.scale)

    def _fit(self, *_: object) -> None:
        """The whole image in view, centred, at scale 1."""
        self.scatter.transform = Matrix()
        self.scatter.size = self.size
        self.picture.size = self.size
        self.scatter.pos = self.pos

    def zoom(self, factor: float) -> None:
        """Zoom about the view's centre, within the scatter's limits."""
        target = min(self.scatter.scale_max, max(self.scatter.scale_min,
                                                 self.scatter.scale * factor))
        if target == self.scatter.scale:
            return
        step = target / self.scatter.scale
        self.scatter.apply_transform(Matrix().scale(step, step, step),
                                     anchor=self.center)
        if target == 1.0:
            self._fit()

    def reset(self) -> None:
        self._fit()
