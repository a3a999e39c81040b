"""People ahead and the expected wait, with a range when it is uncertain.

The point figure is (ahead + ½) services per window's worth of capacity. The range is
skewed upward and shown only when it is wider than one 5-minute step; otherwise low ==
high is a point estimate.

Capacity for a business is counted in windows: an open window serving k businesses
counts 1/k toward each (a green-channel window's extra duty is ignored). Only windows
that are working count: one that holds a ticket, or one free for less than
`STALL_MINUTES`, or one with nothing it could call. An open window that has sat free for
`STALL_MINUTES` while a ticket it could take was waiting is not calling (staff away from
the desk, a console nobody watches): counting it told a queue of eleven "soon" while
most open windows sat still. When nobody serving a business is working, one window's
worth is assumed, so the figure is long but finite rather than "no window". Service time is
a running mean of recent services shrunk toward the layout's figure, so a quiet morning
does not swing the estimate.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from queue_server.domain.layout import RoutingPolicy
from queue_server.domain.routing import eligible_businesses
from queue_server.domain.windows import WindowState

RECENT_SERVICES = 30  # how many recent services the running mean remembers
PRIOR_WEIGHT = 5  # the layout's service time counts as this many observed services
# The range around an estimate with k = ahead + 1: [m(1 − LOW/√k), m(1 + HIGH/√k)]. The
# wait is skewed (people overtaken by green or forwarded tickets, windows pausing), so the
# upper side is wider. Fitted to simulated Hengyang days, where about 80 % of waits fall
# inside when a range is shown (docs/simulation.md, "Estimates").
RANGE_LOW = 0.8
RANGE_HIGH = 1.5
RANGE_STEP = 5.0  # a range is shown in 5-minute steps
# A free window that has not called for this long although a ticket it could take has
# been waiting as long is not capacity. Staff press "call" within a minute when they are
# at the desk; three minutes leaves room for a breath and a question from the last one.
STALL_MINUTES = 3.0


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


def stalled_windows(windows: Iterable[WindowState], policy: RoutingPolicy,
                    free_since: Mapping[int, datetime], oldest: Mapping[str, datetime],
                    now: datetime, stall_minutes: float = STALL_MINUTES) -> frozenset[int]:
    """Open windows free since before `now − stall` while a ticket they could take has
    waited since before then too: they are not calling, so they are not capacity.

    `free_since`: when each free window last became free (missing: not known, not
    stalled); `oldest`: per business, when its longest-waiting ticket joined the queue.
    """
    limit = now - timedelta(minutes=stall_minutes)
    out: set[int] = set()
    for w in windows:
        if not w.takes_tickets or w.current is not None:
            continue
        since = free_since.get(w.number)
        if since is None or since > limit:
            continue
        ages = [oldest[c] for c in eligible_businesses(w, policy) if c in oldest]
        if ages and max(since, min(ages)) <= limit:
            out.add(w.number)
    return frozenset(out)


def capacities(windows: Iterable[WindowState], policy: RoutingPolicy,
               stalled: frozenset[int] = frozenset()) -> dict[str, float]:
    """Windows' worth of capacity per business, all businesses in one pass."""
    total: dict[str, float] = {}
    for w in windows:
        if not w.takes_tickets or w.number in stalled:
            continue
        served = eligible_businesses(w, policy)
        for code in served:
            total[code] = total.get(code, 0.0) + 1.0 / len(served)
    return total


def working_capacities(windows: Iterable[WindowState], policy: RoutingPolicy,
                       stalled: frozenset[int] = frozenset()) -> dict[str, float]:
    """Capacity that is really calling, per business: stalled windows left out, and one
    window's worth where every window serving a business is stalled (see the module).

    The one figure behind the estimates a ticket, the hall screen and the guide's "Est."
    column show and behind the staffing advice's outlook, so they cannot disagree."""
    windows = list(windows)
    nominal = capacities(windows, policy)
    if not stalled:
        return nominal
    working = capacities(windows, policy, stalled)
    return {code: working.get(code, 0.0) or min(1.0, value) for code, value in nominal.items()}


def capacity(business: str, windows: Iterable[WindowState], policy: RoutingPolicy) -> float:
    return capacities(windows, policy).get(business, 0.0)


def round_range(value: float, step: float) -> float:
    return step * math.floor(value / step + 1e-9) if value > 0 else 0.0


def idle_windows(windows: Iterable[WindowState], policy: RoutingPolicy,
                 stalled: frozenset[int] = frozenset()) -> dict[str, int]:
    """Per business, the open windows serving it that hold nobody and are not stalled:
    they call at once."""
    idle: dict[str, int] = {}
    for w in windows:
        if w.takes_tickets and w.current is None and w.number not in stalled:
            for code in eligible_businesses(w, policy):
                idle[code] = idle.get(code, 0) + 1
    return idle


def estimate_wait(ahead: int, service_minutes: float, windows_for_business: float,
                  idle: int = 0) -> Estimate | None:
    """Expected minutes until a ticket with `ahead` tickets before it is called.

    None when no open window serves the business: there is no honest figure to give.
    `idle` windows serving it hold nobody: the first `idle` in the queue are called at
    once, and the rest wait for those windows' services as well as the busy ones'.
    """
    if windows_for_business <= 0:
        return None
    if ahead < idle:
        return Estimate(0.0, 0.0, 0.0)
    # The ticket is called after ahead + 1 departures (the idle windows' first ones at
    # once), at windows/service per minute. A busy window is on average half-way through
    # its service; one that starts now has all of it ahead.
    started = 0.5 + 0.5 * min(1.0, idle / windows_for_business)
    minutes = max(0.0, (ahead - idle + started) * service_minutes / windows_for_business)
    root = math.sqrt(ahead + 1)
    lo = max(0.0, minutes * (1.0 - RANGE_LOW / root))
    hi = minutes * (1.0 + RANGE_HIGH / root)
    if hi - lo < RANGE_STEP:
        # Certain to within one display step: a range would only add noise.
        point = float(round(minutes))
        return Estimate(minutes, point, point)
    low = round_range(lo, RANGE_STEP)
    high = RANGE_STEP * math.ceil(hi / RANGE_STEP - 1e-9)
    return Estimate(minutes, low, max(high, low + RANGE_STEP))
