"""A period's report: what it is computed from (tickets, transitions, ratings, orders),
and the daily roll-ups that spare re-reading closed days.

Bounded by the period on indexed columns: tickets by `day` (ix_tickets_day_status),
events by `at` (ix_events_at), evaluations by `day` (ix_evaluations_day). Only the
columns the figures need are read; an event's JSON `data` only for transfers and
forwards, whose target business it names.

A closed day's figures never change but for its work orders (replied for weeks after),
so each closed day's `kpi.partials` is kept in `report_days` the first time a report
covers it, and later reports sum those rows; work orders are read afresh every time.
Today, and any day still holding open tickets (its clear has not run), is always
computed from its transitions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Float, case, cast, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from queue_server.domain import kpi
from queue_server.domain.kpi import (
    MOVES,
    OrderRow,
    RatingRow,
    Setup,
    TicketRow,
    Transition,
)
from queue_server.domain.tickets import next_clear_at
from queue_server.store.tables import evaluations, events, report_days, tickets, work_orders

READ_DAYS = 31  # days of transitions read at once when rolling up: bounded memory

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
    def __init__(self, engine: Engine, hall: str | None = None) -> None:
        """`hall`: read only that hall's rows (the city centre holds every hall's); a
        hall's own database holds only its own, so the hall's server passes none."""
        self.engine = engine
        self.hall = hall
        self._sqlite = engine.dialect.name == "sqlite"

    def _mine(self, table: Any) -> list[Any]:
        return [] if self.hall is None else [table.c.hall == self.hall]

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
                       tickets.c.closed_reason, self._epoch(tickets.c.finished_at),
                       tickets.c.precheck_item.is_not(None))
                .where(tickets.c.day >= start, tickets.c.day <= end, *self._mine(tickets))
            ).all()
            erows = conn.execute(
                select(events.c.seq, self._epoch(events.c.at), events.c.type,
                       events.c.ticket_id, events.c.window, events.c.staff, target)
                .where(events.c.at >= lo, events.c.at < hi, *self._mine(events))).all()
            rrows = conn.execute(
                select(evaluations.c.id, evaluations.c.ticket_id, evaluations.c.service_seq,
                       evaluations.c.rating, evaluations.c.business, evaluations.c.window,
                       evaluations.c.staff, self._epoch(evaluations.c.at), evaluations.c.day)
                .where(evaluations.c.day >= start, evaluations.c.day <= end,
                       *self._mine(evaluations))).all()
        return Inputs(list(map(TicketRow._make, trows)), list(map(Transition._make, erows)),
                      list(map(RatingRow._make, rrows)), self.orders(start, end))

    def orders(self, start: date, end: date) -> list[OrderRow]:
        """The work orders opened by the period's ratings, as they stand now."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(work_orders.c.evaluation_id, work_orders.c.due_date,
                       self._epoch(work_orders.c.replied_at))
                .join(evaluations, (evaluations.c.id == work_orders.c.evaluation_id)
                      & (evaluations.c.hall == work_orders.c.hall))
                .where(evaluations.c.day >= start, evaluations.c.day <= end,
                       *self._mine(evaluations))).all()
        return list(map(OrderRow._make, rows))

    def report(self, by: kpi.By, start: date, end: date, setup: Setup, *, today: date,
               now: datetime) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The period's rows and totals: closed days from their roll-ups (made now where
        missing), today and unclosed days from their transitions."""
        days = list(_days(start, end))
        have = self.rolled_up(by, start, min(end, today - timedelta(days=1)))
        for run in _runs([d for d in days if d not in have], READ_DAYS):
            have.update(self.compute(by, run, setup, today=today, now=now))
        return kpi.combine(by, setup, (have[d] for d in days), self.orders(start, end),
                           today=today)

    def compute(self, by: kpi.By, run: list[date], setup: Setup, *, today: date,
                now: datetime) -> kpi.Partials:
        """`by`'s figures for consecutive days `run`, from their transitions. Reading
        them is most of the cost, so the closed days among them are rolled up for every
        grouping at once, not only the one asked for."""
        data = self.read(run[0], run[-1], setup)
        running = now if run[0] <= today <= run[-1] else None
        facts = kpi.facts(setup, data.tickets, data.transitions, data.ratings, today=today,
                          now=running)
        kept = self._kept_days(run[0], run[-1])
        out: kpi.Partials = {}
        for b in kpi.By:
            made = kpi.group(b, setup, facts, run)
            self.keep(b, {d: made[d] for d in run if d < today and (d, b.value) not in kept
                          and made[d][kpi.DAY_TOTAL].open == 0}, now)
            if b is by:
                out = {d: made[d] for d in run}
        return out

    def rebuild(self, start: date, end: date, setup: Setup, *, today: date,
                now: datetime) -> int:
        """Drop the closed days' kept figures in [start, end] and make them again from
        the transitions (after a layout change, or ahead of the first report over days
        from before roll-ups existed); returns the days kept."""
        last = min(end, today - timedelta(days=1))
        if last < start:
            return 0
        with self.engine.begin() as conn:
            conn.execute(delete(report_days).where(report_days.c.day >= start,
                                                   report_days.c.day <= last))
        for run in _runs(list(_days(start, last)), READ_DAYS):
            self.compute(kpi.By.BUSINESS, run, setup, today=today, now=now)
        return len(self._kept_days(start, last)) // len(kpi.By)

    def roll_up(self, day: date, setup: Setup, now: datetime) -> None:
        """Keep a day's figures once it is closed (the daily clear calls this)."""
        today = day + timedelta(days=1)
        self.compute(kpi.By.BUSINESS, [day], setup, today=today, now=now)

    def _kept_days(self, start: date, end: date) -> set[tuple[date, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(report_days.c.day, report_days.c.by).distinct()
                .where(report_days.c.day >= start, report_days.c.day <= end,
                       report_days.c.key == kpi.DAY_TOTAL, *self._mine(report_days))).all()
        return {(r[0], r[1]) for r in rows}

    def rolled_up(self, by: kpi.By, start: date, end: date) -> kpi.Partials:
        out: kpi.Partials = {}
        if end < start:
            return out
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(report_days.c.day, report_days.c.key, report_days.c.figures)
                .where(report_days.c.by == by.value, report_days.c.day >= start,
                       report_days.c.day <= end, *self._mine(report_days)))
            for day, key, figures in rows:
                out.setdefault(day, {})[key] = kpi.Acc.from_json(figures)
        return out

    def keep(self, by: kpi.By, days: kpi.Partials, now: datetime) -> None:
        rows = [{"day": day, "by": by.value, "key": key, "figures": acc.as_json(),
                 "computed_at": now}
                for day, groups in days.items() for key, acc in groups.items()]
        if not rows:
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(report_days), rows)
        except IntegrityError:
            pass  # a report running beside this one kept the same days first: the same rows


def _days(start: date, end: date) -> Iterator[date]:
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


def _runs(days: list[date], longest: int) -> Iterator[list[date]]:
    """Consecutive days in runs of at most `longest`: each run is one bounded read."""
    run: list[date] = []
    for d in days:
        if run and (d - run[-1] != timedelta(days=1) or len(run) >= longest):
            yield run
            run = []
        run.append(d)
    if run:
        yield run
