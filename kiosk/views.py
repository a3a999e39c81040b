"""One Kivy screen per flow screen: each draws a State, and nothing but the State.

Layouts live in kiosk/screens/*.kv; here is only what changes with the state (names,
lists, numbers). Every screen draws from scratch on each state, so nothing of an earlier
applicant can linger once the flow has wiped its session.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen as KivyScreen
from kivy.utils import escape_markup

from kiosk import texts
from kiosk.models import Service
from kiosk.rating import LEVELS
from kiosk.state import Purpose, State
from kiosk.widgets import (
    COLORS,
    ChoiceGrid,
    DimButton,
    KButton,
    KLabel,
    NumberedItem,
    Panel,
    RateButton,
    WrapLabel,
    ZoomView,  # noqa: F401 (the kv rule of ImagesScreen names it)
)

if TYPE_CHECKING:
    from kiosk.app import KioskApp

PURPOSE_ORDER = (Purpose.TICKET, Purpose.APPOINTMENT, Purpose.CASE, Purpose.ARCHIVE,
                 Purpose.RATE)
DIGIT_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "-", "0", "ABC")
LETTER_KEYS = tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + ("123",)


class KScreen(KivyScreen):
    # The widgets whose text or children come from an applicant's session: cleared when
    # the kiosk goes back to the start, so nothing of theirs stays in memory or on glass.
    session_ids: tuple[str, ...] = ()

    def update(self, s: State, app: KioskApp) -> None:
        """Draw `s`. Screens with nothing dynamic keep the default."""

    def wipe(self) -> None:
        for key in self.session_ids:
            widget = self.ids[key]
            if isinstance(widget, ChoiceGrid):
                widget.set_choices("", [], lambda _code: None)
            elif isinstance(widget, WrapLabel):
                widget.source = ""
                widget.text = ""
            elif hasattr(widget, "text"):
                widget.text = ""
            else:
                widget.clear_widgets()


def choice_label(app: KioskApp, name: str) -> str:
    """A long name with a bracketed part ("二手房按揭买卖（转移登记与抵押登记）") as the name
    and, smaller, on its own line, the bracket: it reads at a glance and wraps cleanly."""
    # Buttons take markup: text from the catalogue is escaped, so "[" cannot restyle it.
    for opening, closing in (("（", "）"), (" (", ")")):
        head, sep, rest = name.partition(opening)
        if sep and head and rest.endswith(closing):
            inner = escape_markup(f"{opening.strip()}{rest}")
            return f"{escape_markup(head)}\n[size={int(app.s * 36)}]{inner}[/size]"
    return escape_markup(name)


def _two_lines(app: KioskApp, title: str, sub: str) -> str:
    return (f"[size={int(app.s * 66)}][b]{title}[/b][/size]\n"
            f"[size={int(app.s * 38)}]{sub}[/size]")


class HomeScreen(KScreen):
    def update(self, s: State, app: KioskApp) -> None:
        offers = self.ids.offers
        offers.clear_widgets()
        available = s.hall.offers if s.hall else frozenset()
        for purpose in PURPOSE_ORDER:
            if purpose not in available:
                continue
            button = KButton(
                name=f"home:{purpose.value}", kind="primary", size_hint_y=1,
                text=_two_lines(app, app.t(f"home.{purpose.value}"),
                                app.t(f"home.{purpose.value}.sub")))
            button.bind(on_release=lambda _b, p=purpose.value: app.do("start_purpose", p))
            offers.add_widget(button)
        reader_ok = "idcard" not in s.faults and Purpose.TICKET in available
        self.ids.card_hint.text = ("▼ " + app.t("home.card_hint")) if reader_ok else ""


class StartingScreen(KScreen):
    pass


class OfflineScreen(KScreen):
    pass


class CardScreen(KScreen):
    session_ids = ("notice",)

    def update(self, s: State, app: KioskApp) -> None:
        purpose = (s.purpose or Purpose.TICKET).value
        self.ids.title.text = app.t(f"card.title.{purpose}")
        self.ids.notice.text = texts.notice(s.notice, s.lang)
        skip = self.ids.skip
        show = s.purpose in (None, Purpose.TICKET) and bool(s.hall and s.hall.allow_anonymous)
        skip.opacity, skip.disabled = (1, False) if show else (0, True)


class ScanScreen(KScreen):
    def update(self, s: State, app: KioskApp) -> None:
        self.ids.notice.text = texts.notice(s.notice, s.lang)


class GreenScreen(KScreen):
    session_ids = ("hello", "body")

    def update(self, s: State, app: KioskApp) -> None:
        name = s.applicant.masked_name if s.applicant else ""
        self.ids.hello.text = app.t("green.title", name=name)
        self.ids.body.source = app.t("green.body", age=s.hall.green_age if s.hall else 70)


class BusinessScreen(KScreen):
    session_ids = ("title", "notice", "choices")

    def update(self, s: State, app: KioskApp) -> None:
        hall = s.hall
        name = s.applicant.masked_name if s.applicant else ""
        hello = app.t("business.hello", name=name) + ("\n" if app.portrait else "") if name else ""
        self.ids.title.text = hello + app.t("business.title")
        self.ids.notice.text = texts.notice(s.notice, s.lang)
        items = hall.common_items if hall else ()
        more = None
        if hall and hall.has_more:
            more = ("business:more", _two_lines(app, app.t("business.more") + " ▶",
                                                app.t("business.more.sub")),
                    lambda: app.do("show_categories"))
        grid = self.ids.choices
        grid.cols, grid.rows = business_grid(len(items) + (more is not None), app.portrait)
        grid.set_choices(
            "item", [(i.code, choice_label(app, texts.pick(s.lang, i.name, i.name_en)))
                     for i in items],
            lambda code: app.do("choose_item", code), extra=more)


# The first screen's grid: (columns, at least and at most so many rows). The common items
# and "其他业务" belong on one page: an elderly applicant does not think of paging on to
# find 领取不动产权证书 or the way to everything else. At most 6 rows in portrait and 4 in
# landscape keep each button well above the 120 px touch target.
BUSINESS_GRID = {True: (2, 4, 6), False: (3, 3, 4)}


def business_grid(cells: int, portrait: bool) -> tuple[int, int]:
    cols, least, most = BUSINESS_GRID[portrait]
    return cols, max(least, min(most, -(-cells // cols)))


class CategoriesScreen(KScreen):
    def update(self, s: State, app: KioskApp) -> None:
        cats = s.hall.categories if s.hall else ()
        self.ids.choices.set_choices(
            "category", [(c.code, escape_markup(texts.pick(s.lang, c.name, c.name_en)))
                         for c in cats],
            lambda code: app.do("choose_category", code))


class ItemsScreen(KScreen):
    session_ids = ("title", "choices")

    def update(self, s: State, app: KioskApp) -> None:
        cat = s.hall.category(s.category) if s.hall and s.category else None
        if cat is None:
            return
        self.ids.title.text = app.t("items.title",
                                    category=texts.pick(s.lang, cat.name, cat.name_en))
        self.ids.choices.set_choices(
            "item", [(i.code, choice_label(app, texts.pick(s.lang, i.name, i.name_en)))
                     for i in cat.items],
            lambda code: app.do("choose_item", code))


class MaterialsScreen(KScreen):
    session_ids = ("title", "limit", "list", "printed")

    def update(self, s: State, app: KioskApp) -> None:
        item = s.item
        box = self.ids.list
        box.clear_widgets()
        if item is None:
            return
        self.ids.title.source = app.t("materials.title",
                                      item=texts.pick(s.lang, item.name, item.name_en))
        self.ids.limit.text = (app.t("materials.limit", days=item.time_limit_days)
                               if item.time_limit_days else app.t("materials.limit0"))
        english = s.lang == "en" and len(item.materials_en) == len(item.materials)
        for n, text in enumerate(item.materials_en if english else item.materials, start=1):
            box.add_widget(NumberedItem(number=n, source=text))
        note = texts.pick(s.lang, item.note, item.note_en)
        if note:
            box.add_widget(KLabel(text=note, role="small", color=COLORS["muted"]))
        notice = self.ids.printed
        button = self.ids.print_button
        button.text = app.t("materials.print")
        if s.materials_printed and not app.portrait:
            # Landscape is short of height: a notice line would cost the list an item;
            # the button that printed says how it went (touching it again prints again).
            button.text = app.t(f"materials.printed_short.{s.materials_printed}")
            notice.text = ""
        elif s.materials_printed:
            notice.text = app.t(f"materials.printed.{s.materials_printed}")
            notice.fill = COLORS["info_bg"] if s.materials_printed == "ok" else COLORS["warn_bg"]
        elif "printer" in s.faults:
            notice.text, notice.fill = app.t("fault.printer"), COLORS["warn_bg"]
        else:
            notice.text = ""
        self.ids.scroll.scroll_y = 1


class TicketScreen(KScreen):
    session_ids = ("item", "badge", "number", "ahead", "wait", "windows", "printed")

    def update(self, s: State, app: KioskApp) -> None:
        r = s.result
        if r is None:
            return
        t = r.ticket
        item = texts.pick(s.lang, r.item_name, r.item_name_en)
        queue = texts.pick(s.lang, t.business_name, t.business_name_en)
        if r.journey_steps > 1 and queue and queue != item:
            # A journey: the ticket queues for its first step, somewhere else than the item.
            # A single item served under another business's name is one window, no "step".
            item += "\n" + app.t("ticket.first_step", business=queue)
        self.ids.item.text = item
        badge = ""
        if r.appointment:
            badge = app.t(f"ticket.{r.appointment}")
        elif r.green:
            badge = app.t("ticket.green")
        self.ids.badge.text = badge
        self.ids.number.text = t.number
        ahead = t.waiting_ahead or 0
        self.ids.ahead.text = app.t("ticket.ahead", n=ahead) if ahead else app.t("ticket.ahead0")
        self.ids.wait.text = wait_text(app, t.wait_range)
        hint = r.window_hint[1] if s.lang == "en" else r.window_hint[0]
        self.ids.windows.text = app.t("ticket.windows", windows=hint) if hint else ""
        notice = self.ids.printed
        title = self.ids.title
        if r.printed:
            title.text, title.color = app.t("ticket.title"), COLORS["text"]
            notice.text, notice.fill = app.t("ticket.printed"), COLORS["info_bg"]
        else:
            # Not "取号成功": no paper came out, and the applicant must know to note the
            # number before walking away.
            title.text, title.color = app.t("ticket.title_not_printed"), COLORS["error"]
            notice.text = app.t(f"ticket.not_printed.{r.print_problem or 'failed'}")
            notice.fill = COLORS["warn_bg"]


def local_time(text: str, timezone: str) -> str:
    """An ISO time from the server as the hall's clock shows it; a date stays a date."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return text
    if at.tzinfo is None:
        return text[:16].replace("T", " ")
    return f"{at.astimezone(ZoneInfo(timezone)):%Y-%m-%d %H:%M}"


