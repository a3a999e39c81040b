"""`hallq devices print-test`: print a demo ticket (or materials slip) and save its preview."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devices.errors import DeviceError


def load_section(config: str | None, kind: str, default: dict[str, Any]) -> dict[str, Any]:
    """The `[kind]` table of a device TOML file, or `default` when no file is given."""
    if config is None:
        return dict(default)
    from devices.config import load_device_config

    return load_device_config(config).section(kind)


def register(dsub: argparse._SubParsersAction) -> None:
    p = dsub.add_parser(
        "print-test",
        help="打印测试票并保存预览图 / print a demo ticket and save its preview PNG",
        description="Print a demo ticket on the printer in --config (the simulated printer "
        "without it) and write the preview PNG. Exit 1 on any printer error.",
    )
    p.add_argument("--config", help="device TOML file; its [printer] table is used")
    p.add_argument("--preview", default="print-test.png", help="where to write the PNG")
    p.add_argument("--materials", action="store_true", help="print a 一次性告知单 instead")
    p.set_defaults(func=_print_test)


def demo_ticket() -> Any:
    from devices.printer.ticket import TicketPrint

    return TicketPrint(
        hall_name="不动产登记中心（测试）",
        business_zh="二手房转移登记",
        business_en="Second-hand housing transfer",
        number="A001",
        people_ahead=3,
        expected_wait=(5, 15),
        issued_at=datetime.now(UTC),
        follow_url="https://example.invalid/t/TEST",
        window_hint="3号窗口",
    )


def demo_materials() -> Any:
    from devices.printer.ticket import MaterialsPrint

    return MaterialsPrint(
        hall_name="不动产登记中心（测试）",
        business_name="二手房转移登记",
        materials=("不动产权证书原件", "买卖双方身份证原件及复印件", "网签买卖合同"),
        note="此为测试打印",
    )


def _print_test(args: argparse.Namespace) -> int:
    from devices.printer import from_config

    try:
        printer = from_config(load_section(args.config, "printer", {"driver": "sim"}))
        try:
            if args.materials:
                slip = demo_materials()
                Path(args.preview).write_bytes(printer.preview_materials(slip))
                printer.print_materials(slip)
            else:
                ticket = demo_ticket()
                Path(args.preview).write_bytes(printer.preview_ticket(ticket))
                printer.print_ticket(ticket)
            health = printer.health()
        finally:
            printer.close()
    except DeviceError as exc:
        print(f"打印失败 / print failed: {exc}", file=sys.stderr)
        return 1
    print(
        f"已打印（{printer.describe}），预览 {args.preview}；状态 {health.state.value} {health.reason}".rstrip()
    )
    return 0
