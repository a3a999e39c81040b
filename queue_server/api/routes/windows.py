"""Window actions: call next, pause/resume/open/close, re-skill; guides move queues."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from queue_server.api.deps import Guide, HallDep, WindowStaff
from queue_server.domain.windows import WindowStatus
from queue_server.views import window_view

router = APIRouter(tags=["windows"])


class ReskillIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    businesses: list[str] = Field(min_length=1, max_length=20)
    kind: Literal["front", "back"] | None = None


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(min_length=1, max_length=40)
    count: int = Field(ge=1, le=1000)


@router.post("/windows/{number}/call-next")
def call_next(number: int, hall: HallDep, who: WindowStaff) -> dict[str, Any]:
    t = hall.call_next(number, actor=who.actor, acting_window=who.acting_window)
    return {"ticket": hall.view(t) if t else None}


def _window(hall: Any, number: int) -> dict[str, Any]:
    with hall.lock:
        return window_view(hall.state.window(number), hall.state)


def _status_route(status: WindowStatus):  # type: ignore[no-untyped-def]
    def handler(number: int, hall: HallDep, who: WindowStaff) -> dict[str, Any]:
        hall.set_window_status(number, status, actor=who.actor, acting_window=who.acting_window)
        return _window(hall, number)
    return handler


for _path, _status in (("pause", WindowStatus.PAUSED), ("resume", WindowStatus.OPEN),
                       ("open", WindowStatus.OPEN), ("close", WindowStatus.CLOSED)):
    router.add_api_route(f"/windows/{{number}}/{_path}", _status_route(_status), methods=["POST"],
                         name=f"window_{_path}")


@router.get("/windows/{number}")
def get_window(number: int, hall: HallDep, _: WindowStaff) -> dict[str, Any]:
    return _window(hall, number)


@router.put("/windows/{number}/businesses")
def reskill(number: int, body: ReskillIn, hall: HallDep, who: Guide) -> dict[str, Any]:
    """A guide changes which businesses a window serves, in priority order."""
    hall.reskill(number, body.businesses, actor=who.actor, kind=body.kind)
    return _window(hall, number)


@router.post("/queues/{business}/move")
def move_waiting(business: str, body: MoveIn, hall: HallDep, who: Guide) -> dict[str, Any]:
    """A guide moves the longest-waiting tickets of one business to another."""
    moved = hall.move_waiting(business, body.to, body.count, actor=who.actor)
    return {"moved": [hall.view(t) for t in moved]}
