"""What a scanned QR code is: one of the hall's signed slips, or an acceptance receipt.

- `HQ1:<kind>:<value>:<signature>`: a slip signed with the hall's key
  (devices/scanner/slip.py); kind A is an appointment or pre-application, C a case.
  Only the server holds the key, so the kiosk checks the form here and asks the server
  (`POST /slips/check`) what the slip is.
- `HQC1:<case_no>:<token>`: the acceptance receipt the registration back office prints
  (the case issue's format, queue_server/cases/proof.py); the token itself is the proof
  of being an applicant, so the server checks it, not the kiosk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from devices.scanner.slip import SLIP_RE

RECEIPT_PREFIX = "HQC1"
_RECEIPT_RE = re.compile(r"HQC1:([A-Za-z0-9][A-Za-z0-9_\-]{0,39}):([A-Za-z2-7 \-]{8,40})")


class UnknownCode(ValueError):
    """Scanned, but not a code of this hall (or damaged, or forged)."""


@dataclass(frozen=True)
class Receipt:
    case_no: str
    token: str


@dataclass(frozen=True)
class SlipText:
    """In the form of the hall's signed slips; whether it is one, the server says."""

    text: str


def classify(text: str) -> SlipText | Receipt:
    text = text.strip()
    m = _RECEIPT_RE.fullmatch(text)
    if m is not None:
        return Receipt(m[1], m[2])
    if SLIP_RE.fullmatch(text):
        return SlipText(text)
    if text.startswith("HQ1:"):
        raise UnknownCode("not in HQ1:<kind>:<value>:<signature> form (damaged?)")
    raise UnknownCode("not a slip or receipt of this hall")


def receipt_text(case_no: str, token: str) -> str:
    """The receipt QR's content (for tests and the demo)."""
    return f"{RECEIPT_PREFIX}:{case_no}:{token}"