def wait_text(app: KioskApp, wait: tuple[int, int] | None) -> str:
    if wait is None:
        return app.t("ticket.wait_unknown")
    low, high = wait
    if high == 0:
        return app.t("ticket.wait_soon")
    if low == high:
        return app.t("ticket.wait_one", low=low)
    return app.t("ticket.wait", low=low, high=high)


class CaseEntryScreen(KScreen):
    session_ids = ("typed", "notice")

    mode = StringProperty("digits")
    _actions_place: tuple[Any, Any, int] | None = None  # the actions row, its parent, place

    def wipe(self) -> None:
        super().wipe()
        self.mode = "digits"  # the next applicant starts on the digits, as case numbers do

    def update(self, s: State, app: KioskApp) -> None:
        self.ids.notice.text = texts.notice(s.notice, s.lang)
        typed = self.ids.typed
        if s.case_input:
            typed.text, typed.color = s.case_input, COLORS["text"]
        else:
            typed.text, typed.color = app.t("case_entry.placeholder"), COLORS["muted"]
        self._keys(app)

    def switch(self, mode: str, app: KioskApp) -> None:
        self.mode = mode
        self._keys(app)

    def _actions_row(self, *, shown: bool) -> None:
        """Take the row of 删除 / 清空 / 确定 out of the screen, or put it back where it was.
        Out, not hidden: a hidden row keeps its kv height (bound to the scale, so set
        again on every turn of the window), and its disabled buttons, laid over the
        keypad, swallowed the touches of the keys' own 确定 (a disabled widget keeps
        the touches that land on it)."""
        if self._actions_place is None:
            # ids hold weak proxies: the row out of the tree is kept alive from here.
            row = self.ids.actions.__self__
            self._actions_place = (row, row.parent, row.parent.children.index(row))
        row, parent, index = self._actions_place
        if shown and row.parent is None:
            parent.add_widget(row, index=index)
        elif not shown and row.parent is not None:
            parent.remove_widget(row)

    def _keys(self, app: KioskApp) -> None:
        grid = self.ids.keypad
        grid.clear_widgets()
        letters = self.mode == "letters"
        grid.cols = (7 if app.portrait else 10) if letters else (3 if app.portrait else 6)
        # Landscape letters: 27 keys in three rows of ten leave three cells, which take
        # 删除 / 清空 / 确定; the row of them goes, and the title stays on screen.
        inline = letters and not app.portrait
        self._actions_row(shown=not inline)
        for key in LETTER_KEYS if letters else DIGIT_KEYS:
            if key in ("ABC", "123"):
                label = app.t("case_entry.letters" if key == "ABC" else "case_entry.digits")
                b = KButton(text=label, name=f"key:{key}", kind="secondary", font_px=44,
                            size_hint_y=1)
                b.bind(on_release=lambda _b, m="letters" if key == "ABC" else "digits":
                       self.switch(m, app))
            else:
                b = KButton(text=key, name=f"key:{key}", kind="key", font_px=60, size_hint_y=1)
                b.bind(on_release=lambda _b, k=key: app.do("case_key", k))
            grid.add_widget(b)
        if inline:
            for action, kind in (("delete", "secondary"), ("clear", "secondary"),
                                 ("submit", "primary")):
                b = KButton(text=app.t(f"case_entry.{action}"), name=f"case:{action}",
                            kind=kind, font_px=44, size_hint_y=1)
                b.bind(on_release=lambda _b, a=action: app.do(f"case_{a}"))
                grid.add_widget(b)


