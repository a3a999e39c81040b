"""Build halls and tickets for domain tests without any I/O beyond reading the fixture."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from queue_server.domain.layout import Layout, load_layout
from queue_server.domain.state import Change, HallState
from tests.conftest import FIXTURES

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
KEY = b"test-key"


def mini_layout() -> Layout:
    return load_layout(FIXTURES / "mini.toml")


class Driver:
    """Runs use cases on a HallState the way the server does: decide, then apply."""

    def __init__(self, layout: Layout | None = None) -> None:
        self.layout = layout or mini_layout()
        self.state = HallState(self.layout, self.layout_day())
        self.ids = (f"t{n}" for n in itertools.count(1))
        self.now = T0

    def layout_day(self):  # type: ignore[no-untyped-def]
        return HallState(self.layout, T0.date()).business_day_of(T0)

    def run(self, change: Change) -> Change:
        self.state.apply(change)
        return change

    def issue(self, business: str, **kw):  # type: ignore[no-untyped-def]
        kw.setdefault("actor", "kiosk:test")
        return self.run(self.state.issue(business, self.now, ticket_id=next(self.ids), **kw)).result

    def call(self, window: int):  # type: ignore[no-untyped-def]
        return self.run(self.state.call_next(window, self.now, actor="window")).result

    def do(self, action: str, ticket, *args, **kw):  # type: ignore[no-untyped-def]
        kw.setdefault("actor", "window")
        change = getattr(self.state, action)(ticket.id, *args, self.now, **kw)
        return self.run(change).result

    def tick(self, minutes: float) -> None:
        from datetime import timedelta
        self.now += timedelta(minutes=minutes)
