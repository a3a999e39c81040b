"""Settings of cases and archive lookups, read from HALLQ_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from queue_server.archive.ratelimit import Rate
from queue_server.domain.workdays import WorkCalendar
from queue_server.notify.config import ConfigError
from queue_server.workcalendar import load_work_calendar


def _rate(env: Mapping[str, str], name: str, default: str) -> Rate:
    try:
        return Rate.parse(env.get(name) or default)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None


@dataclass(frozen=True)
class RecordsConfig:
    warn_days: int = 2  # working days before the due date that raise a warning
    # The product's one calendar; the app shares it as app.state.calendar.
    calendar: WorkCalendar = field(default_factory=load_work_calendar)
    kiosk_rate: Rate = Rate(30, 60)  # lookups per kiosk token
    id_rate: Rate = Rate(10, 600)  # lookups per ID number, from anywhere
    # Tickets a kiosk token issues: a kiosk serves one applicant at a time, so a burst
    # beyond this is a copied token at work (issue 16). Idempotent replays are free.
    issue_rate: Rate = Rate(10, 60)
    anonymous_rate: Rate = Rate(60, 3600)  # of those, without an ID card
    # A one-time SMS code for a lookup (cases/evidence.py): sent per ID number.
    sms_rate: Rate = Rate(3, 900)

    def rates(self) -> dict[str, Rate]:
        """The limiter's buckets by scope (archive/ratelimit.py)."""
        return {"kiosk": self.kiosk_rate, "id": self.id_rate, "issue": self.issue_rate,
                "anonymous": self.anonymous_rate, "sms": self.sms_rate}

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *,
                 today: date | None = None) -> RecordsConfig:
        e = os.environ if env is None else env
        raw = e.get("HALLQ_CASE_WARN_DAYS", "2")
        if not raw.strip().isdigit():
            raise ConfigError("HALLQ_CASE_WARN_DAYS 应为非负整数 / must be a whole number")
        return cls(
            warn_days=int(raw),
            calendar=load_work_calendar(e, today=today),
            kiosk_rate=_rate(e, "HALLQ_LOOKUP_RATE_KIOSK", "30/60"),
            id_rate=_rate(e, "HALLQ_LOOKUP_RATE_ID", "10/600"),
            issue_rate=_rate(e, "HALLQ_ISSUE_RATE_KIOSK", "10/60"),
            anonymous_rate=_rate(e, "HALLQ_ANONYMOUS_RATE_KIOSK", "60/3600"),
            sms_rate=_rate(e, "HALLQ_LOOKUP_SMS_RATE", "3/900"))
