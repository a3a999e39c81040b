"""预约 booking: which slots a business offers, and who may book, cancel or rebook one.

Pure: no I/O. The layout's `[booking]` section holds the rules (parsed here, with every
problem on its line like the rest of the layout); storage hands in what it knows of an
ID number (its bookings, its no-shows) and these functions decide.

    [booking]
    days_ahead = 7          # the last day one may book, counted from today
    cutoff_minutes = 60     # booking, cancelling and rebooking close this long before a slot
    weekly_limit = 3        # bookings per ID number per calendar week (Monday to Sunday)
    grace_minutes = 15      # a booking not checked in by slot start + grace is a no-show
    no_show_limit = 3       # this many no-shows ...
    no_show_days = 90       # ... within this many days ...
    block_days = 30         # ... block online booking this long after the last one
    makeup_weekday = 1      # a 调休 working weekend keeps this weekday's slots (1 = Monday)
    reminder_time = "16:00" # the day-before reminder SMS goes out from this time of day
    batch_max = 200         # cases in one enterprise batch booking

    [[booking.businesses]]
    code = "transfer"
    days_ahead = 5          # optional: the business's own, else the section's
    batch = true            # optional: an enterprise account may batch book it (bulk business)
    [[booking.businesses.slots]]
    weekdays = [1, 2, 3, 4, 5]
    start = "09:00"
    end = "11:30"
    length_minutes = 30
    capacity = 6            # applicants per slot
    walk_in_percent = 50    # kept for walk-ins: online may take the rest

Closed days come from the one working-day calendar (statutory holidays, 调休).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from queue_server.domain.errors import DomainError, Forbidden, InvalidInput, LimitReached
from queue_server.domain.toml_source import Problems, Table, tables
from queue_server.domain.workdays import WorkCalendar

WEEKDAY_NAMES = ("一", "二", "三", "四", "五", "六", "日")


class BookingRefused(DomainError):
    """A booking the rules do not allow: the page shows the message as it is."""

    code = "booking_refused"
    status = 409


@dataclass(frozen=True)
class SlotRule:
    weekdays: tuple[int, ...]  # 1 = Monday … 7 = Sunday
    start: time
    end: time
    length_minutes: int
    capacity: int
    walk_in_percent: float

    @property
    def online_capacity(self) -> int:
        # The walk-in share is rounded up: a hall never keeps fewer places than it asked.
        return self.capacity - math.ceil(self.capacity * self.walk_in_percent / 100)


@dataclass(frozen=True)
class BusinessBooking:
    code: str
    slots: tuple[SlotRule, ...]
    days_ahead: int
    cutoff_minutes: int
    batch: bool = False  # developers' bulk business: enterprise accounts batch book it


@dataclass(frozen=True)
class BookingRules:
    businesses: dict[str, BusinessBooking] = field(default_factory=dict)
    days_ahead: int = 7
    cutoff_minutes: int = 60
    weekly_limit: int = 3
    grace_minutes: int = 15
    no_show_limit: int = 3
    no_show_days: int = 90
    block_days: int = 30
    makeup_weekday: int = 1
    reminder_time: time = time(16, 0)
    batch_max: int = 200

    @property
    def enabled(self) -> bool:
        return bool(self.businesses)


@dataclass(frozen=True)
class Slot:
    business: str
    start: datetime  # aware, hall time
    end: datetime
    capacity: int  # online places

    def remaining(self, taken: int) -> int:
        return max(0, self.capacity - taken)


@dataclass(frozen=True)
class Held:
    """One of an ID number's live bookings, as storage knows it."""

    code: str
    business: str
    slot_start: datetime


# --- parsing -----------------------------------------------------------------------------

_SECTION_KEYS = {"days_ahead", "cutoff_minutes", "weekly_limit", "grace_minutes",
                 "no_show_limit", "no_show_days", "block_days", "makeup_weekday", "businesses",
                 "reminder_time", "batch_max"}


