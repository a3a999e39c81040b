"""The applicant: how their age is counted and how their name and ID number are shown masked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hallrules.id_number import birth_date_of, tidy_id_number


def age_on(birth: date, day: date) -> int:
    """Whole years on `day`: the birthday itself counts (priority by age is by law)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def mask_id_number(id_number: str) -> str:
    # First 3 (province/city) and last 4, as on Chinese government receipts.
    return id_number[:3] + "*" * (len(id_number) - 7) + id_number[-4:]


def mask_name(name: str) -> str:
    """王** for 王小英: the one masking rule, on the kiosk screen, staff pages and exports.

    Only the (first) surname character stays: the kiosk screen is read by whoever queues
    behind, and a given name's last character narrows a person down more than it helps
    the applicant recognise their own card. Two-character compound surnames show one.
    """
    name = name.strip()
    if len(name) <= 1:
        return name
    return name[0] + "*" * (len(name) - 1)


@dataclass(frozen=True)
class Applicant:
    """The person being served, as their card or the form gives them: in clear.

    The kiosk holds one for a session (wiped when it goes home); the queue server builds
    one from what a request carries and keeps only its hash and masks
    (queue_server.domain.identity.kept). One class, so the mask and the age are the same
    on the kiosk screen and the staff pages.
    """

    name: str
    id_number: str | None  # None: a card whose number the server cannot take (foreigner's)
    birth_date: date | None
    # What the chip holds besides the number (签发机关, validity), sent with archive and
    # case lookups as evidence that the card is on the reader; never shown, never kept.
    card: dict[str, str | None] | None = None

    @classmethod
    def from_id_number(cls, id_number: str, name: str = "") -> Applicant:
        """From a typed number: tidied and checked (InvalidIdNumber), birth date from it."""
        value = tidy_id_number(id_number)
        return cls(name, value, birth_date_of(value))

    @property
    def masked_name(self) -> str:
        """What a screen shows: people queue behind the applicant and can read it."""
        return mask_name(self.name)

    @property
    def masked_id_number(self) -> str | None:
        return None if self.id_number is None else mask_id_number(self.id_number)

    def age_on(self, day: date) -> int:
        if self.birth_date is None:
            raise ValueError("birth date unknown / 出生日期未知")
        return age_on(self.birth_date, day)
