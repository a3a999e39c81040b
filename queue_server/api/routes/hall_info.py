"""What the hall offers: businesses, windows, journeys, queues and the catalogue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from queue_server.api import API_PREFIX
from queue_server.api.batching import in_hall
from queue_server.api.deps import AnyRole, HallDep
from queue_server.hall import Hall
from queue_server.views import window_view

router = APIRouter(prefix=API_PREFIX, tags=["hall"])


@router.get("/businesses")
async def businesses(hall: HallDep, _: AnyRole) -> list[dict[str, Any]]:
    return await in_hall(hall, _businesses, hall)


def _businesses(hall: Hall) -> list[dict[str, Any]]:
    with hall.lock:
        return [{"code": b.code, "name": b.name, "name_en": b.name_en, "prefix": b.prefix,
                 "daily_cap": b.daily_cap, "alert_waiting": b.alert_waiting,
                 "wait_target_minutes": b.wait_target_minutes,
                 "service_minutes": b.service_minutes, "kind": b.kind,
                 "issued_today": hall.state.sequences.get(b.code, 0),
                 # against the daily cap: less those cancelled before they were called
                 "cap_used": hall.state.taken(b.code),
                 "open_windows": round(hall.state.capacity(b.code), 2)}
                for b in hall.layout.businesses.values()]


@router.get("/windows")
async def windows(hall: HallDep, _: AnyRole) -> list[dict[str, Any]]:
    return await in_hall(hall, _windows, hall)


def _windows(hall: Hall) -> list[dict[str, Any]]:
    with hall.lock:
        return [window_view(w, hall.state) for w in hall.state.windows.values()]


@router.get("/journeys")
async def journeys(hall: HallDep, _: AnyRole) -> list[dict[str, Any]]:
    return [{"code": j.code, "name": j.name, "name_en": j.name_en, "steps": list(j.steps)}
            for j in hall.layout.journeys.values()]


@router.get("/queues")
async def queues(hall: HallDep, _: AnyRole) -> list[dict[str, Any]]:
    return await in_hall(hall, lambda: hall.state.queue_summary(hall.clock()))


@router.get("/hall")
async def hall_info(request: Request, hall: HallDep, _: AnyRole) -> dict[str, Any]:
    h = hall.layout.hall
    return {"code": h.code, "name": h.name, "name_en": h.name_en, "timezone": h.timezone,
            "clear_time": h.clear_time.isoformat("minutes"),
            # The business day now, even before its first use case has turned the hall over.
            "day": hall.state.business_day_of(hall.clock()).isoformat(),
            "recall_limit": h.recall_limit, "per_id_daily_limit": h.per_id_daily_limit,
            "green_age": h.green_age, "allow_anonymous": h.allow_anonymous,
            "staff_sign_in_required": h.staff_sign_in_required,
            "followup_working_days": h.followup_working_days,
            "routing_policy": hall.layout.routing.policy.value,
            # Whether QR slips can be checked here (POST /slips/check): the kiosk offers
            # appointment check-in only then.
            "slips": request.app.state.slip_key is not None}


@router.get("/catalogue")
async def catalogue(request: Request, _: AnyRole) -> dict[str, Any]:
    """The business items and their one-time materials lists, for the kiosk."""
    return request.app.state.catalogue_view


@router.get("/me")
async def me(who: AnyRole) -> dict[str, Any]:
    """Who this token is: consoles check it at sign-in (a window token opens only its window)."""
    return {"role": who.role.value, "window": who.window, "name": who.name,
            "token_id": who.token_id}
