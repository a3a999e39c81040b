from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from queue_server.domain.estimate import estimate_wait
from queue_server.domain.tickets import business_day, format_number, next_clear_at
from tests.domain.helpers import Driver

SH = ZoneInfo("Asia/Shanghai")


def at(local: str) -> datetime:
    return datetime.fromisoformat(local).replace(tzinfo=SH).astimezone(UTC)


@pytest.mark.parametrize(("local", "clear", "day"), [
    ("2026-11-23 08:00", time(19), date(2026, 11, 23)),
    ("2026-11-23 18:59", time(19), date(2026, 11, 23)),
    ("2026-11-23 19:00", time(19), date(2026, 11, 24)),  # after the evening clear: tomorrow
    ("2026-11-23 23:30", time(19), date(2026, 11, 24)),
    ("2026-11-24 01:00", time(3), date(2026, 11, 23)),  # before a 03:00 clear: still yesterday
    ("2026-11-24 03:00", time(3), date(2026, 11, 24)),
    ("2026-11-24 00:00", time(0), date(2026, 11, 24)),
    ("2026-11-23 17:30", time(17), date(2026, 11, 24)),  # "tickets corrupted after 5 pm"
])
def test_business_day_turns_at_the_clear_time_in_the_halls_zone(local, clear, day):
    assert business_day(at(local), SH, clear) == day


def test_utc_midnight_is_not_a_day_boundary():
    # 00:30 UTC is 08:30 in Shanghai: same business day as 07:30 UTC (15:30 local).
    assert business_day(datetime(2026, 11, 23, 0, 30, tzinfo=UTC), SH, time(19)) == \
        business_day(datetime(2026, 11, 23, 7, 30, tzinfo=UTC), SH, time(19))


def test_next_clear_is_the_clear_time_of_that_day():
    assert next_clear_at(date(2026, 11, 23), SH, time(19)) == at("2026-11-23 19:00")
    assert next_clear_at(date(2026, 11, 23), SH, time(3)) == at("2026-11-24 03:00")


def test_number_grows_past_its_width():
    assert format_number("A", 7, 3) == "A007"
    assert format_number("GC", 1000, 3) == "GC1000"


def test_estimate_scales_with_people_ahead_and_windows():
    one = estimate_wait(4, 10.0, 1.0)
    two = estimate_wait(4, 10.0, 2.0)
    assert one.minutes == pytest.approx(45.0) and two.minutes == pytest.approx(22.5)
    assert one.low <= one.minutes <= one.high
    assert estimate_wait(0, 10.0, 1.0).minutes == pytest.approx(5.0)


def test_idle_windows_call_at_once_then_start_whole_services():
    assert estimate_wait(1, 10.0, 2.0, idle=2) == estimate_wait(0, 10.0, 2.0, idle=1)
    assert estimate_wait(0, 10.0, 2.0, idle=1).minutes == 0.0
    # One window, idle: the one ahead is called now and takes a whole service.
    assert estimate_wait(1, 10.0, 1.0, idle=1).minutes == pytest.approx(10.0)
    # Busy windows only: the first is on average half-way through.
    assert estimate_wait(1, 10.0, 1.0, idle=0).minutes == pytest.approx(15.0)


def test_the_hall_counts_the_windows_that_hold_nobody():
    d = Driver()
    t = d.issue("tax")
    assert d.state.idle("tax") == 1 and d.state.estimate("tax", 0).minutes == 0.0
    d.call(3)  # window 3, the only open one serving tax, calls it
    assert d.state.idle("tax") == 0
    assert d.state.estimate("tax", 0).minutes > 0
    d.do("complete", d.state.tickets[t.id])
    assert d.state.idle("tax") == 1


def test_no_open_window_gives_no_estimate_rather_than_a_made_up_one():
    assert estimate_wait(3, 10.0, 0.0) is None


def test_a_window_serving_two_businesses_counts_half_to_each():
    d = Driver()
    assert d.state.capacity("mortgage") == 1.0  # windows 1 and 2, each serving two
    assert d.state.capacity("tax") == 1.0
    assert d.state.capacity("query") == 1.0  # window 6 is closed


def test_estimates_follow_recent_service_times():
    d = Driver()
    before = d.state.estimate("tax", 3).minutes
    for _ in range(10):
        d.issue("tax")
        t = d.call(3)
        d.tick(20)
        d.do("complete", t)
    after = d.state.estimate("tax", 3).minutes
    assert after > before * 2  # 20-minute services pull the 5-minute prior up


def test_people_ahead_follows_queue_order():
    d = Driver()
    tickets = [d.issue("transfer") for _ in range(3)]
    assert [d.state.people_ahead(t) for t in tickets] == [0, 1, 2]
    assert d.state.positions() == {t.id: i for i, t in enumerate(tickets)}
