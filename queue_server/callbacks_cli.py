"""`hallq callback draw|verify|list`: the monthly call-back (回访) from the command line,
beside (or without) the server, on the same data directory or database.

The list shows masked numbers only: a full number is revealed through the API, where
the reveal is audited under the caller's own token.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from queue_server.cli import data_args
from queue_server.settings import DEFAULT_LAYOUT


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("callback", help="回访 / the monthly call-back")
    csub = p.add_subparsers(dest="callback_command", required=True)
    draw = csub.add_parser("draw", help="抽取当月回访名单 / draw a month's sample, once")
    _common(draw)
    draw.set_defaults(func=_draw)
    verify = csub.add_parser("verify", help="核验抽样 / redraw from the seed and compare")
    _common(verify)
    verify.set_defaults(func=_verify)
    listing = csub.add_parser("list", help="回访名单 / the call list, phones masked")
    listing.add_argument("--json", action="store_true")
    _common(listing)
    listing.set_defaults(func=_list)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--month", required=True, help="YYYY-MM")
    p.add_argument("--layout", type=Path, default=None,
                   help=f"hall layout: time zone and share (default {DEFAULT_LAYOUT.name})")
    data_args(p)


def _service(args: argparse.Namespace) -> Any:
    from datetime import UTC, datetime

    from queue_server.domain.callbacks import parse_share
    from queue_server.domain.layout import load_layout
    from queue_server.secrecy import SecretBox
    from queue_server.settings import Settings, load_secret
    from queue_server.store.callbacks import Callbacks
    from queue_server.store.db import make_engine, migrate

    settings = Settings.from_env(layout_path=args.layout, data_dir=args.data, db_url=args.db)
    hall = load_layout(settings.layout_path).hall
    engine = make_engine(settings.database_url)
    migrate(engine, hall.code)
    return Callbacks(engine, SecretBox(load_secret(settings.data_dir)), tz=hall.tz,
                     share=parse_share(hall.callback_percent), clock=lambda: datetime.now(UTC))


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a bare container
        return "cli"


def _refused(exc: Exception) -> int:
    print(f"hallq callback: {exc}", file=sys.stderr)
    return 1


def _draw(args: argparse.Namespace) -> int:
    from queue_server.domain.errors import DomainError
    from queue_server.store.callbacks import Who
    try:
        d = _service(args).draw(args.month, Who(_operator()))
    except DomainError as exc:
        return _refused(exc)
    print(f"{d['month']} 回访名单已抽取 call-back sample drawn: {d['sample_size']} of "
          f"{d['population']} served visits with a phone ({d['share_percent']} %), "
          f"seed {d['seed']}, population hash {d['population_hash']}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from queue_server.domain.errors import DomainError
    try:
        report = _service(args).verify(args.month)
    except DomainError as exc:
        return _refused(exc)
    if report["ok"]:
        print(f"{report['month']} 抽样核验一致 the draw checks out: {report['sample_size']} of "
              f"{report['population']}, seed {report['draw']['seed']}")
        return 0
    print(f"{report['month']} 抽样核验不一致 the draw does not check out:", file=sys.stderr)
    for problem in report["problems"]:
        print(f"  {problem}", file=sys.stderr)
    return 1


def _list(args: argparse.Namespace) -> int:
    from queue_server.domain.errors import DomainError
    try:
        draw, calls = _service(args).calls(args.month)
    except DomainError as exc:
        return _refused(exc)
    if args.json:
        print(json.dumps({"draw": draw, "calls": calls}, ensure_ascii=False, indent=1))
        return 0
    print(f"{draw['month']}: {draw['sample_size']} of {draw['population']} "
          f"({draw['share_percent']} %)")
    for c in calls:
        o = c["outcome"]
        state = "未回访 pending" if o is None else ("已接通 reached" if o["reached"]
                                                  else "未接通 not reached")
        staff = c["staff"] or "-"
        print(f"{c['rank']:>4} {c['number']:<6} {c['day']} {c['business']:<14} "
              f"window {c['window'] or '-':>3} staff {staff:<8} {c['phone_masked']} {state}")
    return 0