class CaseScreen(KScreen):
    session_ids = ("heading", "number", "steps", "next", "expected")

    def update(self, s: State, app: KioskApp) -> None:
        case = s.case
        box = self.ids.steps
        box.clear_widgets()
        if case is None:
            return
        title = texts.pick(s.lang, case.title, case.title_en)
        sep = "：" if s.lang == "zh" else ": "
        self.ids.heading.text = app.t("case.title") + (sep + title if title else "")
        self.ids.number.text = app.t("case.number", case_no=case.case_no)
        tz = s.hall.timezone if s.hall else "Asia/Shanghai"
        marks = {"done": ("✓", COLORS["green"]), "current": ("●", COLORS["error"]),
                 "pending": ("○", COLORS["muted"])}
        for step in case.steps:
            mark, colour = marks[step.state]
            name = escape_markup(texts.pick(s.lang, step.name, step.name_en))
            when = f"  {escape_markup(local_time(step.at, tz))}" if step.at else ""
            roles = ("big", "body") if app.portrait else ("body", "small")
            label = KLabel(text=f"{name}    [size={int(app.s * 34)}]{app.t(f'case.{step.state}')}"
                                f"{when}[/size]",
                           role=roles[0] if step.state == "current" else roles[1], markup=True,
                           color=COLORS["text"] if step.state != "pending" else COLORS["muted"])
            label.strong = step.state == "current"
            label.pos_hint = {"center_y": 0.5}
            current = step.state == "current"
            row = Panel(orientation="horizontal", pad_px=4 if app.portrait else 0,
                        fill=COLORS["info_bg"] if current else (0, 0, 0, 0),
                        edge=COLORS["bar"] if current else (0, 0, 0, 0))
            row.add_widget(Label(text=mark, color=colour, font_size=app.s * 56, bold=True,
                                 size_hint=(None, None), width=app.s * 90,
                                 height=app.s * (96 if app.portrait else 66),
                                 pos_hint={"center_y": 0.5}))
            row.add_widget(label)
            box.add_widget(row)
        nxt = case.next_step
        words = texts.pick(s.lang, case.next_text, case.next_text_en)
        if words:
            self.ids.next.source = words
        elif nxt is not None:
            self.ids.next.source = app.t("case.next",
                                         step=texts.pick(s.lang, nxt.name, nxt.name_en))
        elif case.steps and all(x.state == "done" for x in case.steps):
            self.ids.next.source = app.t("case.finished")
        else:
            self.ids.next.source = ""
        expected = self.ids.expected
        if case.expected and case.past_due(s.hall.day if s.hall else None):
            expected.source = app.t("case.overdue", date=local_time(case.expected, tz))
            expected.color, expected.strong = COLORS["error"], True
        else:
            expected.source = (app.t("case.expected", date=local_time(case.expected, tz))
                               if case.expected else "")
            expected.color, expected.strong = COLORS["text"], False


