"""上门服务 rules: the [home_visits] layout section's problems on their lines, what a request
must say, working days from the one calendar, scheduling to a crew's window, the states a
visit may move between, and the crew's route order."""

from datetime import date

import pytest

from queue_server.domain import homevisit as hv
from queue_server.domain.errors import DomainError
from queue_server.domain.layout import load_layout, parse_layout
from queue_server.domain.workdays import WorkCalendar
from tests.conftest import FIXTURES

TEXT = (FIXTURES / "homevisit.toml").read_text(encoding="utf-8")
RULES = load_layout(FIXTURES / "homevisit.toml").home_visits
# 2026-11-23 is a Monday; the 25th a holiday here, the 28th (Saturday) a 调休 working day.
CAL = WorkCalendar.weekends_only(holidays=[date(2026, 11, 25)],
                                 extra_workdays=[date(2026, 11, 28)])
TODAY = date(2026, 11, 23)
BIZ = ("transfer", "mortgage", "tax", "query")


def problems(text: str) -> list[str]:
    return parse_layout(text, "hall.toml")[1]


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def refused(fn, *args, **kw) -> DomainError:
    with pytest.raises(DomainError) as e:
        fn(*args, **kw)
    return e.value


def request(**kw):
    args = {"business": "transfer", "business_names": BIZ, "reason": "sick", "reason_note": "",
            "name": " 王 建国 ", "district": "珠晖区", "address": "珠晖区东风路5号院1栋",
            "phone": "13812345678", "preferred_days": [date(2026, 11, 24)], "note": "",
            "today": TODAY, "calendar": CAL}
    args.update(kw)
    return hv.check_request(RULES, **args)


def test_the_fixture_declares_a_team_and_a_vehicle():
    assert RULES.enabled and [t.kind for t in RULES.teams.values()] == ["team", "vehicle"]
    assert [w.label for w in RULES.windows] == ["09:00-11:30", "14:30-17:00"]


def test_layout_problems_are_on_their_lines():
    text = TEXT.replace('kind = "vehicle"', 'kind = "boat"')
    assert problems(text) == [f"hall.toml:{line_of(text, 'boat')}: 'kind' 应为 team 或 vehicle "
                              "/ should be team or vehicle, not 'boat'"]
    text = TEXT.replace('"09:00-11:30"', '"9am-11"')
    assert problems(text) == [f"hall.toml:{line_of(text, '9am')}: 时间段 '9am-11' 应写成 "
                              "HH:MM-HH:MM / a time window should be HH:MM-HH:MM"]
    text = TEXT.replace('"14:30-17:00"', '"11:00-12:00"')
    assert problems(text) == [f"hall.toml:{line_of(text, '11:00-12:00')}: 时间段重叠 windows "
                              "overlap: 09:00-11:30 and 11:00-12:00"]
    text = TEXT.replace('districts = ["珠晖区", "石鼓区"]', 'districts = ["岳麓区"]')
    assert problems(text) == [f"hall.toml:{line_of(text, '岳麓区')}: 未在 [home_visits] "
                              "districts 中声明的辖区 '岳麓区' / district '岳麓区' is not in "
                              "[home_visits] districts"]
    text = TEXT.replace('businesses = ["transfer", "mortgage"]\ndistricts',
                        'businesses = ["nosuch"]\ndistricts')
    assert problems(text) == [f"hall.toml:{line_of(text, 'nosuch')}: 上门服务的未知业务 unknown "
                              "business 'nosuch' in [home_visits]"]
    text = TEXT.replace("per_window = 2", "per_window = 0")
    assert problems(text) == [f"hall.toml:{line_of(text, 'per_window = 0')}: 'per_window' "
                              "不能小于 must be at least 1"]
    cut = TEXT.index("[[home_visits.teams]]")
    assert problems(TEXT[:cut]) == [f"hall.toml:{line_of(TEXT, '[home_visits]')}: "
                                    "[home_visits] 没有上门服务组或直通车 / declares no "
                                    "[[home_visits.teams]]"]


