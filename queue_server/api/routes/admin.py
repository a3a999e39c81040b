"""Administration: tokens and the daily reports."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from queue_server.api.batching import off_loop
from queue_server.api.deps import Admin, Guide, HallDep, StoreDep
from queue_server.api.errors import ApiError
from queue_server.security import TokenError, issue_token

router = APIRouter(tags=["admin"])


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str = Field(min_length=1, max_length=16)
    window: int | None = Field(default=None, ge=1, le=9999)
    name: str = Field(default="", max_length=80)


@router.post("/tokens", status_code=201)
async def create_token(body: TokenIn, store: StoreDep, _: Admin) -> dict[str, str]:
    try:
        return {"token": await off_loop(issue_token, store, body.role, body.window, body.name)}
    except TokenError as exc:
        raise ApiError(422, "invalid_input", str(exc)) from None


@router.get("/tokens")
async def list_tokens(store: StoreDep, _: Admin) -> list[dict[str, Any]]:
    return [{**t, "created_at": t["created_at"].isoformat(),
             "revoked_at": t["revoked_at"].isoformat() if t["revoked_at"] else None}
            for t in await off_loop(store.list_tokens)]


@router.delete("/tokens/{token_id}")
async def revoke_token(token_id: str, request: Request, store: StoreDep, hall: HallDep,
                       _: Admin) -> dict[str, bool]:
    if not await off_loop(store.revoke_token, token_id, hall.clock()):
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