class ArchiveScreen(KScreen):
    session_ids = ("title", "list")

    def update(self, s: State, app: KioskApp) -> None:
        box = self.ids.list
        box.clear_widgets()
        props = s.properties or ()
        self.ids.title.text = app.t("archive.title", n=len(props))
        if not props:
            box.add_widget(KLabel(text=app.t("archive.none"), role="big"))
            return
        for p in props:
            panel = Panel(edge=COLORS["line"])
            panel.add_widget(KLabel(text=p.address, role="big", strong=True))
            if p.certificate_no:
                panel.add_widget(KLabel(text=app.t("archive.certificate", v=p.certificate_no)))
            if p.area or p.use:
                panel.add_widget(KLabel(text=app.t("archive.area_use", area=p.area or "—",
                                                   use=p.use or "—")))
            if p.right_type or p.share:
                right = (app.t(f"archive.right.{p.right_type}")
                         if f"archive.right.{p.right_type}" in texts.TEXTS else p.right_type)
                panel.add_widget(KLabel(text=app.t("archive.right", right=right or "—",
                                                   share=p.share or "—")))
            status = texts.pick(s.lang, p.rights_status, p.rights_status_en) or app.t(
                "archive.status.seized" if p.seizures else
                "archive.status.mortgaged" if p.mortgages else "archive.status.normal")
            flagged = any(e.status in ("active", "") for e in (*p.seizures, *p.mortgages))
            panel.add_widget(KLabel(text=app.t("archive.status", v=status), role="big",
                                    strong=True,
                                    color=COLORS["error"] if flagged else COLORS["green"]))
            for key, none_key, entries in (("archive.mortgages", "archive.no_mortgage",
                                            p.mortgages),
                                           ("archive.seizures", "archive.no_seizure",
                                            p.seizures)):
                panel.add_widget(KLabel(text=app.t(key, n=len(entries)) if entries
                                        else app.t(none_key), strong=bool(entries)))
                for e in entries:
                    word = (app.t(f"enc.{e.status}") if f"enc.{e.status}" in texts.TEXTS
                            else e.status)
                    line = "   ".join(x for x in (e.holder, e.detail, e.period, word) if x)
                    panel.add_widget(KLabel(text=f"  · {line}", role="small"))
            if p.unit_no and (p.originals or p.photo):
                row = BoxLayout(orientation="horizontal", spacing=app.s * 24,
                                size_hint_y=None, height=app.s * 150)
                if p.originals:
                    b = KButton(name=f"images:original:{p.unit_no}", kind="primary",
                                text=app.t("archive.originals", n=p.originals), font_px=44)
                    b.bind(on_release=lambda _b, u=p.unit_no: app.do("open_images", u,
                                                                     "original"))
                    row.add_widget(b)
                if p.photo:
                    b = KButton(name=f"images:photo:{p.unit_no}", kind="primary",
                                text=app.t("archive.photo"), font_px=44)
                    b.bind(on_release=lambda _b, u=p.unit_no: app.do("open_images", u, "photo"))
                    row.add_widget(b)
                panel.add_widget(row)
            box.add_widget(panel)


