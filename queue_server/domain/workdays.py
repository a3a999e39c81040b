"""The product's one working-day calendar: weekends, statutory holidays and 调休 weekends.

Pure: it knows only the dates it was given and which years they cover. China publishes
each year's holidays late in the year before, so a calendar always ends somewhere. A
strict calendar refuses a count that reaches a year it has no data for. The product's
(`queue_server.workcalendar.load_work_calendar`) is `provisional`: a bad review or a
case pushed in late December must still be recorded, so it counts such a year on its
weekends and every date it yields there is marked provisional (`is_provisional`) on the
screens that show it, with a warning at start, until the hall adds the year.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from queue_server.domain.errors import DomainError


class CalendarYearMissing(DomainError):
    """A count reached a year the calendar has no holiday data for.

    503, not 4xx: the request was fine, the server's calendar is out of date, and it
    works again once the hall adds the year to its holidays file.
    """

    code = "calendar_year_missing"
    status = 503

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"工作日历缺少 {year} 年的法定节假日数据，请更新节假日文件",
            f"the working-day calendar has no holiday data for {year}: "
            "update the holidays file")


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)  # 调休 weekends
    # Years whose holidays are known. A plain WorkCalendar() covers none, so it cannot
    # pass for the product's calendar by accident; see weekends_only() for tests.
    covered_years: frozenset[int] = field(default_factory=frozenset)
    every_year: bool = False  # only weekends_only(): any year counts with the dates given
    # Count a year without data on its weekends instead of refusing; dates so counted are
    # provisional (is_provisional) and the screens say so.
    provisional: bool = False

    @classmethod
    def weekends_only(cls, holidays: Iterable[date] = (),
                      extra_workdays: Iterable[date] = ()) -> WorkCalendar:
        """A calendar that trusts its dates for every year: for tests and examples only."""
        return cls(frozenset(holidays), frozenset(extra_workdays), every_year=True)

    def covers(self, year: int) -> bool:
        return self.every_year or year in self.covered_years

    def missing_years(self, years: Iterable[int]) -> list[int]:
        return sorted(y for y in set(years) if not self.covers(y))

    def is_provisional(self, start: date, end: date) -> bool:
        """Whether a count between these days ran through a year without data."""
        low, high = min(start, end), max(start, end)
        return bool(self.missing_years(range(low.year, high.year + 1)))

    def is_workday(self, day: date) -> bool:
        if not self.covers(day.year) and not self.provisional:
            raise CalendarYearMissing(day.year)
        if day in self.extra_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_workdays(self, start: date, days: int) -> date:
        """The `days`-th working day after `start`; `start` itself when days is 0.

        Only the days counted must be covered: `start` is not one of them.
        """
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
