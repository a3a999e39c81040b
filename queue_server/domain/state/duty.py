"""Staff on duty: signing in and out at a window, and naming them on window events."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from queue_server.domain.errors import IllegalTransition
from queue_server.domain.events import Event, EventType
from queue_server.domain.staff import StaffMember
from queue_server.domain.state.change import ANY_STAFF, Change
from queue_server.domain.state.core import StateCore
from queue_server.domain.windows import WindowState


class Duty(StateCore):
    """Who is on duty at each window."""

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

