"""`hallq led-bridge`: registered by hallq/cli.py; imports nothing heavy until it runs."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from hallenv import HallqEnv


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "led-bridge",
        help="窗口 LED 屏跟随叫号 / drive the window LED boards from the event stream",
        description="Subscribes to the server's event stream and keeps every window's LED "
        "board showing its window's state; re-sends all boards after each reconnect. The "
        "config file has a [bridge] table (server, token_file, texts) and an [led] table "
        "(driver, port, boards with window, address, frame, encoding).",
    )
    p.add_argument("--config", type=Path, required=True, help="TOML file with [bridge] and [led]")
    p.add_argument("--server", default=None, help="server URL (default: the config's, else "
                   "http://127.0.0.1:8000)")
    p.add_argument("--token", default=None,
                   help="display token (better: HALLQ_TOKEN or token_file, kept out of `ps`)")
    p.add_argument("-v", "--verbose", action="store_true", help="log every connect and send")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from devices.errors import DeviceError
    from queue_server.led_bridge import BridgeConfigError, load_bridge_config, run_bridge

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        config = load_bridge_config(args.config)
    except BridgeConfigError as exc:
        print(f"hallq led-bridge: {exc}", file=sys.stderr)
        return 2
    if args.server:
        config = replace(config, server=args.server)
    token = args.token or HallqEnv.read().token or config.token
    if not token:
        print("hallq led-bridge: 需要令牌 / a token is needed: --token, HALLQ_TOKEN or "
              "[bridge] token_file (hallq token issue --role display)", file=sys.stderr)
        return 2
    try:
        return run_bridge(config, token)
    except DeviceError as exc:  # a bad [led] table or a missing port at start
        print(f"hallq led-bridge: {exc}", file=sys.stderr)
        return 1
