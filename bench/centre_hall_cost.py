"""The centre's cost per added hall: connections, memory and CPU, so a province can size it.

Starts the centre's PostgreSQL cluster and N county halls' (as tests/centre does), then
adds the halls one at a time. After each, with every joined hall issuing a ticket every
INTERVAL seconds for DURATION seconds, it reads at the centre:
- connections: the centre's backends by type (each subscription is one `logical
  replication apply worker`; at the hall, one walsender);
- memory: the proportional set size (Pss, /proc/PID/smaps_rollup) of every process of
  the centre's server, so shared buffers are counted once;
- CPU: the centre's processes' user+system time over the window, as a share of one core.
Prints a line per step and the cost of one more hall (the last step's less the first's,
per hall).

    PYTHONPATH=. python bench/centre_hall_cost.py [--halls 3] [--duration 15] [--interval 0.1]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402

from queue_server.centre.replication import add_hall, conninfo, status  # noqa: E402
from queue_server.domain.errors import LimitReached  # noqa: E402
from queue_server.hall import Hall  # noqa: E402
from queue_server.store.db import make_engine, migrate  # noqa: E402
from queue_server.store.repository import Store  # noqa: E402
from tests.centre.clusters import Cluster, server_bin  # noqa: E402
from tests.centre.conftest import layout_for, wait_for  # noqa: E402
from tests.conftest import Clock  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def server_pids(cluster: Cluster) -> list[int]:
    """The postmaster and its children."""
    master = int((cluster.data / "postmaster.pid").read_text().split()[0])
    kids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == master:
                kids.append(int(d.name))
    return [master, *kids]


def pss_kb(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_s(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / TICK


def backends(info: str) -> dict[str, int]:
    with psycopg.connect(info) as conn:
        return dict(conn.execute(  # type: ignore[arg-type]
            "SELECT backend_type, count(*) FROM pg_stat_activity GROUP BY 1").fetchall())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--halls", type=int, default=4)
    ap.add_argument("--duration", type=float, default=15)
    ap.add_argument("--interval", type=float, default=0.1)
    args = ap.parse_args()
    bin_dir = server_bin()
    if bin_dir is None:
        print("no PostgreSQL server binaries: skipped")
        return 0
    codes = [f"XC{i:02d}" for i in range(1, args.halls + 1)]
    centre = Cluster("centre-cost", bin_dir, durable=True)
    clusters = {c: Cluster(c.lower(), bin_dir, durable=True) for c in codes}
    try:
        for c in (centre, *clusters.values()):
            c.init()
            c.start()
        centre_url = centre.create_db("city")
        info = conninfo(centre_url)
        halls: dict[str, Hall] = {}
        urls = {}
        for code in codes:
            urls[code] = clusters[code].create_db("hall")
            engine = make_engine(urls[code])
            migrate(engine, code)
            clock = Clock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
            halls[code] = Hall(layout_for(code), Store(engine), b"k" * 32, clock=clock)

        def measure(joined: list[str]) -> dict[str, float]:
            stop = threading.Event()
            issued = [0]

            def issue(hall: Hall) -> None:
                businesses = ["second_hand", "mortgage", "cancel", "certificate", "query"]
                k = 0
                while not stop.wait(args.interval) and businesses:
                    k += 1
                    hall.clock.advance(seconds=1)  # type: ignore[attr-defined]
                    b = businesses[k % len(businesses)]
                    try:
                        hall.issue(b, actor="kiosk:bench")
                        issued[0] += 1
                    except LimitReached:
                        businesses.remove(b)

            pids = server_pids(centre)
            c0, t0 = cpu_s(pids), time.monotonic()
            workers = [threading.Thread(target=issue, args=(halls[c],)) for c in joined]
            for w in workers:
                w.start()
            stop.wait(args.duration)
            stop.set()
            for w in workers:
                w.join()
            pids = server_pids(centre)
            cpu = (cpu_s(pids) - c0) / (time.monotonic() - t0)
            kinds = backends(info)
            return {"halls": len(joined), "cpu": cpu, "pss_mb": pss_kb(pids) / 1024,
                    "processes": len(pids),
                    # "logical replication worker" before PostgreSQL 16, "… apply worker" after
                    "apply": sum(n for k, n in kinds.items()
                                 if k.startswith("logical replication") and "launcher" not in k),
                    "connections": sum(kinds.values()), "issued": issued[0]}

        rows = [measure([])]
        for i, code in enumerate(codes):
            add_hall(code, urls[code], centre_url)
            joined = codes[: i + 1]
            wait_for(lambda j=joined: [s.state for s in status(  # type: ignore[misc]
                centre_url, today=datetime(2026, 11, 23).date())] == ["streaming"] * len(j),
                f"{code} streaming", timeout=120)
            rows.append(measure(joined))
        print(f"each joined hall issuing {1 / args.interval:.0f} tickets/s for "
              f"{args.duration:.0f} s (the Hengyang hall's peak is ~0.3/s)")
        print("halls  centre CPU (share of a core)  centre Pss MB  processes  apply workers"
              "  backends  tickets issued")
        for r in rows:
            print(f"{r['halls']:>5}  {r['cpu']:>27.3f}  {r['pss_mb']:>12.1f}  {r['processes']:>9}"
                  f"  {r['apply']:>13}  {r['connections']:>8}  {r['issued']:>14}")
        first, last = rows[1], rows[-1]
        n = max(1, last["halls"] - first["halls"])
        print(f"per added hall (from 1 to {last['halls']} halls): CPU "
              f"{(last['cpu'] - first['cpu']) / n:+.3f} of a core at "
              f"{1 / args.interval:.0f} tickets/s, memory {(last['pss_mb'] - first['pss_mb']) / n:+.1f}"
              f" MB, processes {(last['processes'] - first['processes']) / n:+.0f}, backends "
              f"{(last['connections'] - first['connections']) / n:+.0f} (one apply worker; one "
              "walsender and one slot at the hall); the first hall over none: CPU "
              f"{first['cpu'] - rows[0]['cpu']:+.3f}, memory "
              f"{first['pss_mb'] - rows[0]['pss_mb']:+.1f} MB (the launcher's first worker)")
        return 0
    finally:
        for c in (centre, *clusters.values()):
            c.remove()


if __name__ == "__main__":
    sys.exit(main())
