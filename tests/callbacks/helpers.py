"""A month of served visits, made by driving the real API with the test clock: tickets
issued at the kiosk, a phone left for SMS (静默叫号) on some, called, served and completed
at windows with staff signed in; some not served at all."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import FIXTURES
from tests.server.conftest import AppHandle

API = "/api/v1"
STAFF = {1: "S001", 2: "S002", 4: "S004"}


def layout_with_share(tmp_path: Path, percent: float) -> Path:
    """The mini hall with another call-back share."""
    text = (FIXTURES / "mini.toml").read_text(encoding="utf-8")
    path = tmp_path / "share.toml"
    path.write_text(text.replace("green_age = 70\n", f"green_age = 70\ncallback_percent = {percent}\n"),
                    encoding="utf-8")
    return path


def phone(i: int) -> str:
    return f"139{i:08d}"


@dataclass
class Month:
    with_phone: list[str] = field(default_factory=list)  # served, phone left: the population
    without_phone: list[str] = field(default_factory=list)  # served, no phone
    not_served: list[str] = field(default_factory=list)  # phone left, but no-show or cancelled
    phones: dict[str, str] = field(default_factory=dict)  # ticket id → the number left
    windows: dict[str, int] = field(default_factory=dict)  # ticket id → completing window


class Hall:
    """One client and one token per role, so building a month costs requests, not tokens."""

    def __init__(self, h: AppHandle) -> None:
        self.h = h
        self.c = TestClient(h.app)  # no lifespan: no SMS worker running beside the test
        self.kiosk = h.headers("kiosk")
        self.guide = h.headers("guide")
        self.admin = h.headers("admin")
        self.manager = h.headers("manager")
        self.win = {n: h.headers("window", n) for n in (1, 2, 3, 4)}

    def sign_in_staff(self) -> None:
        for window, number in STAFF.items():
            r = self.c.post(f"{API}/staff", json={"number": number, "name": f"员工{window}"},
                            headers=self.admin)
            assert r.status_code == 201, r.text
            r = self.c.post(f"{API}/windows/{window}/sign-in", json={"staff": number},
                            headers=self.win[window])
            assert r.status_code == 200, r.text

    def issue(self, business: str, month: Month, with_phone: bool, **extra: str) -> str:
        t = self.c.post(f"{API}/tickets", json={"business": business, **extra},
                        headers=self.kiosk)
        assert t.status_code == 201, t.text
        tid = t.json()["id"]
        if with_phone:
            number = phone(len(month.phones) + 1)
            r = self.c.post(f"{API}/tickets/{tid}/notify", json={"phone": number},
                            headers=self.kiosk)
            assert r.status_code == 201, r.text
            month.phones[tid] = number
        return tid

    def serve(self, tid: str, window: int) -> None:
        w = self.win[window]
        called = self.c.post(f"{API}/windows/{window}/call-next", headers=w).json()["ticket"]
        assert called["id"] == tid, called
        assert self.c.post(f"{API}/tickets/{tid}/start", headers=w).status_code == 200
        self.h.clock.advance(minutes=1)
        r = self.c.post(f"{API}/tickets/{tid}/complete", headers=w)
        assert r.status_code == 200, r.text

    def visit(self, month: Month, window: int, with_phone: bool) -> str:
        business = "query" if window == 4 else "mortgage"
        tid = self.issue(business, month, with_phone)
        self.serve(tid, window)
        (month.with_phone if with_phone else month.without_phone).append(tid)
        if with_phone:
            month.windows[tid] = window
        return tid

    def journey(self, month: Month) -> str:
        """A sale through tax (window 3, nobody signed in) then transfer (window 1): one visit."""
        tid = self.issue("tax", month, True, journey="sale")
        called = self.c.post(f"{API}/windows/3/call-next", headers=self.win[3]).json()["ticket"]
        assert called["id"] == tid
        r = self.c.post(f"{API}/tickets/{tid}/forward", headers=self.win[3])
        assert r.status_code == 200, r.text
        self.serve(tid, 1)
        month.with_phone.append(tid)
        month.windows[tid] = 1
        return tid

    def unserved(self, month: Month) -> None:
        """Phones left on tickets that were not served: never in the population."""
        gone = self.issue("mortgage", month, True)
        self.c.post(f"{API}/windows/2/call-next", headers=self.win[2])
        assert self.c.post(f"{API}/tickets/{gone}/no-show", headers=self.win[2]).status_code == 200
        left = self.issue("mortgage", month, True)
        r = self.c.post(f"{API}/tickets/{left}/cancel", headers=self.guide)
        assert r.status_code == 200, r.text
        month.not_served += [gone, left]

    def build(self, *, with_phone: int, without_phone: int) -> Month:
        """`with_phone` served visits with a phone (one a journey), `without_phone` without,
        two unserved with a phone, all on 2026-11-23."""
        month = Month()
        self.sign_in_staff()
        self.journey(month)
        for i in range(with_phone - 1):
            self.visit(month, (1, 2, 4)[i % 3], True)
        for i in range(without_phone):
            self.visit(month, (1, 2, 4)[i % 3], False)
        self.unserved(month)
        return month

    def next_month(self) -> str:
        """Move to 1 December 09:00 in Shanghai, the daily clear done, and serve a visit
        with a phone there: it belongs to December, not to the November draw."""
        self.h.clock.now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
        self.h.app.state.hall.turn_over_if_due()
        self.sign_in_staff_again()
        month = Month()
        return self.visit(month, 2, True)

    def sign_in_staff_again(self) -> None:
        # The daily clear signs everybody out.
        for window, number in STAFF.items():
            r = self.c.post(f"{API}/windows/{window}/sign-in", json={"staff": number},
                            headers=self.win[window])
            assert r.status_code == 200, r.text
