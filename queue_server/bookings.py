"""预约 the booking service: the layout's rules, the working-day calendar, storage, the SMS
outbox and the slip key, put together for the routes (api/routes/booking.py).

The rules decide (domain/booking.py); this module only gathers what they need to know
(places taken, an ID's bookings and no-shows) and writes what they allowed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from devices.scanner.appointment import appointment_value
from devices.scanner.slip import SlipKind, make_slip
from queue_server.domain import booking as rules
from queue_server.domain.booking import BookingRefused, Slot
from queue_server.domain.errors import DomainError, InvalidInput, NotFound
from queue_server.domain.identity import id_hash, mask_id_number, normalise_id_number
from queue_server.domain.layout import Layout
from queue_server.domain.phone_pass import check_pass, make_pass
from queue_server.domain.workdays import WorkCalendar
from queue_server.notify import outbox
from queue_server.notify.outbox import Draft
from queue_server.notify.phone import mask_phone, normalise_phone
from queue_server.notify.service import Notifier
from queue_server.notify.templates import BOOKING_CODE, BOOKING_MADE
from queue_server.ratelimit import Limiter, RateLimited
from queue_server.store.booking import BookingStore, NewBooking

CODE_MINUTES = 5  # an SMS code's life
CODE_TRIES = 5  # wrong codes before the phone must ask for a new one
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over a phone
STATUS_ZH = {"booked": "已预约", "cancelled": "已取消", "checked_in": "已签到",
             "no_show": "未到（爽约）"}
STATUS_EN = {"booked": "booked", "cancelled": "cancelled", "checked_in": "checked in",
             "no_show": "missed"}


class CodeLocked(RateLimited):
    """Too many wrong codes: the phone asks for a new one (the old one is dead)."""

    code = "sms_code_tries"

    def __init__(self) -> None:
        super().__init__("booking_phone", 60)
        self.message_zh = "验证码输错次数过多，请重新获取验证码"
        self.message_en = "too many wrong codes; ask for a new code"
        self.args = (f"{self.message_zh} / {self.message_en}",)


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

    def _code_hash(self, ref: str, code: str) -> str:
        return hmac.new(self.secret, f"hallq-booking-code\0{ref}\0{code}".encode(),
                        hashlib.sha256).hexdigest()

    def send_code(self, raw_phone: str, address: str) -> dict[str, Any]:
        self._require()
        if "sms" not in self.notifier.composer.channels:
            raise NotFound("本厅未开通短信，不能网上预约", "this hall sends no SMS, so it "
                           "cannot take online bookings", code="sms_disabled")
        phone = normalise_phone(raw_phone)
        box = self.notifier.composer.box
        ref = box.ref(phone)
        self.limiter.take([("booking_phone", ref), ("booking_addr", address)])
        code = f"{secrets.randbelow(10**6):06d}"
        now = self.clock()
        self.store.put_code(ref, self._code_hash(ref, code), now,
                            now + timedelta(minutes=CODE_MINUTES))
        body = self.notifier.composer.templates.render(BOOKING_CODE, code=code,
                                                       minutes=CODE_MINUTES)
        with self.store.engine.begin() as conn:
            outbox.enqueue(conn, box, Draft(
                key=f"booking-code:{ref}:{int(now.timestamp() * 1000)}", kind=BOOKING_CODE,
                channel="sms", recipient=phone, recipient_masked=mask_phone(phone), body=body,
                params={"minutes": CODE_MINUTES}), now)
        self.notifier.poke()
        return {"phone_masked": mask_phone(phone), "expires_in_seconds": CODE_MINUTES * 60}

    def verify(self, raw_phone: str, code: str) -> dict[str, Any]:
        self._require()
        phone = normalise_phone(raw_phone)
        ref = self.notifier.composer.box.ref(phone)
        # No address limit here: each code was rate limited when sent, and dies after
        # CODE_TRIES wrong tries, so guessing costs sends.
        result = self.store.try_code(ref, self._code_hash(ref, code.strip()), self.clock(),
                                     CODE_TRIES)
        if result == "locked":
            raise CodeLocked()
        if result == "expired":
            raise InvalidInput("验证码已过期或已使用，请重新获取",
                               "this code has expired or was used; ask for a new one",
                               code="sms_code_expired")
        if result == "wrong":
            raise InvalidInput("验证码不对，请核对短信后重新输入",
                               "the code is not right; check the SMS and type it again",
                               code="wrong_sms_code")
        token, expires = make_pass(ref, self.clock(), self.secret)
        return {"pass": token, "expires_at": expires.isoformat(),
                "phone_masked": mask_phone(phone)}

    def _phone(self, raw_phone: str, proof: str | None, portal: bool) -> tuple[str, str]:
        phone = normalise_phone(raw_phone)
        ref = self.notifier.composer.box.ref(phone)
        if not portal:  # the portal proved the applicant on its own side
            check_pass(proof, ref, self.clock(), self.secret)
        return phone, ref

    # --- booking -------------------------------------------------------------------------

    def _slot(self, business: str, start: datetime) -> Slot:
        return rules.find_slot(self.rules, business, start, self.calendar, self.tz)

    def _check(self, slot: Slot, id_h: str, ignore: str | None = None) -> None:
        now = self.now()
        rules.check_open(self.rules, slot, now)
        rules.check_ahead(self.rules, slot, now.date())
        since = now - timedelta(days=self.rules.no_show_days)
        rules.check_not_blocked(
            self.rules, self.store.unkept(id_h, since, now, self.rules.grace_minutes * 60),
            now, self.tz)
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
        rules.check_open(self.rules, slot, self.now(), what_zh, what_en)
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
        return row["code"]

    def checked_in(self, code: str, ticket_id: str) -> None:
        self.store.check_in(code, ticket_id, self.clock())

    # --- what people see -----------------------------------------------------------------

    def status_of(self, row: dict[str, Any]) -> str:
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
        return {
            "id": row["code"], "code": row["code"], "business": row["business"],
            "business_name": biz.name if biz else row["business"],
            "business_name_en": biz.name_en if biz else "",
            "slot_start": start.isoformat(), "slot_end": end.isoformat(),
            "when": f"{start:%Y年%m月%d日} 周{weekday} {start:%H:%M}–{end:%H:%M}",
            "when_en": f"{start:%a %d %b %Y}, {start:%H:%M}–{end:%H:%M}",
            "status": status, "status_zh": STATUS_ZH[status], "status_en": STATUS_EN[status],
            "id_masked": row["id_masked"], "phone_masked": row["phone_masked"],
            "channel": row["channel"], "slip": slip,
            "slip_url": f"{self.public_url}/m/book?slip={slip}",
            "rebooked_from": row.get("rebooked_from"),
            "checked_in_at": row["checked_in_at"].isoformat() if row["checked_in_at"] else None,
        }

    def by_slip(self, text: str) -> dict[str, Any]:
        """The booking a slip link shows (no proof: the signed slip is the applicant's own;
        the view carries masked data only)."""
        from queue_server.domain.slips import check_appointment
        self._require()
        a = check_appointment(text, self.slip_key, self.layout.hall.timezone)
        row = self.store.get(a.code.rsplit("-", 1)[-1])
        if row is None:
            raise NotFound("查不到这个预约", "this booking is not on record",
                           code="booking_unknown")
        view = self.view(row)
        return {k: view[k] for k in ("code", "business", "business_name", "business_name_en",
                                     "slot_start", "slot_end", "when", "when_en", "status",
                                     "status_zh", "status_en", "slip")}
