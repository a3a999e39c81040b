"""The demand model: who arrives when, for what, how long they take, and staff time off.

A demand profile is read from `layouts/demand-<layout>.toml` (found next to the layout)
or derived from the layout with the documented defaults below; the layout format itself
is not touched. `draw_day` turns a profile and a seed into one concrete day: every
arrival with its journey, priority, no-show and one service time per step, and every
window's lunch and breaks. The engine replays that same day under each routing policy,
so policies are compared on identical arrivals and identical service draws.

Calibration and sources: docs/simulation.md.
"""

from __future__ import annotations

import math
import random
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path
from typing import Any

from queue_server.domain.estimate import capacity
from queue_server.domain.layout import Layout
from queue_server.domain.windows import WindowState

# Defaults for a layout without a demand file (docs/simulation.md, "Derived demand").
DEFAULT_OPEN = "08:30"
DEFAULT_ISSUE_UNTIL = "17:00"
DEFAULT_CLOSE = "17:30"
DEFAULT_UTILISATION = 0.7  # each business keeps its share of front windows this busy
DEFAULT_SERVICE_CV = 0.8  # queueing.md's toy hall
DEFAULT_SERVICE_CAP = 5.0  # a draw is capped at this many times the mean (a 90-min mortgage is not a day)
DEFAULT_NO_SHOW = 0.05
DEFAULT_NO_SHOW_MINUTES = 3.0  # call, three recalls about 40 s apart, then mark no-show
DEFAULT_GREEN = 0.05
# Relative arrival rate from each half hour until the next: door queue at opening, morning
# peak, lunch dip, smaller afternoon hump (docs/simulation.md, "Daily profile").
DEFAULT_PROFILE: tuple[tuple[str, float], ...] = (
    ("08:30", 1.3), ("09:00", 1.6), ("09:30", 1.6), ("10:00", 1.5), ("10:30", 1.3),
    ("11:00", 1.0), ("11:30", 0.6), ("12:00", 0.35), ("12:30", 0.35), ("13:00", 0.5),
    ("13:30", 0.8), ("14:00", 1.0), ("14:30", 1.1), ("15:00", 1.0), ("15:30", 0.9),
    ("16:00", 0.7), ("16:30", 0.4),
)
DEFAULT_LUNCH: tuple[tuple[str, float], ...] = (("11:30", 60.0), ("12:30", 60.0))
DEFAULT_BREAK_MINUTES = 10.0
DEFAULT_BREAK_SPANS: tuple[tuple[str, str], ...] = (("09:45", "11:15"), ("14:45", "16:15"))


class DemandError(ValueError):
    """A demand file that cannot be used; the message names the file and the problem."""


def minute_of(hhmm: str) -> float:
    """Minutes since local midnight of an "HH:MM" text."""
    t = time.fromisoformat(hhmm)
    return t.hour * 60.0 + t.minute


def hhmm(minute: float) -> str:
    m = int(round(minute))
    return f"{m // 60:02d}:{m % 60:02d}"


