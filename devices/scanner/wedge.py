"""Line-based scanners: a serial (RS-232 / USB-CDC) scanner and a keyboard-wedge scanner.

Both send a code as characters followed by CR, LF or CR LF; both go through the same
`LineAssembler` and yield the same `ScanEvent`s as the camera.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from typing import NoReturn

import serial

from devices.health import Health, HealthState
from devices.scanner.events import Clock, Deduplicator, ScanEvent, ScannerUnavailable

DEVICE = "scanner"
TERMINATORS = "\r\n"


class LineAssembler:
    """Turns a stream of characters into scanned lines.

    A wedge scanner types a whole code in a burst (a few ms per character). With
    `inter_char_timeout_s` set, a gap longer than that between two characters means the
    earlier characters were not part of this scan (someone typing, a cut-off read): they
    are discarded. A code that arrives without a terminator is emitted after the gap only
    when `complete_on_idle` is set (for scanners configured without a suffix).
    """

    def __init__(
        self,
        inter_char_timeout_s: float | None = None,
        *,
        complete_on_idle: bool = False,
        max_length: int = 512,
        clock: Clock = time.monotonic,
    ) -> None:
        self.inter_char_timeout_s = inter_char_timeout_s
        self.complete_on_idle = complete_on_idle
        self.max_length = max_length
        self.clock = clock
        self._buf: list[str] = []
        self._last: float | None = None

    def _stale(self, now: float) -> bool:
        return (
            self.inter_char_timeout_s is not None
            and self._last is not None
            and now - self._last > self.inter_char_timeout_s
        )

    def poll(self) -> list[str]:
        """Call when idle: handles a buffered code whose gap has passed."""
        if self._buf and self._stale(self.clock()):
            text = "".join(self._buf)
            self._buf.clear()
            if self.complete_on_idle:
                return [text]
        return []

    def feed(self, chars: str) -> list[str]:
        lines = self.poll()
        now = self.clock()
        for ch in chars:
            if ch in TERMINATORS:
                if self._buf:  # CR LF gives one line, not a line and an empty one
                    lines.append("".join(self._buf))
                    self._buf.clear()
            elif len(self._buf) < self.max_length:  # a jammed scanner must not fill memory
                self._buf.append(ch)
        self._last = now
        return lines


class _LineScanner:
    def __init__(
        self, source: str, assembler: LineAssembler, dedup: Deduplicator | None, clock: Clock
    ) -> None:
        self.source = source
        self.assembler = assembler
        self.dedup = dedup
        self.clock = clock
        self._events: queue.Queue[ScanEvent] = queue.Queue()

    def _emit(self, lines: list[str]) -> None:
        for line in lines:
            text = line.strip()
            if text and (self.dedup is None or self.dedup.accept(text)):
                self._events.put(ScanEvent(text, self.source, self.clock()))


class WedgeScanner(_LineScanner):
    """Keyboard-wedge input: the kiosk UI feeds key characters from its key handler."""

    def __init__(
        self,
        inter_char_timeout_s: float = 0.1,
        *,
        complete_on_idle: bool = False,
        dedup: Deduplicator | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        assembler = LineAssembler(
            inter_char_timeout_s, complete_on_idle=complete_on_idle, clock=clock
        )
        super().__init__("wedge", assembler, dedup, clock)
        self._lock = threading.Lock()  # keys arrive on the UI thread, reads on another

    def feed_keys(self, chars: str) -> None:
        with self._lock:
            self._emit(self.assembler.feed(chars))

    def read(self, timeout: float) -> ScanEvent | None:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                self._emit(self.assembler.poll())
            try:
                return self._events.get(timeout=min(0.05, max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                if time.monotonic() >= deadline:
                    return None

    def health(self) -> Health:
        return Health(DEVICE, HealthState.OK)

    def close(self) -> None:
        pass


class SerialScanner(_LineScanner):
    """A scanner on a serial port or any pyserial URL (loop://, socket://, a pty)."""

    def __init__(
        self,
        url: str,
        baudrate: int = 9600,
        *,
        dedup: Deduplicator | None = None,
        clock: Clock = time.monotonic,
        encoding: str = "utf-8",
    ) -> None:
        super().__init__("serial", LineAssembler(None, clock=clock), dedup, clock)
        self.url = url
        self.baudrate = baudrate
        self.encoding = encoding
        self._port: serial.SerialBase | None = None
        self._failure = ""

    def _open(self) -> serial.SerialBase:
        if self._port is None:
            try:
                self._port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=0.05)
            except (serial.SerialException, ValueError) as exc:
                self._fail(exc)
        assert self._port is not None
        return self._port

    def _fail(self, exc: Exception) -> NoReturn:
        self._failure = f"扫码枪无法连接（{self.url}） / scanner unreachable ({self.url}: {exc})"
        if self._port is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                self._port.close()
        self._port = None  # reopen on the next read: the scanner may be plugged back in
        raise ScannerUnavailable(
            f"扫码枪无法连接（{self.url}）", f"scanner unreachable ({self.url}: {exc})"
        ) from exc

    @property
    def port(self) -> serial.SerialBase:
        """The open port (opened on first use); tests write to loop:// through it."""
        return self._open()

    def read(self, timeout: float) -> ScanEvent | None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self._events.get_nowait()
            except queue.Empty:
                pass
            if time.monotonic() >= deadline:
                return None
            port = self._open()
            try:
                data = port.read(max(1, port.in_waiting))
            except (serial.SerialException, OSError) as exc:
                self._fail(exc)
            self._failure = ""
            if data:
                self._emit(self.assembler.feed(data.decode(self.encoding, errors="replace")))

    def health(self) -> Health:
        if self._failure:
            return Health(DEVICE, HealthState.FAILED, self._failure)
        try:
            self._open()
        except ScannerUnavailable as exc:
            return Health(DEVICE, HealthState.FAILED, str(exc))
        return Health(DEVICE, HealthState.OK)

    def close(self) -> None:
        if self._port is not None:
            self._port.close()
            self._port = None
