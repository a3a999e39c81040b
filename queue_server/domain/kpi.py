"""The hall's figures (KPIs), computed from the stored transitions alone.

Pure: the store hands in event rows, ticket rows, evaluations and work orders; this
module returns report rows. Nothing here reads a clock or a database, so any period's
report can be recomputed from the `events` table at any time and gives the same numbers.
docs/kpi.md holds the same definitions for readers who do not read code.

**Period.** `from`..`to` are business days (a report covers the tickets of those days, in
the hall's time zone, the day ending at the clear); at most 366 days.

**Queue visit.** The unit counted. A ticket's first visit begins at `ticket.issued`, in
the business it was issued for. `ticket.transferred` and `ticket.forwarded` end the
visit and begin a new one in the target business, queued at that event's time: each
visit's wait counts from when the applicant joined *that* queue (the routing may keep the
first issue time for priority; a report must not count the first queue's wait twice).

**Grouping** (`by`): `business` — the visit's business; `window` — the window of its last
call; `staff` — the staff number on duty at that call (`events.staff`; nobody signed in is
key "" labelled 未签到 / not signed in); `zone` — that window's zone in the layout; `hour` —
the half-hour slot, in the hall's time zone, in which the visit was queued ("09:00",
"09:30"). By window, staff and zone, visits never called (cancelled, abandoned or moved
while waiting) belong to no row, only to the totals. The totals row always covers every
visit of the period.

**Figures** of a group (n(·) counts visits; "called" visits had at least one call):
- arrived = n(visits begun in the group)
- called = n(visits with a call); served = n(ended by ticket.completed or
  ticket.forwarded: the window's part was done); forwarded = n(ended by ticket.forwarded)
- no_show = n(ended by ticket.no_show); no_show_rate = no_show / called
- cancelled, abandoned (closed by the daily clear), transferred = n(ended so)
- refused = n(ended by ticket.refused: 不予受理 with a written notice); refusal_rate =
  refused / called; prechecked = n(called visits of tickets a guide pre-checked, 预审);
  refusal_rate_prechecked = their refused / prechecked; refusal_rate_unchecked = the
  other called visits' refused / (called − prechecked)
- open = n(not ended yet: today while it runs, or a day whose clear has not run)
- wait = last call − queued, over called visits, where the last call is the latest
  ticket.called or ticket.recalled *before the service started* (a recall or a call
  after a no-show moves it; a call back after 挂起 does not): mean_wait_min,
  p90_wait_min, max_wait_min
- service_level = n(called visits with wait ≤ the business's `wait_target_minutes`)
  / called
- walk = ticket.started − last call, over visits started: mean_walk_min
- service = end − ticket.started, over served visits (a window that completes without
  pressing start: end − last call): mean_service_min, p90_service_min
- idle_min = Σ over windows of the time a window was open (status open, from the layout's
  `open` and window.* events) holding no ticket, within the hall's working span of each
  day: from the day's first ticket.issued to its last ticket transition before the clear
  (or `now` for today). Split by the window (window, zone), by who was on duty then
  (staff) and by half-hour slot (hour); not defined by business (null). Front windows of
  the layout only: a back-office window takes no tickets.
- evaluations = n(ratings of the group's services), a rating belonging to the visit
  whose ending event it rates (`evaluations.service_seq`); evaluation_rate =
  evaluations / served; satisfaction_rate = n(rating ≥ 4) / evaluations;
  bad_reviews = n(rating ≤ 2)
- work_orders = n(orders opened by the group's bad reviews); replied_in_time =
  n(orders whose reply's date, in the hall's time zone, ≤ due_date); in_time_rate =
  replied_in_time / n(orders replied or past their due date on `today`)

Percentiles are nearest-rank: p90 is the smallest value at least 90 % of the values do not
exceed (sorted, the ⌈0.9·n⌉-th). Minutes are rounded to 2 decimals, rates (0..1) to 3; a
figure whose denominator is 0 is null.

**Roll-ups.** A closed day's figures (all but its work orders, which change for weeks)
are kept in `report_days` the first time a report covers it and summed by later ones;
today and any day with open tickets are always computed from the transitions. The
roll-ups are a cache: deleting them recomputes the same figures from `events` (after a
layout change of `wait_target_minutes`, the kept days keep the target of their day).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from queue_server.domain.errors import InvalidInput
from queue_server.domain.layout import Layout
from queue_server.domain.tickets import next_clear_at

SATISFIED_FROM = 4
BAD_UP_TO = 2
SLOT_MINUTES = 30
NOT_SIGNED_IN = ("未签到", "not signed in")
MAX_RANGE_DAYS = 366  # a leap year, inclusive of both ends


def check_period(start: date, end: date) -> None:
    """A period any figure is asked for: reports, ratings, the load map alike."""
    if end < start:
        raise InvalidInput("开始日期晚于结束日期", "'from' is after 'to'", code="invalid_range")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise InvalidInput(f"日期范围最多 {MAX_RANGE_DAYS} 天",
                           f"a period covers at most {MAX_RANGE_DAYS} days", code="invalid_range")


class By(StrEnum):
    BUSINESS = "business"
    WINDOW = "window"
    STAFF = "staff"
    ZONE = "zone"
    HOUR = "hour"


# Window and staff events: they feed idle time.
WINDOW_TYPES = ("window.opened", "window.closed", "window.paused", "window.resumed",
                "staff.signed_in", "staff.signed_out")
MOVES = frozenset({"ticket.transferred", "ticket.forwarded"})  # need data["to"]
_ENDS = {"ticket.completed": "served", "ticket.forwarded": "served",
         "ticket.no_show": "no_show", "ticket.cancelled": "cancelled",
         "ticket.abandoned": "abandoned", "ticket.transferred": "transferred",
         "ticket.refused": "refused"}
# Transitions after which the window holds nobody (the ticket left it).
_RELEASES = frozenset({"ticket.completed", "ticket.no_show", "ticket.parked",
                       "ticket.transferred", "ticket.forwarded", "ticket.abandoned",
                       "ticket.refused"})
_WINDOW_MOVES = _RELEASES | {"ticket.called"}  # what takes or frees a window


# Rows are named tuples with times as epoch seconds (floats): a year is a million
# transitions, and building objects or doing datetime arithmetic per row would cost more
# than the figures themselves. The store builds them straight from its query results.


class Transition(NamedTuple):
    """One stored event row. `to` is the target business of a transfer or forward."""
    seq: int
    at: float
    type: str
    ticket_id: str | None
    window: int | None
    staff: str | None
    to: str | None = None


class TicketRow(NamedTuple):
    id: str
    day: date
    origin_business: str
    closed_reason: str | None = None
    finished_at: float | None = None
    prechecked: bool = False  # 预审 at the desk before issuing


class RatingRow(NamedTuple):
    id: str
    ticket_id: str
    service_seq: int
    rating: int
    business: str
    window: int
    staff: str | None
    at: float
    day: date


class OrderRow(NamedTuple):
    evaluation_id: str
    due_date: date
    replied_at: float | None


@dataclass(frozen=True)
class Setup:
    """What the layout tells a report: time zone, day boundary, targets, windows."""
    tz: ZoneInfo
    clear_time: time
    wait_targets: Mapping[str, float]
    business_names: Mapping[str, tuple[str, str]]
    business_order: Sequence[str]
    zones: Mapping[int, str]  # window → zone
    zone_names: Mapping[str, tuple[str, str]]
    open_at_start: Mapping[int, bool]  # front windows → open when the day starts

    @classmethod
    def of(cls, layout: Layout) -> Setup:
        return cls(
            tz=layout.hall.tz, clear_time=layout.hall.clear_time,
            wait_targets={b.code: b.wait_target_minutes for b in layout.businesses.values()},
            business_names={b.code: (b.name, b.name_en) for b in layout.businesses.values()},
            business_order=list(layout.businesses),
            zones={w.number: w.zone for w in layout.windows.values()},
            zone_names={z.code: (z.name, z.name_en) for z in layout.zones.values()},
            open_at_start={w.number: w.open for w in layout.windows.values() if w.public})


@dataclass(slots=True)
class Visit:
    ticket_id: str
    day: date
    business: str
    queued: float  # epoch seconds: arithmetic on floats, not datetimes, over a year's rows
    call: float | None = None
    window: int | None = None
    staff: str | None = None
    started: float | None = None
    end: float | None = None
    end_seq: int | None = None
    outcome: str | None = None
    forwarded: bool = False
    prechecked: bool = False


@dataclass(slots=True)
class _Acc:
    arrived: int = 0
    called: int = 0
    served: int = 0
    forwarded: int = 0
    no_show: int = 0
    cancelled: int = 0
    abandoned: int = 0
    transferred: int = 0
    refused: int = 0
    checked_called: int = 0  # called visits of pre-checked tickets
    checked_refused: int = 0  # ... of which refused
    open: int = 0
    in_target: int = 0
    waits: list[float] = field(default_factory=list)
    walks: list[float] = field(default_factory=list)
    services: list[float] = field(default_factory=list)
    idle: float = 0.0
    idle_known: bool = False
    evaluations: int = 0
    satisfied: int = 0
    bad: int = 0
    orders: int = 0
    in_time: int = 0
    due: int = 0
    bad_ids: list[str] = field(default_factory=list)  # to find the orders they opened

    def add(self, other: _Acc) -> None:
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.waits += other.waits
        self.walks += other.walks
        self.services += other.services
        self.idle_known = self.idle_known or other.idle_known
        self.bad_ids += other.bad_ids

    def as_json(self) -> dict[str, Any]:
        """What a daily roll-up stores; work orders are left out: they change for weeks."""
        out: dict[str, Any] = {name: getattr(self, name) for name in _COUNTS}
        out.update(waits=_ms(self.waits), walks=_ms(self.walks), services=_ms(self.services),
                   idle_known=self.idle_known, bad_ids=self.bad_ids)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> _Acc:
        acc = cls()
        for name in _COUNTS:
            setattr(acc, name, data.get(name, 0))
        acc.waits, acc.walks, acc.services = data["waits"], data["walks"], data["services"]
        acc.idle_known, acc.bad_ids = data["idle_known"], data["bad_ids"]
        return acc


def _ms(values: list[float]) -> list[float]:
    return [round(v, 3) for v in values]  # to the millisecond: the stored times' precision


_COUNTS = ("arrived", "called", "served", "forwarded", "no_show", "cancelled", "abandoned",
           "transferred", "open", "in_target", "idle", "evaluations", "satisfied", "bad",
           "refused", "checked_called", "checked_refused")
Acc = _Acc
DAY_TOTAL = "*"  # a day's totals in `partials`: no business, window, staff, zone or slot


def build_visits(tickets: Iterable[TicketRow], transitions: Sequence[Transition]
                 ) -> list[Visit]:
    """Every queue visit of these tickets, from their transitions in `seq` order."""
    info = {t.id: t for t in tickets}
    current: dict[str, Visit] = {}
    visits: list[Visit] = []
    for e in transitions:
        kind = e.type
        if kind == "ticket.issued":
            t = info.get(e.ticket_id)  # type: ignore[arg-type]
            if t is not None:
                cur = current[t.id] = Visit(t.id, t.day, t.origin_business, e.at,
                                            prechecked=t.prechecked)
                visits.append(cur)
            continue
        cur = current.get(e.ticket_id)  # type: ignore[arg-type]
        if cur is None:  # not a ticket, or one issued outside the period read
            continue
        if kind == "ticket.called" or kind == "ticket.recalled":
            if cur.started is None:
                cur.call, cur.window, cur.staff = e.at, e.window, e.staff
                if cur.outcome == "no_show":  # called again after a no-show
                    cur.outcome = cur.end = cur.end_seq = None
        elif kind == "ticket.started":
            if cur.started is None:
                cur.started = e.at
        elif kind in _ENDS:
            cur.end, cur.end_seq, cur.outcome = e.at, e.seq, _ENDS[kind]
            cur.forwarded = kind == "ticket.forwarded"
            if kind in MOVES and e.to:
                cur = current[cur.ticket_id] = Visit(cur.ticket_id, cur.day, e.to, e.at,
                                                     prechecked=cur.prechecked)
                visits.append(cur)
    for tid, cur in current.items():
        t = info[tid]
        if cur.outcome is None and t.closed_reason == "abandoned":
            # The clear ran days late (the server was down) and its event lies outside the
            # period read: the ticket row holds the same closing.
            cur.outcome, cur.end = "abandoned", t.finished_at
    return visits


@dataclass(frozen=True, slots=True)
class IdleSpan:
    day: date
    window: int
    staff: str | None
    start: float
    end: float


def idle_spans(transitions: Iterable[Transition], setup: Setup,
               spans: Mapping[date, tuple[float, float]]) -> list[IdleSpan]:
    """Each stretch a front window was open holding nobody, within each day's working
    span (`spans`: day → (first issue, last ticket transition or now))."""
    per_day: dict[date, list[Transition]] = defaultdict(list)
    day_of = DayFinder(setup, spans)
    windows = setup.open_at_start
    for e in transitions:
        if e.window in windows and (e.type in _WINDOW_MOVES or e.type in WINDOW_TYPES):
            day = day_of(e.at)
            if day is not None:
                per_day[day].append(e)
    out: list[IdleSpan] = []
    for day, (lo, hi) in spans.items():
        # Every day starts from the layout: the daily clear resets windows to it.
        runs = {w: _WindowRun(day, w, is_open, lo if is_open else None)
                for w, is_open in setup.open_at_start.items()}
        for e in per_day.get(day, ()):
            run = runs[e.window]  # type: ignore[index]
            at = min(max(e.at, lo), hi)
            was_idle = run.idle
            kind = e.type
            if kind == "staff.signed_in" or (kind == "staff.signed_out" and run.staff == e.staff):
                run.emit(at, out)  # the stretch so far belongs to who was on duty
                run.staff = e.staff if kind == "staff.signed_in" else None
                continue
            if kind == "ticket.called":
                run.held = e.ticket_id
            elif kind in _RELEASES and run.held == e.ticket_id:
                run.held = None
            elif kind in ("window.opened", "window.resumed"):
                run.open = True
            elif kind in ("window.paused", "window.closed"):
                run.open = False
            if was_idle and not run.idle:
                run.emit(at, out)
                run.since = None
            elif not was_idle and run.idle:
                run.since = at
        for run in runs.values():
            run.emit(hi, out)
    return [s for s in out if s.end > s.start]


@dataclass(slots=True)
class _WindowRun:
    day: date
    window: int
    open: bool
    since: float | None  # start of the current idle stretch; None while not idle
    held: str | None = None
    staff: str | None = None

    @property
    def idle(self) -> bool:
        return self.open and self.held is None

    def emit(self, at: float, out: list[IdleSpan]) -> None:
        if self.since is not None:
            out.append(IdleSpan(self.day, self.window, self.staff, self.since, at))
            self.since = at


def working_spans(tickets: Iterable[TicketRow], transitions: Iterable[Transition],
                  days_running: Mapping[date, float]) -> dict[date, tuple[float, float]]:
    """Per business day: the first ticket.issued to the last ticket transition (the
    clear's abandonments excluded), or to `now` for a day still running."""
    day_of = {t.id: t.day for t in tickets}
    lo: dict[date, float] = {}
    hi: dict[date, float] = {}
    for e in transitions:
        if e.ticket_id is None or not e.type.startswith("ticket.") or e.type == "ticket.abandoned":
            continue
        day = day_of.get(e.ticket_id)
        if day is None:
            continue
        at = e.at
        if e.type == "ticket.issued" and (day not in lo or at < lo[day]):
            lo[day] = at
        if day not in hi or at > hi[day]:
            hi[day] = at
    out: dict[date, tuple[float, float]] = {}
    for day, start in lo.items():
        end = days_running.get(day, hi.get(day, start))
        out[day] = (start, max(start, end))
    return out


class DayFinder:
    """The business day of an instant, by bisection over the clear instants around the
    days asked about: cheaper per event than converting each to the hall's zone."""

    def __init__(self, setup: Setup, days: Iterable[date]) -> None:
        wanted = sorted(days)
        self.days: list[date] = []
        self.clears: list[float] = []
        if wanted:
            d = wanted[0] - timedelta(days=1)
            while d <= wanted[-1]:
                self.days.append(d)
                self.clears.append(next_clear_at(d, setup.tz, setup.clear_time).timestamp())
                d += timedelta(days=1)
        self.wanted = set(wanted)

    def __call__(self, at: float) -> date | None:
        # Day d runs from the clear of d-1 (included) to its own clear (excluded).
        i = bisect_right(self.clears, at)
        if i >= len(self.days):
            return None
        day = self.days[i]
        return day if day in self.wanted else None


class Slots:
    """Half-hour slots in the hall's time zone, the UTC offset looked up once per hour
    (zones change offset on the hour)."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.offsets: dict[int, float] = {}

    def offset(self, at: float) -> float:
        hour = int(at // 3600)
        off = self.offsets.get(hour)
        if off is None:
            delta = datetime.fromtimestamp(hour * 3600, self.tz).utcoffset()
            off = self.offsets[hour] = delta.total_seconds() if delta else 0.0
        return off

    def key(self, at: float) -> str:
        minute = int((at + self.offset(at)) % 86400 // 60)
        minute -= minute % SLOT_MINUTES
        return f"{minute // 60:02d}:{minute % 60:02d}"

    def split(self, start: float, end: float) -> Iterable[tuple[str, float]]:
        step = SLOT_MINUTES * 60
        t = start
        while t < end:
            nxt = min(t + step - (t + self.offset(t)) % step, end)
            yield self.key(t), nxt - t
            t = nxt


def nearest_rank(values: Sequence[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _mins(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 2)


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 3) if den else None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


Partials = dict[date, dict[str, _Acc]]  # day → group key (DAY_TOTAL: all) → figures


@dataclass(frozen=True)
class Facts:
    """What every grouping is counted from: worked out once, grouped five ways."""
    visits: list[Visit]
    ratings: list[RatingRow]
    idle: list[IdleSpan]


def facts(setup: Setup, tickets: Sequence[TicketRow], transitions: Sequence[Transition],
          ratings: Iterable[RatingRow] = (), *, today: date,
          now: datetime | None = None) -> Facts:
    """The visits and idle stretches of these rows. `now` marks `today` as still
    running: its windows' idle time runs to now."""
    transitions = sorted(transitions)  # by seq, the order they were committed in
    running = {today: now.timestamp()} if now is not None else {}
    spans = working_spans(tickets, transitions, running)
    return Facts(build_visits(tickets, transitions), list(ratings),
                 idle_spans(transitions, setup, spans))


def partials(by: By, setup: Setup, tickets: Sequence[TicketRow],
             transitions: Sequence[Transition], ratings: Iterable[RatingRow] = (), *,
             today: date, now: datetime | None = None, days: Iterable[date] = ()
             ) -> Partials:
    """Each business day's figures grouped `by`, before work orders: what `combine` sums
    into a report, and what a closed day's roll-up keeps. Every day in `days` gets at
    least its (maybe empty) totals."""
    return group(by, setup, facts(setup, tickets, transitions, ratings, today=today, now=now),
                 days)


def group(by: By, setup: Setup, facts: Facts, days: Iterable[date] = ()) -> Partials:
    slots = Slots(setup.tz)
    key_of = _key_fn(by, setup, slots)
    out: Partials = {d: {DAY_TOTAL: _Acc(idle_known=True)} for d in days}

    def day_groups(day: date) -> dict[str, _Acc]:
        groups = out.get(day)
        if groups is None:
            groups = out[day] = {DAY_TOTAL: _Acc(idle_known=True)}
        return groups

    def accs(day: date, key: str | None) -> tuple[_Acc, ...]:
        groups = day_groups(day)
        if key is None:
            return (groups[DAY_TOTAL],)
        acc = groups.get(key)
        if acc is None:
            acc = groups[key] = _Acc()
        return (groups[DAY_TOTAL], acc)

    by_end: dict[tuple[str, int], tuple[date, str | None]] = {}
    targets = {code: minutes * 60 for code, minutes in setup.wait_targets.items()}
    for v in facts.visits:
        key = key_of(v)
        if v.end_seq is not None:
            by_end[(v.ticket_id, v.end_seq)] = (v.day, key)
        target = targets.get(v.business, 20.0 * 60)
        wait = v.call - v.queued if v.call is not None else None
        walk = v.started - v.call if v.started is not None and v.call is not None else None
        service = None
        if v.outcome == "served" and v.end is not None:
            begun = v.started if v.started is not None else v.call
            service = v.end - begun if begun is not None else None
        for a in accs(v.day, key):
            a.arrived += 1
            if v.outcome is None:
                a.open += 1
            elif v.outcome == "served":
                a.served += 1
                a.forwarded += v.forwarded
            else:
                setattr(a, v.outcome, getattr(a, v.outcome) + 1)
            if wait is not None:
                a.called += 1
                a.waits.append(wait)
                a.in_target += wait <= target
                if v.prechecked:
                    a.checked_called += 1
                    a.checked_refused += v.outcome == "refused"
            if walk is not None:
                a.walks.append(walk)
            if service is not None:
                a.services.append(service)

    for r in facts.ratings:
        found = by_end.get((r.ticket_id, r.service_seq))
        day, key = found if found is not None else (r.day, _rating_key(by, setup, slots, r))
        for a in accs(day, key):
            a.evaluations += 1
            a.satisfied += r.rating >= SATISFIED_FROM
            if r.rating <= BAD_UP_TO:
                a.bad += 1
                a.bad_ids.append(r.id)

    for s in facts.idle:
        groups = day_groups(s.day)
        groups[DAY_TOTAL].idle += s.end - s.start
        if by is By.BUSINESS:
            continue  # a window's idle time belongs to no business: the totals only
        if by is By.HOUR:
            for slot, secs in slots.split(s.start, s.end):
                (acc,) = accs(s.day, slot)[1:]
                acc.idle += secs
                acc.idle_known = True
        else:
            (acc,) = accs(s.day, _idle_key(by, setup, s))[1:]
            acc.idle += s.end - s.start
            acc.idle_known = True
    return out


def combine(by: By, setup: Setup, days: Iterable[Mapping[str, _Acc]],
            orders: Iterable[OrderRow] = (), *, today: date
            ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The report's rows and totals row: the days' figures summed, with the work orders
    their bad reviews opened as they stand on `today`."""
    groups: dict[str, _Acc] = {}
    for day in days:
        for key, acc in day.items():
            mine = groups.get(key)
            if mine is None:
                mine = groups[key] = _Acc()
            mine.add(acc)
    total = groups.pop(DAY_TOTAL, None) or _Acc(idle_known=True)
    owner: dict[str, str] = {eid: key for key, acc in groups.items() for eid in acc.bad_ids}
    rated = set(total.bad_ids)
    for o in orders:
        if o.evaluation_id not in rated:
            continue  # its rating lies outside the period
        replied = (datetime.fromtimestamp(o.replied_at, setup.tz).date()
                   if o.replied_at is not None else None)
        key = owner.get(o.evaluation_id)
        for a in (total,) if key is None else (total, groups[key]):
            a.orders += 1
            a.in_time += replied is not None and replied <= o.due_date
            a.due += replied is not None or o.due_date < today
    rows = [_row(k, a, by, setup) for k, a in sorted(groups.items(), key=_sorter(by, setup))]
    return rows, _row("total", total, by, setup)


def report(by: By, setup: Setup, tickets: Sequence[TicketRow],
           transitions: Sequence[Transition], ratings: Iterable[RatingRow] = (),
           orders: Iterable[OrderRow] = (), *, today: date,
           now: datetime | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The rows of one report grouped `by`, and its totals row, straight from the rows."""
    days = partials(by, setup, tickets, transitions, ratings, today=today, now=now)
    return combine(by, setup, days.values(), orders, today=today)


def _key_fn(by: By, setup: Setup, slots: Slots) -> Callable[[Visit], str | None]:
    if by is By.BUSINESS:
        return lambda v: v.business
    if by is By.HOUR:
        return lambda v: slots.key(v.queued)
    if by is By.WINDOW:
        return lambda v: None if v.call is None else str(v.window)
    if by is By.STAFF:
        return lambda v: None if v.call is None else (v.staff or "")
    zones = setup.zones
    return lambda v: None if v.call is None else zones.get(v.window or 0, "")


def _rating_key(by: By, setup: Setup, slots: Slots, r: RatingRow) -> str | None:
    """A rating whose service was not among the transitions read: its own columns."""
    if by is By.BUSINESS:
        return r.business
    if by is By.WINDOW:
        return str(r.window)
    if by is By.STAFF:
        return r.staff or ""
    if by is By.ZONE:
        return setup.zones.get(r.window, "")
    return slots.key(r.at)


def _idle_key(by: By, setup: Setup, s: IdleSpan) -> str:
    if by is By.WINDOW:
        return str(s.window)
    if by is By.STAFF:
        return s.staff or ""
    return setup.zones.get(s.window, "")


def _sorter(by: By, setup: Setup) -> Callable[[tuple[str, _Acc]], Any]:
    if by is By.BUSINESS:
        order = {code: i for i, code in enumerate(setup.business_order)}
        return lambda ka: (order.get(ka[0], len(order)), ka[0])
    if by is By.WINDOW:
        return lambda ka: int(ka[0])
    return lambda ka: ka[0]  # staff ("" first), zone codes, "HH:MM" slots


def label_of(by: By, setup: Setup, key: str) -> tuple[str, str]:
    if key == "total":
        return ("合计", "total")
    if by is By.BUSINESS:
        return setup.business_names.get(key, (key, key))
    if by is By.WINDOW:
        return (f"{key}号窗口", f"window {key}")
    if by is By.STAFF:
        return NOT_SIGNED_IN if key == "" else (key, key)
    if by is By.ZONE:
        return setup.zone_names.get(key, (key, key))
    return (key, key)


def _row(key: str, a: _Acc, by: By, setup: Setup) -> dict[str, Any]:
    zh, en = label_of(by, setup, key)
    return {
        "key": key, "label": zh, "label_en": en,
        "arrived": a.arrived, "served": a.served, "no_show": a.no_show,
        "no_show_rate": _rate(a.no_show, a.called),
        "cancelled": a.cancelled, "abandoned": a.abandoned,
        "mean_wait_min": _mins(_mean(a.waits)),
        "p90_wait_min": _mins(nearest_rank(a.waits, 90)),
        "max_wait_min": _mins(max(a.waits) if a.waits else None),
        "mean_service_min": _mins(_mean(a.services)),
        "service_level": _rate(a.in_target, a.called),
        "evaluations": a.evaluations,
        "satisfaction_rate": _rate(a.satisfied, a.evaluations),
        # extra
        "called": a.called, "transferred": a.transferred, "forwarded": a.forwarded,
        "open": a.open,
        "refused": a.refused, "refusal_rate": _rate(a.refused, a.called),
        "prechecked": a.checked_called,
        "refusal_rate_prechecked": _rate(a.checked_refused, a.checked_called),
        "refusal_rate_unchecked": _rate(a.refused - a.checked_refused,
                                        a.called - a.checked_called),
        "p90_service_min": _mins(nearest_rank(a.services, 90)),
        "mean_walk_min": _mins(_mean(a.walks)),
        "idle_min": _mins(a.idle) if a.idle_known else (None if by is By.BUSINESS else 0.0),
        "evaluation_rate": _rate(a.evaluations, a.served),
        "bad_reviews": a.bad,
        "work_orders": a.orders, "replied_in_time": a.in_time,
        "in_time_rate": _rate(a.in_time, a.due),
    }


# Column headers for CSV and XLSX, Chinese then English, in the rows' order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("key", "分组 / key"), ("label", "名称 / name"), ("label_en", "名称（英）/ name (en)"),
    ("arrived", "取号 / arrived"), ("served", "办结 / served"), ("no_show", "过号 / no-show"),
    ("no_show_rate", "过号率 / no-show rate"), ("cancelled", "取消 / cancelled"),
    ("abandoned", "弃号 / abandoned"), ("mean_wait_min", "平均等候（分）/ mean wait (min)"),
    ("p90_wait_min", "90%等候（分）/ p90 wait (min)"),
    ("max_wait_min", "最长等候（分）/ max wait (min)"),
    ("mean_service_min", "平均办理（分）/ mean service (min)"),
    ("service_level", "服务水平 / service level"), ("evaluations", "评价数 / evaluations"),
    ("satisfaction_rate", "满意率 / satisfaction rate"), ("called", "叫号 / called"),
    ("transferred", "转移 / transferred"), ("forwarded", "转下一环节 / forwarded"),
    ("open", "未结束 / open"), ("p90_service_min", "90%办理（分）/ p90 service (min)"),
    ("mean_walk_min", "平均到窗（分）/ mean walk (min)"),
    ("idle_min", "窗口空闲（分）/ window idle (min)"),
    ("evaluation_rate", "参评率 / share rated"), ("bad_reviews", "差评 / bad reviews"),
    ("work_orders", "整改单 / work orders"),
    ("replied_in_time", "按期回复 / replied in time"),
    ("in_time_rate", "按期回复率 / in-time rate"),
    ("refused", "不予受理 / refused"), ("refusal_rate", "不予受理率 / refusal rate"),
    ("prechecked", "已预审 / pre-checked"),
    ("refusal_rate_prechecked", "预审后不予受理率 / refusal rate, pre-checked"),
    ("refusal_rate_unchecked", "未预审不予受理率 / refusal rate, not pre-checked"),
)
