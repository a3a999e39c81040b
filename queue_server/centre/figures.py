"""The centre's figures for one business day, per hall and city-wide, from the replicated
tickets: issued, served, no-shows, still waiting, and waits (issue to first call).

Read at the centre from the columns that travel (travel.py); a hall whose link is down
shows what arrived so far, and its state in `hallq centre status` says it is behind.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine, select, text

from queue_server.domain import kpi
from queue_server.domain.tickets import OPEN_STATUSES, Status
from queue_server.store.reports import Reports
from queue_server.store.tables import halls, tickets


def _blank() -> dict[str, Any]:
    return {"issued": 0, "served": 0, "no_show": 0, "waiting": 0, "cancelled": 0,
            "_waits": []}


def day_figures(centre: Engine, day: date) -> dict[str, Any]:
    """`{"day", "halls": {code: {business: figures}}, "city": {business: figures}}`.

    Figures: issued, served (done), no_show, cancelled, waiting (waiting, called or at a
    window now), called (had a first call), mean_wait_min and max_wait_min over those.
    """
    t = tickets.c
    rows = []
    with centre.connect() as conn:
        rows = conn.execute(select(t.hall, t.origin_business, t.status, t.issued_at,
                                   t.called_at).where(t.day == day)).all()
    halls: dict[str, dict[str, dict[str, Any]]] = defaultdict(lambda: defaultdict(_blank))
    city: dict[str, dict[str, Any]] = defaultdict(_blank)
    for hall, business, status, issued_at, called_at in rows:
        for f in (halls[hall][business], city[business]):
            f["issued"] += 1
            if status == Status.DONE:
                f["served"] += 1
            elif status == Status.NO_SHOW:
                f["no_show"] += 1
            elif status == Status.CANCELLED:
                f["cancelled"] += 1
            if status in OPEN_STATUSES:
                f["waiting"] += 1
            if called_at is not None:
                f["_waits"].append((called_at - issued_at).total_seconds() / 60)
    return {"day": day.isoformat(),
            "halls": {h: {b: _finish(f) for b, f in sorted(bs.items())}
                      for h, bs in sorted(halls.items())},
            "city": {b: _finish(f) for b, f in sorted(city.items())}}


def _finish(f: dict[str, Any]) -> dict[str, Any]:
    waits = f.pop("_waits")
    f["called"] = len(waits)
    f["mean_wait_min"] = round(sum(waits) / len(waits), 1) if waits else None
    f["max_wait_min"] = round(max(waits), 1) if waits else None
    return f


# --- the hall's report figures, by hall and city-wide -----------------------------------

def hall_codes(centre: Engine) -> list[str]:
    """Every hall the centre holds rows of (the replicated `halls` register)."""
    with centre.connect() as conn:
        return list(conn.execute(select(halls.c.hall).order_by(halls.c.hall)).scalars())


LISTS = ("waits", "walks", "services")


class _Group:
    """One hall's (or the city's) figures for one business, summed over days: the counts
    in an Acc, the lists of minutes kept as arrays until the end."""

    __slots__ = ("acc", "lists")

    def __init__(self) -> None:
        self.acc = kpi.Acc()
        self.lists: dict[str, list[np.ndarray]] = {k: [] for k in LISTS}

    def add(self, acc: kpi.Acc, lists: Mapping[str, np.ndarray]) -> None:
        self.acc.add(acc)
        for k in LISTS:
            if len(lists[k]):
                self.lists[k].append(lists[k])

    def merge(self, other: _Group) -> None:
        self.acc.add(other.acc)
        for k in LISTS:
            self.lists[k] += other.lists[k]

    def finish(self) -> kpi.Acc:
        """The Acc kpi.combine takes, its lists sorted: sorting a month of a city's waits
        in numpy, then handing kpi the sorted list (its own sort of a sorted list is one
        pass), gives the very same figures in a fraction of the time."""
        out = kpi.Acc()
        out.add(self.acc)
        for k in LISTS:
            arrays = self.lists[k]
            setattr(out, k, np.sort(np.concatenate(arrays)).tolist() if arrays else [])
        return out


_LIST = re.compile(r'"(waits|walks|services)"\s*:\s*\[([^\]]*)\]')


def _split(figures: str) -> tuple[kpi.Acc, dict[str, np.ndarray]]:
    """A roll-up's JSON text: the counts decoded, the three lists of minutes parsed in C.
    Decoding a month of 20 halls' waits with the json module, or having PostgreSQL pick
    the lists out of the JSON, was most of the report's time."""
    lists: dict[str, np.ndarray] = {k: np.empty(0) for k in LISTS}

    def take(m: re.Match[str]) -> str:
        body = m.group(2).strip()
        if body:
            lists[m.group(1)] = np.array(body.split(","), dtype=float)
        return f'"{m.group(1)}": []'

    return kpi.Acc.from_json(json.loads(_LIST.sub(take, figures))), lists


