"""What a card says: typed identities and the 256-byte text block they travel in.

The block is UCS-2 little-endian, each field a fixed number of characters padded with
spaces. Both decoding and constructing validate everything, so an Identity in hand is
always complete and consistent; a problem is a CardDataError, never a half-filled object.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import ClassVar

from devices.idcard.errors import CardDataError, UnsupportedCardType
from devices.idcard.nations import NATIONS
from hallrules.id_number import InvalidIdNumber, validate_id_number
from hallrules.people import age_on

TEXT_BLOCK_SIZE = 256
PHOTO_SIZE = 1024  # WLT, compressed with a proprietary codec; kept raw
LONG_TERM = "长期"  # valid-to value of a card that never expires

_PAD = " "


class CardType(StrEnum):
    RESIDENT = "resident"  # 居民身份证
    FOREIGNER = "foreigner"  # 外国人永久居留身份证 (bytes 248–249 are 'I')


class Sex(StrEnum):
    """GB/T 2261.1 codes; the value is the code on the card."""

    UNKNOWN = "0"
    MALE = "1"
    FEMALE = "2"
    UNSTATED = "9"

    @property
    def code(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        return _SEX_LABELS[self]


_SEX_LABELS = {Sex.UNKNOWN: "未知", Sex.MALE: "男", Sex.FEMALE: "女", Sex.UNSTATED: "未说明"}


@dataclass(frozen=True)
class Nation:
    code: str
    name: str

    @classmethod
    def of(cls, code: str) -> Nation:
        try:
            return cls(code, NATIONS[code])
        except KeyError:
            raise CardDataError(
                f"民族代码无效：{code!r}", f"unknown nation code {code!r}"
            ) from None

    def __post_init__(self) -> None:
        if NATIONS.get(self.code) != self.name:
            raise CardDataError(
                f"民族代码与名称不符：{self.code} {self.name}",
                f"nation code and name disagree: {self.code} {self.name}",
            )


@dataclass(frozen=True)
class Identity:
    """A second-generation resident ID card (居民身份证)."""

    card_type: ClassVar[CardType] = CardType.RESIDENT

    name: str
    sex: Sex
    nation: Nation
    birth_date: date
    address: str
    id_number: str
    authority: str
    valid_from: date
    valid_to: date | None  # None: 长期, never expires
    photo: bytes = field(repr=False)
    fingerprint: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        _text(self.name, "姓名", "name", 15)
        _text(self.address, "住址", "address", 35)
        _text(self.authority, "签发机关", "issuing authority", 15)
        try:
            validate_id_number(self.id_number)
        except InvalidIdNumber as e:
            raise CardDataError(e.message_zh, e.message_en) from e
        _check_dates(self.birth_date, self.valid_from, self.valid_to)
        _check_biometrics(self.photo, self.fingerprint)

    @property
    def display_name(self) -> str:
        return self.name

    def age_on(self, day: date) -> int:
        return age_on(self.birth_date, day)


@dataclass(frozen=True)
class ForeignerIdentity:
    """A foreigner's permanent residence card (外国人永久居留身份证, 2017 layout)."""

    card_type: ClassVar[CardType] = CardType.FOREIGNER

    english_name: str
    chinese_name: str  # may be empty: not every holder has one
    sex: Sex
    nationality: str  # ISO 3166-1 alpha-3, e.g. "CAN"
    card_number: str  # 15 characters: nationality letters, then 12 digits
    birth_date: date
    valid_from: date
    valid_to: date
    card_version: str  # 2 characters
    authority_code: str  # 4 characters: the accepting office
    photo: bytes = field(repr=False)
    fingerprint: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        _text(self.english_name, "英文姓名", "English name", 60)
        _text(self.chinese_name, "中文姓名", "Chinese name", 15, optional=True)
        if not re.fullmatch(r"[A-Z]{3}", self.nationality):
            raise CardDataError(
                f"国籍代码无效：{self.nationality!r}", f"bad nationality code {self.nationality!r}"
            )
        if not re.fullmatch(r"[A-Z]{3}[0-9]{12}", self.card_number):
            raise CardDataError(
                f"永久居留证号码无效：{self.card_number!r}",
                f"bad permanent residence card number {self.card_number!r}",
            )
        if not re.fullmatch(r"[0-9A-Z]{2}", self.card_version):
            raise CardDataError("证件版本号无效", f"bad card version {self.card_version!r}")
        if not re.fullmatch(r"[0-9A-Z]{4}", self.authority_code):
            raise CardDataError("受理机关代码无效", f"bad authority code {self.authority_code!r}")
        _check_dates(self.birth_date, self.valid_from, self.valid_to)
        _check_biometrics(self.photo, self.fingerprint)

    @property
    def display_name(self) -> str:
        return self.chinese_name or self.english_name

    def age_on(self, day: date) -> int:
        return age_on(self.birth_date, day)


