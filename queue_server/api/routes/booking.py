"""预约 booking: slots with places left, the one-time SMS code, booking, cancelling and
rebooking, for the applicant's phone (no token: the SMS code proves the phone) and the
government's online service portal (role `portal`, on the applicant's behalf)."""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from queue_server.api import API_PREFIX
from queue_server.api.batching import in_hall, off_loop
from queue_server.api.deps import Guide, HallDep, address, bearer, principal_of, require
from queue_server.api.errors import ApiError
from queue_server.api.schemas import PHONE_PASS, RATE_LIMITED
from queue_server.api.temporal import Day, Moment
from queue_server.bookings import Bookings
from queue_server.domain.slips import check_appointment
from queue_server.security import Principal, Role

# Every booking route first needs the hall to take bookings (404 booking_unavailable), and a
# slip or code may name a booking since cancelled (409): refusals of GETs too.
router = APIRouter(prefix=API_PREFIX, tags=["booking"], responses={
    404: {"description": "本大厅未开通预约，或所指预约不存在 / this hall takes no bookings, or "
                         "no such booking"},
    409: {"description": "预约规则不允许（已取消、已满、不可预约） / the booking rules refuse "
                         "this (cancelled, full, not bookable)"}})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CodeIn(Strict):
    phone: str = Field(min_length=1, max_length=24)


class VerifyIn(Strict):
    phone: str = Field(min_length=1, max_length=24)
    code: str = Field(min_length=1, max_length=12)


class BookIn(Strict):
    business: str = Field(min_length=1, max_length=40)
    slot_start: Moment
    id_number: str = Field(min_length=1, max_length=32)
    phone: str = Field(min_length=1, max_length=24)
    phone_pass: str | None = Field(default=None, max_length=200,
                                   description="from POST /booking/verify; the portal sends none")


class ProofIn(Strict):
    phone: str | None = Field(default=None, max_length=24)
    phone_pass: str | None = Field(default=None, max_length=200)


class RebookIn(ProofIn):
    slot_start: Moment


class BatchIn(Strict):
    business: str = Field(min_length=1, max_length=40)
    slot_from: Moment = Field(description="the range's first slot start (inclusive)")
    slot_to: Moment = Field(description="the range's end: slots starting before it")
    phone: str = Field(min_length=1, max_length=24,
                       description="the enterprise's contact for these bookings")
    cases: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        min_length=1, max_length=1000, description="受理号/合同号 the cases to book, one each")


def bookings_of(request: Request) -> Bookings:
    return request.app.state.bookings


BookingsDep = Annotated[Bookings, Depends(bookings_of)]
Portal = Annotated[Principal, Depends(require(Role.PORTAL, Role.GUIDE, Role.ADMIN))]
Enterprise = Annotated[Principal, Depends(require(Role.ENTERPRISE))]
Figures = Annotated[Principal, Depends(require(Role.GUIDE, Role.MANAGER, Role.ADMIN))]


def caller(request: Request) -> Principal | None:
    """The portal (or staff) when a token is sent; the applicant's phone when none is."""
    if bearer(request) is None:
        return None
    who = principal_of(request)
    if who.role not in (Role.PORTAL, Role.GUIDE, Role.ADMIN):
        raise ApiError(403, "forbidden", "该操作需要角色 portal / this needs the role: portal")
    return who


caller.token_optional = True  # type: ignore[attr-defined]  # the document: bearer or none
PortalOrPhone = Annotated[Principal | None, Depends(caller)]


@router.get("/booking/businesses")
def businesses(request: Request, svc: BookingsDep) -> dict[str, Any]:
    """The businesses one may book, each with the catalogue's items and their one-time
    materials lists (一次性告知), and the days open for booking."""
    items: dict[str, list[dict[str, Any]]] = {}
    for cat in request.app.state.catalogue_view["categories"]:
        for item in cat["items"]:
            items.setdefault(item["business"], []).append(
                {k: item[k] for k in ("code", "name", "name_en", "materials", "materials_en",
                                      "note", "note_en", "time_limit_days")})
    return {"businesses": [{**b, "items": items.get(b["code"], [])}
                           for b in svc.businesses()]}


@router.get("/booking/slots")
def slots(svc: BookingsDep, business: Annotated[str, Query(min_length=1, max_length=40)],
          day: Annotated[Day, Query()]) -> dict[str, Any]:
    """One business's slots on one day, with places left and whether each can be booked."""
    return svc.slots(business, day)


@router.post("/booking/sms-code", status_code=201, responses=RATE_LIMITED)
def send_code(body: CodeIn, request: Request, svc: BookingsDep) -> dict[str, Any]:
    """A one-time code by SMS (through the outbox), rate limited per phone and address."""
    return svc.send_code(body.phone, address(request))


@router.post("/booking/verify", responses=RATE_LIMITED)
def verify(body: VerifyIn, svc: BookingsDep) -> dict[str, Any]:
    """The code proves the phone: a pass for the next half hour's requests."""
    return svc.verify(body.phone, body.code)


