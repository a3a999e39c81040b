"""回访 storage: a month's draw and its call list, outcomes, and audited phone reveals.

The population of a month is every ticket of its business days that ended `done` (a
journey's ticket is one visit, whatever windows it passed) with a number to call: the
one its applicant left at the kiosk for SMS (ticket_watch), else that of an applicant of
a case the back office linked to the ticket. The call list keeps the masked number as
drawn and where the number is; the sealed one is read there at a reveal, so there is one
sealed copy only, which the start-up re-sealing keeps current.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from queue_server.domain import callbacks as cb
from queue_server.domain.callbacks import Month, Outcome
from queue_server.domain.errors import IllegalTransition
from queue_server.domain.events import EventType
from queue_server.domain.tickets import Status
from queue_server.secrecy import SealError, SecretBox
from queue_server.store.tables import (
    callback_calls,
    callback_draws,
    callback_outcomes,
    callback_reveals,
    case_applicants,
    cases,
    events,
    staff,
    ticket_watch,
    tickets,
)


@dataclass(frozen=True)
class Reach:
    """A served visit with a number to call: a phone watch, or a linked case's applicant."""

    number: str
    day: date
    business: str
    window: int | None
    phone_masked: str
    case_no: str | None  # None: the number is in ticket_watch
    idx: int | None


@dataclass(frozen=True)
class Who:
    """Whoever acts: a token's principal through the API, the operator at the CLI."""

    actor: str
    token_id: str = ""
    role: str = "cli"


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


