"""What a scanned QR code is: one of the hall's signed slips, or an acceptance receipt.

- `HQ1:<kind>:<value>:<signature>`: a slip signed with the hall's key
  (devices/scanner/slip.py); kind A is an appointment or pre-application, C a case.
  Only the server holds the key, so the kiosk checks the form here and asks the server
  (`POST /slips/check`) what the slip is.
- `HQC1:<case_no>:<token>`: the acceptance receipt the registration back office prints
  (the case issue's format, queue_server/cases/proof.py); the token itself is the proof
  of being an applicant, so the server checks it, not the kiosk.
- `…/t/{ticket_id}.{signature}`: a ticket's follow link (queue_server/domain/follow.py),
  the QR printed on the ticket, as a full address or a path. Only the server can tell a
  real one from an altered one (`GET /follow/{ref}`); at the kiosk it rates the ticket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from devices.scanner.slip import SLIP_RE

RECEIPT_PREFIX = "HQC1"
_RECEIPT_RE = re.compile(r"HQC1:([A-Za-z0-9][A-Za-z0-9_\-]{0,39}):([A-Za-z2-7 \-]{8,40})")
# An optional scheme and host, an optional path prefix (HALLQ_PUBLIC_URL may have one),
# then /t/<ticket id>.<signature>, perhaps a closing slash, query or fragment.
_FOLLOW_RE = re.compile(
    r"(?:https?://[^/\s?#]+)?(?:/[^\s?#]*)?/t/([A-Za-z0-9_\-]{1,64}\.[A-Za-z0-9]{1,64})/?"
    r"(?:[?#]\S*)?", re.IGNORECASE)


class UnknownCode(ValueError):
    """Scanned, but not a code of this hall (or damaged, or forged)."""


@dataclass(frozen=True)
class Receipt:
    case_no: str
    token: str


@dataclass(frozen=True)
class FollowLink:
    """A ticket's follow link; whether the server knows it, the server says."""

    ref: str


@dataclass(frozen=True)
class SlipText:
    """In the form of the hall's signed slips; whether it is one, the server says."""

    text: str


Code = SlipText | Receipt | FollowLink


def classify(text: str) -> Code:
    text = text.strip()
    m = _RECEIPT_RE.fullmatch(text)
    if m is not None:
        return Receipt(m[1], m[2])
    m = _FOLLOW_RE.fullmatch(text)
    if m is not None:
        return FollowLink(m[1])
    if SLIP_RE.fullmatch(text):
        return SlipText(text)
    if text.startswith("HQ1:"):
        raise UnknownCode("not in HQ1:<kind>:<value>:<signature> form (damaged?)")
    raise UnknownCode("not a slip, receipt or follow link of this hall")


def receipt_text(case_no: str, token: str) -> str:
    """The receipt QR's content (for tests and the demo)."""
    return f"{RECEIPT_PREFIX}:{case_no}:{token}"
