"""At the window: calling, recalling, starting, completing, no-show and parking."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from queue_server.domain.catalogue import Catalogue
from queue_server.domain.errors import Forbidden, IllegalTransition
from queue_server.domain.events import Event, EventType
from queue_server.domain.notices import (
    REFUSED,
    Notice,
    clean_note,
    find_item,
    missing_materials,
)
from queue_server.domain.routing import choose_next
from queue_server.domain.state.change import ANY_STAFF, Change
from queue_server.domain.state.core import StateCore
from queue_server.domain.tickets import AT_WINDOW, Status, Ticket, require
from queue_server.domain.windows import WindowState, WindowStatus


class Calling(StateCore):
    """Use cases at the window that holds (or calls) a ticket."""

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

    def refuse(self, ticket_id: str, now: datetime, *, catalogue: Catalogue | None, item: str,
               ticked: Sequence[int], note: str, notice_no: str, actor: str,
               acting_window: int | None = ANY_STAFF) -> Change:
        """不予受理: the window cannot accept the application. The ticket closes with its own
        outcome (`closed_reason` "refused") and the notice of what is missing is stored with
        it, in the same transaction."""
        t = self.ticket(ticket_id)
        self._check_holder(t, acting_window)
        require(t, AT_WINDOW, "不予受理", "refused")
        found = find_item(catalogue, item, t.business)
        missing = missing_materials(found, ticked)
        w = self.windows.get(t.window) if t.window is not None else None
        notice = Notice(
            no=notice_no, hall=self.layout.hall.code, day=self.day, ticket_id=t.id,
            ticket_number=t.number, business=t.business, item=found.code,
            item_name=found.name, item_name_en=found.name_en, missing=missing,
            note=clean_note(note), window=t.window, staff=w.staff if w else None,
            staff_name=w.staff_name if w else "", issued_at=now,
            prechecked=t.precheck_item is not None)
        done = t.moved(status=Status.DONE, finished_at=now, closed_reason=REFUSED)
        event = Event(EventType.TICKET_REFUSED, now, actor, t.id, t.window,
                      {"number": t.number, "business": t.business, "item": found.code,
                       "notice": notice_no, "missing": [m.index for m in missing]})
        return Change(tickets=[done], windows=self._release(t), events=[event], result=done,
                      notices=[notice])

    def park(self, ticket_id: str, now: datetime, *, actor: str,
             acting_window: int | None = ANY_STAFF) -> Change:
        """Set a ticket aside (the applicant fetches a missing paper); the window calls it back."""
        t = self.ticket(ticket_id)
        self._check_holder(t, acting_window)
        require(t, AT_WINDOW, "挂起", "parked")
        parked = t.moved(status=Status.WAITING, parked=True)
        event = Event(EventType.TICKET_PARKED, now, actor, t.id, t.window, {"number": t.number})
        return Change(tickets=[parked], windows=self._release(t), events=[event], result=parked)

