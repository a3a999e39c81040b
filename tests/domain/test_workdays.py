"""The working-day calendar on China's real holidays: the package's years, the hall's
file over them, the env dates on top, and the refusal to count into an unknown year."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from queue_server.domain.deadline import due_date
from queue_server.domain.errors import DomainError
from queue_server.domain.workdays import CalendarYearMissing, WorkCalendar
from queue_server.notify.config import ConfigError
from queue_server.workcalendar import (
    DEFAULT_HOLIDAYS_FILE,
    HolidaysFileError,
    YearDays,
    build_calendar,
    load_work_calendar,
    package_years,
    parse_holidays,
)

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "holidays.toml"
    path.write_text(text, encoding="utf-8")
    return path


def calendar(tmp_path: Path, text: str = "", **env: str) -> WorkCalendar:
    return load_work_calendar({"HALLQ_HOLIDAYS_FILE": str(write(tmp_path, text)), **env},
                              today=date(2026, 12, 3))


@pytest.fixture
def cal(tmp_path: Path) -> WorkCalendar:
    return calendar(tmp_path)


@pytest.fixture
def cal26() -> WorkCalendar:
    """The package's years up to 2026, as published when this was written: the tests of
    an uncovered year keep 2027 uncovered after a package release adds it."""
    return build_calendar([{y: d for y, d in package_years().items() if y <= 2026}])


def test_the_spring_festival_is_not_counted(cal):
    # Thursday before the holiday (02-15..02-23); Saturday 02-14 is worked (调休).
    assert cal.add_workdays(date(2026, 2, 12), 5) == date(2026, 2, 26)
    assert due_date(date(2026, 2, 12), 5, cal) == date(2026, 2, 26)
    assert WorkCalendar.weekends_only().add_workdays(date(2026, 2, 12), 5) == date(2026, 2, 19)


def test_national_day_2026(cal):
    for day in range(1, 8):
        assert not cal.is_workday(date(2026, 10, day))
    # 09-30 is the last working day before it; 10-08 the first after.
    assert cal.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert cal.workdays_between(date(2026, 9, 30), date(2026, 10, 8)) == 1


def test_a_tiaoxiu_saturday_is_a_working_day(cal):
    assert date(2026, 10, 10).weekday() == 5 and cal.is_workday(date(2026, 10, 10))
    assert date(2026, 2, 28).weekday() == 5 and cal.is_workday(date(2026, 2, 28))
    assert not cal.is_workday(date(2026, 10, 17))  # an ordinary Saturday
    assert cal.add_workdays(date(2026, 10, 9), 1) == date(2026, 10, 10)


def test_the_package_years_are_covered_and_the_next_is_not(cal):
    assert {2004, 2020, 2026} <= cal.covered_years
    assert not cal.covers(2031)
    assert package_years()[2026].holidays >= {date(2026, 2, 15), date(2026, 10, 1)}


def test_counting_into_an_uncovered_year_is_refused_in_chinese_first(cal26):
    cal = cal26
    with pytest.raises(CalendarYearMissing) as exc:
        cal.add_workdays(date(2026, 12, 25), 10)
    err = exc.value
    assert isinstance(err, DomainError) and err.code == "calendar_year_missing"
    assert err.year == 2027 and err.status == 503
    assert str(err).startswith("工作日历缺少 2027 年的法定节假日数据，请更新节假日文件 / ")
    assert "has no holiday data for 2027" in err.message_en
    # The first year missing is the one named: the count stops there.
    with pytest.raises(CalendarYearMissing, match="2027"):
        cal.workdays_between(date(2026, 12, 1), date(2031, 1, 5))
    with pytest.raises(CalendarYearMissing):
        cal.is_workday(date(2031, 3, 3))


def test_only_counted_days_must_be_covered(cal26):
    cal = cal26
    # The count stops on 12-30: 2027 is never reached, so nothing is refused.
    assert cal.add_workdays(date(2026, 12, 28), 2) == date(2026, 12, 30)
    assert cal.workdays_between(date(2026, 12, 30), date(2026, 12, 31)) == 1
    # The start is not a counted day: zero days from an uncovered day is that day.
    assert cal.add_workdays(date(2031, 5, 5), 0) == date(2031, 5, 5)


def test_a_plain_calendar_covers_nothing_and_weekends_only_must_be_asked_for():
    with pytest.raises(CalendarYearMissing):
        WorkCalendar().add_workdays(date(2026, 11, 20), 1)
    assert WorkCalendar.weekends_only().add_workdays(date(2026, 11, 20), 1) == date(2026, 11, 23)


def test_the_hall_file_overrides_a_package_year_and_adds_a_future_one(tmp_path):
    cal = calendar(tmp_path, """
# a hall that also closes on 2026-03-02 and works no 调休 Saturday in February
[years.2026]
holidays = ["2026-01-01..2026-01-03", "2026-02-15..2026-02-23", "2026-03-02",
            "2026-10-01..2026-10-07"]
workdays = []

