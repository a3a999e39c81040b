from datetime import date

import pytest

from hallrules.id_number import check_digit
from queue_server.domain.errors import InvalidInput
from queue_server.domain.identity import (
    KeptApplicant,
    age_on,
    id_hash,
    mask_id_number,
    mask_name,
    normalise_id_number,
)

VALID = "11010519491231002X"


def test_valid_number_from_the_standard_passes_and_is_upper_cased():
    assert normalise_id_number(VALID.lower()) == VALID


@pytest.mark.parametrize("bad", [
    "110105194912310021",  # wrong check digit
    "11010519491231002",  # 17 characters
    "1101051949123100XX",  # letter inside
    "110105194913310028",  # month 13 (check digit recomputed below would still fail)
    "",
])
def test_invalid_numbers_are_refused_with_a_clear_code(bad):
    with pytest.raises(InvalidInput) as err:
        normalise_id_number(bad)
    assert err.value.code == "invalid_id_number"
    assert "身份证" in str(err.value)


def test_impossible_birth_date_is_refused_even_with_a_right_check_digit():
    body = "11010519491331002"  # month 13
    with pytest.raises(InvalidInput, match="出生日期"):
        normalise_id_number(body + check_digit(body))


def test_masks_hide_the_middle_and_the_given_name():
    assert mask_id_number(VALID) == "110***********002X"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("王") == "王"


def test_hash_is_keyed_and_stable():
    assert id_hash(VALID, b"k1") == id_hash(VALID, b"k1")
    assert id_hash(VALID, b"k1") != id_hash(VALID, b"k2")
    assert VALID not in id_hash(VALID, b"k1")


def test_applicant_keeps_no_clear_id_or_name():
    a = KeptApplicant.from_id(VALID, "张三", b"k")
    assert VALID not in repr(a) and "张三" not in repr(a)
    assert a.birth_date == date(1949, 12, 31)


def test_age_counts_birthdays():
    assert age_on(date(1949, 12, 31), date(2019, 12, 30)) == 69
    assert age_on(date(1949, 12, 31), date(2019, 12, 31)) == 70
