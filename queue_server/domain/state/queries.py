"""Queue figures read by views and estimates: order, positions, capacity, waits."""

from __future__ import annotations

from datetime import datetime

from queue_server.domain.estimate import Estimate, capacities, estimate_wait, idle_windows
from queue_server.domain.routing import queue_minutes, routing_key
from queue_server.domain.state.change import minutes
from queue_server.domain.state.core import StateCore
from queue_server.domain.tickets import Status, Ticket


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

    def window_queue(self, number: int) -> list[Ticket]:
        """The tickets this window may call, in the order call-next would take them."""
        w = self.window(number)
        keyed = [(key, t) for t in self.waiting.values()
                 if (key := routing_key(w, t, self.policy)) is not None]
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

    def estimate(self, business: str, ahead: int) -> Estimate | None:
        return estimate_wait(ahead, self.stats.mean(business), self.capacity(business),
                             self.idle(business))

    def queue_summary(self, now: datetime) -> list[dict[str, object]]:
        """Per business: waiting, longest wait, the wait a new ticket can expect, alert."""
        out: list[dict[str, object]] = []
        for b in self.layout.businesses.values():
            queue = self.queues.get(b.code, {})
            n = len(queue)
            oldest = min((t.queued_at for t in queue.values()), default=None)
            est = self.estimate(b.code, n)
            out.append({
                "business": b.code,
                "name": b.name,
                "name_en": b.name_en,
                "waiting": n,
                "longest_wait_minutes": round(minutes(now - oldest), 1) if oldest else 0.0,
                "estimate": est.as_dict() if est else None,
                "alert": bool(b.alert_waiting and n >= b.alert_waiting),
                "windows": round(self.capacity(b.code), 2),
            })
        return out