class ImagesScreen(KScreen):
    """档案原貌 / 房屋现貌: one image, large, zoomed by two fingers or the buttons. The
    texture is made from the bytes in the state and dropped with it: nothing is written
    to disk, nothing is kept once the session ends."""

    session_ids = ("title",)

    def update(self, s: State, app: KioskApp) -> None:
        v = s.viewer
        zoom = self.ids.zoom
        if v is None:
            zoom.show(None)
            return
        title = (app.t("images.original", page=v.page, pages=v.pages) if v.kind == "original"
                 else app.t("images.photo"))
        # Landscape is short of height: the address goes beside the title, not under it.
        sep, size = ("\n", 34) if app.portrait else ("　", 30)
        self.ids.title.text = f"{title}{sep}[size={int(app.s * size)}]{escape_markup(v.address)}[/size]"
        zoom.show(v.image)
        many = v.kind == "original" and v.pages > 1
        for key, enabled in (("prev", many and v.page > 1), ("next", many and v.page < v.pages)):
            button = self.ids[key]
            button.opacity = 1 if many else 0
            button.disabled = not enabled

    def wipe(self) -> None:
        super().wipe()
        self.ids.zoom.show(None)


class MessageScreen(KScreen):
    session_ids = ("title", "detail", "action")

    def update(self, s: State, app: KioskApp) -> None:
        m = s.message
        if m is None:
            return
        title, action = texts.message(m.code, s.lang)
        self.ids.title.text = title
        self.ids.detail.source = texts.pick(s.lang, m.detail_zh, m.detail_en)
        self.ids.action.source = action


