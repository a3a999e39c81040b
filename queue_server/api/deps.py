"""Request dependencies: the hall, the caller's identity, and role checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from queue_server.api.errors import ApiError
from queue_server.hall import Hall
from queue_server.security import Principal, Role
from queue_server.store.repository import Store


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
    if principal.expired(request.app.state.hall.clock()):
        raise ApiError(401, "token_expired",
                       "令牌已过期，请管理员重新签发 / this token has expired; an administrator "
                       "issues a new one")
    return principal


async def get_principal(request: Request) -> Principal:
    return principal_of(request)


# What the OpenAPI document reads to put the bearer scheme, 401 and 403 on a route
# (api/openapi.py): the roles a dependency admits, None for any role.
get_principal.token_roles = None  # type: ignore[attr-defined]


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

    check.token_roles = allowed  # type: ignore[attr-defined]
    return check


AnyRole = PrincipalDep
StaffOrKiosk = Annotated[Principal, Depends(require(Role.KIOSK, Role.GUIDE, Role.ADMIN))]
WindowStaff = Annotated[Principal, Depends(require(Role.WINDOW, Role.GUIDE, Role.ADMIN))]
Guide = Annotated[Principal, Depends(require(Role.GUIDE, Role.ADMIN))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
NotDisplay = Annotated[Principal, Depends(require(
    Role.KIOSK, Role.WINDOW, Role.GUIDE, Role.ADMIN, Role.REGISTRY))]


def address(request: Request) -> str:
    """The caller's network address, for limits per address (SMS codes, phone links).
    Behind a reverse proxy this is the proxy: the per-phone limits still hold there."""
    return request.client.host if request.client else "unknown"
