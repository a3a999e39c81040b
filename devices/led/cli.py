"""Technician commands: `hallq devices led-show` and `hallq devices simulate-led`."""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devices.led.frames import FrameFormat


def register(dsub: argparse._SubParsersAction) -> None:
    show = dsub.add_parser(
        "led-show",
        help="向一块窗口 LED 屏发送文字 / send text to one LED board",
        description="Send one frame to the board at --address; --hex prints the frame too, "
        "to compare with the vendor's tool. Exit 1 on any device error.",
    )
    show.add_argument("--port", required=True, help="device path or pyserial URL")
    show.add_argument("--address", type=int, required=True)
    show.add_argument("--text", required=True, help="text to show; empty clears")
    _frame_arguments(show)
    show.add_argument("--baud", type=int, default=9600)
    show.add_argument("--hex", action="store_true", help="print the frame bytes")
    show.set_defaults(func=_show)

    sim = dsub.add_parser(
        "simulate-led",
        help="在伪终端上模拟 LED 屏总线 / simulate an LED bus on a pty",
        description="Print the port to open on the first line, then one line per frame "
        "received: ADDRESS<TAB>TEXT. Runs until Ctrl-C or SIGTERM.",
    )
    _frame_arguments(sim)
    sim.set_defaults(func=_simulate)


def _frame_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--frame", choices=("aabb", "stx"), default="aabb")
    parser.add_argument("--encoding", default="gbk")
    parser.add_argument("--checksum", choices=("sum8", "xor8"), default=None)
    parser.add_argument(
        "--checksum-excludes-end",
        action="store_true",
        help="aabb: the checksum stops before the closing FF",
    )


def _format(args: argparse.Namespace) -> FrameFormat:
    from devices.led.frames import AaBbFrame, Checksum, StxFrame

    if args.frame == "aabb":
        return AaBbFrame(
            args.encoding, Checksum(args.checksum or "sum8"), not args.checksum_excludes_end
        )
    return StxFrame(args.encoding, Checksum(args.checksum or "xor8"))


def _show(args: argparse.Namespace) -> int:
    from devices.errors import DeviceError
    from devices.led.serial_board import SerialLedBoard, SerialLedBus

    try:
        frame = _format(args)
        bus = SerialLedBus(args.port, baud=args.baud)
        try:
            board = SerialLedBoard(bus, args.address, frame)
            if args.hex:
                print(frame.encode(args.address, args.text).hex(" ").upper())
            board.show(args.text)
        finally:
            bus.close()
    except (DeviceError, ValueError, LookupError) as e:
        print(f"hallq devices led-show: {e}", file=sys.stderr)
        return 1
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from devices.led.simulator import LedBusSimulator

    try:
        sim = LedBusSimulator([_format(args)])
    except (ValueError, LookupError) as e:
        print(f"hallq devices simulate-led: {e}", file=sys.stderr)
        return 2

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    printed = 0
    with sim.start():
        print(sim.port, flush=True)
        try:
            while True:
                sim.wait_until(lambda s, n=printed: len(s.history) > n, timeout=3600)
                for address, text in sim.history[printed:]:
                    print(f"{address}\t{text}", flush=True)
                    printed += 1
        except KeyboardInterrupt:
            pass
    return 0
