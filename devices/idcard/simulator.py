"""A SAM ID-card reader in software, answering on the device side of a real pty.

The protocol state (card present, selected, halted after a read) lives in SamEngine,
pure and byte-free; SamSimulator puts it behind a PtyEndpoint and adds the faults a
real reader and its cable produce, so the driver is tested through real pyserial I/O.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from enum import Enum, StrEnum
from pathlib import Path
from types import TracebackType

from devices.errors import ProtocolError
from devices.idcard import codec
from devices.idcard.codec import Request, Sw3, build_response
from devices.idcard.errors import BadLength
from devices.idcard.identity import CardIdentity
from devices.serial_port import PtyEndpoint


class CardState(Enum):
    ABSENT = "absent"
    PRESENT = "present"
    SELECTED = "selected"
    HALTED = "halted"  # read, and silent to *find* until lifted


class SamEngine:
    """What the reader answers to each request, given the card on it."""

    SAM_ID = bytes.fromhex("0501 0000 2010 1231 0012 3456 7890 1234".replace(" ", ""))

    def __init__(self, card: CardIdentity | None = None, *, halt_after_read: bool = True) -> None:
        self.card = card
        self.state = CardState.PRESENT if card else CardState.ABSENT
        # Many readers stop answering *find* for a card already read, until it is lifted;
        # the driver must cope with both kinds.
        self.halt_after_read = halt_after_read

    def lay(self, card: CardIdentity) -> None:
        self.card, self.state = card, CardState.PRESENT

    def lift(self) -> None:
        self.card, self.state = None, CardState.ABSENT

    def power_cycle(self) -> None:
        """A reader that lost power forgets it read the card lying on it."""
        self.state = CardState.PRESENT if self.card else CardState.ABSENT

    def answer(self, request: Request) -> bytes:
        op = (request.cmd, request.para)
        if op == codec.RESET_SAM or op == codec.SAM_STATUS:
            return build_response(Sw3.SUCCESS)
        if op == codec.READ_SAM_ID:
            return build_response(Sw3.SUCCESS, self.SAM_ID)
        if op == codec.FIND_CARD:
            if self.state in (CardState.PRESENT, CardState.SELECTED):
                return build_response(Sw3.CARD_FOUND, bytes(4))
            return build_response(Sw3.FIND_FAILED)
        if op == codec.SELECT_CARD:
            if self.state in (CardState.PRESENT, CardState.SELECTED):
                self.state = CardState.SELECTED
                return build_response(Sw3.SUCCESS, bytes(8))
            return build_response(Sw3.SELECT_FAILED)
        if op in (codec.READ_TEXT_PHOTO, codec.READ_WITH_FINGERPRINT):
            # A halted card can still be read again: the reader re-sends what it read,
            # which is what lets the driver retry a read whose answer was garbled.
            if self.card is None or self.state not in (CardState.SELECTED, CardState.HALTED):
                return build_response(Sw3.READ_FAILED)
            if self.halt_after_read:
                self.state = CardState.HALTED
            return codec.build_read_response(
                self.card, with_fingerprint=op == codec.READ_WITH_FINGERPRINT
            )
        if op == codec.READ_APPENDED_ADDRESS:
            if self.card is None:
                return build_response(Sw3.READ_FAILED)
            return build_response(Sw3.NO_CONTENT)
        return build_response(Sw3.COMMAND_ERROR)


class Fault(StrEnum):
    CORRUPT_CHECKSUM = "corrupt-checksum"  # flip the checksum byte
    TRUNCATE = "truncate"  # send only the first half of the answer
    DELAY = "delay"  # answer after `delay` seconds (past the driver's timeout)
    GARBAGE = "garbage"  # line noise before the answer
    DRIP = "drip"  # send the answer a few bytes at a time
    SILENT = "silent"  # swallow the request, answer nothing
    LIFT_DURING_READ = "lift-during-read"  # the card leaves between select and read
    STATUS = "status"  # answer with a given SW3 instead
    STALE = "stale"  # a late answer to *select* arrives just before the real one


@dataclass
class _Injected:
    fault: Fault
    remaining: int | None  # None: until cleared
    command: tuple[int, int] | None  # None: any command
    sw3: int = 0
    delay: float = 0.0


class SamSimulator:
    """A simulated reader on a pty: `port` is what a client opens.

    with SamSimulator(DEMO_CARDS["zhang"]) as sim:
        reader = IdCardReader(sim.port)
        sim.lift(); sim.lay(DEMO_CARDS["elder"]); sim.inject(Fault.CORRUPT_CHECKSUM)
    """

    def __init__(
        self,
        card: CardIdentity | None = None,
        *,
        halt_after_read: bool = True,
        link: Path | None = None,
        latency: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.engine = SamEngine(card, halt_after_read=halt_after_read)
        self.latency = latency  # per answer; a real reader takes ~1 s to read a card
        self.requests: list[Request] = []  # every well-formed request, for tests
        self.bad_requests = 0
        self._faults: list[_Injected] = []
        self._scanner = codec.FrameScanner()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._endpoint = PtyEndpoint(self._on_data, link=link)

    # --- lifecycle -----------------------------------------------------------------

    def start(self) -> SamSimulator:
        self._endpoint.start()
        return self

    def close(self) -> None:
        self._endpoint.stop()

    def __enter__(self) -> SamSimulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def port(self) -> str:
        return self._endpoint.port

    def unplug(self) -> None:
        """The USB cable is pulled: the client's port fails and the path disappears."""
        self._endpoint.unplug()
        with self._lock:
            self._scanner.clear()

    def replug(self) -> None:
        """Plugged back in (powered up afresh): same path when a `link` was given, as with
        /dev/serial/by-id."""
        with self._lock:
            self.engine.power_cycle()
        self._endpoint.start()

    # --- the card --------------------------------------------------------------------

    @property
    def card(self) -> CardIdentity | None:
        return self.engine.card

    def lay(self, card: CardIdentity) -> None:
        with self._lock:
            self.engine.lay(card)

    def lift(self) -> None:
        with self._lock:
            self.engine.lift()

    # --- faults ------------------------------------------------------------------------

    def inject(
        self,
        fault: Fault,
        *,
        times: int | None = 1,
        command: tuple[int, int] | None = None,
        sw3: int = 0,
        delay: float = 1.0,
    ) -> None:
        """Apply `fault` to the next `times` answers (None: until cleared) to `command`."""
        with self._lock:
            self._faults.append(_Injected(fault, times, command, sw3, delay))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # --- the serving thread ------------------------------------------------------------

    def _on_data(self, data: bytes) -> None:
        with self._lock:
            self._scanner.feed(data)
            work: list[tuple[Request, _Injected | None] | int] = []
            while True:
                try:
                    frame = self._scanner.next_frame()
                    if frame is None:
                        break
                    request = codec.parse_request(frame)
                except BadLength:
                    work.append(Sw3.LENGTH_ERROR)
                    continue
                except ProtocolError:
                    work.append(Sw3.CHECKSUM_ERROR)
                    continue
                self.requests.append(request)
                work.append((request, self._take_fault(request)))
        for item in work:
            if isinstance(item, int):
                # The reader's own complaint about a frame it could not parse.
                self.bad_requests += 1
                self._endpoint.write(build_response(item))
            else:
                self._respond(*item)

    def _take_fault(self, request: Request) -> _Injected | None:
        op = (request.cmd, request.para)
        for f in self._faults:
            if f.command is None or f.command == op:
                if f.remaining is not None:
                    f.remaining -= 1
                    if f.remaining <= 0:
                        self._faults.remove(f)
                return f
        return None

    def _respond(self, request: Request, fault: _Injected | None) -> None:
        if fault and fault.fault is Fault.SILENT:
            return
        with self._lock:
            if fault and fault.fault is Fault.LIFT_DURING_READ:
                self.engine.lift()
            if fault and fault.fault is Fault.STATUS:
                answer = build_response(fault.sw3)
            else:
                answer = self.engine.answer(request)
        if self.latency and not self._endpoint.sleep(self.latency):
            return
        if fault is None:
            self._endpoint.write(answer)
        elif fault.fault is Fault.CORRUPT_CHECKSUM:
            self._endpoint.write(answer[:-1] + bytes([answer[-1] ^ 0xFF]))
        elif fault.fault is Fault.TRUNCATE:
            self._endpoint.write(answer[: len(answer) // 2])
        elif fault.fault is Fault.DELAY:
            if self._endpoint.sleep(fault.delay):
                self._endpoint.write(answer)
        elif fault.fault is Fault.GARBAGE:
            # No 0xAA: noise that happens to hold a preamble is a different test.
            noise = bytes(self._random.choice(range(0xAA)) for _ in range(37))
            self._endpoint.write(noise + answer)
        elif fault.fault is Fault.STALE:
            self._endpoint.write(build_response(Sw3.SUCCESS, bytes(8)) + answer)
        elif fault.fault is Fault.DRIP:
            for i in range(0, len(answer), 3):
                self._endpoint.write(answer[i : i + 3])
                if not self._endpoint.sleep(0.001):
                    return
        else:
            self._endpoint.write(answer)
