"""A window's live state: open, paused or closed, what it serves now, what it holds."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from queue_server.domain.layout import Window


class WindowStatus(StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


WINDOW_STATUS_ZH = {WindowStatus.OPEN: "办理中", WindowStatus.PAUSED: "暂停服务",
                    WindowStatus.CLOSED: "已关闭"}


@dataclass(frozen=True)
class WindowState:
    number: int
    zone: str
    businesses: tuple[str, ...]  # live: guides re-skill windows during the day
    status: WindowStatus
    kind: str = "front"
    green_channel: bool = False
    label: str = ""
    current: str | None = None  # id of the ticket called to or served at this window
    # Who is on duty (工号 and name as signed in), and since when; None: nobody signed in.
    staff: str | None = None
    staff_name: str = ""
    staff_since: datetime | None = None

    @classmethod
    def from_layout(cls, w: Window) -> WindowState:
        return cls(w.number, w.zone, w.businesses,
                   WindowStatus.OPEN if w.open else WindowStatus.CLOSED,
                   w.kind, w.green_channel, w.label)

    @property
    def takes_tickets(self) -> bool:
        """Routed new tickets: open public windows (back-office ones can be switched over)."""
        return self.status is WindowStatus.OPEN and self.kind == "front"

    def with_(self, **changes: object) -> WindowState:
        return replace(self, **changes)
