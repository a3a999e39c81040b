"""Moving tickets between queues: cancel, transfer, forward along a journey, bulk move."""

from __future__ import annotations

from datetime import datetime

from queue_server.domain.errors import Forbidden, IllegalTransition, InvalidInput
from queue_server.domain.events import Event, EventType
from queue_server.domain.layout import Priority
from queue_server.domain.state.change import ANY_STAFF, Change
from queue_server.domain.state.queries import Queries
from queue_server.domain.tickets import AT_WINDOW, OPEN_STATUSES, Status, Ticket, require


class Moving(Queries):
    """Use cases that put a ticket into another queue, or out of every queue."""

    def cancel(self, ticket_id: str, now: datetime, *, actor: str) -> Change:
        t = self.ticket(ticket_id)
        require(t, {Status.WAITING}, "取消", "cancelled")
        gone = t.moved(status=Status.CANCELLED, finished_at=now, closed_reason="cancelled")
        event = Event(EventType.TICKET_CANCELLED, now, actor, t.id, t.window,
                      {"number": t.number, "business": t.business})
        return Change(tickets=[gone], events=[event], result=gone)

    def _requeue(self, t: Ticket, business: str, now: datetime, actor: str, event_type: EventType,
                 **extra: object) -> Change:
        # A green applicant stays green; anyone else sent on gets the transferred head start.
        priority = t.priority if t.priority is Priority.GREEN else Priority.TRANSFERRED
        moved = t.moved(status=Status.WAITING, business=business, window=None, parked=False,
                        recalls=0, called_at=None, started_at=None, priority=priority, **extra)
        event = Event(event_type, now, actor, t.id, t.window,
                      {"number": t.number, "from": t.business, "to": business})
        return Change(tickets=[moved], windows=self._release(t), events=[event], result=moved)

    def transfer(self, ticket_id: str, business: str, now: datetime, *, actor: str,
                 acting_window: int | None = ANY_STAFF) -> Change:
        t = self.ticket(ticket_id)
        self.business(business)
        if t.status is Status.WAITING and acting_window is not None:
            raise Forbidden("只有引导员可以移动等候中的号", "only a guide moves waiting tickets",
                            code="wrong_window")
        self._check_holder(t, acting_window)
        require(t, OPEN_STATUSES, "转移", "transferred")
        if business == t.business:
            raise InvalidInput("该号已在这项业务中", f"ticket {t.number} is already in '{business}'",
                               code="same_business")
        return self._requeue(t, business, now, actor, EventType.TICKET_TRANSFERRED)

    def forward(self, ticket_id: str, now: datetime, *, actor: str,
                acting_window: int | None = ANY_STAFF) -> Change:
        """Send the applicant on to the next window of their journey, keeping their place."""
        t = self.ticket(ticket_id)
        self._check_holder(t, acting_window)
        require(t, AT_WINDOW, "转下一环节", "forwarded")
        j = self.layout.journeys.get(t.journey or "")
        if j is None or t.journey_step + 1 >= len(j.steps):
            raise IllegalTransition(f"{t.number} 没有下一个办理环节，请办结",
                                    f"ticket {t.number} has no next journey step; complete it",
                                    code="no_next_step")
        step = t.journey_step + 1
        # The next step queues from now, with the transferred head start: an applicant
        # sent on goes near the front, but a long journey cannot carry its first issue
        # time past every walk-in at every later window.
        return self._requeue(t, j.steps[step], now, actor, EventType.TICKET_FORWARDED,
                             journey_step=step, queued_at=now)

    def move_waiting(self, business: str, to_business: str, count: int, now: datetime, *,
                     actor: str) -> Change:
        """A guide moves the `count` longest-waiting tickets of one business to another."""
        self.business(business)
        self.business(to_business)
        if business == to_business:
            raise InvalidInput("目标业务与原业务相同", "the target business is the same",
                               code="same_business")
        if count < 1:
            raise InvalidInput("数量至少为1", "count must be at least 1")
        change = Change()
        for t in self.queue_order(business)[:count]:
            part = self._requeue(t, to_business, now, actor, EventType.TICKET_TRANSFERRED)
            change.tickets += part.tickets
            change.events += part.events
        return change

