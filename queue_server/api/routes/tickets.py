"""Tickets: issue, look up, list, and the staff actions on one ticket."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from queue_server.api import API_PREFIX
from queue_server.api.batching import in_hall, off_loop
from queue_server.api.deps import (
    HallDep,
    NotDisplay,
    StaffOrKiosk,
    StoreDep,
    WindowStaff,
)
from queue_server.api.errors import ApiError
from queue_server.api.responses import Json
from queue_server.api.schemas import RATE_LIMITED
from queue_server.api.temporal import Moment
from queue_server.domain.follow import follow_ref
from queue_server.domain.layout import Priority
from queue_server.domain.notices import check_follow_up, find_item, notice_no_of
from queue_server.domain.scope import kiosk_reaches
from queue_server.domain.slips import MAX_SLIP_CHARS, check_appointment
from queue_server.domain.state import Appointment
from queue_server.domain.tickets import Status, Ticket
from queue_server.hall import Hall
from queue_server.security import Principal, Role
from queue_server.views import ticket_view

router = APIRouter(prefix=API_PREFIX, tags=["tickets"])
# The operations of every visit (issue, and each window's actions on its ticket), matched
# before any other route: FastAPI tries the routes in turn, twice over, a few µs each,
# and 130 of them stood before some of these (api/app.py includes this router first).
hot = APIRouter(prefix=API_PREFIX, tags=["tickets"])


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApplicantIn(Strict):
    id_number: str = Field(min_length=1, max_length=32)
    name: str = Field(default="", max_length=60)


class AppointmentIn(Strict):
    """A kiosk sends the slip it scanned; a guide may check in a booking by hand instead."""

    slip: str | None = Field(default=None, min_length=1, max_length=MAX_SLIP_CHARS,
                             description="the appointment slip as scanned (`HQ1:A:…`)")
    code: str | None = Field(default=None, min_length=1, max_length=64)
    slot_start: Moment | None = None
    slot_end: Moment | None = None

    @model_validator(mode="after")
    def _slip_or_booking(self) -> AppointmentIn:
        by_hand = (self.code, self.slot_start, self.slot_end)
        if self.slip is not None and any(v is not None for v in by_hand):
            raise ValueError("send either the slip or code, slot_start and slot_end")
        if self.slip is None and any(v is None for v in by_hand):
            raise ValueError("send the slip, or all of code, slot_start and slot_end")
        return self


class OverrideIn(Strict):
    reason: str = Field(min_length=1, max_length=200,
                        description="why the guide issues past the daily cap or per-ID limit; "
                                    "recorded on the ticket and its history")


class PrecheckIn(Strict):
    item: str = Field(min_length=1, max_length=40,
                      description="the catalogue item whose materials list the guide checked "
                                  "the applicant's papers against (预审)")


class IssueIn(Strict):
    business: str = Field(min_length=1, max_length=40)
    applicant: ApplicantIn | None = None
    priority: Literal["normal", "green"] | None = None
    priority_reason: Literal["age", "disability", "pregnancy", "military", "guide"] | None = None
    journey: str | None = Field(default=None, max_length=40)
    appointment: AppointmentIn | None = None
    override: OverrideIn | None = None
    precheck: PrecheckIn | None = Field(default=None, description="guide only: 预审, the "
                                        "materials were checked before the ticket")
    notice: str | None = Field(default=None, min_length=1, max_length=40,
                               description="the 不予受理告知单 number this visit follows up "
                               "(`HY01-20261206-0001`): one of this hall's, for this business")


class TransferIn(Strict):
    business: str = Field(min_length=1, max_length=40)


class CallIn(Strict):
    window: int = Field(ge=1, le=9999)


@hot.post("/tickets", status_code=201, response_class=Json, responses=RATE_LIMITED)
async def issue(body: IssueIn, request: Request, who: StaffOrKiosk,
                idempotency_key: Annotated[str | None, Header(
                    alias="Idempotency-Key", min_length=1, max_length=64,
                    pattern=r"^[A-Za-z0-9._:-]+$",
                    description="取号请求编号：应答丢失时用同一编号重发，得到同一张号，不会多取 / "
                                "a key of the caller's choosing: sent again with the same "
                                "key (the answer was lost), the request gets the same ticket "
                                "back instead of a second one")] = None) -> Json:
    """取号 issue a ticket; with `Idempotency-Key`, safe to send again."""
    hall: Hall = request.app.state.hall  # not a dependency: each one costs every request
    appointment = None if body.appointment is None else _appointment(
        body.appointment, body.business, request, hall, who)
    # A hall that books online checks a slip against its stored booking: an unknown or
    # cancelled one is refused here, before a number is used up.
    booking = (None if appointment is None or body.appointment is None
               or body.appointment.slip is None
               else await off_loop(request.app.state.bookings.check_in_allowed,
                                   appointment.code))
    if booking is None and appointment is not None and who.role is not Role.KIOSK:
        # A guide's by-hand appointment that names a stored booking is that booking's
        # check-in, recorded with the guide's name (POST /bookings/{code}/check-in is
        # the checked way; this keeps the older by-hand form honest).
        booking = await off_loop(request.app.state.bookings.stored_code, appointment.code)
    override = _override(body.override, who)
    precheck = _precheck(body.precheck, body.business, who, request)
    follows = None if body.notice is None else await _follows(body.notice, body.business,
                                                              request, hall)
    # Keys are the caller's own: one kiosk's key never finds another's ticket.
    key = f"{who.token_id}:{idempotency_key}" if idempotency_key else None
    if who.role is Role.KIOSK and (key is None or key not in hall.state.request_keys):
        # A copied kiosk token must not be able to empty the day: issuing is bounded per
        # kiosk, tickets without an ID card more tightly (a replay is not a new ticket).
        scopes = [("issue", who.token_id)]
        if body.applicant is None:
            scopes.append(("anonymous", who.token_id))
        request.app.state.records.limiter.take(scopes)
    issue = partial(
        hall.issue, body.business, actor=who.actor,
        id_number=body.applicant.id_number if body.applicant else None,
        name=body.applicant.name if body.applicant else "",
        priority=Priority(body.priority) if body.priority else None,
        priority_reason=body.priority_reason, journey=body.journey, appointment=appointment,
        channel="kiosk" if who.role is Role.KIOSK else "guide", request_key=key,
        issued_by=who.token_id, override_reason=override, precheck_item=precheck,
        follows_notice=follows)

    def issue_and_view() -> tuple[bool, dict[str, Any]]:
        replayed = key is not None and key in hall.state.request_keys
        return replayed, hall.view(issue())

    replayed, view = await in_hall(hall, issue_and_view)
    if booking is not None:
        await off_loop(request.app.state.bookings.checked_in, booking, view["id"],
                       "kiosk" if who.role is Role.KIOSK else who.actor)
    view["follow_url"] = follow_url(request, view["id"])
    return Json(view, status_code=201,
                headers={"Idempotent-Replayed": "true"} if replayed else None)


def _override(o: OverrideIn | None, who: Principal) -> str | None:
    if o is None:
        return None
    if who.role is Role.KIOSK:
        raise ApiError(403, "override_forbidden",
                       "自助机不能越过每日限额取号，请到咨询台 / a kiosk cannot issue past a "
                       "limit; the information desk can")
    reason = " ".join(o.reason.split())
    if len(reason) < 2:
        raise ApiError(422, "override_reason_required",
                       "请写明越限取号的原因 / give the reason for issuing past the limit")
    return reason


def _precheck(p: PrecheckIn | None, business: str, who: Principal, request: Request
              ) -> str | None:
    """预审 is the consultation desk's: a kiosk cannot vouch for anyone's papers."""
    if p is None:
        return None
    if who.role is Role.KIOSK:
        raise ApiError(403, "precheck_forbidden",
                       "自助机不能登记预审，请到咨询台 / a kiosk cannot record a pre-check; the "
                       "information desk can")
    return find_item(request.app.state.catalogue, p.item, business).code


async def _follows(text: str, business: str, request: Request, hall: Hall) -> str:
    """The notice the applicant came back for, from the slip or as read out at the desk."""
    no = notice_no_of(text)
    code = hall.layout.hall.code
    found = None if no.rsplit("-", 2)[0] != code else await off_loop(
        request.app.state.hall.notices.get, no)
    return check_follow_up(no, None if found is None else found[0], business, code)


def _appointment(a: AppointmentIn, business: str, request: Request, hall: Hall,
                 who: Principal) -> Appointment:
    if a.slip is not None:
        booked = check_appointment(a.slip, request.app.state.slip_key,
                                   hall.layout.hall.timezone)
        if booked.business != business:
            raise ApiError(422, "appointment_business_mismatch",
                           f"预约的业务是 {booked.business}，不是 {business} / the slip books "
                           f"{booked.business}, not {business}")
        return Appointment(booked.code, booked.slot_start, booked.slot_end)
    # By hand: only staff, who have seen the booking. A kiosk's token alone must not be
    # able to claim an appointment's priority.
    if who.role is Role.KIOSK:
        raise ApiError(403, "slip_required",
                       "自助机预约签到须扫描预约二维码 / a kiosk checks in an appointment by "
                       "its slip")
    assert a.code is not None and a.slot_start is not None and a.slot_end is not None
    if a.slot_start.tzinfo is None or a.slot_end.tzinfo is None:
        raise ApiError(422, "invalid_input",
                       "预约时段须带时区 / appointment times need a time zone offset")
    if a.slot_end <= a.slot_start:
        raise ApiError(422, "invalid_input",
                       "预约时段的结束时间须晚于开始时间 / the appointment slot must end after "
                       "it starts")
    return Appointment(a.code, a.slot_start, a.slot_end)


@router.get("/tickets", response_class=Json)
async def list_tickets(request: Request, hall: HallDep, who: NotDisplay,
                 status: Annotated[Status | None, Query()] = None,
                 business: Annotated[str | None, Query(max_length=40)] = None,
                 window: Annotated[int | None, Query()] = None,
                 request_key: Annotated[str | None, Query(
                     min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$",
                     description="the ticket this caller issued with this `Idempotency-Key` "
                                 "today, if any (a kiosk settling a request it never heard "
                                 "the answer to)")] = None,
                 limit: Annotated[int, Query(ge=1, le=2000)] = 500) -> Json:
    """Today's tickets, in queue order for waiting ones; filters combine."""
    # The document lists the layout's windows and businesses: anything else is a mistake
    # the caller should hear about, not an empty list.
    if window is not None and window not in hall.layout.windows:
        raise ApiError(422, "invalid_input", f"没有 {window} 号窗口 / there is no window {window}")
    if business is not None and business not in hall.layout.businesses:
        raise ApiError(422, "invalid_input", "没有这个业务 / there is no such business")
    if request_key is not None:  # keys are the caller's own, as when issuing
        return Json(await in_hall(hall, _by_request_key, hall, f"{who.token_id}:{request_key}"))
    only = _kiosk_scope(who, request)
    return Json(await in_hall(hall, _list, hall, status, business, window, limit, only))


