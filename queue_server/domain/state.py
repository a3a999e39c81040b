"""The hall's state for one business day, and every use case as a pure decision.

Each use case reads the state and returns a `Change` (new ticket and window versions
plus the events that describe them) without touching the state. The server stores the
change and only then applies it, so a failed commit leaves memory as it was; the
simulator applies changes directly. Both run exactly this code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from queue_server.domain.errors import (
    Forbidden,
    IllegalTransition,
    InvalidInput,
    LimitReached,
    NotFound,
)
from queue_server.domain.estimate import (
    Estimate,
    ServiceStats,
    capacities,
    estimate_wait,
    idle_windows,
    stalled_windows,
    working_capacities,
)
from queue_server.domain.events import Event, EventType
from queue_server.domain.identity import Applicant, age_on
from queue_server.domain.layout import Layout, Priority
from queue_server.domain.routing import (
    choose_next,
    eligible_businesses,
    queue_minutes,
    routing_key,
)
from queue_server.domain.staff import StaffMember
from queue_server.domain.tickets import (
    AT_WINDOW,
    OPEN_STATUSES,
    Status,
    Ticket,
    business_day,
    format_number,
    require,
)
from queue_server.domain.windows import WindowState, WindowStatus

ANY_STAFF = None  # acting_window=None: a guide or admin, who may act on any window


@dataclass
class Change:
    tickets: list[Ticket] = field(default_factory=list)
    windows: list[WindowState] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    sequences: dict[str, int] = field(default_factory=dict)  # business → last number used
    result: Ticket | None = None
    new_day: date | None = None
    report: dict[str, object] | None = None


@dataclass(frozen=True)
class Appointment:
    code: str
    slot_start: datetime
    slot_end: datetime


APPOINTMENT_EARLY_MINUTES = 15  # an applicant may check in this early for a slot


class HallState:
    def __init__(self, layout: Layout, day: date, *, tickets: Iterable[Ticket] = (),
                 windows: Iterable[WindowState] | None = None,
                 sequences: dict[str, int] | None = None) -> None:
        self.layout = layout
        self.policy = layout.routing
        self.day = day
        self.tickets: dict[str, Ticket] = {}
        self.waiting: dict[str, Ticket] = {}  # every waiting ticket, parked ones included
        self.queues: dict[str, dict[str, Ticket]] = {}  # business → its queue (not parked)
        self.id_counts: Counter[str] = Counter()
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
                self.stats.observe(t.business, _minutes(t.finished_at - t.called_at))

    # --- applying -----------------------------------------------------------------------

    def _put(self, t: Ticket) -> None:
        old = self.tickets.get(t.id)
        if old is None and t.id_hash:
            self.id_counts[t.id_hash] += 1
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
            self.request_keys.clear()
            self.appointments.clear()
            self.sequences.clear()
        for t in change.tickets:
            if t.day != self.day:
                continue
            old = self.tickets.get(t.id)
            if (t.status is Status.DONE and old is not None and old.status is not Status.DONE
                    and t.called_at and t.finished_at):
                self.stats.observe(t.business, _minutes(t.finished_at - t.called_at))
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

    def business_day_of(self, now: datetime) -> date:
        return business_day(now, self.layout.hall.tz, self.layout.hall.clear_time)

    # --- queue figures ----------------------------------------------------------------

    def capacity(self, business: str) -> float:
        # Windows change rarely and capacity is read on every view: computed once per change.
        if self._capacity is None:
            self._capacity = capacities(self.windows.values(), self.policy)
        return self._capacity.get(business, 0.0)

    def front_served(self, business: str) -> bool:
        """Whether a front window that is open or paused (back soon) serves the business:
        back-office windows are not routed tickets, so they do not count."""
        if self._front is None:
            self._front = {code for w in self.windows.values()
                           if w.kind == "front" and w.status is not WindowStatus.CLOSED
                           for code in eligible_businesses(w, self.policy)}
        return business in self._front

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
                "longest_wait_minutes": round(_minutes(now - oldest), 1) if oldest else 0.0,
                "estimate": est.as_dict() if est else None,
                "alert": bool(b.alert_waiting and n >= b.alert_waiting),
                # False: no open or paused front window serves it, so the kiosk refuses
                # it (business_closed) and the guide console says so.
                "front_open": self.front_served(b.code),
                "windows": round(self.capacity(b.code), 2),
                "working_windows": round(self.working_capacity(b.code, now)[0], 2),
            })
        return out

    # --- issuing --------------------------------------------------------------------------

    def issue(self, business: str, now: datetime, *, ticket_id: str, actor: str,
              applicant: Applicant | None = None, priority: Priority | None = None,
              priority_reason: str | None = None, journey: str | None = None,
              appointment: Appointment | None = None, channel: str = "kiosk",
              request_key: str | None = None) -> Change:
        """`request_key`, unique per caller: asked again with it, the same ticket comes back
        (`Change.result`, nothing written), whatever has happened to it since."""
        if request_key is not None and request_key in self.request_keys:
            return self._reissue(self.tickets[self.request_keys[request_key]], business,
                                 applicant)
        self.business(business)
        hall = self.layout.hall
        b = self.layout.businesses[business]
        if appointment is not None and appointment.code in self.appointments:
            # One slip, one ticket: else a slip passed along the queue jumps it again.
            held = self.tickets[self.appointments[appointment.code]]
            raise LimitReached(f"该预约已签到取号（{held.number}），请留意叫号",
                               f"this booking has already checked in: ticket {held.number}",
                               code="appointment_used")
        if journey is not None:
            j = self.layout.journeys.get(journey)
            if j is None:
                raise NotFound(f"没有该办理流程：{journey}", f"unknown journey '{journey}'",
                               code="unknown_journey")
            if j.steps[0] != business:
                raise InvalidInput(f"流程「{j.name}」从「{self.layout.businesses[j.steps[0]].name}」开始",
                                   f"journey '{journey}' starts at '{j.steps[0]}'")
            # A later step whose business has given out today's numbers cannot take this
            # applicant either: say so now, not at the third window.
            for step in j.steps[1:]:
                later = self.layout.businesses[step]
                if later.daily_cap and self.sequences.get(step, 0) >= later.daily_cap:
                    raise LimitReached(
                        f"「{j.name}」中的「{later.name}」今日号已取完，无法办完全程，请到咨询台或改日办理",
                        f"'{later.name_en or later.code}', a later step of this journey, has "
                        "given out all of today's tickets", code="journey_step_full")
        # A back-office window may list a business, but it calls nobody: a ticket issued
        # for it now would wait for ever (the layout check's rule, applied live).
        if not self.front_served(business):
            raise LimitReached(f"「{b.name}」暂停取号：目前没有开放的前台窗口办理，请到咨询台",
                               f"no open front window serves '{b.name_en or b.code}' now; "
                               "please ask at the desk", code="business_closed")
        if journey is not None:
            j = self.layout.journeys[journey]
            for step in j.steps[1:]:
                if not self.front_served(step):
                    later = self.layout.businesses[step]
                    raise LimitReached(
                        f"「{j.name}」中的「{later.name}」目前没有开放的前台窗口办理，无法办完全程，"
                        "请到咨询台", f"no open front window serves '{later.name_en or later.code}', "
                        "a later step of this journey, now; please ask at the desk",
                        code="business_closed")
        seq = self.sequences.get(business, 0) + 1
        if b.daily_cap and seq > b.daily_cap:
            raise LimitReached(f"「{b.name}」今日号已取完（每日{b.daily_cap}个），请到咨询台或改日办理",
                               f"today's {b.daily_cap} tickets for '{b.name_en or b.code}' are all taken",
                               code="daily_cap_reached")
        if applicant is None and not hall.allow_anonymous and channel == "kiosk":
            raise InvalidInput("请先刷身份证再取号", "please lay your ID card on the reader first",
                               code="id_required")
        if applicant is not None:
            if self.id_counts.get(applicant.id_hash, 0) >= hall.per_id_daily_limit:
                raise LimitReached(
                    f"同一身份证每天最多取号{hall.per_id_daily_limit}次，请到咨询台",
                    f"one ID card may take {hall.per_id_daily_limit} tickets a day",
                    code="id_limit_reached")
            for t in self.waiting.values():
                if t.id_hash == applicant.id_hash and t.business == business:
                    raise LimitReached(f"您已取过该业务的号 {t.number}，请留意叫号",
                                       f"you already hold ticket {t.number} for this business",
                                       code="already_waiting")
        elderly = (applicant is not None and applicant.birth_date is not None
                   and age_on(applicant.birth_date, self.day) >= hall.green_age)
        if priority is None:
            # Not asked: an elderly applicant gets the green channel without asking.
            priority, priority_reason = ((Priority.GREEN, "age") if elderly
                                         else (Priority.NORMAL, priority_reason))
        elif priority is Priority.GREEN and channel == "kiosk" and not elderly:
            raise Forbidden(f"绿色通道面向{hall.green_age}岁以上老人；其他情况请找引导员办理",
                            f"the kiosk grants the green channel from age {hall.green_age}; "
                            "a guide can grant it otherwise", code="green_not_eligible")
        elif priority is Priority.GREEN:
            priority_reason = priority_reason or ("age" if elderly else "guide")
        if appointment is not None and priority is Priority.NORMAL:
            early = (appointment.slot_start - now).total_seconds() / 60
            if early <= APPOINTMENT_EARLY_MINUTES and now <= appointment.slot_end:
                priority, priority_reason = Priority.APPOINTMENT, "appointment"
            else:
                priority_reason = "appointment_outside_slot"
        t = Ticket(
            id=ticket_id, day=self.day, number=format_number(b.prefix, seq, hall.number_width),
            business=business, status=Status.WAITING, priority=priority, issued_at=now,
            queued_at=now, origin_business=business, journey=journey,
            id_hash=applicant.id_hash if applicant else None,
            id_masked=applicant.id_masked if applicant else None,
            name_masked=applicant.name_masked if applicant else None,
            priority_reason=priority_reason, channel=channel, request_key=request_key,
            appointment_code=appointment.code if appointment else None,
        )
        data = {"number": t.number, "business": business, "priority": priority.value}
        if appointment is not None:
            data["appointment"] = appointment.code
        event = Event(EventType.TICKET_ISSUED, now, actor, t.id, None, data)
        return Change(tickets=[t], events=[event], sequences={business: seq}, result=t)

    def _reissue(self, t: Ticket, business: str, applicant: Applicant | None) -> Change:
        if t.origin_business != business or t.id_hash != (applicant.id_hash if applicant else None):
            raise InvalidInput("该请求编号已用于另一张号，请重新取号",
                               "this request key was used for a different ticket request",
                               code="request_key_reused")
        return Change(result=t)

    # --- at the window -------------------------------------------------------------------

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

    def _free_window(self, w: WindowState) -> None:
        if w.status is not WindowStatus.OPEN:
            zh = "暂停服务" if w.status is WindowStatus.PAUSED else "已关闭"
            raise IllegalTransition(f"{w.number} 号窗口{zh}，不能叫号",
                                    f"window {w.number} is {w.status.value}; it cannot call",
                                    code=f"window_{w.status.value}")
        if w.staff is None and self.layout.hall.staff_sign_in_required:
            raise IllegalTransition(f"{w.number} 号窗口还没有工作人员签到，请先用工号签到",
                                    f"nobody is signed in at window {w.number}; sign in with "
                                    "your staff number first", code="staff_not_signed_in")
        if w.current is not None:
            held = self.tickets.get(w.current)
            number = held.number if held else w.current
            raise IllegalTransition(f"{w.number} 号窗口正在办理 {number}，请先办结、过号或转移",
                                    f"window {w.number} still holds ticket {number}; "
                                    "complete, no-show or transfer it first",
                                    code="window_busy")

    def _called(self, t: Ticket, w: WindowState, now: datetime, actor: str) -> Change:
        called = t.moved(status=Status.CALLED, window=w.number, called_at=now, parked=False,
                         recalls=0)
        event = Event(EventType.TICKET_CALLED, now, actor, t.id, w.number,
                      {"number": t.number, "business": t.business})
        return Change(tickets=[called], windows=[w.with_(current=t.id)], events=[event],
                      result=called)

    def call_next(self, window: int, now: datetime, *, actor: str,
                  acting_window: int | None = ANY_STAFF) -> Change:
        w = self.window(window)
        self._check_window_actor(w, acting_window)
        self._free_window(w)
        t = choose_next(w, self.waiting.values(), self.policy, now)
        if t is None:
            return Change(result=None)
        return self._called(t, w, now, actor)

    def call_ticket(self, window: int, ticket_id: str, now: datetime, *, actor: str,
                    acting_window: int | None = ANY_STAFF) -> Change:
        """Call one chosen ticket: a parked one back, or one picked from the list."""
        w = self.window(window)
        self._check_window_actor(w, acting_window)
        t = self.ticket(ticket_id)
        require(t, {Status.WAITING}, "叫号", "called")
        if t.parked and t.window != window and acting_window is not None:
            raise Forbidden(f"{t.number} 挂起在 {t.window} 号窗口", f"ticket {t.number} is parked "
                            f"at window {t.window}", code="wrong_window")
        if not t.parked and acting_window is not None and t.business not in w.businesses:
            raise Forbidden(f"{w.number} 号窗口不办理该业务", f"window {w.number} does not serve "
                            f"'{t.business}'", code="wrong_business")
        self._free_window(w)
        return self._called(t, w, now, actor)

    def recall(self, ticket_id: str, now: datetime, *, actor: str,
               acting_window: int | None = ANY_STAFF) -> Change:
        t = self.ticket(ticket_id)
        self._check_holder(t, acting_window)
        require(t, {Status.CALLED}, "重呼", "recalled")
        if t.recalls >= self.layout.hall.recall_limit:
            # Past the cap the applicant is taken to be gone: the window moves on.
            return self._no_show(t, now, actor, reason="recall_limit")
        recalled = t.moved(recalls=t.recalls + 1)
        event = Event(EventType.TICKET_RECALLED, now, actor, t.id, t.window,
                      {"number": t.number, "business": t.business, "recalls": recalled.recalls})
        return Change(tickets=[recalled], events=[event], result=recalled)

    def start(self, ticket_id: str, now: datetime, *, actor: str,
              acting_window: int | None = ANY_STAFF) -> Change:
        t = self.ticket(ticket_id)
        self._check_holder(t, acting_window)
        require(t, {Status.CALLED}, "开始办理", "started")
        started = t.moved(status=Status.SERVING, started_at=now)
        event = Event(EventType.TICKET_STARTED, now, actor, t.id, t.window, {"number": t.number})
        return Change(tickets=[started], events=[event], result=started)

    def _release(self, t: Ticket) -> list[WindowState]:
        w = self.windows.get(t.window) if t.window is not None else None
        if w is not None and w.current == t.id:
            return [w.with_(current=None)]
        return []

    def complete(self, ticket_id: str, now: datetime, *, actor: str,
                 acting_window: int | None = ANY_STAFF) -> Change:
        t = self.ticket(ticket_id)
        self._check_holder(t, acting_window)
        require(t, AT_WINDOW, "办结", "completed")
        done = t.moved(status=Status.DONE, finished_at=now)
        event = Event(EventType.TICKET_COMPLETED, now, actor, t.id, t.window,
                      {"number": t.number, "business": t.business})
        return Change(tickets=[done], windows=self._release(t), events=[event], result=done)

    def _no_show(self, t: Ticket, now: datetime, actor: str, reason: str | None) -> Change:
        gone = t.moved(status=Status.NO_SHOW, finished_at=now, closed_reason=reason)
        event = Event(EventType.TICKET_NO_SHOW, now, actor, t.id, t.window,
                      {"number": t.number, "business": t.business, "reason": reason})
        return Change(tickets=[gone], windows=self._release(t), events=[event], result=gone)

    def no_show(self, ticket_id: str, now: datetime, *, actor: str,
                acting_window: int | None = ANY_STAFF) -> Change:
        t = self.ticket(ticket_id)
        self._check_holder(t, acting_window)
        require(t, {Status.CALLED}, "过号", "marked no-show")
        return self._no_show(t, now, actor, reason=None)

    def park(self, ticket_id: str, now: datetime, *, actor: str,
             acting_window: int | None = ANY_STAFF) -> Change:
        """Set a ticket aside (the applicant fetches a missing paper); the window calls it back."""
        t = self.ticket(ticket_id)
        self._check_holder(t, acting_window)
        require(t, AT_WINDOW, "挂起", "parked")
        parked = t.moved(status=Status.WAITING, parked=True)
        event = Event(EventType.TICKET_PARKED, now, actor, t.id, t.window, {"number": t.number})
        return Change(tickets=[parked], windows=self._release(t), events=[event], result=parked)

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

    # --- windows ------------------------------------------------------------------------

    def set_window_status(self, window: int, status: WindowStatus, now: datetime, *, actor: str,
                          acting_window: int | None = ANY_STAFF) -> Change:
        w = self.window(window)
        self._check_window_actor(w, acting_window)
        if w.status is status:
            return Change()  # pressing pause twice is not an error a person should see
        if status is WindowStatus.CLOSED and w.current is not None:
            held = self.tickets.get(w.current)
            raise IllegalTransition(
                f"{w.number} 号窗口正在办理 {held.number if held else ''}，请先办结再关闭",
                f"window {w.number} still holds a ticket; finish it before closing",
                code="window_busy")
        if w.status is WindowStatus.CLOSED and status is WindowStatus.PAUSED:
            raise IllegalTransition(f"{w.number} 号窗口已关闭", f"window {w.number} is closed",
                                    code="window_closed")
        etype = {
            WindowStatus.PAUSED: EventType.WINDOW_PAUSED,
            WindowStatus.CLOSED: EventType.WINDOW_CLOSED,
            WindowStatus.OPEN: EventType.WINDOW_RESUMED
            if w.status is WindowStatus.PAUSED else EventType.WINDOW_OPENED,
        }[status]
        new = w.with_(status=status)
        return Change(windows=[new],
                      events=[Event(etype, now, actor, None, w.number, {"status": status.value})])

    def reskill(self, window: int, businesses: Sequence[str], now: datetime, *, actor: str,
                kind: str | None = None) -> Change:
        w = self.window(window)
        if not businesses:
            raise InvalidInput("窗口至少办理一项业务", "a window must serve at least one business")
        for code in businesses:
            self.business(code)
        if len(set(businesses)) != len(businesses):
            raise InvalidInput("业务重复", "a business is listed twice")
        if kind is not None and kind not in ("front", "back"):
            raise InvalidInput("窗口类型应为 front 或 back", "kind must be 'front' or 'back'")
        new = w.with_(businesses=tuple(businesses), kind=kind or w.kind)
        event = Event(EventType.WINDOW_RESKILLED, now, actor, None, w.number,
                      {"businesses": list(businesses), "kind": new.kind})
        return Change(windows=[new], events=[event])

    # --- staff on duty ------------------------------------------------------------------

    def sign_in(self, window: int, member: StaffMember, now: datetime, *, actor: str,
                acting_window: int | None = ANY_STAFF) -> Change:
        """`member` takes over the window: a shift change signs the one before out, and a
        person still signed in at another window (who forgot) is signed out there."""
        w = self.window(window)
        self._check_window_actor(w, acting_window)
        if not member.active:
            raise IllegalTransition(f"工号 {member.number} 已停用，请联系管理员",
                                    f"staff number {member.number} is disabled",
                                    code="staff_disabled")
        if w.staff == member.number:
            return Change()
        change = Change()
        for other in self.windows.values():
            if other.number != window and other.staff == member.number:
                change.windows.append(other.with_(staff=None, staff_name="", staff_since=None))
                change.events.append(self._signed_out(other, now, actor, "moved"))
        if w.staff is not None:
            change.events.append(self._signed_out(w, now, actor, "shift_change"))
        change.windows.append(w.with_(staff=member.number, staff_name=member.name,
                                      staff_since=now))
        change.events.append(Event(EventType.STAFF_SIGNED_IN, now, actor, w.current, w.number,
                                   {"staff": member.number, "name": member.name},
                                   staff=member.number))
        return change

    def sign_out(self, window: int, now: datetime, *, actor: str,
                 acting_window: int | None = ANY_STAFF, reason: str = "sign_out") -> Change:
        w = self.window(window)
        self._check_window_actor(w, acting_window)
        if w.staff is None:
            return Change()  # signing out twice is not an error a person should see
        return Change(windows=[w.with_(staff=None, staff_name="", staff_since=None)],
                      events=[self._signed_out(w, now, actor, reason)])

    def _signed_out(self, w: WindowState, now: datetime, actor: str, reason: str) -> Event:
        return Event(EventType.STAFF_SIGNED_OUT, now, actor, w.current, w.number,
                     {"staff": w.staff, "name": w.staff_name, "reason": reason}, staff=w.staff)

    def on_duty(self, change: Change) -> Change:
        """The change with each window event naming who was on duty at its window then."""
        if not any(e.window is not None and e.staff is None for e in change.events):
            return change
        change.events = [
            replace(e, staff=self.windows[e.window].staff)
            if e.staff is None and e.window in self.windows else e
            for e in change.events]
        return change

    # --- the daily clear --------------------------------------------------------------

    def close_day(self, now: datetime, new_day: date, *, actor: str = "system") -> Change:
        """Close every open ticket as abandoned and report the day; windows start afresh."""
        change = Change(new_day=new_day)
        for t in self.tickets.values():
            if t.status in OPEN_STATUSES:
                change.tickets.append(t.moved(status=Status.CANCELLED, finished_at=now,
                                              closed_reason="abandoned"))
                change.events.append(Event(EventType.TICKET_ABANDONED, now, actor, t.id, t.window,
                                           {"number": t.number, "business": t.business}))
        for w in self.windows.values():
            if w.staff is not None:  # a new day starts with nobody on duty
                change.events.append(self._signed_out(w, now, actor, "day_closed"))
        change.windows = [WindowState.from_layout(w) for w in self.layout.windows.values()]
        change.report = day_report(self.day, [*self.tickets.values()], change.tickets)
        change.events.append(Event(EventType.DAY_CLOSED, now, actor, None, None,
                                   {"day": self.day.isoformat(), "new_day": new_day.isoformat(),
                                    "report": change.report}))
        return change


def day_report(day: date, tickets: list[Ticket], abandoned: list[Ticket]) -> dict[str, object]:
    """The day's figures per business, as managers read them."""
    abandoned_ids = {t.id for t in abandoned}
    per: dict[str, dict[str, float]] = {}
    for t in tickets:
        row = per.setdefault(t.origin_business, {
            "issued": 0, "done": 0, "no_show": 0, "cancelled": 0, "abandoned": 0,
            "mean_wait_minutes": 0.0, "max_wait_minutes": 0.0})
        row["issued"] += 1
        if t.id in abandoned_ids:
            row["abandoned"] += 1
        elif t.status is Status.DONE:
            row["done"] += 1
        elif t.status is Status.NO_SHOW:
            row["no_show"] += 1
        elif t.status is Status.CANCELLED:
            row["cancelled"] += 1
        if t.called_at is not None:
            wait = _minutes(t.called_at - t.issued_at)
            row["mean_wait_minutes"] += wait  # summed here, divided below
            row["max_wait_minutes"] = max(row["max_wait_minutes"], round(wait, 1))
            row.setdefault("_called", 0)
            row["_called"] += 1
    for row in per.values():
        called = row.pop("_called", 0)
        row["mean_wait_minutes"] = round(row["mean_wait_minutes"] / called, 1) if called else 0.0
    return {"day": day.isoformat(), "businesses": per,
            "abandoned": len(abandoned_ids), "issued": len(tickets)}


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60.0