@dataclass(frozen=True)
class Demand:
    """One hall's demand; times are minutes since local midnight."""

    open: float
    issue_until: float
    close: float
    profile: tuple[tuple[float, float], ...]  # (from minute, relative rate), until the next
    direct: dict[str, float]  # tickets a day per business, outside journeys
    journeys: dict[str, float]  # journeys started a day
    service_minutes: dict[str, float]  # mean per business (the layout's service_minutes)
    service_cv: dict[str, float]
    service_cap: float = DEFAULT_SERVICE_CAP
    no_show_rate: float = DEFAULT_NO_SHOW
    no_show_minutes: float = DEFAULT_NO_SHOW_MINUTES
    green_share: float = DEFAULT_GREEN
    lunch: tuple[tuple[float, float], ...] = ()  # (start, minutes): shifts windows alternate
    break_minutes: float = DEFAULT_BREAK_MINUTES
    break_spans: tuple[tuple[float, float], ...] = ()  # one break starts in each span
    volume: float = 1.0  # multiplies every arrival and journey count (a busy or quiet day)
    source: str = "derived"

    def scaled(self, volume: float) -> Demand:
        """The same day with `volume` × the listed counts (replacing any volume set before)."""
        return replace(self, volume=volume)

    # --- rates ----------------------------------------------------------------------

    def segments(self) -> list[tuple[float, float, float]]:
        """(start, end, relative rate) pieces covering open → issue_until."""
        points = [(max(self.open, m), w) for m, w in self.profile if m < self.issue_until]
        out: list[tuple[float, float, float]] = []
        for i, (start, w) in enumerate(points):
            end = points[i + 1][0] if i + 1 < len(points) else self.issue_until
            if end > start:
                out.append((start, end, w))
        return out

    def weight_integral(self, start: float, end: float) -> float:
        return sum(w * max(0.0, min(e, end) - max(s, start)) for s, e, w in self.segments())

    def share(self, start: float, end: float) -> float:
        """Share of the day's arrivals expected between two minutes."""
        total = self.weight_integral(self.open, self.issue_until)
        return self.weight_integral(start, end) / total if total > 0 else 0.0

    def per_day(self) -> tuple[dict[str, float], dict[str, float]]:
        """Direct tickets and journeys a day, at this day's volume."""
        return ({k: n * self.volume for k, n in self.direct.items()},
                {k: n * self.volume for k, n in self.journeys.items()})

    def visits_per_day(self, layout: Layout) -> dict[str, float]:
        """Expected queue entries per business: direct tickets plus every journey step."""
        direct, journeys = self.per_day()
        out = {code: direct.get(code, 0.0) for code in layout.businesses}
        for code, n in journeys.items():
            for step in layout.journeys[code].steps:
                out[step] += n
        return out

    def expected_visits(self, layout: Layout, start: float, end: float) -> dict[str, float]:
        """Queue entries expected per business between two minutes of the day.

        A journey reaches its k-th step about the summed service times of the steps
        before it after it starts (waits ignored), so that step's arrivals are the
        journey starts of that much earlier.
        """
        direct, journeys = self.per_day()
        s = self.share(start, end)
        out = {code: direct.get(code, 0.0) * s for code in layout.businesses}
        for code, n in journeys.items():
            lag = 0.0
            for step in layout.journeys[code].steps:
                out[step] += n * self.share(start - lag, end - lag)
                lag += self.service_minutes[step]
        return out


# --- reading and deriving ---------------------------------------------------------------


def demand_path_for(layout_path: str | Path) -> Path:
    """Where the demand profile of a layout lives: `demand-<stem>.toml` beside it."""
    p = Path(layout_path)
    return p.with_name(f"demand-{p.stem}.toml")


def find_demand(layout: Layout, demand_path: str | Path | None = None) -> Demand:
    """The layout's demand: the given file, else the one beside the layout, else derived."""
    if demand_path is not None:
        return load_demand(demand_path, layout)
    if layout.source and layout.source != "<memory>":
        beside = demand_path_for(layout.source)
        if beside.exists():
            return load_demand(beside, layout)
    return derive_demand(layout)


def derive_demand(layout: Layout, utilisation: float = DEFAULT_UTILISATION) -> Demand:
    """Demand for any layout: each business keeps its share of front windows busy.

    A business served by windows worth c windows (a window serving k businesses counts
    1/k to each) and taking s minutes gets utilisation × c × hours ÷ s tickets a day.
    No journeys: a layout alone does not say how many applicants take them.
    """
    windows = [WindowState.from_layout(w) for w in layout.windows.values()]
    open_, until = minute_of(DEFAULT_OPEN), minute_of(DEFAULT_ISSUE_UNTIL)
    direct = {
        b.code: utilisation * capacity(b.code, windows, layout.routing) * (until - open_)
        / b.service_minutes
        for b in layout.businesses.values()
    }
    return Demand(
        open=open_, issue_until=until, close=minute_of(DEFAULT_CLOSE),
        profile=tuple((minute_of(m), w) for m, w in DEFAULT_PROFILE),
        direct=direct, journeys={},
        service_minutes={b.code: b.service_minutes for b in layout.businesses.values()},
        service_cv={b.code: DEFAULT_SERVICE_CV for b in layout.businesses.values()},
        lunch=tuple((minute_of(m), n) for m, n in DEFAULT_LUNCH),
        break_spans=tuple((minute_of(a), minute_of(b)) for a, b in DEFAULT_BREAK_SPANS),
        source=f"derived from {layout.source}",
    )


def load_demand(path: str | Path, layout: Layout) -> Demand:
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DemandError(f"{path}: 无法读取需求文件 cannot read the demand file: {exc}") from exc
    return parse_demand(doc, layout, str(path))


def _time(value: Any, where: str) -> float:
    try:
        return minute_of(str(value))
    except ValueError as exc:
        raise DemandError(f"{where}: 时间应为 HH:MM / time should be HH:MM, not {value!r}") from exc


