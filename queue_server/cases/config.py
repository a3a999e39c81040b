"""Settings of cases and archive lookups, from the HALLQ_* variables (hallenv)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from hallenv import HallqEnv
from queue_server.domain.workdays import WorkCalendar
from queue_server.ratelimit import Rate
from queue_server.workcalendar import load_work_calendar


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
    # A one-time SMS code for a lookup (evidence.py): sent per ID number.
    sms_rate: Rate = Rate(3, 900)
    # 预约: one-time codes sent per phone and per client address, and booking attempts
    # per client address (a stolen portal of guesses would run into these).
    booking_phone_rate: Rate = Rate(3, 900)
    booking_addr_rate: Rate = Rate(10, 900)
    # 档案原貌: images shown per kiosk token. An owner pages through a 40-page register
    # and back; a copied token fetching every unit's scans runs into this.
    image_rate: Rate = Rate(120, 600)

    def rates(self) -> dict[str, Rate]:
        """The limiter's buckets by scope (ratelimit.py)."""
        return {"kiosk": self.kiosk_rate, "id": self.id_rate, "issue": self.issue_rate,
                "anonymous": self.anonymous_rate, "sms": self.sms_rate,
                "booking_phone": self.booking_phone_rate, "booking_addr": self.booking_addr_rate,
                "image": self.image_rate}

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *,
                 today: date | None = None) -> RecordsConfig:
        e = HallqEnv.read(env)
        return cls(
            warn_days=e.case_warn_days,
            calendar=load_work_calendar(env, today=today),
            kiosk_rate=Rate.parse(e.lookup_rate_kiosk),
            id_rate=Rate.parse(e.lookup_rate_id),
            issue_rate=Rate.parse(e.issue_rate_kiosk),
            anonymous_rate=Rate.parse(e.anonymous_rate_kiosk),
            sms_rate=Rate.parse(e.lookup_sms_rate),
            booking_phone_rate=Rate.parse(e.booking_sms_rate_phone),
            booking_addr_rate=Rate.parse(e.booking_sms_rate_addr))
