"""The hall layout: businesses, windows, zones, journeys and routing policy.

Parsed from TOML (format in the README) and validated with every problem tied to a
line, because the people who edit layouts are hall administrators, not programmers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from queue_server.domain.booking import BookingRules, parse_booking
from queue_server.domain.homevisit import HomeVisitRules, parse_home_visits
from queue_server.domain.toml_source import (
    Problems,
    Table,
    check_code,
    parse_toml,
    tables,
)

PREFIX_RE = re.compile(r"^[A-Z]{1,2}$")
OVERDUE_MINUTES = 14.0  # the routing's default ageing limit (RoutingPolicy.overdue_minutes)
# The hall's code in a city's network ("HY01"): on every stored row, in the centre's
# subscription and replication slot names (which PostgreSQL wants short and plain).
HALL_CODE_RE = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")


class RoutingPolicyName(StrEnum):
    OLDEST_ELIGIBLE = "oldest_eligible"
    OWN_FIRST = "own_first"
    DEDICATED = "dedicated"


class Priority(StrEnum):
    NORMAL = "normal"
    GREEN = "green"
    APPOINTMENT = "appointment"
    TRANSFERRED = "transferred"


@dataclass(frozen=True)
class HallInfo:
    name: str
    name_en: str
    timezone: str
    clear_time: time
    code: str = "HALL"
    number_width: int = 3
    recall_limit: int = 3
    per_id_daily_limit: int = 5
    green_age: int = 70
    allow_anonymous: bool = True
    # Window staff must sign in with their 工号 before the window calls; off, a window
    # with nobody signed in still calls and its events record nobody on duty.
    staff_sign_in_required: bool = False
    # 差评整改: a bad review's work order is due this many working days after it.
    followup_working_days: int = 15
    # 回访: the share of a month's served visits (with a phone left) called back, in %.
    callback_percent: float = 5.0

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class RoutingPolicy:
    policy: RoutingPolicyName = RoutingPolicyName.OLDEST_ELIGIBLE
    own_business_bonus_minutes: float = 0.0
    # Ageing: a ticket that has waited this long in its queue goes before any ticket that
    # has not (it counts as holding the largest head start, and as the window's own
    # business), so head starts and own-business order cannot push it further back.
    # 0 turns it off. Measured in docs/simulation.md ("The tail").
    overdue_minutes: float = OVERDUE_MINUTES
    head_start_minutes: dict[Priority, float] = field(
        default_factory=lambda: {
            Priority.GREEN: 30.0,
            Priority.APPOINTMENT: 20.0,
            Priority.TRANSFERRED: 15.0,
        }
    )

    def head_start(self, priority: Priority) -> float:
        return self.head_start_minutes.get(priority, 0.0)


@dataclass(frozen=True)
class Zone:
    code: str
    name: str
    name_en: str
    # The zone has its own hall screen and speaker (`/display/hall?zone=CODE`): that screen
    # announces the zone's calls and the main hall screen leaves them to it (issue 15).
    own_screen: bool = False


@dataclass(frozen=True)
class Business:
    code: str
    name: str
    name_en: str
    prefix: str
    daily_cap: int = 0  # 0: no cap
    alert_waiting: int = 0  # 0: no alert
    wait_target_minutes: float = 20.0
    service_minutes: float = 10.0
    kind: str = "service"


@dataclass(frozen=True)
class Window:
    number: int
    zone: str
    businesses: tuple[str, ...]
    kind: str = "front"
    open: bool = True
    green_channel: bool = False
    label: str = ""

    @property
    def public(self) -> bool:
        return self.kind == "front"


@dataclass(frozen=True)
class Journey:
    code: str
    name: str
    name_en: str
    steps: tuple[str, ...]


@dataclass(frozen=True)
class Layout:
    hall: HallInfo
    routing: RoutingPolicy
    zones: dict[str, Zone]
    businesses: dict[str, Business]
    windows: dict[int, Window]
    journeys: dict[str, Journey]
    source: str = "<memory>"
    booking: BookingRules = field(default_factory=BookingRules)  # 预约; none by default
    home_visits: HomeVisitRules = field(default_factory=HomeVisitRules)  # 上门服务; none by default


class LayoutError(Exception):
    """An invalid layout; `problems` holds every `PATH:LINE: message`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


