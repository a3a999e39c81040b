"""The kiosk's devices, seen through what the flow needs: a card, a slip, a print, a prompt.

Wraps a `devices.manager.DeviceManager` and turns the devices' many exception types into
the few the flow acts on:
- `ReaderDown`, `ScannerDown`: the device cannot work now (unplugged, failed, missing);
- `CardProblem`: the reader works but this card could not be read (lay it again);
- `SlipProblem`: a code was scanned but it is not in the form of the hall's slips or
  receipts (whether a slip is genuine, only the server can say);
- `PrinterProblem(code)`: "paper_out", "offline" or "failed" — nothing was printed.
Voice prompts never raise: a mute kiosk still works.
"""

from __future__ import annotations

import logging
from typing import Any

from devices.errors import DeviceError, DeviceTimeout, DeviceUnavailable
from devices.health import Health, HealthState
from devices.idcard import CardIdentity
from devices.idcard.errors import CardDataError, CardStatusError, FrameError, SamFailed
from devices.manager import DeviceManager
from devices.printer import MaterialsPrint, PaperOut, PrinterOffline, TicketPrint
from kiosk.codes import Code, UnknownCode, classify

log = logging.getLogger(__name__)

PROMPT_KEY = "KIOSK"  # one slot in the voice queue: a newer prompt replaces an unsaid one


class ReaderDown(Exception):
    pass


class ScannerDown(Exception):
    pass


class CardProblem(Exception):
    pass


class SlipProblem(Exception):
    pass


class PrinterProblem(Exception):
    def __init__(self, code: str, reason: str) -> None:
        self.code = code  # "paper_out" | "offline" | "failed"
        super().__init__(reason)


class Hardware:
    def __init__(self, manager: DeviceManager) -> None:
        self.manager = manager

    def has(self, kind: str) -> bool:
        return kind in self.manager.kinds

    def _device(self, kind: str) -> Any:
        return self.manager.get(kind)

    # --- ID card ----------------------------------------------------------------------

    def read_card(self) -> CardIdentity | None:
        """A newly laid card, once per placement; None when nothing new lies there."""
        if not self.has("idcard"):
            raise ReaderDown("no ID card reader configured")
        try:
            return self._device("idcard").poll()  # type: ignore[no-any-return]
        except (DeviceUnavailable, DeviceTimeout, FrameError, SamFailed) as e:
            raise ReaderDown(str(e)) from e
        except (CardStatusError, CardDataError) as e:
            raise CardProblem(str(e)) from e
        except DeviceError as e:
            raise ReaderDown(str(e)) from e

    # --- slips ------------------------------------------------------------------------

    def read_code(self, timeout: float = 0.0) -> Code | None:
        """The next slip, receipt or follow link scanned, or None; SlipProblem if it is not
        the hall's."""
        if not self.has("scanner"):
            raise ScannerDown("no scanner configured")
        try:
            event = self._device("scanner").read(timeout)
        except DeviceError as e:
            raise ScannerDown(str(e)) from e
        if event is None:
            return None
        try:
            return classify(event.text)
        except UnknownCode as e:
            raise SlipProblem(str(e)) from e

    # --- printing -----------------------------------------------------------------------

    def _print(self, method: str, job: TicketPrint | MaterialsPrint) -> None:
        if not self.has("printer"):
            raise PrinterProblem("offline", "no printer configured")
        try:
            getattr(self._device("printer"), method)(job)
        except PaperOut as e:
            raise PrinterProblem("paper_out", str(e)) from e
        except (PrinterOffline, DeviceUnavailable) as e:
            raise PrinterProblem("offline", str(e)) from e
        except Exception as e:  # a driver bug: still "not printed", never a crashed kiosk
            log.exception("printer %s failed", method)
            raise PrinterProblem("failed", f"{type(e).__name__}: {e}") from e

    def print_ticket(self, ticket: TicketPrint) -> None:
        self._print("print_ticket", ticket)

    def print_materials(self, slip: MaterialsPrint) -> None:
        self._print("print_materials", slip)

    # --- voice ------------------------------------------------------------------------

    def say(self, text: str) -> None:
        if not text or not self.has("voice"):
            return
        try:
            from devices.voice import Announcement

            announcer = self._device("voice")
            announcer.queue.submit(Announcement(PROMPT_KEY, "", text))
        except Exception as e:  # a prompt is a courtesy: never let it stop the applicant
            log.warning("voice prompt failed: %s", e)

    # --- health -----------------------------------------------------------------------

    def health(self) -> list[Health]:
        return self.manager.health()

    def state_of(self, kind: str, health: list[Health] | None = None) -> HealthState | None:
        for h in health if health is not None else self.health():
            if h.device == kind:
                return h.state
        return None

    def refresh(self) -> None:
        """Retry devices that failed to open (a reader plugged back in)."""
        try:
            self.manager.refresh()
        except DeviceError as e:
            log.error("device refresh failed: %s", e)

    def close(self) -> None:
        self.manager.close()

    # --- simulators, for demo mode and tests --------------------------------------------

    def simulator(self, kind: str) -> Any:
        """The simulated device behind `kind` (SamSimulator, SimScanner, SimPrinter, the sim
        voice backend), or None when that device is real or missing."""
        try:
            device = self._device(kind)
        except DeviceError:
            return None
        if kind == "idcard":
            return getattr(device, "simulator", None)
        if kind == "scanner":
            return device if hasattr(device, "present") else None
        if kind == "printer":
            transport = getattr(device, "transport", None)
            return transport if hasattr(transport, "paper") else None
        if kind == "voice":
            backend = getattr(device, "backend", None)
            return backend if hasattr(backend, "said") else None
        return None
