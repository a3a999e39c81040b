"""The applicant's phone: a ticket followed through its follow link, with no token.

The link (`/t/{ref}`, domain/follow.py) is the capability: it shows that one ticket's
place, wait and window, and rates its services once it has been served. No applicant
data is shown, not even masked: a link passed on reveals only a number's progress.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from queue_server.api import API_PREFIX
from queue_server.api.batching import in_hall
from queue_server.api.deps import address
from queue_server.api.errors import ApiError
from queue_server.api.routes.evaluations import (
    EvaluationIn,
    kiosk_caller,
    offer,
    record_evaluation,
    unrated_services,
)
from queue_server.api.routes.events import CLOSE_NOT_FOUND, CLOSE_TOO_SLOW, stream
from queue_server.api.schemas import RATE_LIMITED
from queue_server.broadcast import Audience, business_audience, ticket_audience
from queue_server.domain.errors import DomainError, NotFound
from queue_server.domain.follow import ticket_of
from queue_server.domain.tickets import Status, Ticket
from queue_server.hall import Hall
from queue_server.notify.phone import mask_phone, normalise_phone
from queue_server.phone_codes import PHONE_SCOPE
from queue_server.records import Records
from queue_server.views import FOLLOWED, business_places, iso

router = APIRouter(prefix=API_PREFIX, tags=["follow"])
POLL_SECONDS = 15  # how often a phone told to poll re-reads its ticket


async def _ticket(request: Request, ref: str) -> Any:
    hall: Hall = request.app.state.hall
    t = await in_hall(hall, hall.ticket, ticket_of(ref, hall.secret))
    if t is None:
        raise NotFound("这张号已不在系统中", "this ticket is no longer kept", code="unknown_follow")
    return t


async def _todays(request: Request, ref: str) -> Any:
    """The link's ticket while its business day lasts. A day later its ticket was
    cleared, and "已取消" would tell an applicant the hall cancelled them; the case's
    progress stays at /follow/{ref}/cases, so the page can still show it under this word.
    Counted from the clock, not the hall's day, which turns only at the daily clear."""
    hall: Hall = request.app.state.hall
    t = await _ticket(request, ref)
    if t.day != hall.state.business_day_of(hall.clock()):
        raise NotFound("这个链接已过期：号票只在取号当天有效。如需办理请重新取号",
                       "this link has expired: a ticket is good on its own day only; take a "
                       "new ticket to be served", code="follow_expired")
    return t


@router.get("/follow/{ref}")
async def follow(ref: str, request: Request) -> JSONResponse:
    hall: Hall = request.app.state.hall
    t = await _todays(request, ref)
    view = await in_hall(hall, hall.view, t)
    out: dict[str, Any] = {k: view.get(k) for k in FOLLOWED if k != "id"}
    out["hall"] = {"name": hall.layout.hall.name, "name_en": hall.layout.hall.name_en,
                   "timezone": hall.layout.hall.timezone}
    out["to_rate"] = await unrated_services(request, t)
    # 提醒我 is offered only where the hall sends SMS at all.
    out["remind"] = "sms" in request.app.state.records.notifier.composer.channels
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


class RemindIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str = Field(min_length=1, max_length=24)
    places: int = Field(default=3, ge=1, le=20)


@router.post("/follow/{ref}/notify", responses=RATE_LIMITED)
async def remind(ref: str, body: RemindIn, request: Request) -> JSONResponse:
    """提醒我: an SMS when the ticket is `places` from being called, and when it is.

    One phone per ticket (a second sign-up before anything was sent replaces it), at most
    the two messages of one ticket, and limited per phone and per address: a link passed
    on can text one number twice, not flood one."""
    hall: Hall = request.app.state.hall
    records: Records = request.app.state.records
    t = await _todays(request, ref)
    if "sms" not in records.notifier.composer.channels:
        raise ApiError(409, "sms_disabled", "本厅未开通短信提醒 / this hall sends no SMS")
    phone = normalise_phone(body.phone)
    with hall.lock:
        live = hall.state.tickets.get(t.id)  # today's live state, not a stored copy
        if live is None or live.status is not Status.WAITING:
            raise ApiError(409, "not_waiting",
                           "该号已不在等候中，无需短信提醒 / the ticket is no longer waiting")
        ahead = hall.state.people_ahead(live)
    records.limiter.take([(PHONE_SCOPE, phone), ("booking_addr", address(request))])
    result = await run_in_threadpool(
        lambda: records.notifier.watch_ticket(ticket_id=t.id, day=live.day, phone=phone,
                                              phone_masked=mask_phone(phone),
                                              places=body.places))
    status = 201 if result.pop("created") else 200
    result.pop("ticket_id", None)
    return JSONResponse({**result, "number": live.number, "waiting_ahead": ahead},
                        status_code=status)


@router.get("/follow/{ref}/cases")
async def cases(ref: str, request: Request) -> JSONResponse:
    """The cases accepted at this ticket, with their progress: what the applicant asks
    after the visit. No applicant's name: the link shows one ticket's progress only."""
    records: Records = request.app.state.records
    t = await _ticket(request, ref)
    found = await run_in_threadpool(records.cases.of_ticket, t.id)
    return JSONResponse({"cases": found}, headers={"Cache-Control": "no-store"})


@router.websocket("/follow/{ref}/events")
async def follow_live(ws: WebSocket, ref: str) -> None:
    """The phone's live stream: a snapshot of its ticket and its business's places, then
    its ticket's changes (`ticket`) and the places whenever they move (`places`).

    A server already holding `live_max_phones` phones answers `poll` and closes: the page
    re-reads `GET /follow/{ref}` every `every_seconds` instead, and the hall's screens
    never pay for phones."""
    app = ws.app
    hall: Hall = app.state.hall
    hub = app.state.hub
    await ws.accept()
    try:
        t = await run_in_threadpool(hall.ticket, ticket_of(ref, hall.secret))
    except DomainError:
        t = None
    if t is None or t.day != hall.state.day or t.day != hall.state.business_day_of(hall.clock()):
        await ws.close(code=CLOSE_NOT_FOUND,
                       reason="这张号已不在系统中 / this ticket is no longer kept")
        return
    if hub.roles["phone"] >= app.state.settings.live_max_phones:
        await ws.send_json({"type": "poll", "every_seconds": POLL_SECONDS,
                            "message": "访问人数较多，页面改为每 15 秒刷新一次 / "
                                       "busy: this page now refreshes every 15 s"})
        await ws.close(code=CLOSE_TOO_SLOW, reason="busy; poll")
        return

    await stream(ws, hub, "phone", phone_audiences(t), lambda: phone_snapshot(hall, t),
                 app.state.settings.ws_send_timeout)


def phone_audiences(t: Ticket) -> tuple[Audience, ...]:
    return (ticket_audience(t.id), business_audience(t.business))


def phone_snapshot(hall: Hall, t: Ticket) -> dict[str, Any]:
    """What a phone starts from: its ticket as the follow link shows it, and its business's
    places."""
    with hall.lock:
        now = hall.clock()
        hall.state.observe(now)
        live = hall.state.tickets.get(t.id, t)
        return {"type": "snapshot", "seq": hall.last_seq, "at": iso(now),
                "ticket": {k: hall.view(live).get(k) for k in FOLLOWED},
                "places": business_places(hall.state, live.business)}
