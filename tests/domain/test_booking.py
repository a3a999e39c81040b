"""预约 rules: slots by weekday, closed days, how far ahead, cut-off, per-ID limits,
no-shows; and the [booking] layout section's problems on their lines."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from queue_server.domain import booking as bk
from queue_server.domain.errors import DomainError
from queue_server.domain.layout import load_layout, parse_layout
from queue_server.domain.workdays import WorkCalendar
from tests.conftest import FIXTURES

TZ = ZoneInfo("Asia/Shanghai")
TEXT = (FIXTURES / "booking.toml").read_text(encoding="utf-8")
RULES = load_layout(FIXTURES / "booking.toml").booking
# 2026-11-23 is a Monday; the 28th a Saturday, worked in exchange (调休) in this calendar.
CAL = WorkCalendar.weekends_only(holidays=[date(2026, 11, 25)],
                                 extra_workdays=[date(2026, 11, 28)])
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 11, day, hh, mm, tzinfo=TZ)


def refused(fn, *args, **kw) -> DomainError:
    with pytest.raises(DomainError) as e:
        fn(*args, **kw)
    return e.value


def test_a_monday_has_four_half_hour_slots_and_one_afternoon_hour():
    slots = bk.slots_on(RULES, "transfer", date(2026, 11, 23), CAL, TZ)
    assert [(s.start.strftime("%H:%M"), s.end.strftime("%H:%M"), s.capacity) for s in slots] == [
        ("09:00", "09:30", 2), ("09:30", "10:00", 2), ("10:00", "10:30", 2),
        ("10:30", "11:00", 2), ("14:00", "15:00", 2)]


def test_a_tuesday_has_no_afternoon_and_a_holiday_nothing():
    tuesday = bk.slots_on(RULES, "transfer", date(2026, 11, 24), CAL, TZ)
    assert [s.start.hour for s in tuesday] == [9, 9, 10, 10]
    assert bk.slots_on(RULES, "transfer", date(2026, 11, 25), CAL, TZ) == []
    assert bk.slots_on(RULES, "transfer", date(2026, 11, 29), CAL, TZ) == []  # Sunday


def test_a_tiaoxiu_saturday_keeps_the_makeup_weekdays_slots():
    saturday = bk.slots_on(RULES, "transfer", date(2026, 11, 28), CAL, TZ)
    assert [s.start.hour for s in saturday] == [9, 9, 10, 10, 14]  # Monday's


def test_walk_in_share_rounds_up_for_the_hall():
    rule = bk.SlotRule((1,), at(23, 9).time(), at(23, 10).time(), 60, 5, 30)
    assert rule.online_capacity == 3  # 1.5 kept becomes 2


def test_bookable_days_skip_closed_days_and_stop_at_days_ahead():
    days = bk.bookable_days(RULES, "mortgage", date(2026, 11, 23), CAL)
    assert days == [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 26)]


def test_find_slot_on_a_closed_day_and_a_made_up_time():
    assert refused(bk.find_slot, RULES, "transfer", at(25, 9), CAL, TZ).code == "day_closed"
    assert refused(bk.find_slot, RULES, "transfer", at(23, 9, 10), CAL, TZ).code == "no_such_slot"
    assert refused(bk.find_slot, RULES, "tax", at(23, 9), CAL, TZ).code == "not_bookable"
    slot = bk.find_slot(RULES, "transfer", at(23, 9, 30).astimezone(UTC), CAL, TZ)
    assert slot.start == at(23, 9, 30)


def test_cut_off_and_how_far_ahead():
    slot = bk.find_slot(RULES, "transfer", at(23, 9), CAL, TZ)
    e = refused(bk.check_open, RULES, slot, at(23, 8, 0))
    assert (e.code, e.message_zh[:6]) == ("booking_closed", "该时段已截止")
    bk.check_open(RULES, slot, at(23, 7, 59))
    mortgage = bk.find_slot(RULES, "mortgage", at(23, 10), CAL, TZ)
    assert refused(bk.check_open, RULES, mortgage, at(23, 8, 1)).code == "booking_closed"
    far = bk.find_slot(RULES, "transfer", datetime(2026, 12, 1, 9, tzinfo=TZ), CAL, TZ)
    assert refused(bk.check_ahead, RULES, far, date(2026, 11, 23)).code == "too_far_ahead"
    bk.check_ahead(RULES, far, date(2026, 11, 24))


def test_full_slot():
    slot = bk.find_slot(RULES, "transfer", at(23, 9), CAL, TZ)
    bk.check_places(slot, 1)
    e = refused(bk.check_places, slot, 2)
    assert (e.code, e.status) == ("slot_full", 409)


def test_one_per_business_per_day_and_the_weekly_limit():
    slot = bk.find_slot(RULES, "transfer", at(24, 10), CAL, TZ)
    same_day = [bk.Held("X1", "transfer", at(24, 9))]
    assert refused(bk.check_person, RULES, slot, same_day).code == "already_booked"
    bk.check_person(RULES, slot, same_day, ignore="X1")  # rebooking that one
    bk.check_person(RULES, slot, [bk.Held("X1", "mortgage", at(24, 10))])
    two = [bk.Held("X1", "mortgage", at(23, 10)), bk.Held("X2", "mortgage", at(26, 10))]
    assert refused(bk.check_person, RULES, slot, two).code == "weekly_limit_reached"
    # Last week's do not count.
    bk.check_person(RULES, slot, [bk.Held("X3", "transfer", at(20, 9)),
                                  bk.Held("X4", "transfer", at(19, 9))])


def test_three_no_shows_in_90_days_block_for_30_days_after_the_last():
    now = at(23, 8)
    two = [now - timedelta(days=80), now - timedelta(days=10)]
    assert bk.blocked_until(RULES, two, now) is None
    three = [*two, now - timedelta(days=5)]
    until = bk.blocked_until(RULES, three, now)
    assert until == now + timedelta(days=25)
    e = refused(bk.check_not_blocked, RULES, three, now, TZ)
    assert (e.code, e.status) == ("id_blocked", 403)
    assert "2026年12月18日" in e.message_zh
    assert bk.blocked_until(RULES, three, now + timedelta(days=26)) is None
    old = [now - timedelta(days=100), *two]  # one of the three is past 90 days
    assert bk.blocked_until(RULES, old, now) is None


def test_no_show_is_released_at_start_plus_grace():
    start = at(23, 9)
    assert not bk.is_no_show(RULES, start, at(23, 9, 14))
    assert bk.is_no_show(RULES, start, at(23, 9, 15))
    assert refused(bk.check_in_window, RULES, start, at(23, 9, 20)).code == "booking_released"


# --- the layout section ------------------------------------------------------------------


def problems(text: str) -> list[str]:
    return parse_layout(text, "hall.toml")[1]


def line_of(text: str, needle: str, nth: int = 1) -> int:
    return [i + 1 for i, line in enumerate(text.splitlines()) if needle in line][nth - 1]


def test_the_fixture_is_valid_and_a_hall_without_booking_books_nothing():
    assert problems(TEXT) == []
    assert RULES.enabled and RULES.weekly_limit == 2
    assert RULES.businesses["mortgage"].days_ahead == 3
    assert not load_layout(FIXTURES / "mini.toml").booking.enabled


def test_unknown_business_in_booking_on_its_line():
    text = TEXT.replace('code = "mortgage"\ndays_ahead', 'code = "nosuch"\ndays_ahead')
    assert problems(text) == [f"hall.toml:{line_of(text, 'nosuch')}: 预约的未知业务 unknown "
                              "business 'nosuch' in [booking]"]


def test_a_slot_length_that_does_not_divide_and_a_bad_time():
    text = TEXT.replace("length_minutes = 30", "length_minutes = 45")
    assert problems(text) == [f"hall.toml:{line_of(text, 'length_minutes = 45')}: 09:00–11:00 "
                              "不能整分为 45 分钟的时段 does not divide into 45-minute slots"]
    text = TEXT.replace('start = "14:00"', 'start = "2pm"')
    assert problems(text) == [f"hall.toml:{line_of(text, '2pm')}: 'start' 应为 HH:MM should be "
                              "HH:MM, not '2pm'"]


def test_walk_in_share_capacity_weekdays_and_unknown_keys():
    text = (TEXT.replace("walk_in_percent = 50", "walk_in_percent = 100")
            .replace("weekdays = [1, 3]", "weekdays = [1, 8]")
            .replace("block_days = 30", "block_days = 30\nblock_weeks = 4"))
    out = problems(text)
    assert out == sorted(out, key=lambda s: int(s.split(":")[1]))
    assert out == [
        f"hall.toml:{line_of(text, 'block_weeks')}: 未知的键 unknown key 'block_weeks' in [booking]",
        f"hall.toml:{line_of(text, 'walk_in_percent = 100')}: 'walk_in_percent' 应小于 100 must "
        "be below 100: else nothing is left to book",
        f"hall.toml:{line_of(text, 'weekdays = [1, 8]')}: 'weekdays' 应为 1（周一）到 7（周日）"
        "的列表 should be a list of 1 (Monday) to 7 (Sunday)"]


def test_overlapping_slots_and_a_business_without_slots():
    text = TEXT.replace('start = "14:00"\nend = "15:00"', 'start = "10:30"\nend = "11:30"')
    text = text.replace('weekdays = [1, 3]\nstart = "10:30"\nend = "11:30"\nlength_minutes = 60',
                        'weekdays = [1, 3]\nstart = "10:30"\nend = "11:30"\nlength_minutes = 30')
    out = problems(text)
    assert len(out) == 1 and "预约时段重叠 booking slots overlap: 09:00–11:00 and 10:30–11:30" in out[0]
    cut = TEXT.index('[[booking.businesses]]\ncode = "mortgage"')
    text = TEXT[:cut] + '[[booking.businesses]]\ncode = "mortgage"\n'
    line = line_of(text, 'code = "mortgage"', 2)
    assert problems(text) == [f"hall.toml:{line}: 业务 "
                              "'mortgage' 没有预约时段 business 'mortgage' has no "
                              "[[booking.businesses.slots]]"]


def test_reminder_time_batch_and_batch_max_are_layout_settings_with_checks():
    assert RULES.reminder_time.strftime("%H:%M") == "16:00" and RULES.batch_max == 200
    assert RULES.businesses["transfer"].batch and not RULES.businesses["mortgage"].batch
    custom = load_layout(FIXTURES / "booking.toml").booking  # the fixture as shipped
    assert custom.enabled
    text = TEXT.replace("block_days = 30\n", 'block_days = 30\nreminder_time = "25:00"\n'
                        "batch_max = 0\n")
    found = problems(text)
    assert any("reminder_time" in p and "HH:MM" in p for p in found), found
    assert any("batch_max" in p for p in found), found
    assert any("batch" in p for p in problems(TEXT.replace("batch = true", 'batch = "yes"')))


def test_a_batch_fills_the_ranges_open_slots_earliest_first_all_or_none():
    slots = bk.slots_on(RULES, "transfer", date(2026, 11, 24), CAL, TZ)[:4]  # 2 places each
    plan = bk.plan_batch(RULES, slots, {slots[0].start: 1}, 4, NOW, NOW.date())
    assert [s.start.strftime("%H:%M") for s in plan] == ["09:00", "09:30", "09:30", "10:00"]
    e = refused(bk.plan_batch, RULES, slots, {}, 9, NOW, NOW.date())
    assert e.code == "batch_no_room" and "8" in e.message_zh
    # Past its cut-off, a slot in the range is skipped; nothing open at all is refused.
    late = at(24, 8, 10)  # 09:00 closed at 08:00, 09:30 at 08:30
    plan = bk.plan_batch(RULES, slots, {}, 2, late, late.date())
    assert {s.start.strftime("%H:%M") for s in plan} == {"09:30"}
    assert refused(bk.plan_batch, RULES, slots, {}, 1, at(24, 12), date(2026, 11, 24)
                   ).code == "batch_no_slots"
    far = bk.slots_on(RULES, "transfer", date(2026, 12, 1), CAL, TZ)
    assert refused(bk.plan_batch, RULES, far, {}, 1, NOW, NOW.date()).code == "too_far_ahead"


def test_a_batch_is_a_bulk_business_with_each_case_once():
    assert refused(bk.check_batch, RULES, "mortgage", ["A1"]).code == "batch_not_allowed"
    assert refused(bk.check_batch, RULES, "transfer", []).code == "batch_empty"
    assert refused(bk.check_batch, RULES, "transfer", ["A1", "A2", "A1"]
                   ).code == "batch_duplicate_case"
    assert refused(bk.check_batch, RULES, "transfer", [str(n) for n in range(201)]
                   ).code == "batch_too_large"
    bk.check_batch(RULES, "transfer", ["A1", "A2"])


def test_a_booking_past_its_cut_off_says_come_at_the_time_not_choose_another():
    """Cancel and rebook close at the booking's own cut-off: the same code as a slot closed
    for booking, but the words give the one next step left (come at the booked time)."""
    slot = bk.find_slot(RULES, "transfer", at(23, 9), CAL, TZ)
    assert bk.changes_close(RULES, "transfer", slot.start) == at(23, 8)
    bk.check_changeable(RULES, slot, at(23, 7, 59), "改约", "rebooked")
    e = refused(bk.check_changeable, RULES, slot, at(23, 8), "改约", "rebooked")
    assert e.code == "booking_closed"
    assert e.message_zh == ("这个预约已过改约截止时间（开始前 60 分钟），不能再改约或取消。"
                            "请按预约时间 09:00 到大厅，在自助机扫码签到")
    assert "choose" not in e.message_en and "at 09:00" in e.message_en
    begun = refused(bk.check_changeable, RULES, slot, at(23, 9, 5), "取消", "cancelled")
    assert (begun.code, begun.message_zh[:6]) == ("booking_closed", "预约时间已到")
