"""What is wrong with this kiosk now, and telling the server so.

Faults are the kiosk's own view ("idcard", "printer", "scanner", "voice", "server"):
set at once when an operation fails (a print that did not come out), recomputed from the
devices' health every few seconds (so they clear by themselves when paper is loaded),
and reported to the server on every change and at least every `report_seconds`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from devices.health import Health, HealthState
from kiosk.client import FeatureMissing, HallClient, Refused, ServerUnreachable
from kiosk.hardware import Hardware
from kiosk.settings import KioskSettings

log = logging.getLogger(__name__)

VERSION = "0.1.0"
DEVICE_FAULTS = ("idcard", "printer", "scanner", "voice")  # the LED boards are not ours


class HealthWatch:
    def __init__(self, hw: Hardware, client: HallClient, settings: KioskSettings,
                 clock: Callable[[], float], counters: Counter[str]) -> None:
        self.hw = hw
        self.client = client
        self.settings = settings
        self.clock = clock
        self.counters = counters
        self.faults: set[str] = set()
        self.devices: list[Health] = []
        now = clock()
        self._next_check = now
        self._next_report = now
        self._next_retry = now + settings.device_retry_seconds
        self._reported: tuple[Any, ...] | None = None
        self._route = True  # False once the server said it takes no reports

    def check(self, *, force: bool = False) -> bool:
        """Ask the devices (when due); True when the faults changed."""
        now = self.clock()
        if not force and now < self._next_check:
            return False
        self._next_check = now + self.settings.health_check_seconds
        self.devices = self.hw.health()
        failed = {h.device for h in self.devices
                  if h.state is HealthState.FAILED and h.device in DEVICE_FAULTS}
        new = failed | ({"server"} & self.faults)
        if new == self.faults:
            return False
        self.faults.clear()  # in place: the flow holds this set too
        self.faults.update(new)
        return True

    def retry_devices(self) -> None:
        """Reopen devices that failed to open (a reader plugged back in), when due."""
        now = self.clock()
        if now < self._next_retry:
            return
        self._next_retry = now + self.settings.device_retry_seconds
        if any(h.state is HealthState.FAILED for h in self.devices):
            self.hw.refresh()

    def report(self, screen: str, *, force: bool = False) -> bool:
        """Send a report if something changed or one is due; False: the server is gone."""
        if not self._route:
            return True
        now = self.clock()
        key = (tuple((h.device, h.state) for h in self.devices), tuple(sorted(self.faults)))
        if not force and key == self._reported and now < self._next_report:
            return True
        body = {
            "devices": [h.as_dict() for h in self.devices],
            "faults": sorted(self.faults),
            "screen": screen,
            "version": VERSION,
            "counters": {k: int(v) for k, v in sorted(self.counters.items())[:20]},
        }
        try:
            self.client.report_health(self.settings.name, body)
        except ServerUnreachable:
            return False
        except FeatureMissing:
            log.warning("this server takes no kiosk health reports")
            self._route = False
            return True
        except Refused as e:
            log.error("health report refused: %s", e)
        self._reported = key
        self._next_report = now + self.settings.report_seconds
        self.counters["health_reports"] += 1
        return True
