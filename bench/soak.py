"""Soak: the demo traffic at many times a real hall's rate, every page and 200 event-stream
clients connected, on SQLite and on PostgreSQL.

For each database: `hallq serve` (Hengyang layout, no --demo) in its own process; the
demo traffic (`queue_server/demo/traffic.py`: kiosks, clerks signed in with 工号, pads on
the event stream, all through the HTTP API) in this process at SPEED × the Hengyang
demand's mean rate, time compressed by the same factor, for SECONDS (SPEED × SECONDS /
3600 hours of a hall day); every page (hall screen, window display, window console, guide
console, pad, manager) open in headless Chromium; 200 WebSocket clients in a worker
process counting every event they are sent. Printed: the server's memory over time and
its growth per thousand tickets, p50/p99 of issue and call-next, events delivered against
events stored, tickets lost (issued to a kiosk, unknown to the server) or doubled (one
number twice), and the server's open file descriptors before, during and after.

    .venv/bin/python bench/soak.py [--speed 30] [--seconds 120] [--clients 200]
                                   [--db sqlite,postgresql] [--no-pages]

PostgreSQL is taken from HALLQ_TEST_PG's server (default 127.0.0.1:5432, user postgres):
the bench creates its own database `hallq_soak_bench` there and drops it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from _server import _answering, hall_env  # noqa: E402

from hallenv import HallqEnv  # noqa: E402
from queue_server.demo.behaviour import mix_of  # noqa: E402
from queue_server.demo.traffic import Traffic, prepare  # noqa: E402
from queue_server.domain.layout import load_layout  # noqa: E402
from queue_server.simulation.demand import find_demand  # noqa: E402

LAYOUT_PATH = REPO / "layouts" / "hengyang.toml"
CHROMIUM = "/usr/bin/chromium"
PG_DB = "hallq_soak_bench"


# --- the event-stream clients, in a worker process ---------------------------------------

def clients_worker(url: str, count: int, conn: Connection) -> None:
    asyncio.run(_clients(url, count, conn))


async def _clients(url: str, count: int, conn: Connection) -> None:
    from websockets.asyncio.client import connect

    seen: list[set[int]] = [set() for _ in range(count)]
    first: list[int] = [0] * count
    closed: Counter[int] = Counter()
    ready = 0
    last = [time.monotonic()]
    handshakes = asyncio.Semaphore(40)

    async def client(i: int) -> None:
        nonlocal ready
        async with handshakes:
            ws = await connect(url, open_timeout=120, max_size=None)
            first[i] = json.loads(await ws.recv())["seq"]
        ready += 1
        try:
            async for raw in ws:
                m = json.loads(raw)
                if m.get("type") != "queues" and m.get("seq"):
                    seen[i].add(int(m["seq"]))
                    last[0] = time.monotonic()
        except Exception:  # noqa: BLE001 (a close is counted, whatever its kind)
            closed[getattr(ws, "close_code", None) or 0] += 1

    tasks = [asyncio.create_task(client(i)) for i in range(count)]
    while ready < count:
        await asyncio.sleep(0.1)
    conn.send("ready")
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "stop"
    # What is still on its way arrives; then nothing more for 2 s (at most 30 s in all).
    settle = time.monotonic() + 30
    while time.monotonic() - last[0] < 2.0 and time.monotonic() < settle:
        await asyncio.sleep(0.2)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    conn.send({"first": first, "seen": [sorted(s) for s in seen], "closed": dict(closed)})


# --- the server process's figures -----------------------------------------------------------

def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _fd_kind(pid: int, fd: str) -> str:
    try:
        target = os.readlink(f"/proc/{pid}/fd/{fd}")
    except OSError:
        return "gone"
    if target.startswith(("socket:", "pipe:", "anon_inode:")):
        return target.split(":")[0] if not target.startswith("anon_inode:") else target
    return Path(target).name if "hallq" in target else "file"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] * 1000


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares MiB per ticket over (tickets, MiB) samples."""
    if len(points) < 2:
        return 0.0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


# --- one run --------------------------------------------------------------------------------

async def open_pages(base: str, tokens: dict[str, str], hand: int, pad: int):  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright
    pw = await async_playwright().start()
    browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                       args=["--no-sandbox", "--disable-gpu"])
    urls = [f"/display/hall?token={tokens['display']}",
            f"/display/window/{pad}?token={tokens['display']}",
            f"/console/window/{hand}?token={tokens['window']}",
            f"/console/guide?token={tokens['guide']}",
            f"/pad/window/{pad}?token={tokens['pad']}",
            f"/manager?token={tokens['manager']}"]
    errors: list[str] = []
    for url in urls:
        ctx = await browser.new_context(viewport={"width": 1280, "height": 800},
                                        reduced_motion="reduce")
        page = await ctx.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(base + url)
    return pw, browser, errors