class Callbacks:
    def __init__(self, engine: Engine, box: SecretBox, *, tz: ZoneInfo, share: Decimal,
                 clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.box = box
        self.tz = tz
        self.share = share
        self.clock = clock

    # --- the draw ------------------------------------------------------------------------

    @staticmethod
    def _served(month: Month) -> Any:
        return (select(tickets.c.id, tickets.c.number, tickets.c.day, tickets.c.business,
                       tickets.c.window)
                .where(tickets.c.status == Status.DONE.value, tickets.c.day >= month.first,
                       tickets.c.day < month.after))

    def _phones(self, conn: Connection, month: Month) -> dict[str, Reach]:
        """Every served visit of the month with a number to call, and where the number is.

        The number the applicant left at the kiosk comes first: it is the visitor's own.
        Else a case the back office linked to the ticket (cases.ticket_id) lends its first
        applicant with a phone."""
        out: dict[str, Reach] = {}
        for r in conn.execute(self._served(month).add_columns(ticket_watch.c.phone_masked)
                              .join(ticket_watch, ticket_watch.c.ticket_id == tickets.c.id)):
            out[r.id] = Reach(r.number, r.day, r.business, r.window, r.phone_masked, None, None)
        via_case = (self._served(month)
                    .add_columns(case_applicants.c.phone_masked, case_applicants.c.case_no,
                                 case_applicants.c.idx)
                    .join(cases, cases.c.ticket_id == tickets.c.id)
                    .join(case_applicants, case_applicants.c.case_no == cases.c.case_no)
                    .where(case_applicants.c.phone_sealed.is_not(None))
                    .order_by(case_applicants.c.case_no, case_applicants.c.idx))
        for r in conn.execute(via_case):
            if r.id not in out:
                out[r.id] = Reach(r.number, r.day, r.business, r.window, r.phone_masked or "",
                                  r.case_no, r.idx)
        return out

    def population(self, conn: Connection, month: Month) -> list[str]:
        return sorted(self._phones(conn, month))

    @staticmethod
    def _completions(conn: Connection, ids: list[str]) -> dict[str, tuple[int | None, str | None]]:
        """Ticket → (window, staff on duty) of the event that completed it: the last one,
        since a journey's ticket completes only at its last step."""
        out: dict[str, tuple[int | None, str | None]] = {}
        for start in range(0, len(ids), 500):  # bound the IN list for either backend
            chunk = ids[start:start + 500]
            rows = conn.execute(
                select(events.c.ticket_id, events.c.window, events.c.staff)
                .where(events.c.ticket_id.in_(chunk),
                       events.c.type == EventType.TICKET_COMPLETED.value)
                .order_by(events.c.seq))
            for r in rows:
                out[r.ticket_id] = (r.window, r.staff)
        return out

    def draw(self, month_text: str, who: Who) -> dict[str, Any]:
        month = cb.parse_month(month_text)
        cb.check_month_over(month, self.clock(), self.tz)
        seed = secrets.token_bytes(cb.SEED_BYTES)
        try:
            with self.engine.begin() as conn:
                if conn.execute(select(callback_draws.c.month)
                                .where(callback_draws.c.month == month.text)).first():
                    raise cb.already_drawn(month.text)
                rows = self._phones(conn, month)
                ids = sorted(rows)
                sample = cb.draw(seed, ids, self.share)
                done_at = self._completions(conn, sample)
                draw_row = {"month": month.text, "seed": seed.hex(),
                            "share_percent": cb.share_text(self.share), "population": len(ids),
                            "population_hash": cb.population_hash(ids),
                            "sample_size": len(sample), "drawn_at": self.clock(),
                            "drawn_by": who.actor[:80]}
                conn.execute(insert(callback_draws).values(**draw_row))
                if sample:
                    conn.execute(insert(callback_calls), [
                        {"month": month.text, "ticket_id": tid, "rank": rank,
                         "number": rows[tid].number, "day": rows[tid].day,
                         "business": rows[tid].business,
                         "window": done_at.get(tid, (rows[tid].window, None))[0],
                         "staff": done_at.get(tid, (None, None))[1],
                         "phone_masked": rows[tid].phone_masked,
                         "phone_case_no": rows[tid].case_no, "phone_idx": rows[tid].idx}
                        for rank, tid in enumerate(sample, start=1)])
        except IntegrityError:
            # Two draws at once: the month's primary key let one through.
            raise cb.already_drawn(month.text) from None
        return self._draw_out(draw_row)

    @staticmethod
    def _draw_out(row: dict[str, Any]) -> dict[str, Any]:
        return {k: _iso(v) for k, v in row.items()}

    def _draw_row(self, conn: Connection, month: Month) -> dict[str, Any]:
        row = conn.execute(select(callback_draws)
                           .where(callback_draws.c.month == month.text)).first()
        if row is None:
            raise cb.not_drawn(month.text)
        return dict(row._mapping)

    def draw_info(self, month_text: str) -> dict[str, Any]:
        month = cb.parse_month(month_text)
        with self.engine.connect() as conn:
            return self._draw_out(self._draw_row(conn, month))

    def verify(self, month_text: str) -> dict[str, Any]:
        """Redraw the month from its stored seed and share over today's data."""
        month = cb.parse_month(month_text)
        with self.engine.connect() as conn:
            d = self._draw_row(conn, month)
            sample = list(conn.execute(
                select(callback_calls.c.ticket_id).where(callback_calls.c.month == month.text)
                .order_by(callback_calls.c.rank)).scalars())
            population = self.population(conn, month)
        problems = cb.audit(seed_hex=d["seed"], share=d["share_percent"],
                            recorded_population=d["population"],
                            recorded_hash=d["population_hash"], recorded_sample=sample,
                            population=population)
        if len(sample) != d["sample_size"]:
            problems.append(f"名单条数不符 call list has {len(sample)} rows, the draw recorded "
                            f"{d['sample_size']}")
        return {"month": month.text, "ok": not problems, "problems": problems,
                "population": len(population), "population_hash": cb.population_hash(population),
                "sample_size": len(sample), "draw": self._draw_out(d)}

    # --- the call list -------------------------------------------------------------------

    def calls(self, month_text: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The draw and its calls in call order, phones masked, each with its latest outcome."""
        month = cb.parse_month(month_text)
        with self.engine.connect() as conn:
            d = self._draw_row(conn, month)
            rows = conn.execute(
                select(callback_calls, staff.c.name.label("staff_name"))
                .outerjoin(staff, staff.c.number == callback_calls.c.staff)
                .where(callback_calls.c.month == month.text)
                .order_by(callback_calls.c.rank)).all()
            attempts: dict[str, list[dict[str, Any]]] = {}
            for o in conn.execute(select(callback_outcomes)
                                  .where(callback_outcomes.c.month == month.text)
                                  .order_by(callback_outcomes.c.seq)):
                attempts.setdefault(o.ticket_id, []).append(self._outcome_out(o._mapping))
        out = []
        for r in rows:
            m = r._mapping
            tried = attempts.get(m["ticket_id"], [])
            out.append({"ticket_id": m["ticket_id"], "rank": m["rank"], "number": m["number"],
                        "day": m["day"].isoformat(), "business": m["business"],
                        "window": m["window"], "staff": m["staff"],
                        "staff_name": m["staff_name"], "phone_masked": m["phone_masked"],
                        "phone_from": "case" if m["phone_case_no"] else "kiosk",
                        "case_no": m["phone_case_no"],
                        "attempts": len(tried), "outcome": tried[-1] if tried else None})
        return self._draw_out(d), out

    @staticmethod
    def _outcome_out(m: Any) -> dict[str, Any]:
        return {"seq": m["seq"], "reached": bool(m["reached"]), "attitude": m["attitude"],
                "time_taken": m["time_taken"], "discipline": m["discipline"],
                "comment": m["comment"], "by": m["actor"], "at": _iso(m["at"])}

    def _call(self, conn: Connection, month: Month, ticket_id: str) -> Any:
        self._draw_row(conn, month)
        row = conn.execute(select(callback_calls).where(
            callback_calls.c.month == month.text, callback_calls.c.ticket_id == ticket_id)).first()
        if row is None:
            raise cb.not_in_sample(month.text, ticket_id)
        return row

    def record(self, month_text: str, ticket_id: str, outcome: Outcome,
               who: Who) -> dict[str, Any]:
        """One attempt at a call. Earlier attempts stay: the latest is the call's outcome."""
        month = cb.parse_month(month_text)
        at = self.clock()
        with self.engine.begin() as conn:
            self._call(conn, month, ticket_id)
            seq = conn.execute(insert(callback_outcomes).values(
                month=month.text, ticket_id=ticket_id, reached=outcome.reached,
                attitude=outcome.attitude, time_taken=outcome.time_taken,
                discipline=outcome.discipline, comment=outcome.comment, actor=who.actor[:80],
                at=at)).inserted_primary_key[0]
            attempts = conn.execute(select(func.count()).select_from(callback_outcomes).where(
                callback_outcomes.c.month == month.text,
                callback_outcomes.c.ticket_id == ticket_id)).scalar_one()
        return {"month": month.text, "ticket_id": ticket_id, "attempts": attempts,
                "outcome": {"seq": seq, "reached": outcome.reached, "attitude": outcome.attitude,
                            "time_taken": outcome.time_taken, "discipline": outcome.discipline,
                            "comment": outcome.comment, "by": who.actor[:80],
                            "at": at.isoformat()}}

    def reveal(self, month_text: str, ticket_id: str, who: Who) -> str:
        """The full number of one call, the reveal audited in the same transaction: a
        number is never shown without its row in the audit log."""
        month = cb.parse_month(month_text)
        with self.engine.begin() as conn:
            call = self._call(conn, month, ticket_id)
            if call.phone_case_no is None:
                sealed = conn.execute(select(ticket_watch.c.phone_sealed)
                                      .where(ticket_watch.c.ticket_id == ticket_id)).scalar()
            else:
                sealed = conn.execute(select(case_applicants.c.phone_sealed).where(
                    case_applicants.c.case_no == call.phone_case_no,
                    case_applicants.c.idx == call.phone_idx)).scalar()
            if sealed is None:
                raise IllegalTransition("该号码已不在系统中，无法显示",
                                        "the number left for this ticket is no longer kept",
                                        code="phone_gone")
            try:
                phone = self.box.open(sealed)
            except SealError:
                raise IllegalTransition(
                    "该号码无法解密（大厅密钥已更换？），请联系管理员",
                    "the number cannot be unsealed (was the hall secret changed?)",
                    code="phone_unreadable") from None
            conn.execute(insert(callback_reveals).values(
                month=month.text, ticket_id=ticket_id, actor=who.actor[:80],
                token_id=who.token_id[:16], role=who.role[:16], at=self.clock()))
        return phone

    def reveals(self, month_text: str) -> list[dict[str, Any]]:
        month = cb.parse_month(month_text)
        with self.engine.connect() as conn:
            self._draw_row(conn, month)
            rows = conn.execute(select(callback_reveals)
                                .where(callback_reveals.c.month == month.text)
                                .order_by(callback_reveals.c.seq)).all()
        return [{k: _iso(v) for k, v in r._mapping.items()} for r in rows]

    def summary(self, month_text: str) -> dict[str, Any]:
        d, calls = self.calls(month_text)
        return {"month": d["month"], "population": d["population"],
                "share_percent": d["share_percent"], **cb.summarize(calls)}
