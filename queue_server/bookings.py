"""预约 the booking service: the layout's rules, the working-day calendar, storage, the SMS
outbox and the slip key, put together for the routes (api/routes/booking.py).

The rules decide (domain/booking.py); this module only gathers what they need to know
(places taken, an ID's bookings and no-shows) and writes what they allowed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from hallrules.appointment import appointment_value
from hallrules.slips import SlipKind, make_slip
from queue_server.domain import booking as rules
from queue_server.domain.booking import BookingRefused, Slot
from queue_server.domain.errors import DomainError, InvalidInput, LimitReached, NotFound
from queue_server.domain.identity import id_hash, mask_id_number, normalise_id_number
from queue_server.domain.layout import Layout
from queue_server.domain.state import Appointment
from queue_server.domain.workdays import WorkCalendar
from queue_server.notify import outbox
from queue_server.notify.outbox import Draft
from queue_server.notify.phone import mask_phone, normalise_phone
from queue_server.notify.service import Notifier
from queue_server.notify.templates import BOOKING_CODE, BOOKING_MADE, BOOKING_REMIND
from queue_server.phone_codes import PhoneCodes
from queue_server.ratelimit import Limiter
from queue_server.store.booking import BookingStore, NewBooking

log = logging.getLogger("hallq.booking")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over a phone
STATUS_ZH = {"booked": "已预约", "cancelled": "已取消", "checked_in": "已签到",
             "no_show": "未到（爽约）"}
STATUS_EN = {"booked": "booked", "cancelled": "cancelled", "checked_in": "checked in",
             "no_show": "missed"}


def _in_range(year: int) -> None:
    """Days the hall's figures and bookings can be about; outside them date arithmetic
    (a day's end, a time zone) could overflow."""
    if not 2000 <= year <= 2100:
        raise InvalidInput("日期超出范围（2000–2100 年）", "the date is out of range (years "
                           "2000 to 2100)", code="date_out_of_range")


@dataclass
class Bookings:
    layout: Layout
    calendar: WorkCalendar
    store: BookingStore
    notifier: Notifier
    limiter: Limiter
    secret: bytes
    slip_key: str | None
    clock: Callable[[], datetime]
    public_url: str = ""
    codes: PhoneCodes | None = None  # shared with the kiosk's SMS proof (records.py)
    phone_codes: bool = False  # the SMS code proves phones for home visits too (上门服务)

    def __post_init__(self) -> None:
        if self.codes is None:
            self.codes = PhoneCodes(self.notifier, self.limiter, self.secret, self.clock)

    @property
    def rules(self) -> rules.BookingRules:
        return self.layout.booking

    @property
    def tz(self):  # type: ignore[no-untyped-def]
        return self.layout.hall.tz

    def now(self) -> datetime:
        return self.clock().astimezone(self.tz)

    def _require(self) -> None:
        if not self.rules.enabled:
            raise NotFound("本大厅未开通网上预约", "this hall takes no online bookings",
                           code="booking_unavailable")
        if self.slip_key is None:
            # A booking nobody can check in is worse than none.
            raise NotFound("本大厅未设置二维码密钥，暂不能预约",
                           "this hall has no slip key, so it cannot issue booking slips",
                           code="slips_unavailable")

    def _require_codes(self) -> None:
        """SMS codes serve booking and home-visit requests: either one opens them."""
        if not self.phone_codes:
            self._require()

    # --- what can be booked --------------------------------------------------------------

    def businesses(self) -> list[dict[str, Any]]:
        self._require()
        out = []
        for code, b in self.rules.businesses.items():
            biz = self.layout.businesses[code]
            out.append({"code": code, "name": biz.name, "name_en": biz.name_en,
                        "days_ahead": b.days_ahead, "cutoff_minutes": b.cutoff_minutes,
                        "days": [d.isoformat() for d in rules.bookable_days(
                            self.rules, code, self.now().date(), self.calendar)]})
        return out

    def slots(self, business: str, day: date) -> dict[str, Any]:
        self._require()
        now = self.now()
        found = rules.slots_on(self.rules, business, day, self.calendar, self.tz)
        taken = self.store.taken(business, [s.start for s in found])
        out = []
        for s in found:
            left = s.remaining(taken.get(s.start, 0))
            why = None
            try:
                rules.check_open(self.rules, s, now)
                rules.check_ahead(self.rules, s, now.date())
                rules.check_places(s, taken.get(s.start, 0))
            except DomainError as e:  # shown beside the slot, in the slot's own words
                why = e.code
            out.append({"start": s.start.isoformat(), "end": s.end.isoformat(),
                        "label": f"{s.start:%H:%M}–{s.end:%H:%M}", "capacity": s.capacity,
                        "remaining": left, "bookable": why is None, "reason": why})
        return {"business": business, "day": day.isoformat(),
                "open": self.calendar.is_workday(day), "slots": out}

    # --- proving the phone ---------------------------------------------------------------

    def send_code(self, raw_phone: str, address: str) -> dict[str, Any]:
        self._require_codes()
        if not self.codes.enabled:
            raise NotFound("本厅未开通短信，不能网上预约", "this hall sends no SMS, so it "
                           "cannot take online bookings", code="sms_disabled")
        return self.codes.send(normalise_phone(raw_phone), kind=BOOKING_CODE,
                               limits=[("booking_addr", address)])

    def verify(self, raw_phone: str, code: str) -> dict[str, Any]:
        self._require_codes()
        phone = normalise_phone(raw_phone)
        ref = self.codes.ref(phone)
        self.codes.check(ref, code)
        token, expires = self.codes.grant(ref)
        return {"pass": token, "expires_at": expires.isoformat(),
                "phone_masked": mask_phone(phone)}

    def _phone(self, raw_phone: str, proof: str | None, portal: bool) -> tuple[str, str]:
        phone = normalise_phone(raw_phone)
        ref = self.notifier.composer.box.ref(phone)
        if not portal:  # the portal proved the applicant on its own side
            self.codes.check_pass(proof, ref)
        return phone, ref

    # --- booking -------------------------------------------------------------------------

    def _slot(self, business: str, start: datetime) -> Slot:
        return rules.find_slot(self.rules, business, start, self.calendar, self.tz)

    def _check(self, slot: Slot, id_h: str, ignore: str | None = None) -> None:
        now = self.now()
        rules.check_open(self.rules, slot, now)
        rules.check_ahead(self.rules, slot, now.date())
        since = now - timedelta(days=self.rules.no_show_days)
        self.sweep()  # the block counts stored no-shows: the periodic job's may be behind
        rules.check_not_blocked(self.rules, self.store.unkept(id_h, since), now, self.tz)
        monday = datetime.combine(rules.week_of(slot.start.date())[0], datetime.min.time(),
                                  self.tz)
        rules.check_person(self.rules, slot, self.store.held(id_h, monday), ignore=ignore)
        rules.check_places(slot, self.store.taken(slot.business, [slot.start]).get(slot.start, 0))

    def _new(self, slot: Slot, id_h: str, id_masked: str, phone: str, ref: str, channel: str,
             actor: str) -> NewBooking:
        box = self.notifier.composer.box
        return NewBooking(
            code="B" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(9)), slot=slot,
            id_hash=id_h, id_masked=id_masked, phone_sealed=box.seal(phone), phone_masked=mask_phone(phone), phone_ref=ref,
            channel=channel, actor=actor)

    def book(self, business: str, slot_start: datetime, raw_id: str, raw_phone: str, *,
             proof: str | None, portal: bool, actor: str) -> dict[str, Any]:
        self._require()
        id_number = normalise_id_number(raw_id)
        phone, ref = self._phone(raw_phone, proof, portal)
        slot = self._slot(business, slot_start)
        new = self._new(slot, id_hash(id_number, self.secret), mask_id_number(id_number), phone,
                        ref, "portal" if portal else "phone", actor)
        self._check(slot, new.id_hash)
        view = self.view(self.store.create(new, self.clock()))
        self._confirm(view, phone)
        return view

    def _confirm(self, view: dict[str, Any], phone: str) -> None:
        """The booking's slip, by SMS link: the page shows it too, but a phone may be lost."""
        if "sms" not in self.notifier.composer.channels:
            return
        box = self.notifier.composer.box
        body = self.notifier.composer.templates.render(
            BOOKING_MADE, business_name=view["business_name"], when=view["when"],
            booking=view["code"], link=view["slip_url"])
        with self.store.engine.begin() as conn:
            outbox.enqueue(conn, box, Draft(
                key=f"booking-made:{view['code']}", kind=BOOKING_MADE, channel="sms",
                recipient=phone, recipient_masked=mask_phone(phone), body=body,
                params={"booking": view["code"]}), self.clock())
        self.notifier.poke()

    def _own(self, code: str, raw_phone: str | None, proof: str | None,
             portal: bool) -> dict[str, Any]:
        row = self.store.get(code.strip().upper())
        if row is None:
            raise NotFound("没有这个预约，请核对预约号", "no such booking; check the booking code",
                           code="booking_unknown")
        if not portal:
            _, ref = self._phone(raw_phone or "", proof, False)
            if not hmac.compare_digest(ref, row["phone_ref"]):
                # The same answer as for no booking: a phone learns nothing of others'.
                raise NotFound("没有这个预约，请核对预约号",
                               "no such booking; check the booking code", code="booking_unknown")
        return row

    def find(self, code: str, raw_phone: str | None, proof: str | None, *,
             portal: bool) -> dict[str, Any]:
        self._require()
        return self.view(self._own(code, raw_phone, proof, portal))

    def mine(self, raw_phone: str, proof: str | None) -> list[dict[str, Any]]:
        """The phone's bookings from today on (the page's "my bookings")."""
        self._require()
        _, ref = self._phone(raw_phone, proof, False)
        since = datetime.combine(self.now().date(), datetime.min.time(), self.tz)
        return [self.view(r) for r in self.store.listing(phone_ref=ref, since=since)]

    def of_id(self, raw_id: str) -> list[dict[str, Any]]:
        self._require()
        h = id_hash(normalise_id_number(raw_id), self.secret)
        since = self.now() - timedelta(days=self.rules.no_show_days)
        return [self.view(r) for r in self.store.listing(id_hash=h, since=since, limit=200)]

    def _live(self, row: dict[str, Any], what_zh: str, what_en: str) -> Slot:
        if row["status"] != "booked":
            raise BookingRefused(f"该预约{STATUS_ZH[row['status']]}，不能{what_zh}",
                                 f"this booking is {STATUS_EN[row['status']]}; it cannot be "
                                 f"{what_en}", code=f"booking_{row['status']}")
        slot = Slot(row["business"], row["slot_start"].astimezone(self.tz),
                    row["slot_end"].astimezone(self.tz), 0)
        rules.check_changeable(self.rules, slot, self.now(), what_zh, what_en)
        return slot

    def cancel(self, code: str, raw_phone: str | None, proof: str | None, *,
               portal: bool) -> dict[str, Any]:
        self._require()
        row = self._own(code, raw_phone, proof, portal)
        self._live(row, "取消", "cancelled")
        if not self.store.cancel(row["code"], self.clock()):
            raise BookingRefused("该预约已取消或已签到", "this booking was cancelled or checked in",
                                 code="booking_cancelled")
        return self.find(row["code"], None, None, portal=True)

    def rebook(self, code: str, slot_start: datetime, raw_phone: str | None,
               proof: str | None, *, portal: bool, actor: str) -> dict[str, Any]:
        self._require()
        row = self._own(code, raw_phone, proof, portal)
        self._live(row, "改约", "rebooked")
        slot = self._slot(row["business"], slot_start)
        box = self.notifier.composer.box
        phone = box.open(row["phone_sealed"])
        new = self._new(slot, row["id_hash"], row["id_masked"], phone, row["phone_ref"],
                        row["channel"], actor)
        self._check(slot, row["id_hash"], ignore=row["code"])
        made = self.store.rebook(row["code"], new, self.clock())
        if made is None:
            raise BookingRefused("该预约已取消或已签到", "this booking was cancelled or checked in",
                                 code="booking_cancelled")
        view = self.view(made)
        self._confirm(view, phone)
        return view

    # --- the day's figures (guide console, manager's page) ---------------------------------

    def day_figures(self, day: date | None = None) -> dict[str, Any]:
        """预约 of one day (today by default): booked, checked in (by hand among them),
        no-shows, still to come, cancelled; in total and per business."""
        self._require()
        day = day or self.now().date()
        _in_range(day.year)
        start = datetime.combine(day, datetime.min.time(), self.tz)
        rows = self.store.day_rows(start, start + timedelta(days=1))

        def count(rs: list[dict[str, Any]]) -> dict[str, Any]:
            status = [self.status_of(r) for r in rs]
            came = status.count("checked_in")
            missed = status.count("no_show")
            return {"booked": len(rs) - status.count("cancelled"), "checked_in": came,
                    "by_hand": sum(1 for r, st in zip(rs, status, strict=True)
                                   if st == "checked_in" and (r["checked_in_by"] or "kiosk")
                                   != "kiosk"),
                    "no_show": missed, "to_come": status.count("booked"),
                    "cancelled": status.count("cancelled"),
                    "enterprise": sum(1 for r, st in zip(rs, status, strict=True)
                                      if r["channel"] == "enterprise" and st != "cancelled"),
                    "show_rate": round(came / (came + missed), 3) if came + missed else None}
        per = []
        for code in self.rules.businesses:
            biz = self.layout.businesses[code]
            per.append({"code": code, "name": biz.name, "name_en": biz.name_en,
                        **count([r for r in rows if r["business"] == code])})
        return {"day": day.isoformat(), **count(rows), "businesses": per}

    # --- 批量预约 an enterprise's batch of cases ------------------------------------------

    def _account(self, name: str) -> tuple[str, str]:
        """The enterprise account as bookings keep it: a keyed hash (what the per-account
        rules would count) and its name, shortened to the masked column."""
        h = hmac.new(self.secret, f"hallq-enterprise\0{name}".encode(),
                     hashlib.sha256).hexdigest()
        return h, name[:24]

    def book_batch(self, business: str, start_from: datetime, start_to: datetime,
                   case_nos: list[str], raw_phone: str, account: str) -> dict[str, Any]:
        """Many cases of one developer's bulk business over one slot range, all or none."""
        self._require()
        if start_from.tzinfo is None or start_to.tzinfo is None:
            raise InvalidInput("时间段须带时区", "the range needs time zone offsets")
        _in_range(start_from.year)  # before any arithmetic: year 1 or 9999 would overflow
        _in_range(start_to.year)
        if start_to <= start_from:
            raise InvalidInput("时间段的结束须晚于开始", "the range must end after it starts",
                               code="batch_bad_range")
        if (start_to - start_from).days > 31:
            raise InvalidInput("时间段最长 31 天", "a range covers at most 31 days",
                               code="batch_bad_range")
        cases = [" ".join(c.split()).upper() for c in case_nos]
        rules.check_batch(self.rules, business, cases)
        phone = normalise_phone(raw_phone)
        now = self.now()
        first = start_from.astimezone(self.tz).date()
        last = start_to.astimezone(self.tz).date()
        slots = [s for n in range((last - first).days + 1)
                 for s in rules.slots_on(self.rules, business, first + timedelta(days=n),
                                         self.calendar, self.tz)
                 if start_from <= s.start < start_to]
        taken = self.store.taken(business, [s.start for s in slots])
        plan = rules.plan_batch(self.rules, slots, taken, len(cases), now, now.date())
        already = self.store.live_cases(business, cases)
        if already:
            raise LimitReached(
                f"以下案件已有预约：{'、'.join(already[:5])}",
                f"these cases are already booked: {', '.join(already[:5])}",
                code="case_already_booked")
        account_hash, account_name = self._account(account)
        batch = "E" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(9))
        box = self.notifier.composer.box
        sealed, masked, ref = box.seal(phone), mask_phone(phone), box.ref(phone)
        news = [NewBooking(
            code="B" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(9)), slot=slot,
            id_hash=account_hash, id_masked=account_name, phone_sealed=sealed,
            phone_masked=masked, phone_ref=ref, channel="enterprise",
            actor=f"enterprise:{account}"[:80], batch=batch, case_no=case)
            for case, slot in zip(cases, plan, strict=True)]
        rows = self.store.create_batch(news, self.clock())
        return self._batch_view(batch, rows)

    def _batch_view(self, batch: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
        views = [self.view(r) for r in rows]
        return {"batch": batch, "business": rows[0]["business"] if rows else "",
                "account": rows[0]["id_masked"] if rows else "", "count": len(views),
                "first_slot": views[0]["slot_start"] if views else None,
                "last_slot": views[-1]["slot_start"] if views else None,
                "bookings": views}

    def batch_of(self, batch: str, account: str) -> dict[str, Any]:
        """An enterprise's own batch; another account's is as unknown as none."""
        self._require()
        rows = self.store.batch_rows(batch.strip().upper())
        if not rows or rows[0]["actor"] != f"enterprise:{account}"[:80]:
            raise NotFound("没有这个批量预约", "no such batch booking", code="batch_unknown")
        return self._batch_view(rows[0]["batch"], rows)

    # --- the kiosk's check-in ------------------------------------------------------------

    def check_in_allowed(self, slip_value: str) -> str | None:
        """The stored booking a scanned slip names, when this hall books online: unknown
        and cancelled ones are refused. None when the hall takes no bookings (slips of
        another booking system are then taken on their signature alone)."""
        if not self.rules.enabled:
            return None
        serial = slip_value.rsplit("-", 1)[-1]
        row = self.store.get(serial)
        if row is None:
            raise NotFound("查不到这个预约，请到咨询台", "this booking is not on record; please "
                           "ask at the desk", code="booking_unknown")
        if row["status"] == "cancelled":
            raise BookingRefused("该预约已取消，请现场取号", "this booking was cancelled; take a "
                                 "ticket", code="booking_cancelled")
        if row["status"] in ("booked", "no_show"):
            # Released at start + grace (stored by the sweep, or due and not yet swept):
            # its place went back, so it no longer checks in.
            rules.check_in_window(self.rules, row["slot_start"], self.clock())
        return row["code"]

    def checked_in(self, code: str, ticket_id: str, by: str = "kiosk") -> None:
        self.store.check_in(code, ticket_id, self.clock(), by=by)

    def hand_check_in(self, code: str) -> tuple[dict[str, Any], Appointment]:
        """A guide checks a booking in by hand (no slip: the applicant's phone is flat, the
        slip lost): the same refusals as at the kiosk, plus a booking of another day. The
        appointment carries the slip's own value, so a later scan of the same slip is the
        same check-in (409 appointment_used), not a second ticket."""
        self._require()
        row = self.store.get(code.strip().upper())
        if row is None:
            raise NotFound("查不到这个预约，请核对预约号", "this booking is not on record; check "
                           "the booking code", code="booking_unknown")
        if row["status"] == "cancelled":
            raise BookingRefused("该预约已取消，请现场取号", "this booking was cancelled; take a "
                                 "ticket", code="booking_cancelled")
        if row["status"] == "checked_in":
            raise BookingRefused("该预约已签到取号，请留意叫号", "this booking has already "
                                 "checked in", code="booking_checked_in")
        rules.check_in_window(self.rules, row["slot_start"], self.clock())
        start = row["slot_start"].astimezone(self.tz)
        end = row["slot_end"].astimezone(self.tz)
        if start.date() != self.now().date():
            raise BookingRefused(f"该预约是 {start:%m月%d日} 的，不是今天",
                                 f"this booking is for {start:%Y-%m-%d}, not today",
                                 code="booking_not_today")
        value = appointment_value(start.date(), start.time(), end.time(), row["business"],
                                  row["code"])
        return row, Appointment(value, start, end)

    def stored_code(self, appointment_code: str) -> str | None:
        """The stored booking a guide's by-hand appointment names (its code, or a slip's
        value ending with it), so the check-in is recorded on it; None for another
        booking system's appointment."""
        if not self.rules.enabled:
            return None
        row = self.store.get(appointment_code.rsplit("-", 1)[-1].strip().upper())
        return None if row is None or row["status"] not in ("booked",) else row["code"]

    # --- the periodic job (api/app.py runs it like the daily clear) -----------------------

    def sweep(self) -> list[str]:
        """爽约 every booking not checked in by its slot's start + grace is stored as
        `no_show` and its place given back; idempotent (a second run finds none)."""
        if not self.rules.enabled:
            return []
        now = self.clock()
        swept = self.store.sweep_no_shows(now - timedelta(minutes=self.rules.grace_minutes),
                                          now)
        if swept:
            log.info("%d bookings not checked in by start + %d min stored as no-shows",
                     len(swept), self.rules.grace_minutes)
        return swept

    def tick(self) -> dict[str, int]:
        """One round of the periodic job: the no-show sweep, then the day-before reminders."""
        return {"no_shows": len(self.sweep()), "reminded": self.remind()}

    def remind(self) -> int:
        """提醒 the day before, from the layout's `reminder_time`: one SMS per live booking
        of tomorrow, through the outbox. Idempotent: the booking's `reminded_at` is claimed
        in the same commit as the message (keyed by the booking), so a second tick, or a
        second server, sends nothing more; cancelled bookings are never reminded. One made
        after today's reminder time has just had its confirmation and gets none."""
        if not self.rules.enabled or "sms" not in self.notifier.composer.channels:
            return 0
        now = self.now()
        send_from = datetime.combine(now.date(), self.rules.reminder_time, self.tz)
        if now < send_from:
            return 0
        tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(),
                                    self.tz)
        box = self.notifier.composer.box
        sent = 0
        for row in self.store.to_remind(tomorrow, tomorrow + timedelta(days=1)):
            if row["created_at"] >= send_from:
                continue
            view = self.view(row)
            start = row["slot_start"].astimezone(self.tz)
            end = row["slot_end"].astimezone(self.tz)
            body = self.notifier.composer.templates.render(
                BOOKING_REMIND, business_name=view["business_name"],
                when=f"{start:%H:%M}–{end:%H:%M}", booking=view["code"],
                link=view["slip_url"])
            with self.store.engine.begin() as conn:
                if not self.store.mark_reminded(conn, row["code"], self.clock()):
                    continue  # cancelled or reminded meanwhile
                sent += outbox.enqueue(conn, box, Draft(
                    key=f"booking-remind:{row['code']}", kind=BOOKING_REMIND, channel="sms",
                    recipient=box.open(row["phone_sealed"]),
                    recipient_masked=row["phone_masked"], body=body,
                    params={"booking": row["code"]}), self.clock())
        if sent:
            self.notifier.poke()
            log.info("%d booking reminders queued for tomorrow", sent)
        return sent

    # --- what people see -----------------------------------------------------------------

    def status_of(self, row: dict[str, Any]) -> str:
        # Stored by the sweep; one due and not swept yet already shows as missed.
        if row["status"] == "booked" and rules.is_no_show(self.rules, row["slot_start"],
                                                          self.clock()):
            return "no_show"
        return row["status"]

    def slip(self, row: dict[str, Any]) -> str:
        assert self.slip_key is not None
        start = row["slot_start"].astimezone(self.tz)
        end = row["slot_end"].astimezone(self.tz)
        value = appointment_value(start.date(), start.time(), end.time(), row["business"],
                                  row["code"])
        return make_slip(SlipKind.APPOINTMENT, value, self.slip_key)

    def view(self, row: dict[str, Any]) -> dict[str, Any]:
        start = row["slot_start"].astimezone(self.tz)
        end = row["slot_end"].astimezone(self.tz)
        biz = self.layout.businesses.get(row["business"])
        status = self.status_of(row)
        slip = self.slip(row)
        weekday = rules.WEEKDAY_NAMES[start.weekday()]
        closes = rules.changes_close(self.rules, row["business"], start) if (
            row["business"] in self.rules.businesses) else start
        return {
            "id": row["code"], "code": row["code"], "business": row["business"],
            "business_name": biz.name if biz else row["business"],
            "business_name_en": biz.name_en if biz else "",
            "slot_start": start.isoformat(), "slot_end": end.isoformat(),
            "when": f"{start:%Y年%m月%d日} 周{weekday} {start:%H:%M}–{end:%H:%M}",
            "when_en": f"{start:%a %d %b %Y}, {start:%H:%M}–{end:%H:%M}",
            "status": status, "status_zh": STATUS_ZH[status], "status_en": STATUS_EN[status],
            # Cancel and rebook close at the booking's cut-off: the page offers them only
            # before it, and says why not after it.
            "changes_close": closes.isoformat(),
            "changeable": status == "booked" and self.clock() < closes,
            "id_masked": row["id_masked"], "phone_masked": row["phone_masked"],
            "channel": row["channel"], "slip": slip,
            "slip_url": f"{self.public_url}/m/book?slip={slip}",
            "rebooked_from": row.get("rebooked_from"),
            "checked_in_at": row["checked_in_at"].isoformat() if row["checked_in_at"] else None,
            "checked_in_by": row.get("checked_in_by"),
            "no_show_at": row["no_show_at"].isoformat() if row.get("no_show_at") else None,
            "reminded_at": row["reminded_at"].isoformat() if row.get("reminded_at") else None,
            "batch": row.get("batch"), "case_no": row.get("case_no"),
        }

    def by_slip(self, text: str) -> dict[str, Any]:
        """The booking a slip link shows (no proof: the signed slip is the applicant's own;
        the view carries masked data only)."""
        from queue_server.domain.slips import check_appointment
        self._require()
        try:
            a = check_appointment(text, self.slip_key, self.layout.hall.timezone)
        except InvalidInput as e:
            # Opened from an SMS at home, not scanned at a kiosk: "ask at the desk" and the
            # slip's wire format would help nobody; the same code, the phone's words.
            raise InvalidInput("这个预约链接无效或不完整，请核对短信中的链接，或重新预约",
                               "this booking link is not valid or is incomplete; check the "
                               "link in the SMS, or book again", code=e.code) from e
        row = self.store.get(a.code.rsplit("-", 1)[-1])
        if row is None:
            raise NotFound("查不到这个预约", "this booking is not on record",
                           code="booking_unknown")
        view = self.view(row)
        return {k: view[k] for k in ("code", "business", "business_name", "business_name_en",
                                     "slot_start", "slot_end", "when", "when_en", "status",
                                     "status_zh", "status_en", "slip", "changes_close",
                                     "changeable")}
