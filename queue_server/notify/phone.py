"""Mainland mobile numbers: validation and the masked form shown to staff."""

from __future__ import annotations

import re

from queue_server.domain.errors import InvalidInput

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-()]")


def normalise_phone(raw: str) -> str:
    value = _SEPARATORS.sub("", raw)
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            value = value[len(prefix):]
    if not _MOBILE.match(value):
        raise InvalidInput("手机号码应为11位，以1开头", "a mobile number has 11 digits and starts with 1",
                           code="invalid_phone")
    return value


def mask_phone(phone: str) -> str:
    # 138****5678: the form printed on Chinese receipts.
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "*" * len(phone)


def mask_openid(openid: str) -> str:
    return openid[:4] + "…" + openid[-2:] if len(openid) > 6 else "…"
