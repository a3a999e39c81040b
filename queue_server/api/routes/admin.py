"""Administration: tokens and the daily reports."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from queue_server.api import API_PREFIX
from queue_server.api.batching import off_loop
from queue_server.api.deps import Admin, Guide, HallDep, StoreDep
from queue_server.api.errors import ApiError
from queue_server.security import TokenError, issue_token, parse_lifetime

router = APIRouter(prefix=API_PREFIX, tags=["admin"])


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str = Field(min_length=1, max_length=16)
    window: int | None = Field(default=None, ge=1, le=9999)
    name: str = Field(default="", max_length=80)
    expires: str | None = Field(default=None, max_length=8,
                                description="how long it works: `30d`, `12h`, `90m`; "
                                            "none: until revoked")


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


@router.post("/tokens", status_code=201)
async def create_token(body: TokenIn, store: StoreDep, hall: HallDep, who: Admin
                       ) -> dict[str, str | None]:
    try:
        lifetime = parse_lifetime(body.expires) if body.expires else None
        now = hall.clock()
        token = await off_loop(lambda: issue_token(
            store, body.role, body.window, body.name, expires_in=lifetime, actor=who.actor,
            now=now))
    except TokenError as exc:
        raise ApiError(422, "invalid_input", str(exc)) from None
    return {"token": token, "expires_at": _iso(now + lifetime if lifetime else None)}


@router.get("/tokens")
async def list_tokens(store: StoreDep, hall: HallDep, who: Admin) -> list[dict[str, Any]]:
    now = hall.clock()
    rows = await off_loop(lambda: store.list_tokens(actor=who.actor, at=now))
    return [{**t, "created_at": t["created_at"].isoformat(), "revoked_at": _iso(t["revoked_at"]),
             "expires_at": _iso(t["expires_at"]),
             "expired": t["expires_at"] is not None and now >= t["expires_at"]} for t in rows]


@router.get("/tokens/audit")
async def token_audit(store: StoreDep, _: Admin,
                      after_seq: Annotated[int, Query(ge=0, le=2**62)] = 0,
                      limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[dict[str, Any]]:
    """令牌审计 Who issued, revoked or listed tokens, and when; oldest first."""
    return [{**r, "at": r["at"].isoformat()}
            for r in await off_loop(lambda: store.token_audit(after_seq=after_seq, limit=limit))]


@router.delete("/tokens/{token_id}")
async def revoke_token(token_id: str, request: Request, store: StoreDep, hall: HallDep,
                       who: Admin) -> dict[str, bool]:
    if not await off_loop(lambda: store.revoke_token(token_id, hall.clock(), actor=who.actor)):
        raise ApiError(404, "not_found", "没有这个令牌 / no such active token")
    request.app.state.auth.forget()  # revoked through the API: effective at once
    return {"revoked": True}



@router.get("/reports/{day}")
async def day_report(day: date, store: StoreDep, _: Guide) -> dict[str, Any]:
    """A closed day's figures per business (issued, done, no-show, abandoned, waits)."""
    report = await off_loop(store.day_report, day)
    if report is None:
        raise ApiError(404, "not_found", f"{day} 尚无日报 / no report for {day}: the day is not closed")
    return report
