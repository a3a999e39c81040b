"""预约 storage: bookings, the places taken per slot, one-time SMS codes.

Every write that could race another (the last place of a slot, a second booking for the
same ID, business and day, a code tried twice at once) is one conditional statement or a
unique key, so the database decides, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.exc import IntegrityError

from queue_server.domain.booking import Held, Slot
from queue_server.domain.errors import LimitReached
from queue_server.store.sqlutil import insert_ignore
from queue_server.store.tables import booking_slots, booking_sms_codes, bookings

LIVE = ("booked", "checked_in")


@dataclass(frozen=True)
class NewBooking:
    code: str
    slot: Slot
    id_hash: str
    id_masked: str
    phone_sealed: str
    phone_masked: str
    phone_ref: str
    channel: str
    actor: str


def _full() -> LimitReached:
    return LimitReached("该时段已约满，请选其他时段", "this slot is fully booked; choose another",
                        code="slot_full")


def _already() -> LimitReached:
    return LimitReached("您当天已预约过该业务，每人每天每项业务限约一次",
                        "this ID number already has a booking for this business that day "
                        "(one per business per day)", code="already_booked")


class BookingStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- places --------------------------------------------------------------------------

    def taken(self, business: str, starts: list[datetime]) -> dict[datetime, int]:
        if not starts:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(booking_slots.c.slot_start, booking_slots.c.taken).where(
                booking_slots.c.business == business,
                booking_slots.c.slot_start.in_(starts))).all()
        return {r[0]: r[1] for r in rows}

    def _take(self, conn: Connection, slot: Slot) -> None:
        insert_ignore(conn, booking_slots, {"business": slot.business,
                                            "slot_start": slot.start, "taken": 0},
                      ["business", "slot_start"])
        n = conn.execute(update(booking_slots).where(
            booking_slots.c.business == slot.business,
            booking_slots.c.slot_start == slot.start,
            booking_slots.c.taken < slot.capacity).values(
                taken=booking_slots.c.taken + 1)).rowcount
        if n != 1:
            raise _full()

    @staticmethod
    def _give_back(conn: Connection, business: str, start: datetime) -> None:
        conn.execute(update(booking_slots).where(
            booking_slots.c.business == business, booking_slots.c.slot_start == start,
            booking_slots.c.taken > 0).values(taken=booking_slots.c.taken - 1))

    # --- bookings ------------------------------------------------------------------------

    @staticmethod
    def _live_key(id_hash: str, business: str, day: date) -> str:
        return f"{id_hash[:64]}:{business}:{day.isoformat()}"

    def _insert(self, conn: Connection, b: NewBooking, now: datetime,
                rebooked_from: str | None = None) -> None:
        self._take(conn, b.slot)
        day = b.slot.start.date()
        # A second live booking for the ID, business and day breaks uq_bookings_live: the
        # whole commit, the place taken above included, is rolled back (callers map it).
        conn.execute(bookings.insert().values(
            code=b.code, business=b.slot.business, day=day, slot_start=b.slot.start,
            slot_end=b.slot.end, id_hash=b.id_hash, id_masked=b.id_masked,
            phone_sealed=b.phone_sealed, phone_masked=b.phone_masked,
            phone_ref=b.phone_ref, status="booked", channel=b.channel, actor=b.actor,
            live_key=self._live_key(b.id_hash, b.slot.business, day), created_at=now,
            rebooked_from=rebooked_from))

    def create(self, b: NewBooking, now: datetime) -> dict[str, Any]:
        try:
            with self.engine.begin() as conn:
                self._insert(conn, b, now)
        except IntegrityError:
            raise _already() from None
        found = self.get(b.code)
        assert found is not None
        return found

    def rebook(self, old_code: str, b: NewBooking, now: datetime) -> dict[str, Any] | None:
        """Cancel `old_code` and book `b` in one commit: the old place is kept if the new
        one cannot be had. None when the old booking is no longer live."""
        try:
            with self.engine.begin() as conn:
                if not self._cancel(conn, old_code, now):
                    return None
                self._insert(conn, b, now, rebooked_from=old_code)
        except IntegrityError:
            raise _already() from None
        return self.get(b.code)

    def _cancel(self, conn: Connection, code: str, now: datetime) -> bool:
        row = conn.execute(select(bookings.c.business, bookings.c.slot_start).where(
            bookings.c.code == code, bookings.c.status == "booked")).first()
        if row is None:
            return False
        n = conn.execute(update(bookings).where(
            bookings.c.code == code, bookings.c.status == "booked").values(
                status="cancelled", cancelled_at=now, live_key=None)).rowcount
        if n != 1:
            return False
        self._give_back(conn, row[0], row[1])
        return True

    def cancel(self, code: str, now: datetime) -> bool:
        with self.engine.begin() as conn:
            return self._cancel(conn, code, now)

    def check_in(self, code: str, ticket_id: str, now: datetime) -> None:
        """The kiosk issued a ticket for it: the first check-in's time is kept (a ticket
        cancelled and issued again keeps the booking's arrival)."""
        with self.engine.begin() as conn:
            conn.execute(update(bookings).where(bookings.c.code == code,
                                                bookings.c.status.in_(LIVE)).values(
                status="checked_in", ticket_id=ticket_id,
                checked_in_at=func.coalesce(bookings.c.checked_in_at, now)))

    def get(self, code: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(bookings).where(bookings.c.code == code)).first()
        return None if row is None else dict(row._mapping)

    def listing(self, *, id_hash: str | None = None, phone_ref: str | None = None,
                since: datetime | None = None, limit: int = 50) -> list[dict[str, Any]]:
        q = select(bookings)
        if id_hash is not None:
            q = q.where(bookings.c.id_hash == id_hash)
        if phone_ref is not None:
            q = q.where(bookings.c.phone_ref == phone_ref)
        if since is not None:
            q = q.where(bookings.c.slot_start >= since)
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(bookings.c.slot_start, bookings.c.code)
                                .limit(limit)).all()
        return [dict(r._mapping) for r in rows]

    def held(self, id_hash: str, since: datetime) -> list[Held]:
        """The ID's live bookings from `since` on (what the per-ID rules count)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(bookings.c.code, bookings.c.business,
                                       bookings.c.slot_start).where(
                bookings.c.id_hash == id_hash, bookings.c.status.in_(LIVE),
                bookings.c.slot_start >= since)).all()
        return [Held(r[0], r[1], r[2]) for r in rows]

    def unkept(self, id_hash: str, since: datetime, now: datetime, grace_seconds: float
               ) -> list[datetime]:
        """Slot starts of the ID's bookings nobody checked in for within the grace (or at
        all): its no-shows."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(bookings.c.slot_start, bookings.c.checked_in_at).where(
                bookings.c.id_hash == id_hash, bookings.c.status.in_(LIVE),
                bookings.c.slot_start >= since, bookings.c.slot_start <= now)).all()
        out = []
        for start, arrived in rows:
            late = (now if arrived is None else arrived) - start
            if late.total_seconds() >= grace_seconds:
                out.append(start)
        return out

    # --- SMS codes -----------------------------------------------------------------------

    def put_code(self, phone_ref: str, code_hash: str, now: datetime, expires: datetime
                 ) -> None:
        with self.engine.begin() as conn:
            values = {"code_hash": code_hash, "created_at": now, "expires_at": expires,
                      "tries": 0, "used_at": None}
            if not insert_ignore(conn, booking_sms_codes, {"phone_ref": phone_ref, **values},
                                 ["phone_ref"]):
                conn.execute(update(booking_sms_codes).where(
                    booking_sms_codes.c.phone_ref == phone_ref).values(**values))

    def try_code(self, phone_ref: str, code_hash: str, now: datetime, max_tries: int) -> str:
        """`ok` (the code is used up), `wrong`, `locked` (too many wrong tries), or
        `expired` (none, used, or out of time)."""
        c = booking_sms_codes.c
        with self.engine.begin() as conn:
            used = conn.execute(update(booking_sms_codes).where(
                c.phone_ref == phone_ref, c.code_hash == code_hash, c.used_at.is_(None),
                c.expires_at > now, c.tries < max_tries).values(used_at=now)).rowcount
            if used == 1:
                return "ok"
            row = conn.execute(select(c.tries, c.used_at, c.expires_at).where(
                c.phone_ref == phone_ref)).first()
            if row is None or row[1] is not None or row[2] <= now:
                return "expired"
            if row[0] >= max_tries:
                return "locked"
            conn.execute(update(booking_sms_codes).where(c.phone_ref == phone_ref)
                         .values(tries=c.tries + 1))
            return "locked" if row[0] + 1 >= max_tries else "wrong"
