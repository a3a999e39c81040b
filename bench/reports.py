"""How long GET /reports takes over a month and over a year of one busy hall.

Writes a year of the Hengyang hall (every working day, ~800 tickets a day: ~200,000
tickets and ~1,000,000 events, with recalls, no-shows, transfers, journeys sent on,
cancellations, abandonments, staff sign-ins, ratings and the work orders bad ones open)
straight into a fresh database with executemany, seeded, then times the report's own
work (`queue_server.api.routes.reports.compute`: read the period, compute the figures)
for a month and for the year, for each `by`. First every closed day is rolled up, as the
daily clear does in a running hall (timed per day); `--cold` skips that, so the first
report of a period reads its transitions and rolls them up. Prints the data size, the
first run and p50/max of the runs after it.
Aim: a month under 1 s, the year under 3 s, on SQLite and on PostgreSQL.

    .venv/bin/python bench/reports.py [--days 365] [--per-day 800] [--repeat 5] [--cold]
        [--pg postgresql://postgres@127.0.0.1:5432/test] [--no-sqlite] [--no-pg]

The tickets' times come from a small model of the hall, not from the real server: each
ticket goes to the serving window that frees first, service times are log-normal around
the layout's `service_minutes`, arrivals peak mid-morning and mid-afternoon.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import Engine, func, insert, select, text  # noqa: E402

from queue_server.api.routes.reports import compute  # noqa: E402
from queue_server.domain import kpi  # noqa: E402
from queue_server.domain.layout import Layout, load_layout  # noqa: E402
from queue_server.store.db import make_engine, migrate, normalise_url  # noqa: E402
from queue_server.store.reports import Reports  # noqa: E402
from queue_server.store.tables import evaluations, events, tickets, work_orders  # noqa: E402

LAYOUT = REPO / "layouts" / "hengyang.toml"
CHUNK = 20_000  # rows per executemany: bounded memory, few round trips


@dataclass
class Rows:
    tickets: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)


class HallModel:
    """Generates one business day's rows at a time; `seq` runs on across days."""

    def __init__(self, layout: Layout, seed: int, per_day: int) -> None:
        self.layout = layout
        self.rng = random.Random(seed)
        self.per_day = per_day
        self.seq = 0
        self.rated = 0
        self.tz = layout.hall.tz
        self.windows_of: dict[str, list[int]] = {}
        for w in layout.windows.values():
            if w.public and w.open:
                for b in w.businesses:
                    self.windows_of.setdefault(b, []).append(w.number)
        self.codes = [b for b in layout.businesses if b in self.windows_of]
        # Common businesses are common: the quick ones draw more applicants.
        self.weights = [1 / max(2.0, layout.businesses[b].service_minutes) for b in self.codes]
        self.journey = next((j for j in layout.journeys.values()
                             if all(s in self.windows_of for s in j.steps)), None)

    def _event(self, rows: Rows, at: datetime, kind: str, ticket: str | None,
               window: int | None, staff: str | None, data: dict[str, Any]) -> dict[str, Any]:
        row = {"seq": 0, "at": at, "type": kind, "actor": "bench", "ticket_id": ticket,
               "window": window, "data": data, "staff": staff}
        rows.events.append(row)
        return row

    def _arrival(self, day: date) -> datetime:
        # Two peaks (10:00 and 14:30) over a 09:00–17:00 day.
        while True:
            minute = self.rng.gauss(60, 50) if self.rng.random() < 0.55 else self.rng.gauss(330, 60)
            if 0 <= minute < 480:
                break
        local = datetime(day.year, day.month, day.day, 9, tzinfo=self.tz)
        return (local + timedelta(minutes=minute)).astimezone(UTC)

    def day(self, day: date) -> Rows:
        rows = Rows()
        rng = self.rng
        open_at = datetime(day.year, day.month, day.day, 8, 55, tzinfo=self.tz).astimezone(UTC)
        free: dict[int, datetime] = {}
        staff: dict[int, str] = {}
        for nums in self.windows_of.values():
            for n in nums:
                if n not in staff:
                    staff[n] = f"{1000 + n}"
                    free[n] = open_at
                    self._event(rows, open_at, "staff.signed_in", None, n, staff[n],
                                {"staff": staff[n], "name": f"员工{n}"})
        seqs: dict[str, int] = {}
        arrivals = sorted(self._arrival(day) for _ in range(self.per_day))
        # Generated ticket by ticket; numbered below in time order, as the server commits.
        for i, issued in enumerate(arrivals):
            business = rng.choices(self.codes, self.weights)[0]
            journey = self.journey if self.journey and rng.random() < 0.08 else None
            if journey:
                business = journey.steps[0]
            b = self.layout.businesses[business]
            seqs[business] = seqs.get(business, 0) + 1
            tid = f"t{day:%Y%m%d}{i:05d}"
            number = f"{b.prefix}{seqs[business]:03d}"
            self._event(rows, issued, "ticket.issued", tid, None, None,
                        {"number": number, "business": business, "priority": "normal"})
            status, closed, finished = self._visits(rows, tid, number, business, issued, day,
                                                    free, staff, journey)
            rows.tickets.append({
                "id": tid, "day": day, "number": number, "seq": seqs[business],
                "business": business, "origin_business": business, "status": status,
                "priority": "normal", "issued_at": issued, "queued_at": issued,
                "parked": False, "recalls": 0, "journey_step": 0, "channel": "kiosk",
                "journey": journey.code if journey else None, "closed_reason": closed,
                "finished_at": finished})
        rows.events.sort(key=lambda e: e["at"])
        for e in rows.events:
            self.seq += 1
            e["seq"] = self.seq
        for ev in rows.evaluations:
            ev["service_seq"] = ev["service_seq"]["seq"]  # the event row it rates
        return rows

    def _visits(self, rows: Rows, tid: str, number: str, business: str, queued: datetime,
                day: date, free: dict[int, datetime], staff: dict[int, str],
                journey: Any) -> tuple[str, str | None, datetime]:
        rng = self.rng
        steps = list(journey.steps) if journey else [business]
        step = 0
        clear = datetime(day.year, day.month, day.day, 19, 0, 5, tzinfo=self.tz).astimezone(UTC)
        while True:
            roll = rng.random()
            if roll < 0.02:  # cancelled while waiting
                at = queued + timedelta(minutes=rng.uniform(1, 30))
                self._event(rows, at, "ticket.cancelled", tid, None, None, {"number": number})
                return "cancelled", "cancelled", at
            window = min(self.windows_of[business], key=lambda n: free[n])
            call = max(queued, free[window]) + timedelta(seconds=rng.uniform(5, 60))
            if roll < 0.03 or call.astimezone(self.tz).hour >= 18:  # still waiting at the clear
                self._event(rows, clear, "ticket.abandoned", tid, None, None, {"number": number})
                return "cancelled", "abandoned", clear
            st = staff[window]
            self._event(rows, call, "ticket.called", tid, window, st, {"number": number})
            at = call
            for _ in range(rng.choices((0, 1, 2), (0.7, 0.22, 0.08))[0]):
                at += timedelta(seconds=rng.uniform(20, 60))
                self._event(rows, at, "ticket.recalled", tid, window, st, {"number": number})
            if roll < 0.09:  # no-show
                at += timedelta(seconds=30)
                self._event(rows, at, "ticket.no_show", tid, window, st, {"number": number})
                free[window] = at
                return "no_show", None, at
            at += timedelta(seconds=rng.uniform(15, 120))
            self._event(rows, at, "ticket.started", tid, window, st, {"number": number})
            mean = self.layout.businesses[business].service_minutes
            at += timedelta(minutes=mean * rng.lognormvariate(-0.1, 0.45))
            free[window] = at
            if step + 1 < len(steps) or (roll < 0.14 and not journey):
                nxt = steps[step + 1] if step + 1 < len(steps) else rng.choice(self.codes)
                if nxt == business:
                    nxt = self.codes[(self.codes.index(business) + 1) % len(self.codes)]
                kind = "ticket.forwarded" if step + 1 < len(steps) else "ticket.transferred"
                s = self._event(rows, at, kind, tid, window, st,
                                {"number": number, "from": business, "to": nxt})
                if kind == "ticket.forwarded":
                    self._rate(rows, tid, number, day, s, window, st, business, at)
                step += kind == "ticket.forwarded"
                business, queued = nxt, at
                if kind == "ticket.transferred":
                    steps = [nxt]
                    step = 0
                    journey = None
                continue
            s = self._event(rows, at, "ticket.completed", tid, window, st,
                            {"number": number, "business": business})
            self._rate(rows, tid, number, day, s, window, st, business, at)
            return "done", None, at

    def _rate(self, rows: Rows, tid: str, number: str, day: date, ended: dict[str, Any],
              window: int, staff: str, business: str, at: datetime) -> None:
        rng = self.rng
        if rng.random() >= 0.6:
            return
        rating = rng.choices((5, 4, 3, 2, 1), (0.7, 0.2, 0.06, 0.03, 0.01))[0]
        self.rated += 1
        seq = self.rated
        eid = f"e{seq}"
        rated = at + timedelta(minutes=1)
        rows.evaluations.append({
            "id": eid, "ticket_id": tid, "number": number, "day": day, "service_seq": ended,
            "window": window, "staff": staff, "business": business, "case_no": None,
            "channel": "pad", "rating": rating, "comment": "", "at": rated})
        if rating <= 2:
            due = day + timedelta(days=21)
            replied = rated + timedelta(days=rng.uniform(1, 26)) if rng.random() < 0.9 else None
            rows.orders.append({
                "id": f"w{seq}", "evaluation_id": eid, "ticket_id": tid, "number": number,
                "window": window, "staff": staff, "business": business, "rating": rating,
                "status": "replied" if replied else "open", "opened_at": rated,
                "due_date": due, "replied_at": replied})


