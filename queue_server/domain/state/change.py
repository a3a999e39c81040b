"""What a use case returns, and the few values every use case shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from queue_server.domain.events import Event
from queue_server.domain.notices import Notice
from queue_server.domain.tickets import Ticket
from queue_server.domain.windows import WindowState

ANY_STAFF = None  # acting_window=None: a guide or admin, who may act on any window


@dataclass
class Change:
    tickets: list[Ticket] = field(default_factory=list)
    windows: list[WindowState] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    sequences: dict[str, int] = field(default_factory=dict)  # business → last number used
    result: Ticket | None = None
    new_day: date | None = None
    report: dict[str, object] | None = None
    notices: list[Notice] = field(default_factory=list)  # 不予受理告知单, stored with it


@dataclass(frozen=True)
class Appointment:
    code: str
    slot_start: datetime
    slot_end: datetime



def minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60.0
