"""The daily clear, with tests that fail on the bugs a review's mutations showed would
pass unnoticed: a clear that ignores the minutes of its time, a server that never clears
on its own, and a clear that races a call at the clear time (issue 19)."""

from __future__ import annotations

import threading
import time as walltime
from datetime import UTC, date, datetime, time

from fastapi.testclient import TestClient

from queue_server.domain.tickets import business_day, next_clear_at
from tests.conftest import REPO
from tests.server.conftest import AppFactory

SMALL = REPO / "layouts" / "small.toml"  # clears at 18:30
SH_1829 = datetime(2026, 11, 23, 10, 29, tzinfo=UTC)
SH_1830 = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)


def test_a_clear_at_half_past_turns_the_day_at_half_past_not_on_the_hour():
    from zoneinfo import ZoneInfo
    sh = ZoneInfo("Asia/Shanghai")
    assert business_day(datetime(2026, 11, 23, 10, 0, tzinfo=UTC), sh, time(18, 30)) == \
        date(2026, 11, 23)  # 18:00: a clear that dropped the minutes would already turn
    assert business_day(SH_1829, sh, time(18, 30)) == date(2026, 11, 23)
    assert business_day(SH_1830, sh, time(18, 30)) == date(2026, 11, 24)
    assert next_clear_at(date(2026, 11, 23), sh, time(18, 30)) == SH_1830


def test_the_small_hall_clears_at_1830(make_app: AppFactory):
    h = make_app(SMALL)
    with TestClient(h.app):
        hall = h.app.state.hall
        h.clock.now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 18:00
        assert hall.turn_over_if_due() is None
        h.clock.now = SH_1829
        assert hall.turn_over_if_due() is None
        h.clock.now = SH_1830
        change = hall.turn_over_if_due()
        assert change is not None and change.new_day == date(2026, 11, 24)


def test_a_running_server_clears_on_its_own(make_app: AppFactory):
    """Nobody sends a request after hours: the server's own loop still runs the clear."""
    h = make_app(turnover_check_seconds=0.02)
    with TestClient(h.app) as client:
        client.post("/api/v1/tickets", json={"business": "transfer"},
                    headers=h.headers("kiosk"))
        hall = h.app.state.hall
        h.clock.now = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # 19:00, the mini hall's clear
        deadline = walltime.monotonic() + 10
        # Memory turns before the commit lands: wait for what is stored.
        while hall.store.day_report(date(2026, 11, 23)) is None:
            assert walltime.monotonic() < deadline, "the clear never ran"
            walltime.sleep(0.02)
        ticket = next(iter(hall.store.load_day(date(2026, 11, 23)).tickets))
        assert ticket.closed_reason == "abandoned" and hall.state.day == date(2026, 11, 24)


class WatchedLock:
    """The hall's lock, telling which threads found it held and had to wait for it."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.waited: set[threading.Thread] = set()
        self.someone_waited = threading.Event()

    def __enter__(self) -> WatchedLock:
        if not self._lock.acquire(blocking=False):
            self.waited.add(threading.current_thread())
            self.someone_waited.set()
            self._lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


def test_the_clear_waits_for_a_use_case_that_holds_the_hall(make_app: AppFactory):
    """The clear runs in a worker thread; a call at the clear time runs on the event loop.
    The hall's lock keeps them apart: the clear cannot start while a use case runs.

    Proved by the clear being seen to wait on the lock, not by a pause: without the lock
    it never waits and the test fails at the deadline."""
    h = make_app()
    with TestClient(h.app):
        hall = h.app.state.hall
        hall.lock = watched = WatchedLock()
        h.clock.now = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
        finished = threading.Event()
        clear = threading.Thread(target=lambda: (hall.turn_over_if_due(), finished.set()))
        with watched:  # a use case in progress
            clear.start()
            deadline = walltime.monotonic() + 10
            while clear not in watched.waited:
                assert walltime.monotonic() < deadline, "the clear never waited for the hall"
                assert not finished.is_set(), "the clear ran while a use case held the hall"
                watched.someone_waited.wait(0.05)
            assert not finished.is_set() and hall.state.day == date(2026, 11, 23)
        assert finished.wait(10)
        clear.join(10)
        assert hall.state.day == date(2026, 11, 24)


def test_the_hall_says_todays_day_before_the_first_use_case_of_it(make_app: AppFactory):
    """Pages read the day from GET /hall: after the clear, before anyone acts, it is
    already the new day (the manager's page would otherwise show yesterday)."""
    h = make_app()
    with TestClient(h.app) as client:
        headers = h.headers("guide")
        assert client.get("/api/v1/hall", headers=headers).json()["day"] == "2026-11-23"
        h.clock.now = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # 19:00, no request since
        assert client.get("/api/v1/hall", headers=headers).json()["day"] == "2026-11-24"
