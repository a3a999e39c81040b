"""The ticket printer as the kiosk uses it: check status, print a whole job, or raise.

A silent failure (no paper, printer off) is the most common complaint about ticket
machines, so every path here either prints or raises a typed error the kiosk can show:
`PrinterOffline`, `PaperOut`. Paper low still prints and turns health to degraded.

Each job is rendered into a python-escpos `Dummy` first and sent with one write, so a
rendering error never leaves half a ticket in the printer and the bytes a test checks
are the bytes the printer gets.
"""

from __future__ import annotations

import errno
import logging
import threading
from collections.abc import Callable
from datetime import tzinfo
from typing import Literal

import serial
from escpos.constants import RT_STATUS_ONLINE, RT_STATUS_PAPER
from escpos.escpos import Escpos
from escpos.exceptions import Error as EscposError
from escpos.printer import Dummy
from escpos.printer import Serial as EscposSerial

from devices.config import DeviceConfigError
from devices.errors import DeviceError, DeviceUnavailable
from devices.health import Health, HealthState
from devices.printer.escpos_render import (
    RenderOptions,
    render_materials,
    render_notice,
    render_ticket,
)
from devices.printer.preview import materials_preview, notice_preview, ticket_preview, to_png
from devices.printer.ticket import MaterialsPrint, NoticePrint, TicketPrint

log = logging.getLogger(__name__)

DEVICE = "printer"


class PrinterOffline(DeviceUnavailable):
    """Cannot reach the printer, or it reports itself offline (cover open, error, no answer)."""


class PaperOut(DeviceError):
    """The paper roll is empty."""


class PrinterConfigError(DeviceConfigError):
    """The printer section of the configuration is wrong. A DeviceConfigError, so the
    device manager stops the kiosk with the file named instead of running without paper."""

    def __init__(self, problem_zh: str, problem_en: str) -> None:
        super().__init__(problem_zh, problem_en, key="printer")


def _offline(where: str, detail: object = "") -> PrinterOffline:
    text = " ".join(str(detail).split())  # python-escpos puts newlines inside its messages
    if "No backend available" in text:
        text += "; install the libusb-1.0-0 system package"
    en = f"printer unreachable or offline ({where}{': ' + text if text else ''})"
    return PrinterOffline(f"打印机无法连接或离线，请联系工作人员（{where}）", en)


def _paper_out() -> PaperOut:
    return PaperOut("打印机缺纸，请联系工作人员更换纸卷", "printer is out of paper")


# What a transport raises when the printer is unplugged, switched off or the link drops:
# OSError covers sockets, pyserial's SerialException and pyusb's USBError; ValueError
# covers pyusb's NoBackendError (libusb missing).
_TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (OSError, EscposError, ValueError)


class SerialUrl(EscposSerial):
    """python-escpos's Serial, opened through `serial_for_url` so `socket://`, `rfc2217://`
    and a pty work as well as /dev/ttyUSB0."""

    def open(self, raise_not_found: bool = True) -> None:
        if self._device:
            self.close()
        self.device = serial.serial_for_url(
            self.devfile,
            baudrate=self.baudrate,
            bytesize=self.bytesize,
            parity=self.parity,
            stopbits=self.stopbits,
            timeout=self.timeout,
            write_timeout=self.timeout,
            xonxoff=self.xonxoff,
            dsrdtr=self.dsrdtr,
        )

    def query_status(self, mode: bytes) -> bytes:
        # A late answer to an earlier query must not be taken for this one.
        self.device.reset_input_buffer()
        return super().query_status(mode)

    def _read(self) -> bytes:
        # python-escpos reads 16 bytes and so always waits the whole timeout for a one-byte
        # status answer; return as soon as the answer is in.
        first = self.device.read(1)
        return first + self.device.read(self.device.in_waiting) if first else b""


PaperLevel = Literal["ok", "low", "out"]

# DLE EOT n answers: bits 1 and 4 are always set; bit 3 = offline; bits 2-3 of the paper
# answer = near end, bits 5-6 = paper end.
_ONLINE, _OFFLINE = b"\x12", b"\x1a"
_PAPER = {"ok": b"\x12", "low": b"\x1e", "out": b"\x7e"}


