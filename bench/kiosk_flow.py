"""The kiosk: card laid on the reader → ticket printed (p50/p99), and memory over an hour.

Starts `hallq serve` as its own process (the Hengyang layout and catalogue, temporary
SQLite), and runs the kiosk in this process the way `hallq kiosk` does: the flow on its
driver thread (ticking every 0.2 s), the simulated devices (ID reader on a pty, sim
printer that renders every job and its preview, sim scanner, sim voice) and, unless
--no-ui, the Kivy screens drawn offscreen for every state.

Each simulated applicant lays an ID card (a different person each time, one in ten aged
70+ and offered the green channel), chooses a catalogue item at once, takes the ticket and
leaves; one in ten walks away without pressing Done and the idle time-out takes the kiosk
back. The kiosk's clock is accelerated: it moves 3600/N seconds per applicant, so N
applicants are an hour of health checks, health reports and idle time-outs.

Measured:
- card → printed: from laying the card to the printer having the ticket's bytes, with no
  applicant think time (reader polling, SAM read, the ticket request, printing);
- RSS of this process after a warm-up of 20 applicants and after all N; the growth per
  100 applicants says whether the kiosk leaks.

    .venv/bin/python bench/kiosk_flow.py [--applicants 300] [--no-ui]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
HALLQ = [sys.executable, "-m", "hallq"]
WARMUP = 20
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂"


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def id_number(rng: random.Random, born: date, serial: int) -> str:
    """A valid resident ID number (GB 11643 check digit) for an invented Hengyang person."""
    body = f"430405{born:%Y%m%d}{serial % 1000:03d}"
    from hallrules.id_number import check_digit

    return body + check_digit(body)


def applicants(rng: random.Random, n: int, today: date) -> list[object]:
    from devices.idcard import DEMO_CARDS

    template = DEMO_CARDS["zhang"]
    people = []
    for i in range(n):
        elder = i % 10 == 3
        years = rng.randint(71, 88) if elder else rng.randint(20, 65)
        born = today - timedelta(days=365 * years + rng.randint(0, 300))
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
        people.append(dataclasses.replace(template, name=name, birth_date=born,
                                          id_number=id_number(rng, born, i)))
    return people


class Server:
    """`hallq serve` in its own process, so its memory is not the kiosk's."""

    def __init__(self) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="hallq-kiosk-bench-")
        self.data = Path(self.tmp.name)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = subprocess.run(
            [*HALLQ, "token", "issue", "--role", "kiosk", "--name", "bench", "--data",
             str(self.data)], capture_output=True, text=True, check=True, cwd=REPO).stdout.strip()
        self.proc = subprocess.Popen(
            [*HALLQ, "serve", "--data", str(self.data), "--port", str(self.port)],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def wait(self) -> None:
        import httpx

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("hallq serve did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.tmp.cleanup()


class Ticker:
    """The kiosk's accelerated clock."""

    def __init__(self) -> None:
        self.now = time.monotonic()
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


class Stats:
    def __init__(self) -> None:
        self.card_to_printed: list[float] = []
        self.card_to_menu: list[float] = []
        self.confirm_to_printed: list[float] = []
        self.refused = 0
        self.rss: list[tuple[int, float]] = []  # (applicants so far, MB)


def run(n: int, ui: bool, seed: int) -> int:
    from devices.config import SIM_CONFIG
    from devices.manager import DeviceManager
    from kiosk.client import HallClient
    from kiosk.driver import FlowDriver
    from kiosk.flow import Flow
    from kiosk.hardware import Hardware
    from kiosk.settings import KioskSettings

    server = Server()
    server.wait()  # the kiosk's clock is ours: it would not retry a server still starting
    manager = DeviceManager.from_file(SIM_CONFIG).open()
    ticker = Ticker()
    settings = KioskSettings(name="bench")
    flow = Flow(HallClient(server.url, server.token), Hardware(manager), settings,
                clock=ticker)
    driver = FlowDriver(flow)
    stats = Stats()
    rss_start = rss_mb()
    started = time.monotonic()
    try:
        if ui:
            # As `hallq kiosk` runs: Kivy's loop on this thread draws every state; the
            # applicants come from another thread, touching the flow as the screen would.
            from kivy.base import EventLoop
            from kivy.core.window import Window

            Window.size = (1080, 1920)
            from kiosk.app import KioskApp

            app = KioskApp(flow, driver=driver)
            app._run_prepare()  # starts the driver, as App.run() does
            errors: list[BaseException] = []

            def visitors() -> None:
                try:
                    visit(flow, driver, ticker, settings, n, seed, stats)
                except BaseException as e:
                    errors.append(e)

            crowd = threading.Thread(target=visitors, daemon=True)
            crowd.start()
            while crowd.is_alive():
                EventLoop.idle()
            app.stop()
            if errors:
                raise errors[0]
        else:
            driver.start()
            visit(flow, driver, ticker, settings, n, seed, stats)
        elapsed = time.monotonic() - started
    finally:
        driver.stop()
        manager.close()
        server.stop()
    report(stats, flow.counters, n, ui, elapsed, rss_start)
    return 0 if stats.card_to_printed and stats.refused < n // 10 else 1


def visit(flow: Any, driver: Any, ticker: Ticker, settings: Any, n: int, seed: int,
          stats: Stats) -> None:
    """N applicants, one after another, each as fast as the kiosk lets them."""
    from kiosk.state import Screen, State

    # When each screen first appeared, stamped on the flow's thread: the measurement does
    # not depend on how often this thread looks.
    arrived: dict[Screen, float] = {}

    def stamp(state: State) -> None:
        if not state.busy:
            arrived.setdefault(state.screen, time.perf_counter())

    flow.listeners.append(stamp)
    stamp(flow.state)

    def wait_for(ok: Callable[[State], bool], what: str, timeout: float = 60) -> None:
        # The state changes before its listeners run: wait for the stamp too.
        end = time.monotonic() + timeout
        while not (ok(flow.state) and flow.state.screen in arrived):
            if time.monotonic() > end:
                raise RuntimeError(f"timed out waiting for {what}; at {flow.state.screen}")
            time.sleep(0.002)

    wait_for(lambda s: s.screen is Screen.HOME, "the home screen")
    hall = flow.state.hall
    items = [i for c in hall.categories for i in c.items]
    reader, printer = flow.hw.simulator("idcard"), flow.hw.simulator("printer")
    voice = flow.hw.simulator("voice")
    rng = random.Random(seed)
    per_applicant = 3600 / n
    for k, person in enumerate(applicants(rng, n, date.today())):
        jobs = len(printer.jobs)  # 0: cleared below
        arrived.clear()
        t0 = time.perf_counter()
        reader.lay(person)
        wait_for(lambda s: s.screen in (Screen.BUSINESS, Screen.GREEN), "the card read")
        menu = min(arrived[x] for x in (Screen.BUSINESS, Screen.GREEN) if x in arrived)
        if flow.state.screen is Screen.GREEN:
            driver.call("answer_green", True)
            wait_for(lambda s: s.screen is Screen.BUSINESS, "the menu")
        # The applicant's touches come at once (no think time): choose, then confirm
        # under the one-time materials list.
        t_choose = time.perf_counter()
        driver.call("choose_item", items[k % len(items)].code)
        wait_for(lambda s: s.screen is Screen.MATERIALS, "the materials list")
        t_confirm = time.perf_counter()
        driver.call("confirm_ticket")
        wait_for(lambda s: s.screen in (Screen.TICKET, Screen.MESSAGE) and not s.busy,
                 "the ticket")
        if flow.state.screen is Screen.TICKET and len(printer.jobs) > jobs:
            reading = menu - t0
            issuing = arrived[Screen.TICKET] - t_confirm  # printed before it is shown
            stats.card_to_printed.append(reading + arrived[Screen.MATERIALS] - t_choose
                                         + issuing)
            stats.card_to_menu.append(reading)
            stats.confirm_to_printed.append(issuing)
        else:
            stats.refused += 1
        reader.lift()
        polls = len(reader.requests)
        if k % 10 == 7:  # walks away: the idle time-out takes the kiosk home
            ticker.advance(settings.idle_seconds + 1)
        else:
            driver.call("home")
        wait_for(lambda s: s.screen is Screen.HOME, "home again")
        ticker.advance(per_applicant)
        # The reader must see the card gone before the next comes (people take longer to
        # swap cards than a poll); the next card comes at a random moment of the cycle.
        end = time.monotonic() + 10
        while len(reader.requests) < polls + 2 and time.monotonic() < end:
            time.sleep(0.005)
        time.sleep(rng.random() * 0.2)
        # The simulators log every request, job and phrase for tests; that is not the
        # kiosk's memory, so it is dropped here.
        reader.requests.clear()
        printer.jobs.clear()
        printer.clear()
        voice.said.clear()
        if k + 1 == WARMUP or (k + 1) % 50 == 0 or k + 1 == n:
            stats.rss.append((k + 1, rss_mb()))


def report(stats: Stats, counters: Any, n: int, ui: bool, elapsed: float,
           rss_start: float) -> None:
    def ms(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000

    s = stats
    print(f"kiosk flow, {n} applicants ({'with' if ui else 'without'} the Kivy screens), "
          f"{elapsed:.0f} s wall for one accelerated hour; refused: {s.refused}")
    print(f"  card laid → ticket printed: p50 {ms(s.card_to_printed, 50):.0f} ms, "
          f"p99 {ms(s.card_to_printed, 99):.0f} ms, max {max(s.card_to_printed) * 1000:.0f} ms "
          f"(n={len(s.card_to_printed)})")
    print(f"    card laid → menu shown: p50 {ms(s.card_to_menu, 50):.0f} ms, "
          f"p99 {ms(s.card_to_menu, 99):.0f} ms (the reader is polled every 0.2 s)")
    print(f"    confirm → printed: p50 {ms(s.confirm_to_printed, 50):.0f} ms, "
          f"p99 {ms(s.confirm_to_printed, 99):.0f} ms (ticket request, window hint, print job)")
    warm = dict(s.rss)[WARMUP]
    end = s.rss[-1][1]
    growth = end - warm
    print(f"  RSS: {rss_start:.0f} MB before the kiosk started, {warm:.1f} MB after {WARMUP} "
          f"applicants, {end:.1f} MB after {n}: {growth:+.1f} MB, "
          f"{growth / max(1, n - WARMUP) * 100:+.2f} MB per 100 applicants")
    print("  RSS by applicants: " + ", ".join(f"{k}: {mb:.1f}" for k, mb in s.rss))
    print(f"  over the hour: {counters['health_reports']} health reports, "
          f"{counters['idle_timeouts']} idle time-outs, {counters['issued']} tickets issued, "
          f"{counters['printed']} printed")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=300,
                        help="applicants in the accelerated hour (300: a busy kiosk)")
    parser.add_argument("--no-ui", action="store_true", help="the flow and devices only")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.applicants < WARMUP + 10:
        parser.error(f"--applicants must be at least {WARMUP + 10}")
    return run(args.applicants, not args.no_ui, args.seed)


if __name__ == "__main__":
    sys.exit(main())
