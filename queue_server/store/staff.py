"""The staff register (工号): who may sign in at a window. Admins keep it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from queue_server.domain.errors import IllegalTransition, NotFound
from queue_server.domain.staff import StaffMember, check_number
from queue_server.store.tables import staff


def _member(row: Any) -> StaffMember:
    m = row._mapping
    return StaffMember(m["number"], m["name"], m["department"], bool(m["active"]),
                       m["created_at"], m["disabled_at"])


def unknown(number: str) -> NotFound:
    return NotFound(f"没有工号 {number}，请联系管理员登记", f"no staff number {number} is registered",
                    code="unknown_staff")


class StaffRegister:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, member: StaffMember) -> StaffMember:
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(staff).values(
                    number=member.number, name=member.name, department=member.department,
                    active=True, created_at=member.created_at))
        except IntegrityError:
            raise IllegalTransition(f"工号 {member.number} 已登记", f"staff number {member.number} "
                                    "is already registered", code="staff_exists") from None
        return member

    def get(self, number: str) -> StaffMember:
        number = check_number(number)
        with self.engine.connect() as conn:
            row = conn.execute(select(staff).where(staff.c.number == number)).first()
        if row is None:
            raise unknown(number)
        return _member(row)

    def all(self, *, active_only: bool = False) -> list[StaffMember]:
        q = select(staff).order_by(staff.c.number)
        if active_only:
            q = q.where(staff.c.active.is_(True))
        with self.engine.connect() as conn:
            return [_member(r) for r in conn.execute(q)]

    def names(self, numbers: set[str]) -> dict[str, str]:
        """The names of these staff numbers (one read, none for an empty set)."""
        if not numbers:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(staff.c.number, staff.c.name)
                                .where(staff.c.number.in_(sorted(numbers))))
            return {number: name for number, name in rows}

    def set_active(self, number: str, active: bool, at: datetime) -> StaffMember:
        number = check_number(number)
        with self.engine.begin() as conn:
            n = conn.execute(update(staff).where(staff.c.number == number).values(
                active=active, disabled_at=None if active else at)).rowcount
        if n != 1:
            raise unknown(number)
        return self.get(number)


def member_view(m: StaffMember) -> dict[str, Any]:
    return {"number": m.number, "name": m.name, "department": m.department, "active": m.active,
            "created_at": m.created_at.isoformat() if m.created_at else None,
            "disabled_at": m.disabled_at.isoformat() if m.disabled_at else None}