class SimPrinter(Dummy):
    """A printer in memory that answers real-time status like the hardware does.

    Tests and the demo set `online`, `paper` and `reachable`; `jobs` holds each job's bytes.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.online = True
        self.paper: PaperLevel = "ok"
        self.reachable = True
        self.jobs: list[bytes] = []
        self._answers: list[bytes] = []

    def _raw(self, msg: bytes) -> None:
        if not self.reachable:
            raise OSError(errno.EHOSTUNREACH, "simulated printer unreachable")
        if msg == RT_STATUS_ONLINE:
            self._answers.append(_ONLINE if self.online else _OFFLINE)
        elif msg == RT_STATUS_PAPER:
            self._answers.append(_PAPER[self.paper])
        else:
            self.jobs.append(msg)
            super()._raw(msg)

    def _read(self) -> bytes:
        return self._answers.pop(0) if self._answers else b""


class TicketPrinter:
    def __init__(
        self,
        printer: Escpos,
        *,
        options: RenderOptions,
        tz: tzinfo,
        status_query: bool,
        preview_font: str | None = None,
        keep_preview: bool = False,
        describe: str = "",
    ) -> None:
        self._printer = printer
        self.options = options
        self.tz = tz
        self.status_query = status_query
        self.preview_font = preview_font
        self.keep_preview = keep_preview
        self.describe = describe or type(printer).__name__
        self.last_preview_png: bytes | None = None
        self._last_error: DeviceError | None = None
        self._lock = threading.Lock()

    @property
    def transport(self) -> Escpos:
        return self._printer

    # -- printing -------------------------------------------------------------------

    def print_ticket(self, ticket: TicketPrint) -> None:
        """Print one ticket, or raise PrinterOffline / PaperOut. Never returns on failure."""
        self._print(
            lambda buf: render_ticket(buf, ticket, self.options, self.tz),
            lambda: self.preview_ticket(ticket),
        )

    def print_materials(self, slip: MaterialsPrint) -> None:
        self._print(
            lambda buf: render_materials(buf, slip, self.options),
            lambda: self.preview_materials(slip),
        )

    def print_notice(self, notice: NoticePrint) -> None:
        """不予受理告知单 at a window; raises PrinterOffline / PaperOut like a ticket."""
        self._print(
            lambda buf: render_notice(buf, notice, self.options, self.tz),
            lambda: self.preview_notice(notice),
        )

    def notice_bytes(self, notice: NoticePrint) -> bytes:
        return self._render(lambda buf: render_notice(buf, notice, self.options, self.tz))

    def preview_notice(self, notice: NoticePrint) -> bytes:
        return to_png(notice_preview(notice, self.options, self.tz, self.preview_font))

    def ticket_bytes(self, ticket: TicketPrint) -> bytes:
        """The exact job `print_ticket` would send."""
        return self._render(lambda buf: render_ticket(buf, ticket, self.options, self.tz))

    def _render(self, render: Callable[[Escpos], None]) -> bytes:
        buf = Dummy()
        buf.profile = self._printer.profile  # same features (cut, QR) as the real printer
        render(buf)
        return buf.output

    def preview_ticket(self, ticket: TicketPrint) -> bytes:
        return to_png(ticket_preview(ticket, self.options, self.tz, self.preview_font))

    def preview_materials(self, slip: MaterialsPrint) -> bytes:
        return to_png(materials_preview(slip, self.options, self.preview_font))

    def _print(self, render: Callable[[Escpos], None], preview: Callable[[], bytes]) -> None:
        job = self._render(render)
        if self.keep_preview:
            self.last_preview_png = preview()
        with self._lock:
            try:
                self._check_status()
                self._send(job)
            except DeviceError as exc:
                self._last_error = exc
                log.error("print failed on %s: %s", self.describe, exc)
                raise
            self._last_error = None

    def _send(self, job: bytes) -> None:
        try:
            self._printer._raw(job)
        except _TRANSPORT_ERRORS as exc:
            self._reset_transport()
            # Linux usblp answers a write with ENOSPC when the printer reports paper out.
            if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
                raise _paper_out() from exc
            raise _offline(self.describe, exc) from exc

    # -- status -----------------------------------------------------------------------

    def _read_status(self) -> PaperLevel:
        """Ask the printer (DLE EOT); raise PrinterOffline / PaperOut; return the paper level."""
        try:
            online = self._printer.is_online()
            paper = self._printer.paper_status() if online else 2
        except NotImplementedError:
            return "ok"  # this transport cannot read; status_query should be off for it
        except _TRANSPORT_ERRORS as exc:
            self._reset_transport()
            raise _offline(self.describe, exc) from exc
        if not online:
            # No answer at all also lands here: a printer that is switched off says nothing,
            # and a TCP link it dropped reads as end-of-file. Reconnect next time.
            self._reset_transport()
            raise _offline(self.describe, "no status answer, or the printer reports offline")
        if paper == 0:
            raise _paper_out()
        return "low" if paper == 1 else "ok"

    def _check_status(self) -> None:
        if not self.status_query:
            return
        try:
            self._read_status()
        except PrinterOffline:
            # Once more on a fresh connection: a printer that was power-cycled leaves a dead
            # socket or USB handle behind, and the first query after it always fails.
            self._read_status()

    def health(self) -> Health:
        with self._lock:
            if not self.status_query:
                if self._last_error is not None:
                    return Health(DEVICE, HealthState.FAILED, str(self._last_error))
                try:
                    _ = self._printer.device  # opens the transport if it is not open yet
                except _TRANSPORT_ERRORS as exc:
                    self._reset_transport()
                    return Health(DEVICE, HealthState.FAILED, str(_offline(self.describe, exc)))
                return Health(DEVICE, HealthState.OK)
            try:
                level = self._read_status()
            except DeviceError as exc:
                return Health(DEVICE, HealthState.FAILED, str(exc))
        if level == "low":
            return Health(
                DEVICE, HealthState.DEGRADED, "打印纸即将用完，请及时更换 / paper is running low"
            )
        return Health(DEVICE, HealthState.OK)

    def _reset_transport(self) -> None:
        """Drop a broken connection so the next job reconnects (the printer may have been
        power-cycled); python-escpos reopens when `device` is False."""
        try:
            self._printer.close()
        except Exception as exc:  # closing a dead link may fail in any way; we are discarding it
            log.debug("closing printer transport failed: %s", exc)
        self._printer.device = False

    def close(self) -> None:
        with self._lock:
            try:
                self._printer.close()
            finally:
                self._printer.device = False
