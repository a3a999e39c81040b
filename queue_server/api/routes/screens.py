"""Hall screens report whether they can be heard; guides see the silent ones at a glance.

Issue 15: browsers refuse sound until someone taps the page, so after every reload a hall
screen was silent, and one nobody tapped skipped 50 announcements. Each screen reports
its audio state (on load, on every change, and every 30 s); the guide console lists the
screens like it lists kiosks, silent or gone-quiet ones first. Live status in memory on
`app.state`, as for kiosks: a restart forgets it and the screens fill it again.
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
from queue_server.security import Principal, Role

router = APIRouter(prefix=API_PREFIX, tags=["screens"])

MAX_SCREENS = 200  # a hall has a few; the bound keeps a misbehaving client from growing memory

ScreenRole = Annotated[Principal, Depends(require(Role.DISPLAY, Role.GUIDE, Role.ADMIN))]
ScreenName = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$")]


class ScreenAudioIn(BaseModel):
    # strict: JSON's own types, as the document says (not 1 for true, nor false for 0)
    model_config = ConfigDict(extra="forbid", strict=True)

    audible: bool  # the page may play sound (someone tapped, or an autoplay browser)
    mode: Literal["server", "browser", "off"]
    missed: int = Field(default=0, ge=0, le=1_000_000)  # calls not said while silent
    zone: str = Field(default="", max_length=40)  # "" for the main hall screen


def screen_state(report: dict[str, Any]) -> str:
    return "off" if report["mode"] == "off" else "ok" if report["audible"] else "silent"


def screen_board(clock: Callable[[], datetime]) -> DeviceBoard:
    """The latest report of every hall screen."""
    return DeviceBoard(clock, limit=MAX_SCREENS, code="too_many_screens",
                       message="叫号屏数量超过上限 / too many screens", state_of=screen_state)


def board(request: Request) -> DeviceBoard:
    return request.app.state.screens  # type: ignore[no-any-return]


@router.post("/screens/{name}/audio", status_code=204)
def report_audio(name: ScreenName, body: ScreenAudioIn, request: Request, _: ScreenRole) -> None:
    board(request).put(name, body.model_dump())


@router.get("/screens")
def screens(request: Request, _: Guide) -> list[dict[str, Any]]:
    return board(request).view()
