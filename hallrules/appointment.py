"""What an appointment (or pre-application) slip's value holds, and how to read it.

A slip (hallrules/slips.py) carries one signed value of 1–64 characters from
`0-9 A-Z - . /`. For kind `A` the queue server reads that value as

    YYYYMMDD-HHMM-HHMM-BUSINESS-SERIAL
    20261123-0930-1000-SECOND.HAND-P0042

day and slot in the hall's local time, the business code upper-cased with `_` written
as `.` (slip values have no `_`), and a serial from whatever booked it (pre-applications
start with P by convention). Everything a check-in needs (business and slot) is on the
slip, so the hall needs no appointment service; the signature, which only the server can
check, keeps it from being forged; the server decides whether the slot is still good, and
checks a booking in once a day (the code is kept with its ticket).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

_VALUE_RE = re.compile(
    r"(?P<day>\d{8})-(?P<start>\d{4})-(?P<end>\d{4})-(?P<business>[A-Z][A-Z0-9.]*)-(?P<serial>[0-9A-Z]+)")


class BadAppointment(ValueError):
    """The slip is genuine but its value is not an appointment hallq can read."""


@dataclass(frozen=True)
class AppointmentSlip:
    code: str  # the whole value: the server records it with the ticket
    business: str
    slot_start: datetime  # aware, in the hall's zone
    slot_end: datetime


def business_to_slip(code: str) -> str:
    return code.upper().replace("_", ".")


def business_from_slip(text: str) -> str:
    return text.lower().replace(".", "_")


def _hhmm(text: str) -> time:
    return time(int(text[:2]), int(text[2:]))


def parse_appointment(value: str, timezone: str) -> AppointmentSlip:
    m = _VALUE_RE.fullmatch(value)
    if m is None:
        raise BadAppointment(f"not DAY-HHMM-HHMM-BUSINESS-SERIAL: {value!r}")
    tz = ZoneInfo(timezone)
    try:
        day = datetime.strptime(m["day"], "%Y%m%d").date()
        start = datetime.combine(day, _hhmm(m["start"]), tz)
        end = datetime.combine(day, _hhmm(m["end"]), tz)
    except ValueError as e:
        raise BadAppointment(f"impossible date or time in {value!r}") from e
    if end <= start:
        raise BadAppointment(f"slot ends before it starts: {value!r}")
    return AppointmentSlip(value, business_from_slip(m["business"]), start, end)


def appointment_value(day: date, start: time, end: time, business: str, serial: str) -> str:
    """The slip value for an appointment (what a booking system prints; tests and demos)."""
    value = (f"{day:%Y%m%d}-{start:%H%M}-{end:%H%M}-{business_to_slip(business)}-"
             f"{serial.upper()}")
    if not _VALUE_RE.fullmatch(value) or len(value) > 64:
        raise ValueError(f"cannot make an appointment value from {business!r}, {serial!r}")
    return value
