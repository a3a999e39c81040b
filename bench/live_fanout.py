"""Live updates for a thousand screens and phones (issue 17): call → delivery per kind of
client, the server's CPU per event and memory per connection, the product's fan-out side
by side with a naive `asyncio.gather` fan-out, with hallq's fan-out before issue 17
(`queued`), and with phones over server-sent events instead of the WebSocket (`sse`), in
one run.

Each variant is `hallq serve` in its own process on a fresh SQLite hall of 96 windows
(bench/_server.py; the other two through bench/_fanout_variants.py). Connected at once:
4 hall screens (everything), 96 window displays (`?window=N`), 96 evaluation pads and N
phones following their own tickets (`WS /follow/{ref}/events`). Then a peak hour of
calls, compressed: `--calls` call-next requests, one window after another, `--pace`
seconds apart, each call's ticket completed before that window calls again.

Latency is from just before a call request is sent to the moment each client's socket
delivers that call's frame (its `seq`): the HTTP round trip, the commit and the fan-out,
as a person at the window or a phone in a pocket would see it. Who should receive what:
every hall screen each call, window n's display and pad its own calls, every phone whose
ticket waits in the called business (its places moved), and the called ticket's phone.
Clients are raw sockets in worker processes that only find each frame's `seq`: the
client side's cost is kept out of the figures. All processes share CLOCK_MONOTONIC.

Then the per-client cost as phones grow (`--scale`, default 100,1000,3000), product
fan-out only: what one server takes.

    .venv/bin/python bench/live_fanout.py [--phones 1000] [--calls 300] [--pace 0.05]
                                          [--variants product,gather,queued,sse]
                                          [--scale 100,1000,3000] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import multiprocessing as mp
import os
import pstats
import re
import signal
import statistics
import struct
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import httpx
from _server import CODES, REPO, Served, _answering, bench_layout, free_port, hall_env, issue_token

SEQ = re.compile(rb'"seq":(\d+)')
CALLED = b'{"type":"ticket.called"'
NUMBER = re.compile(rb'"number":"([A-Z0-9]+)"')
KINDS = ("hall", "window", "pad", "phone")
PROFILE = Path(tempfile.gettempdir()) / "hallq-live-fanout.prof"


# --- clients: raw sockets that note when each seq arrives ------------------------------------

class Client(asyncio.Protocol):
    def __init__(self, kind: str, ready: asyncio.Future[None], sse: bool = False) -> None:
        self.kind = kind
        self.sse = sse  # server-sent events: an HTTP 200 stream of `data:` lines
        self.ready = ready
        self.buf = b""
        self.upgraded = False
        self.snapshot = False
        self.arrivals: dict[int, int] = {}
        self.called: dict[int, str] = {}  # hall screens: seq → number called
        self.closed = False

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
        self.buf += data
        if not self.upgraded:
            head, sep, rest = self.buf.partition(b"\r\n\r\n")
            if not sep:
                return
            if (b" 200 " if self.sse else b" 101 ") not in head.split(b"\r\n", 1)[0]:
                self.ready.set_exception(RuntimeError(head.decode(errors="replace")))
                return
            self.upgraded, self.buf = True, rest
        if self.sse:
            *events, self.buf = self.buf.split(b"\n\n")
            for event in events:
                self._message(event[event.find(b"data: ") + 6:], now)
            return
        while len(self.buf) >= 2:
            n = self.buf[1] & 0x7F
            at = 2
            if n == 126:
                if len(self.buf) < 4:
                    return
                n, at = struct.unpack("!H", self.buf[2:4])[0], 4
            elif n == 127:
                if len(self.buf) < 10:
                    return
                n, at = struct.unpack("!Q", self.buf[2:10])[0], 10
            if len(self.buf) < at + n:
                return
            payload, self.buf = self.buf[at:at + n], self.buf[at + n:]
            self._message(payload, now)

    def _message(self, payload: bytes, now: int) -> None:
        if not self.snapshot:  # the first message: the snapshot
            self.snapshot = True
            if not self.ready.done():
                self.ready.set_result(None)
            return
        m = SEQ.search(payload, 0, 80)
        if m is None:
            return
        seq = int(m.group(1))
        self.arrivals.setdefault(seq, now)
        if self.kind == "hall" and payload.startswith(CALLED) \
                and (num := NUMBER.search(payload)) is not None:
            self.called[seq] = num.group(1).decode()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.ready.done():
            self.ready.set_exception(RuntimeError("closed before its snapshot"))


async def open_client(port: int, kind: str, path: str) -> Client:
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    sse = path.endswith("/stream")
    transport, proto = await loop.create_connection(lambda: Client(kind, ready, sse),
                                                    "127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    upgrade = ("Accept: text/event-stream\r\n" if sse else
               f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               "Sec-WebSocket-Version: 13\r\n")
    transport.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{upgrade}\r\n".encode())
    await asyncio.wait_for(ready, 120)
    return proto


def worker(port: int, clients: list[tuple[str, str, str]], conn: Connection) -> None:
    asyncio.run(_worker(port, clients, conn))


async def _worker(port: int, clients: list[tuple[str, str, str]], conn: Connection) -> None:
    gate = asyncio.Semaphore(50)  # as screens do after a power cut: not all at once

    async def one(kind: str, path: str) -> Client:
        async with gate:
            return await open_client(port, kind, path)

    protos = await asyncio.gather(*(one(kind, path) for kind, _, path in clients))
    conn.send("ready")
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, conn.recv)
    conn.send([(kind, who, p.arrivals, p.called, p.closed)
               for (kind, who, _), p in zip(clients, protos, strict=True)])


# --- one variant ----------------------------------------------------------------------------

@dataclass
class Outcome:
    variant: str
    phones: int
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    expected: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    cpu_ms_per_call: float = 0.0
    kib_per_connection: float = 0.0
    connections: int = 0
    dropped: int = 0

    def pct(self, kind: str, q: float) -> float:
        xs = sorted(self.latencies[kind])
        return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@contextlib.contextmanager
def server(variant: str, layout: Path, env: dict[str, str]) -> Iterator[Served]:
    port = free_port()
    args = ["serve", "--layout", str(layout), "--port", str(port)]
    command = ([sys.executable, "-m", "hallq", *args] if variant == "product"
               else [sys.executable, str(REPO / "bench" / "_fanout_variants.py"), variant, *args])
    with _answering(command, port, env, f"hallq serve ({variant})") as served:
        yield served


def run_variant(variant: str, phones: int, calls: int, pace: float, workers: int) -> Outcome:
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        layout = bench_layout(tmp / "bench.toml")
        env = {**hall_env(tmp / "var", layout), "HALLQ_LIVE_MAX_PHONES": str(phones + 10),
               "HALLQ_LOG_LEVEL": "WARNING", "BENCH_PROFILE_PATH": str(PROFILE)}
        tokens = {role: issue_token(env, role) for role in ("display", "guide", "admin")}
        with server(variant, layout, env) as s:
            return _measure(variant, s, tokens, phones, calls, pace, workers)


def _measure(variant: str, s: Served, tokens: dict[str, str], phones: int, calls: int,
             pace: float, workers: int) -> Outcome:
    out = Outcome(variant, phones)
    base = f"http://127.0.0.1:{s.port}/api/v1"
    guide = httpx.Client(base_url=base, timeout=60,
                         headers={"Authorization": f"Bearer {tokens['guide']}"})
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    pads = [guide.post("/tokens", json={"role": "pad", "window": n}, headers=admin).json()["token"]
            for n in range(1, 97)]
    # The tickets: the phones' own, then the ones the calls take first (older ones first).
    tickets = [guide.post("/tickets", json={"business": CODES[i % len(CODES)]}).json()
               for i in range(calls + phones)]
    followed = tickets[calls:] if phones else []
    clients: list[tuple[str, str, str]] = []
    clients += [("hall", f"hall{i}", f"/api/v1/events?token={tokens['display']}") for i in range(4)]
    clients += [("window", str(n), f"/api/v1/events?token={tokens['display']}&window={n}")
                for n in range(1, 97)]
    clients += [("pad", str(n), f"/api/v1/events?token={pads[n - 1]}") for n in range(1, 97)]
    tail = "stream" if variant == "sse" else "events"  # SSE or the WebSocket
    clients += [("phone", t["number"], f"/api/v1/follow/{t['follow_url'].rsplit('/', 1)[1]}/{tail}")
                for t in followed]
    out.connections = len(clients)
    before = rss_kib(s.pid)
    ctx = mp.get_context("spawn")
    pipes, procs = [], []
    for i in range(workers):
        parent, child = ctx.Pipe()
        p = ctx.Process(target=worker, args=(s.port, clients[i::workers], child), daemon=True)
        p.start()
        pipes.append(parent)
        procs.append(p)
    try:
        for pipe in pipes:
            if not pipe.poll(600) or pipe.recv() != "ready":
                raise SystemExit(f"{variant}: the clients did not connect")
        time.sleep(1.0)
        out.kib_per_connection = (rss_kib(s.pid) - before) / len(clients)
        business_of = {t["number"]: t["business"] for t in tickets}
        waiting = {t["number"] for t in tickets}
        log: list[tuple[int, str, int, frozenset[str]]] = []  # t0, number, window, phones due
        holding: dict[int, str] = {}
        cpu0 = s.cpu_seconds()
        if variant == "profile":
            os.kill(s.pid, signal.SIGUSR1)
        for k in range(calls):
            window = 1 + k % 96
            if window in holding:
                guide.post(f"/tickets/{holding.pop(window)}/complete")
            t0 = time.monotonic_ns()
            r = guide.post(f"/windows/{window}/call-next")
            t = r.json()["ticket"]
            holding[window] = t["id"]
            business = business_of[t["number"]]
            due = frozenset(n for n in waiting if business_of[n] == business)
            waiting.discard(t["number"])
            log.append((t0, t["number"], window, due))
            time.sleep(pace)
        time.sleep(1.0)
        out.cpu_ms_per_call = (s.cpu_seconds() - cpu0) * 1000 / calls
        if variant == "profile":
            os.kill(s.pid, signal.SIGUSR2)
            time.sleep(1.0)
        results = []
        for pipe in pipes:
            pipe.send("report")
        for pipe in pipes:
            results += pipe.recv()
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
        guide.close()
    seq_of: dict[str, int] = {}
    for kind, _, _, called, _ in results:
        if kind == "hall":
            for seq, number in called.items():
                seq_of.setdefault(number, seq)
    phone_numbers = {t["number"] for t in followed}
    out.dropped = sum(1 for *_, closed in results if closed)
    for t0, number, window, due in log:
        seq = seq_of.get(number)
        for kind, who, arrivals, _, _ in results:
            if kind == "hall":
                wanted = True
            elif kind in ("window", "pad"):
                wanted = who == str(window)
            else:
                wanted = who in due and who in phone_numbers
            if not wanted:
                continue
            out.expected[kind] += 1
            at = arrivals.get(seq) if seq is not None else None
            if at is not None:
                out.latencies[kind].append((at - t0) / 1e6)
    return out


# --- the report -----------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--phones", type=int, default=1000)
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--pace", type=float, default=0.05, help="seconds between calls")
    ap.add_argument("--variants", default="product,gather,queued,sse")
    ap.add_argument("--scale", default="100,1000,3000", help="phones, product only ('' skips)")
    ap.add_argument("--workers", type=int, default=2, help="client processes")
    ap.add_argument("--profile", action="store_true",
                    help="only profile the server under the product fan-out: top functions")
    args = ap.parse_args()
    if args.profile:
        run_variant("profile", args.phones, args.calls, args.pace, args.workers)
        stats = pstats.Stats(str(PROFILE))
        print(f"\nthe server's event-loop thread during {args.calls} calls, by own time "
              f"({args.phones} phones, 292 screens and pads):")
        stats.sort_stats("tottime").print_stats(25)
        return 0
    outcomes = [run_variant(v, args.phones, args.calls, args.pace, args.workers)
                for v in args.variants.split(",") if v]
    print(f"\n{args.calls} calls {args.pace}s apart; 4 hall screens, 96 window displays, "
          f"96 pads, {args.phones} phones; {os.cpu_count()} CPUs shared by server and clients")
    print(f"{'fan-out':>8}{'client':>8}{'received':>14}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'mean ms':>9}")
    for o in outcomes:
        for kind in KINDS:
            xs = o.latencies[kind]
            if not o.expected[kind]:
                continue
            print(f"{o.variant:>8}{kind:>8}{len(xs):>7}/{o.expected[kind]:<6}"
                  f"{o.pct(kind, 0.5):>9.1f}{o.pct(kind, 0.99):>9.1f}"
                  f"{max(xs, default=float('nan')):>9.1f}"
                  f"{statistics.mean(xs) if xs else float('nan'):>9.1f}")
    print(f"\n{'fan-out':>8}{'connections':>13}{'CPU ms/call':>13}{'KiB/conn':>10}{'dropped':>9}"
          f"{'p99 vs product':>16}")
    worst = {o.variant: max(o.pct(k, 0.99) for k in KINDS if o.latencies[k]) for o in outcomes}
    for o in outcomes:
        ratio = worst[o.variant] / worst["product"] if "product" in worst else float("nan")
        print(f"{o.variant:>8}{o.connections:>13}{o.cpu_ms_per_call:>13.2f}"
              f"{o.kib_per_connection:>10.1f}{o.dropped:>9}{ratio:>15.2f}×")
    scale = [int(x) for x in args.scale.split(",") if x]
    if scale:
        print(f"\nper-client cost as phones grow (product fan-out, {args.calls} calls)")
        print(f"{'phones':>8}{'connections':>13}{'phone p50':>11}{'phone p99':>11}"
              f"{'hall p99':>10}{'CPU ms/call':>13}{'µs/call/conn':>14}{'KiB/conn':>10}")
        for n in scale:
            o = run_variant("product", n, args.calls, args.pace, args.workers)
            print(f"{n:>8}{o.connections:>13}{o.pct('phone', 0.5):>11.1f}"
                  f"{o.pct('phone', 0.99):>11.1f}{o.pct('hall', 0.99):>10.1f}"
                  f"{o.cpu_ms_per_call:>13.2f}{o.cpu_ms_per_call * 1000 / o.connections:>14.2f}"
                  f"{o.kib_per_connection:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
