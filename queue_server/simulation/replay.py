"""Replay a stored hall day through the simulator: what another routing or more windows
would have done to that very day.

Pure: the caller reads the day's ticket rows and events (store/replay.py) and hands them
here. `rebuild` turns them into simulator arrivals and into the day as it really was, in
the same `Visit` form the engine produces, so that the real day and every simulated
variant are measured by one function (`report.wait_figures`) and differ only in what
happened, never in how it is counted.

How a stored ticket becomes an arrival (docs/simulation.md, "Replaying a stored day"):

* it arrives at its `issued_at`, for its `origin_business`, with its journey and the
  priority it was issued with (the `ticket.issued` event's, since forwarding and transfers
  overwrite the row's);
* each queue entry (issue, forward, transfer) holds its window for what the day recorded:
  from the call to the step's end (complete, forward, transfer, park), summed when a
  ticket was parked and called back. That is `finished_at − started_at` plus the walk to
  the window after the call, which held the window just the same; a step the day never
  served (abandoned, cancelled, still open) takes the business's `service_minutes`;
* a no-show stays a no-show and holds its window as long as it did (call to no-show);
* a cancellation leaves at its cancel time, if the simulation has not called it before;
* a ticket a guide moved while it waited is issued straight to the business it was moved to:
  the simulation cannot know that the move would have happened.

The staffing is the day's: the front windows that called at least one ticket, with their
pauses and closures from the `window.*` events. Extra windows are clones of a window of the
busiest business (the one whose applicants waited longest in total), or of a named one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from queue_server.domain.layout import Layout, Window
from queue_server.simulation.demand import DEFAULT_NO_SHOW_MINUTES, Arrival, Day, Demand
from queue_server.simulation.engine import RunResult, Visit, simulate
from queue_server.simulation.policies import POLICIES
from queue_server.simulation.report import _pad, _width, wait_figures

Row = Mapping[str, Any]

# Window events that take a window out of service, and those that bring it back.
_OFF = {"window.paused": "window.resumed", "window.closed": "window.opened"}
_ON = set(_OFF.values())


class ReplayError(ValueError):
    """A day that cannot be replayed (no tickets); the message is Chinese first."""


@dataclass
class Replay:
    """A stored day ready to run: arrivals, pauses and staffing, and the day as it was."""

    day: date
    arrivals: tuple[Arrival, ...]
    actual: list[Visit]  # the real queue entries, in the engine's terms
    pauses: dict[int, tuple[tuple[float, float], ...]]
    staffed: tuple[int, ...]  # front windows that called anyone that day
    open: float  # minute of the first arrival
    close: float  # minute of the last recorded event
    cancelled: int = 0
    skipped: int = 0  # tickets of businesses the layout no longer has


def local_midnight(layout: Layout, day: date) -> datetime:
    """The business day's local midnight as an aware UTC datetime: minute 0 of the replay."""
    tz = ZoneInfo(layout.hall.timezone)
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


Minute = Callable[[datetime], float]


