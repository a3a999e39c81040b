"""好差评 and 差评整改: rating a service, and the work orders bad ratings open.

The pad at a window rates only its own window's newest service; a kiosk rates any
service of the day's visit not yet rated. A bad rating opens its work order in the same
transaction, due a number of working days later on the product's working-day calendar.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from queue_server.api import API_PREFIX
from queue_server.api.batching import in_hall, off_loop
from queue_server.api.deps import HallDep, bearer, require
from queue_server.api.schemas import RATE_LIMITED
from queue_server.api.temporal import Day
from queue_server.domain.deadline import URGENCY_NAMES
from queue_server.domain.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from queue_server.domain.evaluation import (
    DIMENSIONS,
    LEVELS,
    REASONS,
    check_rating,
    choose_service,
    is_bad,
    services_of,
)
from queue_server.domain.events import Event, EventType
from queue_server.domain.follow import ticket_of
from queue_server.domain.identity import KeptApplicant
from queue_server.domain.kpi import check_period
from queue_server.domain.state import Change
from queue_server.domain.tickets import Ticket
from queue_server.domain.workdays import WorkCalendar
from queue_server.domain.workorders import (
    STATUS_NAMES,
    STEP_NAMES,
    OrderStatus,
    check_step,
    deadline_of,
    due_on,
)
from queue_server.hall import Hall
from queue_server.security import Principal, Role
from queue_server.store.quality import Quality

router = APIRouter(prefix=API_PREFIX, tags=["evaluations"])
Kiosk = Annotated[Principal, Depends(require(Role.KIOSK))]
Managers = Annotated[Principal, Depends(require(Role.MANAGER, Role.ADMIN))]
Watchers = Annotated[Principal, Depends(require(Role.MANAGER, Role.ADMIN, Role.GUIDE))]


class Dimensions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Strict: a JSON true is not a rating of 1, nor "5" a rating of 5.
    efficiency: StrictInt | None = None
    competence: StrictInt | None = None
    attitude: StrictInt | None = None


class EvaluationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rating: StrictInt
    dimensions: Dimensions | None = None
    reason: str | None = Field(default=None, max_length=24)
    comment: str = Field(default="", max_length=2000)
    window: int | None = None  # a kiosk may name which window's service it rates


class PendingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id_number: str = Field(min_length=15, max_length=18)


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    step: str = Field(min_length=1, max_length=16)
    note: str = Field(default="", max_length=4000)


def quality_of(request: Request) -> Quality:
    return request.app.state.quality


def calendar_of(request: Request) -> WorkCalendar:
    return request.app.state.calendar


@router.get("/evaluation/levels")
async def levels() -> dict[str, Any]:
    """The levels, dimensions and reasons as the pad and kiosk show them: public words."""
    return {"levels": [{"rating": k, "name": zh, "name_en": en} for k, (zh, en) in LEVELS.items()],
            "dimensions": [{"code": k, "name": zh, "name_en": en}
                           for k, (zh, en) in DIMENSIONS.items()],
            "reasons": [{"code": k, "name": zh, "name_en": en}
                        for k, (zh, en) in REASONS.items()]}


async def rater(request: Request, ticket_id: str,
                follow: Annotated[str | None, Query(max_length=80)] = None) -> Principal | None:
    """A pad or kiosk token, or none at all with the ticket's own follow link
    (`?follow=REF`, the phone's: the contract's third rater); None means the phone."""
    if follow is not None and not bearer(request):
        ticket_of(follow, request.app.state.hall.secret, expected=ticket_id)
        return None
    return await require(Role.PAD, Role.KIOSK)(request)


rater.token_optional = True  # type: ignore[attr-defined]  # the follow link stands in


@router.post("/tickets/{ticket_id}/evaluation", status_code=201)
async def evaluate(ticket_id: str, body: EvaluationIn, request: Request,
                   who: Annotated[Principal | None, Depends(rater)]) -> JSONResponse:
    if who is None:
        out = await record_evaluation(request, ticket_id, body, channel="phone",
                                      actor="phone", pad_window=None)
        return JSONResponse(out, status_code=201)
    pad = who.role is Role.PAD
    if pad and body.window not in (None, who.window):
        raise InvalidInput("评价器只能评价本窗口的服务", "a pad rates its own window only",
                           code="wrong_window")
    out = await record_evaluation(request, ticket_id, body, channel="pad" if pad else "kiosk",
                                  actor=who.actor, pad_window=who.window if pad else None,
                                  kiosk=None if pad else who.token_id)
    return JSONResponse(out, status_code=201)


def offer(request: Request, kiosk: str, services: list[dict[str, Any]]) -> None:
    """Remember what this kiosk has just shown its applicant to rate (Offers)."""
    request.app.state.offers.offer(kiosk, [(s["ticket"], s["window"]) for s in services],
                                   request.app.state.hall.clock())


def kiosk_caller(request: Request) -> str | None:
    """The kiosk token behind a request that needs none (the follow link), if any."""
    token = bearer(request)
    who = request.app.state.auth(token) if token else None
    if who is None or who.role is not Role.KIOSK or who.expired(request.app.state.hall.clock()):
        return None
    return str(who.token_id)


async def record_evaluation(request: Request, ticket_id: str, body: EvaluationIn, *,
                            channel: str, actor: str, pad_window: int | None,
                            kiosk: str | None = None) -> dict[str, Any]:
    """One rating of one service of today's visit, from a pad, a kiosk or the phone.
    A kiosk (`kiosk`, its token id) rates only a service it has just offered: after the
    applicant's ID card (/evaluations/pending) or their scanned ticket (/follow/{ref})."""
    hall: Hall = request.app.state.hall
    store = request.app.state.store
    rating = check_rating(body.rating, body.dimensions.model_dump() if body.dimensions else None,
                          body.reason, body.comment)
    ticket = await in_hall(hall, hall.ticket, ticket_id)
    if ticket is None:
        raise NotFound("没有这个号", f"no ticket {ticket_id}")
    today = hall.state.business_day_of(hall.clock())  # the clear may not have run yet
    if ticket.day != today:
        raise IllegalTransition("只能评价当天的服务，请拨打服务热线反映",
                                "only today's services can be rated here", code="evaluation_closed")
    quality = quality_of(request)
    events = await off_loop(store.history, ticket_id)
    rated = await off_loop(quality.rated, ticket_id)
    services = services_of(ticket.id, ticket.number, ticket.day, events)
    if pad_window is not None and services and all(s.window != pad_window for s in services):
        raise Forbidden(f"这张号不是在 {pad_window} 号窗口办理的，请在办理窗口评价",
                        f"this ticket was not served at window {pad_window}",
                        code="wrong_window")
    service = choose_service(services, rated,
                             window=pad_window if pad_window is not None else body.window)
    now = hall.clock()
    if kiosk is not None and not request.app.state.offers.offered(kiosk, ticket.id,
                                                                  service.window, now):
        raise Forbidden("请先刷身份证或扫描取号单上的二维码，再评价这次服务",
                        "lay the ID card or scan the ticket's QR code first, then rate the "
                        "service", code="evaluation_not_offered")
    evaluation_id = hall.new_id()
    order = None
    if is_bad(rating.overall):
        reviewed = now.astimezone(hall.layout.hall.tz).date()
        order = {"id": hall.new_id(), "evaluation_id": evaluation_id, "ticket_id": ticket.id,
                 "number": ticket.number, "window": service.window, "staff": service.staff,
                 "business": service.business, "rating": rating.overall,
                 "status": OrderStatus.OPEN.value, "opened_at": now}
        cal = calendar_of(request)
        order["due_date"] = due_on(reviewed, hall.layout.hall.followup_working_days, cal)
        order["due_provisional"] = cal.is_provisional(reviewed, order["due_date"])
    case_no = await off_loop(quality.case_of, ticket.id)
    await off_loop(quality.add, evaluation_id, service, rating, channel, now, order, case_no)
    data = {"evaluation": evaluation_id, "number": ticket.number, "rating": rating.overall,
            "business": service.business, "service_seq": service.seq,
            "work_order": order["id"] if order else None}
    # Displays and consoles hear of it like any other event, named for the staff rated.
    await in_hall(hall, hall.run, lambda s, at: Change(events=[Event(
        EventType.EVALUATION_RECORDED, at, actor, ticket.id, service.window, data,
        staff=service.staff)]))
    return {"id": evaluation_id, "ticket": ticket.id, "number": ticket.number,
            "window": service.window, "staff": service.staff, "business": service.business,
            "rating": rating.overall, "rating_name": LEVELS[rating.overall][0],
            "case_no": case_no,
            "dimensions": {"efficiency": rating.efficiency, "competence": rating.competence,
                           "attitude": rating.attitude},
            "reason": rating.reason, "comment": rating.comment, "channel": channel,
            "at": now.isoformat(),
            "work_order": {"id": order["id"], "due_date": order["due_date"].isoformat(),
                           "due_provisional": order["due_provisional"]}
            if order else None}


