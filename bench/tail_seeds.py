"""The tail (issue 15) per seed: the layout's policy against full pooling on Hengyang days.

For each seed, the layout's own policy and full pooling replay the same drawn day through
the real HallState and routing; prints mean and longest wait of both, the ratios, the
estimate MAE of the layout's policy, and whether both bounds (max ≤ 2×, mean ≤ 1.15×
pooling's) hold. Run: PYTHONPATH=$PWD .venv/bin/python bench/tail_seeds.py
[--seeds 1-20,4242] [--jobs 2] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from queue_server.domain.layout import load_layout  # noqa: E402
from queue_server.simulation.demand import draw_day, find_demand  # noqa: E402
from queue_server.simulation.engine import simulate  # noqa: E402
from queue_server.simulation.report import estimate_figures, wait_figures  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MAX_RATIO, MEAN_RATIO = 2.0, 1.15


def seeds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def one(args: tuple[str, int]) -> dict[str, float]:
    path, seed = args
    layout = load_layout(path)
    day = draw_day(find_demand(layout), layout, seed)
    own_run = simulate(layout, day, layout.routing.policy.value)
    own = wait_figures(own_run.visits, layout) | estimate_figures(own_run.visits)
    pool = wait_figures(simulate(layout, day, "full_pooling").visits, layout)
    return {
        "seed": seed, "mean": own["mean_wait_min"], "max": own["max_wait_min"],
        "pool_mean": pool["mean_wait_min"], "pool_max": pool["max_wait_min"],
        "mean_x": own["mean_wait_min"] / pool["mean_wait_min"] if pool["mean_wait_min"] else 0.0,
        "max_x": own["max_wait_min"] / pool["max_wait_min"] if pool["max_wait_min"] else 0.0,
        "mae": own["estimate_mae_min"],
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--layout", default=str(ROOT / "layouts" / "hengyang.toml"))
    p.add_argument("--seeds", type=seeds, default=seeds("1-20,4242"))
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--markdown", action="store_true", help="print a markdown table")
    a = p.parse_args()
    work = [(a.layout, s) for s in a.seeds]
    if a.jobs > 1:
        with ProcessPoolExecutor(a.jobs) as pool:
            rows = list(pool.map(one, work))
    else:
        rows = [one(w) for w in work]
    bad = 0
    if a.markdown:
        print("| seed | mean / max | pooling mean / max | mean × | max × | MAE | ok |")
        print("|---|---|---|---|---|---|---|")
    for r in rows:
        ok = r["max_x"] <= MAX_RATIO and r["mean_x"] <= MEAN_RATIO and r["mae"] <= 2.0
        bad += not ok
        if a.markdown:
            print(f"| {r['seed']} | {r['mean']:.2f} / {r['max']:.1f} | {r['pool_mean']:.2f} / "
                  f"{r['pool_max']:.1f} | {r['mean_x']:.2f} | {r['max_x']:.2f} | "
                  f"{r['mae']:.2f} | {'✓' if ok else '✗'} |")
        else:
            print(f"seed {r['seed']:5d}  mean {r['mean']:5.2f} / pool {r['pool_mean']:5.2f} "
                  f"= {r['mean_x']:4.2f}×  max {r['max']:5.1f} / pool {r['pool_max']:5.1f} "
                  f"= {r['max_x']:4.2f}×  MAE {r['mae']:4.2f}  {'ok' if ok else 'OUT'}")
    print(f"{len(rows) - bad} of {len(rows)} seeds within both bounds")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