CardIdentity = Identity | ForeignerIdentity


def decode_text_block(block: bytes, photo: bytes, fingerprint: bytes | None = None) -> CardIdentity:
    """Decode a text block (with the card's photo and fingerprint) into an identity."""
    if len(block) != TEXT_BLOCK_SIZE:
        raise CardDataError(
            f"文字信息应为256字节，实为{len(block)}字节",
            f"text block must be 256 bytes, got {len(block)}",
        )
    try:
        text = block.decode("utf-16-le")
    except UnicodeDecodeError:
        raise CardDataError(
            "文字信息不是有效的UCS-2编码", "text block is not valid UCS-2"
        ) from None
    if len(text) != TEXT_BLOCK_SIZE // 2:  # a surrogate pair would shorten it
        raise CardDataError("文字信息含有UCS-2以外的字符", "text block holds non-UCS-2 characters")
    fields = _Fields(text)
    kind = text[124]  # bytes 248–249
    if kind == "I":
        return _decode_foreigner(fields, photo, fingerprint)
    if kind not in (" ", "\x00"):
        raise UnsupportedCardType(
            f"不支持的证件类型标识 {kind!r}", f"unsupported card type marker {kind!r}"
        )
    return Identity(
        name=fields.get(0, 15),
        sex=_sex(fields.get(15, 1)),
        nation=Nation.of(fields.get(16, 2)),
        birth_date=_date(fields.get(18, 8), "出生日期", "birth date"),
        address=fields.get(26, 35),
        id_number=fields.get(61, 18),
        authority=fields.get(79, 15),
        valid_from=_date(fields.get(94, 8), "有效期起始日期", "valid-from date"),
        valid_to=_valid_to(fields.get(102, 8)),
        photo=photo,
        fingerprint=fingerprint,
    )


def _decode_foreigner(
    fields: _Fields, photo: bytes, fingerprint: bytes | None
) -> ForeignerIdentity:
    return ForeignerIdentity(
        english_name=fields.get(0, 60),
        sex=_sex(fields.get(60, 1)),
        card_number=fields.get(61, 15),
        nationality=fields.get(76, 3),
        chinese_name=fields.get(79, 15),
        valid_from=_date(fields.get(94, 8), "有效期起始日期", "valid-from date"),
        valid_to=_date(fields.get(102, 8), "有效期截止日期", "valid-to date"),
        birth_date=_date(fields.get(110, 8), "出生日期", "birth date"),
        card_version=fields.get(118, 2),
        authority_code=fields.get(120, 4),
        photo=photo,
        fingerprint=fingerprint,
    )


def encode_identity(card: CardIdentity) -> bytes:
    """The 256-byte text block a card with this identity carries."""
    if isinstance(card, ForeignerIdentity):
        parts = [
            (card.english_name, 60),
            (card.sex.code, 1),
            (card.card_number, 15),
            (card.nationality, 3),
            (card.chinese_name, 15),
            (card.valid_from.strftime("%Y%m%d"), 8),
            (card.valid_to.strftime("%Y%m%d"), 8),
            (card.birth_date.strftime("%Y%m%d"), 8),
            (card.card_version, 2),
            (card.authority_code, 4),
            ("I", 1),
            ("", 3),
        ]
    else:
        parts = [
            (card.name, 15),
            (card.sex.code, 1),
            (card.nation.code, 2),
            (card.birth_date.strftime("%Y%m%d"), 8),
            (card.address, 35),
            (card.id_number, 18),
            (card.authority, 15),
            (card.valid_from.strftime("%Y%m%d"), 8),
            (LONG_TERM if card.valid_to is None else card.valid_to.strftime("%Y%m%d"), 8),
            ("", 18),
        ]
    text = "".join(value.ljust(width, _PAD) for value, width in parts)
    block = text.encode("utf-16-le")
    assert len(block) == TEXT_BLOCK_SIZE
    return block


