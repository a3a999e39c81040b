"""`GET /load/windows`: each window's load hour by hour over a period, for the manager's
heat map. Reports group by window or by half hour, not by both; this counts the stored
calls and completions of the period by (window, hour in the hall's time zone)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import Engine, select

from queue_server.api import API_PREFIX
from queue_server.api.batching import off_loop
from queue_server.api.deps import HallDep, require
from queue_server.api.temporal import Day
from queue_server.domain.kpi import check_period
from queue_server.domain.tickets import business_day, next_clear_at
from queue_server.security import Principal, Role
from queue_server.store.tables import events

router = APIRouter(prefix=API_PREFIX, tags=["reports"])
Readers = Annotated[Principal, Depends(require(Role.MANAGER, Role.ADMIN, Role.GUIDE))]
COUNTED = {"ticket.called": "called", "ticket.completed": "completed"}


def window_hours(engine: Engine, start: date, end: date, tz: Any, clear: Any
                 ) -> list[dict[str, Any]]:
    lo = next_clear_at(start - timedelta(days=1), tz, clear)
    hi = next_clear_at(end, tz, clear)
    counts: Counter[tuple[int, int, str]] = Counter()
    with engine.connect() as conn:
        rows = conn.execute(select(events.c.at, events.c.type, events.c.window).where(
            events.c.at >= lo, events.c.at < hi, events.c.type.in_(list(COUNTED)),
            events.c.window.is_not(None)))
        for at, kind, window in rows:
            if start <= business_day(at, tz, clear) <= end:
                counts[(window, at.astimezone(tz).hour, COUNTED[kind])] += 1
    cells = sorted({(w, h) for w, h, _ in counts})
    return [{"window": w, "hour": h, "called": counts[(w, h, "called")],
             "completed": counts[(w, h, "completed")]} for w, h in cells]


@router.get("/load/windows")
async def load_by_window_and_hour(request: Request, hall: HallDep, _: Readers,
                                  start: Annotated[Day, Query(alias="from")],
                                  end: Annotated[Day, Query(alias="to")]) -> dict[str, Any]:
    """Calls and completions per window and hour, today included while it runs."""
    check_period(start, end)
    h = hall.layout.hall
    cells = await off_loop(window_hours, request.app.state.store.engine, start, end, h.tz,
                           h.clear_time)
    return {"from": start.isoformat(), "to": end.isoformat(), "cells": cells}
