"""Checking a scanned QR slip: signed by this hall, and what it says.

Only the server holds the hall's slip key. A kiosk sends what it scanned and is told
what the slip is; a kiosk (a PC in a public hall) taken apart yields no key to forge
appointment slips with, and its token alone cannot claim an appointment's priority.
"""

from __future__ import annotations

from dataclasses import dataclass

from hallrules.appointment import AppointmentSlip, BadAppointment, parse_appointment
from hallrules.slips import InvalidSlip, Slip, SlipKind, check_key, parse_slip
from queue_server.domain.errors import InvalidInput, NotFound

MAX_SLIP_CHARS = 200  # the longest slip is 96 characters; more is not a slip


class SlipKeyError(ValueError):
    """The configured slip key cannot sign anything safely."""


def slip_key(configured: str | None) -> str | None:
    """The key to check slips with, refused at start-up when too short to be safe."""
    if configured is None:
        return None
    try:
        check_key(configured)
    except ValueError as e:
        raise SlipKeyError(str(e)) from None
    return configured


@dataclass(frozen=True)
class CheckedSlip:
    slip: Slip
    appointment: AppointmentSlip | None  # for kind A


def check_slip(text: str, key: str | None, timezone: str) -> CheckedSlip:
    """What `text` is, if this hall signed it; `key` None: the hall has none (NotFound)."""
    if key is None:
        raise NotFound("本大厅未设置二维码密钥，不能核验二维码",
                       "this hall has no slip key set, so QR slips cannot be checked",
                       code="slips_unavailable")
    try:
        slip = parse_slip(text.strip(), key)
    except InvalidSlip as e:
        raise InvalidInput("二维码无效或已损坏，请到咨询台",
                           f"this QR slip is not valid ({e.reason}); please ask at the desk",
                           code="invalid_slip") from e
    if slip.kind is not SlipKind.APPOINTMENT:
        return CheckedSlip(slip, None)
    try:
        return CheckedSlip(slip, parse_appointment(slip.value, timezone))
    except BadAppointment as e:
        raise InvalidInput("预约码内容无法识别，请到咨询台",
                           "this appointment slip cannot be read; please ask at the desk",
                           code="appointment_invalid") from e


def check_appointment(text: str, key: str | None, timezone: str) -> AppointmentSlip:
    """The appointment on a slip presented for a check-in; a case slip is refused."""
    checked = check_slip(text, key, timezone)
    if checked.appointment is None:
        raise InvalidInput("这不是预约二维码", "this QR slip is not an appointment slip",
                           code="slip_wrong_kind")
    return checked.appointment