def working_days(end: date, days: int) -> Iterator[date]:
    d = end - timedelta(days=days - 1)
    while d <= end:
        if d.weekday() < 5:
            yield d
        d += timedelta(days=1)


def generate(engine: Engine, layout: Layout, end: date, days: int, per_day: int, seed: int
             ) -> dict[str, int]:
    """Writes the period's rows; returns how many of each."""
    model = HallModel(layout, seed, per_day)
    counts = {"days": 0, "tickets": 0, "events": 0, "evaluations": 0, "work_orders": 0}
    pending = Rows()

    def flush() -> None:
        # Evaluations before their work orders: the foreign key.
        for table, rows, name in ((tickets, pending.tickets, "tickets"),
                                  (events, pending.events, "events"),
                                  (evaluations, pending.evaluations, "evaluations"),
                                  (work_orders, pending.orders, "work_orders")):
            if rows:
                with engine.begin() as conn:
                    conn.execute(insert(table), rows)
                counts[name] += len(rows)
                rows.clear()

    for day in working_days(end, days):
        rows = model.day(day)
        counts["days"] += 1
        pending.tickets += rows.tickets
        pending.events += rows.events
        pending.evaluations += rows.evaluations
        pending.orders += rows.orders
        if len(pending.events) >= CHUNK:
            flush()
    flush()
    return counts


