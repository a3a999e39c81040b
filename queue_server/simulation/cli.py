"""`hallq simulate`: compare routing policies on simulated hall days."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="模拟一天的大厅并比较叫号策略 / simulate a hall day, compare routing")
    p.add_argument("--layout", type=Path, default=None, help="layout TOML (default layouts/hengyang.toml)")
    p.add_argument("--demand", type=Path, default=None,
                   help="demand TOML (default: demand-<layout>.toml beside the layout, else derived)")
    p.add_argument("--seed", type=int, default=1, help="random seed (day k of --days uses seed + k)")
    p.add_argument("--volume", type=float, default=None, metavar="X",
                   help="scale the demand file's counts by X instead of its own volume")
    p.add_argument("--days", type=int, default=1, help="days to simulate, figures pooled")
    p.add_argument("--policy", action="append", default=None, metavar="NAME",
                   help="policy to run, repeatable (default: dedicated, own_first, "
                        "oldest_eligible, full_pooling)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--plot", type=Path, default=None, metavar="PNG",
                   help="write a PNG of waiting tickets over the day")
    p.set_defaults(func=_simulate)


def _simulate(args: argparse.Namespace) -> int:
    from queue_server.domain.layout import LayoutError, load_layout
    from queue_server.settings import DEFAULT_LAYOUT
    from queue_server.simulation.demand import DemandError, find_demand
    from queue_server.simulation.policies import POLICIES
    from queue_server.simulation.report import compare, table

    policies = tuple(args.policy or POLICIES)
    unknown = [p for p in policies if p not in POLICIES]
    if unknown:
        print(f"未知策略 unknown policy: {', '.join(unknown)} (use {', '.join(POLICIES)})",
              file=sys.stderr)
        return 2
    if args.days < 1:
        print("--days 至少为 1 / must be at least 1", file=sys.stderr)
        return 2
    try:
        layout = load_layout(args.layout or DEFAULT_LAYOUT)
        demand = find_demand(layout, args.demand)
        if args.volume is not None:
            if args.volume <= 0:
                raise DemandError("--volume 应大于 0 / must be above 0")
            demand = demand.scaled(args.volume)
    except LayoutError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 1
    except DemandError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    doc, runs = compare(layout, demand, seed=args.seed, days=args.days, policies=policies)
    if args.plot is not None:
        from queue_server.simulation.plot import plot_waiting
        plot_waiting({p: rs[0].series for p, rs in runs.items()}, args.plot,
                     title=f"{layout.hall.name_en or layout.hall.name} seed {args.seed}")
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, sort_keys=False))
    else:
        print(f"{layout.hall.name} · {doc['arrivals']} 位来访 arrivals · "
              f"{doc['queue_entries']} 次排队 queue entries · 种子 seed {args.seed} · "
              f"{args.days} 天 day(s) · 等候单位：分钟 minutes")
        print(table(doc))
    return 0
