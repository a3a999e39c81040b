"""Staffing advice for floor guides: which windows should take on a business, or open.

Pure: it reads a HallState and the arrivals expected over the next hour (from the demand
model) and returns suggestions, each one action the server already has —
`reskill(window, businesses)` or `set_window_status(window, OPEN)` — with the predicted
effect on waiting.

The prediction per business, over the horizon, is the mean wait of the people already
waiting and those expected, from two parts added together:
- the backlog as a fluid: with q people queued, arrivals λ and service rate R = c / s
  (c windows' worth of capacity, s minutes a service), the queue is q(t) = max(0,
  q + (λ − R)t) and someone joining at t waits about q(t) / R;
- the random part as Erlang C (M/M/c) at λ on c windows, when λ < R, capped at what
  the arrivals' random excess over the horizon (√(λH) people) can build.
Moves are chosen greedily by how many person-minutes of waiting they save. The model is
deliberately simple: it ranks moves and gives an order of magnitude, and `hallq
simulate` is the place to check a standing change properly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from queue_server.domain.erlang import mean_wait
from queue_server.domain.estimate import working_capacities
from queue_server.domain.layout import RoutingPolicy
from queue_server.domain.state import HallState
from queue_server.domain.windows import WindowState, WindowStatus

HORIZON_MINUTES = 60.0
MAX_SUGGESTIONS = 3
MIN_SAVING_MINUTES = 1.0  # a move must cut the helped business's wait by at least this
WAIT_CAP = 600.0  # "no window for it" is shown as this rather than infinity
STEPS = 12  # fluid integration steps over the horizon


@dataclass(frozen=True)
class Outlook:
    """What one business faces over the horizon."""

    business: str
    waiting: int
    expected: float  # arrivals expected over the horizon
    windows: float  # windows' worth of capacity
    service_minutes: float
    wait_minutes: float  # predicted mean wait, capped at WAIT_CAP

    def as_dict(self) -> dict[str, Any]:
        return {"business": self.business, "waiting": self.waiting,
                "expected_arrivals": round(self.expected, 1), "windows": round(self.windows, 2),
                "service_minutes": round(self.service_minutes, 1),
                "predicted_wait_minutes": round(self.wait_minutes, 1)}


@dataclass(frozen=True)
class Suggestion:
    """One move, convertible to one server action."""

    id: str
    action: str  # "reskill" or "open"
    window: int
    businesses: tuple[str, ...]  # reskill: the new list; open: what the window serves
    business: str  # the business it relieves
    wait_before: float  # that business's predicted mean wait, minutes
    wait_after: float
    hall_wait_before: float  # mean over everyone expected in the hall, minutes
    hall_wait_after: float
    effects: dict[str, tuple[float, float]] = field(default_factory=dict)  # every changed business
    text: str = ""
    text_en: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "action": self.action, "window": self.window,
            "businesses": list(self.businesses), "business": self.business,
            "wait_before_minutes": round(self.wait_before, 1),
            "wait_after_minutes": round(self.wait_after, 1),
            "hall_wait_before_minutes": round(self.hall_wait_before, 2),
            "hall_wait_after_minutes": round(self.hall_wait_after, 2),
            "effects": {b: {"before": round(x, 1), "after": round(y, 1)}
                        for b, (x, y) in self.effects.items()},
            "text": self.text, "text_en": self.text_en,
        }


def predicted_wait(waiting: int, expected: float, windows: float, service_minutes: float,
                   horizon: float = HORIZON_MINUTES) -> float:
    """Mean wait, in minutes, of the people waiting now and those expected (see module)."""
    people = waiting + expected
    if people <= 0:
        return 0.0
    if windows <= 0:
        return WAIT_CAP
    rate = windows / service_minutes  # services a minute
    lam = expected / horizon
    # Fluid part: the people already waiting wait on average half the backlog; an arrival
    # at t waits q(t)/R.
    backlog_wait = waiting * (waiting / rate) / 2.0
    dt = horizon / STEPS
    arrivals_wait = 0.0
    for i in range(STEPS):
        t = (i + 0.5) * dt
        q = max(0.0, waiting + (lam - rate) * t)
        arrivals_wait += lam * dt * q / rate
    fluid = (backlog_wait + arrivals_wait) / people
    random_part = mean_wait(windows, lam, service_minutes) if lam < rate else 0.0
    # Near saturation Erlang C's steady state takes hours to build; within the horizon the
    # queue grows at most by the arrivals' random excess, about √(λH) people.
    random_part = min(random_part, math.sqrt(lam * horizon) * service_minutes / windows)
    return min(WAIT_CAP, fluid + random_part)


def outlooks(state: HallState, expected: Mapping[str, float],
             windows: Mapping[int, WindowState] | None = None,
             horizon: float = HORIZON_MINUTES) -> dict[str, Outlook]:
    """Per business, the next hour as things stand (or with `windows` instead).

    Capacity is what the estimates count (`working_capacities`): windows that sit free
    without calling are left out here too, so the advice and the "Est." column agree."""
    caps = working_capacities((windows or state.windows).values(), state.policy,
                              state.stalled())
    waiting: dict[str, int] = {}
    for t in state.waiting.values():
        if not t.parked:
            waiting[t.business] = waiting.get(t.business, 0) + 1
    out = {}
    for code in state.layout.businesses:
        s = state.stats.mean(code)
        n, e, c = waiting.get(code, 0), float(expected.get(code, 0.0)), caps.get(code, 0.0)
        out[code] = Outlook(code, n, e, c, s, predicted_wait(n, e, c, s, horizon))
    return out


def _hall_wait(view: Mapping[str, Outlook]) -> float:
    people = sum(o.waiting + o.expected for o in view.values())
    if people <= 0:
        return 0.0
    return sum((o.waiting + o.expected) * o.wait_minutes for o in view.values()) / people


def _candidates(state: HallState, windows: dict[int, WindowState], view: Mapping[str, Outlook],
                policy: RoutingPolicy) -> list[tuple[str, int, tuple[str, ...], str]]:
    """(action, window, businesses, relieved business) moves worth evaluating."""
    targets = {b.code: b.wait_target_minutes for b in state.layout.businesses.values()}
    pressed = [o.business for o in sorted(view.values(), key=lambda o: -o.wait_minutes)
               if o.wait_minutes > targets[o.business] / 2][:4]
    out: list[tuple[str, int, tuple[str, ...], str]] = []
    for w in windows.values():
        if w.kind != "front":
            continue
        if w.status is WindowStatus.CLOSED:
            helps = [b for b in w.businesses if b in pressed]
            if helps:
                out.append(("open", w.number, w.businesses, helps[0]))
            continue
        if w.status is not WindowStatus.OPEN:
            continue  # a paused window's staff are on a break: not the guide's to move
        # A donor has slack in everything it serves.
        if any(view[b].wait_minutes > targets[b] / 2 for b in w.businesses):
            continue
        for b in pressed:
            if b in w.businesses:
                continue
            out.append(("reskill", w.number, (*w.businesses, b), b))
            out.append(("reskill", w.number, (b, *w.businesses), b))  # needed under dedicated
    return out


def advise(state: HallState, expected: Mapping[str, float], *,
           horizon: float = HORIZON_MINUTES, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    """Up to `limit` moves, best first; each assumes the ones before it were made."""
    windows = dict(state.windows)
    view = outlooks(state, expected, windows, horizon)
    names = {b.code: b.name for b in state.layout.businesses.values()}
    names_en = {b.code: b.name_en or b.code for b in state.layout.businesses.values()}
    out: list[Suggestion] = []
    seen_windows: set[int] = set()
    for _ in range(limit):
        hall_before = _hall_wait(view)
        best: tuple[float, Suggestion, dict[int, WindowState], dict[str, Outlook]] | None = None
        for action, number, businesses, helped in _candidates(state, windows, view, state.policy):
            if number in seen_windows:
                continue
            w = windows[number]
            new = (w.with_(status=WindowStatus.OPEN) if action == "open"
                   else w.with_(businesses=businesses))
            trial = {**windows, number: new}
            after = outlooks(state, expected, trial, horizon)
            saving = view[helped].wait_minutes - after[helped].wait_minutes
            if saving < MIN_SAVING_MINUTES:
                continue
            people = {b: view[b].waiting + view[b].expected for b in view}
            gain = sum(people[b] * (view[b].wait_minutes - after[b].wait_minutes) for b in view)
            if gain <= 0 or (best is not None and gain <= best[0]):
                continue
            effects = {b: (view[b].wait_minutes, after[b].wait_minutes) for b in view
                       if abs(view[b].wait_minutes - after[b].wait_minutes) >= 0.05}
            sid = f"w{number}-open" if action == "open" else f"w{number}-" + ".".join(businesses)
            text, text_en = _texts(action, number, businesses, helped, view[helped].wait_minutes,
                                   after[helped].wait_minutes, names, names_en)
            sug = Suggestion(sid, action, number, businesses, helped, view[helped].wait_minutes,
                             after[helped].wait_minutes, hall_before, _hall_wait(after),
                             effects, text, text_en)
            best = (gain, sug, trial, after)
        if best is None:
            break
        _, sug, windows, view = best
        seen_windows.add(sug.window)
        out.append(sug)
    return out


def _texts(action: str, number: int, businesses: tuple[str, ...], helped: str, before: float,
           after: float, names: Mapping[str, str], names_en: Mapping[str, str]) -> tuple[str, str]:
    listing = "、".join(names[b] for b in businesses)
    listing_en = ", ".join(names_en[b] for b in businesses)
    if action == "open":
        return (f"开启 {number} 号窗口（{listing}）：「{names[helped]}」下一小时平均等候 {before:.0f} → {after:.0f} 分钟",
                f"Open window {number} ({listing_en}): '{names_en[helped]}' mean wait next hour "
                f"{before:.0f} → {after:.0f} min")
    return (f"{number} 号窗口改办「{listing}」：「{names[helped]}」下一小时平均等候 {before:.0f} → {after:.0f} 分钟",
            f"Window {number} to serve {listing_en}: '{names_en[helped]}' mean wait next hour "
            f"{before:.0f} → {after:.0f} min")