def timed(repeat: int, call: Any) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        call()
        out.append(time.perf_counter() - t)
    return out


def run(name: str, engine: Engine, args: argparse.Namespace, layout: Layout) -> bool:
    end = date(2026, 11, 30)
    print(f"\n--- {name} ---", flush=True)
    t = time.perf_counter()
    counts = generate(engine, layout, end, args.days, args.per_day, args.seed)
    gen = time.perf_counter() - t
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
            size = conn.execute(text("SELECT pg_size_pretty(sum(pg_total_relation_size("
                                     "quote_ident(schemaname) || '.' || quote_ident(tablename)))"
                                     "::bigint) FROM pg_tables WHERE schemaname = "
                                     "current_schema()")).scalar_one()
        else:
            conn.execute(text("ANALYZE"))
            size = f"{Path(engine.url.database or '').stat().st_size / 1e6:.0f} MB"
        n_events = conn.execute(select(func.count()).select_from(events)).scalar_one()
    print(f"data: {counts['days']} working days, {counts['tickets']:,} tickets, "
          f"{n_events:,} events, {counts['evaluations']:,} evaluations, "
          f"{counts['work_orders']:,} work orders; {size}; written in {gen:.1f} s")
    reader = Reports(engine)
    setup = kpi.Setup.of(layout)
    now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    today = date(2026, 12, 1)
    if not args.cold:
        # What the daily clear does in a running hall: each closed day rolled up once.
        # Every calendar day: the clear runs at weekends too, with nothing to count.
        per_day = [timed(1, lambda d=end - timedelta(days=i): reader.roll_up(d, setup, now))[0]
                   for i in range(args.days)]
        print(f"roll-up at the clear: {len(per_day)} days in {sum(per_day):.1f} s, per day "
              f"p50 {statistics.median(per_day):.3f} s, max {max(per_day):.3f} s", flush=True)
    periods = {"month": (date(2026, 11, 1), end, 1.0),
               "year": (end - timedelta(days=args.days - 1), end, 3.0)}
    ok = True
    # The first run of each query computes the closed days no roll-up holds yet (and
    # keeps them); the runs after it read the roll-ups, as every later report does.
    print(f"{'period':6} {'by':9} {'rows':>5} {'first s':>8} {'p50 s':>7} {'max s':>7}  aim "
          "(p50 after the first)")
    for label, (start, stop, aim) in periods.items():
        for by in kpi.By:
            result: dict[str, Any] = {}

            def one(by: kpi.By = by, start: date = start, stop: date = stop,
                    result: dict[str, Any] = result) -> None:
                result.update(compute(reader, setup, by, start, stop, today, now))
            first, *times = timed(args.repeat + 1, one)
            p50, worst = statistics.median(times), max(times)
            met = p50 < aim
            ok = ok and met
            print(f"{label:6} {by.value:9} {len(result['rows']):5d} {first:8.3f} {p50:7.3f} "
                  f"{worst:7.3f}  < {aim:.0f} s {'ok' if met else 'MISSED'}", flush=True)
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--per-day", type=int, default=800)
    ap.add_argument("--repeat", type=int, default=5, help="runs after the first")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pg", default=os.environ.get("HALLQ_TEST_PG",
                                                   "postgresql://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--cold", action="store_true",
                    help="no roll-ups made beforehand: the first report of a period makes them")
    ap.add_argument("--no-sqlite", action="store_true")
    args = ap.parse_args()
    layout = load_layout(LAYOUT)
    print(f"reports over {args.days} days of {LAYOUT.name}, ~{args.per_day} tickets a "
          f"working day, seed {args.seed}, {os.cpu_count()} CPUs")
    ok = True
    if not args.no_sqlite:
        tmp = Path(tempfile.mkdtemp(prefix="hallq-bench-"))
        engine = make_engine(f"sqlite:///{tmp / 'hallq.db'}")
        migrate(engine)
        ok = run("SQLite", engine, args, layout) and ok
        engine.dispose()
    if not args.no_pg:
        import sqlalchemy as sa
        url = normalise_url(args.pg)
        schema = f"hallq_bench_{secrets.token_hex(4)}"
        try:
            admin = sa.create_engine(url)
            with admin.begin() as conn:
                conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        except Exception as exc:  # no PostgreSQL here: say so and carry on
            print(f"\n--- PostgreSQL skipped: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            return 0 if ok else 1
        try:
            engine = make_engine(url, schema=schema)
            migrate(engine)
            ok = run("PostgreSQL", engine, args, layout) and ok
            engine.dispose()
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