def port_in(ports: range) -> int:
    import socket
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port in {ports.start}–{ports.stop - 1}")


async def soak(db: str, url: str, speed: float, seconds: float, clients: int,
               pages: bool, ports: range) -> dict:
    from queue_server.security import issue_token
    from queue_server.store.db import make_engine, migrate
    from queue_server.store.repository import Store
    from queue_server.store.tables import events, tickets

    layout = load_layout(LAYOUT_PATH)
    demand = find_demand(layout)
    direct, journeys = demand.per_day()
    real_rate = (sum(direct.values()) + sum(journeys.values())) / (demand.issue_until - demand.open)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        engine = make_engine(url or f"sqlite:///{data / 'hallq.db'}")
        migrate(engine)
        store = Store(engine)
        hand = 1
        setup = prepare(store, layout, share=1.0, hand={hand}, prefix="soak-")
        pad_window = min(setup.windows)
        tokens = {r: issue_token(store, r, name="soak") for r in ("display", "guide", "manager")}
        tokens["window"] = issue_token(store, "window", hand, name="soak")
        tokens["pad"] = issue_token(store, "pad", pad_window, name="soak")
        engine.dispose()
        port = port_in(ports)
        env = hall_env(data)
        if url:
            env["HALLQ_DB"] = url
        env["HALLQ_LOG_LEVEL"] = "WARNING"
        base = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "hallq", "serve", "--layout", str(LAYOUT_PATH),
                   "--port", str(port)]
        with _answering(command, port, env, "hallq serve") as server:
            fds_start = open_fds(server.pid)
            parent, child = mp.Pipe()
            worker = mp.Process(target=clients_worker, args=(
                f"ws://127.0.0.1:{port}/api/v1/events?token={tokens['display']}", clients, child))
            worker.start()
            assert parent.recv() == "ready"
            browser = None
            if pages:
                pw, browser, page_errors = await open_pages(base, tokens, hand, pad_window)
            start_seq = Store(make_engine(url or f"sqlite:///{data / 'hallq.db'}")).last_event_seq()
            deadline = time.monotonic() + seconds
            traffic = Traffic(base, setup, layout, demand, rate=real_rate * speed, seed=20,
                              stopping=lambda: time.monotonic() > deadline, report_every=0)
            samples: list[tuple[float, int, float]] = []
            fds_peak = 0

            async def sample() -> None:
                nonlocal fds_peak
                t0 = time.monotonic()
                while True:
                    samples.append((time.monotonic() - t0, traffic.counts.done["issued"],
                                    rss_mib(server.pid)))
                    fds_peak = max(fds_peak, open_fds(server.pid))
                    await asyncio.sleep(max(1.0, seconds / 12))

            sampler = asyncio.create_task(sample())
            counts = await traffic.run()
            sampler.cancel()
            samples.append((seconds, counts.done["issued"], rss_mib(server.pid)))
            parent.send("stop")
            received = parent.recv()
            worker.join(timeout=30)
            if browser is not None:
                await browser.close()
                await pw.stop()
            # What the server holds, against what the kiosks were given.
            check = make_engine(url or f"sqlite:///{data / 'hallq.db'}")
            from sqlalchemy import func, select
            with check.connect() as conn:
                stored = conn.execute(select(events.c.seq).where(events.c.seq > start_seq)
                                      ).scalars().all()
                rows = conn.execute(select(tickets.c.id, tickets.c.day, tickets.c.business,
                                           tickets.c.number)).all()
                n_tickets = conn.execute(select(func.count()).select_from(tickets)).scalar_one()
            check.dispose()
            await asyncio.sleep(2.0)  # the clients' sockets closed on the server's side too
            fds_end = open_fds(server.pid)
            fd_kinds = Counter(_fd_kind(server.pid, fd) for fd in os.listdir(f"/proc/{server.pid}/fd"))
    stored_set = set(stored)
    delivered = [len(stored_set.intersection(s)) for s in received["seen"]]
    ids = {r.id for r in rows}
    numbers = Counter((r.day, r.number) for r in rows)
    lat = counts.latencies
    return {
        "db": db, "speed": speed, "seconds": seconds, "hours": speed * seconds / 3600,
        "done": dict(counts.done), "refused": dict(counts.refused), "tickets": n_tickets,
        "samples": samples,
        "kib_per_1000": slope([(n, m) for t, n, m in samples if t >= seconds / 3]) * 1000 * 1024,
        "issue_p50": pct(lat.get("POST /tickets", []), 0.5),
        "issue_p99": pct(lat.get("POST /tickets", []), 0.99),
        "call_p50": pct(lat.get("POST /windows/{}/call-next", []), 0.5),
        "call_p99": pct(lat.get("POST /windows/{}/call-next", []), 0.99),
        "sent": len(stored_set), "clients": clients,
        "delivered_min": min(delivered), "delivered_total": sum(delivered),
        "closed": received["closed"],
        "lost": len(set(counts.issued_ids) - ids),
        "doubled": sum(n - 1 for n in numbers.values() if n > 1)
        + len(counts.issued_ids) - len(set(counts.issued_ids)),
        "fds": (fds_start, fds_peak, fds_end), "fd_kinds": dict(fd_kinds),
        "page_errors": page_errors if pages else None,
        "real_rate": real_rate,
    }