# --- parsing -----------------------------------------------------------------------------


def _parse_hall(data: dict[str, Any], p: Problems) -> HallInfo:
    t = Table(data, ("hall",), p, {
        "code", "name", "name_en", "timezone", "clear_time", "number_width", "recall_limit",
        "per_id_daily_limit", "green_age", "allow_anonymous", "staff_sign_in_required",
        "followup_working_days", "callback_percent"})
    tz = t.str("timezone", "Asia/Shanghai")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        p.at(("hall", "timezone"), f"未知时区 unknown time zone '{tz}'")
        tz = "Asia/Shanghai"
    clear_raw = t.str("clear_time", "19:00")
    try:
        clear = time.fromisoformat(clear_raw)
    except ValueError:
        p.at(("hall", "clear_time"), f"清号时间应为 HH:MM clear_time should be HH:MM, not '{clear_raw}'")
        clear = time(19, 0)
    code = t.str("code", required=True)
    if code and not HALL_CODE_RE.match(code):
        p.at(("hall", "code"), f"大厅代码应为 2–8 位大写字母或数字、以字母开头（如 HY01），不能是 "
                               f"'{code}' / the hall code is 2 to 8 capital letters or digits "
                               f"starting with a letter (like HY01), not '{code}'")
    return HallInfo(
        code=code,
        name=t.str("name", required=True),
        name_en=t.str("name_en"),
        timezone=tz,
        clear_time=clear,
        number_width=t.int("number_width", 3, minimum=1),
        recall_limit=t.int("recall_limit", 3),
        per_id_daily_limit=t.int("per_id_daily_limit", 5),
        green_age=t.int("green_age", 70),
        allow_anonymous=t.bool("allow_anonymous", True),
        staff_sign_in_required=t.bool("staff_sign_in_required", False),
        followup_working_days=t.int("followup_working_days", 15, minimum=1),
        callback_percent=_percent(t, "callback_percent", 5.0),
    )


def _percent(t: Table, key: str, default: float) -> float:
    value = t.float(key, default)
    if not 0 < value <= 100:
        t.p.at((*t.where, key), f"'{key}' 应大于 0 且不超过 100 must be above 0 and at most 100")
        return default
    return value


def _parse_routing(data: dict[str, Any], p: Problems) -> RoutingPolicy:
    t = Table(data, ("routing",), p, {"policy", "own_business_bonus_minutes",
                                         "head_start_minutes", "overdue_minutes"})
    name = t.str("policy", RoutingPolicyName.OLDEST_ELIGIBLE.value)
    try:
        policy = RoutingPolicyName(name)
    except ValueError:
        choices = ", ".join(x.value for x in RoutingPolicyName)
        p.at(("routing", "policy"), f"未知的叫号策略 unknown routing policy '{name}' (use {choices})")
        policy = RoutingPolicyName.OLDEST_ELIGIBLE
    head_start = RoutingPolicy().head_start_minutes.copy()
    raw = data.get("head_start_minutes", {})
    if not isinstance(raw, dict):
        p.at(("routing", "head_start_minutes"), "'head_start_minutes' 应为表 should be a table")
        raw = {}
    where = ("routing", "head_start_minutes")
    ht = Table(raw, where, p, {x.value for x in Priority if x is not Priority.NORMAL})
    for prio in head_start:
        head_start[prio] = ht.float(prio.value, head_start[prio])
    return RoutingPolicy(
        policy=policy,
        own_business_bonus_minutes=t.float("own_business_bonus_minutes", 0.0),
        head_start_minutes=head_start,
        overdue_minutes=t.float("overdue_minutes", OVERDUE_MINUTES),
    )


