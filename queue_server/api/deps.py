"""Request dependencies: the hall, the caller's identity, and role checks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Annotated, ParamSpec, TypeVar

from fastapi import Depends, Request

from queue_server.api.errors import ApiError
from queue_server.hall import Hall
from queue_server.security import Principal, Role
from queue_server.store.repository import Store

P = ParamSpec("P")
R = TypeVar("R")

# Every use case runs on this one thread: they are serialised anyway (the hall's lock),
# a database commit never blocks the event loop that feeds the displays, and a request
# costs one thread hop instead of one per dependency.
_HALL_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hallq-hall")


async def in_hall(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    return await asyncio.get_running_loop().run_in_executor(
        _HALL_THREAD, partial(fn, *args, **kwargs))


async def get_hall(request: Request) -> Hall:
    return request.app.state.hall


async def get_store(request: Request) -> Store:
    return request.app.state.store


HallDep = Annotated[Hall, Depends(get_hall)]
StoreDep = Annotated[Store, Depends(get_store)]


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.query_params.get("token")


async def get_principal(request: Request) -> Principal:
    principal = request.app.state.auth(bearer(request))
    if principal is None:
        raise ApiError(401, "unauthorized", "需要有效的令牌 / a valid bearer token is required")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(*roles: Role) -> Callable[[Principal], Principal]:
    allowed = frozenset(roles)

    async def check(principal: PrincipalDep) -> Principal:
        if principal.role not in allowed:
            names = "、".join(r.value for r in roles)
            raise ApiError(403, "forbidden", f"该操作需要角色 {names} / this needs the role: {names}")
        return principal

    return check


AnyRole = PrincipalDep
StaffOrKiosk = Annotated[Principal, Depends(require(Role.KIOSK, Role.GUIDE, Role.ADMIN))]
WindowStaff = Annotated[Principal, Depends(require(Role.WINDOW, Role.GUIDE, Role.ADMIN))]
Guide = Annotated[Principal, Depends(require(Role.GUIDE, Role.ADMIN))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
NotDisplay = Annotated[Principal, Depends(require(
    Role.KIOSK, Role.WINDOW, Role.GUIDE, Role.ADMIN, Role.REGISTRY))]
