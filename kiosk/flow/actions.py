"""What the screens call: the home screen's doors, choosing a business, the rating taps."""

from __future__ import annotations

from kiosk import texts
from kiosk.flow.core import FlowCore
from kiosk.hardware import PrinterProblem
from kiosk.state import Purpose, Screen
from kiosk.ticketing import materials_print


class ScreenActions(FlowCore):
    """The actions behind the screens' buttons."""

    def set_language(self, lang: str) -> None:
        self._touch()
        if lang in texts.LANGUAGES:
            self._set(lang=lang)

    def home(self) -> None:
        """Back to the start, forgetting everything about the applicant."""
        self._touch()
        self._set_fresh(self._home_screen())

    def back(self) -> None:
        self._touch()
        s = self.state
        target = {
            Screen.ITEMS: Screen.CATEGORIES,
            Screen.CATEGORIES: Screen.BUSINESS,
            Screen.MATERIALS: Screen.ITEMS if s.category else Screen.BUSINESS,
            Screen.CARD: Screen.CASE_ENTRY if s.purpose is Purpose.CASE else None,
            # A mis-touched level can be changed: nothing was sent.
            Screen.RATE_REASON: Screen.RATE,
            Screen.RATE_DIMS: Screen.RATE,
        }.get(s.screen)
        if s.screen is Screen.IMAGES:
            self.close_images()
        elif target is None:
            self.home()
        elif target is Screen.RATE:
            self._go(target, rating=None, scores=(), notice="")
        else:
            self._go(target, notice="")

    def start_purpose(self, purpose: Purpose | str) -> None:
        """The doors of the home screen."""
        self._touch()
        purpose = Purpose(purpose)
        if self.server_problem is not None:
            self._set_fresh(Screen.OFFLINE)
            return
        if purpose is Purpose.TICKET:
            if self._reader_ok():
                self._go(Screen.CARD, purpose=purpose, notice="")
            elif self._allow_anonymous():
                self._go(Screen.BUSINESS, purpose=purpose, anonymous=True,
                         notice="reader_down_skip")
            else:
                self._message("reader_down")
        elif purpose is Purpose.APPOINTMENT:
            if not self.hw.has("scanner") or "scanner" in self._faults:
                self._message("scanner_down")
            elif not (self.hall and self.hall.slips):
                self._message("feature_unavailable")
            else:
                self._go(Screen.SCAN, purpose=purpose, notice="")
        elif purpose is Purpose.CASE:
            if not self.client.has_cases():
                self._message("feature_unavailable")
            else:
                self._go(Screen.CASE_ENTRY, purpose=purpose, case_input="", notice="")
        elif purpose is Purpose.ARCHIVE:
            if not self.client.has_archive():
                self._message("feature_unavailable")
            elif not self._reader_ok():
                self._message("reader_down")
            else:
                self._go(Screen.CARD, purpose=purpose, notice="")
        elif purpose is Purpose.RATE:
            if not self.client.has_evaluations():
                self._message("feature_unavailable")
            elif not self._reader_ok():
                self._message("reader_down")
            else:
                self._go(Screen.CARD, purpose=purpose, notice="")

    def skip_card(self) -> None:
        """No ID card with them: a ticket without one, where the hall allows it."""
        self._touch()
        s = self.state
        if s.screen is not Screen.CARD or s.purpose is not Purpose.TICKET:
            return
        if not self._allow_anonymous():
            self._set(notice="id_required")
            return
        self._go(Screen.BUSINESS, anonymous=True, applicant=None, notice="")

    def answer_green(self, accept: bool) -> None:
        self._touch()
        if self.state.screen is Screen.GREEN:
            self._go(Screen.BUSINESS, green=bool(accept), notice="")

    def show_categories(self) -> None:
        self._touch()
        if self.state.screen in (Screen.BUSINESS, Screen.ITEMS):
            self._go(Screen.CATEGORIES, category=None, notice="")

    def choose_category(self, code: str) -> None:
        self._touch()
        hall = self.state.hall
        if self.state.screen is Screen.CATEGORIES and hall and hall.category(code):
            self._go(Screen.ITEMS, category=code, notice="")

    def choose_item(self, code: str) -> None:
        self._touch()
        s = self.state
        item = s.hall.item(code) if s.hall else None
        if s.screen not in (Screen.BUSINESS, Screen.ITEMS) or item is None:
            return
        if item.materials:
            self._go(Screen.MATERIALS, item=item, materials_printed="", notice="")
        else:
            self._set(item=item)
            self.confirm_ticket()

    def print_materials(self) -> None:
        self._touch()
        s = self.state
        if s.screen is not Screen.MATERIALS or s.item is None or s.hall is None:
            return
        self._set(busy=True)
        job = materials_print(s.item, hall_name=s.hall.name, lang=s.lang,
                              note=self.settings.desk_note, note_en=self.settings.desk_note_en)
        try:
            self.hw.print_materials(job)
            outcome = "ok"
            self.counters["materials_printed"] += 1
        except PrinterProblem as e:
            outcome = e.code
            self._faults.add("printer")
        self._set(busy=False, materials_printed=outcome)

    def confirm_ticket(self) -> None:
        self._touch()
        s = self.state
        if s.item is None or s.screen not in (Screen.MATERIALS, Screen.BUSINESS, Screen.ITEMS):
            return
        business, journey = self._queue_for(s.item)
        self._issue(business, journey=journey, names=(s.item.name, s.item.name_en))

    def mark_shown(self) -> None:
        """The screen has drawn the ticket: an unprinted ticket now counts as handed out."""
        if self._unshown is not None and self.state.screen is Screen.TICKET:
            self._unshown = None

    # --- 好差评 (the steps are in kiosk/rating.py) ---------------------------------------

    def rate(self, rating: int) -> None:
        self._touch()
        self.rating.choose(int(rating))

    def rate_reason(self, code: str | None = None) -> None:
        self._touch()
        self.rating.choose_reason(code)

    def rate_dimension(self, code: str, level: int) -> None:
        self._touch()
        self.rating.choose_dimension(code, int(level))

    def rate_submit(self) -> None:
        """提交评价: the overall rating with the dimensions chosen (none is fine)."""
        self._touch()
        self.rating.submit_dimensions()

    def rate_skip(self) -> None:
        """跳过: the overall rating alone."""
        self._touch()
        self.rating.submit_dimensions(with_scores=False)

    def rate_next(self) -> None:
        self._touch()
        self.rating.rate_next()

