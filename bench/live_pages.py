"""How soon the hall screen and a window display show a call, in the browser (issue 17).

`hallq serve` on a fresh 96-window hall (bench/_server.py), the hall screen at 1920×1080
and the displays over windows 1–4 in headless Chromium, and, unless `--phones 0`, the
phones, pads and other displays of bench/live_fanout.py connected at the same time. Then
`--calls` calls on windows 1–4 in turn, `--pace` seconds apart.

The pages time themselves (hallq.js, `hallqLive.timings`: received, rendered, and
painted, the task after the next animation frame); a call's time is taken just before
its HTTP request is sent, on the same clock (the epoch; `performance.timeOrigin` plus
the page's own time), so each figure includes the HTTP round trip.

    .venv/bin/python bench/live_pages.py [--calls 60] [--pace 0.3] [--phones 1000]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _server import CODES, bench_layout, hall_env, issue_token
from live_fanout import server, worker

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"]
DISPLAYS = (1, 2, 3, 4)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=60)
    ap.add_argument("--pace", type=float, default=0.3)
    ap.add_argument("--phones", type=int, default=1000)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        layout = bench_layout(tmp / "bench.toml")
        env = {**hall_env(tmp / "var", layout), "HALLQ_LIVE_MAX_PHONES": str(args.phones + 10),
               "HALLQ_LOG_LEVEL": "WARNING"}
        tokens = {role: issue_token(env, role) for role in ("display", "guide")}
        with server("product", layout, env) as s, sync_playwright() as pw:
            base = f"http://127.0.0.1:{s.port}"
            guide = httpx.Client(base_url=f"{base}/api/v1", timeout=60,
                                 headers={"Authorization": f"Bearer {tokens['guide']}"})
            tickets = [guide.post("/tickets", json={"business": CODES[i % len(CODES)]}).json()
                       for i in range(args.calls + args.phones)]
            procs = []
            if args.phones:
                clients = [("phone", t["number"],
                            f"/api/v1/follow/{t['follow_url'].rsplit('/', 1)[1]}/events")
                           for t in tickets[args.calls:]]
                clients += [("window", str(n), f"/api/v1/events?token={tokens['display']}"
                             f"&window={n}") for n in range(5, 97)]
                ctx = mp.get_context("spawn")
                for i in range(2):
                    parent, child = ctx.Pipe()
                    p = ctx.Process(target=worker, args=(s.port, clients[i::2], child), daemon=True)
                    p.start()
                    procs.append((p, parent))
                for _, pipe in procs:
                    if not pipe.poll(600) or pipe.recv() != "ready":
                        raise SystemExit("the clients did not connect")
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            pages: dict[str, Any] = {}
            for name, path, size in [("hall screen", "/display/hall", (1920, 1080)),
                                     *[(f"window {n}", f"/display/window/{n}", (1920, 1080))
                                       for n in DISPLAYS]]:
                page = browser.new_context(viewport={"width": size[0], "height": size[1]},
                                           reduced_motion="reduce").new_page()
                page.goto(f"{base}{path}?token={tokens['display']}")
                page.wait_for_function("window.hallqLive && window.hallqLive.status === 'live'")
                pages[name] = page
            sent: dict[str, float] = {}
            holding: dict[int, str] = {}
            for k in range(args.calls):
                window = DISPLAYS[k % len(DISPLAYS)]
                if window in holding:
                    guide.post(f"/tickets/{holding.pop(window)}/complete")
                t0 = time.time() * 1000
                t = guide.post(f"/windows/{window}/call-next").json()["ticket"]
                holding[window] = t["id"]
                sent[t["number"]] = t0
                time.sleep(args.pace)
            time.sleep(1.0)
            others = " and 92 other displays" if args.phones else ""
            print(f"\n{args.calls} calls {args.pace}s apart on windows 1–4; "
                  f"{args.phones} phones{others} connected; {os.cpu_count()} CPUs")
            print(f"{'page':>12}{'calls':>7}{'received p50/p99':>19}{'rendered p50/p99':>19}"
                  f"{'painted p50/p99':>18}{'max ms':>9}")
            for name, page in pages.items():
                origin = page.evaluate("performance.timeOrigin")
                timings = page.evaluate("window.hallqLive.timings")
                rows = {k: [] for k in ("received", "rendered", "painted")}
                for t in timings:
                    if t["type"] != "ticket.called" or t["number"] not in sent or t["painted"] is None:
                        continue
                    for k in rows:
                        rows[k].append(origin + t[k] - sent[t["number"]])
                n = len(rows["painted"])
                print(f"{name:>12}{n:>7}"
                      + "".join(f"{pct(rows[k], .5):>10.1f}/{pct(rows[k], .99):<8.1f}" for k in rows)
                      + f"{max(rows['painted'], default=float('nan')):>9.1f}")
            browser.close()
            for p, pipe in procs:
                pipe.send("report")
                pipe.recv()
                p.join(timeout=30)
            guide.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