def _story(index: int, ticket: Row, events: Sequence[Row], layout: Layout,
           minute: Minute) -> tuple[Arrival, list[Visit], bool]:
    """One ticket's arrival and real queue entries, read from its events in order."""
    tid = str(ticket["id"])
    issued = next((e for e in events if e["type"] == "ticket.issued"), None)
    priority = str(((issued or {}).get("data") or {}).get("priority") or ticket["priority"])
    green = priority == "green"
    steps = [str(ticket["origin_business"])]
    moves: list[str] = []
    services: list[float | None] = [None]  # None: the day never served this step
    entries = [Visit(tid, index, 0, steps[0], minute(ticket["issued_at"]), green)]
    call: float | None = None
    no_show, hold, cancel = False, None, None

    def held(until: float) -> None:
        # The window was held from the call to `until`; parked tickets add up their spans.
        nonlocal call
        if call is not None:
            services[-1] = (services[-1] or 0.0) + max(0.0, until - call)
            call = None

    for e in events:
        at, kind = minute(e["at"]), e["type"]
        if kind == "ticket.called":
            if call is None:
                call = at
            if entries[-1].called is None:
                entries[-1].called, entries[-1].window = at, e["window"]
        elif kind in ("ticket.parked", "ticket.completed"):
            held(at)
            if kind == "ticket.completed":
                break
        elif kind == "ticket.no_show":
            hold = None if call is None else at - call
            no_show, entries[-1].no_show = True, True
            break
        elif kind in ("ticket.forwarded", "ticket.transferred"):
            to = str((e.get("data") or {}).get("to") or steps[-1])
            if call is None and entries[-1].called is None:
                # Moved while waiting: queue for where it was moved to from the start.
                steps[-1] = entries[-1].business = to
                continue
            held(at)
            steps.append(to)
            moves.append("forward" if kind == "ticket.forwarded" else "transfer")
            services.append(None)
            entries.append(Visit(tid, index, len(steps) - 1, to, at, green))
        elif kind == "ticket.cancelled":
            cancel = at
            break
        elif kind == "ticket.abandoned":
            break

    # A forward runs the layout's journey, so it is one only where the recorded step is the
    # journey's next; anything else (a journey edited since, a transfer in between) is
    # replayed as a transfer to the recorded business.
    journey = layout.journeys.get(str(ticket.get("journey") or ""))
    if journey is not None and journey.steps[0] != steps[0]:
        journey = None
    forwards = 0
    for k, move in enumerate(moves):
        if move == "forward":
            forwards += 1
            if journey is None or forwards >= len(journey.steps) or \
                    journey.steps[forwards] != steps[k + 1]:
                moves[k] = "transfer"
    # A business gone from the layout gets 0 here; rebuild skips such tickets anyway.
    typical = [layout.businesses[s].service_minutes if s in layout.businesses else 0.0
               for s in steps]
    arrival = Arrival(
        index, entries[0].entered, tuple(steps),
        tuple(s if s is not None else typical[k] for k, s in enumerate(services)),
        journey.code if journey is not None else None, green, no_show,
        no_show_step=len(steps) - 1, hold_minutes=hold,
        moves=tuple(moves) if "transfer" in moves else (),
        cancel_minute=cancel, appointment=priority == "appointment")
    return arrival, entries, cancel is not None


def _row_events(ticket: Row) -> list[dict[str, Any]]:
    """Events for a ticket stored without any (older data): what its row still tells."""
    out: list[dict[str, Any]] = [{"type": "ticket.issued", "at": ticket["issued_at"],
                                  "window": None, "data": {"priority": ticket["priority"]}}]
    if ticket.get("called_at") is not None:
        out.append({"type": "ticket.called", "at": ticket["called_at"],
                    "window": ticket.get("window"), "data": {}})
    end = {"done": "ticket.completed", "no_show": "ticket.no_show",
           "cancelled": "ticket.cancelled"}.get(str(ticket["status"]))
    if end is not None and ticket.get("finished_at") is not None:
        if end == "ticket.cancelled" and ticket.get("closed_reason") == "abandoned":
            end = "ticket.abandoned"
        out.append({"type": end, "at": ticket["finished_at"], "window": ticket.get("window"),
                    "data": {}})
    return out


def rebuild(layout: Layout, day: date, tickets: Iterable[Row], events: Iterable[Row]) -> Replay:
    """The stored day as simulator input and as it really went.

    `tickets` are rows of the `tickets` table for the business day; `events` the `events`
    rows of those tickets and the day's window events (type, at, ticket_id, window, data).
    """
    midnight = local_midnight(layout, day)

    def minute(at: datetime) -> float:
        return (at - midnight).total_seconds() / 60.0

    rows = sorted(tickets, key=lambda t: (t["issued_at"], str(t["id"])))
    if not rows:
        raise ReplayError(f"{day.isoformat()} 没有取号记录，无法回放 / no tickets were issued on "
                          f"{day.isoformat()}, nothing to replay")
    by_ticket: dict[str, list[Row]] = {}
    window_events: list[Row] = []
    for e in sorted(events, key=lambda e: (e["at"], e.get("seq") or 0)):
        if e.get("ticket_id") is not None:
            by_ticket.setdefault(str(e["ticket_id"]), []).append(e)
        elif str(e["type"]).startswith("window.") and e.get("window") is not None:
            window_events.append(e)
    arrivals: list[Arrival] = []
    actual: list[Visit] = []
    cancelled = skipped = 0
    last = 0.0
    for t in rows:
        evs = by_ticket.get(str(t["id"])) or _row_events(t)
        a, entries, gone = _story(len(arrivals), t, evs, layout, minute)
        if any(s not in layout.businesses for s in a.steps):
            # The layout has changed since that day: neither the simulation nor the
            # figures (each business's wait target) can place this ticket.
            skipped += 1
            continue
        arrivals.append(a)
        actual.extend(entries)
        cancelled += gone
        last = max([last, *(minute(e["at"]) for e in evs)])
    if not arrivals:
        raise ReplayError(f"{day.isoformat()} 的号所属业务不在该布局中 / none of {day.isoformat()}'s "
                          f"businesses is in the layout {layout.source}")
    staffed = sorted({int(v.window) for v in actual if v.window is not None
                      and v.window in layout.windows and layout.windows[v.window].public})
    first = arrivals[0].minute
    return Replay(day, tuple(arrivals), actual, _pauses(window_events, minute, first, layout),
                  tuple(staffed), first, max(last, arrivals[-1].minute), cancelled, skipped)


