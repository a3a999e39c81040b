"""The QR slip payload, as the scanner driver sees it: hallrules.slips holds the format.

The format and signature are rules the queue server checks too, so they live in
`hallrules` below both; here a bad slip is a DeviceError like every scanner failure.
"""

from __future__ import annotations

from devices.errors import DeviceError
from hallrules import slips as _rules
from hallrules.slips import (
    DEMO_KEY,
    MIN_KEY_BYTES,
    PREFIX,
    SIGNATURE_BYTES,
    SIGNATURE_CHARS,
    SLIP_RE,
    VALUE_RE,
    Slip,
    SlipKind,
    check_key,
    make_slip,
)

__all__ = [
    "DEMO_KEY", "MIN_KEY_BYTES", "PREFIX", "SIGNATURE_BYTES", "SIGNATURE_CHARS", "SLIP_RE",
    "VALUE_RE", "InvalidSlip", "Slip", "SlipKind", "check_key", "make_slip", "parse_slip",
]


class InvalidSlip(DeviceError):
    """The scanned text is not a slip signed with our key."""

    def __init__(self, reason_en: str) -> None:
        bad = _rules.InvalidSlip(reason_en)
        super().__init__(bad.message_zh, bad.message_en)
        self.reason = reason_en


def parse_slip(text: str, key: str | bytes) -> Slip:
    """The slip in `text`, or InvalidSlip. Strict: the caller strips scanner line endings."""
    try:
        return _rules.parse_slip(text, key)
    except _rules.InvalidSlip as e:
        raise InvalidSlip(e.reason) from None
