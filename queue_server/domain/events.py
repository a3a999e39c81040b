"""The domain events every display, console, log and LED bridge consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    TICKET_ISSUED = "ticket.issued"
    TICKET_CALLED = "ticket.called"
    TICKET_RECALLED = "ticket.recalled"
    TICKET_STARTED = "ticket.started"
    TICKET_COMPLETED = "ticket.completed"
    TICKET_NO_SHOW = "ticket.no_show"
    TICKET_REFUSED = "ticket.refused"  # 不予受理: closed with a written notice
    TICKET_PARKED = "ticket.parked"
    TICKET_CANCELLED = "ticket.cancelled"
    TICKET_TRANSFERRED = "ticket.transferred"
    TICKET_FORWARDED = "ticket.forwarded"
    TICKET_ABANDONED = "ticket.abandoned"
    WINDOW_OPENED = "window.opened"
    WINDOW_CLOSED = "window.closed"
    WINDOW_PAUSED = "window.paused"
    WINDOW_RESUMED = "window.resumed"
    WINDOW_RESKILLED = "window.reskilled"
    STAFF_SIGNED_IN = "staff.signed_in"
    STAFF_SIGNED_OUT = "staff.signed_out"
    EVALUATION_RECORDED = "evaluation.recorded"
    DAY_CLOSED = "day.closed"


# Events that put a voice announcement and a highlight on the hall screen.
CALL_EVENTS = frozenset({EventType.TICKET_CALLED, EventType.TICKET_RECALLED})


@dataclass(frozen=True)
class Event:
    type: EventType
    at: datetime
    actor: str
    ticket_id: str | None = None
    window: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    staff: str | None = None  # the staff number on duty at `window` when it happened