def _pauses(events: Sequence[Row], minute: Minute, first: float, layout: Layout
            ) -> dict[int, tuple[tuple[float, float], ...]]:
    """Each window's spans out of service (paused or closed), from its window events."""
    clear = layout.hall.clear_time.hour * 60.0 + layout.hall.clear_time.minute
    if clear <= first:
        clear += 24 * 60.0
    spans: dict[int, list[tuple[float, float]]] = {}
    since: dict[int, float] = {}
    seen: set[int] = set()
    for e in events:
        n, kind = int(e["window"]), str(e["type"])
        if kind in _OFF and n not in since:
            since[n] = minute(e["at"])
        elif kind in _ON and n in since:
            spans.setdefault(n, []).append((since.pop(n), minute(e["at"])))
        elif kind in _ON and n not in seen:
            # Opened (a window the layout keeps closed, staffed later that morning): it was
            # out of service from the start of the day until then.
            spans.setdefault(n, []).append((min(first, minute(e["at"])), minute(e["at"])))
        seen.add(n)
    for n, start in since.items():  # never came back that day
        spans.setdefault(n, []).append((start, clear))
    return {n: tuple(s) for n, s in sorted(spans.items())}


# --- staffing --------------------------------------------------------------------------------


def busiest_business(replay: Replay) -> str:
    """The business whose applicants waited longest in total (then: the most entries)."""
    total: dict[str, tuple[float, int]] = {}
    for v in replay.actual:
        w, n = total.get(v.business, (0.0, 0))
        total[v.business] = (w + (v.wait or 0.0), n + 1)
    return max(sorted(total), key=lambda b: total[b])


def extra_windows(layout: Layout, replay: Replay, count: int, business: str) -> list[Window]:
    """`count` clones of a staffed window that serves `business` (its own ones first).

    A clone lists the same businesses in the same order, so it works the way that window's
    staff did; it is no green channel (one is enough) and is numbered after the hall's last.
    """
    if business not in layout.businesses:
        raise ReplayError(f"没有该业务：{business} / unknown business '{business}'")
    pool = [layout.windows[n] for n in replay.staffed] or \
        [w for w in layout.windows.values() if w.public and w.open]
    pool = pool + [w for w in layout.windows.values() if w.public and w not in pool]
    template = next((w for w in pool if w.businesses[0] == business), None) or \
        next((w for w in pool if business in w.businesses), None)
    if template is None:
        raise ReplayError(f"没有窗口办理「{layout.businesses[business].name}」，无法加开 / no window "
                          f"serves '{business}' to clone")
    top = max(layout.windows)
    return [replace(template, number=top + k, open=True, green_channel=False,
                    label=f"加开 extra {k}") for k in range(1, count + 1)]


def replay_layout(layout: Layout, replay: Replay, extra: Sequence[Window] = ()) -> Layout:
    """The layout as staffed that day, with `extra` windows added.

    Windows nobody called from are closed (staff were not there), unless a business the day
    issued would then have no window at all, which would refuse its tickets. Caps, sign-in
    and the ID requirement are lifted: the day's tickets were issued already, and the
    simulation has no applicants to check.
    """
    needed = {s for a in replay.arrivals for s in a.steps}
    staffed = set(replay.staffed)
    windows = {n: replace(w, open=n in staffed) if w.public else w
               for n, w in layout.windows.items()}
    if staffed:
        for code in needed:
            if not any(code in windows[n].businesses for n in staffed):
                for n, w in layout.windows.items():
                    if w.public and w.open and code in w.businesses:
                        windows[n] = w
    for w in extra:
        windows[w.number] = w
    hall = replace(layout.hall, allow_anonymous=True, staff_sign_in_required=False)
    businesses = {c: replace(b, daily_cap=0) for c, b in layout.businesses.items()}
    return replace(layout, hall=hall, windows=windows, businesses=businesses)


