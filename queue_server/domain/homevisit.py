"""上门服务 home visits and the mobile service vehicle (便民服务直通车): who may ask for one,
how guides schedule it to a crew and a time window, and what a visit may become.

Pure: no I/O. The layout's `[home_visits]` section declares the crews and windows (parsed
here, every problem on its line like the rest of the layout); storage hands in what it
knows (visits already in a window) and these functions decide.

    [home_visits]
    days_ahead = 14                  # preferred days at most this far ahead
    businesses = ["transfer"]        # what a crew can take at a home; default: every one
    districts = ["雁峰区", "珠晖区"]   # in the crews' route order (the day list follows it)
    windows = ["09:00-11:30", "14:30-17:00"]   # time windows a visit is promised in

    [[home_visits.teams]]
    code = "team1"
    name = "上门服务一组"
    name_en = "Home-visit team 1"
    kind = "team"                    # team | vehicle (便民服务直通车)
    per_window = 3                   # visits one crew makes in one window
    districts = ["雁峰区"]            # optional: where it goes; default every district

Preferred and visit days are working days of the one calendar (statutory holidays, 调休).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from queue_server.domain.errors import DomainError, IllegalTransition, InvalidInput, LimitReached
from queue_server.domain.toml_source import Problems, Table, check_code, tables
from queue_server.domain.workdays import WorkCalendar

# Why the applicant cannot come: the three the service is for, and anything else in words.
REASONS: dict[str, tuple[str, str]] = {
    "elderly": ("年老行动不便", "elderly, cannot travel"),
    "sick": ("患病卧床", "ill or bedridden"),
    "disabled": ("残疾", "disabled"),
    "other": ("其他原因", "another reason"),
}
KINDS: dict[str, tuple[str, str]] = {"team": ("上门服务组", "home-visit team"),
                                      "vehicle": ("便民服务直通车", "mobile service vehicle")}
STATUS: dict[str, tuple[str, str]] = {
    "requested": ("待安排", "waiting to be scheduled"),
    "scheduled": ("已安排", "scheduled"),
    "done": ("已办结", "done"),
    "rescheduled": ("需改期", "to be rescheduled"),
    "refused": ("申请人谢绝", "refused"),
    "nobody_home": ("无人在家", "nobody home"),
    "cancelled": ("已取消", "cancelled"),
}
OUTCOMES = ("done", "rescheduled", "refused", "nobody_home")
# What a visit may become. A crew's "rescheduled" or "nobody home" goes back to the
# guides, who schedule it again; done, refused and cancelled are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    "requested": frozenset({"scheduled", "cancelled"}),
    "scheduled": frozenset({"scheduled", *OUTCOMES, "cancelled"}),
    "rescheduled": frozenset({"scheduled", "cancelled"}),
    "nobody_home": frozenset({"scheduled", "cancelled"}),
    "done": frozenset(),
    "refused": frozenset(),
    "cancelled": frozenset(),
}
OPEN = ("requested", "rescheduled", "nobody_home")  # waiting for a guide
MAX_PREFERRED = 5
MAX_ADDRESS = 120
MAX_NOTE = 200


class VisitRefused(DomainError):
    code = "visit_refused"
    status = 409


@dataclass(frozen=True)
class TimeWindow:
    start: time
    end: time

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Team:
    code: str
    name: str
    name_en: str
    kind: str
    per_window: int
    districts: tuple[str, ...]  # empty: every district


@dataclass(frozen=True)
class HomeVisitRules:
    teams: dict[str, Team] = field(default_factory=dict)
    districts: tuple[str, ...] = ()
    windows: tuple[TimeWindow, ...] = ()
    businesses: tuple[str, ...] = ()  # empty: every business of the layout
    days_ahead: int = 14

    @property
    def enabled(self) -> bool:
        return bool(self.teams)


@dataclass(frozen=True)
class Request:
    """A home-visit request as the rules accept it (address and phone still in clear:
    storage seals them)."""

    business: str
    reason: str
    reason_note: str
    name: str
    district: str
    address: str
    phone: str
    preferred_days: tuple[date, ...]
    note: str


# --- parsing -----------------------------------------------------------------------------

_SECTION_KEYS = {"days_ahead", "businesses", "districts", "windows", "teams"}


def _window(raw: str, where: tuple[Any, ...], p: Problems) -> TimeWindow | None:
    a, sep, b = raw.partition("-")
    try:
        start, end = time.fromisoformat(a.strip()), time.fromisoformat(b.strip())
    except ValueError:
        start = end = None
    if not sep or start is None or end is None:
        p.at(where, f"时间段 '{raw}' 应写成 HH:MM-HH:MM / a time window should be HH:MM-HH:MM")
        return None
    if end <= start:
        p.at(where, f"时间段 '{raw}' 的结束须晚于开始 / the window must end after it starts")
        return None
    return TimeWindow(start, end)


def parse_home_visits(raw: Any, p: Problems, business_codes: Iterable[str]) -> HomeVisitRules:
    """The `[home_visits]` section; an absent one takes no home visits."""
    if raw is None:
        return HomeVisitRules()
    if not isinstance(raw, dict):
        p.at(("home_visits",), "'home_visits' 应为表 should be a table")
        return HomeVisitRules()
    known = set(business_codes)
    t = Table(raw, ("home_visits",), p, _SECTION_KEYS, "[home_visits]")
    days_ahead = t.int("days_ahead", 14, minimum=1)
    businesses = t.str_list("businesses")
    for code in businesses:
        if code not in known:
            p.at(("home_visits", "businesses"),
                 f"上门服务的未知业务 unknown business '{code}' in [home_visits]")
    districts = t.str_list("districts", required=True)
    if "districts" in raw and not districts:
        p.at(("home_visits", "districts"), "'districts' 不能为空 / must list the districts")
    if len(set(districts)) != len(districts):
        p.at(("home_visits", "districts"), "辖区重复 / a district is listed twice")
    windows: list[TimeWindow] = []
    for w in t.str_list("windows", required=True):
        tw = _window(w, ("home_visits", "windows"), p)
        if tw is not None:
            windows.append(tw)
    windows.sort(key=lambda w: w.start)
    for a, b in zip(windows, windows[1:], strict=False):
        if b.start < a.end:
            p.at(("home_visits", "windows"),
                 f"时间段重叠 windows overlap: {a.label} and {b.label}")
    if "windows" in raw and not windows and not p.items:
        p.at(("home_visits", "windows"), "'windows' 不能为空 / must list the time windows")
    teams: dict[str, Team] = {}
    for i, tr in enumerate(tables(raw.get("teams", []), ("home_visits", "teams"),
                                  "home_visits.teams", p)):
        where = ("home_visits", "teams", i)
        tt = Table(tr, where, p, {"code", "name", "name_en", "kind", "per_window",
                                  "districts"}, "[[home_visits.teams]]")
        code = tt.str("code", required=True)
        check_code(code, where, p)
        if code in teams:
            p.at((*where, "code"), f"上门服务组重复 team '{code}' is listed twice")
        kind = tt.str("kind", "team")
        if kind not in KINDS:
            p.at((*where, "kind"), f"'kind' 应为 team 或 vehicle / should be team or vehicle, "
                                   f"not '{kind}'")
            kind = "team"
        covers = tt.str_list("districts")
        for d in covers:
            if d not in districts:
                p.at((*where, "districts"),
                     f"未在 [home_visits] districts 中声明的辖区 '{d}' / district '{d}' is not "
                     "in [home_visits] districts")
        teams[code] = Team(code, tt.str("name", required=True), tt.str("name_en"), kind,
                           tt.int("per_window", 3, minimum=1), covers)
    if not raw.get("teams"):
        p.at(("home_visits",), "[home_visits] 没有上门服务组或直通车 / declares no "
                               "[[home_visits.teams]]")
    return HomeVisitRules(teams=teams, districts=districts, windows=tuple(windows),
                          businesses=businesses, days_ahead=days_ahead)


# --- a request ---------------------------------------------------------------------------


def _text(value: str, limit: int, zh: str, en: str, code: str, required: bool = True) -> str:
    v = " ".join(value.split())
    if required and not v:
        raise InvalidInput(f"请填写{zh}", f"please give the {en}", code=code)
    if len(v) > limit:
        raise InvalidInput(f"{zh}过长（最多 {limit} 字）", f"the {en} is too long (at most "
                           f"{limit} characters)", code=code)
    return v


def check_request(rules: HomeVisitRules, *, business: str, business_names: Iterable[str],
                  reason: str, reason_note: str, name: str, district: str, address: str,
                  phone: str, preferred_days: Sequence[date], note: str, today: date,
                  calendar: WorkCalendar) -> Request:
    """A request the hall can take, or the first thing wrong with it, in words."""
    require_enabled(rules)
    if business not in set(business_names) or (rules.businesses and
                                                business not in rules.businesses):
        raise VisitRefused("该业务不能上门办理，请选择其他业务",
                           f"business '{business}' is not done at home; choose another",
                           code="visit_business")
    if reason not in REASONS:
        raise InvalidInput("请选择不能到厅的原因（年老、患病、残疾或其他）",
                           "choose why the applicant cannot come (elderly, sick, disabled, "
                           "other)", code="visit_reason")
    reason_note = _text(reason_note, MAX_NOTE, "原因说明", "reason", "visit_reason",
                        required=reason == "other")
    name = _text(name, 40, "申请人姓名", "applicant's name", "visit_name")
    if district not in rules.districts:
        raise InvalidInput("请选择所在辖区", "choose the district from the list",
                           code="visit_district")
    address = _text(address, MAX_ADDRESS, "上门地址", "address", "visit_address")
    if len(address) < 6:
        raise InvalidInput("上门地址不完整，请写到门牌号", "the address is too short: give the "
                           "street, building and door", code="visit_address")
    days = sorted(set(preferred_days))
    if not days:
        raise InvalidInput("请至少选择一个希望上门的日期", "choose at least one day for the visit",
                           code="visit_days")
    if len(days) > MAX_PREFERRED:
        raise InvalidInput(f"希望日期最多选 {MAX_PREFERRED} 天",
                           f"choose at most {MAX_PREFERRED} days", code="visit_days")
    for d in days:
        check_day(rules, d, today, calendar, code="visit_days")
    return Request(business, reason, reason_note, name, district, address, phone,
                   tuple(days), _text(note, MAX_NOTE, "备注", "note", "visit_note",
                                      required=False))


def require_enabled(rules: HomeVisitRules) -> None:
    if not rules.enabled:
        from queue_server.domain.errors import NotFound
        raise NotFound("本大厅未开通上门服务", "this hall makes no home visits",
                       code="visits_unavailable")


def check_day(rules: HomeVisitRules, day: date, today: date, calendar: WorkCalendar, *,
              code: str = "visit_day") -> None:
    if day <= today:
        raise InvalidInput(f"{day:%m月%d日} 已过或是今天，请选明天以后的日期",
                           f"{day:%Y-%m-%d} is today or past; choose a later day", code=code)
    if (day - today).days > rules.days_ahead:
        raise InvalidInput(f"最多只能选 {rules.days_ahead} 天内的日期",
                           f"choose a day at most {rules.days_ahead} days ahead", code=code)
    if not calendar.is_workday(day):
        raise InvalidInput(f"{day:%m月%d日} 不是工作日（节假日或周末），请选其他日期",
                           f"{day:%Y-%m-%d} is not a working day; choose another", code=code)


def open_days(rules: HomeVisitRules, today: date, calendar: WorkCalendar) -> list[date]:
    """The working days one may ask for: tomorrow to days_ahead."""
    from datetime import timedelta
    days = (today + timedelta(days=n) for n in range(1, rules.days_ahead + 1))
    return [d for d in days if calendar.is_workday(d)]


# --- scheduling and outcomes -------------------------------------------------------------


def find_window(rules: HomeVisitRules, label: str) -> TimeWindow:
    for w in rules.windows:
        if w.label == label.strip():
            return w
    raise InvalidInput("没有这个上门时间段，请从列表中选择",
                       "no such time window; choose one from the list", code="visit_window")


def find_team(rules: HomeVisitRules, code: str) -> Team:
    team = rules.teams.get(code)
    if team is None:
        raise InvalidInput("没有这个上门服务组或直通车", "no such team or vehicle",
                           code="visit_team")
    return team


def check_transition(status: str, to: str) -> None:
    if to not in TRANSITIONS.get(status, frozenset()):
        zh, en = STATUS.get(status, (status, status))
        tzh, ten = STATUS.get(to, (to, to))
        raise IllegalTransition(f"该上门服务{zh}，不能改为{tzh}",
                                f"this visit is {en}; it cannot become {ten}",
                                code="visit_state")


def check_schedule(rules: HomeVisitRules, status: str, team: Team, district: str, day: date,
                   today: date, calendar: WorkCalendar, taken: int) -> None:
    """A guide may put this visit in this crew's window on this day: its state allows it,
    the crew goes to its district, the day is a working day ahead, the window has room."""
    check_transition(status, "scheduled")
    if team.districts and district not in team.districts:
        raise VisitRefused(f"{team.name}不去{district}，请选择其他组",
                           f"{team.name_en or team.code} does not go to {district}; choose "
                           "another crew", code="visit_team_district")
    if day < today:
        raise InvalidInput("上门日期已过", "the visit day is past", code="visit_day")
    if (day - today).days > rules.days_ahead:
        raise InvalidInput(f"最多只能安排 {rules.days_ahead} 天内的上门",
                           f"visits are scheduled at most {rules.days_ahead} days ahead",
                           code="visit_day")
    if not calendar.is_workday(day):
        raise InvalidInput(f"{day:%m月%d日} 不是工作日，请选其他日期",
                           f"{day:%Y-%m-%d} is not a working day; choose another",
                           code="visit_day")
    if taken >= team.per_window:
        raise LimitReached(f"{team.name}该时间段已排满（每段 {team.per_window} 户），请选其他时间段",
                           f"this crew's window is full ({team.per_window} visits); choose "
                           "another", code="visit_window_full")


def check_outcome(status: str, outcome: str, note: str) -> str:
    if outcome not in OUTCOMES:
        raise InvalidInput("上门结果应为：已办结、需改期、谢绝或无人在家",
                           "the outcome is one of done, rescheduled, refused, nobody_home",
                           code="visit_outcome")
    check_transition(status, outcome)
    note = " ".join(note.split())
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"备注过长（最多 {MAX_NOTE} 字）",
                           f"the note is too long (at most {MAX_NOTE} characters)",
                           code="visit_note")
    return note


def route_key(rules: HomeVisitRules, district: str, window_start: str, address: str,
              code: str) -> tuple[str, int, str, str]:
    """A crew's day in route order: by window, then the district order the layout gives
    (the crews' usual round), then the address, so neighbours are visited together."""
    try:
        order = rules.districts.index(district)
    except ValueError:
        order = len(rules.districts)
    return (window_start, order, address, code)


def mask_address(address: str, district: str) -> str:
    """The district and the first few characters: enough for a guide to plan a route,
    not enough to find the door."""
    rest = address[len(district):] if address.startswith(district) else address
    keep = ""
    for ch in rest[:6]:
        if ch.isdigit():  # the street, never its number
            break
        keep += ch
    return f"{district} {keep}****"


def mask_name(name: str) -> str:
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
