"""Where the working-day calendar's dates come from, and the one function that builds it.

Three sources, later ones winning:
1. the `chinese-calendar` package: China's statutory holidays and 调休 working weekends
   for every year it has published;
2. the hall's own holidays file (HALLQ_HOLIDAYS_FILE, default `layouts/holidays.toml`):
   a year there replaces the package's year whole, so a hall can add next year as soon
   as the State Council publishes it, without waiting for a package release, or correct
   a local arrangement;
3. HALLQ_HOLIDAYS / HALLQ_EXTRA_WORKDAYS: single dates on top, for a one-off closure or
   make-up day. They change dates but cover no year: a year needs its whole list.

File format (see the shipped file for a commented example):

    [years.2027]
    source = "国务院办公厅关于2027年部分节假日安排的通知"   # optional, for the reader
    holidays = ["2027-01-01", "2027-02-06..2027-02-12"]   # a day, or an inclusive range
    workdays = ["2027-02-14"]                             # 调休: weekend days worked
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hallenv import ConfigError, HallqEnv
from queue_server.domain.toml_source import Problems, Table, parse_toml
from queue_server.domain.workdays import WorkCalendar
from queue_server.settings import REPO_ROOT

log = logging.getLogger("hallq")

DEFAULT_HOLIDAYS_FILE = REPO_ROOT / "layouts" / "holidays.toml"
YEAR_RE = re.compile(r"^\d{4}$")
RANGE_SEP = ".."
MAX_RANGE_DAYS = 31  # longer is a typo, not a holiday


class HolidaysFileError(ConfigError):
    """An invalid holidays file; `problems` holds every `PATH:LINE: message`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class YearDays:
    holidays: frozenset[date]
    workdays: frozenset[date]  # 调休: weekend days worked


def package_years() -> dict[int, YearDays]:
    """Every year the `chinese-calendar` package has published."""
    import chinese_calendar

    by_year: dict[int, tuple[set[date], set[date]]] = {}
    for day in chinese_calendar.holidays:
        by_year.setdefault(day.year, (set(), set()))[0].add(day)
    for day in chinese_calendar.workdays:
        # Its `workdays` are the 调休 days; a weekday there would change nothing anyway.
        by_year.setdefault(day.year, (set(), set()))[1].add(day)
    return {y: YearDays(frozenset(h), frozenset(w)) for y, (h, w) in by_year.items()}


def _value_line(p: Problems, where: tuple[Any, ...], value: str) -> int:
    """The line of one entry of a (possibly multi-line) array: the index keeps only the
    key's line, so look for the quoted value from there on."""
    start = p.line(where)
    lines = p.text.splitlines()
    for n in range(start - 1, len(lines)):
        if f'"{value}"' in lines[n] or f"'{value}'" in lines[n]:
            return n + 1
    return start


def _days(raw: tuple[str, ...], year: int, where: tuple[Any, ...], p: Problems) -> set[date]:
    out: set[date] = set()
    for value in raw:
        first_raw, _, last_raw = value.strip().partition(RANGE_SEP)
        try:
            first = date.fromisoformat(first_raw.strip())
            last = date.fromisoformat(last_raw.strip()) if last_raw else first
        except ValueError:
            p.add(_value_line(p, where, value),
                  f"'{value}' 应为日期 YYYY-MM-DD 或区间 YYYY-MM-DD..YYYY-MM-DD / "
                  "should be a date YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD")
            continue
        if last < first or (last - first).days >= MAX_RANGE_DAYS:
            p.add(_value_line(p, where, value),
                  f"'{value}' 区间无效（结束早于开始或超过 {MAX_RANGE_DAYS} 天）/ "
                  f"not a valid range (ends before it starts, or over {MAX_RANGE_DAYS} days)")
            continue
        if first.year != year or last.year != year:
            p.add(_value_line(p, where, value),
                  f"'{value}' 不在 {year} 年内 / is not in {year}")
            continue
        day = first
        while day <= last:
            out.add(day)
            day += timedelta(days=1)
    return out


