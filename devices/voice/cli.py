"""`hallq devices say`: call a number through the configured voice, or write the WAV."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from devices.errors import DeviceError


def register(dsub: argparse._SubParsersAction) -> None:
    p = dsub.add_parser(
        "say",
        help="语音叫号测试 / announce a number (or write the announcement WAV)",
        description="Announce NUMBER to WINDOW with the [voice] table of --config (espeak-ng "
        "on the sound card without it); --wav writes the audio instead. Exit 1 on error.",
    )
    p.add_argument("number", help="ticket number, e.g. A001")
    p.add_argument("window", help="window number or name")
    p.add_argument("--recall", action="store_true")
    p.add_argument("--config", help="device TOML file; its [voice] table is used")
    p.add_argument("--wav", help="write the chime + speech WAV here instead of playing")
    p.set_defaults(func=_say)


def _say(args: argparse.Namespace) -> int:
    from devices.printer.cli import load_section
    from devices.voice import from_config

    window: int | str = int(args.window) if args.window.isdigit() else args.window
    try:
        voice = from_config(load_section(args.config, "voice", {"driver": "espeak"}))
        try:
            text = voice.phrases.text(args.number, window, recall=args.recall)
            if args.wav:
                Path(args.wav).write_bytes(voice.wav(args.number, window, recall=args.recall))
                reason = ""  # the sound card is not involved
            else:
                (voice.recall if args.recall else voice.call)(args.number, window)
                voice.wait_idle(60)
                reason = voice.health().reason
        finally:
            voice.close()
    except (DeviceError, ValueError) as exc:
        print(f"播报失败 / announcement failed: {exc}", file=sys.stderr)
        return 1
    print(text)
    if reason:
        print(reason, file=sys.stderr)
        return 1
    return 0
