"""The devices: the card reader and the scanner polled, and what a card or a code means."""

from __future__ import annotations

import logging

from devices.health import HealthState
from devices.idcard import CardIdentity
from kiosk import texts
from kiosk.client import Refused
from kiosk.codes import Code, FollowLink, Receipt
from kiosk.flow.core import FlowCore
from kiosk.hardware import CardProblem, ReaderDown, ScannerDown, SlipProblem
from kiosk.models import CheckedSlip
from kiosk.state import Purpose, Screen, State, applicant_from_card

log = logging.getLogger(__name__)


class Polling(FlowCore):
    """Each tick reads the devices the screen listens to and acts on what they give."""

    def _poll_devices(self) -> None:
        if self.state.busy:
            return
        # Every screen: a card laid while the last applicant's ticket (or anything else of
        # theirs) is on the glass is the next applicant. Only polling sees the old card
        # lifted; a reader left unpolled would ignore the new one until laid a second time.
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
            self._new_card_ends_session()
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
            self._new_card_ends_session()
            self._on_card(card)

    def _new_card_ends_session(self) -> None:
        """A card laid anywhere but the start and the card screen is someone new: the
        session on screen ends at once (a rating left on its optional questions is sent,
        as on the idle time-out), and the card is read as on the start screen."""
        if self.state.screen in (Screen.HOME, Screen.CARD, Screen.OFFLINE, Screen.STARTING):
            return
        log.info("a new card on %s: the session there ends", self.state.screen)
        self.counters["sessions_ended_by_card"] += 1
        self.rating.walked_away()
        # Not committed: the card's own screen follows at once, with no flash of home.
        self._pending_appointment = None
        self.state = State(screen=Screen.HOME, hall=self.state.hall,
                           faults=self.state.faults)

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
        applicant = applicant_from_card(card)
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
            self._lookup_case(s.case_input, id_number=applicant.id_number, card=applicant.card)
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