def contract_dict(card: CardIdentity) -> dict[str, str | None]:
    """The `hallq devices read-id --json` object (see the contract).

    sex and nation are the Chinese labels; dates are ISO; valid_to is null for 长期.
    For a foreigner's card: name is the Chinese name (else the English one), nation the
    ISO nationality code, id_number the card number, address and authority empty.
    """
    if isinstance(card, ForeignerIdentity):
        return {
            "name": card.display_name,
            "sex": card.sex.label,
            "nation": card.nationality,
            "birth_date": card.birth_date.isoformat(),
            "address": "",
            "id_number": card.card_number,
            "authority": "",
            "valid_from": card.valid_from.isoformat(),
            "valid_to": card.valid_to.isoformat(),
        }
    return {
        "name": card.name,
        "sex": card.sex.label,
        "nation": card.nation.name,
        "birth_date": card.birth_date.isoformat(),
        "address": card.address,
        "id_number": card.id_number,
        "authority": card.authority,
        "valid_from": card.valid_from.isoformat(),
        "valid_to": None if card.valid_to is None else card.valid_to.isoformat(),
    }


class _Fields:
    """Fixed-width fields of the decoded block, addressed in characters."""

    def __init__(self, text: str) -> None:
        self._text = text

    def get(self, start: int, width: int) -> str:
        # Spaces are the specified padding; some readers pad with NULs instead.
        return self._text[start : start + width].rstrip(" \x00")


def _text(value: str, zh: str, en: str, width: int, *, optional: bool = False) -> None:
    if not value and not optional:
        raise CardDataError(f"{zh}为空", f"{en} is empty")
    if len(value) > width:
        raise CardDataError(f"{zh}超过{width}个字", f"{en} longer than {width} characters")
    if value != value.strip():
        raise CardDataError(f"{zh}首尾有空白", f"{en} has surrounding blanks")
    # Control, unassigned, surrogate, separator-other characters mean garbage, not a name.
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Cn", "Zl", "Zp") for c in value):
        raise CardDataError(f"{zh}含有无效字符", f"{en} holds invalid characters")


def _sex(code: str) -> Sex:
    try:
        return Sex(code)
    except ValueError:
        raise CardDataError(f"性别代码无效：{code!r}", f"bad sex code {code!r}") from None


def _date(s: str, zh: str, en: str) -> date:
    if len(s) != 8 or not s.isascii() or not s.isdigit():
        raise CardDataError(f"{zh}格式错误：{s!r}", f"{en} is not YYYYMMDD: {s!r}")
    try:
        return date(int(s[:4]), int(s[4:6]), int(s[6:]))
    except ValueError:
        raise CardDataError(f"{zh}无效：{s}", f"{en} is impossible: {s}") from None


def _valid_to(s: str) -> date | None:
    if s == LONG_TERM:
        return None
    return _date(s, "有效期截止日期", "valid-to date")


def _check_dates(birth: date, valid_from: date, valid_to: date | None) -> None:
    if valid_from < birth:
        raise CardDataError("有效期早于出生日期", "card valid before its holder was born")
    if valid_to is not None and valid_to <= valid_from:
        raise CardDataError("有效期截止日期不晚于起始日期", "card expires before it is valid")


def _check_biometrics(photo: bytes, fingerprint: bytes | None) -> None:
    if len(photo) != PHOTO_SIZE:
        raise CardDataError(
            f"照片数据应为1024字节，实为{len(photo)}字节",
            f"photo must be 1024 bytes, got {len(photo)}",
        )
    if fingerprint is not None and not fingerprint:
        raise CardDataError("指纹数据为空", "fingerprint present but empty")


