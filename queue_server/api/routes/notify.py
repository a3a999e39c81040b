"""Silent calling sign-up at the kiosk, and the outbox for administrators."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from queue_server.api import API_PREFIX
from queue_server.api.deps import Admin, HallDep, StaffOrKiosk
from queue_server.api.errors import ApiError
from queue_server.api.routes.cases import RecordsDep
from queue_server.api.routes.tickets import reachable
from queue_server.domain.tickets import Status
from queue_server.notify import outbox
from queue_server.notify.outbox import STATUS_NAMES, OutboxStatus
from queue_server.notify.phone import mask_phone, normalise_phone

router = APIRouter(prefix=API_PREFIX, tags=["notify"])


class WatchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str = Field(min_length=1, max_length=24)
    places: int | None = Field(default=None, ge=0, le=50)


@router.post("/tickets/{ticket_id}/notify")
def watch_ticket(ticket_id: str, body: WatchBody, request: Request, response: Response,
                 hall: HallDep, records: RecordsDep, who: StaffOrKiosk) -> dict[str, Any]:
    """静默叫号 An SMS when the ticket is within `places` of being called, and when it is.
    A kiosk signs up only a ticket it has just issued (the applicant in front of it)."""
    if "sms" not in records.notifier.composer.channels:
        raise ApiError(409, "sms_disabled", "本厅未开通短信提醒 / this hall sends no SMS")
    phone = normalise_phone(body.phone)
    reachable(hall, hall.ticket(ticket_id), who, request)
    with hall.lock:
        t = hall.state.tickets.get(ticket_id)  # today's live state, not a stored copy
        if t is None or t.status is not Status.WAITING:
            raise ApiError(409, "not_waiting",
                           "该号已不在等候中，无需短信提醒 / the ticket is no longer waiting")
        ahead = hall.state.people_ahead(t)
    places = body.places if body.places is not None else records.notify_config.default_places
    result = records.notifier.watch_ticket(ticket_id=ticket_id, day=t.day, phone=phone,
                                           phone_masked=mask_phone(phone), places=places)
    response.status_code = 201 if result.pop("created") else 200
    return {**result, "number": t.number, "waiting_ahead": ahead}


@router.get("/notify/outbox")
def list_outbox(records: RecordsDep, _: Admin,
                status: Annotated[OutboxStatus | None, Query()] = None,
                limit: Annotated[int, Query(ge=1, le=2000)] = 200) -> list[dict[str, Any]]:
    """Messages, newest first, recipients masked."""
    with records.notifier.engine.connect() as conn:
        rows = outbox.listing(conn, status, limit)
    return [{**r, "status_name": STATUS_NAMES[OutboxStatus(r["status"])],
             **{k: r[k].isoformat() if r[k] else None
                for k in ("next_attempt_at", "sent_at", "created_at")}} for r in rows]


@router.post("/notify/outbox/{key}/retry")
def retry(key: str, records: RecordsDep, _: Admin) -> dict[str, Any]:
    """Send a failed or uncertain message again: an administrator's decision, since an
    uncertain one may already have reached the applicant."""
    with records.notifier.engine.begin() as conn:
        if not outbox.requeue(conn, key, records.notifier.clock()):
            raise ApiError(404, "not_found",
                           "没有这条失败或状态不明的消息 / no failed or uncertain message with this id")
    records.notifier.poke()
    return {"id": key, "status": OutboxStatus.PENDING.value}
