"""The staff register and who is signed in at each window.

Admins keep the register; a window's staff sign in there with their 工号 on top of the
window token, so the window's calls, services and evaluations name a person.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from queue_server.api import API_PREFIX
from queue_server.api.batching import in_hall, off_loop
from queue_server.api.deps import Admin, HallDep, WindowStaff, require
from queue_server.domain.staff import new_member
from queue_server.hall import Hall
from queue_server.security import Principal, Role
from queue_server.store.staff import StaffRegister, member_view
from queue_server.views import window_view

router = APIRouter(prefix=API_PREFIX, tags=["staff"])
Readers = Annotated[Principal, Depends(require(Role.ADMIN, Role.MANAGER, Role.GUIDE))]


class StaffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(min_length=1, max_length=16)
    name: str = Field(min_length=1, max_length=40)
    department: str = Field(default="", max_length=60)


class SignInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    staff: str = Field(min_length=1, max_length=16)


def register_of(request: Request) -> StaffRegister:
    return request.app.state.staff


@router.post("/staff", status_code=201)
async def add_staff(body: StaffIn, request: Request, hall: HallDep, _: Admin) -> JSONResponse:
    member = new_member(body.number, body.name, body.department, at=hall.clock())
    await off_loop(register_of(request).add, member)
    return JSONResponse(member_view(member), status_code=201)


@router.get("/staff")
async def list_staff(request: Request, hall: HallDep, _: Readers) -> list[dict[str, Any]]:
    members = await off_loop(register_of(request).all)
    on_duty = await in_hall(hall, _on_duty, hall)
    return [{**member_view(m), "window": on_duty.get(m.number)} for m in members]


def _on_duty(hall: Hall) -> dict[str, int]:
    return {w.staff: w.number for w in hall.state.windows.values() if w.staff}


async def _set_active(number: str, active: bool, request: Request, hall: Hall,
                      who: Principal) -> dict[str, Any]:
    member = await off_loop(register_of(request).set_active, number, active, hall.clock())
    if not active:  # a disabled number leaves the window it is signed in at
        def leave() -> None:
            for w in list(hall.state.windows.values()):
                if w.staff == member.number:
                    hall.run(lambda s, now, n=w.number: s.sign_out(
                        n, now, actor=who.actor, reason="disabled"))
        await in_hall(hall, leave)
    return member_view(member)


@router.post("/staff/{number}/disable")
async def disable_staff(number: str, request: Request, hall: HallDep, who: Admin
                        ) -> dict[str, Any]:
    return await _set_active(number, False, request, hall, who)


@router.post("/staff/{number}/enable")
async def enable_staff(number: str, request: Request, hall: HallDep, who: Admin
                       ) -> dict[str, Any]:
    return await _set_active(number, True, request, hall, who)


@router.post("/windows/{number}/sign-in")
async def sign_in(number: int, body: SignInIn, request: Request, hall: HallDep,
                  who: WindowStaff) -> dict[str, Any]:
    member = await off_loop(register_of(request).get, body.staff)

    def act() -> dict[str, Any]:
        hall.sign_in(number, member, actor=who.actor, acting_window=who.acting_window)
        return window_view(hall.state.window(number), hall.state)
    return await in_hall(hall, act)


@router.post("/windows/{number}/sign-out")
async def sign_out(number: int, hall: HallDep, who: WindowStaff) -> dict[str, Any]:
    def act() -> dict[str, Any]:
        hall.sign_out(number, actor=who.actor, acting_window=who.acting_window)
        return window_view(hall.state.window(number), hall.state)
    return await in_hall(hall, act)