KioskScope = tuple[str, float] | None  # (token id, minutes) when the caller is a kiosk


def _kiosk_scope(who: Principal, request: Request) -> KioskScope:
    if who.role is not Role.KIOSK:
        return None
    return who.token_id, request.app.state.settings.kiosk_ticket_minutes


def reachable(hall: Hall, t: Ticket | None, who: Principal, request: Request) -> Ticket:
    """The ticket, if this caller may see it: a kiosk its own recent ones only (404 for
    the rest, the same answer as for no ticket at all, so it learns nothing of others)."""
    scope = _kiosk_scope(who, request)
    if t is None or (scope is not None and not kiosk_reaches(t, scope[0], hall.clock(), scope[1])):
        raise ApiError(404, "not_found", "没有这个号 / no such ticket")
    return t


def _by_request_key(hall: Hall, key: str) -> list[dict[str, Any]]:
    ticket_id = hall.state.request_keys.get(key)
    return [] if ticket_id is None else [hall.view(hall.state.tickets[ticket_id])]


def _list(hall: Hall, status: Status | None, business: str | None, window: int | None,
          limit: int, only: KioskScope = None) -> list[dict[str, Any]]:
    now = hall.clock()
    with hall.lock:
        state = hall.state
        ahead = state.positions()
        items = sorted(state.tickets.values(), key=lambda t: (t.queued_at, t.number))
        out = []
        for t in items:
            if only is not None and not kiosk_reaches(t, only[0], now, only[1]):
                continue
            if status is not None and t.status is not status:
                continue
            if business is not None and t.business != business:
                continue
            if window is not None and t.window != window:
                continue
            out.append(ticket_view(t, state, ahead.get(t.id)))
            if len(out) >= limit:
                break
        return out


