"""Staffing advice for floor guides: read the suggestions, apply one.

Expected arrivals come from the hall's demand model (`demand-<layout>.toml` beside the
layout, else derived from the layout; queue_server/simulation/demand.py) for the hour
from now. Applying re-computes the advice first and refuses an id that is no longer
suggested, so a guide never applies a move the hall has outgrown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter

from queue_server.api import API_PREFIX
from queue_server.api.batching import in_hall
from queue_server.api.deps import Guide, HallDep
from queue_server.api.errors import ApiError
from queue_server.domain.advice import HORIZON_MINUTES, Suggestion, advise, outlooks
from queue_server.domain.layout import Layout
from queue_server.domain.windows import WindowStatus
from queue_server.hall import Hall
from queue_server.security import Principal
from queue_server.simulation.demand import Demand, DemandError, derive_demand, find_demand
from queue_server.views import window_view

router = APIRouter(prefix=API_PREFIX, tags=["advice"])

_demand_cache: dict[str, Demand] = {}


def demand_for(layout: Layout) -> Demand:
    """The layout's demand model, read once per layout file."""
    key = layout.source
    if key not in _demand_cache:
        try:
            _demand_cache[key] = find_demand(layout)
        except DemandError:
            # A broken demand file must not take the guides' page down: fall back.
            _demand_cache[key] = derive_demand(layout)
    return _demand_cache[key]


def expected_next_hour(layout: Layout, now: datetime) -> dict[str, float]:
    local = now.astimezone(layout.hall.tz)
    minute = local.hour * 60 + local.minute + local.second / 60
    return demand_for(layout).expected_visits(layout, minute, minute + HORIZON_MINUTES)


def _advice(hall: Hall) -> tuple[list[Suggestion], dict[str, Any]]:
    with hall.lock:
        now = hall.clock()
        hall.state.observe(now)  # stalled windows as the "Est." column judges them now
        expected = expected_next_hour(hall.layout, now)
        suggestions = advise(hall.state, expected)
        view = outlooks(hall.state, expected)
    return suggestions, {code: o.as_dict() for code, o in view.items()}


def _get(hall: Hall) -> dict[str, Any]:
    suggestions, view = _advice(hall)
    return {"horizon_minutes": HORIZON_MINUTES,
            "suggestions": [s.as_dict() for s in suggestions],
            "outlook": view}


def _apply(hall: Hall, suggestion_id: str, who: Principal) -> dict[str, Any]:
    suggestions, _ = _advice(hall)
    chosen = next((s for s in suggestions if s.id == suggestion_id), None)
    if chosen is None:
        raise ApiError(409, "stale_advice",
                       "该建议已不适用，请刷新后再试 / this suggestion no longer applies; refresh")
    if chosen.action == "open":
        hall.set_window_status(chosen.window, WindowStatus.OPEN, actor=who.actor,
                               acting_window=None)
    else:
        hall.reskill(chosen.window, list(chosen.businesses), actor=who.actor)
    with hall.lock:
        window = window_view(hall.state.window(chosen.window), hall.state)
    return {"applied": chosen.as_dict(), "window": window}


@router.get("/advice")
async def get_advice(hall: HallDep, _: Guide) -> dict[str, Any]:
    """Suggested moves for the next hour, best first, with their predicted effect."""
    return await in_hall(hall, _get, hall)


@router.post("/advice/{suggestion_id}/apply")
async def apply_advice(suggestion_id: str, hall: HallDep, who: Guide) -> dict[str, Any]:
    """Apply one current suggestion through the ordinary window actions."""
    return await in_hall(hall, _apply, hall, suggestion_id, who)