# By hall first: the key (hall, day, by, key) is walked per hall, never the whole table.
_ROLLED = text("""
SELECT hall, day, key, figures::text FROM report_days
 WHERE hall = ANY(:halls) AND by = 'business' AND day >= :start AND day <= :end
""")


def hall_groups(centre: Engine, codes: list[str], start: date, end: date, setup: kpi.Setup,
                *, today: date, now: datetime) -> dict[str, dict[str, _Group]]:
    """Each hall's figures by business over the period, the way its own /reports makes
    them: closed days from the roll-ups the hall kept at its daily clear (they travel),
    the rest (today, a day the hall has not cleared yet) from the replicated transitions.

    Nothing is written: `report_days` at the centre is the halls' own, and a row the
    centre added would collide with the one the hall sends later.
    """
    out: dict[str, dict[str, _Group]] = {c: defaultdict(_Group) for c in codes}
    have: dict[str, set[date]] = {c: set() for c in codes}
    last_closed = min(end, today - timedelta(days=1))
    if start <= last_closed:
        with centre.connect() as conn:
            rows = conn.execute(_ROLLED, {"halls": codes, "start": start, "end": last_closed})
            for hall, day, key, figures in rows:
                have[hall].add(day)
                out[hall][key].add(*_split(figures))
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    for code in codes:
        missing = [d for d in days if d not in have[code]]
        if not missing:
            continue
        data = Reports(centre, code).read(missing[0], missing[-1], setup)
        running = now if missing[0] <= today <= missing[-1] else None
        made = kpi.partials(kpi.By.BUSINESS, setup, data.tickets, data.transitions,
                            data.ratings, today=today, now=running, days=missing)
        for d in missing:
            for key, acc in made.get(d, {}).items():
                out[code][key].add(acc, {k: np.asarray(getattr(acc, k), dtype=float)
                                         for k in LISTS})
    return out


def period_figures(centre: Engine, start: date, end: date, setup: kpi.Setup, *,
                   today: date, now: datetime, links: Mapping[str, Mapping[str, Any]]
                   | None = None) -> dict[str, Any]:
    """The hall's /reports rows (by business) for each hall and for the whole city.

    `links`: each hall's replication state (`hallq centre status`); a hall whose link is
    down keeps its figures as far as they arrived and is marked `behind` with its lag.
    """
    kpi.check_period(start, end)
    links = links or {}
    codes = sorted(set(hall_codes(centre)) | set(links))
    groups = hall_groups(centre, codes, start, end, setup, today=today, now=now)
    out_halls: dict[str, Any] = {}
    city: dict[str, _Group] = defaultdict(_Group)
    city_orders: list[kpi.OrderRow] = []
    for code in codes:
        orders = Reports(centre, code).orders(start, end)
        mine = {key: g.finish() for key, g in groups[code].items()}
        for key, g in groups[code].items():
            city[key].merge(g)
        rows, totals = kpi.combine(kpi.By.BUSINESS, setup, [mine], orders, today=today)
        city_orders.extend(orders)
        out_halls[code] = {"code": code, "rows": rows, "totals": totals,
                           **_link(links.get(code), now)}
    rows, totals = kpi.combine(kpi.By.BUSINESS, setup, [{k: g.finish() for k, g in city.items()}],
                               city_orders, today=today)
    behind = [c for c, h in out_halls.items() if h["behind"]]
    return {"from": start.isoformat(), "to": end.isoformat(), "by": "business",
            "running": start <= today <= end, "halls": out_halls,
            "city": {"rows": rows, "totals": totals, "halls": len(out_halls),
                     "behind": behind}}


def _link(state: Mapping[str, Any] | None, now: datetime) -> dict[str, Any]:
    """Whether a hall's figures are complete as of now: streaming and reachable.

    A link that is down has no receipt time (the apply worker is gone): its lag is then
    the time since the newest event that arrived, which is how old its figures are."""
    if state is None:  # rows at the centre but no subscription (a removed hall)
        return {"state": "removed", "behind": False, "lag_seconds": None,
                "lag_bytes": None, "last_received_at": None, "last_event_at": None,
                "hall_reachable": None}
    behind = state["state"] != "streaming" or not state["hall_reachable"]
    lag = state["lag_seconds"]
    if lag is None and state["last_event_at"]:
        lag = round(max(0.0, (now - datetime.fromisoformat(state["last_event_at"])
                              ).total_seconds()), 1)
    return {"state": state["state"], "behind": behind, "lag_seconds": lag,
            "lag_bytes": state["lag_bytes"], "last_received_at": state["last_received_at"],
            "last_event_at": state["last_event_at"], "hall_reachable": state["hall_reachable"]}