def _clock(t: Table, key: str) -> time | None:
    raw = t.str(key, required=True)
    if not raw:
        return None
    try:
        value = time.fromisoformat(raw)
    except ValueError:
        t.p.at((*t.where, key), f"'{key}' 应为 HH:MM should be HH:MM, not '{raw}'")
        return None
    return value


def _slot(raw: dict[str, Any], where: tuple[Any, ...], p: Problems) -> SlotRule | None:
    t = Table(raw, where, p, {"weekdays", "start", "end", "length_minutes", "capacity",
                              "walk_in_percent"}, "a booking slot")
    weekdays_raw = raw.get("weekdays", [1, 2, 3, 4, 5])
    if (not isinstance(weekdays_raw, list) or not weekdays_raw
            or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7
                       for d in weekdays_raw)):
        p.at((*where, "weekdays"), "'weekdays' 应为 1（周一）到 7（周日）的列表 should be a list "
                                   "of 1 (Monday) to 7 (Sunday)")
        weekdays_raw = []
    start, end = _clock(t, "start"), _clock(t, "end")
    length = t.int("length_minutes", 30, minimum=5)
    capacity = t.int("capacity", 0, required=True, minimum=1)
    walk_in = t.float("walk_in_percent", 0.0)
    if walk_in >= 100:
        p.at((*where, "walk_in_percent"), "'walk_in_percent' 应小于 100 must be below 100: "
                                          "else nothing is left to book")
        walk_in = 0.0
    if start is None or end is None:
        return None
    span = (datetime.combine(date.min, end) - datetime.combine(date.min, start)).total_seconds()
    if span <= 0:
        p.at((*where, "end"), "预约时段的结束须晚于开始 'end' must be after 'start'")
        return None
    if span % (length * 60):
        p.at((*where, "length_minutes"),
             f"{start:%H:%M}–{end:%H:%M} 不能整分为 {length} 分钟的时段 does not divide into "
             f"{length}-minute slots")
        return None
    rule = SlotRule(tuple(sorted(set(weekdays_raw))), start, end, length, capacity, walk_in)
    if capacity and rule.online_capacity < 1:
        p.at((*where, "walk_in_percent"), "留给现场的份额过大，网上无号可约 the walk-in share "
                                          "leaves no place to book online")
    return rule


def parse_booking(raw: Any, p: Problems, business_codes: Iterable[str]) -> BookingRules:
    """The `[booking]` section; an absent one books nothing."""
    if raw is None:
        return BookingRules()
    if not isinstance(raw, dict):
        p.at(("booking",), "'booking' 应为表 should be a table")
        return BookingRules()
    known = set(business_codes)
    t = Table(raw, ("booking",), p, _SECTION_KEYS, "[booking]")
    days_ahead = t.int("days_ahead", 7, minimum=1)
    cutoff = t.int("cutoff_minutes", 60)
    makeup = t.int("makeup_weekday", 1, minimum=1)
    if makeup > 7:
        p.at(("booking", "makeup_weekday"), "'makeup_weekday' 应为 1 到 7 must be 1 to 7")
        makeup = 1
    reminder = time(16, 0)
    if "reminder_time" in raw:
        reminder = _clock(t, "reminder_time") or reminder
    businesses: dict[str, BusinessBooking] = {}
    for i, b in enumerate(tables(raw.get("businesses", []), ("booking", "businesses"),
                                 "booking.businesses", p)):
        where = ("booking", "businesses", i)
        bt = Table(b, where, p, {"code", "slots", "days_ahead", "cutoff_minutes", "batch"},
                   "[[booking.businesses]]")
        code = bt.str("code", required=True)
        if code and code not in known:
            p.at((*where, "code"), f"预约的未知业务 unknown business '{code}' in [booking]")
        if code in businesses:
            p.at((*where, "code"), f"预约业务重复 business '{code}' is listed twice in [booking]")
        rules = [_slot(s, (*where, "slots", j), p) for j, s in enumerate(
            tables(b.get("slots", []), where, "booking.businesses.slots", p))]
        slots = tuple(r for r in rules if r is not None)
        if not b.get("slots"):
            p.at(where, f"业务 '{code}' 没有预约时段 business '{code}' has no [[booking."
                        "businesses.slots]]")
        _check_overlaps(slots, where, p)
        businesses[code] = BusinessBooking(
            code, slots, bt.int("days_ahead", days_ahead, minimum=1),
            bt.int("cutoff_minutes", cutoff), bt.bool("batch", False))
    return BookingRules(
        businesses=businesses, days_ahead=days_ahead, cutoff_minutes=cutoff,
        weekly_limit=t.int("weekly_limit", 3, minimum=1),
        grace_minutes=t.int("grace_minutes", 15),
        no_show_limit=t.int("no_show_limit", 3, minimum=1),
        no_show_days=t.int("no_show_days", 90, minimum=1),
        block_days=t.int("block_days", 30),
        makeup_weekday=makeup, reminder_time=reminder,
        batch_max=t.int("batch_max", 200, minimum=1))


