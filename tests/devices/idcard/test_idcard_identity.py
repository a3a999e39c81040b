from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.idcard.demo import DEMO_CARDS
from devices.idcard.errors import CardDataError, UnsupportedCardType
from devices.idcard.identity import (
    CardType,
    ForeignerIdentity,
    Identity,
    Nation,
    Sex,
    contract_dict,
    decode_text_block,
    encode_identity,
)
from devices.idcard.nations import NATIONS
from hallrules.id_number import check_digit

# No per-example deadline: a loaded CI machine must not turn slowness into failures.
RELAXED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

PHOTO = bytes(1024)


def _field(block: bytes, start: int, end: int) -> str:
    return block[start:end].decode("utf-16-le").rstrip(" ")


@pytest.mark.parametrize("name", sorted(DEMO_CARDS))
def test_demo_cards_round_trip(name: str) -> None:
    card = DEMO_CARDS[name]
    block = encode_identity(card)
    assert len(block) == 256
    assert decode_text_block(block, card.photo, card.fingerprint) == card


def test_resident_fields_sit_at_the_reference_offsets() -> None:
    block = encode_identity(DEMO_CARDS["elder"])
    assert _field(block, 0, 30) == "王秀英"
    assert _field(block, 30, 32) == "2"
    assert _field(block, 32, 36) == "03"
    assert _field(block, 36, 52) == "19480229"
    assert _field(block, 122, 158) == "110102194802290022"
    assert _field(block, 188, 204) == "20100520"
    assert _field(block, 204, 220) == "长期"
    assert block[220:256] == " ".encode("utf-16-le") * 18


def test_long_term_validity_is_none_and_null_in_the_contract() -> None:
    elder = DEMO_CARDS["elder"]
    assert isinstance(elder, Identity) and elder.valid_to is None
    assert contract_dict(elder)["valid_to"] is None


def test_contract_dict_has_exactly_the_contract_keys() -> None:
    keys = ["name", "sex", "nation", "birth_date", "address", "id_number", "authority"]
    keys += ["valid_from", "valid_to"]
    for card in DEMO_CARDS.values():
        assert list(contract_dict(card)) == keys
    zhang = contract_dict(DEMO_CARDS["zhang"])
    assert zhang["sex"] == "男" and zhang["nation"] == "汉"
    assert zhang["birth_date"] == "1985-06-15" and zhang["valid_to"] == "2036-03-01"


def test_foreigner_card_layout() -> None:
    card = DEMO_CARDS["foreigner"]
    assert isinstance(card, ForeignerIdentity) and card.card_type is CardType.FOREIGNER
    block = encode_identity(card)
    assert block[248:250] == b"I\x00"
    assert _field(block, 0, 120) == "SMITH, JOHN MICHAEL"
    assert _field(block, 120, 122) == "1"
    assert _field(block, 122, 152) == "CAN110079110212"
    assert _field(block, 152, 158) == "CAN"
    assert _field(block, 158, 188) == "史密斯约翰"
    assert _field(block, 188, 204) == "20190701"
    assert _field(block, 204, 220) == "20290701"
    assert contract_dict(card)["name"] == "史密斯约翰"
    assert contract_dict(card)["id_number"] == "CAN110079110212"


def test_nations_table() -> None:
    assert len(NATIONS) == 58
    assert NATIONS["01"] == "汉" and NATIONS["46"] == "德昂" and NATIONS["56"] == "基诺"
    assert NATIONS["97"] == "其他" and NATIONS["98"] == "外国血统中国籍人士"
    assert [NATIONS[f"{i:02d}"] for i in (2, 5, 10, 11, 29, 43)] == [
        "蒙古", "维吾尔", "朝鲜", "满", "柯尔克孜", "乌孜别克"
    ]  # fmt: skip
    with pytest.raises(CardDataError):
        Nation.of("57")
    with pytest.raises(CardDataError):
        Nation("01", "蒙古")


def test_sex_codes_and_labels() -> None:
    assert [(s.code, s.label) for s in Sex] == [
        ("0", "未知"),
        ("1", "男"),
        ("2", "女"),
        ("9", "未说明"),
    ]


