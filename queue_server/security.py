"""Bearer tokens per role. Only a hash is stored; the token is shown once, when issued."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from queue_server.store.repository import Store


class Role(StrEnum):
    KIOSK = "kiosk"
    WINDOW = "window"
    GUIDE = "guide"
    ADMIN = "admin"
    DISPLAY = "display"
    REGISTRY = "registry"
    JUDICIAL = "judicial"  # court liaison: archive lookups with seizures, under its own token
    MANAGER = "manager"  # reports, work orders, call-backs
    PAD = "pad"  # the evaluation pad facing the applicant at one window
    PORTAL = "portal"  # the online service portal, booking on applicants' behalf
    ENTERPRISE = "enterprise"  # a developer's account: batch bookings of bulk businesses


# Roles whose token belongs to one window.
WINDOW_BOUND = frozenset({Role.WINDOW, Role.PAD})



@dataclass(frozen=True)
class Principal:
    token_id: str
    role: Role
    window: int | None
    name: str
    expires_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    @property
    def actor(self) -> str:
        """How the history names who did it."""
        label = f"{self.role.value}:{self.window}" if self.window else self.role.value
        return f"{label}:{self.name}" if self.name else f"{label}:{self.token_id}"

    @property
    def acting_window(self) -> int | None:
        """The window a window-role token is bound to; None for guides and admins."""
        return self.window if self.role is Role.WINDOW else None


def hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a plain hash is as strong as a slow one here.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenError(ValueError):
    pass


_LIFETIME = re.compile(r"^\s*(\d{1,5})\s*([dhm])\s*$")
MAX_LIFETIME = timedelta(days=3660)


def parse_lifetime(text: str) -> timedelta:
    """`30d`, `12h`, `90m`: how long a token works from its issue."""
    m = _LIFETIME.match(text.lower())
    if m is None:
        raise TokenError(f"有效期格式应为 30d、12h 或 90m / a lifetime is like 30d, 12h or 90m, "
                         f"not {text!r}")
    amount, unit = int(m.group(1)), m.group(2)
    span = {"d": timedelta(days=amount), "h": timedelta(hours=amount),
            "m": timedelta(minutes=amount)}[unit]
    if not timedelta(0) < span <= MAX_LIFETIME:
        raise TokenError("有效期须在 1 分钟到 10 年之间 / a lifetime is 1 minute to 10 years")
    return span


def issue_token(store: Store, role: str, window: int | None = None, name: str = "", *,
                expires_in: timedelta | None = None, actor: str = "",
                now: datetime | None = None) -> str:
    """`actor` names who issued it in the token audit (`cli:USER`, `admin:NAME`); when
    empty (tests, the demo start) the issue is audited as `system`."""
    try:
        r = Role(role)
    except ValueError:
        raise TokenError(f"未知角色 unknown role '{role}' (use: {', '.join(x.value for x in Role)})"
                         ) from None
    if r in WINDOW_BOUND and window is None:
        raise TokenError(f"{r.value} 角色需要 --window / the {r.value} role needs --window N")
    if r not in WINDOW_BOUND and window is not None:
        raise TokenError("只有 window、pad 角色绑定窗口 / only the window and pad roles take "
                         "--window")
    if r is Role.ENTERPRISE and not name.strip():
        raise TokenError("enterprise 角色需要 --name（企业名称或统一社会信用代码）/ the enterprise "
                         "role needs --name: the enterprise's name or credit code")
    token = "hq_" + secrets.token_urlsafe(32)
    at = now or datetime.now(UTC)
    token_id = secrets.token_hex(6)
    expires_at = at + expires_in if expires_in is not None else None
    store.add_token(token_id, hash_token(token), r.value, window, name, at,
                    expires_at=expires_at, actor=actor or "system",
                    detail=_detail(r.value, window, name, expires_at))
    return token


def _detail(role: str, window: int | None, name: str, expires_at: datetime | None
            ) -> dict[str, Any]:
    return {"role": role, "window": window, "name": name,
            "expires_at": expires_at.isoformat() if expires_at else None}


CACHE_SECONDS = 10.0  # a revoked token stops working within this long


class Authenticator:
    """Token → principal, remembered briefly: every request is authenticated, few tokens exist."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.clock = clock
        self._seen: dict[str, tuple[float, Principal | None]] = {}

    def __call__(self, token: str | None) -> Principal | None:
        if not token:
            return None
        digest = hash_token(token)
        now = self.clock()
        hit = self._seen.get(digest)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        principal = authenticate(self.store, token)
        if len(self._seen) > 10_000:  # forged tokens must not grow memory without bound
            self._seen.clear()
        self._seen[digest] = (now, principal)
        return principal

    def forget(self) -> None:
        self._seen.clear()


def authenticate(store: Store, token: str | None) -> Principal | None:
    if not token:
        return None
    row = store.token_by_hash(hash_token(token))
    if row is None:
        return None
    return Principal(row["id"], Role(row["role"]), row["window"], row["name"],
                     row.get("expires_at"))