def test_a_request_is_tidied_and_its_days_are_working_days_ahead():
    r = request(preferred_days=[date(2026, 11, 28), date(2026, 11, 24), date(2026, 11, 24)])
    assert r.name == "王 建国" and r.preferred_days == (date(2026, 11, 24), date(2026, 11, 28))
    for day, why in ((date(2026, 11, 25), "不是工作日"), (date(2026, 11, 29), "不是工作日"),
                     (TODAY, "已过或是今天"), (date(2026, 12, 31), "14 天内")):
        e = refused(request, preferred_days=[day])
        assert e.code == "visit_days" and why in e.message_zh
    assert refused(request, preferred_days=[]).code == "visit_days"
    assert refused(request, business="tax").code == "visit_business"
    assert refused(request, reason="other").code == "visit_reason"
    assert request(reason="other", reason_note="刚做完手术").reason_note == "刚做完手术"
    assert refused(request, district="岳麓区").code == "visit_district"
    assert refused(request, address="x" * 121).code == "visit_address"


def test_open_days_follow_the_calendar():
    days = hv.open_days(RULES, TODAY, CAL)
    assert days[:4] == [date(2026, 11, 24), date(2026, 11, 26), date(2026, 11, 27),
                        date(2026, 11, 28)]
    assert len(days) <= RULES.days_ahead


def test_states_move_only_along_the_allowed_transitions():
    hv.check_transition("requested", "scheduled")
    hv.check_transition("nobody_home", "scheduled")
    hv.check_transition("rescheduled", "scheduled")
    for outcome in hv.OUTCOMES:
        hv.check_transition("scheduled", outcome)
    for status, to in (("requested", "done"), ("done", "scheduled"), ("refused", "scheduled"),
                       ("cancelled", "scheduled"), ("nobody_home", "done")):
        e = refused(hv.check_transition, status, to)
        assert e.code == "visit_state" and e.status == 409
    assert refused(hv.check_outcome, "scheduled", "lost", "").code == "visit_outcome"


def test_scheduling_checks_the_crew_the_day_and_its_places():
    team, bus = RULES.teams["team1"], RULES.teams["bus"]
    hv.check_schedule(RULES, "requested", team, "雁峰区", date(2026, 11, 24), TODAY, CAL, 1)
    assert refused(hv.check_schedule, RULES, "requested", team, "雁峰区", date(2026, 11, 24),
                   TODAY, CAL, 2).code == "visit_window_full"
    assert refused(hv.check_schedule, RULES, "requested", bus, "雁峰区", date(2026, 11, 24),
                   TODAY, CAL, 0).code == "visit_team_district"
    assert refused(hv.check_schedule, RULES, "requested", team, "雁峰区", date(2026, 11, 25),
                   TODAY, CAL, 0).code == "visit_day"
    assert refused(hv.check_schedule, RULES, "done", team, "雁峰区", date(2026, 11, 24),
                   TODAY, CAL, 0).code == "visit_state"
    assert hv.find_window(RULES, " 14:30-17:00 ").label == "14:30-17:00"
    assert refused(hv.find_window, RULES, "14:30-16:00").code == "visit_window"


def test_route_order_is_window_then_district_round_then_address():
    stops = [("石鼓区", "09:00", "b"), ("雁峰区", "14:30", "a"), ("珠晖区", "09:00", "z"),
             ("雁峰区", "09:00", "c"), ("珠晖区", "09:00", "a")]
    ordered = sorted(stops, key=lambda s: hv.route_key(RULES, s[0], s[1], s[2], ""))
    assert ordered == [("雁峰区", "09:00", "c"), ("珠晖区", "09:00", "a"),
                       ("珠晖区", "09:00", "z"), ("石鼓区", "09:00", "b"),
                       ("雁峰区", "14:30", "a")]


def test_masks_keep_too_little_to_find_the_door():
    assert hv.mask_name("张三丰") == "张*丰" and hv.mask_name("李四") == "李*"
    masked = hv.mask_address("雁峰区先锋路88号幸福小区3栋2单元501", "雁峰区")
    assert masked == "雁峰区 先锋路****" and "88" not in masked
    assert hv.mask_address("东风路5号院1栋", "珠晖区") == "珠晖区 东风路****"
