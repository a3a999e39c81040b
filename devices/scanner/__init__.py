"""Slip scanner: `from_config(section)` builds a camera, serial or simulated scanner.

    scanner = from_config({"driver": "camera", "source": 0})
    event = scanner.read(timeout=0.5)          # ScanEvent or None
    slip = read_slip(scanner, key, timeout=0.5)  # Slip, None, or InvalidSlip

Options: driver (camera | serial | wedge | sim), dedup_seconds (3). camera: source
(device index, video file or image), decoder (zxing | pyzbar), width, height. serial: port
(device or pyserial URL), baud. wedge: inter_char_timeout (0.1 s), complete_on_idle. The slip key
is the hall's secret, shared with whatever prints slips; it is passed to `read_slip`.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Mapping
from typing import Any

from devices.config import DeviceConfigError
from devices.health import Health, HealthState
from devices.scanner.events import Clock, Deduplicator, ScanEvent, Scanner, ScannerUnavailable
from devices.scanner.slip import InvalidSlip, Slip, SlipKind, make_slip, parse_slip
from devices.scanner.wedge import SerialScanner, WedgeScanner

__all__ = [
    "InvalidSlip",
    "ScanEvent",
    "Scanner",
    "ScannerConfigError",
    "ScannerUnavailable",
    "SimScanner",
    "Slip",
    "SlipKind",
    "from_config",
    "make_slip",
    "parse_slip",
    "read_slip",
]


class ScannerConfigError(DeviceConfigError):
    """The scanner section of the configuration is wrong (the device manager then stops
    the kiosk with the file named)."""

    def __init__(self, problem_zh: str, problem_en: str) -> None:
        super().__init__(problem_zh, problem_en, key="scanner")


class SimScanner:
    """A scanner the demo or a test 'presents' slips to."""

    def __init__(self, dedup: Deduplicator | None = None, clock: Clock = time.monotonic) -> None:
        self.dedup = dedup
        self.clock = clock
        self.failed = False  # set to simulate an unplugged scanner
        self._events: queue.Queue[ScanEvent] = queue.Queue()

    def present(self, text: str) -> None:
        if self.dedup is None or self.dedup.accept(text):
            self._events.put(ScanEvent(text, "sim", self.clock()))

    def read(self, timeout: float) -> ScanEvent | None:
        if self.failed:
            raise ScannerUnavailable("扫码器无法连接（模拟）", "scanner unreachable (simulated)")
        try:
            return self._events.get(timeout=timeout)
        except queue.Empty:
            return None

    def health(self) -> Health:
        if self.failed:
            return Health(
                "scanner",
                HealthState.FAILED,
                "扫码器无法连接（模拟） / scanner unreachable (simulated)",
            )
        return Health("scanner", HealthState.OK)

    def close(self) -> None:
        pass


def read_slip(scanner: Scanner, key: str | bytes, timeout: float) -> Slip | None:
    """The next slip scanned within `timeout`, None if nothing was, InvalidSlip if it is bad."""
    event = scanner.read(timeout)
    return None if event is None else parse_slip(event.text, key)


def _bad(zh: str, en: str) -> ScannerConfigError:
    return ScannerConfigError(zh, en)


_KEYS = {
    "camera": {"source", "decoder", "width", "height"},
    "serial": {"port", "baud"},
    "wedge": {"inter_char_timeout", "complete_on_idle"},
    "sim": set(),
}
_COMMON = {"driver", "dedup_seconds"}


def from_config(section: Mapping[str, Any], clock: Clock = time.monotonic) -> Scanner:
    driver = section.get("driver")
    if driver not in _KEYS:
        raise _bad(f"未知驱动 {driver!r}", f"driver must be one of {sorted(_KEYS)}, got {driver!r}")
    unknown = set(section) - _COMMON - _KEYS[driver]
    if unknown:
        raise _bad(
            f"未知选项 {sorted(unknown)}",
            f"unknown option(s) for driver {driver}: {sorted(unknown)}",
        )
    window = section.get("dedup_seconds", 3.0)
    if not isinstance(window, int | float) or isinstance(window, bool) or window < 0:
        raise _bad(
            "dedup_seconds 应为非负数", f"dedup_seconds must be a number >= 0, got {window!r}"
        )
    dedup = Deduplicator(float(window), clock)

    if driver == "camera":
        # Here, not at the top: OpenCV takes a tenth of a second to load, and the server,
        # which checks slips but has no camera, imports this package.
        from devices.scanner.camera import CameraScanner, open_source
        from devices.scanner.decoders import DECODERS, DEFAULT_DECODER, make_decoder

        decoder_name = section.get("decoder", DEFAULT_DECODER)
        if decoder_name not in DECODERS:
            raise _bad(
                f"未知解码器 {decoder_name!r}",
                f"decoder must be one of {sorted(DECODERS)}, got {decoder_name!r}",
            )
        source = section.get("source", 0)
        if not isinstance(source, int | str) or isinstance(source, bool):
            raise _bad(
                "source 应为摄像头序号或文件路径",
                f"source must be a device index or a path, got {source!r}",
            )
        return CameraScanner(
            open_source(source, section.get("width"), section.get("height")),
            make_decoder(decoder_name),
            dedup=dedup,
            clock=clock,
        )
    if driver == "serial":
        url = section.get("port")
        if not isinstance(url, str) or not url:
            raise _bad("缺少 port（如 /dev/ttyACM0）", "port is required, e.g. /dev/ttyACM0")
        baud = section.get("baud", 9600)
        if not isinstance(baud, int) or isinstance(baud, bool) or baud <= 0:
            raise _bad("baud 应为正整数", f"baud must be a positive integer, got {baud!r}")
        return SerialScanner(url, baud, dedup=dedup, clock=clock)
    if driver == "wedge":
        gap = section.get("inter_char_timeout", 0.1)
        if not isinstance(gap, int | float) or isinstance(gap, bool) or gap <= 0:
            raise _bad(
                "inter_char_timeout 应为正数", f"inter_char_timeout must be > 0, got {gap!r}"
            )
        return WedgeScanner(
            float(gap),
            complete_on_idle=bool(section.get("complete_on_idle", False)),
            dedup=dedup,
            clock=clock,
        )
    return SimScanner(dedup=dedup, clock=clock)