# --- 好差评 ------------------------------------------------------------------------------


def level_label(app: KioskApp, rating: int, *, wide: bool) -> str:
    """Chinese first, English under it, whatever the language: the level is read at a
    glance in either, as on the pads."""
    big, small = (60, 36) if wide else (42, 30)  # 非常不满意 on one line, side by side
    return (f"[size={int(app.s * big)}][b]{texts.t(f'rate.level.{rating}', 'zh')}[/b][/size]\n"
            f"[size={int(app.s * small)}]{texts.t(f'rate.level.{rating}', 'en')}[/size]")


def service_lines(app: KioskApp, s: State, service: Service) -> tuple[str, str, str]:
    """What identifies a service to the one who received it: the ticket number and the
    business, the window, and who served (name and 工号, as the window's sign shows)."""
    business = texts.pick(s.lang, service.business_name, service.business_name_en)
    sep = "　" if s.lang == "zh" else " · "
    head = escape_markup(app.t("rate.ticket", number=service.number) + sep + business)
    if service.staff and service.staff_name:
        staff = app.t("rate.staff", name=service.staff_name, staff=service.staff)
    elif service.staff:
        staff = app.t("rate.staff_number", staff=service.staff)
    else:
        staff = ""
    return head, app.t("rate.window", window=service.window), escape_markup(staff)


class RateScreen(KScreen):
    session_ids = ("head", "window", "staff", "levels")

    def update(self, s: State, app: KioskApp) -> None:
        box = self.ids.levels
        box.clear_widgets()
        if not s.to_rate:
            return
        head, window, staff = service_lines(app, s, s.to_rate[0])
        self.ids.head.text, self.ids.window.text, self.ids.staff.text = head, window, staff
        for rating in LEVELS:
            button = RateButton(name=f"rate:{rating}", kind=f"rate{rating}", rating=rating,
                                size_hint_y=1, markup=True,
                                text=level_label(app, rating, wide=app.portrait))
            button.bind(on_release=lambda _b, r=rating: app.do("rate", r))
            box.add_widget(button)


def dimension_label(app: KioskApp, zh: str, en: str) -> str:
    """A dimension's name, Chinese first and English after it (beside it in portrait,
    under it in landscape), as the pads show it."""
    sep = "　" if app.portrait else "\n"
    name = f"[size={int(app.s * 52)}][b]{escape_markup(zh)}[/b][/size]"
    return name + (f"{sep}[size={int(app.s * 34)}]{escape_markup(en)}[/size]" if en else "")


def dimension_level_label(app: KioskApp, level: int) -> str:
    """A level in a dimension's row, narrower than the overall's: both languages still.
    Portrait's fifth of the width takes four characters: 非常不满意 breaks after 非常."""
    big, small = 40, 26
    zh, en = texts.t(f"rate.level.{level}", "zh"), texts.t(f"rate.level.{level}", "en")
    if app.portrait and len(zh) > 4:
        zh = f"{zh[:2]}\n{zh[2:]}"
    return (f"[size={int(app.s * big)}][b]{zh}[/b][/size]\n"
            f"[size={int(app.s * small)}]{en}[/size]")


