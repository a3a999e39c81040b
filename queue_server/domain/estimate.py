"""People ahead and the expected wait, with a range when it is uncertain.

Capacity for a business is counted in windows: an open window serving k businesses
counts 1/k toward each (a green-channel window's extra duty is ignored). Service time is
a running mean of recent services shrunk toward the layout's figure, so a quiet morning
does not swing the estimate.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from queue_server.domain.layout import RoutingPolicy
from queue_server.domain.routing import eligible_businesses
from queue_server.domain.windows import WindowState

RECENT_SERVICES = 30  # how many recent services the running mean remembers
PRIOR_WEIGHT = 5  # the layout's service time counts as this many observed services
SERVICE_CV = 0.8  # coefficient of variation of service times (queueing.md's toy hall)


@dataclass
class ServiceStats:
    """Recent service times per business, in minutes."""

    priors: dict[str, float]
    recent: dict[str, deque[float]] = field(default_factory=dict)

    def observe(self, business: str, minutes: float) -> None:
        if minutes <= 0:
            return
        self.recent.setdefault(business, deque(maxlen=RECENT_SERVICES)).append(minutes)

    def mean(self, business: str) -> float:
        prior = self.priors.get(business, 10.0)
        seen = self.recent.get(business, ())
        return (prior * PRIOR_WEIGHT + sum(seen)) / (PRIOR_WEIGHT + len(seen))


@dataclass(frozen=True)
class Estimate:
    minutes: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"minutes": round(self.minutes, 1), "low": self.low, "high": self.high}


def capacities(windows: Iterable[WindowState], policy: RoutingPolicy) -> dict[str, float]:
    """Windows' worth of capacity per business, all businesses in one pass."""
    total: dict[str, float] = {}
    for w in windows:
        if not w.takes_tickets:
            continue
        served = eligible_businesses(w, policy)
        for code in served:
            total[code] = total.get(code, 0.0) + 1.0 / len(served)
    return total


def capacity(business: str, windows: Iterable[WindowState], policy: RoutingPolicy) -> float:
    return capacities(windows, policy).get(business, 0.0)


def round_range(value: float, step: float) -> float:
    return step * math.floor(value / step + 1e-9) if value > 0 else 0.0


def estimate_wait(ahead: int, service_minutes: float, windows_for_business: float
                  ) -> Estimate | None:
    """Expected minutes until a ticket with `ahead` tickets before it is called.

    None when no open window serves the business: there is no honest figure to give.
    """
    if windows_for_business <= 0:
        return None
    # The ticket is called after ahead + 1 departures, at windows/service per minute;
    # the first window is on average half-way through its current service.
    minutes = max(0.0, (ahead + 0.5) * service_minutes / windows_for_business)
    spread = minutes * SERVICE_CV / math.sqrt(ahead + 1)
    low = round_range(max(0.0, minutes - spread), 5)
    high = round_range(minutes + spread, 5) + 5
    return Estimate(minutes, low, high)
