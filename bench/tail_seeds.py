"""The tail (issue 15) per seed: the layout's policy against full pooling on Hengyang days.

For each seed, the layout's own policy and full pooling replay the same drawn day through
the real HallState and routing; prints mean and longest wait of both, the ratios, the
estimate MAE of the layout's policy, and whether the bounds (max ≤ 2×, mean ≤ 1.15×
pooling's, MAE ≤ 2 min) hold. `--all-skills` adds the layout's policy on the pooled
layout (every front window lists every business, its own first): what the same routing
does without the layout's skill limits, which tells routing from cross-training.

Run: PYTHONPATH=$PWD .venv/bin/python bench/tail_seeds.py [--seeds 1-20,4242] [--jobs 2]
[--overdue MIN] [--demand TOML] [--all-skills] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from queue_server.domain.layout import Layout, load_layout  # noqa: E402
from queue_server.simulation.demand import draw_day, find_demand  # noqa: E402
from queue_server.simulation.engine import simulate  # noqa: E402
from queue_server.simulation.policies import full_pooling  # noqa: E402
from queue_server.simulation.report import estimate_figures, wait_figures  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MAX_RATIO, MEAN_RATIO, MAE = 2.0, 1.15, 2.0


def seeds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


def one(job: tuple[str, str | None, float | None, bool, int]) -> dict[str, Any]:
    path, demand_path, overdue, all_skills, seed = job
    layout: Layout = load_layout(path)
    if overdue is not None:
        layout = replace(layout, routing=replace(layout.routing, overdue_minutes=overdue))
    day = draw_day(find_demand(layout, Path(demand_path) if demand_path else None), layout, seed)
    policy = layout.routing.policy.value
    run = simulate(layout, day, policy)
    own = wait_figures(run.visits, layout) | estimate_figures(run.visits)
    pool = wait_figures(simulate(layout, day, "full_pooling").visits, layout)
    row: dict[str, Any] = {
        "seed": seed, "mean": own["mean_wait_min"], "max": own["max_wait_min"],
        "pool_mean": pool["mean_wait_min"], "pool_max": pool["max_wait_min"],
        "mean_x": _ratio(own["mean_wait_min"], pool["mean_wait_min"]),
        "max_x": _ratio(own["max_wait_min"], pool["max_wait_min"]),
        "mae": own["estimate_mae_min"],
    }
    if all_skills:
        # The pooled layout keeps the layout's routing: only the skill lists change.
        pooled = full_pooling(layout)
        pooled = replace(pooled, routing=layout.routing)
        every = wait_figures(simulate(pooled, day, policy).visits, layout)
        row["all_mean_x"] = _ratio(every["mean_wait_min"], pool["mean_wait_min"])
        row["all_max_x"] = _ratio(every["max_wait_min"], pool["max_wait_min"])
    row["ok"] = row["max_x"] <= MAX_RATIO and row["mean_x"] <= MEAN_RATIO and row["mae"] <= MAE
    return row


def main() -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--layout", default=str(ROOT / "layouts" / "hengyang.toml"))
    p.add_argument("--demand", default=None, help="demand TOML (default: beside the layout)")
    p.add_argument("--seeds", type=seeds, default=seeds("1-20,4242"))
    p.add_argument("--overdue", type=float, default=None, help="override overdue_minutes")
    p.add_argument("--all-skills", action="store_true",
                   help="also run the layout's policy with every window listing every business")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--markdown", action="store_true", help="print a markdown table")
    a = p.parse_args()
    work = [(a.layout, a.demand, a.overdue, a.all_skills, s) for s in a.seeds]
    if a.jobs > 1:
        with ProcessPoolExecutor(a.jobs) as pool:
            rows = list(pool.map(one, work))
    else:
        rows = [one(w) for w in work]
    extra = " all skills: mean × / max × |" if a.all_skills else ""
    if a.markdown:
        print(f"| seed | mean / max | pooling mean / max | mean × | max × | MAE |{extra} ok |")
        print("|---" * (8 + (1 if a.all_skills else 0)) + "|")
    for r in rows:
        more = (f" {r['all_mean_x']:.2f} / {r['all_max_x']:.2f} |" if a.all_skills else "")
        if a.markdown:
            print(f"| {r['seed']} | {r['mean']:.2f} / {r['max']:.1f} | {r['pool_mean']:.2f} / "
                  f"{r['pool_max']:.1f} | {r['mean_x']:.2f} | {r['max_x']:.2f} | "
                  f"{r['mae']:.2f} |{more} {'✓' if r['ok'] else '✗'} |")
        else:
            print(f"seed {r['seed']:5d}  mean {r['mean']:5.2f} / pool {r['pool_mean']:5.2f} "
                  f"= {r['mean_x']:4.2f}×  max {r['max']:5.1f} / pool {r['pool_max']:5.1f} "
                  f"= {r['max_x']:4.2f}×  MAE {r['mae']:4.2f}{more.rstrip(' |')}  "
                  f"{'ok' if r['ok'] else 'OUT'}")
    bad = sum(1 for r in rows if not r["ok"])
    print(f"{len(rows) - bad} of {len(rows)} seeds within the bounds")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
