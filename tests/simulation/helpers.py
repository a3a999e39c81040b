"""Hand-made days on the mini hall: arrivals, service times and pauses chosen by the test."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from queue_server.domain.layout import Layout
from queue_server.simulation.demand import Arrival, Day, Demand, parse_demand
from tests.domain.helpers import mini_layout

NINE = 540.0  # 09:00 in minutes since midnight; the hall opens at 08:30


def quiet_demand(layout: Layout, **day: object) -> Demand:
    """A demand with no random arrivals, no lunch and no breaks: the test adds arrivals."""
    doc = {"day": {"open": "08:30", "issue_until": "17:00", "close": "17:30", "no_show_minutes": 3,
                   **day},
           "lunch": {"shifts": []}, "breaks": {"minutes": 0, "spans": []}}
    return parse_demand(doc, layout, "test")


def arrival(i: int, minute: float, *steps_and_services: tuple[str, float], journey: str | None = None,
            green: bool = False, no_show: bool = False) -> Arrival:
    steps = tuple(s for s, _ in steps_and_services)
    services = tuple(float(m) for _, m in steps_and_services)
    return Arrival(i, minute, steps, services, journey, green, no_show)


def hand_day(arrivals: Iterable[Arrival], layout: Layout | None = None,
             pauses: Mapping[int, tuple[tuple[float, float], ...]] | None = None) -> tuple[Layout, Day]:
    layout = layout or mini_layout()
    return layout, Day(quiet_demand(layout), 0, tuple(arrivals), dict(pauses or {}))


def waits(result, arrivals: int) -> list[float]:  # type: ignore[no-untyped-def]
    """First-step wait of each arrival, in arrival order."""
    by = {v.arrival: v.wait for v in result.visits if v.step == 0}
    return [round(by[i], 6) for i in range(arrivals)]