def _check_overlaps(slots: Sequence[SlotRule], where: tuple[Any, ...], p: Problems) -> None:
    for j, a in enumerate(slots):
        for b in slots[:j]:
            if set(a.weekdays) & set(b.weekdays) and a.start < b.end and b.start < a.end:
                p.at((*where, "slots"), f"预约时段重叠 booking slots overlap: "
                                        f"{b.start:%H:%M}–{b.end:%H:%M} and "
                                        f"{a.start:%H:%M}–{a.end:%H:%M}")


# --- slots -------------------------------------------------------------------------------


def _business(rules: BookingRules, business: str) -> BusinessBooking:
    b = rules.businesses.get(business)
    if b is None:
        raise BookingRefused("该业务不接受预约，请现场取号",
                             f"business '{business}' takes no bookings; take a ticket in the "
                             "hall", code="not_bookable")
    return b


def slots_on(rules: BookingRules, business: str, day: date, calendar: WorkCalendar,
             tz: ZoneInfo) -> list[Slot]:
    """Every slot of a business on a day, in order; none on a closed day."""
    b = _business(rules, business)
    if not calendar.is_workday(day):
        return []
    weekday = day.isoweekday()
    if weekday > 5:  # a 调休 working weekend: the hall works it as the weekday it replaces
        weekday = rules.makeup_weekday
    out: list[Slot] = []
    for rule in b.slots:
        if weekday not in rule.weekdays:
            continue
        at = datetime.combine(day, rule.start, tz)
        end = datetime.combine(day, rule.end, tz)
        while at < end:
            nxt = at + timedelta(minutes=rule.length_minutes)
            out.append(Slot(business, at, nxt, rule.online_capacity))
            at = nxt
    return sorted(out, key=lambda s: s.start)


def bookable_days(rules: BookingRules, business: str, today: date,
                  calendar: WorkCalendar) -> list[date]:
    """The open days from today to the last one may book."""
    b = _business(rules, business)
    days = (today + timedelta(days=n) for n in range(b.days_ahead + 1))
    return [d for d in days if calendar.is_workday(d)]


def find_slot(rules: BookingRules, business: str, start: datetime, calendar: WorkCalendar,
              tz: ZoneInfo) -> Slot:
    """The slot that starts at `start`, or a refusal saying there is none."""
    if start.tzinfo is None:
        raise InvalidInput("预约时段须带时区", "slot_start needs a time zone offset")
    local = start.astimezone(tz)
    for slot in slots_on(rules, business, local.date(), calendar, tz):
        if slot.start == local:
            return slot
    if not calendar.is_workday(local.date()):
        raise BookingRefused(f"{local:%m月%d日} 不办公（节假日或周末），请选其他日期",
                             f"the hall is closed on {local:%Y-%m-%d}; choose another day",
                             code="day_closed")
    raise BookingRefused("没有这个预约时段，请重新选择",
                         "there is no such slot; choose one from the list", code="no_such_slot")


