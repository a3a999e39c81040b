"""Replication lag hall → centre: two county halls issuing at once, the centre watched.

Starts three PostgreSQL clusters (as tests/centre does), adds both halls, then each hall
issues a ticket every INTERVAL seconds for DURATION seconds (default 20 a second per hall,
some 60 times the Hengyang hall's peak hour) while a watcher polls the centre every 10 ms;
a ticket's lag is from its commit at the hall to the watcher first seeing it. Prints
p50/p99/max and the tickets lost or doubled.

    PYTHONPATH=. python bench/centre_lag.py [--duration 30] [--interval 0.05]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402

from queue_server.centre.replication import add_hall  # noqa: E402
from queue_server.domain.errors import LimitReached  # noqa: E402
from queue_server.hall import Hall  # noqa: E402
from queue_server.store.db import make_engine, migrate, normalise_url  # noqa: E402
from queue_server.store.repository import Store  # noqa: E402
from tests.centre.clusters import Cluster, server_bin  # noqa: E402
from tests.centre.conftest import layout_for  # noqa: E402
from tests.conftest import Clock  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--interval", type=float, default=0.05)
    args = ap.parse_args()
    bin_dir = server_bin()
    if bin_dir is None:
        print("no PostgreSQL server binaries: skipped")
        return 0
    clusters = {n: Cluster(n, bin_dir, durable=True) for n in ("centre", "hy01", "ly02")}
    try:
        for c in clusters.values():
            c.init()
            c.start()
        centre_url = clusters["centre"].create_db("city")
        halls = {}
        for code in ("HY01", "LY02"):
            url = clusters[code.lower()].create_db("hall")
            engine = make_engine(url)
            migrate(engine, code)
            clock = Clock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))  # 09:00, a working day
            halls[code] = Hall(layout_for(code), Store(engine), b"k" * 32, clock=clock)
            add_hall(code, url, centre_url)
        committed: dict[str, float] = {}
        seen: dict[str, float] = {}
        doubled = 0
        stop = threading.Event()

        def issue(hall: Hall) -> None:
            businesses = ["second_hand", "mortgage", "cancel", "certificate", "query"]
            k = 0
            while not stop.is_set() and businesses:
                k += 1
                hall.clock.advance(seconds=1)  # type: ignore[attr-defined]
                business = businesses[k % len(businesses)]
                try:
                    t = hall.issue(business, actor="kiosk:bench")
                except LimitReached:  # the business's daily cap: the others go on
                    businesses.remove(business)
                    continue
                committed[t.id] = time.monotonic()
                time.sleep(args.interval)

        centre = create_engine(normalise_url(centre_url))
        time.sleep(2)  # the subscriptions' first copy
        wal_q = text("SELECT pg_current_wal_lsn()::text")
        wal_start = {c: h.store.engine.connect().execute(wal_q).scalar()
                     for c, h in halls.items()}
        workers = [threading.Thread(target=issue, args=(h,)) for h in halls.values()]
        for w in workers:
            w.start()
        end = time.monotonic() + args.duration
        with centre.connect() as conn:
            while True:
                now = time.monotonic()
                if now > end and not stop.is_set():
                    stop.set()
                    for w in workers:
                        w.join()
                    end_wait = now + 30
                if stop.is_set() and (len(seen) >= len(committed) or now > end_wait):
                    break
                ids = conn.execute(text("SELECT id FROM tickets")).scalars().all()  # small
                conn.rollback()
                now = time.monotonic()
                for i in ids:
                    seen.setdefault(i, now)
                doubled = len(ids) - len(set(ids))
                time.sleep(0.01)
        wal_bytes = 0
        for c, h in halls.items():
            with h.store.engine.connect() as hc:
                wal_bytes += hc.execute(text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), "
                                             ":s)::bigint"), {"s": wal_start[c]}).scalar()
        lags = sorted((seen[i] - committed[i]) * 1000 for i in committed if i in seen)
        lost = len(committed) - len(lags)
        q = statistics.quantiles(lags, n=100)
        print(f"tickets {len(committed)} over {args.duration:.0f} s at two halls "
              f"({len(committed) / args.duration / 2:.1f}/s each, asked {1 / args.interval:.0f}/s); lag hall → centre p50 {q[49]:.0f} ms, "
              f"p99 {q[98]:.0f} ms, max {lags[-1]:.0f} ms (10 ms polling included); "
              f"lost {lost}, doubled {doubled}; hall WAL {wal_bytes / len(committed):.0f} "
              "bytes per ticket issued (what a slot holds while the centre is away)")
        centre.dispose()
        return 0 if lost == 0 and doubled == 0 else 1
    finally:
        for c in clusters.values():
            c.remove()


if __name__ == "__main__":
    sys.exit(main())