[years.2031]
source = "invented for the test"
holidays = ["2031-01-01", "2031-01-22..2031-01-25"]
workdays = ["2031-01-26"]
""")
    assert 2031 in cal.covered_years
    assert not cal.is_workday(date(2026, 3, 2))
    assert not cal.is_workday(date(2026, 2, 14))  # the package's 调休 Saturday is gone
    assert cal.is_workday(date(2026, 5, 1))  # the year is replaced whole, Labour Day too
    assert cal.add_workdays(date(2031, 1, 21), 2) == date(2031, 1, 27)  # Sunday 26th worked
    assert cal.is_workday(date(2031, 1, 26))
    assert cal.is_workday(date(2025, 10, 11))  # other years still come from the package


def test_env_dates_add_to_the_calendar_but_cover_no_year(tmp_path):
    cal = calendar(tmp_path, HALLQ_HOLIDAYS="2026-11-23", HALLQ_EXTRA_WORKDAYS="2026-11-28")
    assert not cal.is_workday(date(2026, 11, 23)) and cal.is_workday(date(2026, 11, 28))
    # An env holiday wins over the package's 调休 day.
    cal = calendar(tmp_path, HALLQ_HOLIDAYS="2026-02-14")
    assert not cal.is_workday(date(2026, 2, 14))
    cal = calendar(tmp_path, HALLQ_HOLIDAYS="2031-01-01")
    assert not cal.covers(2031)
    with pytest.raises(ConfigError, match="HALLQ_HOLIDAYS"):
        calendar(tmp_path, HALLQ_HOLIDAYS="2026-11-31")
    with pytest.raises(ConfigError):
        calendar(tmp_path, HALLQ_HOLIDAYS="2026-11-23", HALLQ_EXTRA_WORKDAYS="2026-11-23")


def test_a_bad_file_names_each_problem_by_file_and_line(tmp_path):
    path = write(tmp_path, """[years.2027]
holidays = [
    "2027-01-01",
    "2027-13-01",
    "2027-02-06..2027-02-01",
]
workdays = ["2027-01-04", "2028-01-01"]
colour = "red"

[years.27]
holidays = []
""")
    with pytest.raises(HolidaysFileError) as exc:
        load_work_calendar({"HALLQ_HOLIDAYS_FILE": str(path)})
    problems = exc.value.problems
    assert [p.split(": ")[0] for p in problems] == [
        f"{path}:4", f"{path}:5", f"{path}:7", f"{path}:7", f"{path}:8", f"{path}:10"]
    assert "2027-13-01" in problems[0] and "2027-02-06..2027-02-01" in problems[1]
    assert any("不是周末" in p for p in problems[2:4])
    assert any("不在 2027 年内" in p for p in problems[2:4])
    assert "colour" in problems[4] and "四位年份" in problems[5]


def test_a_syntax_error_and_a_missing_file_name_the_file(tmp_path):
    with pytest.raises(HolidaysFileError) as exc:
        parse_holidays('[years.2027]\nholidays = ["2027-01-01"\n', "h.toml")
    assert exc.value.problems[0].startswith("h.toml:")
    with pytest.raises(HolidaysFileError) as exc:
        load_work_calendar({"HALLQ_HOLIDAYS_FILE": str(tmp_path / "none.toml")})
    assert exc.value.problems[0].startswith(f"{tmp_path / 'none.toml'}:1: 无法读取")


def test_a_missing_year_is_warned_at_start(tmp_path, caplog):
    path = write(tmp_path, '[years.2040]\nholidays = ["2040-01-01"]\n')
    with caplog.at_level("WARNING", logger="hallq"):
        load_work_calendar({"HALLQ_HOLIDAYS_FILE": str(path)}, today=date(2040, 6, 1))
    messages = [r.getMessage() for r in caplog.records]
    assert [m for m in messages if "缺少 2041 年" in m and str(path) in m]
    assert not [m for m in messages if "2040 年" in m]


def test_the_shipped_file_is_valid_and_its_commented_example_matches_the_package():
    assert DEFAULT_HOLIDAYS_FILE == ROOT / "layouts" / "holidays.toml"
    text = DEFAULT_HOLIDAYS_FILE.read_text(encoding="utf-8")
    parse_holidays(text, str(DEFAULT_HOLIDAYS_FILE))
    start = text.index("# [years.2026]")
    example = "\n".join(line.removeprefix("# ") for line in text[start:].splitlines())
    assert parse_holidays(example, "example")[2026] == package_years()[2026]


def test_later_layers_replace_whole_years():
    a = {2026: YearDays(frozenset({date(2026, 3, 2)}), frozenset())}
    b = {2026: YearDays(frozenset({date(2026, 3, 3)}), frozenset())}
    cal = build_calendar([a, b])
    assert cal.holidays == frozenset({date(2026, 3, 3)}) and cal.covered_years == {2026}


def test_hallq_holidays_check_reports_the_years_or_the_problems(tmp_path, capsys):
    from hallq.cli import main

    good = write(tmp_path, '[years.2031]\nholidays = ["2031-01-01"]\n')
    assert main(["holidays", "check", str(good)]) == 0
    out = capsys.readouterr().out
    assert "holidays file is valid" in out and "2031" in out and "chinese-calendar: 2004" in out
    good.write_text('[years.2031]\nholidays = ["2031-02-30"]\n', encoding="utf-8")
    assert main(["holidays", "check", str(good)]) == 1
    assert capsys.readouterr().out.startswith(f"{good}:2: '2031-02-30'")
