"""The server link: connecting, loading the hall, losing the server, health reports."""

from __future__ import annotations

import logging

from kiosk.client import FeatureMissing, Refused, ServerUnreachable
from kiosk.flow.core import FlowCore
from kiosk.state import HallView, Purpose, Screen

log = logging.getLogger(__name__)


class ServerLink(FlowCore):
    """Whether the server answers, and the hall as it last said it is."""

    def _connect(self) -> None:
        self._next_server_try = self.clock() + self.settings.server_retry_seconds
        if not self.client.ping():
            self._server_lost(show=False)
            return
        self._load_hall()

    def _load_hall(self) -> None:
        self._next_hall_refresh = self.clock() + self.settings.hall_refresh_seconds
        try:
            self.client.forget_routes()
            hall = self.client.hall()
            categories = self.client.categories()
            self.journeys = self.client.journeys()
            offers = {Purpose.TICKET}
            scanner = self.hw.has("scanner")
            if scanner and hall.slips:
                offers.add(Purpose.APPOINTMENT)
            if self.client.has_cases() and (scanner or self.hw.has("idcard")):
                offers.add(Purpose.CASE)
            if self.client.has_archive() and self.hw.has("idcard"):
                offers.add(Purpose.ARCHIVE)
            if self.client.has_evaluations() and self.hw.has("idcard"):
                offers.add(Purpose.RATE)
        except ServerUnreachable as e:
            log.warning("server unreachable while loading the hall: %s", e)
            self._server_lost(show=False)
            return
        except (Refused, FeatureMissing) as e:
            # A bad token or a server without the kiosk's routes: a technician must act.
            if self.server_problem != "refused":
                log.error("the server refuses this kiosk: %s", e)
            self.server_problem = "refused"
            self._faults.add("server")
            self._set_fresh(Screen.OFFLINE)
            return
        self._settle()
        was_down = self.server_problem is not None
        self.hall = hall
        self.server_problem = None
        self._faults.discard("server")
        view = HallView(hall.name, hall.name_en, hall.allow_anonymous, hall.green_age,
                        categories, frozenset(offers), hall.timezone, hall.day)
        if was_down:
            log.info("server reachable: %s", hall.name)
        if was_down and self.state.screen in (Screen.OFFLINE, Screen.STARTING):
            self._set_fresh(Screen.HOME, hall=view)
        else:
            self._set(hall=view)

    def _server_lost(self, *, show: bool) -> None:
        if self.server_problem is None:
            log.warning("lost the server")
        self.server_problem = "unreachable"
        self._faults.add("server")
        self._next_server_try = self.clock() + self.settings.server_retry_seconds
        if show:
            self._message("server_unreachable")
        elif self.state.screen in (Screen.HOME, Screen.STARTING):
            self._set_fresh(Screen.OFFLINE)
        else:
            self._set()

    def _report(self, force: bool = False) -> None:
        """Tell the server how this kiosk is: on every change, and every report_seconds."""
        if self.server_problem is None and not self.health.report(
                self.state.screen.value, force=force):
            self._server_lost(show=False)

