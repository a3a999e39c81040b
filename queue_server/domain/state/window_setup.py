"""Window status (open, pause, close) and what each window serves."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from queue_server.domain.errors import IllegalTransition, InvalidInput
from queue_server.domain.events import Event, EventType
from queue_server.domain.state.change import ANY_STAFF, Change
from queue_server.domain.state.core import StateCore
from queue_server.domain.windows import WindowStatus


class WindowSetup(StateCore):
    """Use cases that change a window rather than a ticket."""

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

