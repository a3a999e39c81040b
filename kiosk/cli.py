"""`hallq kiosk`: the touchscreen kiosk.

    hallq kiosk --server http://10.0.0.5:8000 --devices /etc/hallq/kiosk-1.toml --token T

Without --devices every device is simulated and the screen shows small technician
buttons (lay a demo card, present a demo slip, take the paper out): the demo mode.
Nothing heavy is imported until the command runs, so `hallq layout check` stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("kiosk", help="自助取号机 / the touchscreen kiosk")
    p.add_argument("--server", default=None,
                   help="queue server URL (or HALLQ_SERVER)")
    p.add_argument("--devices", default=None,
                   help="device configuration TOML; default: every device simulated (demo)")
    p.add_argument("--token", default=None, help="kiosk bearer token (or HALLQ_KIOSK_TOKEN)")
    p.add_argument("--name", default=None,
                   help="this kiosk's name in the server's kiosk list")
    p.add_argument("--idle", type=float, default=60.0,
                   help="seconds without a touch before the screen returns to the start (60)")
    p.add_argument("--demo", action="store_true", help="show the technician demo buttons")
    p.add_argument("--orientation", choices=("portrait", "landscape"), default="portrait")
    p.add_argument("--size", default=None, help="window size WxH (default 1080x1920 or 1920x1080)")
    p.add_argument("--fullscreen", action="store_true")
    p.add_argument("--no-voice", action="store_true", help="no spoken prompts")
    p.add_argument("--follow-url", default="",
                   help="QR printed on tickets, with {id} and {number}, e.g. https://h/t/{id}; "
                        "default: the server's follow link (HALLQ_PUBLIC_URL, else the "
                        "--server address unless it is a loopback one)")
    p.set_defaults(func=_run)


def _size(args: argparse.Namespace) -> tuple[int, int]:
    if args.size:
        try:
            w, h = (int(x) for x in args.size.lower().split("x"))
        except ValueError:
            raise SystemExit(f"hallq kiosk: --size must be WxH, not {args.size!r}") from None
        return w, h
    return (1080, 1920) if args.orientation == "portrait" else (1920, 1080)


def _run(args: argparse.Namespace) -> int:
    from hallenv import HallqEnv
    env = HallqEnv.read()
    args.server = args.server or env.server
    args.name = args.name or env.kiosk_name
    token = args.token or env.kiosk_token
    if not token:
        print("hallq kiosk: 需要自助机令牌 / a kiosk token is needed: --token T or "
              "HALLQ_KIOSK_TOKEN (make one with `hallq token issue --role kiosk --name NAME`)",
              file=sys.stderr)
        return 2
    from devices.config import SIM_CONFIG, DeviceConfigError
    from kiosk.fonts import FontMissing, find_font

    try:
        font = find_font()
    except FontMissing as e:
        print(f"hallq kiosk: {e}", file=sys.stderr)
        return 1
    simulated = args.devices is None
    demo = args.demo or simulated
    width, height = _size(args)

    from devices.manager import DeviceManager
    from kiosk.settings import KioskSettings

    try:
        settings = KioskSettings(name=args.name, idle_seconds=args.idle,
                                 voice=not args.no_voice, demo=demo, follow_url=args.follow_url)
        # Opened here, before any window: a typo in the device file stops the kiosk with
        # the file and the key named, instead of a kiosk that silently has no printer.
        manager = DeviceManager.from_file(args.devices or SIM_CONFIG)
    except (DeviceConfigError, ValueError) as e:
        print(f"hallq kiosk: {e}", file=sys.stderr)
        return 1
    try:
        manager.open()
    except DeviceConfigError as e:
        manager.close()  # the devices opened before the bad one
        print(f"hallq kiosk: {e}", file=sys.stderr)
        return 1

    # Kivy reads its environment and argv on first import: set them first.
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    from kivy.config import Config

    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "fullscreen", "auto" if args.fullscreen else "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")

    from kiosk.app import KioskApp
    from kiosk.client import HallClient
    from kiosk.flow import Flow
    from kiosk.hardware import Hardware

    client = HallClient(args.server, token)
    flow = Flow(client, Hardware(manager), settings)
    try:
        KioskApp(flow, demo=demo, font=font).run()
    finally:
        manager.close()
        client.close()
    return 0
