"""`hallq reports rebuild`: make the closed days' kept figures again from the stored
transitions, beside (or without) the server.

After a layout change (a business's wait target, say) or before the first report over
days from before the roll-ups existed, which would otherwise read every transition once.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from queue_server.cli import data_args
from queue_server.settings import DEFAULT_LAYOUT


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reports", help="统计报表 / the hall's figures")
    rsub = p.add_subparsers(dest="reports_command", required=True)
    rebuild = rsub.add_parser("rebuild", help="重新汇总已结束的日子 / roll closed days up again")
    rebuild.add_argument("--from", dest="start", required=True, type=date.fromisoformat,
                         help="YYYY-MM-DD")
    rebuild.add_argument("--to", dest="end", required=True, type=date.fromisoformat,
                         help="YYYY-MM-DD")
    rebuild.add_argument("--layout", type=Path, default=None,
                         help=f"hall layout (default {DEFAULT_LAYOUT.name})")
    data_args(rebuild)
    rebuild.set_defaults(func=_rebuild)


def _rebuild(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from queue_server.domain import kpi
    from queue_server.domain.layout import load_layout
    from queue_server.domain.tickets import business_day
    from queue_server.settings import Settings
    from queue_server.store.db import make_engine, migrate
    from queue_server.store.reports import Reports

    if args.end < args.start or (args.end - args.start).days > 3660:
        print("hallq reports rebuild: 日期范围有误 / --from must not be after --to (at most "
              "ten years)", file=sys.stderr)
        return 2
    settings = Settings.from_env(layout_path=args.layout, data_dir=args.data, db_url=args.db)
    layout = load_layout(settings.layout_path)
    engine = make_engine(settings.database_url)
    migrate(engine, layout.hall.code)
    now = datetime.now(UTC)
    today = business_day(now, layout.hall.tz, layout.hall.clear_time)
    days = Reports(engine).rebuild(args.start, args.end, kpi.Setup.of(layout), today=today,
                                   now=now)
    print(f"已重新汇总 {days} 天 / {days} closed days rolled up again")
    return 0
