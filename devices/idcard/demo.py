"""Demo cards for the simulator, the kiosk's demo mode and tests. Invented people with
valid check digits; photos are stand-in bytes, not decodable WLT."""

from __future__ import annotations

import random
from datetime import date

from devices.idcard.identity import (
    PHOTO_SIZE,
    CardIdentity,
    ForeignerIdentity,
    Identity,
    Nation,
    Sex,
)


def _blob(seed: str, size: int = PHOTO_SIZE) -> bytes:
    return random.Random(seed).randbytes(size)


DEMO_CARDS: dict[str, CardIdentity] = {
    # An ordinary adult card, with a fingerprint for the 30 10 read.
    "zhang": Identity(
        name="张伟",
        sex=Sex.MALE,
        nation=Nation.of("01"),
        birth_date=date(1985, 6, 15),
        address="北京市朝阳区建国路88号院3号楼2单元501室",
        id_number="110105198506151236",
        authority="北京市公安局朝阳分局",
        valid_from=date(2016, 3, 1),
        valid_to=date(2036, 3, 1),
        photo=_blob("zhang"),
        fingerprint=_blob("zhang-fp"),
    ),
    # Aged 70+ (priority queue), born on 29 February, card valid 长期.
    "elder": Identity(
        name="王秀英",
        sex=Sex.FEMALE,
        nation=Nation.of("03"),
        birth_date=date(1948, 2, 29),
        address="北京市西城区牛街东里5号楼3门402号",
        id_number="110102194802290022",
        authority="北京市公安局西城分局",
        valid_from=date(2010, 5, 20),
        valid_to=None,
        photo=_blob("elder"),
    ),
    # 长期 validity issued at 47, a different province.
    "li": Identity(
        name="李娜",
        sex=Sex.FEMALE,
        nation=Nation.of("01"),
        birth_date=date(1972, 3, 18),
        address="广东省深圳市福田区深南大道1001号",
        id_number="440304197203181549",
        authority="深圳市公安局福田分局",
        valid_from=date(2019, 8, 12),
        valid_to=None,
        photo=_blob("li"),
    ),
    # A minority name with the middle dot, a young holder.
    "young": Identity(
        name="阿依古丽·买买提",
        sex=Sex.FEMALE,
        nation=Nation.of("05"),
        birth_date=date(2006, 9, 1),
        address="新疆乌鲁木齐市天山区解放南路123号",
        id_number="650102200609010029",
        authority="乌鲁木齐市公安局天山区分局",
        valid_from=date(2022, 10, 10),
        valid_to=date(2032, 10, 10),
        photo=_blob("young"),
    ),
    "foreigner": ForeignerIdentity(
        english_name="SMITH, JOHN MICHAEL",
        chinese_name="史密斯约翰",
        sex=Sex.MALE,
        nationality="CAN",
        card_number="CAN110079110212",
        birth_date=date(1979, 11, 2),
        valid_from=date(2019, 7, 1),
        valid_to=date(2029, 7, 1),
        card_version="01",
        authority_code="1100",
        photo=_blob("foreigner"),
    ),
}
