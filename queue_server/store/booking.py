"""预约 storage: bookings and the places taken per slot (the SMS codes: phone_codes.py).

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
from queue_server.store.tables import booking_slots, bookings

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
    batch: str | None = None  # an enterprise batch, with the case it books
    case_no: str | None = None


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
            # A batch's case holds one live booking per business, whatever its day.
            live_key=(f"case:{b.slot.business}:{b.case_no}" if b.case_no is not None
                      else self._live_key(b.id_hash, b.slot.business, day)),
            created_at=now, rebooked_from=rebooked_from, batch=b.batch, case_no=b.case_no))

    def create(self, b: NewBooking, now: datetime) -> dict[str, Any]:
        try:
            with self.engine.begin() as conn:
                self._insert(conn, b, now)
        except IntegrityError:
            raise _already() from None
        found = self.get(b.code)
        assert found is not None
        return found

    def create_batch(self, news: list[NewBooking], now: datetime) -> list[dict[str, Any]]:
        """All or nothing, in one commit: a slot filled meanwhile (slot_full) or a case
        booked meanwhile (case_already_booked) rolls back every place taken."""
        try:
            with self.engine.begin() as conn:
                for b in news:
                    self._insert(conn, b, now)
        except IntegrityError:
            raise LimitReached("批量中有案件已有预约，请核对后重新提交",
                               "a case of the batch is already booked; check and send again",
                               code="case_already_booked") from None
        return self.batch_rows(news[0].batch or "") if news else []

    def batch_rows(self, batch: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(bookings).where(bookings.c.batch == batch)
                                .order_by(bookings.c.slot_start, bookings.c.case_no)).all()
        return [dict(r._mapping) for r in rows]

    def live_cases(self, business: str, case_nos: list[str]) -> list[str]:
        """Which of these cases already hold a live booking of the business."""
        keys = [f"case:{business}:{c}" for c in case_nos]
        with self.engine.connect() as conn:
            rows = conn.execute(select(bookings.c.case_no).where(
                bookings.c.live_key.in_(keys))).all()
        return sorted(r[0] for r in rows)

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

    def check_in(self, code: str, ticket_id: str | None, now: datetime, by: str = "kiosk"
                 ) -> bool:
        """The kiosk issued a ticket for it, or a guide checked it in by hand: the first
        check-in's time and who made it are kept (a ticket cancelled and issued again
        keeps the booking's arrival). False when the booking is not live."""
        with self.engine.begin() as conn:
            return conn.execute(update(bookings).where(
                bookings.c.code == code, bookings.c.status.in_(LIVE)).values(
                status="checked_in",
                ticket_id=func.coalesce(ticket_id, bookings.c.ticket_id),
                checked_in_at=func.coalesce(bookings.c.checked_in_at, now),
                checked_in_by=func.coalesce(bookings.c.checked_in_by, by))).rowcount == 1

    # --- the periodic job ----------------------------------------------------------------

    def sweep_no_shows(self, before: datetime, now: datetime) -> list[str]:
        """Every booking still `booked` whose slot began before `before` (its start +
        grace has passed) becomes `no_show`, its place given back, one commit each.
        Idempotent: a second sweep finds none; a check-in racing it wins or loses whole."""
        with self.engine.connect() as conn:
            due = conn.execute(select(bookings.c.code, bookings.c.business,
                                      bookings.c.slot_start).where(
                bookings.c.status == "booked", bookings.c.slot_start <= before)
                .order_by(bookings.c.slot_start)).all()
        swept = []
        for code, business, start in due:
            with self.engine.begin() as conn:
                n = conn.execute(update(bookings).where(
                    bookings.c.code == code, bookings.c.status == "booked").values(
                    status="no_show", no_show_at=now, live_key=None)).rowcount
                if n == 1:
                    self._give_back(conn, business, start)
                    swept.append(code)
        return swept

    def to_remind(self, start_from: datetime, start_to: datetime, limit: int = 500
                  ) -> list[dict[str, Any]]:
        """Live bookings with a slot in [start_from, start_to) not yet reminded."""
        with self.engine.connect() as conn:
            # An enterprise batch's bookings are the developer's list, not one SMS each.
            rows = conn.execute(select(bookings).where(
                bookings.c.status == "booked", bookings.c.reminded_at.is_(None),
                bookings.c.batch.is_(None),
                bookings.c.slot_start >= start_from, bookings.c.slot_start < start_to)
                .order_by(bookings.c.slot_start, bookings.c.code).limit(limit)).all()
        return [dict(r._mapping) for r in rows]

    def mark_reminded(self, conn: Connection, code: str, now: datetime) -> bool:
        """Claim the reminder: only one caller (of racing servers' ticks) gets True."""
        return conn.execute(update(bookings).where(
            bookings.c.code == code, bookings.c.status == "booked",
            bookings.c.reminded_at.is_(None)).values(reminded_at=now)).rowcount == 1

    def day_rows(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Every booking with a slot in [start, end): the day's figures."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(
                bookings.c.code, bookings.c.business, bookings.c.slot_start,
                bookings.c.status, bookings.c.channel, bookings.c.checked_in_at,
                bookings.c.checked_in_by).where(
                bookings.c.slot_start >= start, bookings.c.slot_start < end)).all()
        return [dict(r._mapping) for r in rows]

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

    def unkept(self, id_hash: str, since: datetime) -> list[datetime]:
        """Slot starts of the ID's stored no-shows (the sweep wrote them) since `since`."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(bookings.c.slot_start).where(
                bookings.c.id_hash == id_hash, bookings.c.status == "no_show",
                bookings.c.slot_start >= since)).all()
        return [r[0] for r in rows]
