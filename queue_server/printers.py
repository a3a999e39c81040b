"""The windows' printers for 不予受理告知单, through the same drivers as the kiosk's.

A hall names them in a TOML file (HALLQ_PRINTERS, or `<data dir>/printers.toml` if it
exists): each `[window.N]` table is a printer section as in devices/example.toml, e.g.

    [window.3]
    driver = "network"
    host = "10.0.0.33"
    profile = "TM-T88V"

A window without one prints the notice's A4 page from the browser instead.
"""

from __future__ import annotations

import threading
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the drivers (escpos, qrcode, PIL) load only for a hall that has printers
    from devices.printer import NoticePrint, TicketPrinter


class PrintersConfigError(Exception):
    """The printers file is unreadable or names a bad printer: the server does not start."""


class WindowPrinters:
    def __init__(self, sections: Mapping[int, Mapping[str, Any]]) -> None:
        self.sections = dict(sections)
        self._printers: dict[int, TicketPrinter] = {}
        self._lock = threading.Lock()
        if self.sections:
            from devices.printer import from_config
        for number, section in self.sections.items():  # a bad section stops the start
            try:
                self._printers[number] = from_config(section)
            except Exception as exc:
                raise PrintersConfigError(f"[window.{number}]: {exc}") from exc

    @classmethod
    def load(cls, path: Path | None, data_dir: Path) -> WindowPrinters:
        if path is None:
            default = data_dir / "printers.toml"
            if not default.exists():
                return cls({})
            path = default
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise PrintersConfigError(f"{path}: 无法读取打印机配置 cannot read: {exc}") from exc
        windows = doc.get("window", {})
        if not isinstance(windows, dict) or set(doc) - {"window"}:
            raise PrintersConfigError(f"{path}: 只能有 [window.N] 表 only [window.N] tables")
        sections: dict[int, Mapping[str, Any]] = {}
        for key, section in windows.items():
            if not str(key).isdigit() or not isinstance(section, dict):
                raise PrintersConfigError(f"{path}: [window.{key}] 应为窗口号 is not a window")
            sections[int(key)] = section
        return cls(sections)

    def has(self, window: int) -> bool:
        return window in self._printers

    def printer(self, window: int) -> TicketPrinter:
        return self._printers[window]

    def print_notice(self, window: int, notice: NoticePrint) -> None:
        """Blocking (a device round trip): call it off the event loop."""
        with self._lock:
            self._printers[window].print_notice(notice)