def check_open(rules: BookingRules, slot: Slot, now: datetime, what_zh: str = "预约",
               what_en: str = "booking") -> None:
    """Booking, cancelling or rebooking is open for this slot now: not past its cut-off."""
    b = _business(rules, slot.business)
    closes = slot.start - timedelta(minutes=b.cutoff_minutes)
    if now >= closes:
        raise BookingRefused(
            f"该时段已截止{what_zh}（开始前 {b.cutoff_minutes} 分钟截止），请选其他时段",
            f"{what_en} for this slot closed {b.cutoff_minutes} minutes before it starts; "
            "choose another", code="booking_closed")


def changes_close(rules: BookingRules, business: str, slot_start: datetime) -> datetime:
    """When a booking of this slot can no longer be cancelled or moved: its cut-off."""
    return slot_start - timedelta(minutes=_business(rules, business).cutoff_minutes)


def check_changeable(rules: BookingRules, slot: Slot, now: datetime, what_zh: str,
                     what_en: str) -> None:
    """A booking may still be cancelled or moved: its own slot is not past its cut-off.

    The same code as a slot closed for booking, but not its words: "choose another time"
    would send the applicant to pick a new time that is refused again, since it is the
    booking already held that has closed. What is left is to come at the booked time."""
    b = _business(rules, slot.business)
    if now >= slot.start:
        raise BookingRefused(
            "预约时间已到，不能再改约或取消。请尽快到大厅，在自助机扫码签到",
            "the booked time has begun: the booking can no longer be changed or cancelled; "
            "please come to the hall now and scan it at a kiosk", code="booking_closed")
    if now >= changes_close(rules, slot.business, slot.start):
        raise BookingRefused(
            f"这个预约已过{what_zh}截止时间（开始前 {b.cutoff_minutes} 分钟），不能再改约或取消。"
            f"请按预约时间 {slot.start:%H:%M} 到大厅，在自助机扫码签到",
            f"it is too late for this booking to be {what_en} (changes close "
            f"{b.cutoff_minutes} minutes before it starts); please come to the hall at "
            f"{slot.start:%H:%M} and scan it at a kiosk", code="booking_closed")


def check_ahead(rules: BookingRules, slot: Slot, today: date) -> None:
    b = _business(rules, slot.business)
    if (slot.start.date() - today).days > b.days_ahead:
        raise BookingRefused(f"最多只能预约 {b.days_ahead} 天内的时段",
                             f"slots can be booked at most {b.days_ahead} days ahead",
                             code="too_far_ahead")


def check_places(slot: Slot, taken: int) -> None:
    if slot.remaining(taken) <= 0:
        raise LimitReached("该时段已约满，请选其他时段",
                           "this slot is fully booked; choose another", code="slot_full")


