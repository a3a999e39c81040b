"""Evaluations and the work orders bad ones open, stored together: a bad review and its
order are one transaction, so no bad review is ever without its order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from queue_server.domain.errors import IllegalTransition, NotFound
from queue_server.domain.evaluation import Rating, Service, already_evaluated
from queue_server.domain.workorders import OrderStatus, Step
from queue_server.store.tables import cases, evaluations, work_order_steps, work_orders


def _order_missing(order_id: str) -> NotFound:
    return NotFound("没有这张整改单", f"no work order {order_id}", code="unknown_order")


class Quality:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def case_of(self, ticket_id: str) -> str | None:
        """The case the back office said was accepted at this ticket, the newest if several."""
        with self.engine.connect() as conn:
            return conn.execute(select(cases.c.case_no).where(cases.c.ticket_id == ticket_id)
                                .order_by(cases.c.accepted_at.desc()).limit(1)).scalar()

    def rated(self, ticket_id: str) -> set[int]:
        with self.engine.connect() as conn:
            return set(conn.execute(select(evaluations.c.service_seq)
                                    .where(evaluations.c.ticket_id == ticket_id)).scalars())

    def add(self, evaluation_id: str, service: Service, rating: Rating, channel: str,
            at: datetime, order: dict[str, Any] | None, case_no: str | None = None) -> None:
        """The evaluation, and its work order when `order` is given; a second rating of
        the same service (a race included) is refused by the unique key."""
        row = {"id": evaluation_id, "ticket_id": service.ticket_id, "number": service.number,
               "day": service.day, "service_seq": service.seq, "window": service.window,
               "staff": service.staff, "business": service.business, "case_no": case_no,
               "channel": channel, "at": at, **asdict(rating)}
        row["rating"] = row.pop("overall")
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(evaluations).values(**row))
                if order is not None:
                    conn.execute(insert(work_orders).values(**order))
        except IntegrityError:
            raise already_evaluated() from None

    def evaluations(self, start: date, end: date) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(evaluations).where(
                evaluations.c.day >= start, evaluations.c.day <= end)
                .order_by(evaluations.c.at)).all()
        return [dict(r._mapping) for r in rows]

    # --- work orders ---------------------------------------------------------------------

    def orders(self, statuses: list[str] | None = None) -> list[dict[str, Any]]:
        q = select(work_orders).order_by(work_orders.c.due_date, work_orders.c.opened_at)
        if statuses:
            q = q.where(work_orders.c.status.in_(statuses))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def order(self, order_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(work_orders).where(work_orders.c.id == order_id)).first()
            if row is None:
                raise _order_missing(order_id)
            ev = conn.execute(select(evaluations).where(
                evaluations.c.id == row.evaluation_id)).first()
            steps = conn.execute(select(work_order_steps).where(
                work_order_steps.c.order_id == order_id).order_by(work_order_steps.c.seq)).all()
        out = dict(row._mapping)
        out["evaluation"] = dict(ev._mapping) if ev else None
        out["steps"] = [dict(s._mapping) for s in steps]
        return out

    def settle_provisional(self, due: Callable[[date], tuple[date, bool]], tz: Any) -> int:
        """Count again the due dates that ran through a year without holiday data, now
        that the calendar may know it; returns how many became final."""
        with self.engine.begin() as conn:
            rows = conn.execute(select(work_orders.c.id, work_orders.c.opened_at).where(
                work_orders.c.due_provisional.is_(True))).all()
            settled = 0
            for r in rows:
                day, provisional = due(r.opened_at.astimezone(tz).date())
                if not provisional:
                    settled += conn.execute(update(work_orders).where(
                        work_orders.c.id == r.id).values(due_date=day,
                                                         due_provisional=False)).rowcount
        return settled

    def add_step(self, order_id: str, expected: OrderStatus, step: Step, status: OrderStatus,
                 actor: str, at: datetime, note: str) -> None:
        """Record one step; it names the status it replaces, so two people acting on the
        same order at once cannot both take the same step."""
        values: dict[str, Any] = {"status": status.value}
        if step is Step.REPLY:
            values["replied_at"] = at
        if step is Step.CLOSE:
            values["closed_at"] = at
        with self.engine.begin() as conn:
            n = conn.execute(update(work_orders).where(
                work_orders.c.id == order_id, work_orders.c.status == expected.value)
                .values(**values)).rowcount
            if n != 1:
                raise IllegalTransition("该整改单刚被他人处理，请刷新",
                                        "this work order was just changed by someone else",
                                        code="conflict")
            seq = conn.execute(select(func.coalesce(func.max(work_order_steps.c.seq), 0))
                               .where(work_order_steps.c.order_id == order_id)).scalar_one() + 1
            conn.execute(insert(work_order_steps).values(
                order_id=order_id, seq=seq, step=step.value, actor=actor, at=at, note=note))