@router.post("/bookings", status_code=201, responses=PHONE_PASS)
def book(body: BookIn, svc: BookingsDep, who: PortalOrPhone) -> dict[str, Any]:
    """预约 book a slot: the phone with its pass, or the portal on the applicant's behalf."""
    return svc.book(body.business, body.slot_start, body.id_number, body.phone,
                    proof=body.phone_pass, portal=who is not None,
                    actor=who.actor if who else "phone")


@router.get("/bookings")
def list_bookings(svc: BookingsDep, _: Portal,
                  id_number: Annotated[str, Query(min_length=1, max_length=32)]
                  ) -> list[dict[str, Any]]:
    """An applicant's bookings (the portal's "my bookings"), the last 90 days and on."""
    return svc.of_id(id_number)


@router.post("/booking/mine", responses=PHONE_PASS)
def mine(body: ProofIn, svc: BookingsDep) -> list[dict[str, Any]]:
    """The phone's bookings from today on: POST, so the phone never sits in a URL."""
    return svc.mine(body.phone or "", body.phone_pass)


@router.get("/booking/slip")
def by_slip(svc: BookingsDep, text: Annotated[str, Query(min_length=1, max_length=200)]
            ) -> dict[str, Any]:
    """What the SMS link's slip books, and whether it still stands (masked data only)."""
    return svc.by_slip(text)


@router.post("/bookings/{code}", responses=PHONE_PASS)
def find(code: str, body: ProofIn, svc: BookingsDep, who: PortalOrPhone) -> dict[str, Any]:
    """One booking by its code, with the phone's pass (the portal: its token)."""
    return svc.find(code, body.phone, body.phone_pass, portal=who is not None)


@router.post("/bookings/{code}/cancel", responses=PHONE_PASS)
def cancel(code: str, body: ProofIn, svc: BookingsDep, who: PortalOrPhone) -> dict[str, Any]:
    return svc.cancel(code, body.phone, body.phone_pass, portal=who is not None)


@router.post("/bookings/{code}/rebook", status_code=201, responses=PHONE_PASS)
def rebook(code: str, body: RebookIn, svc: BookingsDep, who: PortalOrPhone) -> dict[str, Any]:
    """改约 move to another slot of the same business: one commit, the old place is kept
    if the new one cannot be had."""
    return svc.rebook(code, body.slot_start, body.phone, body.phone_pass,
                      portal=who is not None, actor=who.actor if who else "phone")


@router.get("/booking/day")
def day_figures(svc: BookingsDep, _: Figures,
                day: Annotated[Day | None, Query(description="default: today")] = None
                ) -> dict[str, Any]:
    """今日预约 the day's bookings, check-ins (by hand among them) and no-shows, in total
    and per business: the guide console's and the manager's figures."""
    return svc.day_figures(day)


@router.post("/booking/batches", status_code=201)
def book_batch(body: BatchIn, svc: BookingsDep, who: Enterprise) -> dict[str, Any]:
    """批量预约 a developer's bulk business (双预告, 期转现, 房地首登): many cases over one
    slot range, earliest slots first, all or none; the enterprise account is the token's
    name."""
    return svc.book_batch(body.business, body.slot_from, body.slot_to, body.cases,
                          body.phone, who.name)


@router.get("/booking/batches/{batch}")
def batch_of(batch: str, svc: BookingsDep, who: Enterprise) -> dict[str, Any]:
    """One of this enterprise's batches, with every booking's slip and status."""
    return svc.batch_of(batch, who.name)


@router.post("/bookings/{code}/check-in", status_code=201)
async def hand_check_in(code: str, request: Request, svc: BookingsDep, hall: HallDep,
                        who: Guide) -> dict[str, Any]:
    """引导员手工签到 a guide checks a booking in by its code (the slip cannot be scanned):
    a ticket with the booking's head start, the check-in recorded on the booking with
    the guide's name, as the kiosk's is."""
    from queue_server.api.routes.tickets import follow_url

    row, appointment = await off_loop(svc.hand_check_in, code)
    ticket = await in_hall(hall, lambda: hall.view(hall.issue(
        row["business"], actor=who.actor, appointment=appointment, channel="guide",
        issued_by=who.token_id)))
    await off_loop(svc.checked_in, row["code"], ticket["id"], who.actor)
    ticket["follow_url"] = follow_url(request, ticket["id"])
    booking = await off_loop(svc.find, row["code"], None, None, portal=True)
    return {"booking": booking, "ticket": ticket}


@router.get("/booking/slip.svg", response_class=Response)
def slip_image(request: Request, svc: BookingsDep,
               text: Annotated[str, Query(min_length=1, max_length=200)]) -> Response:
    """The slip as a QR image for the phone's screen: only slips this hall signed, so it
    is no QR service for anything else."""
    check_appointment(text, svc.slip_key, svc.layout.hall.timezone)
    import qrcode  # only when a slip is drawn: kept out of the server's start-up
    import qrcode.image.svg

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2,
                         image_factory=qrcode.image.svg.SvgPathFillImage)
    code.add_data(text)
    out = io.BytesIO()
    code.make_image().save(out)
    return Response(out.getvalue(), media_type="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=86400"})
