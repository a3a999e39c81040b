"""Statutory time limits in working days, and the overtime warnings they raise (超时警示).

Time limits are counted in working days from the day after acceptance, on the product's
one calendar (`queue_server.domain.workdays`): weekends, China's statutory holidays and
the weekends worked in their place (调休). The back office may push the due date itself
when its calendar knows better.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from queue_server.domain.workdays import WorkCalendar

__all__ = ["URGENCY_NAMES", "Urgency", "due_date", "urgency", "warn_horizon"]


class Urgency(StrEnum):
    OVERDUE = "overdue"      # past the due date and not finished
    DUE_SOON = "due_soon"    # within the warning window


URGENCY_NAMES = {Urgency.OVERDUE: ("已超期", "Overdue"),
                 Urgency.DUE_SOON: ("即将超期", "Due soon")}


def due_date(accepted: date, time_limit_days: int, calendar: WorkCalendar) -> date:
    return calendar.add_workdays(accepted, time_limit_days)


def urgency(due: date, today: date, warn_days: int, calendar: WorkCalendar) -> Urgency | None:
    """The due date itself is still in time; `warn_days` working days before it warn."""
    if today > due:
        return Urgency.OVERDUE
    if calendar.workdays_between(today, due) <= warn_days:
        return Urgency.DUE_SOON
    return None


def warn_horizon(today: date, warn_days: int, calendar: WorkCalendar) -> date:
    """The latest due date that warns today: every case due on or before it is listed.

    The day before the next working day past the window, so a due date the back office
    set on a weekend or holiday is caught with the working day before it.
    """
    return calendar.add_workdays(today, warn_days + 1) - timedelta(days=1)
