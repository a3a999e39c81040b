"""Resident ID numbers (GB 11643-1999): check digit and birth date.

Pure and dependency-free: the queue server imports this to validate numbers typed by a
person, the card decoder to validate numbers read from a chip.
"""

from __future__ import annotations

from datetime import date

# ISO 7064 MOD 11-2 weights for the first 17 digits (2**(17-i) mod 11).
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ASCII_DIGITS = frozenset("0123456789")


class InvalidIdNumber(ValueError):
    """The string is not a valid 18-character resident ID number.

    A ValueError so the server can treat it as bad input; carries the bilingual message
    every hallq error has.
    """

    def __init__(self, message_zh: str, message_en: str) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")


def check_digit(first17: str) -> str:
    """The check character for 17 ASCII digits."""
    if len(first17) != 17 or not set(first17) <= _ASCII_DIGITS:
        raise InvalidIdNumber("身份证号前17位必须是数字", "the first 17 characters must be digits")
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def tidy_id_number(s: str) -> str:
    """Strip surrounding blanks and upper-case a trailing x, as people type it."""
    return s.strip().upper()


def validate_id_number(s: str) -> None:
    """Raise InvalidIdNumber unless `s` is exactly a valid 18-character number.

    Strict: no blanks, upper-case X only (use tidy_id_number on typed input). The
    15-digit first-generation numbers are rejected: those cards went out of use in 2013.
    """
    if len(s) != 18:
        raise InvalidIdNumber(
            f"身份证号应为18位，实为{len(s)}位", f"ID number must be 18 characters, got {len(s)}"
        )
    expected = check_digit(s[:17])
    if s[17] != expected:
        raise InvalidIdNumber(
            f"身份证号校验位错误（应为{expected}）",
            f"ID number check character is wrong (expected {expected})",
        )
    _birth_date(s)


def birth_date_of(s: str) -> date:
    """The birth date encoded in digits 7–14 of a valid number."""
    validate_id_number(s)
    return _birth_date(s)


def _birth_date(s: str) -> date:
    try:
        return date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        raise InvalidIdNumber(
            "身份证号中的出生日期无效", "ID number contains an impossible birth date"
        ) from None