def _number(value: Any, where: str, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise DemandError(f"{where}: 应为不小于 {minimum} 的数 / should be a number ≥ {minimum}")
    return float(value)


def parse_demand(doc: Mapping[str, Any], layout: Layout, source: str = "<memory>") -> Demand:
    """Build a Demand from a parsed demand file; every code is checked against the layout."""
    day = dict(doc.get("day", {}))
    profile_raw = doc.get("profile") or dict(DEFAULT_PROFILE)
    profile = tuple(sorted((_time(k, f"{source}: [profile]"),
                            _number(v, f"{source}: [profile] {k}")) for k, v in profile_raw.items()))
    direct: dict[str, float] = {}
    for code, n in dict(doc.get("arrivals", {})).items():
        if code not in layout.businesses:
            raise DemandError(f"{source}: [arrivals] 未知业务 unknown business '{code}'")
        direct[code] = _number(n, f"{source}: [arrivals] {code}")
    journeys: dict[str, float] = {}
    for code, n in dict(doc.get("journeys", {})).items():
        if code not in layout.journeys:
            raise DemandError(f"{source}: [journeys] 未知流程 unknown journey '{code}'")
        journeys[code] = _number(n, f"{source}: [journeys] {code}")
    cv_default = _number(day.get("service_cv", DEFAULT_SERVICE_CV), f"{source}: service_cv")
    cv = {code: cv_default for code in layout.businesses}
    for code, v in dict(doc.get("service_cv", {})).items():
        if code not in layout.businesses:
            raise DemandError(f"{source}: [service_cv] 未知业务 unknown business '{code}'")
        cv[code] = _number(v, f"{source}: [service_cv] {code}")
    lunch_raw = doc.get("lunch", {}).get("shifts", [list(x) for x in DEFAULT_LUNCH])
    breaks = dict(doc.get("breaks", {}))
    spans_raw = breaks.get("spans", [list(x) for x in DEFAULT_BREAK_SPANS])
    demand = Demand(
        open=_time(day.get("open", DEFAULT_OPEN), f"{source}: open"),
        issue_until=_time(day.get("issue_until", DEFAULT_ISSUE_UNTIL), f"{source}: issue_until"),
        close=_time(day.get("close", DEFAULT_CLOSE), f"{source}: close"),
        profile=profile, direct=direct, journeys=journeys,
        service_minutes={b.code: b.service_minutes for b in layout.businesses.values()},
        service_cv=cv,
        service_cap=_number(day.get("service_cap", DEFAULT_SERVICE_CAP), f"{source}: service_cap", 1.0),
        no_show_rate=_number(day.get("no_show_rate", DEFAULT_NO_SHOW), f"{source}: no_show_rate"),
        no_show_minutes=_number(day.get("no_show_minutes", DEFAULT_NO_SHOW_MINUTES),
                                f"{source}: no_show_minutes"),
        green_share=_number(day.get("green_share", DEFAULT_GREEN), f"{source}: green_share"),
        lunch=tuple((_time(s, f"{source}: [lunch]"), _number(n, f"{source}: [lunch]"))
                    for s, n in lunch_raw),
        break_minutes=_number(breaks.get("minutes", DEFAULT_BREAK_MINUTES), f"{source}: [breaks]"),
        break_spans=tuple((_time(a, f"{source}: [breaks]"), _time(b, f"{source}: [breaks]"))
                          for a, b in spans_raw),
        volume=_number(day.get("volume", 1.0), f"{source}: volume"),
        source=source,
    )
    if not demand.open < demand.issue_until <= demand.close:
        raise DemandError(f"{source}: 需 open < issue_until ≤ close / need open < issue_until ≤ close")
    if demand.no_show_rate >= 1 or demand.green_share > 1:
        raise DemandError(f"{source}: no_show_rate 和 green_share 应小于 1 / must be below 1")
    return demand


# --- one concrete day ----------------------------------------------------------------------


@dataclass(frozen=True)
class Arrival:
    """One applicant: a ticket for `steps[0]`, forwarded along the rest on completion."""

    index: int
    minute: float
    steps: tuple[str, ...]
    services: tuple[float, ...]  # minutes at the window, one per step
    journey: str | None = None
    green: bool = False
    no_show: bool = False  # does not answer the call of step `no_show_step`
    # The fields below are set only by a replayed stored day (simulation/replay.py); their
    # defaults keep drawn days exactly as they were.
    no_show_step: int = 0
    hold_minutes: float | None = None  # the window's wait on a no-show (None: the demand's)
    moves: tuple[str, ...] = ()  # how step k+1 is reached: "forward" (default) or "transfer"
    cancel_minute: float | None = None  # leaves the queue then if still waiting
    appointment: bool = False  # checked in a booking at its slot (appointment head start)

    @property
    def business(self) -> str:
        return self.steps[0]


@dataclass(frozen=True)
class Day:
    demand: Demand
    seed: int
    arrivals: tuple[Arrival, ...]
    pauses: dict[int, tuple[tuple[float, float], ...]] = field(default_factory=dict)


def lognormal(rng: random.Random, mean: float, cv: float, cap: float) -> float:
    """A log-normal draw with the given mean and coefficient of variation, capped."""
    if cv <= 0:
        return mean
    sigma = math.sqrt(math.log(1.0 + cv * cv))
    mu = math.log(mean) - sigma * sigma / 2.0
    return min(rng.lognormvariate(mu, sigma), cap * mean)


def _poisson_times(rng: random.Random, per_day: float, demand: Demand) -> list[float]:
    """Arrival minutes of a non-homogeneous Poisson stream following the profile."""
    total = demand.weight_integral(demand.open, demand.issue_until)
    if per_day <= 0 or total <= 0:
        return []
    times: list[float] = []
    for start, end, w in demand.segments():
        rate = per_day * w / total  # arrivals per minute in this piece
        if rate <= 0:
            continue
        t = start + rng.expovariate(rate)
        while t < end:
            times.append(t)
            t += rng.expovariate(rate)
    return times


def _pauses(demand: Demand, layout: Layout, rng: random.Random
            ) -> dict[int, tuple[tuple[float, float], ...]]:
    """Lunch shifts and breaks per front window.

    Lunch is staggered so that every business keeps as much of its capacity as it can:
    each window, narrowest first, takes the shift in which the businesses it serves have
    lost the least so far (the way a section head draws up the lunch rota). A business
    served by a single window still closes for its lunch.
    """
    front = [w for w in layout.windows.values() if w.public and w.open]
    listed = {code: sum(1 for w in front if code in w.businesses) for code in layout.businesses}
    away: list[dict[str, float]] = [{} for _ in demand.lunch]
    heads = [0] * len(demand.lunch)
    shift_of: dict[int, int] = {}
    for w in sorted(front, key=lambda w: (len(w.businesses), w.businesses[0], w.number)):
        if demand.lunch:
            # Share of each of its businesses' windows already away in that shift, then headcount.
            s = min(range(len(demand.lunch)), key=lambda s, bs=w.businesses: (
                sum((away[s].get(b, 0) + 1) / listed[b] for b in bs), heads[s]))
            for b in w.businesses:
                away[s][b] = away[s].get(b, 0) + 1
            heads[s] += 1
            shift_of[w.number] = s
    out: dict[int, tuple[tuple[float, float], ...]] = {}
    for w in sorted(front, key=lambda w: w.number):
        spans: list[tuple[float, float]] = []
        if w.number in shift_of:
            start, minutes = demand.lunch[shift_of[w.number]]
            spans.append((start, start + minutes))
        for a, b in demand.break_spans:
            if demand.break_minutes > 0:
                s = rng.uniform(a, max(a, b - demand.break_minutes))
                spans.append((s, s + demand.break_minutes))
        out[w.number] = tuple(sorted(spans))
    return out


def draw_day(demand: Demand, layout: Layout, seed: int) -> Day:
    """One day of arrivals and staff time off, fixed by the seed.

    Separate random streams for arrivals, per-ticket draws and pauses keep a change in
    one (say, a new break rule) from reshuffling the others.
    """
    arrivals_rng = random.Random(f"{seed}:arrivals")
    ticket_rng = random.Random(f"{seed}:tickets")
    pause_rng = random.Random(f"{seed}:pauses")
    direct, journeys = demand.per_day()
    raw: list[tuple[float, tuple[str, ...], str | None]] = []
    for code in sorted(direct):
        raw += [(t, (code,), None) for t in _poisson_times(arrivals_rng, direct[code], demand)]
    for code in sorted(journeys):
        steps = layout.journeys[code].steps
        raw += [(t, steps, code) for t in _poisson_times(arrivals_rng, journeys[code], demand)]
    raw.sort(key=lambda r: (r[0], r[1][0]))
    arrivals = []
    for i, (t, steps, journey) in enumerate(raw):
        services = tuple(lognormal(ticket_rng, demand.service_minutes[s], demand.service_cv[s],
                                   demand.service_cap) for s in steps)
        green = ticket_rng.random() < demand.green_share
        no_show = ticket_rng.random() < demand.no_show_rate
        arrivals.append(Arrival(i, t, steps, services, journey, green, no_show))
    return Day(demand, seed, tuple(arrivals), _pauses(demand, layout, pause_rng))
