"""The centre's figures for one business day, per hall and city-wide, from the replicated
tickets: issued, served, no-shows, still waiting, and waits (issue to first call).

Read at the centre from the columns that travel (travel.py); a hall whose link is down
shows what arrived so far, and its state in `hallq centre status` says it is behind.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import Engine, select

from queue_server.domain.tickets import OPEN_STATUSES, Status
from queue_server.store.tables import tickets


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
