from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallrules.id_number import (
    InvalidIdNumber,
    birth_date_of,
    check_digit,
    tidy_id_number,
    validate_id_number,
)

# No per-example deadline: a loaded CI machine must not turn slowness into failures.
RELAXED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_reference_example_is_valid() -> None:
    validate_id_number("11010519491231002X")
    assert birth_date_of("11010519491231002X") == date(1949, 12, 31)


def test_check_digit_by_hand() -> None:
    # 1*7 + 1*9 + 0*10 + 1*5 + 0*8 + 5*4 + 1*2 + 9*1 + 4*6 + 9*3 + 1*7 + 2*9 + 3*10
    # + 1*5 + 0*8 + 0*4 + 2*2 = 167; 167 % 11 = 2; "10X98765432"[2] = "X"
    assert check_digit("11010519491231002") == "X"


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("110105194912310021", "校验位"),  # wrong check character
        ("11010519491231002x", "校验位"),  # lower-case x is not accepted as is
        ("11010519491231002", "18位"),
        ("11010519491231002X1", "18位"),
        ("1101051949123100AX", "数字"),
        ("１１０１０５１９４９１２３１００２X", "数字"),  # full-width digits
        ("110105194902300020", "出生日期"),  # 30 February, with a correct check digit
    ],
)
def test_invalid_numbers(number: str, fragment: str) -> None:
    with pytest.raises(InvalidIdNumber) as info:
        validate_id_number(number)
    assert fragment in info.value.message_zh
    assert str(info.value).startswith(info.value.message_zh)


def test_feb30_number_really_has_a_correct_check_digit() -> None:
    # Guards the parametrised case above: it must fail on the date, not the check digit.
    # From the 167 above: digits 1231 -> 0230 drop 1*7 and 1*5, so 155; 155 % 11 = 1 -> "0".
    assert check_digit("11010519490230002") == "0"


def test_invalid_id_number_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        birth_date_of("123")


def test_normalize() -> None:
    assert tidy_id_number(" 11010519491231002x\n") == "11010519491231002X"


@settings(RELAXED)
@given(
    region=st.integers(110000, 829999),
    born=st.dates(date(1900, 1, 1), date(2030, 12, 31)),
    seq=st.integers(0, 999),
    wrong=st.sampled_from("0123456789X"),
)
def test_every_number_with_its_check_digit_validates(
    region: int, born: date, seq: int, wrong: str
) -> None:
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    number = first17 + check_digit(first17)
    validate_id_number(number)
    assert birth_date_of(number) == born
    if wrong != number[17]:
        with pytest.raises(InvalidIdNumber):
            validate_id_number(first17 + wrong)