@router.get("/tickets/{ticket_id}", response_class=Json)
async def get_ticket(ticket_id: str, request: Request, hall: HallDep, who: NotDisplay) -> Json:
    t = reachable(hall, await in_hall(hall, hall.ticket, ticket_id), who, request)
    view = await in_hall(hall, hall.view, t)
    view["follow_url"] = follow_url(request, t.id)
    return Json(view)


def follow_url(request: Request, ticket_id: str) -> str:
    """The applicant's link to this ticket: for who issued it, never for the displays."""
    hall = request.app.state.hall
    return f"{request.app.state.settings.public_url}/t/{follow_ref(ticket_id, hall.secret)}"


@router.get("/tickets/{ticket_id}/history")
async def ticket_history(ticket_id: str, request: Request, hall: HallDep, store: StoreDep,
                         who: NotDisplay) -> list[dict[str, Any]]:
    reachable(hall, await in_hall(hall, hall.ticket, ticket_id), who, request)
    return [{**h, "at": h["at"].isoformat()} for h in await off_loop(store.history, ticket_id)]


def _act_and_view(hall: Hall, action: str, ticket_id: str, who: Principal) -> dict[str, Any]:
    return hall.view(hall.act(action, ticket_id, actor=who.actor, acting_window=who.acting_window))


