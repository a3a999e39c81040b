"""What a scanned QR code is: one of the hall's signed slips, or an acceptance receipt.

- `HQ1:<kind>:<value>:<signature>`: a slip signed with the hall's key
  (devices/scanner/slip.py); kind A is an appointment or pre-application, C a case.
- `HQC1:<case_no>:<token>`: the acceptance receipt the registration back office prints
  (the case issue's format, queue_server/cases/proof.py); the token itself is the proof
  of being an applicant, so the server checks it, not the kiosk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from devices.scanner import InvalidSlip, Slip, parse_slip

RECEIPT_PREFIX = "HQC1"
_RECEIPT_RE = re.compile(r"HQC1:([A-Za-z0-9][A-Za-z0-9_\-]{0,39}):([A-Za-z2-7 \-]{8,40})")


class UnknownCode(ValueError):
    """Scanned, but not a code of this hall (or damaged, or forged)."""


@dataclass(frozen=True)
class Receipt:
    case_no: str
    token: str


def classify(text: str, slip_key: str | bytes | None) -> Slip | Receipt:
    text = text.strip()
    m = _RECEIPT_RE.fullmatch(text)
    if m is not None:
        return Receipt(m[1], m[2])
    if text.startswith("HQ1:"):
        if not slip_key:
            raise UnknownCode("no slip key configured: signed slips cannot be checked")
        try:
            return parse_slip(text, slip_key)
        except InvalidSlip as e:
            raise UnknownCode(e.reason) from e
    raise UnknownCode("not a slip or receipt of this hall")


def receipt_text(case_no: str, token: str) -> str:
    """The receipt QR's content (for tests and the demo)."""
    return f"{RECEIPT_PREFIX}:{case_no}:{token}"
