"""Request dependencies: the hall, the caller's identity, and role checks."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Any, ParamSpec, TypeVar

from fastapi import Depends, Request

from queue_server.api.errors import ApiError
from queue_server.hall import Hall
from queue_server.security import Principal, Role
from queue_server.store.repository import Store

P = ParamSpec("P")
R = TypeVar("R")

async def in_hall(hall: Hall, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Run `fn` on the event loop in the hall's next batch; for anything touching hall state.

    Calls made while a batch waits join it, so concurrent requests share one commit
    (`Hall.run_many`); the answer comes only once that commit is done. Running on the
    loop itself costs no thread hop: the hall's work is in memory but for the commit.
    """
    batcher = _batchers.get(hall)
    if batcher is None:
        batcher = _batchers[hall] = _Batcher(hall)
    return await batcher.submit(partial(fn, *args, **kwargs))


async def off_loop(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Database work that is not a use case (tokens, history, reports), off the loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)


class _Batcher:
    def __init__(self, hall: Hall) -> None:
        self.hall = hall
        self.pending: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self.loop: asyncio.AbstractEventLoop | None = None

    def submit(self, call: Callable[[], Any]) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        if self.pending and self.loop is not loop:
            # Left by a loop that stopped before its flush ran (a server shut down, a test
            # client closed): nobody awaits them any more, and they must not block this one.
            self.pending = []
        future = loop.create_future()
        if not self.pending:
            # Runs after the callbacks already due, so requests that arrived together join.
            self.loop = loop
            loop.call_soon(self.flush)
        self.pending.append((call, future))
        return future

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        outcomes = self.hall.run_many([call for call, _ in batch])
        for (_, future), (value, error) in zip(batch, outcomes, strict=True):
            if future.cancelled():
                continue
            if error is None:
                future.set_result(value)
            else:
                future.set_exception(error)


_batchers: weakref.WeakKeyDictionary[Hall, _Batcher] = weakref.WeakKeyDictionary()


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


def principal_of(request: Request) -> Principal:
    principal = request.app.state.auth(bearer(request))
    if principal is None:
        raise ApiError(401, "unauthorized", "需要有效的令牌 / a valid bearer token is required")
    return principal


async def get_principal(request: Request) -> Principal:
    return principal_of(request)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    allowed = frozenset(roles)

    # One dependency, not one on top of `get_principal`: FastAPI's solving costs per level,
    # and these guard the busiest routes.
    async def check(request: Request) -> Principal:
        principal = principal_of(request)
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
