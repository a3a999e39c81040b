"""The daily clear: open tickets closed as abandoned, windows reset, the day reported."""

from __future__ import annotations

from datetime import date, datetime

from queue_server.domain.events import Event, EventType
from queue_server.domain.state.change import Change
from queue_server.domain.state.duty import Duty
from queue_server.domain.state.report import day_report
from queue_server.domain.tickets import OPEN_STATUSES, Status
from queue_server.domain.windows import WindowState


class DayClear(Duty):
    """The end of the business day."""

    def close_day(self, now: datetime, new_day: date, *, actor: str = "system") -> Change:
        """Close every open ticket as abandoned and report the day; windows start afresh."""
        change = Change(new_day=new_day)
        for t in self.tickets.values():
            if t.status in OPEN_STATUSES:
                change.tickets.append(t.moved(status=Status.CANCELLED, finished_at=now,
                                              closed_reason="abandoned"))
                change.events.append(Event(EventType.TICKET_ABANDONED, now, actor, t.id, t.window,
                                           {"number": t.number, "business": t.business}))
        for w in self.windows.values():
            if w.staff is not None:  # a new day starts with nobody on duty
                change.events.append(self._signed_out(w, now, actor, "day_closed"))
        change.windows = [WindowState.from_layout(w) for w in self.layout.windows.values()]
        change.report = day_report(self.day, [*self.tickets.values()], change.tickets)
        change.events.append(Event(EventType.DAY_CLOSED, now, actor, None, None,
                                   {"day": self.day.isoformat(), "new_day": new_day.isoformat(),
                                    "report": change.report}))
        return change

