"""Tickets: issuing, handing out (print or screen), taking back those nobody received."""

from __future__ import annotations

import logging
import uuid

from kiosk.client import FeatureMissing, Refused, ServerUnreachable
from kiosk.flow.core import FlowCore
from kiosk.hardware import PrinterProblem
from kiosk.models import Booking, Item, Ticket
from kiosk.state import Screen, TicketResult
from kiosk.ticketing import public_base, qr_link, ticket_print, window_hint

log = logging.getLogger(__name__)


class Issuing(FlowCore):
    """A ticket from the request to the applicant's hand, or back to the server."""

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
        steps = len(self.journeys.get(journey or "", ())) if journey else 0
        try:
            self._hand_out(ticket, appointment, names, steps)
        except BaseException:
            # A fault (or the kiosk shutting down) between issuing the ticket and showing
            # it: the applicant never got it.
            self._take_back(ticket)
            raise

    def _hand_out(self, ticket: Ticket, appointment: Booking | None,
                  names: tuple[str, str], journey_steps: int = 0) -> None:
        """Print the ticket, or, when the printer fails, keep it on screen to be noted."""
        assert self.hall is not None
        try:
            hint = window_hint(self.client.windows(), ticket.business)
        except (ServerUnreachable, Refused, FeatureMissing):
            hint = ("", "")
        green = ticket.priority == "green"
        printed, problem = True, None
        base = self._follow_base(ticket)
        try:
            self.hw.print_ticket(ticket_print(ticket, hall_name=self.hall.name, window=hint[0],
                                              green=green, follow_url=self.settings.follow_url,
                                              server_base=base))
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
                              hint, check_in, journey_steps)
        self._go(Screen.TICKET, result=result, busy=False)

    def _follow_base(self, ticket: Ticket) -> str:
        """Where a ticket's follow path (`/t/…`) is opened from, when neither the server
        (HALLQ_PUBLIC_URL) nor this kiosk (--follow-url) names a public address: the
        server's address as this kiosk reaches it, unless that is this machine itself.
        Why a ticket then goes without its QR is logged once, not on every ticket."""
        base, why = public_base(self.client.base_url)
        if not qr_link(ticket, self.settings.follow_url, base) and not self._told_no_qr:
            self._told_no_qr = True
            log.warning("tickets are printed without their follow-link QR: %s",
                        why or f"the server gave no follow link ({ticket.follow_url!r})")
        return base

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

