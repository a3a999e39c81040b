"""What a device token may see and do with tickets: the rules of scoped kiosk tokens.

A kiosk is a PC in a public hall and its token can be copied. So a kiosk token reaches
only the tickets it issued itself, and only for a short while after issuing them: long
enough to take back a ticket nobody received (printer jammed, applicant walked away),
too short to watch or disturb anyone's visit. Staff tokens are not scoped here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from queue_server.domain.tickets import Ticket

DEFAULT_KIOSK_TICKET_MINUTES = 10


def kiosk_reaches(t: Ticket, token_id: str, now: datetime, minutes: float) -> bool:
    """May the kiosk holding `token_id` see or act on `t` now?"""
    return t.issued_by == token_id and now - t.issued_at <= timedelta(minutes=minutes)


OFFER_MINUTES = 10  # a kiosk rates what it offered the applicant, while they stand there
MAX_OFFERS_PER_KIOSK = 64


class Offers:
    """The services each kiosk has offered an applicant to rate (after the ID card or a
    scanned ticket), for a few minutes: a kiosk token rates those and nothing else, so a
    copied one cannot pour bad reviews, and so work orders, onto any ticket of the day."""

    def __init__(self, minutes: float = OFFER_MINUTES) -> None:
        self.minutes = minutes
        self._by_kiosk: dict[str, dict[tuple[str, int], datetime]] = {}

    def offer(self, token_id: str, services: list[tuple[str, int]], now: datetime) -> None:
        held = self._by_kiosk.setdefault(token_id, {})
        for key in services:
            held.pop(key, None)
            held[key] = now
        self._drop_old(held, now)

    def offered(self, token_id: str, ticket_id: str, window: int, now: datetime) -> bool:
        at = self._by_kiosk.get(token_id, {}).get((ticket_id, window))
        return at is not None and now - at <= timedelta(minutes=self.minutes)

    def _drop_old(self, held: dict[tuple[str, int], datetime], now: datetime) -> None:
        limit = timedelta(minutes=self.minutes)
        for key in [k for k, at in held.items() if now - at > limit]:
            del held[key]
        while len(held) > MAX_OFFERS_PER_KIOSK:  # oldest first: dicts keep insertion order
            del held[next(iter(held))]
