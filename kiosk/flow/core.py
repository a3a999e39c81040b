"""What every part of the Flow shares: its attributes, and moving the state on."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from kiosk import texts
from kiosk.client import FeatureMissing, HallClient, Refused, ServerUnreachable
from kiosk.hardware import Hardware
from kiosk.health import HealthWatch
from kiosk.models import Booking, HallInfo, Ticket
from kiosk.rating import RatingSteps
from kiosk.settings import KioskSettings
from kiosk.state import Applicant, Message, Screen, State

log = logging.getLogger(__name__)
R = TypeVar("R")

Listener = Callable[[State], None]


class FlowCore:
    """The Flow's state and the helpers every part uses. The parts (polling, the
    server link, issuing, cases, the screens' actions) are mixins over it, put together
    in kiosk/flow/machine.py, and call one another through `self` as one class."""

    def __init__(self, client: HallClient, hardware: Hardware,
                 settings: KioskSettings | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.hw = hardware
        self.settings = settings or KioskSettings()
        self.clock = clock
        self.state = State()
        self.listeners: list[Listener] = []
        self.hall: HallInfo | None = None
        self.journeys: dict[str, tuple[str, ...]] = {}
        self.server_problem: str | None = "starting"  # None when the server answers
        self.counters: Counter[str] = Counter()
        self.health = HealthWatch(hardware, client, self.settings, clock, self.counters)
        # One set of faults, the health watch's: the flow adds what it sees fail at once.
        self._faults = self.health.faults
        now = clock()
        self._last_activity = now
        self._next_server_try = now
        self._next_hall_refresh = now + self.settings.hall_refresh_seconds
        self._unshown: tuple[Ticket, float] | None = None  # issued, not printed, not yet shown
        # Keys of ticket requests whose answer never came: the server may hold the ticket.
        self._unsettled: list[str] = []
        self._spoken: tuple[Screen, str] | None = None
        self._pending_appointment: Booking | None = None  # waiting for the ID card
        self._told_no_qr = False  # "tickets go without their QR" is logged once
        self.rating = RatingSteps(self)

    # === helpers ==========================================================================

    def _ask(self, call: Callable[[], R], refused: Callable[[Refused], None]) -> R | None:
        """A question to the server while the applicant waits: its answer, or None once the
        screen says why there is none (`refused` words a refusal for its purpose)."""
        self._set(busy=True, notice="")
        try:
            return call()
        except Refused as e:
            refused(e)
        except FeatureMissing:
            self._message("feature_unavailable")
        except ServerUnreachable as e:
            log.warning("no answer from the server: %s", e)
            self._server_lost(show=True)
        return None

    def _reader_ok(self) -> bool:
        return self.hw.has("idcard") and "idcard" not in self._faults

    def _allow_anonymous(self) -> bool:
        return bool(self.hall and self.hall.allow_anonymous)

    def _green_eligible(self, applicant: Applicant) -> bool:
        return bool(self.hall and applicant.id_number
                    and applicant.age_on(self.hall.day) >= self.hall.green_age)

    def _home_screen(self) -> Screen:
        return Screen.HOME if self.server_problem is None else Screen.OFFLINE

    def _touch(self) -> None:
        self._last_activity = self.clock()

    def _message(self, code: str, detail_zh: str = "", detail_en: str = "") -> None:
        self._go(Screen.MESSAGE, message=Message(code, detail_zh, detail_en), busy=False)

    def _go(self, screen: Screen, **changes: Any) -> None:
        self._set(screen=screen, **changes)

    def _set_fresh(self, screen: Screen, **changes: Any) -> None:
        """A new session on `screen`: only the hall, the faults survive; language resets."""
        self._pending_appointment = None
        old = self.state
        self._commit(State(screen=screen, hall=changes.pop("hall", old.hall), **changes))

    def _set(self, **changes: Any) -> None:
        self._commit(replace(self.state, **changes))

    def _commit(self, new: State) -> None:
        new = replace(new, faults=frozenset(self._faults))
        if new == self.state:
            return
        self.state = new
        self._prompt(new)
        for listener in list(self.listeners):
            try:
                listener(new)
            except Exception:  # a screen that fails to draw must not stop the flow
                log.exception("state listener failed")

    def _prompt(self, s: State) -> None:
        """Say what this screen wants, once per screen (and once per new notice)."""
        if not self.settings.voice or s.busy:
            return
        key = (s.screen, s.notice)
        if key == self._spoken:
            return
        self._spoken = key
        self.hw.say(texts.voice_prompt(s))
