"""Technician commands: `hallq devices read-id` and `hallq devices simulate-idcard`."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devices.idcard.simulator import SamSimulator

_FIELDS_ZH = (
    ("name", "姓名"),
    ("sex", "性别"),
    ("nation", "民族/国籍"),
    ("birth_date", "出生日期"),
    ("address", "住址"),
    ("id_number", "证件号码"),
    ("authority", "签发机关"),
    ("valid_from", "有效期起"),
    ("valid_to", "有效期止"),
)


def register(dsub: argparse._SubParsersAction) -> None:
    read = dsub.add_parser(
        "read-id",
        help="读取一张身份证 / read one ID card",
        description="Read one card through a SAM reader. Exit 1 with a one-line reason on "
        "any device or frame error.",
    )
    read.add_argument("--port", required=True, help="device path or pyserial URL")
    read.add_argument("--json", action="store_true", help="print one JSON object")
    read.add_argument(
        "--timeout", type=float, default=5.0, help="seconds to wait for a card (default 5)"
    )
    read.add_argument("--baud", type=int, default=115200)
    read.add_argument("--fingerprint", action="store_true", help="read with 30 10")
    read.set_defaults(func=_read_id)

    sim = dsub.add_parser(
        "simulate-idcard",
        help="在伪终端上模拟身份证读卡器 / simulate a SAM reader on a pty",
        description="Start a simulated reader and print the port to open on the first line. "
        "Then reads commands on stdin: lay NAME | lift | unplug | replug | "
        "fault NAME [TIMES] | clear | quit. Runs until quit, EOF then Ctrl-C, or SIGTERM.",
    )
    sim.add_argument("--card", default="zhang", help="demo card laid at start, or 'none'")
    sim.add_argument("--link", type=Path, help="also expose the pty at this stable path")
    sim.add_argument("--no-halt", action="store_true", help="a read card keeps answering find")
    sim.add_argument("--latency", type=float, default=0.0, help="seconds per answer")
    sim.set_defaults(func=_simulate)


def _read_id(args: argparse.Namespace) -> int:
    from devices.errors import DeviceError
    from devices.idcard.identity import contract_dict
    from devices.idcard.reader import IdCardReader

    try:
        with IdCardReader(args.port, baud=args.baud, fingerprint=args.fingerprint) as reader:
            card = reader.read_card(wait=args.timeout)
    except DeviceError as e:
        print(f"hallq devices read-id: {e}", file=sys.stderr)
        return 1
    fields = contract_dict(card)
    if args.json:
        print(json.dumps(fields, ensure_ascii=False))
    else:
        for key, label in _FIELDS_ZH:
            value = fields[key]
            print(f"{label}: {'长期' if key == 'valid_to' and value is None else value}")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from devices.idcard.demo import DEMO_CARDS
    from devices.idcard.simulator import SamSimulator

    if args.card != "none" and args.card not in DEMO_CARDS:
        print(
            f"未知演示卡 / unknown demo card {args.card!r}: {sorted(DEMO_CARDS)}", file=sys.stderr
        )
        return 2
    card = None if args.card == "none" else DEMO_CARDS[args.card]
    sim = SamSimulator(card, halt_after_read=not args.no_halt, link=args.link, latency=args.latency)

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt  # leave through the with-block: removes the link

    signal.signal(signal.SIGTERM, on_sigterm)
    with sim.start():
        print(sim.port, flush=True)
        print(
            f"模拟读卡器已启动 / simulated reader on {sim.port}; type 'help' for commands",
            file=sys.stderr,
        )
        try:
            for line in sys.stdin:
                words = line.split()
                if words == ["quit"]:
                    return 0
                if words:
                    print(_sim_command(sim, words), file=sys.stderr, flush=True)
            threading.Event().wait()  # stdin closed: serve until a signal
        except KeyboardInterrupt:
            pass
    return 0


def _sim_command(sim: SamSimulator, words: list[str]) -> str:
    from devices.idcard.demo import DEMO_CARDS
    from devices.idcard.simulator import Fault

    faults = {f.value: f for f in Fault}
    verb, rest = words[0], words[1:]
    if verb == "lay" and rest and rest[0] in DEMO_CARDS:
        sim.lay(DEMO_CARDS[rest[0]])
    elif verb == "lift":
        sim.lift()
    elif verb == "unplug":
        sim.unplug()
    elif verb == "replug":
        sim.replug()
    elif verb == "clear":
        sim.clear_faults()
    elif verb == "fault" and rest and rest[0] in faults:
        times = int(rest[1]) if len(rest) > 1 and rest[1].isdigit() else 1
        sim.inject(faults[rest[0]], times=times)
    else:
        return (
            "命令 / commands: lay NAME | lift | unplug | replug | fault NAME [TIMES] | clear | "
            f"quit; cards: {', '.join(DEMO_CARDS)}; faults: {', '.join(faults)}"
        )
    return "ok"
