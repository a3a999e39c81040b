"""Ticket printer: `from_config(section)` builds a `TicketPrinter` over python-escpos.

    printer = from_config({"driver": "network", "host": "10.0.0.20", "profile": "TM-T88V"})
    printer.print_ticket(ticket)      # raises PrinterOffline / PaperOut, never fails silently
    png = printer.preview_ticket(ticket)

Options (all drivers): profile, encoding (gbk | gb18030 | gb2312), paper_mm (58 | 80),
columns, qr (auto | native | image), qr_size, number_scale, chinese_mode, timezone,
status (read DLE EOT before printing), preview_font. Per driver: usb vendor_id,
product_id, in_ep, out_ep, timeout; serial port (device or pyserial URL), baud, timeout,
dsrdtr;
network host, port, timeout; file path; sim paper (ok | low | out), online.
See docs/devices-printer-scanner-voice.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from escpos.capabilities import get_profile
from escpos.escpos import Escpos
from escpos.printer import File, Network

from devices.printer.device import (
    PaperOut,
    PrinterConfigError,
    PrinterOffline,
    SerialUrl,
    SimPrinter,
    TicketPrinter,
)
from devices.printer.escpos_render import ENCODINGS, PAPER_COLUMNS, RenderOptions
from devices.printer.ticket import MaterialsPrint, NoticeMaterialPrint, NoticePrint, TicketPrint

__all__ = [
    "MaterialsPrint",
    "NoticeMaterialPrint",
    "NoticePrint",
    "PaperOut",
    "PrinterConfigError",
    "PrinterOffline",
    "SimPrinter",
    "TicketPrint",
    "TicketPrinter",
    "from_config",
]

_COMMON = {
    "driver",
    "profile",
    "encoding",
    "paper_mm",
    "columns",
    "qr",
    "qr_size",
    "number_scale",
    "chinese_mode",
    "timezone",
    "status",
    "preview_font",
}
_DRIVER_KEYS = {
    "usb": {"vendor_id", "product_id", "in_ep", "out_ep", "timeout"},
    "serial": {"port", "baud", "timeout", "dsrdtr"},
    "network": {"host", "port", "timeout"},
    "file": {"path"},
    "sim": {"paper", "online"},
}


def _bad(zh: str, en: str) -> PrinterConfigError:
    return PrinterConfigError(zh, en)


def _int(section: Mapping[str, Any], key: str, default: int | None = None) -> int:
    value = section.get(key, default)
    if value is None:
        raise _bad(f"缺少 {key}", f"{key} is required")
    if isinstance(value, bool):
        raise _bad(f"{key} 应为整数", f"{key} must be an integer, got {value!r}")
    if isinstance(value, str):
        try:
            return int(value, 0)  # USB ids are usually written in hex: "0x0416"
        except ValueError:
            raise _bad(f"{key} 应为整数", f"{key} must be an integer, got {value!r}") from None
    if not isinstance(value, int):
        raise _bad(f"{key} 应为整数", f"{key} must be an integer, got {value!r}")
    return value


def _str(section: Mapping[str, Any], key: str) -> str:
    value = section.get(key)
    if not isinstance(value, str) or not value:
        raise _bad(f"缺少 {key}", f"{key} is required (a non-empty string)")
    return value


def _transport(driver: str, section: Mapping[str, Any], profile: str | None) -> tuple[Escpos, str]:
    if driver == "usb":
        from escpos.printer import Usb  # imports pyusb; only when the hall uses USB

        vid, pid = _int(section, "vendor_id"), _int(section, "product_id")
        printer = Usb(
            vid,
            pid,
            timeout=_int(section, "timeout", 5000),
            in_ep=_int(section, "in_ep", 0x82),
            out_ep=_int(section, "out_ep", 0x01),
            profile=profile,
        )
        return printer, f"usb {vid:04x}:{pid:04x}"
    if driver == "serial":
        url = _str(section, "port")
        printer = SerialUrl(
            devfile=url,
            baudrate=_int(section, "baud", 9600),
            timeout=float(section.get("timeout", 2)),
            dsrdtr=bool(section.get("dsrdtr", False)),
            profile=profile,
        )
        return printer, f"serial {url}"
    if driver == "network":
        host, port = _str(section, "host"), _int(section, "port", 9100)
        return Network(
            host, port=port, timeout=float(section.get("timeout", 5)), profile=profile
        ), f"network {host}:{port}"
    if driver == "file":
        path = _str(section, "path")
        return File(path, profile=profile), f"file {path}"
    sim = SimPrinter(profile=profile)
    paper = section.get("paper", "ok")
    if paper not in ("ok", "low", "out"):
        raise _bad("paper 应为 ok/low/out", f"paper must be ok, low or out, got {paper!r}")
    sim.paper = paper
    sim.online = bool(section.get("online", True))
    return sim, "sim"


def from_config(section: Mapping[str, Any]) -> TicketPrinter:
    driver = section.get("driver")
    if driver not in _DRIVER_KEYS:
        raise _bad(
            f"未知驱动 {driver!r}", f"driver must be one of {sorted(_DRIVER_KEYS)}, got {driver!r}"
        )
    unknown = set(section) - _COMMON - _DRIVER_KEYS[driver]
    if unknown:
        raise _bad(
            f"未知选项 {sorted(unknown)}",
            f"unknown option(s) for driver {driver}: {sorted(unknown)}",
        )

    profile_name = section.get("profile")
    try:
        profile = get_profile(profile_name)
    except Exception:  # python-escpos raises a bare KeyError-like error for unknown names
        raise _bad(
            f"未知打印机型号 {profile_name!r}", f"unknown python-escpos profile {profile_name!r}"
        ) from None

    encoding = section.get("encoding", "gbk")
    if encoding not in ENCODINGS:
        raise _bad(
            f"编码应为 {'/'.join(ENCODINGS)}",
            f"encoding must be one of {ENCODINGS}, got {encoding!r}",
        )
    media_mm = profile.profile_data.get("media", {}).get("width", {}).get("mm")
    default_paper = 80 if not isinstance(media_mm, int | float) or media_mm > 60 else 58
    paper_mm = _int(section, "paper_mm", default_paper)
    if paper_mm not in PAPER_COLUMNS:
        raise _bad("paper_mm 应为 58 或 80", f"paper_mm must be 58 or 80, got {paper_mm}")
    # A named profile knows its columns (TM-T88V: 42 at 180 dpi); the generic one does not.
    default_columns = profile.get_columns("a") if profile_name else PAPER_COLUMNS[paper_mm]
    qr = section.get("qr", "auto")
    if qr == "auto":
        qr = "native" if profile.supports("qrCode") else "image"
    try:
        options = RenderOptions(
            encoding=encoding,
            paper_mm=paper_mm,
            columns=_int(section, "columns", default_columns),
            qr=qr,
            qr_size=_int(section, "qr_size", 6),
            number_scale=_int(section, "number_scale", 4),
            chinese_mode=bool(section.get("chinese_mode", True)),
        )
    except ValueError as exc:
        raise _bad(str(exc), str(exc)) from None
    tz_name = section.get("timezone", "Asia/Shanghai")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise _bad(f"未知时区 {tz_name!r}", f"unknown timezone {tz_name!r}") from None

    printer, describe = _transport(driver, section, profile_name)
    # File devices (/dev/usb/lp0) cannot be read through python-escpos, so no status there.
    status = bool(section.get("status", driver != "file"))
    return TicketPrinter(
        printer,
        options=options,
        tz=tz,
        status_query=status,
        preview_font=section.get("preview_font"),
        keep_preview=driver == "sim",
        describe=describe,
    )
