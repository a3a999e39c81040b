"""Window actions: call next, pause/resume/open/close, re-skill; guides move queues."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from queue_server.api import API_PREFIX
from queue_server.api.batching import in_hall
from queue_server.api.deps import Guide, HallDep, WindowStaff
from queue_server.api.responses import Json
from queue_server.domain.windows import WindowStatus
from queue_server.hall import Hall
from queue_server.security import Principal
from queue_server.views import window_view

router = APIRouter(prefix=API_PREFIX, tags=["windows"])
hot = APIRouter(prefix=API_PREFIX, tags=["windows"])  # call-next, matched first (see tickets.hot)


class ReskillIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    businesses: list[str] = Field(min_length=1, max_length=20)
    kind: Literal["front", "back"] | None = None


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(min_length=1, max_length=40)
    count: int = Field(ge=1, le=1000)


@hot.post("/windows/{number}/call-next", response_class=Json)
async def call_next(number: int, request: Request, who: WindowStaff) -> Json:
    hall = request.app.state.hall  # not a dependency: each one costs every request
    return Json(await in_hall(hall, _call_next, hall, number, who))


def _call_next(hall: Hall, number: int, who: Principal) -> dict[str, Any]:
    t = hall.call_next(number, actor=who.actor, acting_window=who.acting_window)
    return {"ticket": hall.view(t) if t else None}


def _window(hall: Hall, number: int) -> dict[str, Any]:
    with hall.lock:
        return window_view(hall.state.window(number), hall.state)


def _status_route(status: WindowStatus):  # type: ignore[no-untyped-def]
    async def handler(number: int, hall: HallDep, who: WindowStaff) -> dict[str, Any]:
        def act() -> dict[str, Any]:
            hall.set_window_status(number, status, actor=who.actor,
                                   acting_window=who.acting_window)
            return _window(hall, number)
        return await in_hall(hall, act)
    return handler


for _path, _status in (("pause", WindowStatus.PAUSED), ("resume", WindowStatus.OPEN),
                       ("open", WindowStatus.OPEN), ("close", WindowStatus.CLOSED)):
    router.add_api_route(f"/windows/{{number}}/{_path}", _status_route(_status), methods=["POST"],
                         name=f"window_{_path}")


@router.get("/windows/{number}/queue", response_class=Json)
async def window_queue(number: int, hall: HallDep, _: WindowStaff) -> Json:
    """The tickets this window may call, in the order call-next takes them, and its parked ones."""
    return Json(await in_hall(hall, hall.window_queue, number))


@router.get("/windows/{number}")
async def get_window(number: int, hall: HallDep, _: WindowStaff) -> dict[str, Any]:
    return await in_hall(hall, _window, hall, number)


@router.put("/windows/{number}/businesses")
async def reskill(number: int, body: ReskillIn, hall: HallDep, who: Guide) -> dict[str, Any]:
    """A guide changes which businesses a window serves, in priority order."""
    def act() -> dict[str, Any]:
        hall.reskill(number, body.businesses, actor=who.actor, kind=body.kind)
        return _window(hall, number)
    return await in_hall(hall, act)


@router.post("/queues/{business}/move")
async def move_waiting(business: str, body: MoveIn, hall: HallDep, who: Guide) -> dict[str, Any]:
    """A guide moves the longest-waiting tickets of one business to another."""
    return {"moved": await in_hall(hall, lambda: [
        hall.view(t) for t in hall.move_waiting(business, body.to, body.count, actor=who.actor)])}
