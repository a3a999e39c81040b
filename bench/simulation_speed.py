"""How long `hallq simulate` takes for a full Hengyang day, per policy.

Prints wall-clock seconds per policy for the default design day (seed 1), the queue
entries and HallState calls per second. Run: .venv/bin/python bench/simulation_speed.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from queue_server.domain.layout import load_layout  # noqa: E402
from queue_server.simulation.demand import draw_day, find_demand  # noqa: E402
from queue_server.simulation.engine import simulate  # noqa: E402
from queue_server.simulation.policies import POLICIES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    layout = load_layout(ROOT / "layouts" / "hengyang.toml")
    demand = find_demand(layout)
    t0 = time.perf_counter()
    day = draw_day(demand, layout, 1)
    entries = sum(len(a.steps) for a in day.arrivals)
    print(f"draw the day: {time.perf_counter() - t0:.3f} s, {len(day.arrivals)} arrivals, "
          f"{entries} queue entries")
    total = 0.0
    for policy in POLICIES:
        t0 = time.perf_counter()
        result = simulate(layout, day, policy)
        dt = time.perf_counter() - t0
        total += dt
        print(f"{policy:16} {dt:6.2f} s  {len(result.visits) / dt:7.0f} entries/s  "
              f"mean wait {sum(v.wait or 0 for v in result.visits) / len(result.visits):5.2f} min")
    print(f"all {len(POLICIES)} policies: {total:.2f} s")


if __name__ == "__main__":
    main()
