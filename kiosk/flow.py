"""The applicant's way through the kiosk: a state machine with the server and devices injected.

No Kivy here. The screens call the actions (`start_purpose`, `choose_item`, `confirm_ticket`...)
and render `flow.state`; a driver thread calls `tick()` a few times a second, which polls
the card reader and the scanner, times out idle sessions, watches device health, reports
it to the server and reconnects when the server comes back.

    HOME ──lay card / 取号──► CARD ──card──► [GREEN if 70+] ──► BUSINESS ─► (CATEGORIES ─► ITEMS)
      │                       └─skip (hall allows)──────────────┘            │
      │                                                        MATERIALS ◄───┘
      │                                                            └─confirm─► TICKET
      ├─预约签到 / scan A slip──► SCAN ──slip──► [CARD if the hall requires ID] ──► TICKET
      ├─办件进度──► CASE_ENTRY ──typed no.──► CARD (the applicant's ID) ──► CASE
      │   receipt QR (HQC1) scanned on HOME or CASE_ENTRY ──────────────────► CASE
      ├─不动产档案──► CARD ──card──► ARCHIVE
      └─评价服务──► CARD ──card──► RATE (─► RATE_DIMS | RATE_REASON) ─► RATE_THANKS
          ticket QR (follow link) scanned on HOME or that CARD ──► RATE  (kiosk/rating.py)
    any failure ──► MESSAGE (what happened, what to do);  server gone ──► OFFLINE until back
    any screen, idle for settings.idle_seconds ──► HOME, the session wiped (an overall
        rating left on its optional questions sent first)

Not thread-safe by design: one thread (the driver, or a test) calls everything.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from devices.health import HealthState
from devices.idcard import CardIdentity
from kiosk import texts
from kiosk.client import FeatureMissing, HallClient, Refused, ServerUnreachable
from kiosk.codes import Code, FollowLink, Receipt
from kiosk.hardware import (
    CardProblem,
    Hardware,
    PrinterProblem,
    ReaderDown,
    ScannerDown,
    SlipProblem,
)
from kiosk.health import HealthWatch
from kiosk.models import Booking, CheckedSlip, HallInfo, Item, Ticket
from kiosk.rating import RatingSteps
from kiosk.settings import KioskSettings
from kiosk.state import (
    Applicant,
    HallView,
    Message,
    Purpose,
    Screen,
    State,
    TicketResult,
)
from kiosk.ticketing import materials_print, ticket_print, window_hint

log = logging.getLogger(__name__)
R = TypeVar("R")

CASE_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-")  # as case numbers are written
CASE_MAX = 40
SESSION_SCREENS_WITHOUT_TIMEOUT = (Screen.HOME, Screen.OFFLINE, Screen.STARTING)

Listener = Callable[[State], None]


class Flow:
    def __init__(self, client: HallClient, hardware: Hardware,
                 settings: KioskSettings | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.hw = hardware
        self.settings = settings or KioskSettings()
        self.clock = clock
        self.state = State()
        self.listeners: list[Listener] = []
        self.hall: HallInfo | None = None
        self.journeys: dict[str, tuple[str, ...]] = {}
        self.server_problem: str | None = "starting"  # None when the server answers
        self.counters: Counter[str] = Counter()
        self.health = HealthWatch(hardware, client, self.settings, clock, self.counters)
        # One set of faults, the health watch's: the flow adds what it sees fail at once.
        self._faults = self.health.faults
        now = clock()
        self._last_activity = now
        self._next_server_try = now
        self._next_hall_refresh = now + self.settings.hall_refresh_seconds
        self._unshown: tuple[Ticket, float] | None = None  # issued, not printed, not yet shown
        # Keys of ticket requests whose answer never came: the server may hold the ticket.
        self._unsettled: list[str] = []
        self._spoken: tuple[Screen, str] | None = None
        self._pending_appointment: Booking | None = None  # waiting for the ID card
        self.rating = RatingSteps(self)

    # === running ==========================================================================

    def start(self) -> None:
        """Open the devices, reach the server, show the home (or out-of-service) screen."""
        self.hw.refresh()
        self._check_devices(force=True)
        self._connect()
        self._report(force=True)

    def tick(self) -> None:
        now = self.clock()
        screen = self.state.screen
        idle = self.settings.idle_seconds
        if screen is Screen.RATE_THANKS and not self.state.to_rate:
            idle = self.settings.thanks_seconds  # all said: free the kiosk for the next one
        if screen not in SESSION_SCREENS_WITHOUT_TIMEOUT and not self.state.busy and (
                now - self._last_activity >= idle):
            log.info("idle on %s for %.0f s: back to the start", screen, now - self._last_activity)
            self.counters["idle_timeouts"] += 1
            self.rating.walked_away()
            self.home()
        if self._unshown is not None and now >= self._unshown[1]:
            self._cancel_unshown()
        if self.server_problem is not None:
            if now >= self._next_server_try:
                self._connect()
        elif now >= self._next_hall_refresh and self.state.screen is Screen.HOME:
            self._load_hall()
        self._check_devices()
        self.health.retry_devices()
        self._poll_devices()
        self._report()

    def close(self) -> None:
        if self._unshown is not None:
            self._cancel_unshown()

    # === what the screens call ============================================================

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
        if target is None:
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

    # --- the case number keypad -------------------------------------------------------

    def case_key(self, char: str) -> None:
        self._touch()
        char = char.upper()
        s = self.state
        if s.screen is Screen.CASE_ENTRY and char in CASE_CHARS and len(s.case_input) < CASE_MAX:
            self._set(case_input=s.case_input + char, notice="")

    def case_delete(self) -> None:
        self._touch()
        if self.state.screen is Screen.CASE_ENTRY:
            self._set(case_input=self.state.case_input[:-1], notice="")

    def case_clear(self) -> None:
        self._touch()
        if self.state.screen is Screen.CASE_ENTRY:
            self._set(case_input="", notice="")

    def case_submit(self) -> None:
        """A typed case number still needs proof of being its applicant: the ID card."""
        self._touch()
        s = self.state
        if s.screen is not Screen.CASE_ENTRY:
            return
        if not s.case_input:
            self._set(notice="case_empty")
        elif not self._reader_ok():
            self._message("reader_down")
        else:
            self._go(Screen.CARD, purpose=Purpose.CASE, notice="")

    # === devices ==========================================================================

    def _poll_devices(self) -> None:
        screen = self.state.screen
        if self.state.busy:
            return
        if screen in (Screen.HOME, Screen.CARD):
            self._poll_card()
        if self._scanning() and self.hw.has("scanner"):
            self._poll_scanner()

    def _scanning(self) -> bool:
        """Screens where a scanned code means something: the slips' and receipts', and the
        rating door's card screen (the ticket's QR)."""
        s = self.state
        return s.screen in (Screen.HOME, Screen.SCAN, Screen.CASE_ENTRY) or (
            s.screen is Screen.CARD and s.purpose is Purpose.RATE)

    def _poll_card(self) -> None:
        if not self.hw.has("idcard"):
            return
        try:
            card = self.hw.read_card()
        except ReaderDown as e:
            if "idcard" not in self._faults:
                log.warning("ID card reader down: %s", e)
                self._faults.add("idcard")
                self._set(notice="reader_down" if self.state.screen is Screen.CARD
                          else self.state.notice)
            return
        except CardProblem as e:
            log.info("card not readable: %s", e)
            self._touch()
            if self.state.screen is Screen.CARD:
                self._set(notice="card_unreadable")
            else:
                self._go(Screen.CARD, purpose=Purpose.TICKET, notice="card_unreadable")
            return
        if "idcard" in self._faults:
            self._faults.discard("idcard")
            self._set()
        if card is not None:
            self._touch()
            self.counters["cards_read"] += 1
            self._on_card(card)

    def _poll_scanner(self) -> None:
        try:
            got = self.hw.read_code(0.0)
        except ScannerDown as e:
            if "scanner" not in self._faults:
                log.warning("scanner down: %s", e)
                self._faults.add("scanner")
                self._set()
            return
        except SlipProblem as e:
            log.info("code refused: %s", e)
            self._touch()
            self._slip_invalid()
            return
        if "scanner" in self._faults and self.hw.state_of("scanner") is HealthState.OK:
            self._faults.discard("scanner")
            self._set()
        if got is not None:
            self._touch()
            self.counters["codes_read"] += 1
            self._on_code(got)

    def _on_card(self, card: CardIdentity) -> None:
        s = self.state
        applicant = Applicant.from_card(card)
        purpose = s.purpose if s.screen is Screen.CARD and s.purpose else Purpose.TICKET
        if self.server_problem is not None:
            return
        if purpose is Purpose.TICKET:
            if applicant.id_number is None:
                # A foreigner's card: its number is not a resident ID the server can check.
                if self._allow_anonymous():
                    self._go(Screen.BUSINESS, purpose=purpose, applicant=None, anonymous=True,
                             notice="foreign_card")
                else:
                    self._message("foreign_card")
                return
            if self._green_eligible(applicant):
                self._go(Screen.GREEN, purpose=purpose, applicant=applicant, notice="")
            else:
                self._go(Screen.BUSINESS, purpose=purpose, applicant=applicant, notice="")
            return
        if applicant.id_number is None:
            self._message("foreign_card")
            return
        self._set(applicant=applicant)
        if purpose is Purpose.APPOINTMENT:
            appt = self._pending_appointment
            if appt is None:
                self.home()
            else:
                self._check_in(appt)
        elif purpose is Purpose.CASE:
            self._lookup_case(s.case_input, id_number=applicant.id_number)
        elif purpose is Purpose.ARCHIVE:
            self._lookup_archive(applicant)
        elif purpose is Purpose.RATE:
            self.rating.on_card(applicant)

    def _on_code(self, code: Code) -> None:
        if self.server_problem is not None or self.hall is None:
            return
        if isinstance(code, FollowLink):
            self._on_follow(code)
            return
        if self.state.screen is Screen.CARD:
            self._set(notice="slip_wrong_kind")  # a slip or receipt at the rating door
            return
        if isinstance(code, Receipt):
            self._set(purpose=Purpose.CASE, case_input=code.case_no)
            self._lookup_case(code.case_no, receipt_token=code.token)
            return
        # Only the server holds the slip key: it says whether the slip is the hall's.
        slip = self._ask(lambda: self.client.check_slip(code.text), self._slip_refused)
        if slip is not None:
            self._set(busy=False)
            self._on_slip(slip)

    def _on_follow(self, code: FollowLink) -> None:
        """A ticket's QR: on the home screen or the rating door's card screen, the rating of
        that ticket; elsewhere (the appointment's and the case's scans) not their code."""
        screen = self.state.screen
        if screen not in (Screen.HOME, Screen.CARD):
            self._slip_invalid()
        elif not self.client.has_evaluations():
            self._message("feature_unavailable")
        else:
            self.rating.on_follow(code.ref)

    def _slip_refused(self, e: Refused) -> None:
        log.info("slip refused: %s", e)
        if e.code == "invalid_slip":
            self._set(busy=False)
            self._slip_invalid()
        elif e.code == "slips_unavailable":
            self._message("feature_unavailable")
        else:
            self._message(e.code if e.code in texts.MESSAGES else "slip_wrong_kind",
                          e.message_zh, e.message_en)

    def _on_slip(self, slip: CheckedSlip) -> None:
        assert self.hall is not None
        if slip.booking is not None:
            if self.state.applicant is None and not self.hall.allow_anonymous:
                self._pending_appointment = slip.booking
                self._go(Screen.CARD, purpose=Purpose.APPOINTMENT, notice="")
            else:
                self._set(purpose=Purpose.APPOINTMENT)
                self._check_in(slip.booking)
        elif slip.kind == "case":
            # A case slip names the case; being its applicant is still to be proved.
            if not self._reader_ok():
                self._message("reader_down")
            else:
                self._go(Screen.CARD, purpose=Purpose.CASE, case_input=slip.value, notice="")
        else:
            self._set(notice="slip_wrong_kind")

    def _slip_invalid(self) -> None:
        if self.state.screen is Screen.HOME:
            self._go(Screen.SCAN, purpose=Purpose.APPOINTMENT, notice="slip_invalid")
        else:
            self._set(notice="slip_invalid")

    def _check_devices(self, *, force: bool = False) -> None:
        if self.health.check(force=force):
            self._set()

    # === the server =======================================================================

    def _connect(self) -> None:
        self._next_server_try = self.clock() + self.settings.server_retry_seconds
        if not self.client.ping():
            self._server_lost(show=False)
            return
        self._load_hall()

    def _load_hall(self) -> None:
        self._next_hall_refresh = self.clock() + self.settings.hall_refresh_seconds
        try:
            self.client.forget_routes()
            hall = self.client.hall()
            categories = self.client.categories()
            self.journeys = self.client.journeys()
            offers = {Purpose.TICKET}
            scanner = self.hw.has("scanner")
            if scanner and hall.slips:
                offers.add(Purpose.APPOINTMENT)
            if self.client.has_cases() and (scanner or self.hw.has("idcard")):
                offers.add(Purpose.CASE)
            if self.client.has_archive() and self.hw.has("idcard"):
                offers.add(Purpose.ARCHIVE)
            if self.client.has_evaluations() and self.hw.has("idcard"):
                offers.add(Purpose.RATE)
        except ServerUnreachable as e:
            log.warning("server unreachable while loading the hall: %s", e)
            self._server_lost(show=False)
            return
        except (Refused, FeatureMissing) as e:
            # A bad token or a server without the kiosk's routes: a technician must act.
            if self.server_problem != "refused":
                log.error("the server refuses this kiosk: %s", e)
            self.server_problem = "refused"
            self._faults.add("server")
            self._set_fresh(Screen.OFFLINE)
            return
        self._settle()
        was_down = self.server_problem is not None
        self.hall = hall
        self.server_problem = None
        self._faults.discard("server")
        view = HallView(hall.name, hall.name_en, hall.allow_anonymous, hall.green_age,
                        categories, frozenset(offers), hall.timezone)
        if was_down:
            log.info("server reachable: %s", hall.name)
        if was_down and self.state.screen in (Screen.OFFLINE, Screen.STARTING):
            self._set_fresh(Screen.HOME, hall=view)
        else:
            self._set(hall=view)

    def _server_lost(self, *, show: bool) -> None:
        if self.server_problem is None:
            log.warning("lost the server")
        self.server_problem = "unreachable"
        self._faults.add("server")
        self._next_server_try = self.clock() + self.settings.server_retry_seconds
        if show:
            self._message("server_unreachable")
        elif self.state.screen in (Screen.HOME, Screen.STARTING):
            self._set_fresh(Screen.OFFLINE)
        else:
            self._set()

    def _report(self, force: bool = False) -> None:
        """Tell the server how this kiosk is: on every change, and every report_seconds."""
        if self.server_problem is None and not self.health.report(
                self.state.screen.value, force=force):
            self._server_lost(show=False)

    # === tickets ==========================================================================

    def _queue_for(self, item: Item) -> tuple[str, str | None]:
        """The queue a ticket joins: a journey starts at its own first step."""
        steps = self.journeys.get(item.journey or "")
        if steps:
            return steps[0], item.journey
        return item.business, None

    def _issue(self, business: str, *, journey: str | None = None,
               appointment: Booking | None = None,
               names: tuple[str, str] = ("", "")) -> None:
        s = self.state
        assert self.hall is not None and s.hall is not None
        self._set(busy=True, notice="")
        priority = None if s.green is None else ("green" if s.green else "normal")
        applicant = s.applicant if s.applicant and s.applicant.id_number else None
        key = uuid.uuid4().hex
        try:
            ticket = self.client.issue_ticket(
                business, id_number=applicant.id_number if applicant else None,
                name=applicant.name if applicant else "", priority=priority, journey=journey,
                appointment_slip=appointment.slip if appointment else None, request_key=key)
        except Refused as e:
            self.counters["refused"] += 1
            self._message(e.code, e.message_zh, e.message_en)
            return
        except FeatureMissing:
            self._message("feature_unavailable")
            return
        except ServerUnreachable as e:
            log.warning("issuing failed: %s", e)
            # The request may have reached the server and only the answer was lost: once
            # the server is back, a ticket it issued for it is cancelled (`_settle`).
            self._unsettled.append(key)
            self._server_lost(show=True)
            return
        # From here the ticket exists on the server: it must be printed or shown.
        self.counters["issued"] += 1
        try:
            self._hand_out(ticket, appointment, names)
        except BaseException:
            # A fault (or the kiosk shutting down) between issuing the ticket and showing
            # it: the applicant never got it.
            self._take_back(ticket)
            raise

    def _hand_out(self, ticket: Ticket, appointment: Booking | None,
                  names: tuple[str, str]) -> None:
        """Print the ticket, or, when the printer fails, keep it on screen to be noted."""
        assert self.hall is not None
        try:
            hint = window_hint(self.client.windows(), ticket.business)
        except (ServerUnreachable, Refused, FeatureMissing):
            hint = ("", "")
        green = ticket.priority == "green"
        printed, problem = True, None
        try:
            self.hw.print_ticket(ticket_print(ticket, hall_name=self.hall.name, window=hint[0],
                                              green=green, follow_url=self.settings.follow_url))
            self.counters["printed"] += 1
        except (PrinterProblem, ValueError) as e:
            printed = False
            problem = e.code if isinstance(e, PrinterProblem) else "failed"
            log.warning("ticket %s not printed (%s): it is shown on screen", ticket.number, e)
            self.counters["print_failed"] += 1
            self._faults.add("printer")
            self._unshown = (ticket, self.clock() + self.settings.ticket_show_seconds)
        check_in = None
        if appointment is not None:
            check_in = "in_slot" if ticket.priority == "appointment" else "outside_slot"
        result = TicketResult(ticket, names[0] or ticket.business_name,
                              names[1] or ticket.business_name_en, printed, problem, green,
                              hint, check_in)
        self._go(Screen.TICKET, result=result, busy=False)

    def _check_in(self, appt: Booking) -> None:
        self._pending_appointment = None
        self._issue(appt.business, appointment=appt)

    def _cancel_unshown(self) -> None:
        """An unprinted ticket the screen never showed was never handed out: take it back."""
        assert self._unshown is not None
        ticket, _ = self._unshown
        self._unshown = None
        self._take_back(ticket)
        if self.state.screen is Screen.TICKET:
            self.home()

    def _settle(self) -> None:
        """Cancel the tickets of requests whose answer never came: the applicant was told
        the server was away and has left with nothing."""
        for key in list(self._unsettled):
            try:
                ticket = self.client.ticket_by_request_key(key)
            except ServerUnreachable:
                return  # next time
            except (Refused, FeatureMissing) as e:
                log.error("cannot look up an unanswered ticket request: %s", e)
                ticket = None
            self._unsettled.remove(key)
            if ticket is not None and ticket.status == "waiting":
                self._take_back(ticket)

    def _take_back(self, ticket: Ticket) -> None:
        """Cancel a ticket nobody received, so the day's figures do not count it."""
        try:
            self.client.cancel_ticket(ticket.id)
            self.counters["cancelled_unshown"] += 1
            log.warning("ticket %s neither printed nor shown: cancelled", ticket.number)
        except (ServerUnreachable, Refused, FeatureMissing) as e:
            log.error("could not cancel ticket %s nobody received: %s", ticket.number, e)

    # === cases and the archive ============================================================

    def _lookup_case(self, case_no: str, *, id_number: str | None = None,
                     receipt_token: str | None = None) -> None:
        def refused(e: Refused) -> None:
            # The server gives one answer to "no such case" and "not its applicant", on
            # purpose; a malformed case number is, for the applicant, the same thing.
            if e.code in ("invalid_input", "not_found", "forbidden"):
                code = "case_not_found"
            elif e.code in texts.MESSAGES:
                code = e.code
            else:
                code = "case_not_found" if e.status in (403, 404, 422) else e.code
            self._message(code, e.message_zh, e.message_en)

        case = self._ask(lambda: self.client.case_progress(
            case_no, id_number=id_number, receipt_token=receipt_token), refused)
        if case is not None:
            self.counters["cases_shown"] += 1
            self._go(Screen.CASE, case=case, busy=False)

    def _lookup_archive(self, applicant: Applicant) -> None:
        id_number = applicant.id_number
        assert id_number is not None
        properties = self._ask(lambda: self.client.archive(id_number), lambda e: self._message(
            e.code if e.code in texts.MESSAGES else "archive_refused", e.message_zh,
            e.message_en))
        if properties is None:
            return
        self.counters["archives_shown"] += 1
        self._go(Screen.ARCHIVE, properties=properties, busy=False)

    # === helpers ==========================================================================

    def _ask(self, call: Callable[[], R], refused: Callable[[Refused], None]) -> R | None:
        """A question to the server while the applicant waits: its answer, or None once the
        screen says why there is none (`refused` words a refusal for its purpose)."""
        self._set(busy=True, notice="")
        try:
            return call()
        except Refused as e:
            refused(e)
        except FeatureMissing:
            self._message("feature_unavailable")
        except ServerUnreachable as e:
            log.warning("no answer from the server: %s", e)
            self._server_lost(show=True)
        return None

    def _reader_ok(self) -> bool:
        return self.hw.has("idcard") and "idcard" not in self._faults

    def _allow_anonymous(self) -> bool:
        return bool(self.hall and self.hall.allow_anonymous)

    def _green_eligible(self, applicant: Applicant) -> bool:
        return bool(self.hall and applicant.id_number
                    and applicant.age_on(self.hall.day) >= self.hall.green_age)

    def _home_screen(self) -> Screen:
        return Screen.HOME if self.server_problem is None else Screen.OFFLINE

    def _touch(self) -> None:
        self._last_activity = self.clock()

    def _message(self, code: str, detail_zh: str = "", detail_en: str = "") -> None:
        self._go(Screen.MESSAGE, message=Message(code, detail_zh, detail_en), busy=False)

    def _go(self, screen: Screen, **changes: Any) -> None:
        self._set(screen=screen, **changes)

    def _set_fresh(self, screen: Screen, **changes: Any) -> None:
        """A new session on `screen`: only the hall, the faults survive; language resets."""
        self._pending_appointment = None
        old = self.state
        self._commit(State(screen=screen, hall=changes.pop("hall", old.hall), **changes))

    def _set(self, **changes: Any) -> None:
        self._commit(replace(self.state, **changes))

    def _commit(self, new: State) -> None:
        new = replace(new, faults=frozenset(self._faults))
        if new == self.state:
            return
        self.state = new
        self._prompt(new)
        for listener in list(self.listeners):
            try:
                listener(new)
            except Exception:  # a screen that fails to draw must not stop the flow
                log.exception("state listener failed")

    def _prompt(self, s: State) -> None:
        """Say what this screen wants, once per screen (and once per new notice)."""
        if not self.settings.voice or s.busy:
            return
        key = (s.screen, s.notice)
        if key == self._spoken:
            return
        self._spoken = key
        self.hw.say(texts.voice_prompt(s))
