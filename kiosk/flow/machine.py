"""Running the Flow: start, the driver's tick (idle time-outs, retries, polling), close."""

from __future__ import annotations

import logging

from kiosk.flow.actions import ScreenActions
from kiosk.flow.cases import CaseLookups
from kiosk.flow.issuing import Issuing
from kiosk.flow.polling import Polling
from kiosk.flow.server_link import ServerLink
from kiosk.state import Screen

log = logging.getLogger(__name__)

SESSION_SCREENS_WITHOUT_TIMEOUT = (Screen.HOME, Screen.OFFLINE, Screen.STARTING)


class Flow(ScreenActions, CaseLookups, Polling, Issuing, ServerLink):
    """The applicant's way through the kiosk (see kiosk/flow/__init__.py)."""

    def start(self) -> None:
        """Open the devices, reach the server, show the home (or out-of-service) screen."""
        self.hw.refresh()
        self._check_devices(force=True)
        self._connect()
        self._report(force=True)

    def tick(self) -> None:
        now = self.clock()
        screen = self.state.screen
        idle = self.settings.idle_seconds
        if screen is Screen.RATE_THANKS and not self.state.to_rate:
            idle = self.settings.thanks_seconds  # all said: free the kiosk for the next one
        if screen not in SESSION_SCREENS_WITHOUT_TIMEOUT and not self.state.busy and (
                now - self._last_activity >= idle):
            log.info("idle on %s for %.0f s: back to the start", screen, now - self._last_activity)
            self.counters["idle_timeouts"] += 1
            self.rating.walked_away()
            self.home()
        if self._unshown is not None and now >= self._unshown[1]:
            self._cancel_unshown()
        if self.server_problem is not None:
            if now >= self._next_server_try:
                self._connect()
        elif now >= self._next_hall_refresh and self.state.screen is Screen.HOME:
            self._load_hall()
        self._check_devices()
        self.health.retry_devices()
        self._poll_devices()
        self._report()

    def close(self) -> None:
        if self._unshown is not None:
            self._cancel_unshown()

