"""上门服务 home visits: a request from the applicant's phone (no token: the booking's SMS
code and phone pass prove the phone) or at the desk (role guide); guides list and
schedule to a crew and a time window; the crew's day list in route order and an outcome
per visit (the contract names no crew role: the crew's tablet holds a guide token); the
figures for the manager."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from queue_server.api import API_PREFIX
from queue_server.api.deps import bearer, principal_of, require
from queue_server.api.errors import ApiError
from queue_server.api.schemas import PHONE_PASS
from queue_server.homevisits import HomeVisits
from queue_server.security import Principal, Role

router = APIRouter(prefix=API_PREFIX, tags=["home visits"], responses={
    404: {"description": "本大厅未开通上门服务，或所指申请不存在 / this hall makes no home "
                         "visits, or no such request"},
    409: {"description": "上门服务的状态或排班不允许 / the visit's state or the crew's load "
                         "refuses this"}})


class VisitStrict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VisitIn(VisitStrict):
    business: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=1, max_length=12,
                        description="elderly | sick | disabled | other")
    reason_note: str = Field(default="", max_length=400)
    name: str = Field(min_length=1, max_length=80)
    district: str = Field(min_length=1, max_length=40)
    address: str = Field(min_length=1, max_length=240)
    phone: str = Field(min_length=1, max_length=24)
    preferred_days: list[date] = Field(min_length=1, max_length=10)
    note: str = Field(default="", max_length=400)
    phone_pass: str | None = Field(default=None, max_length=200,
                                   description="from POST /booking/verify; a guide sends none")


class VisitProofIn(VisitStrict):
    phone: str | None = Field(default=None, max_length=24)
    phone_pass: str | None = Field(default=None, max_length=200)


class VisitScheduleIn(VisitStrict):
    team: str = Field(min_length=1, max_length=40)
    day: date
    # Not `window`: that name means a hall window (a number) across this API.
    time_window: str = Field(min_length=1, max_length=12,
                             description="HH:MM-HH:MM, one of the layout's time windows")


class VisitOutcomeIn(VisitStrict):
    outcome: Literal["done", "rescheduled", "refused", "nobody_home"]
    note: str = Field(default="", max_length=400)


def visits_of(request: Request) -> HomeVisits:
    return request.app.state.home_visits


VisitsDep = Annotated[HomeVisits, Depends(visits_of)]
Guide = Annotated[Principal, Depends(require(Role.GUIDE, Role.ADMIN))]
Figures = Annotated[Principal, Depends(require(Role.GUIDE, Role.MANAGER, Role.ADMIN))]


def caller(request: Request) -> Principal | None:
    """A guide at the desk when a token is sent; the applicant's phone when none is."""
    if bearer(request) is None:
        return None
    who = principal_of(request)
    if who.role not in (Role.GUIDE, Role.ADMIN):
        raise ApiError(403, "forbidden", "该操作需要角色 guide / this needs the role: guide")
    return who


caller.token_optional = True  # type: ignore[attr-defined]  # the document: bearer or none
GuideOrPhone = Annotated[Principal | None, Depends(caller)]


@router.get("/home-visits/options")
def options(svc: VisitsDep) -> dict[str, Any]:
    """What a request may name: businesses, reasons, districts, the days one may ask
    for, the crews and their time windows."""
    return svc.options()


@router.post("/home-visits", status_code=201, responses=PHONE_PASS)
def request_visit(body: VisitIn, svc: VisitsDep, who: GuideOrPhone) -> dict[str, Any]:
    """上门服务 ask for a home visit: the phone with its pass, or a guide at the desk."""
    return svc.request(business=body.business, reason=body.reason,
                       reason_note=body.reason_note, name=body.name, district=body.district,
                       address=body.address, phone=body.phone,
                       preferred_days=body.preferred_days, note=body.note,
                       proof=body.phone_pass, desk=who is not None,
                       actor=who.actor if who else "phone")


@router.post("/home-visits/mine", responses=PHONE_PASS)
def mine(body: VisitProofIn, svc: VisitsDep) -> list[dict[str, Any]]:
    """The phone's own requests (masked): POST, so the phone never sits in a URL."""
    return svc.mine(body.phone or "", body.phone_pass)


@router.get("/home-visits")
def listing(svc: VisitsDep, _: Guide,
            status: Annotated[Literal["open", "scheduled", "closed", "all"],
                              Query()] = "open") -> list[dict[str, Any]]:
    """Requests for guides, masked: `open` waits for a crew (new, to reschedule, nobody
    home), `scheduled`, `closed` (done, refused, cancelled), `all`."""
    return svc.listing(status)


@router.get("/home-visits/day")
def day_list(svc: VisitsDep, _: Guide, day: Annotated[date, Query()],
             team: Annotated[str | None, Query(min_length=1, max_length=40)] = None
             ) -> dict[str, Any]:
    """The crew's day in route order (window, district, address), addresses and phones
    opened for the visits of that day only."""
    return svc.day_list(day, team)


@router.get("/home-visits/summary")
def summary(svc: VisitsDep, _: Figures,
            from_: Annotated[date, Query(alias="from")],
            to: Annotated[date, Query()]) -> dict[str, Any]:
    """Requests and visits in a period, by crew and outcome, each event counted in the
    period it happened; `open_at_end` is the backlog when the period ends."""
    return svc.summary(from_, to)


@router.post("/home-visits/{code}/schedule")
def schedule(code: str, body: VisitScheduleIn, svc: VisitsDep, who: Guide) -> dict[str, Any]:
    """Put a visit in a crew's time window on a working day; the applicant gets an SMS."""
    return svc.schedule(code, team=body.team, day=body.day, window=body.time_window,
                        actor=who.actor)


@router.post("/home-visits/{code}/outcome")
def outcome(code: str, body: VisitOutcomeIn, svc: VisitsDep, who: Guide) -> dict[str, Any]:
    """The crew's outcome: done, rescheduled, refused or nobody home."""
    return svc.outcome(code, body.outcome, body.note, who.actor)


@router.post("/home-visits/{code}/cancel", responses=PHONE_PASS)
def cancel(code: str, body: VisitProofIn, svc: VisitsDep, who: GuideOrPhone) -> dict[str, Any]:
    """Withdraw a request: the applicant's phone (its own only) or a guide."""
    return svc.cancel(code, phone=body.phone, proof=body.phone_pass, desk=who is not None,
                      actor=who.actor if who else "phone")