def test_age() -> None:
    elder = DEMO_CARDS["elder"]  # born 29 February 1948
    assert elder.age_on(date(2018, 2, 28)) == 69
    assert elder.age_on(date(2018, 3, 1)) == 70
    assert elder.age_on(date.today()) >= 70


def _block_with(offset: int, text: str, base: str = "zhang") -> bytes:
    block = bytearray(encode_identity(DEMO_CARDS[base]))
    data = text.encode("utf-16-le")
    block[offset : offset + len(data)] = data
    return bytes(block)


@pytest.mark.parametrize(
    ("offset", "text", "fragment"),
    [
        (122, "110105198506151237", "校验位"),
        (36, "19851332", "出生日期"),
        (36, "1985061X", "出生日期"),
        (188, "20160230", "有效期"),
        (204, "20150101", "截止"),  # expires before it is valid
        (30, "3", "性别"),
        (32, "57", "民族"),
        (0, " " * 15, "姓名为空"),
        (0, "张\x07伟", "无效字符"),
        (52, " 北京", "空白"),
        (248, "J", "证件类型"),
    ],
)
def test_bad_blocks_are_typed_errors(offset: int, text: str, fragment: str) -> None:
    with pytest.raises(CardDataError) as info:
        decode_text_block(_block_with(offset, text), PHOTO)
    assert fragment in info.value.message_zh


def test_unknown_card_type_is_its_own_error() -> None:
    with pytest.raises(UnsupportedCardType):
        decode_text_block(_block_with(248, "Y"), PHOTO)


def test_nul_padding_is_accepted() -> None:
    block = encode_identity(DEMO_CARDS["zhang"]).replace(b" \x00", b"\x00\x00")
    assert decode_text_block(block, PHOTO).name == "张伟"


def test_wrong_sizes() -> None:
    with pytest.raises(CardDataError):
        decode_text_block(encode_identity(DEMO_CARDS["zhang"])[:-2], PHOTO)
    with pytest.raises(CardDataError):
        decode_text_block(encode_identity(DEMO_CARDS["zhang"]), PHOTO[:-1])


def test_lone_surrogate_is_a_typed_error() -> None:
    block = bytearray(encode_identity(DEMO_CARDS["zhang"]))
    block[0:2] = b"\x00\xd8"
    with pytest.raises(CardDataError):
        decode_text_block(bytes(block), PHOTO)


def test_constructing_an_invalid_identity_fails() -> None:
    with pytest.raises(CardDataError):
        dataclasses.replace(DEMO_CARDS["zhang"], id_number="110105198506151230")
    with pytest.raises(CardDataError):
        dataclasses.replace(DEMO_CARDS["zhang"], name="张" * 16)


# --- properties -----------------------------------------------------------------------

_cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
_dates = st.dates(date(1900, 1, 1), date(2040, 12, 31))


@st.composite
def identities(draw: st.DrawFn) -> Identity:
    born = draw(st.dates(date(1900, 1, 1), date(2020, 12, 31)))
    first17 = f"{draw(st.integers(110000, 829999))}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    valid_from = draw(st.dates(born, date(2030, 12, 31)))
    long_term = draw(st.booleans())
    return Identity(
        name=draw(st.text(_cjk, min_size=1, max_size=15)),
        sex=draw(st.sampled_from(Sex)),
        nation=Nation.of(draw(st.sampled_from(sorted(NATIONS)))),
        birth_date=born,
        address=draw(
            st.text(_cjk | st.sampled_from("0123456789号-"), min_size=1, max_size=35)
        ).strip("-")
        or "北京",
        id_number=first17 + check_digit(first17),
        authority=draw(st.text(_cjk, min_size=1, max_size=15)),
        valid_from=valid_from,
        valid_to=None if long_term else valid_from.replace(year=valid_from.year + 5, day=1),
        photo=draw(st.binary(min_size=1024, max_size=1024)),
    )


@settings(RELAXED)
@given(identities())
def test_any_identity_round_trips(card: Identity) -> None:
    assert decode_text_block(encode_identity(card), card.photo) == card


@settings(RELAXED)
@given(st.binary(min_size=256, max_size=256))
def test_random_blocks_decode_or_raise_typed(block: bytes) -> None:
    try:
        card = decode_text_block(block, PHOTO)
    except CardDataError:
        return
    assert decode_text_block(encode_identity(card), PHOTO) == card
