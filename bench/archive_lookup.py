"""Archive and case lookup latency at a realistic size, through the whole HTTP stack.

Loads the demo data set (`queue_server/cases/demo.py`: tens of thousands of units and
cases) into a fresh database, then times, in this process through the ASGI app:
  health          GET /health, the cost of the HTTP stack alone (the baseline)
  archive/kiosk   POST /archive/lookup by the card holder's ID number (audited)
  archive/staff   POST /archive/lookup by unit number, as a guide (audited)
  case/ok         POST /cases/lookup with a right ID number
  case/wrong      POST /cases/lookup with a wrong ID number, the case existing
  case/none       POST /cases/lookup for a case that does not exist
The last two should be alike: a wrong proof must not tell whether the case exists.
Rate limits are lifted for the run. Prints p50/p99 in milliseconds.

    .venv/bin/python bench/archive_lookup.py [--units 30000] [--cases 20000]
        [--lookups 2000] [--pg postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(n: int, call: Callable[[int], int]) -> list[float]:
    out = []
    for i in range(n):
        t = time.perf_counter()
        status = call(i)
        out.append((time.perf_counter() - t) * 1000)
        if status >= 500:
            raise SystemExit(f"server error {status}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--units", type=int, default=30_000)
    ap.add_argument("--cases", type=int, default=20_000)
    ap.add_argument("--lookups", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pg", default=None, help="a PostgreSQL URL: run in a fresh schema there")
    args = ap.parse_args()
    os.environ["HALLQ_LOOKUP_RATE_KIOSK"] = "1000000000/1"
    os.environ["HALLQ_LOOKUP_RATE_ID"] = "1000000000/1"

    from fastapi.testclient import TestClient

    from queue_server.api.app import create_app
    from queue_server.cases import demo
    from queue_server.security import issue_token
    from queue_server.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="hallq-bench-"))
    schema = None
    db_url = None
    if args.pg:
        import sqlalchemy as sa

        from queue_server.store.db import normalise_url
        schema = f"hallq_bench_{secrets.token_hex(4)}"
        admin = sa.create_engine(normalise_url(args.pg))
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        sep = "&" if "?" in args.pg else "?"
        db_url = f"{normalise_url(args.pg)}{sep}options=-csearch_path%3D{schema}"
    try:
        app = create_app(Settings(data_dir=tmp, db_url=db_url))
        hall = app.state.hall
        engine = app.state.store.engine
        tz = hall.layout.hall.tz
        t0 = time.perf_counter()
        data = demo.generate(units=args.units, cases=args.cases, seed=args.seed, now=hall.clock(),
                             tz=tz)
        t1 = time.perf_counter()
        demo.load(engine, data, key=hall.secret, now=hall.clock(), tz=tz)
        t2 = time.perf_counter()
        print(f"{engine.dialect.name}: {len(data.units)} units, {len(data.cases)} cases, "
              f"{len(data.people)} people — generated in {t1 - t0:.1f} s, loaded in {t2 - t1:.1f} s")

        rng = random.Random(args.seed)
        kiosk = {"Authorization": f"Bearer {issue_token(app.state.store, 'kiosk')}"}
        guide = {"Authorization": f"Bearer {issue_token(app.state.store, 'guide')}"}
        holders = [h.id_number for u in data.units for h in u.holders]
        strangers = [p.id_number for p in data.people]
        n = args.lookups
        client = TestClient(app)
        picks = [rng.choice(holders) for _ in range(n)]
        units = [rng.choice(data.units).unit_no for _ in range(n)]
        cases = [rng.choice(data.cases) for _ in range(n)]
        wrong = [rng.choice(strangers) for _ in range(n)]

        def post(path: str, body: dict, hdr: dict[str, str]) -> int:
            return client.post(f"/api/v1{path}", json=body, headers=hdr).status_code

        for i in range(50):  # warm up connections, caches, compiled statements
            post("/archive/lookup", {"id_number": picks[i]}, kiosk)
        results = {
            "health": timed(n, lambda i: client.get("/api/v1/health").status_code),
            "archive/kiosk": timed(n, lambda i: post("/archive/lookup", {"id_number": picks[i]}, kiosk)),
            "archive/staff": timed(n, lambda i: post("/archive/lookup", {"unit_no": units[i]}, guide)),
            "case/ok": timed(n, lambda i: post("/cases/lookup", {
                "case_no": cases[i].case_no, "id_number": cases[i].applicants[0].id_number}, kiosk)),
            "case/wrong": timed(n, lambda i: post("/cases/lookup", {
                "case_no": cases[i].case_no, "id_number": wrong[i]}, kiosk)),
            "case/none": timed(n, lambda i: post("/cases/lookup", {
                "case_no": f"X{cases[i].case_no}", "id_number": wrong[i]}, kiosk)),
        }
        print(f"{'lookup':<15}{'n':>7}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
        for name, values in results.items():
            print(f"{name:<15}{len(values):>7}{percentile(values, 50):>10.2f}"
                  f"{percentile(values, 99):>10.2f}{statistics.fmean(values):>10.2f}")
        gap = percentile(results["case/wrong"], 50) - percentile(results["case/none"], 50)
        print(f"wrong proof, existing vs missing case: p50 differs by {gap:+.2f} ms")
        engine.dispose()
    finally:
        if schema is not None:
            with admin.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
