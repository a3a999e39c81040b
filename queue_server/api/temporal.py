"""Dates and times as the OpenAPI document says them: ISO 8601 text only.

pydantic also takes a number (`0`, `"0"`) as seconds since 1970, so `?from=0` read as
1 January 1970 and `{"date": 0}` was stored as that day: a request the document calls
invalid (schemathesis ST201), and a wrong date nobody meant. These types refuse such
input with the usual 422 before pydantic reads it.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Strict

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})?")


def _day(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise ValueError("日期应写作 YYYY-MM-DD / a date is written YYYY-MM-DD")
    return value


def _moment(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _MOMENT.fullmatch(value):
        raise ValueError("时间应写作 ISO 8601，如 2026-11-24T09:00:00+08:00 / a time is "
                         "written ISO 8601, e.g. 2026-11-24T09:00:00+08:00")
    return value


# Strict(False): models held to JSON's own types (strict=True) still read these from text,
# which the validators above have already held to ISO 8601.
Day = Annotated[date, Strict(False), BeforeValidator(_day)]
Moment = Annotated[datetime, Strict(False), BeforeValidator(_moment)]
