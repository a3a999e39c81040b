"""上门服务 storage: requests, their scheduling and outcomes, each crew's load per window.

The state a visit moves from is part of every UPDATE's condition, so two guides (or a
guide and a crew) acting at once cannot both win; a crew's window is filled with one
conditional UPDATE, so it never holds more than its places, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, or_, select, update

from queue_server.domain.errors import LimitReached
from queue_server.store.sqlutil import insert_ignore
from queue_server.store.tables import home_visit_load, home_visits

H = home_visits.c


@dataclass(frozen=True)
class NewVisit:
    code: str
    business: str
    reason: str
    reason_note: str
    name_sealed: str
    name_masked: str
    district: str
    address_sealed: str
    address_masked: str
    phone_sealed: str
    phone_masked: str
    phone_ref: str
    preferred_days: tuple[date, ...]
    note: str
    channel: str
    actor: str


class Moved(Exception):
    """The visit left the state the caller saw (someone else acted first)."""


def _full(per_window: int) -> LimitReached:
    return LimitReached(f"该时间段已排满（每段 {per_window} 户），请选其他时间段",
                        f"this crew's window is full ({per_window} visits); choose another",
                        code="visit_window_full")


class HomeVisitStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, v: NewVisit, now: datetime) -> dict[str, Any]:
        with self.engine.begin() as conn:
            conn.execute(home_visits.insert().values(
                code=v.code, status="requested", business=v.business, reason=v.reason,
                reason_note=v.reason_note, name_sealed=v.name_sealed,
                name_masked=v.name_masked, district=v.district,
                address_sealed=v.address_sealed, address_masked=v.address_masked,
                phone_sealed=v.phone_sealed, phone_masked=v.phone_masked,
                phone_ref=v.phone_ref,
                preferred_days=",".join(d.isoformat() for d in v.preferred_days),
                note=v.note, channel=v.channel, actor=v.actor, created_at=now, attempts=0))
        found = self.get(v.code)
        assert found is not None
        return found

    def get(self, code: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(home_visits).where(H.code == code)).first()
        return None if row is None else dict(row._mapping)

    def listing(self, *, statuses: tuple[str, ...] | None = None, day: date | None = None,
                team: str | None = None, phone_ref: str | None = None,
                limit: int = 500) -> list[dict[str, Any]]:
        q = select(home_visits)
        if statuses:
            q = q.where(H.status.in_(statuses))
        if day is not None:
            q = q.where(H.visit_day == day)
        if team is not None:
            q = q.where(H.team == team)
        if phone_ref is not None:
            q = q.where(H.phone_ref == phone_ref)
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(H.created_at, H.code).limit(limit)).all()
        return [dict(r._mapping) for r in rows]

    # --- a crew's places -----------------------------------------------------------------

    def taken(self, team: str, day: date, window_start: str) -> int:
        with self.engine.connect() as conn:
            n = conn.execute(select(home_visit_load.c.taken).where(
                home_visit_load.c.team == team, home_visit_load.c.visit_day == day,
                home_visit_load.c.window_start == window_start)).scalar()
        return int(n or 0)

    @staticmethod
    def _take(conn: Connection, team: str, day: date, start: str, per_window: int) -> None:
        L = home_visit_load.c
        insert_ignore(conn, home_visit_load, {"team": team, "visit_day": day,
                                              "window_start": start, "taken": 0},
                      ["team", "visit_day", "window_start"])
        n = conn.execute(update(home_visit_load).where(
            L.team == team, L.visit_day == day, L.window_start == start,
            L.taken < per_window).values(taken=L.taken + 1)).rowcount
        if n != 1:
            raise _full(per_window)

    @staticmethod
    def _give_back(conn: Connection, row: Any) -> None:
        L = home_visit_load.c
        conn.execute(update(home_visit_load).where(
            L.team == row.team, L.visit_day == row.visit_day,
            L.window_start == row.window_start, L.taken > 0).values(taken=L.taken - 1))

    # --- moves ---------------------------------------------------------------------------

    def schedule(self, code: str, from_status: str, *, team: str, day: date, start: str,
                 end: str, per_window: int, by: str, now: datetime) -> dict[str, Any]:
        """Into a crew's window in one commit: a visit moved from another window gives
        that place back; a full window keeps everything as it was."""
        with self.engine.begin() as conn:
            old = conn.execute(select(H.team, H.visit_day, H.window_start).where(
                H.code == code, H.status == from_status)).first()
            if old is None:
                raise Moved()
            if from_status == "scheduled" and old.team is not None:
                self._give_back(conn, old)
            self._take(conn, team, day, start, per_window)
            n = conn.execute(update(home_visits).where(
                H.code == code, H.status == from_status).values(
                    status="scheduled", team=team, visit_day=day, window_start=start,
                    window_end=end, scheduled_at=now, scheduled_by=by, outcome_at=None,
                    outcome_by=None, outcome_note=None)).rowcount
            if n != 1:
                raise Moved()  # rolled back, places and all
        found = self.get(code)
        assert found is not None
        return found

    def finish(self, code: str, from_status: str, to: str, *, note: str, by: str,
               now: datetime) -> dict[str, Any]:
        """An outcome (or a cancel): a visit that will not happen in its window gives the
        place back; done keeps it (it was used)."""
        with self.engine.begin() as conn:
            old = conn.execute(select(H.team, H.visit_day, H.window_start).where(
                H.code == code, H.status == from_status)).first()
            if old is None:
                raise Moved()
            values: dict[str, Any] = {"status": to, "outcome_at": now, "outcome_by": by,
                                      "outcome_note": note}
            if from_status == "scheduled":
                values["attempts"] = H.attempts + 1
                if to == "cancelled":
                    self._give_back(conn, old)
            n = conn.execute(update(home_visits).where(
                H.code == code, H.status == from_status).values(**values)).rowcount
            if n != 1:
                raise Moved()
        found = self.get(code)
        assert found is not None
        return found

    # --- figures -------------------------------------------------------------------------

    def counts(self, since: datetime, until: datetime) -> dict[str, int]:
        """Requests made in [since, until) by their state now (`waiting` on the card's
        figures: what is left of them to schedule today)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(H.status, func.count()).where(
                H.created_at >= since, H.created_at < until).group_by(H.status)).all()
        return {r[0]: int(r[1]) for r in rows}

    def events_between(self, since: datetime, until: datetime
                       ) -> tuple[list[tuple[str, str, int]], int]:
        """What happened in [since, until), each counted once in the period it happened:
        (team, event, count) for schedulings (scheduled_at) and outcomes and withdrawals
        (outcome_at, by the visit's state), and the visits still open at `until`
        (requested before it, not done, refused or withdrawn before it).

        A row holds only its newest scheduling and outcome: a visit the crew sends back
        (rescheduled, nobody home) and the guides schedule again leaves the earlier period's
        scheduling and outcome; done, refused and withdrawn are final and never move."""
        final = ("done", "refused", "cancelled")
        with self.engine.connect() as conn:
            sched = conn.execute(select(H.team, func.count()).where(
                H.scheduled_at >= since, H.scheduled_at < until).group_by(H.team)).all()
            ends = conn.execute(select(H.team, H.status, func.count()).where(
                H.outcome_at >= since, H.outcome_at < until,
                H.status != "scheduled").group_by(H.team, H.status)).all()
            still_open = conn.execute(select(func.count()).where(
                H.created_at < until,
                or_(H.status.not_in(final), H.outcome_at >= until))).scalar()
        rows = [(r[0] or "", "scheduled", int(r[1])) for r in sched]
        rows += [(r[0] or "", r[1], int(r[2])) for r in ends]
        return rows, int(still_open or 0)
