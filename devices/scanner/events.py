"""What every scanner yields, and the rule that drops repeated reads of the same code."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from devices.errors import DeviceUnavailable
from devices.health import Health

Clock = Callable[[], float]


@dataclass(frozen=True)
class ScanEvent:
    text: str  # the code's content, line endings removed
    source: str  # "camera", "serial", "wedge", "sim"
    at: float  # the scanner's clock (monotonic seconds)


class Scanner(Protocol):
    def read(self, timeout: float) -> ScanEvent | None: ...

    def health(self) -> Health: ...

    def close(self) -> None: ...


class ScannerUnavailable(DeviceUnavailable):
    """The camera or serial scanner cannot be opened or stopped answering."""


class Deduplicator:
    """Drops a code seen again within `window_s` of the last time it was seen.

    The window slides: a slip held in front of the camera, read on every frame, is
    reported once and again only after it has been out of sight for `window_s`.
    """

    def __init__(self, window_s: float = 3.0, clock: Clock = time.monotonic) -> None:
        if window_s < 0:
            raise ValueError("window_s must not be negative")
        self.window_s = window_s
        self.clock = clock
        self._last_seen: dict[str, float] = {}

    def accept(self, text: str) -> bool:
        now = self.clock()
        last = self._last_seen.get(text)
        self._last_seen[text] = now
        # Forget old codes so a kiosk running for weeks does not grow this dict forever.
        if len(self._last_seen) > 256:
            self._last_seen = {t: s for t, s in self._last_seen.items() if now - s <= self.window_s}
        return last is None or now - last > self.window_s
