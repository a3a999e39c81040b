"""好差评: the five-level rating of each service a visit received, and which service a
rating is for.

A visit is one ticket, however many windows its journey passes; each window's service
in it (ended by 办结 or by 转下一环节) can be rated once. Nobody's rating is assumed: a
service without a row is not rated, and the figures count it so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from queue_server.domain.errors import IllegalTransition, InvalidInput

LEVELS: dict[int, tuple[str, str]] = {
    5: ("非常满意", "Very satisfied"),
    4: ("满意", "Satisfied"),
    3: ("基本满意", "Fairly satisfied"),
    2: ("不满意", "Dissatisfied"),
    1: ("非常不满意", "Very dissatisfied"),
}
SATISFIED_FROM = 4  # 满意 or better counts as satisfied
BAD_UP_TO = 2  # 不满意 and 非常不满意 are bad reviews: each opens a work order
DIMENSIONS: dict[str, tuple[str, str]] = {
    "efficiency": ("办事效率", "Efficiency"),
    "competence": ("业务水平", "Competence"),
    "attitude": ("服务态度", "Attitude"),
}
# The short list the pad offers after a bad rating (GB/T 39734 classifies bad reviews by
# cause: time, information, attitude, rules, systems).
REASONS: dict[str, tuple[str, str]] = {
    "slow": ("等候或办理时间太长", "Waited or took too long"),
    "unclear": ("告知不清、要多跑一次", "Not told clearly; must come again"),
    "attitude": ("服务态度不好", "Unfriendly service"),
    "rules": ("不按规定办理", "Not done by the rules"),
    "system": ("系统或设备故障", "System or device failure"),
    "other": ("其他", "Other"),
}
CHANNELS = ("pad", "kiosk", "phone")
COMMENT_MAX = 400
SERVICE_ENDS = ("ticket.completed", "ticket.forwarded")


def is_bad(rating: int) -> bool:
    return rating <= BAD_UP_TO


@dataclass(frozen=True)
class Rating:
    overall: int
    efficiency: int | None = None
    competence: int | None = None
    attitude: int | None = None
    reason: str | None = None
    comment: str = ""


def _level(value: object, what_zh: str, what_en: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in LEVELS:
        raise InvalidInput(f"{what_zh}应为 1 到 5 的评价等级", f"{what_en} is a level from 1 to 5",
                           code="invalid_rating")
    return value


def check_rating(overall: object, dimensions: Mapping[str, object] | None = None,
                 reason: str | None = None, comment: str = "") -> Rating:
    dims = dict(dimensions or {})
    unknown = set(dims) - set(DIMENSIONS)
    if unknown:
        raise InvalidInput(f"没有这个评价项：{'、'.join(sorted(unknown))}",
                           f"unknown dimension: {', '.join(sorted(unknown))}",
                           code="invalid_rating")
    scores = {k: _level(v, DIMENSIONS[k][0], DIMENSIONS[k][1])
              for k, v in dims.items() if v is not None}
    if reason is not None and reason not in REASONS:
        raise InvalidInput("请从列表中选择原因", f"unknown reason '{reason}'",
                           code="unknown_reason")
    text = " ".join(comment.split())
    if len(text) > COMMENT_MAX:
        raise InvalidInput(f"意见最多{COMMENT_MAX}字", f"a comment has at most {COMMENT_MAX} "
                           "characters", code="comment_too_long")
    return Rating(_level(overall, "总体评价", "the overall rating"), scores.get("efficiency"),
                  scores.get("competence"), scores.get("attitude"), reason, text)


@dataclass(frozen=True)
class Service:
    """One window's service to one visit, as the stored transitions record it."""

    ticket_id: str
    number: str
    day: date
    seq: int  # the event that ended it: what a rating is bound to
    window: int
    staff: str | None
    business: str
    ended_at: datetime


def services_of(ticket_id: str, number: str, day: date, history: Iterable[Mapping[str, Any]],
                ) -> list[Service]:
    """The services a ticket received, oldest first, from its stored history rows.

    The business served is the one the ticket was in when the service ended: a forward
    moves it to the next step only after.
    """
    out: list[Service] = []
    business = ""
    for row in history:
        data = row.get("data") or {}
        if row["type"] == "ticket.issued":
            business = data.get("business", business)
        if row["type"] in SERVICE_ENDS and row.get("window") is not None:
            served = data.get("business") or data.get("from") or business
            out.append(Service(ticket_id, number, day, row["seq"], row["window"],
                               row.get("staff"), served, row["at"]))
        if row["type"] in ("ticket.transferred", "ticket.forwarded"):
            business = data.get("to", business)
    return out


def choose_service(services: Sequence[Service], rated: Iterable[int], *,
                   window: int | None = None) -> Service:
    """The service a new rating is for: the newest at `window` (a pad rates only its own
    window's), else the newest not yet rated."""
    rated_seqs = set(rated)
    candidates = [s for s in services if window is None or s.window == window]
    if not candidates:
        where_zh = f"在 {window} 号窗口" if window is not None else ""
        where_en = f" at window {window}" if window is not None else ""
        raise IllegalTransition(f"这张号{where_zh}还没有办结，办结后才能评价",
                       f"this ticket has no finished service{where_en} to rate yet",
                       code="not_served")
    if window is not None:
        newest = candidates[-1]
        if newest.seq in rated_seqs:
            raise already_evaluated()
        return newest
    open_ = [s for s in candidates if s.seq not in rated_seqs]
    if not open_:
        raise already_evaluated()
    return open_[-1]


def already_evaluated() -> IllegalTransition:
    return IllegalTransition("这次服务已经评价过了，谢谢您", "this service has already been rated",
                             code="already_evaluated")
