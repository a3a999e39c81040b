"""The calendar outside the API: the demo data set late in the year, and the `hallq`
commands refusing a bad holidays file or an unknown year plainly, without a traceback."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hallq.cli import main
from queue_server.cases import demo
from queue_server.workcalendar import build_calendar, package_years

TZ = ZoneInfo("Asia/Shanghai")


def test_the_demo_keeps_due_dates_inside_the_calendar_late_in_the_year():
    # The package's years up to 2026 only: 2027 stays unknown, as when this was written.
    cal = build_calendar([{y: d for y, d in package_years().items() if y <= 2026}])
    data = demo.generate(units=20, cases=300, seed=3, now=datetime(2026, 12, 30, 3, tzinfo=UTC),
                         tz=TZ, calendar=cal)
    for c in data.cases:
        day = c.accepted_at.astimezone(TZ).date()
        assert cal.add_workdays(day, c.time_limit_days or 0).year == 2026
    assert max(c.accepted_at for c in data.cases).date().month == 12


def test_a_bad_holidays_file_stops_a_command_with_file_and_line(tmp_path: Path, capsys,
                                                               monkeypatch: pytest.MonkeyPatch):
    bad = tmp_path / "holidays.toml"
    bad.write_text('[years.2027]\nholidays = ["2027-01-01", "2027-1-2"]\n', encoding="utf-8")
    monkeypatch.setenv("HALLQ_HOLIDAYS_FILE", str(bad))
    assert main(["cases", "overdue", "--data", str(tmp_path / "var")]) == 1
    assert capsys.readouterr().err.startswith(f"{bad}:2: '2027-1-2'")
