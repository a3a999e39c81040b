"""A month's city-wide report at the centre: every hall's /reports figures by business and
the city's, over many halls' generated data (what `GET /centre/figures?from&to` does).

Starts a PostgreSQL cluster of its own (as tests/centre does), prepares the centre's
schema, then writes each hall's working days straight into it with COPY: tickets,
events, ratings and work orders from bench/reports.py's hall model (the Hengyang
layout), each row with its hall's code, as replication would have brought them. Then:
1. with --transitions, the month's report read from the transitions (no roll-ups at the
   centre yet: the halls' clears of that month have not arrived), once;
2. the halls' daily roll-ups of the month (at a hall, its daily clear makes them and
   they replicate; here made at the centre for each hall, timed apart);
3. the month's report as the centre normally makes it, from the roll-ups: first run and
   p50/max of the repeats. Aim: under 2 s for 20 halls × a year (≈ 4 million tickets).
The data size (rows, and the database's size on disk) is printed beside the figures.

    PYTHONPATH=. python bench/centre_city_report.py           # quick: 20 halls × December, 200 a day
    PYTHONPATH=. python bench/centre_city_report.py --full    # 20 halls × 1 year, 800 a day (≈4 M)
        [--halls 20] [--days 365] [--per-day 800] [--repeat 5] [--transitions]

One hall's days are generated once and copied under every hall's code (generation is
the slow part); the report reads only the month's rows, so `--days 31 --per-day 800`
measures the month at the full size's density without the other eleven months.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import psycopg  # noqa: E402
from centre_hall_cost import cpu_s, server_pids  # noqa: E402
from reports import LAYOUT, HallModel, working_days  # noqa: E402

from queue_server.centre.figures import period_figures  # noqa: E402
from queue_server.centre.replication import conninfo, prepare_centre  # noqa: E402
from queue_server.domain import kpi  # noqa: E402
from queue_server.domain.layout import load_layout  # noqa: E402
from queue_server.store.db import make_engine  # noqa: E402
from queue_server.store.reports import Reports  # noqa: E402
from queue_server.store.tables import HALL_OPTION, metadata  # noqa: E402
from tests.centre.clusters import Cluster, server_bin  # noqa: E402

END = date(2025, 12, 31)  # the generated year ends here; the report is its December
MONTH = (date(2025, 12, 1), END)
TODAY = date(2026, 1, 5)
NOW = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)

TICKET_COLS = ("hall", "id", "day", "number", "seq", "business", "origin_business", "status",
               "priority", "issued_at", "queued_at", "parked", "recalls", "journey_step",
               "channel", "journey", "closed_reason", "finished_at")
EVENT_COLS = ("hall", "seq", "at", "type", "actor", "ticket_id", "window", "data", "staff")
EVAL_COLS = ("hall", "id", "ticket_id", "number", "day", "service_seq", "window", "staff",
             "business", "case_no", "channel", "rating", "comment", "at")
ORDER_COLS = ("hall", "id", "evaluation_id", "ticket_id", "number", "window", "staff",
              "business", "rating", "status", "opened_at", "due_date", "replied_at")


def scalar_defaults(table: str, given: tuple[str, ...]) -> dict[str, object]:
    out: dict[str, object] = {}
    for c in metadata.tables[table].columns:
        if c.name not in given and c.default is not None and c.default.is_scalar:
            out[c.name] = c.default.arg
    return out


def hall_codes(n: int) -> list[str]:
    return [f"XQ{i:02d}" for i in range(1, n + 1)]


def load(info: str, layout, codes: list[str], days: int, per_day: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """One hall's days generated once (the model is the slow part, ~150 tickets a second
    on a loaded machine), then COPYed under every hall's code: the centre's work is the
    same whichever hall a row came from."""
    counts = {"tickets": 0, "events": 0, "evaluations": 0, "work_orders": 0}
    model = HallModel(layout, seed=1, per_day=per_day)
    all_days = list(working_days(END, days))
    tables = (("tickets", TICKET_COLS, "tickets"), ("events", EVENT_COLS, "events"),
              ("evaluations", EVAL_COLS, "evaluations"), ("work_orders", ORDER_COLS, "orders"))
    with psycopg.connect(info) as conn:
        # Twenty days at a time: bounded memory; tables in their foreign keys' order.
        for start in range(0, len(all_days), 20):
            chunk = [model.day(d) for d in all_days[start:start + 20]]
            for table, cols, key in tables:
                # Defaults SQLAlchemy would fill in an INSERT; COPY takes them explicit.
                fixed = scalar_defaults(table, cols)
                every = (*cols, *fixed)
                rows = [[{**r, **fixed}.get(c) if c != "data" else json.dumps(
                    r["data"], ensure_ascii=False) for c in every]
                    for day in chunk for r in getattr(day, key)]
                names = ", ".join(f'"{c}"' for c in every)
                for code in codes:
                    with conn.cursor() as cur, cur.copy(
                            f"COPY {table} ({names}) FROM STDIN") as cp:
                        for row in rows:
                            row[0] = code  # "hall" comes first in every column list
                            cp.write_row(row)
                    counts["work_orders" if key == "orders" else key] += len(rows)
            conn.commit()
            print(f"  {all_days[min(start + 19, len(all_days) - 1)]}: {counts['tickets']:,} "
                  "tickets so far", flush=True)
        for code in codes:
            # The hall's register row travels too: the centre lists its halls from it.
            conn.execute("INSERT INTO halls (hall, name, recorded_at) VALUES (%s, %s, now())",
                         (code, f"bench hall {code}"))
        conn.commit()
        conn.execute("ANALYZE")
    return counts


def size_of(info: str) -> str:
    with psycopg.connect(info) as conn:
        return str(conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))"
                                ).fetchone()[0])  # type: ignore[index]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--full", action="store_true", help="20 halls × 365 days × 800 a day")
    p.add_argument("--halls", type=int, default=None)
    p.add_argument("--days", type=int, default=None)
    p.add_argument("--per-day", type=int, default=None)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--transitions", action="store_true",
                   help="also time the month from the transitions, before any roll-up")
    args = p.parse_args()
    halls = args.halls or 20
    days = args.days or (365 if args.full else 31)
    per_day = args.per_day or (800 if args.full else 200)
    bin_dir = server_bin()
    if bin_dir is None:
        print("no PostgreSQL server binaries (initdb, pg_ctl): skipped")
        return 0
    cluster = Cluster("cityreport", bin_dir)
    try:
        cluster.init()
        with open(cluster.data / "postgresql.conf", "a") as f:
            f.write("shared_buffers = 256MB\nwork_mem = 32MB\nmax_wal_size = 4GB\n")
        cluster.start()
        url = cluster.create_db("city")
        info = conninfo(url)
        engine = make_engine(url)
        prepare_centre(engine)
        layout = load_layout(LAYOUT)
        setup = kpi.Setup.of(layout)
        codes = hall_codes(halls)
        t0 = time.perf_counter()
        counts = load(info, layout, codes, days, per_day)
        print(f"generated and copied in {time.perf_counter() - t0:.0f} s: {halls} halls × "
              f"{days} days ({sum(1 for _ in working_days(END, days))} working), "
              f"{counts['tickets']:,} tickets, {counts['events']:,} events, "
              f"{counts['evaluations']:,} ratings, {counts['work_orders']:,} work orders; "
              f"database {size_of(info)}")

        def report() -> dict:  # type: ignore[type-arg]
            return period_figures(engine, *MONTH, setup, today=TODAY, now=NOW, links={})

        month_tickets = sum(1 for d in working_days(END, days) if d >= MONTH[0]) * per_day * halls
        cold = None
        if args.transitions:
            t = time.perf_counter()
            cold = report()
            raw = time.perf_counter() - t
            print(f"month {MONTH[0]}..{MONTH[1]} city-wide from transitions (no roll-ups): "
                  f"{raw:.2f} s over {cold['city']['totals']['arrived']:,} arrivals at a service "
                  f"(transfers and journeys count at each service; {month_tickets:,} tickets)")
        t = time.perf_counter()
        first = codes[0]
        run = [MONTH[0] + timedelta(days=i) for i in range((MONTH[1] - MONTH[0]).days + 1)]
        Reports(engine.execution_options(**{HALL_OPTION: first}), first).compute(
            kpi.By.BUSINESS, run, setup, today=TODAY, now=NOW)
        took = time.perf_counter() - t
        with engine.begin() as conn:  # the other halls' are the same figures
            for code in codes[1:]:
                conn.exec_driver_sql(
                    "INSERT INTO report_days (hall, day, by, key, figures, computed_at) "
                    "SELECT %(c)s, day, by, key, figures, computed_at FROM report_days "
                    "WHERE hall = %(f)s", {"c": code, "f": first})
            kept = conn.exec_driver_sql("SELECT count(*), pg_size_pretty(pg_total_relation_size"
                                        "('report_days')) FROM report_days").one()
        print(f"one hall's daily roll-ups of the month (each hall makes its own at its daily "
              f"clear; they replicate): {took:.1f} s; report_days {kept[0]:,} rows, {kept[1]}")
        runs, cpus = [], []
        for _ in range(args.repeat + 1):
            # Wall time on a loaded machine, and the CPU the report used: this process's
            # and the database server's (the difference is waiting for a core).
            pids = server_pids(cluster)
            c0, p0, t = cpu_s(pids), time.process_time(), time.perf_counter()
            body = report()
            runs.append(time.perf_counter() - t)
            cpus.append(time.process_time() - p0 + cpu_s(server_pids(cluster)) - c0)
        if cold is not None:
            # The roll-ups' path and the transitions' give the same figures, row by row.
            assert body["city"] == cold["city"], "roll-ups disagree (city)"
            assert body["halls"] == cold["halls"], "roll-ups disagree (halls)"
        later = runs[1:]
        verdict = "OK" if max(runs) < 2 else "OVER"
        print(f"month city-wide from roll-ups ({halls} halls): first {runs[0]:.2f} s, p50 "
              f"{statistics.median(later):.2f} s, max {max(later):.2f} s — aim < 2 s: "
              f"{verdict}; CPU used p50 {statistics.median(cpus[1:]):.2f} s (Python and "
              f"PostgreSQL); data {counts['tickets']:,} tickets, {counts['events']:,} events, "
              f"database {size_of(info)}")
        engine.dispose()
        return 0
    finally:
        cluster.remove()


if __name__ == "__main__":
    sys.exit(main())
