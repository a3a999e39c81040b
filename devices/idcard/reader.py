"""IdCardReader: the GA/T 467 SAM reader over a pyserial port.

Every exchange flushes stale input, writes one request and reads one answer against a
deadline, resynchronising on the preamble past line noise. Requests are idempotent, so
a garbled or missing answer is simply asked for again, a bounded number of times. A
vanished port is closed and reopened on the next call: a re-plugged reader just works.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from dataclasses import dataclass
from typing import Any

import serial

from devices.errors import DeviceError, DeviceTimeout, DeviceUnavailable
from devices.health import Health, HealthState
from devices.idcard import codec
from devices.idcard.codec import FrameScanner, Response, Sw3
from devices.idcard.errors import (
    BadPreamble,
    CardDataError,
    CardRemoved,
    CardStatusError,
    FrameError,
    NoCard,
    ReaderRejected,
    SamFailed,
    TruncatedFrame,
)
from devices.idcard.identity import CardIdentity
from devices.serial_port import PORT_ERRORS, open_port, port_errors, read_available

# More noise than this before a preamble means we are not talking to a SAM reader.
_MAX_GARBAGE = 4096
# Statuses that, right after *find* saw a card, may mean it was lifted.
_CARD_GONE = (Sw3.FIND_FAILED, Sw3.SELECT_FAILED, Sw3.READ_FAILED)


@dataclass(frozen=True)
class ReaderSettings:
    port: str  # device path or pyserial URL
    baud: int = 115200
    find_timeout: float = 0.5  # find, select and SAM commands
    read_timeout: float = 3.0  # reading text + photo (+ fingerprint)
    retries: int = 2  # extra attempts after a garbled, truncated or missing answer
    fingerprint: bool = False  # read with 30 10 instead of 30 01
    poll_interval: float = 0.25  # between finds while read_card(wait=...) waits
    health_max_age: float = 5.0  # health() probes the SAM when nothing newer is known


class IdCardReader:
    """Read second-generation ID cards (and foreigners' permanent residence cards).

    Thread-safe: a kiosk loop may call poll() while the server asks for health().
    """

    def __init__(self, settings: ReaderSettings | str, **options: Any) -> None:
        """IdCardReader("/dev/ttyUSB0", read_timeout=2.0) or IdCardReader(ReaderSettings(...))."""
        if isinstance(settings, str):
            settings = ReaderSettings(settings, **options)
        elif options:
            settings = dataclasses.replace(settings, **options)
        self.settings = settings
        self._port: serial.SerialBase | None = None
        self._lock = threading.RLock()
        self._placement_done = False  # the card on the reader was already handled
        self._health: Health | None = None
        self._health_at = 0.0
        self._retried = 0  # retries in the current operation

    # --- public operations -----------------------------------------------------------

    def poll(self) -> CardIdentity | None:
        """One step of a kiosk loop (call about once a second).

        Returns an identity once per card placement and None otherwise; a card already
        read is not returned again until it has been lifted. Raises the typed errors:
        a card error (CardAuthFailed, CardDataError...) once per placement, CardRemoved
        when the card left mid-read, DeviceUnavailable/DeviceTimeout while the reader is
        unplugged or silent (the next poll reopens the port).
        """
        with self._operation():
            if not self._find():
                self._placement_done = False
                return None
            if self._placement_done:
                return None
            try:
                card = self._read_present_card()
            except (CardStatusError, CardDataError) as e:
                # Report a bad card once, not every second while it lies there.
                self._placement_done = not isinstance(e, CardRemoved | ReaderRejected | SamFailed)
                raise
            self._placement_done = True
            return card

    def read_card(self, wait: float = 0.0) -> CardIdentity:
        """Find, select and read the card, waiting up to `wait` seconds for one."""
        deadline = time.monotonic() + wait
        with self._operation():
            while not self._find():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise NoCard(
                        Sw3.FIND_FAILED,
                        "未检测到身份证（刚读过的卡需拿起后重新放置）",
                        "no ID card on the reader (lift and lay again a card just read)",
                    )
                time.sleep(min(self.settings.poll_interval, left))
            card = self._read_present_card()
            self._placement_done = True
            return card

    def sam_status(self) -> None:
        """Ask the SAM whether it is healthy; raises SamFailed or a device error."""
        with self._operation():
            self._command(codec.SAM_STATUS, self.settings.find_timeout)

    def health(self) -> Health:
        """Last known state; probes the SAM when that is stale and the reader is idle."""
        fresh = time.monotonic() - self._health_at < self.settings.health_max_age
        if self._health is not None and fresh:
            return self._health
        if self._lock.acquire(blocking=False):
            try:
                self.sam_status()
            except DeviceError:
                pass  # recorded by _operation
            finally:
                self._lock.release()
        return self._health or Health("idcard", HealthState.OK)

    def close(self) -> None:
        with self._lock:
            self._close_port()

    def __enter__(self) -> IdCardReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the card sequence -------------------------------------------------------------

    def _find(self) -> bool:
        response = self._exchange(codec.FIND_CARD, self.settings.find_timeout)
        if response.sw3 == Sw3.CARD_FOUND and response.ok:
            return True
        if response.sw3 == Sw3.FIND_FAILED and not (response.sw1 or response.sw2):
            return False
        raise codec.status_error(response)

    def _read_present_card(self) -> CardIdentity:
        """Select and read, after *find* saw a card."""
        op = codec.READ_WITH_FINGERPRINT if self.settings.fingerprint else codec.READ_TEXT_PHOTO
        try:
            self._command(codec.SELECT_CARD, self.settings.find_timeout)
            response = self._exchange(op, self.settings.read_timeout)
            return codec.decode_read_response(response, with_fingerprint=self.settings.fingerprint)
        except CardStatusError as e:
            # Tell "lifted mid-read" from a card that failed while lying there.
            if e.status in _CARD_GONE and not self._find():
                raise CardRemoved(
                    e.status,
                    "读卡过程中身份证被移开，请重新放置",
                    "the card was lifted during reading; lay it again",
                ) from e
            raise

    def _command(self, op: tuple[int, int], timeout: float) -> Response:
        response = self._exchange(op, timeout)
        if not response.ok:
            raise codec.status_error(response)
        return response

    # --- one exchange, retried ---------------------------------------------------------

    def _exchange(self, op: tuple[int, int], timeout: float) -> Response:
        last: DeviceError | None = None
        for _ in range(1 + self.settings.retries):
            if last is not None:
                self._retried += 1
            try:
                response = self._once(op, timeout)
            except (FrameError, DeviceTimeout) as e:
                last = e
                continue
            if response.sw3 in (Sw3.CHECKSUM_ERROR, Sw3.LENGTH_ERROR):
                last = codec.status_error(response)  # the reader got our frame garbled
                continue
            return response
        assert last is not None
        raise last

    def _once(self, op: tuple[int, int], timeout: float) -> Response:
        port = self._open()
        try:
            with port_errors(self.settings.port):
                # Answers that arrived after an earlier timeout are stale: drop them.
                port.reset_input_buffer()
                port.write(codec.build_request(*op))
                port.flush()
                return self._receive(port, op, time.monotonic() + timeout)
        except DeviceUnavailable:
            self._close_port()
            raise

    def _receive(self, port: serial.SerialBase, op: tuple[int, int], deadline: float) -> Response:
        scanner = FrameScanner()
        while True:
            frame = scanner.next_frame()
            if frame is not None:
                response = codec.parse_response(frame)
                if codec.answers(op, response):
                    return response
                continue  # a late answer to an earlier request: ours may still come
            if scanner.discarded > _MAX_GARBAGE:
                raise BadPreamble(
                    "读卡器返回无法识别的数据", "reader sent bytes with no frame preamble"
                )
            chunk = read_available(port, scanner.bytes_needed(), deadline)
            if not chunk and time.monotonic() >= deadline:
                if scanner.started:
                    raise TruncatedFrame(
                        f"读卡器应答不完整（收到{len(scanner.pending())}字节）",
                        f"reader answer truncated ({len(scanner.pending())} bytes)",
                    )
                if scanner.discarded:
                    raise BadPreamble(
                        "读卡器返回无法识别的数据", "reader sent bytes with no frame preamble"
                    )
                raise DeviceTimeout("读卡器无应答", "ID card reader timed out")
            scanner.feed(chunk)

    # --- port and health bookkeeping ---------------------------------------------------

    def _open(self) -> serial.SerialBase:
        if self._port is None:
            self._port = open_port(
                self.settings.port, baudrate=self.settings.baud, timeout=self.settings.find_timeout
            )
            # After a reconnection nothing is known about the card on the reader: read it.
            self._placement_done = False
        return self._port

    def _close_port(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(*PORT_ERRORS):  # gone with the device
                port.close()

    def _operation(self) -> _Operation:
        return _Operation(self)

    def _record(self, error: BaseException | None) -> None:
        if error is None:
            if self._retried:
                self._set_health(
                    HealthState.DEGRADED,
                    f"通信出错，重试{self._retried}次后成功 / "
                    f"answered after {self._retried} retries (noisy line?)",
                )
            else:
                self._set_health(HealthState.OK, "")
        elif isinstance(error, DeviceUnavailable | DeviceTimeout | FrameError | SamFailed):
            self._set_health(HealthState.FAILED, str(error))
        elif isinstance(error, DeviceError):
            self._set_health(HealthState.OK, "")  # the reader works; the card is at fault

    def _set_health(self, state: HealthState, reason: str) -> None:
        self._health = Health("idcard", state, reason)
        self._health_at = time.monotonic()


class _Operation:
    """Serialises public operations and records their outcome as health."""

    def __init__(self, reader: IdCardReader) -> None:
        self._reader = reader

    def __enter__(self) -> None:
        self._reader._lock.acquire()
        self._reader._retried = 0

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        try:
            self._reader._record(exc)
        finally:
            self._reader._lock.release()