class RateDimsScreen(KScreen):
    session_ids = ("chosen", "rows")

    def update(self, s: State, app: KioskApp) -> None:
        rows = self.ids.rows
        rows.clear_widgets()
        if s.rating is None:
            return
        level = app.t(f"rate.level.{s.rating}")
        self.ids.chosen.text = app.t("rate_dims.chosen", level=level)
        self.ids.chosen.color = COLORS[f"rate{s.rating}"]
        portrait = app.portrait
        for d in s.dimensions:
            row = BoxLayout(orientation="vertical" if portrait else "horizontal",
                            spacing=app.s * (10 if portrait else 20))
            row.add_widget(KLabel(text=dimension_label(app, d.name, d.name_en), markup=True,
                                  halign="left" if portrait else "right",
                                  size_hint_x=1 if portrait else 0.17,
                                  pos_hint={"center_y": 0.5}))
            levels = BoxLayout(orientation="horizontal", spacing=app.s * 14,
                               size_hint_x=1 if portrait else 0.83)
            score = s.score(d.code)
            for n in LEVELS:
                button = DimButton(name=f"dim:{d.code}:{n}", level=n, chosen=score == n,
                                   markup=True, size_hint_y=1,
                                   text=dimension_level_label(app, n))
                button.bind(on_release=lambda _b, c=d.code, x=n: app.do("rate_dimension", c, x))
                levels.add_widget(button)
            row.add_widget(levels)
            rows.add_widget(row)


class RateReasonScreen(KScreen):
    session_ids = ("chosen", "choices")

    def update(self, s: State, app: KioskApp) -> None:
        if s.rating is None:
            return
        level = app.t(f"rate.level.{s.rating}")
        self.ids.chosen.text = app.t("rate_reason.chosen", level=level)
        self.ids.chosen.color = COLORS[f"rate{s.rating}"]
        self.ids.choices.set_choices(
            "reason", [(r.code, escape_markup(texts.pick(s.lang, r.name, r.name_en)))
                       for r in s.reasons],
            lambda code: app.do("rate_reason", code))


class RateThanksScreen(KScreen):
    session_ids = ("given", "bad", "next_head", "next_where")

    def update(self, s: State, app: KioskApp) -> None:
        if s.rated is None:
            return
        self.ids.given.text = app.t("rate_thanks.given", level=app.t(f"rate.level.{s.rated}"))
        self.ids.given.color = COLORS[f"rate{s.rated}"]
        self.ids.bad.text = app.t("rate_thanks.bad") if s.rated <= 2 else ""
        # Rated by the ticket's QR, no card lies on the reader: nothing to take back.
        self.ids.take_card.text = "▼ " + app.t("rate_thanks.card") if s.applicant else ""
        offer, button = self.ids.next_panel, self.ids.next_button
        if s.to_rate:
            head, window, staff = service_lines(app, s, s.to_rate[0])
            self.ids.next_head.text = head
            self.ids.next_where.text = window + ("　" + staff if staff else "")
            offer.opacity, button.opacity, button.disabled = 1, 1, False
        else:
            self.ids.next_head.text = self.ids.next_where.text = ""
            offer.opacity, button.opacity, button.disabled = 0, 0, True


SCREENS: dict[str, type[KScreen]] = {
    "starting": StartingScreen, "offline": OfflineScreen, "home": HomeScreen,
    "card": CardScreen, "green": GreenScreen, "business": BusinessScreen,
    "categories": CategoriesScreen, "items": ItemsScreen, "materials": MaterialsScreen,
    "ticket": TicketScreen, "scan": ScanScreen, "case_entry": CaseEntryScreen,
    "case": CaseScreen, "archive": ArchiveScreen, "images": ImagesScreen, "rate": RateScreen,
    "rate_dims": RateDimsScreen, "rate_reason": RateReasonScreen, "rate_thanks": RateThanksScreen,
    "message": MessageScreen,
}
