"""Event fan-out: one call, seen by 100 and by 1,000 connected displays.

Starts `hallq serve` as its own process on a temporary SQLite database, connects N real
WebSocket displays (`WS /api/v1/events`, spread over worker processes so the clients do
not starve each other of CPU), then for each round: issue a ticket, press "call next"
through the HTTP API, and time until each display has received the `ticket.called`
event. Latency is from just before the call request is sent to the moment each display's
socket delivers the event: the HTTP request, the database commit and the fan-out, as a
person at the window would experience it. Then the same with one deliberately slow
display connected: a socket that completes the handshake and never reads.

All processes share the machine's monotonic clock (CLOCK_MONOTONIC), so times compare.

    .venv/bin/python bench/event_fanout.py [--clients 100,1000] [--rounds 20] [--workers 2]
                                           [--settle 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing as mp
import os
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import httpx
from _server import bench_layout, hall_env, issue_token, served

CALLED_PREFIX = '{"type": "ticket.called"'  # the server serialises `type` first


# --- the displays, in worker processes -------------------------------------------------------

def display_worker(url: str, count: int, conn: Connection) -> None:
    asyncio.run(_displays(url, count, conn))


async def _displays(url: str, count: int, conn: Connection) -> None:
    from websockets.asyncio.client import connect

    received: dict[str, list[int]] = {}
    connected = 0
    all_connected = asyncio.Event()
    handshakes = asyncio.Semaphore(50)  # as screens do after a power cut: not all at once

    async def display() -> None:
        nonlocal connected
        async with handshakes:
            ws = await connect(url, open_timeout=120, max_size=None, ping_interval=None)
            await ws.recv()  # the snapshot
        connected += 1
        if connected == count:
            all_connected.set()
        async for text in ws:
            if isinstance(text, str) and text.startswith(CALLED_PREFIX):
                at = time.monotonic_ns()
                received.setdefault(json.loads(text)["ticket"]["number"], []).append(at)

    tasks = [asyncio.create_task(display()) for _ in range(count)]
    await all_connected.wait()
    conn.send("ready")
    loop = asyncio.get_running_loop()
    while True:
        cmd, arg = await loop.run_in_executor(None, conn.recv)
        if cmd == "count":
            conn.send(len(received.get(arg, ())))
        elif cmd == "times":
            conn.send(received.get(arg, []))
        else:
            break
    for t in tasks:
        t.cancel()


# --- a display that never reads ----------------------------------------------------------

def stalled_display(port: int, path: str) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)  # fills at once
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    if b" 101 " not in sock.recv(1024):
        raise SystemExit("the slow display was not accepted")
    return sock


# --- one scenario ------------------------------------------------------------------------

@dataclass
class Result:
    clients: int
    slow: bool
    rounds: int
    latencies_ms: list[float]
    missing: int

    def pct(self, q: float) -> float:
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, int(q * len(xs)))]


def scenario(port: int, tokens: dict[str, str], clients: int, rounds: int, workers: int,
             slow: bool, settle: float) -> Result:
    path = f"/api/v1/events?token={tokens['display']}"
    url = f"ws://127.0.0.1:{port}{path}"
    ctx = mp.get_context("spawn")
    shares = [clients // workers + (1 if i < clients % workers else 0) for i in range(workers)]
    pipes, procs = [], []
    for share in shares:
        parent, child = ctx.Pipe()
        p = ctx.Process(target=display_worker, args=(url, share, child), daemon=True)
        p.start()
        pipes.append(parent)
        procs.append(p)
    stalled = stalled_display(port, path) if slow else None
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=30)
    kiosk = {"Authorization": f"Bearer {tokens['kiosk']}"}
    guide = {"Authorization": f"Bearer {tokens['guide']}"}
    latencies: list[float] = []
    missing = 0
    try:
        for pipe in pipes:
            if not pipe.poll(300) or pipe.recv() != "ready":
                raise SystemExit("the displays did not connect")
        for r in range(rounds):
            ticket = http.post("/tickets", json={"business": "transfer"}, headers=kiosk).json()
            window = 1 + r % 96
            # Let the issue's own events reach every display first: one call is measured,
            # not a call queued behind the previous fan-out.
            time.sleep(settle)
            t0 = time.monotonic_ns()
            called = http.post(f"/windows/{window}/call-next", headers=guide).json()["ticket"]
            assert called["id"] == ticket["id"], called
            number = called["number"]
            deadline = time.monotonic() + 30
            while True:
                for pipe in pipes:
                    pipe.send(("count", number))
                if sum(pipe.recv() for pipe in pipes) >= clients or time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            times: list[int] = []
            for pipe in pipes:
                pipe.send(("times", number))
                times += pipe.recv()
            missing += clients - len(times)
            latencies += [(t - t0) / 1e6 for t in times]
            http.post(f"/tickets/{called['id']}/complete", headers=guide)
    finally:
        for pipe in pipes:
            pipe.send(("stop", None))
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
        if stalled is not None:
            stalled.close()
        http.close()
    return Result(clients, slow, rounds, latencies, missing)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", default="100,1000")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2, help="client processes")
    ap.add_argument("--settle", type=float, default=0.5,
                    help="seconds between issuing a ticket and calling it (0: back to back)")
    args = ap.parse_args()
    levels = [int(x) for x in args.clients.split(",")]

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        layout = bench_layout(tmp / "bench.toml")
        env = hall_env(tmp / "var")
        tokens = {role: issue_token(env, role) for role in ("display", "kiosk", "guide")}
        with served(layout, env) as server:
            port = server.port
            results = [scenario(port, tokens, n, args.rounds, args.workers, slow, args.settle)
                       for slow in (False, True) for n in levels]

    print(f"{'displays':>9}{'slow one':>10}{'rounds':>8}{'events':>9}{'p50 ms':>9}"
          f"{'p99 ms':>9}{'max ms':>9}{'mean ms':>9}{'missing':>9}")
    for r in results:
        print(f"{r.clients:>9}{'yes' if r.slow else 'no':>10}{r.rounds:>8}{len(r.latencies_ms):>9}"
              f"{r.pct(0.5):>9.1f}{r.pct(0.99):>9.1f}{max(r.latencies_ms):>9.1f}"
              f"{statistics.mean(r.latencies_ms):>9.1f}{r.missing:>9}")
    print(f"latency: call request sent → event delivered to each display's socket; "
          f"{os.cpu_count()} CPUs shared by the server and the clients")
    return 0


if __name__ == "__main__":
    sys.exit(main())
