"""Reading what a period's report is computed from: tickets, transitions, ratings, orders.

Bounded by the period on indexed columns: tickets by `day` (ix_tickets_day_status),
events by `at` (ix_events_at), evaluations by `day` (ix_evaluations_day). Only the
columns the figures need are read; an event's JSON `data` only for transfers and
forwards, whose target business it names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, Float, case, cast, func, select

from queue_server.domain.kpi import (
    MOVES,
    OrderRow,
    RatingRow,
    Setup,
    TicketRow,
    Transition,
)
from queue_server.domain.tickets import next_clear_at
from queue_server.store.tables import evaluations, events, tickets, work_orders

# A ticket's own transitions all lie within its business day, but for the clear's: it
# runs a little after the clear time, or at the next start when the server was down
# (then the ticket row's closing stands in for the event, see kpi.build_visits).
CLEAR_SLACK = timedelta(hours=6)


@dataclass(frozen=True)
class Inputs:
    tickets: list[TicketRow]
    transitions: list[Transition]
    ratings: list[RatingRow]
    orders: list[OrderRow]


class Reports:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite = engine.dialect.name == "sqlite"

    def _epoch(self, column: Any) -> Any:
        """Seconds since 1970 as a float, computed by the database: parsing a million
        timestamps in Python would cost more than the whole report."""
        if self._sqlite:
            # SQLite keeps naive UTC text; to the millisecond, so whole minutes stay whole.
            return func.round((func.julianday(column) - 2440587.5) * 86400.0, 3)
        return cast(func.extract("epoch", column), Float)

    def read(self, start: date, end: date, setup: Setup) -> Inputs:
        """Everything about business days `start`..`end` (inclusive)."""
        lo = next_clear_at(start - timedelta(days=1), setup.tz, setup.clear_time)
        hi = next_clear_at(end, setup.tz, setup.clear_time) + CLEAR_SLACK
        target = case((events.c.type.in_(list(MOVES)), events.c.data["to"].as_string()),
                      else_=None)
        with self.engine.connect() as conn:
            trows = conn.execute(
                select(tickets.c.id, tickets.c.day, tickets.c.origin_business,
                       tickets.c.closed_reason, self._epoch(tickets.c.finished_at))
                .where(tickets.c.day >= start, tickets.c.day <= end)).all()
            erows = conn.execute(
                select(events.c.seq, self._epoch(events.c.at), events.c.type,
                       events.c.ticket_id, events.c.window, events.c.staff, target)
                .where(events.c.at >= lo, events.c.at < hi)).all()
            rrows = conn.execute(
                select(evaluations.c.id, evaluations.c.ticket_id, evaluations.c.service_seq,
                       evaluations.c.rating, evaluations.c.business, evaluations.c.window,
                       evaluations.c.staff, self._epoch(evaluations.c.at), evaluations.c.day)
                .where(evaluations.c.day >= start, evaluations.c.day <= end)).all()
            orows = conn.execute(
                select(work_orders.c.evaluation_id, work_orders.c.due_date,
                       self._epoch(work_orders.c.replied_at))
                .join(evaluations, evaluations.c.id == work_orders.c.evaluation_id)
                .where(evaluations.c.day >= start, evaluations.c.day <= end)).all()
        return Inputs(list(map(TicketRow._make, trows)), list(map(Transition._make, erows)),
                      list(map(RatingRow._make, rrows)), list(map(OrderRow._make, orows)))
