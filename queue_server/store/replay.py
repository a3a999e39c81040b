"""Reading one stored business day for `hallq simulate --replay` (simulation/replay.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select

from queue_server.store.tables import events, tickets

# Window events that change whether a window serves: the replay keeps them as pauses.
WINDOW_EVENTS = ("window.paused", "window.resumed", "window.closed", "window.opened")


def read_day(engine: Engine, day: date, since: datetime
             ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The day's ticket rows, and the events of those tickets plus the window events of
    the hours they span, as plain dicts ordered by time.

    Two queries whatever the day's size: the ticket events by a sub-select on the day (no
    list of ids bound into the statement, which SQLite caps), the window events by time.
    """
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(
            select(tickets).where(tickets.c.day == day).order_by(tickets.c.issued_at))]
        if not rows:
            return [], []
        ids = select(tickets.c.id).where(tickets.c.day == day).scalar_subquery()
        evs = [dict(r._mapping) for r in conn.execute(
            select(events).where(events.c.ticket_id.in_(ids))
            .order_by(events.c.at, events.c.seq))]
        end = max([since, *(r["issued_at"] for r in rows), *(e["at"] for e in evs)])
        # From the day's local midnight (the evening's daily clear reset every window, so
        # nothing earlier still holds) to its last ticket event (nothing later is replayed).
        evs += [dict(r._mapping) for r in conn.execute(
            select(events).where(events.c.type.in_(WINDOW_EVENTS),
                                 events.c.at >= since, events.c.at <= end)
            .order_by(events.c.at, events.c.seq))]
    return rows, evs
