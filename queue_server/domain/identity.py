"""National ID numbers on the server: checked as 4xx input, keyed hash, the kept applicant.

The number itself is never stored: a keyed hash matches the same person across tickets
and a masked form is shown to staff.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

# The one check-digit implementation, shared with the card decoder; pure, no serial I/O.
from hallrules.id_number import InvalidIdNumber, tidy_id_number, validate_id_number
from hallrules.id_number import birth_date_of as _birth_date_of
from hallrules.people import Applicant, age_on, mask_id_number, mask_name
from queue_server.domain.errors import InvalidInput


def normalise_id_number(raw: str) -> str:
    """Validate an 18-character resident ID number as a person typed it; return it clean."""
    value = tidy_id_number(raw)
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


def id_hash(id_number: str, key: bytes) -> str:
    return hmac.new(key, id_number.encode("ascii"), hashlib.sha256).hexdigest()


# The masks and the age are the shared rules (hallrules.people), re-exported for the server.
__all__ = ["Applicant", "KeptApplicant", "age_on", "birth_date_of", "id_hash", "kept",
           "mask_id_number", "mask_name", "normalise_id_number"]


@dataclass(frozen=True)
class KeptApplicant:
    """What hallq keeps of an Applicant: never the ID number or full name in clear."""

    id_hash: str
    id_masked: str
    name_masked: str
    birth_date: date | None = None

    @classmethod
    def from_id(cls, id_number: str, name: str, key: bytes) -> KeptApplicant:
        """From a number as typed or sent: checked (InvalidInput, 422), then hashed."""
        return kept(Applicant(name, normalise_id_number(id_number), None), key)


def kept(applicant: Applicant, key: bytes) -> KeptApplicant:
    """The hashed and masked form of an applicant with a valid ID number."""
    if applicant.id_number is None:
        raise InvalidInput("缺少身份证号", "an ID number is needed", code="invalid_id_number")
    value = normalise_id_number(applicant.id_number)
    return KeptApplicant(id_hash(value, key), mask_id_number(value), applicant.masked_name,
                         applicant.birth_date or birth_date_of(value))
