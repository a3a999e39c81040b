"""好差评 at the kiosk: after the visit, the applicant rates a service of today.

    HOME ──评价服务──► CARD ──card──► none pending ──► MESSAGE "nothing_to_rate"
      └──────── ticket QR (follow link) scanned on HOME or CARD ──┤ unknown ──► "follow_unknown"
                                   └─► RATE ──3–5─► RATE_DIMS ──submit / skip──► sent ─► RATE_THANKS
                                        └─1–2─► RATE_REASON ──reason / skip──┘              │
                        RATE ◄──"rate the next" (another service of the same visit)─────────┘

As on the pads: after the overall rating, optional questions (the three dimensions for
3–5, the reason for 1–2). Nothing goes to the server before the overall touch; once it
was given it counts: an applicant who walks away from the optional questions (the idle
time-out) has the overall rating sent as it is, without dimensions or reason, good or
bad alike (sending only the good ones would flatter the figures and lose the bad ones'
work orders). "Home", or "back" to change the level, sends nothing: a choice, not a
walk-away. A refusal (already rated, not finished, another day) is a plain message; a
server that is away is the flow's usual offline handling.

Part of the Flow (it calls the flow's helpers and changes its state); kept apart so that
kiosk/flow/ stays readable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk import texts
from kiosk.client import FeatureMissing, Refused, ServerUnreachable
from kiosk.models import Dimension, Reason, Service
from kiosk.state import Applicant, Purpose, Screen

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
        self._start(lambda: self.flow.client.pending_evaluations(id_number), self._refused)

    def on_follow(self, ref: str) -> None:
        """The ticket's QR scanned (its follow link): that ticket's services to rate, through
        the same screens as the card's, sent with the kiosk's token (channel kiosk)."""
        self.flow._set(purpose=Purpose.RATE, applicant=None)
        self._start(lambda: self.flow.client.follow_to_rate(ref), self._follow_refused)

    def _start(self, services_of: Callable[[], tuple[Service, ...]],
               refused: Callable[[Refused], None]) -> None:
        client = self.flow.client

        def lookup() -> tuple[tuple[Service, ...], tuple[Reason, ...], tuple[Dimension, ...]]:
            services = services_of()
            # The reasons and dimensions now, while "please wait" shows anyway: the next
            # screen then needs no second wait. Asked once per hall reload.
            return (services, *client.evaluation_words()) if services else (services, (), ())

        found = self.flow._ask(lookup, refused)
        if found is None:
            return
        services, reasons, dimensions = found
        if not services:
            self.flow._message("nothing_to_rate")
            return
        self.flow._go(Screen.RATE, to_rate=services, reasons=reasons, dimensions=dimensions,
                      rating=None, scores=(), rated=None, busy=False, notice="")

    def choose(self, rating: int) -> None:
        """One of the five levels pressed: a bad one asks why, a good or middling one the
        dimensions (the applicant may skip either). A server that lists neither has the
        rating sent at once."""
        s = self.flow.state
        if s.screen is not Screen.RATE or not s.to_rate or rating not in LEVELS:
            return
        if rating <= BAD_UP_TO and s.reasons:
            self.flow._go(Screen.RATE_REASON, rating=rating, notice="")
        elif rating > BAD_UP_TO and s.dimensions:
            self.flow._go(Screen.RATE_DIMS, rating=rating, scores=(), notice="")
        else:
            self._send(rating, None)

    def choose_dimension(self, code: str, level: int) -> None:
        """A level of one dimension pressed: chosen, or, pressed again, un-chosen."""
        s = self.flow.state
        if (s.screen is not Screen.RATE_DIMS or level not in LEVELS
                or code not in {d.code for d in s.dimensions}):
            return
        scores = dict(s.scores)
        if scores.get(code) == level:
            del scores[code]
        else:
            scores[code] = level
        # In the server's order, so that equal choices make equal states.
        self.flow._set(scores=tuple((d.code, scores[d.code]) for d in s.dimensions
                                    if d.code in scores))

    def submit_dimensions(self, with_scores: bool = True) -> None:
        """提交评价 (the overall with the dimensions chosen), or 跳过 (the overall alone)."""
        s = self.flow.state
        if s.screen is Screen.RATE_DIMS and s.rating is not None:
            self._send(s.rating, None, dict(s.scores) if with_scores else None)

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
            self.flow._go(Screen.RATE, rating=None, scores=(), rated=None, notice="")

    def walked_away(self) -> None:
        """The idle time-out on an optional question: the overall touch was given, so it is
        sent as it is (the flow then goes home, whatever the answer). Quietly: nobody is
        there to read a message."""
        s = self.flow.state
        if s.screen not in (Screen.RATE_DIMS, Screen.RATE_REASON) or s.rating is None:
            return
        service = s.to_rate[0]
        try:
            self.flow.client.evaluate(service.ticket, s.rating, window=service.window)
        except (Refused, FeatureMissing) as e:
            log.info("rating left on %s not taken: %s", s.screen, e)
            return
        except ServerUnreachable as e:
            log.warning("rating left on %s not sent, no answer from the server: %s",
                        s.screen, e)
            self.flow._server_lost(show=False)
            return
        self.flow.counters["ratings_sent"] += 1
        self.flow.counters["ratings_left"] += 1
        log.info("rated %s at window %d: %d (walked away from the %s)", service.number,
                 service.window, s.rating, s.screen)

    def _send(self, rating: int, reason: str | None,
              dimensions: dict[str, int] | None = None) -> None:
        s = self.flow.state
        service = s.to_rate[0]
        done = self.flow._ask(lambda: self.flow.client.evaluate(
            service.ticket, rating, window=service.window, reason=reason,
            dimensions=dimensions), self._refused)
        if done is None:
            return
        self.flow.counters["ratings_sent"] += 1
        log.info("rated %s at window %d: %d %s", service.number, service.window, rating,
                 dimensions or "")
        # Offered next: only the rest of the same visit (a journey's other windows). Other
        # visits of the day wait for the card to be laid again: one visit at a time.
        rest = tuple(x for x in s.to_rate[1:] if x.ticket == service.ticket)
        self.flow._go(Screen.RATE_THANKS, to_rate=rest, rating=None, scores=(), rated=rating,
                      busy=False)

    def _follow_refused(self, e: Refused) -> None:
        if e.code == "follow_expired":
            # Yesterday's ticket: a real one, only its day is over. "Not recognised" would
            # send the applicant to the desk about a ticket that is fine.
            self.flow._message("nothing_to_rate")
        elif e.code == "unknown_follow" or e.status == 404:
            log.info("follow link not known to the server: %s", e)
            self.flow._message("follow_unknown")
        else:
            self._refused(e)

    def _refused(self, e: Refused) -> None:
        log.info("rating refused: %s", e)
        if e.code in PLAIN_REFUSALS:
            self.flow._message(e.code)
        else:
            self.flow._message(e.code if e.code in texts.MESSAGES else "rate_refused",
                               e.message_zh, e.message_en)