def _entries(doc: dict[str, Any], name: str, p: Problems) -> list[tuple[int, dict[str, Any]]]:
    return list(enumerate(tables(doc.get(name, []), (name,), name, p)))


def parse_layout(text: str, path: str = "<memory>") -> tuple[Layout | None, list[str]]:
    """Parse and validate; returns the layout (None when unusable) and every problem."""
    doc, syntax = parse_toml(text, path)
    if doc is None:
        return None, syntax
    p = Problems(path, text)

    Table(doc, (), p, {"hall", "routing", "zones", "businesses", "windows", "journeys",
                       "booking", "home_visits"})
    hall_raw = doc.get("hall")
    if not isinstance(hall_raw, dict):
        p.at((), "缺少 [hall] 表 missing the [hall] table")
        hall_raw = {}
    hall = _parse_hall(hall_raw, p)
    routing_raw = doc.get("routing", {})
    routing = _parse_routing(routing_raw if isinstance(routing_raw, dict) else {}, p)

    zones: dict[str, Zone] = {}
    for i, raw in _entries(doc, "zones", p):
        t = Table(raw, ("zones", i), p, {"code", "name", "name_en", "own_screen"})
        zone = Zone(t.str("code", required=True), t.str("name", required=True), t.str("name_en"),
                    t.bool("own_screen", False))
        check_code(zone.code, ("zones", i), p)
        if zone.code in zones:
            p.at(("zones", i, "code"), f"区域重复 duplicate zone '{zone.code}'")
        zones[zone.code] = zone

    businesses: dict[str, Business] = {}
    names: set[str] = set()
    prefixes: set[str] = set()
    for i, raw in _entries(doc, "businesses", p):
        w = ("businesses", i)
        t = Table(raw, w, p, {"code", "name", "name_en", "prefix", "daily_cap", "alert_waiting",
                               "wait_target_minutes", "service_minutes", "kind"})
        b = Business(
            code=t.str("code", required=True),
            name=t.str("name", required=True),
            name_en=t.str("name_en"),
            prefix=t.str("prefix", required=True),
            daily_cap=t.int("daily_cap", 0),
            alert_waiting=t.int("alert_waiting", 0),
            wait_target_minutes=t.float("wait_target_minutes", 20.0),
            service_minutes=t.float("service_minutes", 10.0, minimum=0.1),
            kind=t.str("kind", "service"),
        )
        check_code(b.code, w, p)
        if b.prefix and not PREFIX_RE.match(b.prefix):
            p.at((*w, "prefix"), f"票号前缀应为1–2个大写字母 prefix '{b.prefix}' must be 1–2 upper-case letters")
        if b.code in businesses:
            p.at((*w, "code"), f"业务代码重复 duplicate business '{b.code}'")
        if b.name in names:
            p.at((*w, "name"), f"业务名称重复 duplicate business name '{b.name}'")
        if b.prefix and b.prefix in prefixes:
            p.at((*w, "prefix"), f"票号前缀重复 duplicate prefix '{b.prefix}'")
        businesses[b.code] = b
        names.add(b.name)
        prefixes.add(b.prefix)

    windows: dict[int, Window] = {}
    for i, raw in _entries(doc, "windows", p):
        w = ("windows", i)
        t = Table(raw, w, p, {"number", "zone", "businesses", "kind", "open", "green_channel",
                               "label"})
        win = Window(
            number=t.int("number", 0, required=True, minimum=1),
            zone=t.str("zone", required=True),
            businesses=t.str_list("businesses", required=True),
            kind=t.str("kind", "front"),
            open=t.bool("open", True),
            green_channel=t.bool("green_channel", False),
            label=t.str("label"),
        )
        if win.kind not in ("front", "back"):
            p.at((*w, "kind"), f"窗口类型应为 front 或 back kind must be 'front' or 'back', not '{win.kind}'")
        if win.number in windows:
            p.at((*w, "number"), f"窗口号重复 duplicate window {win.number}")
        if win.zone and zones and win.zone not in zones:
            p.at((*w, "zone"), f"未知区域 unknown zone '{win.zone}'")
        if not win.businesses and "businesses" in raw:
            p.at((*w, "businesses"), f"窗口 {win.number} 没有业务 window {win.number} serves no business")
        for code in win.businesses:
            if code not in businesses:
                p.at((*w, "businesses"), f"窗口 {win.number} 的未知业务 unknown business '{code}'")
        if len(set(win.businesses)) != len(win.businesses):
            p.at((*w, "businesses"), f"窗口 {win.number} 业务重复 lists a business twice")
        if win.number:
            windows.setdefault(win.number, win)

    journeys: dict[str, Journey] = {}
    for i, raw in _entries(doc, "journeys", p):
        w = ("journeys", i)
        t = Table(raw, w, p, {"code", "name", "name_en", "steps"})
        j = Journey(t.str("code", required=True), t.str("name", required=True), t.str("name_en"),
                    t.str_list("steps", required=True))
        check_code(j.code, w, p)
        if j.code in journeys:
            p.at((*w, "code"), f"流程重复 duplicate journey '{j.code}'")
        if len(j.steps) < 2 and "steps" in raw:
            p.at((*w, "steps"), "流程至少两步 a journey needs at least two steps")
        journeys[j.code] = j

    # A zone's own screen would stand silent, and the main screen would leave its calls to
    # it, if no front window of the zone ever calls anyone.
    calling_zones = {win.zone for win in windows.values() if win.public}
    for i, raw in _entries(doc, "zones", p):
        code = raw.get("code")
        if raw.get("own_screen") is True and isinstance(code, str) and code not in calling_zones:
            p.at(("zones", i, "own_screen"),
                  f"区域 '{code}' 设有独立叫号屏，但没有前台窗口 zone '{code}' has its own "
                  "screen but no front window to call from")

    served = {code for win in windows.values() if win.open and win.public
              for code in win.businesses}
    for i, raw in _entries(doc, "businesses", p):
        code = raw.get("code")
        if isinstance(code, str) and code in businesses and code not in served:
            p.at(("businesses", i, "code"),
                  f"没有开放的前台窗口办理业务 no open front window serves business '{code}'")
    for i, raw in _entries(doc, "journeys", p):
        steps = raw.get("steps", [])
        for step in steps if isinstance(steps, list) else []:
            if step not in businesses:
                p.at(("journeys", i, "steps"), f"流程步骤的未知业务 journey step '{step}' is not a business")
            elif step not in served:
                p.at(("journeys", i, "steps"),
                      f"没有开放的前台窗口办理流程步骤 no open front window serves journey step '{step}'")
    booking = parse_booking(doc.get("booking"), p, businesses)
    home_visits = parse_home_visits(doc.get("home_visits"), p, businesses)
    if not windows and not p.items:
        p.at((), "布局没有窗口 the layout has no windows")

    problems = p.render()
    if problems:
        return None, problems
    layout = Layout(hall, routing, zones, businesses, dict(sorted(windows.items())), journeys,
                    source=path, booking=booking, home_visits=home_visits)
    return layout, []


def check_layout_file(path: str | Path) -> list[str]:
    """Every problem of the layout file as `PATH:LINE: message`; empty when valid."""
    path = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{path}:1: 无法读取布局文件 cannot read the layout file: {exc}"]
    return parse_layout(text, path)[1]


def load_layout(path: str | Path) -> Layout:
    """Load a valid layout or raise LayoutError with every problem."""
    path = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LayoutError([f"{path}:1: 无法读取布局文件 cannot read the layout file: {exc}"]) from exc
    layout, problems = parse_layout(text, path)
    if layout is None:
        raise LayoutError(problems)
    return layout
