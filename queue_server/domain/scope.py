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
