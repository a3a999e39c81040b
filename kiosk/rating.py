"""好差评 at the kiosk: after the visit, the applicant rates a service of today.

    HOME ──评价服务──► CARD ──card──► none pending ──► MESSAGE "nothing_to_rate"
                                   └─► RATE ──3–5──────────────────────────► sent ─► RATE_THANKS
                                        └─1–2─► RATE_REASON ──reason / skip──┘          │
                        RATE ◄──"rate the next" (another service of the same visit)─────┘

Nothing goes to the server until the applicant has pressed the last button of a rating:
"home", the idle time-out, or a reason screen left alone all send nothing, so no rating
is ever assumed (a half-given bad rating may be a mis-touch the applicant walked away
from). A refusal (already rated, not finished, another day) is a plain message; a server
that is away is the flow's usual offline handling.

Part of the Flow (it calls the flow's helpers and changes its state); kept apart so that
flow.py stays readable.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kiosk import texts
from kiosk.client import Refused
from kiosk.models import Reason, Service
from kiosk.state import Applicant, Screen

if TYPE_CHECKING:
    from kiosk.flow import Flow

log = logging.getLogger(__name__)

LEVELS = (5, 4, 3, 2, 1)  # as the pads show them: best first
BAD_UP_TO = 2  # 不满意 and 非常不满意 ask for a reason (and open a work order on the server)
# The server's own words for these say what the title already says: shown without them.
PLAIN_REFUSALS = frozenset({"already_evaluated", "not_served", "evaluation_closed"})


class RatingSteps:
    def __init__(self, flow: Flow) -> None:
        self.flow = flow

    def on_card(self, applicant: Applicant) -> None:
        """The card holder's services to rate: the newest first, or a message saying there
        are none and what to do."""
        id_number = applicant.id_number
        assert id_number is not None
        client = self.flow.client

        def lookup() -> tuple[tuple[Service, ...], tuple[Reason, ...]]:
            services = client.pending_evaluations(id_number)
            # The reasons now, while "please wait" shows anyway: a bad rating then needs
            # no second wait. Asked once per hall reload.
            return services, client.evaluation_reasons() if services else ()

        found = self.flow._ask(lookup, self._refused)
        if found is None:
            return
        services, reasons = found
        if not services:
            self.flow._message("nothing_to_rate")
            return
        self.flow._go(Screen.RATE, to_rate=services, reasons=reasons, rating=None, rated=None,
                      busy=False, notice="")

    def choose(self, rating: int) -> None:
        """One of the five levels pressed: a good one is sent at once; a bad one first
        asks why (the applicant may skip that)."""
        s = self.flow.state
        if s.screen is not Screen.RATE or not s.to_rate or rating not in LEVELS:
            return
        if rating <= BAD_UP_TO and s.reasons:
            self.flow._go(Screen.RATE_REASON, rating=rating, notice="")
        else:
            self._send(rating, None)

    def choose_reason(self, code: str | None) -> None:
        """A reason from the list, or None: sent without one."""
        s = self.flow.state
        if s.screen is not Screen.RATE_REASON or s.rating is None:
            return
        if code is not None and code not in {r.code for r in s.reasons}:
            return
        self._send(s.rating, code)

    def rate_next(self) -> None:
        s = self.flow.state
        if s.screen is Screen.RATE_THANKS and s.to_rate:
            self.flow._go(Screen.RATE, rating=None, rated=None, notice="")

    def _send(self, rating: int, reason: str | None) -> None:
        s = self.flow.state
        service = s.to_rate[0]
        done = self.flow._ask(lambda: self.flow.client.evaluate(
            service.ticket, rating, window=service.window, reason=reason), self._refused)
        if done is None:
            return
        self.flow.counters["ratings_sent"] += 1
        log.info("rated %s at window %d: %d", service.number, service.window, rating)
        # Offered next: only the rest of the same visit (a journey's other windows). Other
        # visits of the day wait for the card to be laid again: one visit at a time.
        rest = tuple(x for x in s.to_rate[1:] if x.ticket == service.ticket)
        self.flow._go(Screen.RATE_THANKS, to_rate=rest, rating=None, rated=rating, busy=False)

    def _refused(self, e: Refused) -> None:
        log.info("rating refused: %s", e)
        if e.code in PLAIN_REFUSALS:
            self.flow._message(e.code)
        else:
            self.flow._message(e.code if e.code in texts.MESSAGES else "rate_refused",
                               e.message_zh, e.message_en)
