"""The latest report of every device of one kind (kiosks, hall screens), with its age.

On the hall's clock, the one its day and its tickets run on: a test that moves the hall's
time moves the devices' ages with it. Held in memory: a report is only worth its last 30 s.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from queue_server.api.errors import ApiError

STALE_SECONDS = 120.0  # devices report every 30 s; four missed reports make one stale


class DeviceBoard:
    def __init__(self, clock: Callable[[], datetime], *, limit: int, code: str, message: str,
                 state_of: Callable[[dict[str, Any]], str]) -> None:
        self.clock = clock
        self.limit = limit  # the bound keeps a misbehaving client from growing memory
        self.code = code
        self.message = message
        self.state_of = state_of  # the device's own state when its report is fresh
        self.lock = threading.Lock()
        self.reports: dict[str, tuple[datetime, dict[str, Any]]] = {}

    def put(self, name: str, report: dict[str, Any]) -> None:
        with self.lock:
            if name not in self.reports and len(self.reports) >= self.limit:
                raise ApiError(409, self.code, self.message)
            self.reports[name] = (self.clock(), report)

    def view(self) -> list[dict[str, Any]]:
        now = self.clock()
        with self.lock:
            items = sorted(self.reports.items())
        out = []
        for name, (at, report) in items:
            age = max(0.0, (now - at).total_seconds())  # a clock set back is not a negative age
            stale = age > STALE_SECONDS
            out.append({"name": name, **report,
                        "state": "stale" if stale else self.state_of(report),
                        "stale": stale, "age_seconds": round(age, 1)})
        return out
