"""`hallq simulate`: compare routing policies on simulated hall days."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path


def _day(text: str) -> date:
    """A business day as YYYY-MM-DD; anything else is argparse's error (exit 2)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"日期应为 YYYY-MM-DD / a date is YYYY-MM-DD, not '{text}'") from None


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
    r = p.add_argument_group("回放 replay a stored day")
    r.add_argument("--replay", type=_day, default=None, metavar="DAY",
                   help="replay the stored business day DAY (YYYY-MM-DD) under each policy")
    r.add_argument("--data", type=Path, default=None, help="data directory (default ./var)")
    r.add_argument("--db", default=None, help="database URL (default SQLite in the data dir)")
    r.add_argument("--extra-windows", type=int, default=0, metavar="N",
                   help="also run each policy with N more windows, cloned from the busiest "
                        "business's window")
    r.add_argument("--extra-business", default=None, metavar="CODE",
                   help="clone the extra windows from a window of this business instead")
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
    if args.replay is not None:
        return _replay(args, policies)
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


def _replay(args: argparse.Namespace, policies: tuple[str, ...]) -> int:
    from queue_server.domain.layout import LayoutError, load_layout
    from queue_server.settings import Settings
    from queue_server.simulation.replay import (
        ReplayError,
        compare_replay,
        local_midnight,
        rebuild,
        replay_table,
    )
    from queue_server.store.db import make_engine, migrate
    from queue_server.store.replay import read_day

    drawn = [name for name, used in (("--demand", args.demand), ("--volume", args.volume),
                                     ("--plot", args.plot), ("--days", args.days != 1)) if used]
    if drawn:
        # They shape drawn days; a replayed day is what it was.
        print(f"{', '.join(drawn)} 不能与 --replay 同用 / cannot be used with --replay",
              file=sys.stderr)
        return 2
    if args.extra_windows < 0:
        print("--extra-windows 不能为负 / must not be negative", file=sys.stderr)
        return 2
    # The server's own settings (HALLQ_LAYOUT, HALLQ_DATA, HALLQ_DB): the replay reads the
    # database the hall wrote, with the layout it ran.
    settings = Settings.from_env(layout_path=args.layout, data_dir=args.data, db_url=args.db)
    try:
        layout = load_layout(settings.layout_path)
    except LayoutError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 1
    engine = make_engine(settings.database_url)
    try:
        migrate(engine, layout.hall.code)
        rows, events = read_day(engine, args.replay, local_midnight(layout, args.replay))
    finally:
        engine.dispose()
    try:
        replay = rebuild(layout, args.replay, rows, events)
        doc, _ = compare_replay(layout, replay, policies=policies, extra=args.extra_windows,
                                business=args.extra_business)
    except ReplayError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if replay.skipped:
        print(f"跳过 {replay.skipped} 张号：其业务已不在布局中 / skipped {replay.skipped} tickets "
              "of businesses no longer in the layout", file=sys.stderr)
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, sort_keys=False))
        return 0
    extra = (f" · 加开 extra {args.extra_windows} × {doc['extra_business']} "
             f"(窗口 windows {', '.join(map(str, doc['extra_window_numbers']))})"
             if doc["extra_window_numbers"] else "")
    print(f"{layout.hall.name} · 回放 replay {doc['day']} · {doc['tickets']} 张号 tickets · "
          f"{doc['queue_entries']} 次排队 queue entries · {len(doc['windows'])} 个窗口 windows"
          f"{extra} · 等候单位：分钟 minutes")
    print(replay_table(doc))
    print(f"* 当天所用策略 the policy the hall ran ({doc['layout_policy']})")
    return 0
