"""Reading what a period's report is computed from: tickets, transitions, ratings, orders.

Bounded by the period on indexed columns: tickets by `day` (ix_tickets_day_status),
events by `at` (ix_events_at), evaluations by `day` (ix_evaluations_day). Only the
columns the figures need are read; an event's JSON `data` only for transfers and
forwards, whose target business it names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, String, case, select, type_coerce

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


def _instant(value: Any) -> datetime:
    # SQLite hands back text; reading it here skips SQLAlchemy's per-row regex parsing,
    # which costs more than the whole figure computation over a year.
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Reports:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite = engine.dialect.name == "sqlite"

    def _at(self, column: Any) -> Any:
        return type_coerce(column, String) if self._sqlite else column

    def read(self, start: date, end: date, setup: Setup) -> Inputs:
        """Everything about business days `start`..`end` (inclusive)."""
        lo = next_clear_at(start - timedelta(days=1), setup.tz, setup.clear_time)
        hi = next_clear_at(end, setup.tz, setup.clear_time) + CLEAR_SLACK
        data = case((events.c.type.in_(list(MOVES)), type_coerce(events.c.data, String)),
                    else_=None)
        with self.engine.connect() as conn:
            trows = conn.execute(
                select(tickets.c.id, tickets.c.day, tickets.c.origin_business,
                       tickets.c.closed_reason, self._at(tickets.c.finished_at))
                .where(tickets.c.day >= start, tickets.c.day <= end)).all()
            erows = conn.execute(
                select(events.c.seq, self._at(events.c.at), events.c.type, events.c.ticket_id,
                       events.c.window, events.c.staff, data)
                .where(events.c.at >= lo, events.c.at < hi)).all()
            rrows = conn.execute(
                select(evaluations.c.id, evaluations.c.ticket_id, evaluations.c.service_seq,
                       evaluations.c.rating, evaluations.c.business, evaluations.c.window,
                       evaluations.c.staff, self._at(evaluations.c.at))
                .where(evaluations.c.day >= start, evaluations.c.day <= end)).all()
            orows = conn.execute(
                select(work_orders.c.evaluation_id, work_orders.c.due_date,
                       self._at(work_orders.c.replied_at))
                .join(evaluations, evaluations.c.id == work_orders.c.evaluation_id)
                .where(evaluations.c.day >= start, evaluations.c.day <= end)).all()
        ticket_rows = [TicketRow(r[0], _day(r[1]), r[2], r[3],
                                 _instant(r[4]) if r[4] is not None else None) for r in trows]
        transitions = [Transition(r[0], _instant(r[1]), r[2], r[3], r[4], r[5],
                                  _target(r[6]) if r[6] is not None else None) for r in erows]
        ratings = [RatingRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], _instant(r[7]))
                   for r in rrows]
        orders = [OrderRow(r[0], _day(r[1]), _instant(r[2]) if r[2] is not None else None)
                  for r in orows]
        return Inputs(ticket_rows, transitions, ratings, orders)


def _day(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _target(raw: Any) -> str | None:
    data = json.loads(raw) if isinstance(raw, str) else raw
    return data.get("to") if isinstance(data, dict) else None
