"""Statutory time limits in working days, and the overtime warnings they raise (超时警示).

Time limits are counted in working days from the day after acceptance. Weekends are
not working days; public holidays and the weekend days worked in their place (调休)
are settings, because they change every year. The back office may push the due date
itself when its calendar knows better.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)  # 调休 weekends

    def is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_workdays(self, start: date, days: int) -> date:
        """The `days`-th working day after `start`; `start` itself when days is 0."""
        day = start
        left = days
        while left > 0:
            day += timedelta(days=1)
            if self.is_workday(day):
                left -= 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative when end < start)."""
        if end < start:
            return -self.workdays_between(end, start)
        n = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_workday(day):
                n += 1
        return n


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