async def unrated_services(request: Request, ticket: Ticket) -> list[dict[str, Any]]:
    """A ticket's services not yet rated, newest first, as the kiosk and the phone offer
    them: numbers, services, windows and staff, nothing the applicant did not see."""
    hall: Hall = request.app.state.hall
    rated = await off_loop(quality_of(request).rated, ticket.id)
    history = await off_loop(request.app.state.store.history, ticket.id)
    services = [s for s in services_of(ticket.id, ticket.number, ticket.day, history)
                if s.seq not in rated]
    # Only the few numbers shown: a phone re-reads this every few seconds.
    names = await off_loop(request.app.state.staff.names, {s.staff for s in services if s.staff})
    out: list[dict[str, Any]] = []
    for s in services:
        b = hall.layout.businesses.get(s.business)
        out.append({"ticket": ticket.id, "number": ticket.number, "window": s.window,
                    "staff": s.staff, "staff_name": names.get(s.staff or "", ""),
                    "business": s.business, "business_name": b.name if b else s.business,
                    "business_name_en": b.name_en if b else "",
                    "ended_at": s.ended_at.isoformat()})
    return out


@router.post("/evaluations/pending", responses=RATE_LIMITED)
async def pending(body: PendingIn, request: Request, hall: HallDep, who: Kiosk
                  ) -> list[dict[str, Any]]:
    """The card holder's services of today not yet rated, newest first: what the kiosk
    offers to rate after the applicant lays the ID card.

    Limited like the case and archive lookups, per kiosk and per ID number: a kiosk
    token copied off a kiosk cannot list who came today by trying numbers."""
    key = KeptApplicant.from_id(body.id_number, "", hall.secret).id_hash
    request.app.state.records.limiter.take([("kiosk", who.token_id), ("id", key)])

    def theirs() -> list[Ticket]:
        today = hall.state.business_day_of(hall.clock())
        return [t for t in hall.state.tickets.values() if t.id_hash == key and t.day == today]
    out: list[dict[str, Any]] = []
    for t in await in_hall(hall, theirs):
        out += await unrated_services(request, t)
    offer(request, who.token_id, out)
    return sorted(out, key=lambda x: x["ended_at"], reverse=True)


