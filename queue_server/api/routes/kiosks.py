"""Kiosks report how they are (devices, faults); guides see every kiosk at a glance.

Live status, not history: kept in memory on `app.state`, so a restart forgets it and the
kiosks fill it again within one report interval. A kiosk that stops reporting is shown as
stale rather than dropped, because a kiosk that went silent is exactly what a guide must
go and look at.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from queue_server.api import API_PREFIX
from queue_server.api.boards import DeviceBoard
from queue_server.api.deps import Guide, require
from queue_server.api.errors import ApiError
from queue_server.security import Principal, Role

router = APIRouter(prefix=API_PREFIX, tags=["kiosks"])

MAX_KIOSKS = 500  # a hall has a handful; the bound keeps a misbehaving client from growing memory

KioskRole = Annotated[Principal, Depends(require(Role.KIOSK))]
KioskName = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeviceHealthIn(Strict):
    device: str = Field(min_length=1, max_length=20)
    state: Literal["ok", "degraded", "failed"]
    reason: str = Field(default="", max_length=400)


class KioskHealthIn(Strict):
    devices: list[DeviceHealthIn] = Field(default_factory=list, max_length=10)
    faults: list[Annotated[str, Field(max_length=20)]] = Field(default_factory=list, max_length=10)
    screen: str = Field(default="", max_length=32)
    version: str = Field(default="", max_length=40)
    counters: dict[Annotated[str, Field(max_length=40)], int] = Field(default_factory=dict,
                                                                       max_length=20)


def kiosk_state(report: dict[str, Any]) -> str:
    states = [d["state"] for d in report["devices"]]
    return ("failed" if "failed" in states or report["faults"] else
            "degraded" if "degraded" in states else "ok")


def kiosk_board(clock: Callable[[], datetime]) -> DeviceBoard:
    """The latest report of every kiosk."""
    return DeviceBoard(clock, limit=MAX_KIOSKS, code="too_many_kiosks",
                       message="自助机数量超过上限 / too many kiosks", state_of=kiosk_state)


def board(request: Request) -> DeviceBoard:
    return request.app.state.kiosks  # type: ignore[no-any-return]


@router.post("/kiosks/{name}/health", status_code=204)
def report_health(name: KioskName, body: KioskHealthIn, request: Request,
                  who: KioskRole) -> None:
    # A named kiosk token speaks only for its own kiosk; an unnamed one for any.
    if who.name and who.name != name:
        raise ApiError(403, "wrong_kiosk",
                       f"该令牌属于自助机 {who.name} / this token belongs to kiosk {who.name}")
    board(request).put(name, body.model_dump())


@router.get("/kiosks")
def kiosks(request: Request, _: Guide) -> list[dict[str, Any]]:
    return board(request).view()