def pg_url(admin: str, name: str) -> str:
    return admin.rsplit("/", 1)[0] + "/" + name


def pg_database(admin: str, create: bool) -> None:
    from sqlalchemy import create_engine, text
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)"))
        if create:
            conn.execute(text(f"CREATE DATABASE {PG_DB}"))
    engine.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--speed", type=float, default=30.0, help="times a real hall's rate")
    ap.add_argument("--seconds", type=float, default=120.0, help="per database")
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--db", default="sqlite,postgresql")
    ap.add_argument("--no-pages", action="store_true")
    ap.add_argument("--ports", default="18250-18259", help="the server's port, first free")
    args = ap.parse_args()
    admin = HallqEnv.read().test_pg
    lo, hi = (int(x) for x in args.ports.split("-"))
    results = []
    for db in args.db.split(","):
        url = ""
        if db == "postgresql":
            try:
                pg_database(admin, create=True)
            except Exception as exc:  # noqa: BLE001 (say why, run the rest)
                print(f"postgresql: skipped, {exc.__class__.__name__}: {exc}")
                continue
            url = pg_url(admin, PG_DB)
        try:
            results.append(asyncio.run(soak(db, url, args.speed, args.seconds, args.clients,
                                            not args.no_pages, range(lo, hi + 1))))
        finally:
            if db == "postgresql":
                pg_database(admin, create=False)
    layout = load_layout(LAYOUT_PATH)
    print(f"\nsoak: Hengyang layout, the demo traffic at {args.speed:g} × the demand's mean "
          f"{results[0]['real_rate'] if results else 0:.2f} applicants a minute, "
          f"{args.seconds:g} s per database = {args.speed * args.seconds / 3600:.2f} h of a hall "
          f"day; {args.clients} event-stream clients"
          f"{'' if args.no_pages else ', 6 pages in Chromium'}; "
          f"{len(mix_of(find_demand(layout), layout, set(layout.businesses)).choices)} kinds "
          "of visit\n")
    for r in results:
        print(f"[{r['db']}] {r['hours']:.2f} h in {r['seconds']:g} s: " + ", ".join(
            f"{k} {v}" for k, v in sorted(r["done"].items())))
        if r["refused"]:
            print(f"  refused: {r['refused']}")
        print("  memory (s, tickets issued, RSS MiB): " + "  ".join(
            f"{t:.0f}/{n}/{m:.1f}" for t, n, m in r["samples"]))
        print(f"  memory growth: {r['kib_per_1000']:.0f} KiB per 1000 tickets (after the first third)")
        print(f"  issue p50 {r['issue_p50']:.1f} ms p99 {r['issue_p99']:.1f} ms · "
              f"call-next p50 {r['call_p50']:.1f} ms p99 {r['call_p99']:.1f} ms")
        print(f"  events stored {r['sent']}, delivered to every one of {r['clients']} clients: "
              f"min {r['delivered_min']} ({r['delivered_min'] / max(1, r['sent']):.1%}), total "
              f"{r['delivered_total']} of {r['sent'] * r['clients']}; clients closed: "
              f"{r['closed'] or 'none'}")
        print(f"  tickets lost {r['lost']}, doubled {r['doubled']} ({r['tickets']} stored)")
        print(f"  open fds: start {r['fds'][0]}, peak {r['fds'][1]}, end {r['fds'][2]} "
              f"({', '.join(f'{k} {v}' for k, v in sorted(r['fd_kinds'].items()))})")
        if r["page_errors"]:
            print(f"  page errors: {r['page_errors']}")
    print("\nreproduce: .venv/bin/python bench/soak.py "
          f"--speed {args.speed:g} --seconds {args.seconds:g} --clients {args.clients}")
    return 0 if results and all(r["lost"] == 0 and r["doubled"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
