"""The `hallq` command: one entry point, each package registers its own subcommands.

Registration modules import nothing heavy at module level, so `hallq layout check`
does not pay for Kivy or OpenCV.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each module exposes `register(subparsers)`; the subcommands set `func(args) -> int`.
COMMAND_MODULES = (
    "queue_server.cli",
    "queue_server.reports_cli",
    "queue_server.simulation.cli",
    "queue_server.cases_cli",
    "queue_server.callbacks_cli",
    "queue_server.backup_cli",
    "queue_server.centre.cli",
    "queue_server.led_bridge_cli",
    "queue_server.screen_cli",
)
# Registering these imports device drivers (escpos and its capability tables, PIL, qrcode,
# pyserial) and the kiosk: about 0.4 s that `hallq serve` pays after every power cut while
# kiosks and screens wait for it. They are imported only when their command is asked for,
# or when the command is not one of the others (help, a typo).
DEVICE_COMMAND_MODULES = ("devices.cli", "kiosk.cli")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hallq",
        description="不动产登记大厅排队与自助取号 / Registration-hall queue and kiosk",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    words = [a for a in (sys.argv[1:] if argv is None else argv) if not a.startswith("-")]
    if not words or words[0] not in sub.choices:
        for name in DEVICE_COMMAND_MODULES:
            importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser(argv).parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # Imported here, not at the top, so commands that never count days stay light.
        from hallenv import EnvError
        from queue_server.domain.workdays import CalendarYearMissing
        from queue_server.workcalendar import HolidaysFileError
        if isinstance(exc, EnvError):  # every bad variable named, not a traceback
            print("环境变量有误，未启动 / bad environment variables, nothing was started:",
                  file=sys.stderr)
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            return 1
        if isinstance(exc, HolidaysFileError):
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            return 1
        if isinstance(exc, CalendarYearMissing):  # a hall's task, not a traceback
            print(exc, file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
