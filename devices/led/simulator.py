"""Listens on an LED bus and keeps what each board would show: for tests and demo mode.

Feed it bytes directly, or start() it on a pty and point a SerialLedBus at `port`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from devices.led.frames import AaBbFrame, Decoded, FrameFormat, Scan, StxFrame
from devices.serial_port import PtyEndpoint


class LedBusSimulator:
    def __init__(
        self,
        formats: Iterable[FrameFormat] = (AaBbFrame(), StxFrame()),
        *,
        link: Path | None = None,
    ) -> None:
        self.formats = tuple(formats)
        self.history: list[tuple[int, str]] = []  # every valid frame, in order
        self.rejected = 0  # well-framed but bad checksum or text: a board ignores them
        self.noise = 0  # bytes that started no frame
        self._shown: dict[int, str] = {}
        self._buf = bytearray()
        self._changed = threading.Condition()
        self._endpoint = PtyEndpoint(self.feed, link=link)

    @property
    def shown(self) -> dict[int, str]:
        """Address → the text that board displays now."""
        with self._changed:
            return dict(self._shown)

    def feed(self, data: bytes) -> None:
        with self._changed:
            self._buf += data
            while self._buf:
                results = [f.match(bytes(self._buf)) for f in self.formats]
                decoded = next((r for r in results if isinstance(r, Decoded)), None)
                if decoded is None:
                    if Scan.NEED_MORE in results:
                        break
                    del self._buf[:1]
                    self.noise += 1
                    continue
                del self._buf[: decoded.size]
                if decoded.valid:
                    self._shown[decoded.address] = decoded.text
                    self.history.append((decoded.address, decoded.text))
                else:
                    self.rejected += 1
            self._changed.notify_all()

    def wait_until(
        self, condition: Callable[[LedBusSimulator], bool], timeout: float = 5.0
    ) -> bool:
        """Block until condition(self) holds (bytes arrive on another thread)."""
        with self._changed:
            return self._changed.wait_for(lambda: condition(self), timeout)

    # --- on a pty ------------------------------------------------------------------

    @property
    def port(self) -> str:
        return self._endpoint.port

    def start(self) -> LedBusSimulator:
        self._endpoint.start()
        return self

    def close(self) -> None:
        self._endpoint.stop()

    def __enter__(self) -> LedBusSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def unplug(self) -> None:
        self._endpoint.unplug()

    def replug(self) -> None:
        self._endpoint.start()
