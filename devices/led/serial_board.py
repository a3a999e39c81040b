"""LED boards on RS-485 lines: one SerialLedBus per port, many addressed boards on it."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Mapping

import serial

from devices.errors import DeviceError
from devices.health import Health, HealthState
from devices.led.board import LedBoard
from devices.led.frames import FrameFormat
from devices.serial_port import PORT_ERRORS, open_port, port_errors


class SerialLedBus:
    """One RS-485 line. Boards never answer, so sending is all there is.

    Frames are spaced `frame_gap` seconds apart (cheap controllers drop a frame that
    arrives while they are still painting the previous one). A board with its own baud
    rate gets the port switched before its frame. A failed write closes the port; the
    next send reopens it, so a re-plugged adapter recovers by itself.
    """

    def __init__(
        self,
        url: str,
        *,
        baud: int = 9600,
        frame_gap: float = 0.1,
        write_timeout: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url
        self._clock, self._sleep = clock, sleep
        self.baud = baud
        self.frame_gap = frame_gap
        self.write_timeout = write_timeout
        self._port: serial.SerialBase | None = None
        self._lock = threading.Lock()
        self._last_sent = float("-inf")
        self._error: DeviceError | None = None

    def send(self, frame: bytes, *, baud: int | None = None) -> None:
        """Write one frame; blocks for the spacing. Raises DeviceUnavailable/DeviceTimeout."""
        with self._lock:
            try:
                port = self._open()
                wait = self._last_sent + self.frame_gap - self._clock()
                if wait > 0:
                    self._sleep(wait)
                with port_errors(self.url):
                    if port.baudrate != (baud or self.baud):
                        port.baudrate = baud or self.baud
                    port.write(frame)
                    port.flush()  # tcdrain: the gap starts when the last byte has left
                self._last_sent = self._clock()
                self._error = None
            except DeviceError as e:
                self._error = e
                self._close_port()
                raise

    def health(self) -> Health:
        if self._error is not None:
            return Health("led", HealthState.FAILED, str(self._error))
        return Health("led", HealthState.OK)

    def close(self) -> None:
        with self._lock:
            self._close_port()

    def _open(self) -> serial.SerialBase:
        if self._port is None:
            self._port = open_port(
                self.url, baudrate=self.baud, timeout=0, write_timeout=self.write_timeout
            )
        return self._port

    def _close_port(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(*PORT_ERRORS):
                port.close()


class SerialLedBoard(LedBoard):
    def __init__(
        self, bus: SerialLedBus, address: int, frame: FrameFormat, *, baud: int | None = None
    ) -> None:
        frame.encode(address, "")  # fail at construction on a bad address
        self.bus, self.address, self.frame, self.baud = bus, address, frame, baud

    def show(self, text: str) -> None:
        self.bus.send(self.frame.encode(self.address, text), baud=self.baud)

    def health(self) -> Health:
        return self.bus.health()


class UnknownWindow(DeviceError):
    pass


class LedBoards:
    """The hall's window boards by window number: what from_config returns.

    `show(window, text)` blocks for the bus spacing; call it off the event loop.
    """

    def __init__(self, boards: Mapping[int, LedBoard], buses: Iterable[SerialLedBus] = ()) -> None:
        self._boards = dict(boards)
        self._buses = list(buses)

    @property
    def windows(self) -> list[int]:
        return sorted(self._boards)

    def board(self, window: int) -> LedBoard:
        try:
            return self._boards[window]
        except KeyError:
            raise UnknownWindow(
                f"{window}号窗口没有配置 LED 屏", f"no LED board configured for window {window}"
            ) from None

    def show(self, window: int, text: str) -> None:
        self.board(window).show(text)

    def clear(self, window: int) -> None:
        self.board(window).clear()

    def health(self) -> Health:
        """The worst of the lines, with every failing line's reason."""
        states = [bus.health() for bus in self._buses] or [
            b.health() for b in self._boards.values()
        ]
        failed = [h.reason for h in states if h.state is not HealthState.OK]
        if not failed:
            return Health("led", HealthState.OK)
        worst = (
            HealthState.FAILED
            if all(h.state is HealthState.FAILED for h in states)
            else HealthState.DEGRADED
        )
        return Health("led", worst, "; ".join(failed))

    def close(self) -> None:
        for board in self._boards.values():
            board.close()
        for bus in self._buses:
            bus.close()
