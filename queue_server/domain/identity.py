"""National ID numbers: check digit (GB 11643), keyed hash, masking, age.

The number itself is never stored: a keyed hash matches the same person across tickets
and a masked form is shown to staff.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

from queue_server.domain.errors import InvalidInput

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def normalise_id_number(raw: str) -> str:
    """Validate an 18-character resident ID number and return it upper-cased."""
    value = raw.strip().upper()
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise InvalidInput("身份证号码应为18位 (17位数字加校验位)",
                           "an ID number has 18 characters: 17 digits and a check character",
                           code="invalid_id_number")
    expected = _CHECK[sum(int(d) * w for d, w in zip(value[:17], _WEIGHTS, strict=True)) % 11]
    if value[17] != expected:
        raise InvalidInput("身份证号码校验位不正确，请核对", "the ID number's check digit is wrong",
                           code="invalid_id_number")
    birth_date_of(value)
    return value


def birth_date_of(id_number: str) -> date:
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError as exc:
        raise InvalidInput("身份证号码中的出生日期无效", "the ID number holds no valid birth date",
                           code="invalid_id_number") from exc


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