@router.get("/evaluations")
async def list_evaluations(request: Request, _: Managers,
                           start: Annotated[Day, Query(alias="from")],
                           end: Annotated[Day, Query(alias="to")]) -> list[dict[str, Any]]:
    check_period(start, end)
    rows = await off_loop(quality_of(request).evaluations, start, end)
    return [_jsonable(r) for r in rows]


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}


def order_view(row: dict[str, Any], today: date, calendar: WorkCalendar, tz: Any
               ) -> dict[str, Any]:
    status = OrderStatus(row["status"])
    replied = row["replied_at"].astimezone(tz).date() if row["replied_at"] else None
    d = deadline_of(row["due_date"], today, replied, calendar, closed=status is OrderStatus.CLOSED)
    view = _jsonable({k: v for k, v in row.items() if k not in ("evaluation", "steps")})
    view.update(ticket=row["ticket_id"], status_name=STATUS_NAMES[status][0],
                rating_name=LEVELS[row["rating"]][0],
                urgency=d.urgency.value if d.urgency else None,
                urgency_name=URGENCY_NAMES[d.urgency][0] if d.urgency else None,
                in_time=d.in_time)
    if "steps" in row:
        view["steps"] = [{**_jsonable(s), "step_name": STEP_NAMES[s["step"]][0]}
                         for s in row["steps"]]
        view["evaluation"] = _jsonable(row["evaluation"]) if row["evaluation"] else None
    return view


def _today(hall: Hall) -> date:
    return hall.clock().astimezone(hall.layout.hall.tz).date()


FollowupFilter = Literal["open", "overdue", "due_soon", "closed", "all"]


@router.get("/followups")
async def followups(request: Request, hall: HallDep, _: Watchers,
                    status: FollowupFilter = "open") -> list[dict[str, Any]]:
    """`open`: every order without its reply yet or not closed; `overdue` and `due_soon`
    the open ones past or near their due date; `closed`; `all`."""
    wanted = {"closed": [OrderStatus.CLOSED.value], "all": None}.get(
        status, [s.value for s in OrderStatus if s is not OrderStatus.CLOSED])
    rows = await off_loop(quality_of(request).orders, wanted)
    today, cal, tz = _today(hall), calendar_of(request), hall.layout.hall.tz
    views = [order_view(r, today, cal, tz) for r in rows]
    if status in ("overdue", "due_soon"):
        views = [v for v in views if v["urgency"] == status]
    return views


@router.get("/followups/{order_id}")
async def followup(order_id: str, request: Request, hall: HallDep, _: Managers
                   ) -> dict[str, Any]:
    """One bad review carried end to end: its evaluation, the ticket's history, each step."""
    row = await off_loop(quality_of(request).order, order_id)
    view = order_view(row, _today(hall), calendar_of(request), hall.layout.hall.tz)
    store = request.app.state.store
    view["history"] = [_jsonable(h) for h in await off_loop(store.history, row["ticket_id"])]
    return view


@router.post("/followups/{order_id}/steps")
async def add_step(order_id: str, body: StepIn, request: Request, hall: HallDep,
                   who: Managers) -> dict[str, Any]:
    quality = quality_of(request)
    row = await off_loop(quality.order, order_id)
    current = OrderStatus(row["status"])
    step, status, note = check_step(current, body.step, body.note)
    await off_loop(quality.add_step, order_id, current, step, status, who.actor, hall.clock(),
                   note)
    return await followup(order_id, request, hall, who)
