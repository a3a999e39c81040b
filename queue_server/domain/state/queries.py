"""Queue figures read by views and estimates: order, positions, capacity, waits."""

from __future__ import annotations

from datetime import datetime, timedelta

from queue_server.domain.estimate import (
    STALL_MINUTES,
    Estimate,
    capacities,
    estimate_wait,
    idle_windows,
    stalled_windows,
    working_capacities,
)
from queue_server.domain.routing import queue_minutes, routing_key
from queue_server.domain.state.change import minutes
from queue_server.domain.state.core import StateCore
from queue_server.domain.tickets import Status, Ticket

STALL = timedelta(minutes=STALL_MINUTES)


class Queries(StateCore):
    """Figures over the queues; capacity and idle windows are cached until windows change."""

    def capacity(self, business: str) -> float:
        # Windows change rarely and capacity is read on every view: computed once per change.
        if self._capacity is None:
            self._capacity = capacities(self.windows.values(), self.policy)
        return self._capacity.get(business, 0.0)

    def queue_order(self, business: str) -> list[Ticket]:
        """Waiting tickets of one business in the order they are expected to be called."""
        return sorted(self.queues.get(business, {}).values(),
                      key=lambda t: (queue_minutes(t, self.policy), t.number))

    def positions(self) -> dict[str, int]:
        """People ahead of every waiting ticket, computed for all in one pass."""
        ahead: dict[str, int] = {}
        for code in self.layout.businesses:
            for i, t in enumerate(self.queue_order(code)):
                ahead[t.id] = i
        return ahead

    def window_queue(self, number: int, now: datetime | None = None) -> list[Ticket]:
        """The tickets this window may call, in the order call-next would take them at
        `now` (default: the latest time this state has seen)."""
        w = self.window(number)
        now = now or self.now
        keyed = [(key, t) for t in self.waiting.values()
                 if (key := routing_key(w, t, self.policy, now)) is not None]
        return [t for _, t in sorted(keyed, key=lambda kt: kt[0])]

    def people_ahead(self, t: Ticket) -> int | None:
        if t.status is not Status.WAITING or t.parked:
            return None
        key = (queue_minutes(t, self.policy), t.number)
        return sum(1 for o in self.queues.get(t.business, {}).values()
                   if (queue_minutes(o, self.policy), o.number) < key)

    def idle(self, business: str) -> int:
        """Open windows serving the business that hold nobody now."""
        if self._idle is None:
            self._idle = idle_windows(self.windows.values(), self.policy)
        return self._idle.get(business, 0)

    def stalled(self, now: datetime | None = None) -> frozenset[int]:
        """Open windows that have sat free for a while with a ticket they could take."""
        now = now or self.now
        if now is None:
            return frozenset()
        if self._stalled[0] != now:
            for w in self.windows.values():
                if w.takes_tickets and w.current is None:
                    # Free since before this state knew (a restart): from now on.
                    self.free_since.setdefault(w.number, now)
            if min(self.free_since.values(), default=now) > now - STALL:
                # No window has been free that long: none is stalled, whatever waits. The
                # usual case in a busy hall, and it spares a pass over every waiting ticket
                # on each ticket view.
                self._stalled = (now, frozenset())
                return self._stalled[1]
            oldest = {code: min(t.queued_at for t in q.values())
                      for code, q in self.queues.items() if q}
            self._stalled = (now, stalled_windows(self.windows.values(), self.policy,
                                                  self.free_since, oldest, now))
        return self._stalled[1]

    def working_capacity(self, business: str, now: datetime | None = None
                         ) -> tuple[float, int]:
        """Windows' worth of capacity that is really calling (`working_capacities`), and
        how many of those windows are free to call at once."""
        stalled = self.stalled(now)
        if not stalled:
            return self.capacity(business), self.idle(business)
        if stalled not in self._working:
            self._working[stalled] = (
                working_capacities(self.windows.values(), self.policy, stalled),
                idle_windows(self.windows.values(), self.policy, stalled))
        by_cap, by_idle = self._working[stalled]
        return by_cap.get(business, 0.0), by_idle.get(business, 0)

    def estimate(self, business: str, ahead: int, now: datetime | None = None
                 ) -> Estimate | None:
        """What a ticket `ahead` places down this business's queue can expect, with the
        windows as they are working at `now` (default: the latest time seen)."""
        caps, idle = self.working_capacity(business, now)
        return estimate_wait(ahead, self.stats.mean(business), caps, idle)

    def estimates(self, business: str, count: int, now: datetime | None = None
                  ) -> list[Estimate | None]:
        """`estimate` for each of the first `count` places of a business's queue, the
        windows read once (a phone's places frame holds every place, on every call)."""
        caps, idle = self.working_capacity(business, now)
        mean = self.stats.mean(business)
        return [estimate_wait(ahead, mean, caps, idle) for ahead in range(count)]

    def queue_summary(self, now: datetime) -> list[dict[str, object]]:
        """Per business: waiting, longest wait, the wait a new ticket can expect, alert."""
        out: list[dict[str, object]] = []
        self.observe(now)
        for b in self.layout.businesses.values():
            queue = self.queues.get(b.code, {})
            n = len(queue)
            oldest = min((t.queued_at for t in queue.values()), default=None)
            est = self.estimate(b.code, n, now)
            out.append({
                "business": b.code,
                "name": b.name,
                "name_en": b.name_en,
                "waiting": n,
                "longest_wait_minutes": round(minutes(now - oldest), 1) if oldest else 0.0,
                "estimate": est.as_dict() if est else None,
                "alert": bool(b.alert_waiting and n >= b.alert_waiting),
                # False: no open or paused front window serves it, so the kiosk refuses
                # it (business_closed) and the guide console says so.
                "front_open": self.front_served(b.code),
                "windows": round(self.capacity(b.code), 2),
                "working_windows": round(self.working_capacity(b.code, now)[0], 2),
            })
        return out
