"""`hallq kiosk`: the touchscreen app (built in the kiosk issue)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("kiosk", help="自助取号机 / the touchscreen kiosk")
    parser.add_argument("--server", default="http://127.0.0.1:8000")
    parser.add_argument("--devices", default=None, help="device configuration TOML")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    print("hallq kiosk: 尚未实现 / not built yet (see the kiosk issue)")
    return 2
