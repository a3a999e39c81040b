"""The applicant's phone: a ticket followed through its follow link, with no token.

The link (`/t/{ref}`, domain/follow.py) is the capability: it shows that one ticket's
place, wait and window, and rates its services once it has been served. No applicant
data is shown, not even masked: a link passed on reveals only a number's progress.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from queue_server.api.batching import in_hall
from queue_server.api.routes.evaluations import (
    EvaluationIn,
    kiosk_caller,
    offer,
    record_evaluation,
    unrated_services,
)
from queue_server.domain.errors import NotFound
from queue_server.domain.follow import ticket_of
from queue_server.hall import Hall

router = APIRouter(tags=["follow"])
FOLLOWED = ("number", "business", "business_name", "business_name_en", "status", "status_zh",
            "window", "waiting_ahead", "estimated_wait_minutes", "estimated_wait_range",
            "day", "issued_at", "called_at", "finished_at", "journey_next")


async def _ticket(request: Request, ref: str) -> Any:
    hall: Hall = request.app.state.hall
    t = await in_hall(hall, hall.ticket, ticket_of(ref, hall.secret))
    if t is None:
        raise NotFound("这张号已不在系统中", "this ticket is no longer kept", code="unknown_follow")
    return t


@router.get("/follow/{ref}")
async def follow(ref: str, request: Request) -> JSONResponse:
    hall: Hall = request.app.state.hall
    t = await _ticket(request, ref)
    view = await in_hall(hall, hall.view, t)
    today = hall.state.business_day_of(hall.clock())
    out: dict[str, Any] = {k: view.get(k) for k in FOLLOWED}
    out["hall"] = {"name": hall.layout.hall.name, "name_en": hall.layout.hall.name_en,
                   "timezone": hall.layout.hall.timezone}
    out["to_rate"] = await unrated_services(request, t) if t.day == today else []
    if (kiosk := kiosk_caller(request)) is not None:
        offer(request, kiosk, out["to_rate"])  # a kiosk that scanned the ticket may rate it
    # A phone re-reads every few seconds: no copy in between may be served stale.
    return JSONResponse(out, headers={"Cache-Control": "no-store"})


@router.post("/follow/{ref}/evaluation", status_code=201)
async def rate(ref: str, body: EvaluationIn, request: Request) -> JSONResponse:
    t = await _ticket(request, ref)
    out = await record_evaluation(request, t.id, body, channel="phone", actor="phone",
                                  pad_window=None)
    return JSONResponse(out, status_code=201)
