"""The discrete-event hall day, on SimPy, driving the real HallState use cases.

SimPy only keeps the clock and the processes (an arrival stream, one process per front
window, a sampler). The queue itself is HallState's: a free window asks
`HallState.call_next`, which runs the server's routing, so the simulation cannot drift
from what the server does. Each use case returns a Change that is applied at once, as
the server applies it after its commit.

A window that finds nothing to call waits until a ticket it may serve arrives. When
several such windows wait, the one idle longest calls first (ALIS, the "assign longest
idle server" half of FCFS-ALIS in queueing.md): the staff member who has sat longest is
the one who presses "call".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import simpy

from queue_server.domain.errors import DomainError
from queue_server.domain.layout import Layout, Priority
from queue_server.domain.routing import business_rank
from queue_server.domain.state import Appointment, Change, HallState
from queue_server.domain.tickets import Status, Ticket
from queue_server.domain.windows import WindowStatus
from queue_server.simulation.demand import Arrival, Day
from queue_server.simulation.policies import layout_for

SIM_DATE = date(2026, 11, 23)  # a Monday; any working day gives the same figures
SAMPLE_MINUTES = 5.0  # how often the waiting count is recorded for the plot
ACTOR = "sim"


@dataclass
class Visit:
    """One queue entry of a ticket: issued, or forwarded to the next journey step."""

    ticket_id: str
    arrival: int
    step: int
    business: str
    entered: float  # minute of the day it joined this business's queue
    green: bool
    ahead: int | None = None  # HallState.people_ahead at entry
    windows: float = 0.0  # HallState.capacity at entry (open windows counted for it)
    service_mean: float = 0.0  # HallState.stats.mean at entry
    estimate: float | None = None  # HallState.estimate minutes at entry, as computed
    low: float | None = None
    high: float | None = None
    called: float | None = None
    window: int | None = None
    no_show: bool = False
    served_minutes: float = 0.0

    @property
    def wait(self) -> float | None:
        return None if self.called is None else self.called - self.entered


@dataclass
class RunResult:
    policy: str
    visits: list[Visit]
    refused: dict[str, int]  # business → tickets the kiosk refused (cap, closed)
    busy_minutes: float
    available_minutes: float
    tickets_done: int
    series: list[tuple[float, int]] = field(default_factory=list)  # (minute, waiting)
    end: float = 0.0


class HallDay:
    """One policy's run of one drawn day."""

    def __init__(self, layout: Layout, day: Day, policy: str) -> None:
        self.policy = policy
        self.layout = layout_for(layout, policy)
        self.day = day
        self.demand = day.demand
        tz = ZoneInfo(self.layout.hall.timezone)
        self.midnight = datetime.combine(SIM_DATE, time(0), tzinfo=tz).astimezone(UTC)
        open_at = self.at(self.demand.open)
        self.state = HallState(self.layout, HallState(self.layout, SIM_DATE).business_day_of(open_at))
        self.env = simpy.Environment(initial_time=self.demand.open)
        clear = self.layout.hall.clear_time
        self.clear = clear.hour * 60.0 + clear.minute
        if self.clear <= self.demand.open:
            self.clear += 24 * 60.0  # a clear after midnight belongs to this day
        self.arrivals: dict[str, Arrival] = {}
        self.visits: list[Visit] = []
        self.current: dict[str, Visit] = {}  # ticket id → its open visit
        self.idle: dict[int, simpy.Event] = {}  # window → event that wakes it
        self.idle_since: dict[int, float] = {}
        self.refused: dict[str, int] = {}
        self.busy = 0.0
        self.paused: dict[int, float] = {}
        self.last_busy: dict[int, float] = {}
        self.series: list[tuple[float, int]] = []
        self.issued_all = False

    # --- time and use cases ----------------------------------------------------------

    def at(self, minute: float) -> datetime:
        return self.midnight + timedelta(minutes=minute)

    @property
    def now(self) -> datetime:
        return self.at(self.env.now)

    def run_case(self, change: Change) -> Change:
        self.state.apply(change)
        return change

    # --- processes ----------------------------------------------------------------------

    def run(self) -> RunResult:
        self.env.process(self._arrivals())
        self.env.process(self._sampler())
        windows = [w for w in self.state.windows.values() if w.takes_tickets]
        for w in windows:
            self.idle_since[w.number] = self.env.now
            self.paused[w.number] = 0.0
            self.env.process(self._window(w.number))
        # The daily clear ends the day: anything still open then is abandoned, as in the hall.
        self.env.run(until=self.clear)
        available = sum(max(self.demand.close, self.last_busy.get(w.number, 0.0))
                        - self.demand.open - self.paused[w.number] for w in windows)
        done = sum(1 for t in self.state.tickets.values() if t.status is Status.DONE)
        return RunResult(self.policy, self.visits, self.refused, self.busy, available, done,
                         self.series, self.env.now)

    def _arrivals(self):  # type: ignore[no-untyped-def]
        for a in self.day.arrivals:
            if a.minute > self.env.now:
                yield self.env.timeout(a.minute - self.env.now)
            self._issue(a)
        self.issued_all = True

    def _issue(self, a: Arrival) -> None:
        tid = f"t{a.index}"
        # A replayed booking checks in inside its slot, so it gets the appointment head
        # start as it did on the day.
        booking = (Appointment(tid, self.now, self.now + timedelta(hours=1))
                   if a.appointment and not a.green else None)
        try:
            change = self.state.issue(
                a.business, self.now, ticket_id=tid, actor="kiosk:" + ACTOR,
                priority=Priority.GREEN if a.green else None,
                priority_reason="age" if a.green else None,
                # The desk grants the green channel here, as it does for applicants
                # without an ID card; routing treats it the same as the kiosk's.
                channel="guide" if a.green else "kiosk", journey=a.journey,
                appointment=booking)
        except DomainError as exc:
            self.refused[exc.code] = self.refused.get(exc.code, 0) + 1
            return
        self.run_case(change)
        self.arrivals[tid] = a
        self._enter(change.result, a, 0)  # type: ignore[arg-type]
        if a.cancel_minute is not None:
            self.env.process(self._cancel(tid, a.cancel_minute))

    def _cancel(self, tid: str, minute: float):  # type: ignore[no-untyped-def]
        """A replayed applicant who gave up: gone at that minute unless called before."""
        if minute > self.env.now:
            yield self.env.timeout(minute - self.env.now)
        if self.state.tickets[tid].status is Status.WAITING:
            self.run_case(self.state.cancel(tid, self.now, actor=ACTOR))
            self.current.pop(tid, None)

    def _enter(self, t: Ticket, a: Arrival, step: int) -> None:
        """Record a queue entry with the estimate the server would show, then wake windows."""
        v = Visit(t.id, a.index, step, t.business, self.env.now, a.green)
        v.ahead = self.state.people_ahead(t)
        v.windows = self.state.capacity(t.business)
        v.service_mean = self.state.stats.mean(t.business)
        est = self.state.estimate(t.business, v.ahead or 0, self.now)
        if est is not None:
            v.estimate, v.low, v.high = est.minutes, est.low, est.high
        self.visits.append(v)
        self.current[t.id] = v
        self._wake(t)

    def _wake(self, t: Ticket) -> None:
        # Only windows the routing lets serve this ticket can be interested; asking the
        # routing itself keeps this filter from disagreeing with HallState.call_next.
        policy, windows = self.state.policy, self.state.windows
        ready = sorted((self.idle_since[n], n) for n in self.idle
                       if (t.business in windows[n].businesses or windows[n].green_channel)
                       and business_rank(windows[n], t, policy) is not None)
        for _, n in ready:
            self.idle.pop(n).succeed()

    def _window(self, number: int):  # type: ignore[no-untyped-def]
        pauses = list(self.day.pauses.get(number, ()))
        while True:
            if pauses and pauses[0][0] <= self.env.now:
                yield from self._pause(number, pauses.pop(0))
                continue
            change = self.state.call_next(number, self.now, actor=f"window:{number}")
            if change.result is None:
                wake = self.env.event()
                self.idle[number] = wake
                waits = [wake] + ([self.env.timeout(pauses[0][0] - self.env.now)] if pauses else [])
                yield self.env.any_of(waits)
                self.idle.pop(number, None)
                continue
            self.run_case(change)
            yield from self._serve(number, change.result)
            self.idle_since[number] = self.env.now

    def _pause(self, number: int, span: tuple[float, float]):  # type: ignore[no-untyped-def]
        start, end = span
        if end <= self.env.now:
            return
        self.run_case(self.state.set_window_status(number, WindowStatus.PAUSED, self.now,
                                                   actor=ACTOR))
        self.paused[number] += end - self.env.now
        yield self.env.timeout(end - self.env.now)
        self.run_case(self.state.set_window_status(number, WindowStatus.OPEN, self.now,
                                                   actor=ACTOR))
        self.idle_since[number] = self.env.now

    def _serve(self, number: int, t: Ticket):  # type: ignore[no-untyped-def]
        a = self.arrivals[t.id]
        v = self.current.pop(t.id)
        v.called, v.window = self.env.now, number
        start = self.env.now
        if a.no_show and v.step == a.no_show_step:
            v.no_show = True
            hold = self.demand.no_show_minutes if a.hold_minutes is None else a.hold_minutes
            yield self.env.timeout(hold)
            self.run_case(self.state.no_show(t.id, self.now, actor=ACTOR))
        else:
            self.run_case(self.state.start(t.id, self.now, actor=ACTOR))
            yield self.env.timeout(a.services[v.step])
            v.served_minutes = a.services[v.step]
            if v.step + 1 < len(a.steps):
                if a.moves and a.moves[v.step] == "transfer":
                    # A replayed transfer: sent on to another business, keeping its issue time.
                    change = self.state.transfer(t.id, a.steps[v.step + 1], self.now, actor=ACTOR)
                else:
                    change = self.state.forward(t.id, self.now, actor=ACTOR)
                moved = self.run_case(change).result
                self._enter(moved, a, v.step + 1)  # type: ignore[arg-type]
            else:
                self.run_case(self.state.complete(t.id, self.now, actor=ACTOR))
        self.busy += self.env.now - start
        self.last_busy[number] = self.env.now

    def _sampler(self):  # type: ignore[no-untyped-def]
        while True:
            self.series.append((self.env.now, len(self.state.waiting)))
            if (self.issued_all and not self.state.waiting) or self.env.now + SAMPLE_MINUTES > self.clear:
                return
            yield self.env.timeout(SAMPLE_MINUTES)


def simulate(layout: Layout, day: Day, policy: str) -> RunResult:
    return HallDay(layout, day, policy).run()
