"""Settings of cases and archive lookups, read from HALLQ_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from queue_server.archive.ratelimit import Rate
from queue_server.cases.deadline import WorkCalendar
from queue_server.notify.config import ConfigError


def _dates(env: Mapping[str, str], name: str) -> frozenset[date]:
    out = set()
    for part in env.get(name, "").replace(";", ",").split(","):
        if part.strip():
            try:
                out.add(date.fromisoformat(part.strip()))
            except ValueError:
                raise ConfigError(f"{name} 应为逗号分隔的日期 YYYY-MM-DD / {name} must be "
                                  "comma-separated YYYY-MM-DD dates") from None
    return frozenset(out)


def _rate(env: Mapping[str, str], name: str, default: str) -> Rate:
    try:
        return Rate.parse(env.get(name) or default)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None


@dataclass(frozen=True)
class RecordsConfig:
    warn_days: int = 2  # working days before the due date that raise a warning
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    kiosk_rate: Rate = Rate(30, 60)  # lookups per kiosk token
    id_rate: Rate = Rate(10, 600)  # lookups per ID number, from anywhere

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RecordsConfig:
        e = os.environ if env is None else env
        raw = e.get("HALLQ_CASE_WARN_DAYS", "2")
        if not raw.strip().isdigit():
            raise ConfigError("HALLQ_CASE_WARN_DAYS 应为非负整数 / must be a whole number")
        return cls(
            warn_days=int(raw),
            calendar=WorkCalendar(_dates(e, "HALLQ_HOLIDAYS"), _dates(e, "HALLQ_EXTRA_WORKDAYS")),
            kiosk_rate=_rate(e, "HALLQ_LOOKUP_RATE_KIOSK", "30/60"),
            id_rate=_rate(e, "HALLQ_LOOKUP_RATE_ID", "10/600"))
