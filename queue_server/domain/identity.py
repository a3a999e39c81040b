"""National ID numbers: check digit (GB 11643), keyed hash, masking, age.

The number itself is never stored: a keyed hash matches the same person across tickets
and a masked form is shown to staff.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

# The one check-digit implementation, shared with the card decoder; pure, no serial I/O.
from devices.idcard.id_number import InvalidIdNumber, normalize_id_number, validate_id_number
from devices.idcard.id_number import birth_date_of as _birth_date_of
from queue_server.domain.errors import InvalidInput


def normalise_id_number(raw: str) -> str:
    """Validate an 18-character resident ID number as a person typed it; return it clean."""
    value = normalize_id_number(raw)
    try:
        validate_id_number(value)
    except InvalidIdNumber as exc:
        raise InvalidInput(exc.message_zh, exc.message_en, code="invalid_id_number") from None
    return value


def birth_date_of(id_number: str) -> date:
    try:
        return _birth_date_of(id_number)
    except InvalidIdNumber as exc:
        raise InvalidInput(exc.message_zh, exc.message_en, code="invalid_id_number") from None


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def mask_id_number(id_number: str) -> str:
    # First 3 (province/city) and last 4, as on Chinese government receipts.
    return id_number[:3] + "*" * (len(id_number) - 7) + id_number[-4:]


def mask_name(name: str) -> str:
    name = name.strip()
    if not name:
        return ""
    if len(name) == 1:
        return name
    # Keep the (first) surname character; two-character compound surnames show one.
    return name[0] + "*" * (len(name) - 1)


def id_hash(id_number: str, key: bytes) -> str:
    return hmac.new(key, id_number.encode("ascii"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Applicant:
    """What hallq keeps of an applicant: never the ID number or full name in clear."""

    id_hash: str
    id_masked: str
    name_masked: str
    birth_date: date | None = None

    @classmethod
    def from_id(cls, id_number: str, name: str, key: bytes) -> Applicant:
        value = normalise_id_number(id_number)
        return cls(id_hash(value, key), mask_id_number(value), mask_name(name), birth_date_of(value))
