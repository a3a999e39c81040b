"""`hallq devices ...`: each device package registers its own technician commands."""

from __future__ import annotations

import argparse
import importlib

# Each module exposes `register(devices_subparsers)`.
DEVICE_COMMAND_MODULES: tuple[str, ...] = (
    "devices.idcard.cli",
    "devices.led.cli",
    "devices.printer.cli",
    "devices.scanner.cli",
    "devices.voice.cli",
)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("devices", help="设备工具 / device tools for technicians")
    dsub = parser.add_subparsers(dest="devices_command", required=True, metavar="DEVICE_COMMAND")
    for name in DEVICE_COMMAND_MODULES:
        importlib.import_module(name).register(dsub)
