"""The state the use cases read: one business day's tickets and windows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime

from queue_server.domain.errors import Forbidden, NotFound
from queue_server.domain.estimate import ServiceStats
from queue_server.domain.layout import Layout
from queue_server.domain.routing import eligible_businesses
from queue_server.domain.state.change import Change, minutes
from queue_server.domain.tickets import Status, Ticket, business_day, holds_place
from queue_server.domain.windows import WindowState, WindowStatus


class StateCore:
    """The day's tickets and windows, kept indexed as changes are applied, and the
    lookups and permission checks every use case starts from."""

    def __init__(self, layout: Layout, day: date, *, tickets: Iterable[Ticket] = (),
                 windows: Iterable[WindowState] | None = None,
                 sequences: dict[str, int] | None = None) -> None:
        self.layout = layout
        self.policy = layout.routing
        self.day = day
        self.tickets: dict[str, Ticket] = {}
        self.waiting: dict[str, Ticket] = {}  # every waiting ticket, parked ones included
        self.queues: dict[str, dict[str, Ticket]] = {}  # business → its queue (not parked)
        # Tickets that count against the per-ID limit and, per business, numbers given
        # back: a ticket cancelled before it was ever called frees its place (taken()).
        self.id_counts: Counter[str] = Counter()
        self.given_back: Counter[str] = Counter()
        self.request_keys: dict[str, str] = {}  # request key → the ticket it issued today
        self.appointments: dict[str, str] = {}  # booking code → its ticket today (not cancelled)
        self.windows: dict[int, WindowState] = {
            w.number: WindowState.from_layout(w) for w in layout.windows.values()}
        for w in windows or ():
            if w.number in self.windows:
                self.windows[w.number] = w
        self.sequences: dict[str, int] = dict(sequences or {})
        self._capacity: dict[str, float] | None = None
        self._front: set[str] | None = None  # businesses an open or paused front window serves
        self._idle: dict[str, int] | None = None
        # What the windows are really doing, for the estimates: when each free window
        # became free, the latest time this state has seen, and the windows found stalled
        # (free a while with a ticket they could take waiting) at that time.
        self.free_since: dict[int, datetime] = {}
        self.now: datetime | None = None
        self._stalled: tuple[datetime | None, frozenset[int]] = (None, frozenset())
        self._working: dict[frozenset[int], tuple[dict[str, float], dict[str, int]]] = {}
        self.stats = ServiceStats({b.code: b.service_minutes for b in layout.businesses.values()})
        for t in tickets:
            self._put(t)
            if t.status is Status.DONE and t.called_at and t.finished_at:
                self.stats.observe(t.business, minutes(t.finished_at - t.called_at))

    # --- applying -----------------------------------------------------------------------

    def _put(self, t: Ticket) -> None:
        old = self.tickets.get(t.id)
        was, holds = old is not None and holds_place(old), holds_place(t)
        if t.id_hash and holds != was:
            self.id_counts[t.id_hash] += 1 if holds else -1
        if (old is None or was) and not holds:
            self.given_back[t.origin_business] += 1
        if old is None and t.request_key:
            self.request_keys[t.request_key] = t.id
        if t.appointment_code:
            # A cancelled check-in (a ticket nobody received) frees its booking again.
            if t.status is Status.CANCELLED:
                if self.appointments.get(t.appointment_code) == t.id:
                    del self.appointments[t.appointment_code]
            else:
                self.appointments[t.appointment_code] = t.id
        if old is not None:
            self.queues.get(old.business, {}).pop(t.id, None)
        self.tickets[t.id] = t
        if t.status is Status.WAITING:
            self.waiting[t.id] = t
            if not t.parked:
                self.queues.setdefault(t.business, {})[t.id] = t
        else:
            self.waiting.pop(t.id, None)

    def apply(self, change: Change) -> None:
        if change.new_day is not None:
            self.day = change.new_day
            self.tickets.clear()
            self.waiting.clear()
            self.queues.clear()
            self.id_counts.clear()
            self.given_back.clear()
            self.request_keys.clear()
            self.appointments.clear()
            self.sequences.clear()
        for t in change.tickets:
            if t.day != self.day:
                continue
            old = self.tickets.get(t.id)
            if (t.status is Status.DONE and old is not None and old.status is not Status.DONE
                    and t.called_at and t.finished_at):
                self.stats.observe(t.business, minutes(t.finished_at - t.called_at))
            self._put(t)
        at = max((e.at for e in change.events), default=None)
        self.observe(at)
        for w in change.windows:
            old_w = self.windows.get(w.number)
            if old_w is None or (old_w.status, old_w.kind, old_w.businesses) != (
                    w.status, w.kind, w.businesses):
                self._capacity = None  # what a window holds does not change capacity
                self._front = None
            freed = (w.status is WindowStatus.OPEN and w.current is None
                     and (old_w is None or old_w.current is not None
                          or old_w.status is not WindowStatus.OPEN))
            if freed or w.current is not None or w.status is not WindowStatus.OPEN:
                self.free_since.pop(w.number, None)
                if freed and at is not None:
                    self.free_since[w.number] = at
            self._idle = None
            self.windows[w.number] = w
        self._stalled = (None, frozenset())
        self._working.clear()
        self.sequences.update(change.sequences)

    def observe(self, now: datetime | None) -> None:
        """Move this state's clock on: the estimates judge stalled windows at this time."""
        if now is not None and (self.now is None or now > self.now):
            self.now = now

    # --- lookups ------------------------------------------------------------------------

    def ticket(self, ticket_id: str) -> Ticket:
        t = self.tickets.get(ticket_id)
        if t is None:
            raise NotFound("没有这个号", f"no ticket {ticket_id} today")
        return t

    def window(self, number: int) -> WindowState:
        w = self.windows.get(number)
        if w is None:
            raise NotFound(f"没有 {number} 号窗口", f"there is no window {number}",
                           code="unknown_window")
        return w

    def business(self, code: str) -> None:
        if code not in self.layout.businesses:
            raise NotFound(f"没有该业务：{code}", f"unknown business '{code}'",
                           code="unknown_business")

    def taken(self, business: str) -> int:
        """Numbers of the business's daily cap in use: those issued today, less those
        given back by tickets cancelled before they were called (holds_place)."""
        return self.sequences.get(business, 0) - self.given_back.get(business, 0)

    def front_served(self, business: str) -> bool:
        """Whether a front window that is open or paused (back soon) serves the business:
        back-office windows are not routed tickets, so they do not count."""
        if self._front is None:
            self._front = {code for w in self.windows.values()
                           if w.kind == "front" and w.status is not WindowStatus.CLOSED
                           for code in eligible_businesses(w, self.policy)}
        return business in self._front

    def business_day_of(self, now: datetime) -> date:
        return business_day(now, self.layout.hall.tz, self.layout.hall.clear_time)

    # --- who may act -------------------------------------------------------------------

    def _check_window_actor(self, w: WindowState, acting_window: int | None) -> None:
        if acting_window is not None and acting_window != w.number:
            raise Forbidden(f"您是 {acting_window} 号窗口，不能操作 {w.number} 号窗口",
                            f"window {acting_window} cannot act for window {w.number}",
                            code="wrong_window")

    def _check_holder(self, t: Ticket, acting_window: int | None) -> None:
        if acting_window is not None and t.window != acting_window:
            raise Forbidden(f"{t.number} 不在本窗口（{acting_window} 号）",
                            f"ticket {t.number} is not held by window {acting_window}",
                            code="wrong_window")

    def _release(self, t: Ticket) -> list[WindowState]:
        w = self.windows.get(t.window) if t.window is not None else None
        if w is not None and w.current == t.id:
            return [w.with_(current=None)]
        return []

