"""Kiosks report how they are (devices, faults); guides see every kiosk at a glance.

Live status, not history: kept in memory on `app.state`, so a restart forgets it and the
kiosks fill it again within one report interval. A kiosk that stops reporting is shown as
stale rather than dropped, because a kiosk that went silent is exactly what a guide must
go and look at.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from queue_server.api.deps import Guide, require
from queue_server.api.errors import ApiError
from queue_server.security import Principal, Role

router = APIRouter(tags=["kiosks"])

STALE_SECONDS = 120.0  # kiosks report every 30 s; four missed reports make one stale
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


class KioskBoard:
    """The latest report of every kiosk, with the time it came in.

    On the hall's clock, the one its day and its tickets run on: a test that moves the
    hall's time moves the kiosks' ages with it.
    """

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.lock = threading.Lock()
        self.reports: dict[str, tuple[datetime, dict[str, Any]]] = {}

    def put(self, name: str, report: dict[str, Any]) -> None:
        with self.lock:
            if name not in self.reports and len(self.reports) >= MAX_KIOSKS:
                raise ApiError(409, "too_many_kiosks", "自助机数量超过上限 / too many kiosks")
            self.reports[name] = (self.clock(), report)

    def view(self) -> list[dict[str, Any]]:
        now = self.clock()
        with self.lock:
            items = sorted(self.reports.items())
        out = []
        for name, (at, report) in items:
            age = max(0.0, (now - at).total_seconds())  # a clock set back is not a negative age
            states = [d["state"] for d in report["devices"]]
            worst = ("failed" if "failed" in states or report["faults"] else
                     "degraded" if "degraded" in states else "ok")
            out.append({"name": name, **report, "state": "stale" if age > STALE_SECONDS else worst,
                        "age_seconds": round(age, 1), "stale": age > STALE_SECONDS})
        return out


def board(request: Request) -> KioskBoard:
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
