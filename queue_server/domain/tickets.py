"""Tickets: states, legal transitions, numbering and the business day."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from queue_server.domain.errors import IllegalTransition
from queue_server.domain.layout import Priority


class Status(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


OPEN_STATUSES = frozenset({Status.WAITING, Status.CALLED, Status.SERVING})
AT_WINDOW = frozenset({Status.CALLED, Status.SERVING})

STATUS_ZH = {
    Status.WAITING: "等候中",
    Status.CALLED: "已叫号",
    Status.SERVING: "办理中",
    Status.DONE: "已办结",
    Status.NO_SHOW: "过号",
    Status.CANCELLED: "已取消",
}


@dataclass(frozen=True)
class Ticket:
    id: str
    day: date
    number: str
    business: str
    status: Status
    priority: Priority
    issued_at: datetime
    # Its place in the queue counts from here: the issue time, kept across transfers and
    # journey steps so an applicant who is sent on is never sent to the back.
    queued_at: datetime
    origin_business: str
    window: int | None = None
    parked: bool = False  # waiting, held for the window that parked it (call back)
    recalls: int = 0
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    journey: str | None = None
    journey_step: int = 0
    id_hash: str | None = None
    id_masked: str | None = None
    name_masked: str | None = None
    priority_reason: str | None = None  # "age", "disability", "guide", "appointment", ...
    closed_reason: str | None = None  # "abandoned" when the daily clear closed it
    channel: str = "kiosk"
    # The caller's key for the request that issued it: the same request again (its answer
    # was lost) gets this ticket back instead of a second one.
    request_key: str | None = None
    # The booking it checked in (the slip's code): a booking checks in once a day.
    appointment_code: str | None = None
    # The token that issued it: a kiosk sees and acts on the tickets it issued, only.
    issued_by: str | None = None
    # Why a guide issued it past a daily cap or per-ID limit (recorded, shown to guides).
    override_reason: str | None = None
    # 预审: the catalogue item a guide checked the applicant's materials against before
    # issuing (the windows see it; the figures compare refusal rates with and without).
    precheck_item: str | None = None
    # The 不予受理告知单 this visit follows up (its number), named at the desk or kiosk:
    # the notice finds its next visit even when no ID card was read.
    follows_notice: str | None = None

    def moved(self, **changes: object) -> Ticket:
        return replace(self, **changes)


def holds_place(t: Ticket) -> bool:
    """Does the ticket use up a number of its business's daily cap and one of the
    applicant's tickets of the day? Not when it was cancelled before it was ever called
    (nobody was served, nobody was kept waiting for it): that place is given back. A
    ticket that has been at a window, or was moved to another queue, keeps its place."""
    return not (t.status is Status.CANCELLED and t.called_at is None and t.recalls == 0
                and t.business == t.origin_business and t.journey_step == 0)


def require(ticket: Ticket, allowed: frozenset[Status] | set[Status], action_zh: str,
            action_en: str) -> None:
    if ticket.status not in allowed:
        raise IllegalTransition(
            f"{ticket.number} 当前为「{STATUS_ZH[ticket.status]}」，不能{action_zh}",
            f"ticket {ticket.number} is {ticket.status.value}; it cannot be {action_en}",
        )


def format_number(prefix: str, seq: int, width: int) -> str:
    return f"{prefix}{seq:0{width}d}"


def business_day(at: datetime, tz: ZoneInfo, clear_time: time) -> date:
    """The business day an instant belongs to, in the hall's time zone.

    The day ends at the clear time. A clear time after noon (say 19:00) ends the day
    that bears the date, so 20:00 already counts toward tomorrow; a clear time before
    noon (say 03:00) ends the previous evening's day, so 01:00 still counts toward
    yesterday. Either way the day is named after the date of its working hours.
    """
    local = at.astimezone(tz)
    shifted = local - timedelta(hours=clear_time.hour, minutes=clear_time.minute)
    day = shifted.date()
    if clear_time >= time(12, 0):
        day += timedelta(days=1)
    return day


def next_clear_at(day: date, tz: ZoneInfo, clear_time: time) -> datetime:
    """The instant (UTC) at which business day `day` is cleared."""
    clear_date = day if clear_time >= time(12, 0) else day + timedelta(days=1)
    return datetime.combine(clear_date, clear_time, tzinfo=tz).astimezone(UTC)
