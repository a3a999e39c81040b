"""Demo traffic: simulated kiosks, clerks and pads driving a running hall over HTTP.

`hallq serve --demo --traffic [RATE]` runs this on the server's own event loop once the
server listens, against its own port, with tokens of its own issued like any device's
(`prepare`). It has no back door: applicants are issued tickets with `POST /tickets` as
a kiosk would, clerks sign in with a 工号 and call, recall, start, complete, forward,
transfer and pause through the window API, and each pad hears its window's events on
the event stream and rates there. What the screens show is what such a day shows.

What each of them does next is decided in `behaviour.py` (pure); this module only waits
and sends. `bench/soak.py` runs the same class from its own process at many times a
hall's rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from queue_server.demo import behaviour as b
from queue_server.domain.layout import Layout
from queue_server.simulation.demand import Demand

log = logging.getLogger("hallq.demo")

STAFF_FIRST = 2001  # the clerks' 工号; 1001… are the demo numbers left for people
DEFAULT_RATE = 3.0  # applicants a minute at the day's mean: several calls a minute
DEFAULT_SHARE = 0.6  # of the public windows, the share simulated clerks staff
KIOSKS = 4
IDLE_POLL = (0.25, 3.0)  # bounds of an idle clerk's first wait before calling again (s)
_ID = re.compile(r"/(?:\d+|[0-9A-Za-z_-]{16,})(?=/|$)")  # ids and numbers in a path


@dataclass(frozen=True)
class Setup:
    """Who the traffic is: its tokens and the clerks' 工号, made like any device's."""

    kiosks: tuple[str, ...]
    windows: dict[int, str]  # window → window token
    pads: dict[int, str]  # window → pad token
    staff: dict[int, str]  # window → 工号 signed in there
    hand: tuple[int, ...]  # windows left for people to try by hand


def prepare(store: Any, layout: Layout, *, share: float = DEFAULT_SHARE,
            hand: set[int] | None = None, prefix: str = "demo-") -> Setup:
    """Issue the traffic's tokens (kiosk, window and pad roles) and register its clerks
    in the staff register, as `hallq token issue` and `hallq staff add` do. The tokens'
    names start with `prefix`: under the demo's, the next --demo start revokes them."""

    from queue_server.domain.errors import DomainError
    from queue_server.domain.staff import new_member
    from queue_server.security import issue_token
    from queue_server.store.staff import StaffRegister
    if hand is None:
        hand = {min(n for n, w in layout.windows.items() if w.public)}
    windows = b.staffed_windows(layout, share, hand)
    name = f"{prefix}traffic"
    now = datetime.now(UTC)
    register = StaffRegister(store.engine)
    names = b.staff_names(len(windows))
    staff: dict[int, str] = {}
    for i, window in enumerate(windows):
        number = str(STAFF_FIRST + i)
        with contextlib.suppress(DomainError):  # kept from an earlier demo start
            register.add(new_member(number, names[i], "演示 demo", at=now))
        staff[window] = number
    return Setup(
        kiosks=tuple(issue_token(store, "kiosk", name=f"{name}-kiosk{i + 1}")
                     for i in range(KIOSKS)),
        windows={w: issue_token(store, "window", w, name=f"{name}-window") for w in windows},
        pads={w: issue_token(store, "pad", w, name=f"{name}-pad") for w in windows},
        staff=staff, hand=tuple(sorted(hand)))


@dataclass
class Counts:
    """What the traffic did, by what the server answered."""

    done: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    issued_ids: list[str] = field(default_factory=list)  # what kiosks were given (the soak checks)

    def timed(self, action: str, seconds: float) -> None:
        self.latencies.setdefault(action, []).append(seconds)


class Down(Exception):
    """The server did not answer (stopping, or restarting)."""