def parse_holidays(text: str, path: str) -> dict[int, YearDays]:
    """The years of a holidays file, or HolidaysFileError with every problem on its line."""
    doc, errors = parse_toml(text, path)
    if doc is None:
        raise HolidaysFileError(errors)
    p = Problems(path, text)
    Table(doc, (), p, {"years"})
    years_raw = doc.get("years", {})
    if not isinstance(years_raw, dict):
        p.at(("years",), "'years' 应写成 [years.YYYY] 表 / should be [years.YYYY] tables")
        years_raw = {}
    out: dict[int, YearDays] = {}
    for key, body in years_raw.items():
        where = ("years", key)
        if not YEAR_RE.match(key) or not 2000 <= int(key) <= 2100:
            p.at(where, f"'{key}' 应为四位年份 / should be a four-digit year, as in [years.2027]")
            continue
        if not isinstance(body, dict):
            p.at(where, f"[years.{key}] 应为表 / should be a table")
            continue
        year = int(key)
        t = Table(body, where, p, {"holidays", "workdays", "source"}, f"[years.{key}]")
        t.str("source")
        holidays = _days(t.str_list("holidays", required=True), year, (*where, "holidays"), p)
        workdays = _days(t.str_list("workdays"), year, (*where, "workdays"), p)
        for day in sorted(holidays & workdays):
            p.at((*where, "workdays"),
                 f"{day} 不能既是假日又是调休工作日 / cannot be both a holiday and a workday")
        for day in sorted(workdays):
            if day.weekday() < 5:
                p.add(_value_line(p, (*where, "workdays"), day.isoformat()),
                      f"{day} 不是周末：调休工作日应为周六或周日 / is not a weekend day: "
                      "a 调休 workday is a Saturday or Sunday worked")
        out[year] = YearDays(frozenset(holidays), frozenset(workdays))
    if p.items:
        raise HolidaysFileError(p.render())
    return out


def read_holidays_file(path: str | Path) -> dict[int, YearDays]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HolidaysFileError(
            [f"{path}:1: 无法读取节假日文件 cannot read the holidays file: {exc}"]) from exc
    return parse_holidays(text, str(path))


def build_calendar(years: Iterable[Mapping[int, YearDays]], *,
                   extra_holidays: frozenset[date] = frozenset(),
                   extra_workdays: frozenset[date] = frozenset(),
                   provisional: bool = False) -> WorkCalendar:
    """Layers of whole years, later layers replacing earlier ones year by year; then
    single dates on top, each winning over the opposite list."""
    merged: dict[int, YearDays] = {}
    for layer in years:
        merged.update(layer)
    if both := sorted(extra_holidays & extra_workdays):
        raise ConfigError(f"HALLQ_HOLIDAYS 与 HALLQ_EXTRA_WORKDAYS 同时含有 / both list "
                          f"{', '.join(d.isoformat() for d in both)}")
    holidays = set().union(*(y.holidays for y in merged.values()))
    workdays = set().union(*(y.workdays for y in merged.values()))
    holidays = (holidays - extra_workdays) | extra_holidays
    workdays = (workdays - extra_holidays) | extra_workdays
    return WorkCalendar(frozenset(holidays), frozenset(workdays), frozenset(merged),
                        provisional=provisional)


def load_work_calendar(env: Mapping[str, str] | None = None, *,
                       today: date | None = None) -> WorkCalendar:
    """The product's calendar from the package, the hall's file and the env dates.

    Warns at start for this year and the next without data: deadlines of cases accepted
    late in the year run into the next one, and would be refused there.
    """
    e = HallqEnv.read(env)
    path = e.holidays_file or DEFAULT_HOLIDAYS_FILE
    calendar = build_calendar(
        [package_years(), read_holidays_file(path)],
        extra_holidays=e.holidays, extra_workdays=e.extra_workdays, provisional=True)
    this_year = (today or date.today()).year
    for year in calendar.missing_years((this_year, this_year + 1)):
        log.warning("工作日历缺少 %d 年的法定节假日数据，该年暂按周末计算，相关截止日期标为暂定；"
                    "请在 %s 中加入 [years.%d] / the working-day calendar has no holiday data "
                    "for %d: it counts only weekends there and marks those due dates "
                    "provisional; add [years.%d] to %s", year, path, year, year, year, path)
    return calendar
