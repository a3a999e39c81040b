"""Window staff as people: the register's rules (工号, name, department) and who is on duty.

A window token says which window acts; the staff number signed in at it says who. Every
event at a window carries the staff number on duty then, so figures, evaluations and
work orders name a person, not a desk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from queue_server.domain.errors import InvalidInput

_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$")
NAME_MAX = 40
DEPARTMENT_MAX = 60


@dataclass(frozen=True)
class StaffMember:
    number: str  # 工号
    name: str
    department: str = ""
    active: bool = True
    created_at: datetime | None = None
    disabled_at: datetime | None = None


def check_number(raw: str) -> str:
    number = raw.strip()
    if not _NUMBER.match(number):
        raise InvalidInput("工号应为1到16位字母或数字", "a staff number is 1 to 16 letters or digits",
                           code="invalid_staff_number")
    return number


def check_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name or len(name) > NAME_MAX:
        raise InvalidInput(f"姓名应为1到{NAME_MAX}个字", f"a name has 1 to {NAME_MAX} characters",
                           code="invalid_staff_name")
    return name


def check_department(raw: str) -> str:
    department = " ".join(raw.split())
    if len(department) > DEPARTMENT_MAX:
        raise InvalidInput(f"部门名称最多{DEPARTMENT_MAX}个字",
                           f"a department name has at most {DEPARTMENT_MAX} characters",
                           code="invalid_department")
    return department


def new_member(number: str, name: str, department: str = "", *, at: datetime) -> StaffMember:
    return StaffMember(check_number(number), check_name(name), check_department(department),
                       True, at, None)