class Traffic:
    """Applicants, clerks and pads of one hall, at `rate` applicants a minute."""

    def __init__(self, base: str, setup: Setup, layout: Layout, demand: Demand, *,
                 rate: float = DEFAULT_RATE, seed: int | None = None,
                 stopping: Callable[[], bool] = lambda: False,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 opening_queue: bool = True, report_every: float = 60.0) -> None:
        self.base = base.rstrip("/")
        self.setup = setup
        self.layout = layout
        self.demand = demand
        self.rng = random.Random(seed)
        self.stopping = stopping
        self.clock = clock
        served = {c for w in setup.windows for c in layout.windows[w].businesses}
        self.mix = b.mix_of(demand, layout, served)
        self.transfer_to = sorted(c for c, _ in self.mix.choices)
        self.pace = b.pace_for(self.mix, rate, len(setup.windows))
        self.counts = Counts()
        self.opening = opening_queue
        self.report_every = report_every
        self._client: httpx.AsyncClient | None = None
        self._inflight: set[asyncio.Task[None]] = set()  # applicants at kiosks and pads

    # --- plumbing -----------------------------------------------------------------------

    async def _send(self, method: str, path: str, token: str, body: Any = None,
                    key: str | None = None) -> tuple[int, Any]:
        assert self._client is not None
        headers = {"Authorization": f"Bearer {token}"}
        if key:
            headers["Idempotency-Key"] = key
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            r = await self._client.request(method, f"{self.base}/api/v1{path}", json=body,
                                           headers=headers)
        except httpx.TransportError as exc:
            raise Down(str(exc)) from None
        self.counts.timed(f"{method} {_ID.sub('/{}', path)}", loop.time() - started)
        try:
            data = r.json()
        except ValueError:
            data = None
        if r.status_code >= 400:
            code = (data or {}).get("error", {}).get("code", str(r.status_code)) \
                if isinstance(data, dict) else str(r.status_code)
            self.counts.refused[code] += 1
            if r.status_code >= 500:
                log.warning("demo traffic: %s %s → %s", method, path, r.status_code)
        return r.status_code, data

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def _minute(self) -> float:
        local = self.clock().astimezone(self.layout.hall.tz)
        return local.hour * 60.0 + local.minute + local.second / 60.0

    # --- the run ------------------------------------------------------------------------

    async def run(self) -> Counts:
        """Until `stopping()` says so or the task is cancelled; returns what was done."""
        limits = httpx.Limits(max_connections=len(self.setup.windows) + KIOSKS + 8,
                              max_keepalive_connections=len(self.setup.windows) + KIOSKS + 8)
        async with httpx.AsyncClient(timeout=30, limits=limits, trust_env=False) as client:
            self._client = client
            tasks = [asyncio.create_task(self._kiosks())]
            tasks += [asyncio.create_task(self._clerk(w)) for w in self.setup.windows]
            tasks += [asyncio.create_task(self._pad(w)) for w in self.setup.windows]
            loop = asyncio.get_running_loop()
            said = loop.time()
            try:
                while not self.stopping():
                    await asyncio.sleep(0.2)
                    if self.report_every and loop.time() - said >= self.report_every:
                        said = loop.time()
                        log.info("%s", self.summary())
            finally:
                tasks += list(self._inflight)
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                self._client = None
                log.info("演示客流已停止 demo traffic stopped; %s", self.summary())
        return self.counts

    def summary(self) -> str:
        d = self.counts.done
        return (f"演示客流 demo traffic: 取号 issued {d['issued']} · 叫号 called {d['called']} · "
                f"重呼 recalled {d['recalled']} · 办结 completed {d['completed']} · "
                f"转下一环节 forwarded {d['forwarded']} · 转移 transferred {d['transferred']} · "
                f"过号 no-show {d['no_show']} · 暂停 breaks {d['paused']} · 评价 rated {d['rated']}")

    async def _kiosks(self) -> None:
        # Each applicant at a kiosk is a task of their own: a slow answer to one does not
        # hold back the next arrival (the stream stays Poisson at any server speed).
        if self.opening:
            for _ in range(b.opening_queue(len(self.setup.windows))):
                self._spawn(self._issue())
                await self._sleep(0.05)
        while True:
            await self._sleep(b.next_gap(self.rng, self.pace,
                                         b.rate_factor(self.demand, self._minute())))
            self._spawn(self._issue())

    def _spawn(self, work: Any) -> None:
        t = asyncio.create_task(work)
        self._inflight.add(t)
        t.add_done_callback(self._inflight.discard)

    async def _issue(self) -> None:
        business, journey = self.mix.pick(self.rng)
        body: dict[str, Any] = {"business": business,
                                "applicant": b.applicant(self.rng, self.clock().date(),
                                                         self.demand.green_share)}
        if journey:
            body["journey"] = journey
        kiosk = self.rng.choice(self.setup.kiosks)
        try:
            status, out = await self._send("POST", "/tickets", kiosk, body,
                                           key=uuid.uuid4().hex)
        except Down:
            await self._sleep(1.0)
            return
        if status == 201:
            self.counts.done["issued"] += 1
            self.counts.issued_ids.append(out["id"])

    async def _clerk(self, window: int) -> None:
        """One clerk at one window for the life of the traffic."""
        token = self.setup.windows[window]
        rng = random.Random(self.rng.random())
        while True:
            try:
                await self._shift(window, token, rng)
            except Down:
                await self._sleep(1.0)

    async def _shift(self, window: int, token: str, rng: random.Random) -> None:
        status, w = await self._send("GET", f"/windows/{window}", token)
        if status != 200:
            await self._sleep(2.0)
            return
        if (w.get("staff") or {}).get("number") != self.setup.staff[window]:
            await self._send("POST", f"/windows/{window}/sign-in", token,
                             {"staff": self.setup.staff[window]})
        if w.get("status") == "paused":
            await self._send("POST", f"/windows/{window}/resume", token)
        if w.get("current"):  # left from an earlier start: finish it first
            await self._finish(token, {"id": w["current"]["id"],
                                       "business": w["current"]["business"]}, rng,
                               started=w["current"]["status"] == "serving")
        # An idle clerk looks again after a tenth of a model minute, then less often: a
        # hall of idle clerks polling flat out would be a load no real hall makes.
        first_idle = min(IDLE_POLL[1], max(IDLE_POLL[0], self.pace.seconds(0.1)))
        idle = first_idle
        while True:
            status, out = await self._send("POST", f"/windows/{window}/call-next", token)
            ticket = out.get("ticket") if status == 200 and isinstance(out, dict) else None
            if ticket is None:
                # Nobody waiting (or a refusal): look again a little later, less often.
                await self._sleep(rng.uniform(idle, 2 * idle))
                idle = min(4 * first_idle, idle * 1.5)
                if status in (401, 403):
                    return
                continue
            idle = first_idle
            self.counts.done["called"] += 1
            minutes = await self._serve(token, ticket, rng)
            if minutes and b.takes_break(rng, self.demand, minutes) and \
                    (await self._send("POST", f"/windows/{window}/pause", token))[0] == 200:
                self.counts.done["paused"] += 1
                await self._sleep(b.break_seconds(self.pace, self.demand))
                await self._send("POST", f"/windows/{window}/resume", token)

    async def _serve(self, token: str, ticket: dict, rng: random.Random) -> float:
        """One called ticket to its end; the model minutes spent serving (0: no-show)."""
        limit = self.layout.hall.recall_limit
        calls = b.calls_until_answered(rng, self.demand, limit)
        gap = b.recall_gap(self.pace, self.demand, limit)
        made = 1
        while calls is None or made < calls:
            await self._sleep(gap)
            if calls is None and made > limit:
                if (await self._send("POST", f"/tickets/{ticket['id']}/no-show", token))[0] == 200:
                    self.counts.done["no_show"] += 1
                return 0.0
            status, _ = await self._send("POST", f"/tickets/{ticket['id']}/recall", token)
            if status != 200:
                return 0.0  # a guide moved it, or the recall limit made it a no-show
            self.counts.done["recalled"] += 1
            made += 1
        await self._sleep(rng.uniform(0.1, 0.4) * gap)  # walking up to the window
        return await self._finish(token, ticket, rng, started=False)

    async def _finish(self, token: str, ticket: dict, rng: random.Random, *,
                      started: bool) -> float:
        tid = ticket["id"]
        if not started:
            status, _ = await self._send("POST", f"/tickets/{tid}/start", token)
            if status != 200:
                return 0.0
        seconds = b.service_seconds(rng, self.demand, self.pace, ticket["business"])
        await self._sleep(seconds)
        status, now = await self._send("GET", f"/tickets/{tid}", token)
        if status != 200:
            return 0.0
        end = b.finish(rng, now, self.transfer_to)
        if end.action == "transfer":
            status, _ = await self._send("POST", f"/tickets/{tid}/transfer", token,
                                         {"business": end.business})
            key = "transferred"
        else:
            status, _ = await self._send("POST", f"/tickets/{tid}/{end.action}", token)
            key = {"complete": "completed", "forward": "forwarded"}[end.action]
        if status == 200:
            self.counts.done[key] += 1
        return seconds / self.pace.seconds_per_minute

    async def _pad(self, window: int) -> None:
        """The pad facing the applicant: wakes on its window's completions on the event
        stream, and the applicant touches a level (or walks away)."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import WebSocketException
        url = self.base.replace("http", "ws", 1) + \
            f"/api/v1/events?token={self.setup.pads[window]}"
        rng = random.Random(self.rng.random())
        while True:
            try:
                async with connect(url, open_timeout=30, max_size=None) as ws:
                    async for raw in ws:
                        m = json.loads(raw)
                        if m.get("type") in ("ticket.completed", "ticket.forwarded") \
                                and m.get("window") == window and m.get("ticket"):
                            t = asyncio.create_task(self._rate(window, m["ticket"]["id"], rng))
                            self._inflight.add(t)
                            t.add_done_callback(self._inflight.discard)
            except (TimeoutError, OSError, WebSocketException):
                pass
            await self._sleep(1.0)

    async def _rate(self, window: int, ticket_id: str, rng: random.Random) -> None:
        body = b.rating(rng)
        if body is None:
            return
        await self._sleep(min(8.0, max(0.2, self.pace.seconds(0.25))))
        with contextlib.suppress(Down):
            status, _ = await self._send("POST", f"/tickets/{ticket_id}/evaluation",
                                         self.setup.pads[window], body)
            if status == 201:
                self.counts.done["rated"] += 1


def describe(setup: Setup, traffic: Traffic) -> list[str]:
    """The lines `hallq serve --demo --traffic` prints: what runs, and where people may try."""
    staffed = sorted(setup.windows)
    hand = "、".join(str(n) for n in setup.hand)
    return [
        f"演示客流 demo traffic: 每分钟约 {traffic.pace.arrivals_per_minute:g} 人取号 "
        f"/ about {traffic.pace.arrivals_per_minute:g} applicants a minute; "
        f"{len(staffed)} 个窗口由模拟工作人员办理 / windows staffed by simulated clerks: "
        f"{_ranges(staffed)} (工号 {STAFF_FIRST}–{STAFF_FIRST + len(staffed) - 1})",
        f"  留给您亲手试用的窗口 windows left for you to try by hand: {hand} "
        "（没有模拟工作人员 / no simulated clerk）",
    ]


def _ranges(numbers: list[int]) -> str:
    out: list[str] = []
    start = prev = None
    for n in numbers:
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            out.append(f"{start}" if start == prev else f"{start}–{prev}")
            start = prev = n
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}–{prev}")
    return ", ".join(out)