def replay_day(layout: Layout, replay: Replay) -> Day:
    """The engine's Day for the replay: recorded arrivals and pauses, no random draws."""
    demand = Demand(
        open=replay.open, issue_until=replay.arrivals[-1].minute, close=replay.close,
        profile=(), direct={}, journeys={},
        service_minutes={c: b.service_minutes for c, b in layout.businesses.items()},
        service_cv={c: 0.0 for c in layout.businesses},
        no_show_minutes=DEFAULT_NO_SHOW_MINUTES, break_minutes=0.0,
        source=f"replay {replay.day.isoformat()}")
    return Day(demand, 0, replay.arrivals, dict(replay.pauses))


# --- figures -------------------------------------------------------------------------------


def figures(visits: Sequence[Visit], layout: Layout) -> dict[str, Any]:
    """Wait figures of one run or of the real day, defined once for both."""
    out: dict[str, Any] = dict(wait_figures(visits, layout))
    out["served"] = sum(1 for v in visits if v.called is not None and not v.no_show)
    out["no_shows"] = sum(1 for v in visits if v.no_show)
    out["businesses"] = {
        code: wait_figures([v for v in visits if v.business == code], layout)
        for code in layout.businesses if any(v.business == code for v in visits)}
    return out


def compare_replay(layout: Layout, replay: Replay, *, policies: Sequence[str] = POLICIES,
                   extra: int = 0, business: str | None = None
                   ) -> tuple[dict[str, Any], dict[tuple[str, int], RunResult]]:
    """Run each policy on the day as staffed, and with `extra` more windows when asked.

    Returns the JSON document and the runs keyed by (policy, extra windows).
    """
    code = business or busiest_business(replay)
    added = extra_windows(layout, replay, extra, code) if extra > 0 else []
    staffings = [(0, replay_layout(layout, replay))]
    if added:
        staffings.append((extra, replay_layout(layout, replay, added)))
    day = replay_day(layout, replay)
    runs: dict[tuple[str, int], RunResult] = {}
    variants: list[dict[str, Any]] = []
    for policy in policies:
        for n, staffed in staffings:
            run = simulate(staffed, day, policy)
            runs[(policy, n)] = run
            fig = figures(run.visits, layout)
            fig["refused"] = dict(sorted(run.refused.items()))
            variants.append({"policy": policy, "extra_windows": n, **fig})
    actual = figures(replay.actual, layout)
    actual["cancelled"] = replay.cancelled
    doc: dict[str, Any] = {
        "day": replay.day.isoformat(),
        "layout": layout.source,
        "layout_policy": layout.routing.policy.value,
        "tickets": len(replay.arrivals),
        "queue_entries": len(replay.actual),
        "skipped": replay.skipped,
        "windows": list(replay.staffed),
        "extra_business": code if added else None,
        "extra_window_numbers": [w.number for w in added],
        "actual": actual,
        "variants": variants,
    }
    return doc, runs


# --- the table --------------------------------------------------------------------------------

REPLAY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("mean_wait_min", "平均等候 mean", "{:.1f}"),
    ("p90_wait_min", "P90", "{:.1f}"),
    ("max_wait_min", "最长 max", "{:.1f}"),
    ("served", "服务 served", "{:d}"),
    ("service_level", "达标率 within target", "{:.0%}"),
)


def replay_table(doc: dict[str, Any]) -> str:
    """The real day above its simulated variants, minutes unless marked.

    The policy the hall ran that day is starred: its row at +0 windows is the check that
    the replay reproduces the day; the other rows are what would have changed.
    """
    head = ["方案 variant", "加窗 +windows"] + [c[1] for c in REPLAY_COLUMNS]

    def cells(fig: dict[str, Any]) -> list[str]:
        return [fmt.format(fig[key]) for key, _, fmt in REPLAY_COLUMNS]

    rows = [["实际 actual", "-", *cells(doc["actual"])]]
    for v in doc["variants"]:
        star = " *" if v["policy"] == doc["layout_policy"] else ""
        rows.append([v["policy"] + star, f"+{v['extra_windows']}", *cells(v)])
    widths = [max(_width(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(_pad(cell, widths[i], i > 0) for i, cell in enumerate(row))
             for row in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(3, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