def _action(action: str):  # type: ignore[no-untyped-def]
    async def handler(ticket_id: str, request: Request, who: WindowStaff) -> Json:
        hall = request.app.state.hall  # not a dependency: each one costs every request
        return Json(await in_hall(hall, _act_and_view, hall, action, ticket_id, who))
    handler.__name__ = action
    return handler


for _path, _name, _summary in (
    ("recall", "recall", "重呼 recall the ticket (past the limit: no-show)"),
    ("start", "start", "开始办理 the applicant has arrived at the window"),
    ("complete", "complete", "办结 finish the ticket"),
    ("no-show", "no_show", "过号 the applicant did not come"),
    ("park", "park", "挂起 set aside; the window calls it back later"),
    ("forward", "forward", "转下一环节 send on to the next step of the journey"),
):
    hot.add_api_route(f"/tickets/{{ticket_id}}/{_path}", _action(_name), methods=["POST"],
                      summary=_summary, response_class=Json)


@router.post("/tickets/{ticket_id}/transfer", response_class=Json)
async def transfer(ticket_id: str, body: TransferIn, hall: HallDep, who: WindowStaff
                   ) -> Json:
    return Json(await in_hall(hall, lambda: hall.view(hall.transfer(
        ticket_id, body.business, actor=who.actor, acting_window=who.acting_window))))


@router.post("/tickets/{ticket_id}/call", response_class=Json)
async def call_ticket(ticket_id: str, body: CallIn, hall: HallDep, who: WindowStaff
                      ) -> Json:
    """Call one chosen ticket: a parked one back, or one picked from the list."""
    return Json(await in_hall(hall, lambda: hall.view(hall.call_ticket(
        body.window, ticket_id, actor=who.actor, acting_window=who.acting_window))))


@router.post("/tickets/{ticket_id}/cancel", response_class=Json)
async def cancel(ticket_id: str, request: Request, hall: HallDep, who: StaffOrKiosk) -> Json:
    """取消 A guide cancels any waiting ticket; a kiosk only one it issued minutes ago
    (one nobody received)."""
    def run() -> dict[str, Any]:
        if who.role is Role.KIOSK:  # today's tickets only: nothing else can be cancelled
            reachable(hall, hall.state.tickets.get(ticket_id), who, request)
        return hall.view(hall.cancel(ticket_id, actor=who.actor))
    return Json(await in_hall(hall, run))