def week_of(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def check_person(rules: BookingRules, slot: Slot, held: Sequence[Held], *,
                 ignore: str | None = None) -> None:
    """One booking per ID per business per day, and the weekly limit; `ignore` is the
    booking being rebooked, which gives its place up."""
    live = [h for h in held if h.code != ignore]
    day = slot.start.date()
    tz = slot.start.tzinfo
    for h in live:
        if h.business == slot.business and h.slot_start.astimezone(tz).date() == day:
            raise LimitReached("您当天已预约过该业务，每人每天每项业务限约一次",
                               "this ID number already has a booking for this business that "
                               "day (one per business per day)", code="already_booked")
    monday, sunday = week_of(day)
    same_week = [h for h in live if monday <= h.slot_start.astimezone(tz).date() <= sunday]
    if len(same_week) >= rules.weekly_limit:
        raise LimitReached(f"每人每周最多预约 {rules.weekly_limit} 次",
                           f"at most {rules.weekly_limit} bookings per ID number a week",
                           code="weekly_limit_reached")


def blocked_until(rules: BookingRules, no_shows: Iterable[datetime], now: datetime
                  ) -> datetime | None:
    """When online booking opens again for an ID with too many no-shows; None: not blocked.

    `no_shows` are the slot starts of its bookings nobody checked in for."""
    recent = sorted(t for t in no_shows if now - t <= timedelta(days=rules.no_show_days))
    if len(recent) < rules.no_show_limit:
        return None
    until = recent[-1] + timedelta(days=rules.block_days)
    return until if until > now else None


def check_not_blocked(rules: BookingRules, no_shows: Iterable[datetime], now: datetime,
                      tz: ZoneInfo) -> None:
    until = blocked_until(rules, no_shows, now)
    if until is not None:
        raise Forbidden(
            f"该身份证号 {rules.no_show_days} 天内爽约 {rules.no_show_limit} 次，"
            f"{until.astimezone(tz):%Y年%m月%d日}前不能网上预约，请现场取号",
            f"{rules.no_show_limit} missed bookings within {rules.no_show_days} days: online "
            f"booking is blocked until {until.astimezone(tz):%Y-%m-%d}; take a ticket in the hall",
            code="id_blocked")


def is_no_show(rules: BookingRules, slot_start: datetime, now: datetime) -> bool:
    """A booking not checked in is released (and counts as a no-show) at start + grace."""
    return now >= slot_start + timedelta(minutes=rules.grace_minutes)


def check_in_window(rules: BookingRules, slot_start: datetime, now: datetime) -> None:
    """A released booking no longer checks in: its place has gone back."""
    if is_no_show(rules, slot_start, now):
        raise BookingRefused(
            f"预约已过时（时段开始后 {rules.grace_minutes} 分钟未签到），请现场取号",
            f"this booking was released {rules.grace_minutes} minutes after its slot began; "
            "take a ticket", code="booking_released")


# --- 批量预约 enterprise batch booking ----------------------------------------------------


def check_batch(rules: BookingRules, business: str, case_nos: Sequence[str]) -> None:
    """A developer's bulk business, and a batch the rules take: not empty, not too large,
    each case once."""
    b = _business(rules, business)
    if not b.batch:
        raise BookingRefused("该业务不接受企业批量预约（仅双预告、期转现、房地首登等批量业务）",
                             f"business '{business}' takes no enterprise batch bookings (only "
                             "bulk businesses such as double pre-notice)",
                             code="batch_not_allowed")
    if not case_nos:
        raise InvalidInput("批量预约至少要有一件案件", "a batch needs at least one case",
                           code="batch_empty")
    if len(case_nos) > rules.batch_max:
        raise InvalidInput(f"一次批量预约最多 {rules.batch_max} 件，请分批提交",
                           f"at most {rules.batch_max} cases in one batch; send several",
                           code="batch_too_large")
    twice = sorted(c for c, n in Counter(case_nos).items() if n > 1)
    if twice:
        raise InvalidInput(f"案件重复：{'、'.join(twice[:5])}",
                           f"cases listed twice: {', '.join(twice[:5])}",
                           code="batch_duplicate_case")


def plan_batch(rules: BookingRules, slots: Sequence[Slot], taken: dict[datetime, int],
               cases: int, now: datetime, today: date) -> list[Slot]:
    """All or nothing: one slot per case, filling the range's open slots in order (the
    earliest first, so a developer's cases are served together). Refused when the range
    has no open slot or too few places for every case."""
    open_slots: list[Slot] = []
    for s in sorted(slots, key=lambda s: s.start):
        check_ahead(rules, s, today)  # a range past the booking horizon is refused whole
        try:
            check_open(rules, s, now)
        except BookingRefused:
            continue  # past its cut-off: the range's later slots still take cases
        open_slots.append(s)
    if not open_slots:
        raise BookingRefused("所选时间段内没有可预约的时段，请换一个时间段",
                             "the range has no slot open for booking; choose another range",
                             code="batch_no_slots")
    plan: list[Slot] = []
    for s in open_slots:
        plan += [s] * s.remaining(taken.get(s.start, 0))
        if len(plan) >= cases:
            return plan[:cases]
    raise LimitReached(f"所选时间段只剩 {len(plan)} 个名额，不够 {cases} 件；请扩大时间段或减少案件",
                       f"the range has {len(plan)} places left, not enough for {cases} cases; "
                       "widen the range or send fewer", code="batch_no_room")
