"""差评整改: the work order a bad review opens, its steps and its deadline.

verify → rectify → reply to the applicant → close, in that order, each with who, when and
what was said. The order is due a number of working days after the review (15 by
default, a hall setting), counted on the product's one working-day calendar. An order
whose reply was never sent stays open, however late: every bad review gets a reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from queue_server.domain.deadline import Urgency, urgency
from queue_server.domain.errors import IllegalTransition, InvalidInput
from queue_server.domain.workdays import WorkCalendar

NOTE_MAX = 1000
WARN_WORKING_DAYS = 3  # an order this close to its due date is alerted


class Step(StrEnum):
    VERIFY = "verify"  # 核实
    RECTIFY = "rectify"  # 整改
    REPLY = "reply"  # 回复申请人
    CLOSE = "close"  # 办结


class OrderStatus(StrEnum):
    OPEN = "open"
    VERIFIED = "verified"
    RECTIFIED = "rectified"
    REPLIED = "replied"
    CLOSED = "closed"


STEP_NAMES = {Step.VERIFY: ("核实", "Verify"), Step.RECTIFY: ("整改", "Rectify"),
              Step.REPLY: ("回复申请人", "Reply to the applicant"), Step.CLOSE: ("办结", "Close")}
STATUS_NAMES = {OrderStatus.OPEN: ("待核实", "Open"), OrderStatus.VERIFIED: ("已核实", "Verified"),
                OrderStatus.RECTIFIED: ("已整改", "Rectified"),
                OrderStatus.REPLIED: ("已回复", "Replied"), OrderStatus.CLOSED: ("已办结", "Closed")}
# The one order of the steps: each status allows exactly the next step.
NEXT = {OrderStatus.OPEN: Step.VERIFY, OrderStatus.VERIFIED: Step.RECTIFY,
        OrderStatus.RECTIFIED: Step.REPLY, OrderStatus.REPLIED: Step.CLOSE}
AFTER = {Step.VERIFY: OrderStatus.VERIFIED, Step.RECTIFY: OrderStatus.RECTIFIED,
         Step.REPLY: OrderStatus.REPLIED, Step.CLOSE: OrderStatus.CLOSED}


def due_on(reviewed: date, working_days: int, calendar: WorkCalendar) -> date:
    return calendar.add_workdays(reviewed, working_days)


def check_step(status: OrderStatus, step_raw: str, note: str) -> tuple[Step, OrderStatus, str]:
    """The step taken on an order in `status`: the status it leads to and its note."""
    try:
        step = Step(step_raw)
    except ValueError:
        names = "、".join(s.value for s in Step)
        raise InvalidInput(f"步骤应为 {names}", f"a step is one of: {names}",
                           code="unknown_step") from None
    expected = NEXT.get(status)
    if expected is None:
        raise IllegalTransition("该整改单已办结", "this work order is closed", code="order_closed")
    if step is not expected:
        zh, en = STEP_NAMES[expected]
        raise IllegalTransition(f"下一步应为「{zh}」", f"the next step is '{en}'",
                                code="wrong_step")
    text = note.strip()
    if not text:
        raise InvalidInput("请写明处理情况", "say what was done or said", code="note_required")
    if len(text) > NOTE_MAX:
        raise InvalidInput(f"说明最多{NOTE_MAX}字", f"a note has at most {NOTE_MAX} characters",
                           code="note_too_long")
    return step, AFTER[step], text


@dataclass(frozen=True)
class Deadline:
    due: date
    urgency: Urgency | None  # overdue, due soon, or fine
    in_time: bool | None  # replied by the due date; None while no reply is sent


def deadline_of(due: date, today: date, replied_at: date | None, calendar: WorkCalendar,
                closed: bool = False) -> Deadline:
    in_time = None if replied_at is None else replied_at <= due
    if replied_at is not None or closed:
        return Deadline(due, None, in_time)
    return Deadline(due, urgency(due, today, WARN_WORKING_DAYS, calendar), in_time)

