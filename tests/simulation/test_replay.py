"""`hallq simulate --replay`: a real stored day, made through the API, replayed.

The day is driven through the real API with the test clock, by staff who work the way the
simulator's windows do: a window calls the moment it is free, the window idle longest
calls first, a pause waits for the ticket in hand. With the same policy and staffing the
replay must then give the day's own waits back (see `test_the_same_policy_reproduces_the_day`
for the tolerance), and two more windows must not make any wait figure longer.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from queue_server.domain.layout import load_layout
from queue_server.simulation.replay import (
    ReplayError,
    busiest_business,
    compare_replay,
    local_midnight,
    rebuild,
)
from queue_server.store.db import make_engine
from queue_server.store.replay import read_day
from tests.conftest import REPO
from tests.server.conftest import AppFactory, AppHandle, make_app  # noqa: F401 (fixture)

DAY = date(2026, 11, 23)  # the `clock` fixture's day: 09:00 in Shanghai

LAYOUT = """
[hall]
code = "RP01"
name = "回放测试大厅"
name_en = "Replay hall"
timezone = "Asia/Shanghai"
clear_time = "19:00"
per_id_daily_limit = 100

[routing]
policy = "oldest_eligible"

[[zones]]
code = "front"
name = "综合区"

[[businesses]]
code = "transfer"
name = "转移登记"
prefix = "A"
service_minutes = 8
wait_target_minutes = 15

[[businesses]]
code = "mortgage"
name = "抵押登记"
prefix = "B"
service_minutes = 6
wait_target_minutes = 15

[[windows]]
number = 1
zone = "front"
businesses = ["transfer"]

[[windows]]
number = 2
zone = "front"
businesses = ["transfer", "mortgage"]

[[windows]]
number = 3
zone = "front"
businesses = ["mortgage"]

[[windows]]
number = 4
zone = "front"
businesses = ["mortgage"]
"""


@dataclass
class Applicant:
    minute: float  # after 09:00
    business: str
    service: float  # minutes at the window (for a no-show: how long the window waited)
    no_show: bool = False
    green: bool = False
    cancel_after: float | None = None  # gives up this long after arriving, if not called


def busy_morning() -> list[Applicant]:
    """40 applicants over 80 minutes for three working windows: a queue builds up."""
    rng = random.Random(7)
    people = []
    for i in range(40):
        business = "transfer" if i % 5 < 3 else "mortgage"
        service = rng.uniform(6, 10) if business == "transfer" else rng.uniform(4, 8)
        people.append(Applicant(round(rng.uniform(0, 80), 4), business, round(service, 4)))
    people.sort(key=lambda a: a.minute)
    people[5].no_show, people[5].service = True, 2.5  # called, recalled, gone
    people[12].green = True  # a guide grants the green channel
    people[30].cancel_after = 4.0  # gives up before being called
    return people


def drive_day(client: TestClient, handle: AppHandle, people: list[Applicant],
              windows: tuple[int, ...] = (1, 2, 3),
              pauses: dict[int, tuple[float, float]] | None = None) -> None:
    """Work the day through the API. Window 4 stays unstaffed (closed at 09:00)."""
    clock, base = handle.clock, handle.clock.now
    guide, kiosk = handle.headers("guide"), handle.headers("kiosk")

    def at(minute: float) -> None:
        clock.now = base + timedelta(minutes=minute)

    def post(path: str, headers: dict[str, str], body: dict | None = None) -> dict:
        r = client.post(f"/api/v1{path}", json=body, headers=headers)
        assert r.status_code in (200, 201), r.text
        return r.json()

    post("/windows/4/close", guide)
    pending = {w: span for w, span in (pauses or {}).items()}
    paused_until: dict[int, float] = {}
    idle_since = {w: 0.0 for w in windows}
    busy: dict[int, tuple[float, str, bool]] = {}  # window → (end, ticket, no-show)
    waiting_cancels: dict[str, float] = {}
    issued: dict[str, Applicant] = {}
    queue = list(people)
    now = 0.0

    def free_windows_call() -> None:
        for w in sorted((w for w in windows if w not in busy and w not in paused_until),
                        key=lambda w: (idle_since[w], w)):
            if w in pending and pending[w][0] <= now:  # a due pause comes first
                start, end = pending.pop(w)
                post(f"/windows/{w}/pause", guide)
                paused_until[w] = max(end, now)
                continue
            t = post(f"/windows/{w}/call-next", guide)["ticket"]
            if t is None:
                continue
            who = issued[t["id"]]
            waiting_cancels.pop(t["id"], None)
            if not who.no_show:
                post(f"/tickets/{t['id']}/start", guide)
            busy[w] = (now + who.service, t["id"], who.no_show)

    while queue or busy or paused_until or waiting_cancels:
        times = [queue[0].minute] if queue else []
        times += [end for end, _, _ in busy.values()] + list(paused_until.values())
        times += list(waiting_cancels.values())
        times += [s for w, (s, _) in pending.items() if w not in busy and s > now]
        now = min(times)
        at(now)
        for w, (end, tid, gone) in sorted(busy.items()):
            if end == now:
                post(f"/tickets/{tid}/{'no-show' if gone else 'complete'}", guide)
                del busy[w]
                idle_since[w] = now
        for w, end in sorted(paused_until.items()):
            if end == now:
                post(f"/windows/{w}/resume", guide)
                del paused_until[w]
                idle_since[w] = now
        for tid, when in sorted(waiting_cancels.items()):
            if when == now:
                post(f"/tickets/{tid}/cancel", guide)
                del waiting_cancels[tid]
        while queue and queue[0].minute == now:
            who = queue.pop(0)
            body: dict = {"business": who.business}
            if who.green:
                body["priority"] = "green"
            t = post("/tickets", guide if who.green else kiosk, body)
            issued[t["id"]] = who
            if who.cancel_after is not None:
                waiting_cancels[t["id"]] = now + who.cancel_after
        free_windows_call()


@pytest.fixture
def layout_path(tmp_path: Path) -> Path:
    path = tmp_path / "replay.toml"
    path.write_text(LAYOUT, encoding="utf-8")
    return path


@pytest.fixture
def stored_day(make_app: AppFactory, db_url: str, layout_path: Path) -> str:  # noqa: F811
    """The busy morning, stored in this test's database (SQLite, and PostgreSQL)."""
    handle = make_app(layout=layout_path)
    with TestClient(handle.app) as client:
        drive_day(client, handle, busy_morning(), pauses={3: (30.0, 40.0)})
    return db_url


def replay_of(db_url: str, layout_path: Path):  # type: ignore[no-untyped-def]
    layout = load_layout(layout_path)
    engine = make_engine(db_url)
    try:
        rows, events = read_day(engine, DAY, local_midnight(layout, DAY))
    finally:
        engine.dispose()
    return layout, rebuild(layout, DAY, rows, events)


def test_the_store_gives_back_the_day_as_arrivals(stored_day, layout_path):
    layout, replay = replay_of(stored_day, layout_path)
    people = busy_morning()
    assert len(replay.arrivals) == 40
    assert [round(a.minute - 540, 3) for a in replay.arrivals] == [round(p.minute, 3) for p in people]
    assert [a.business for a in replay.arrivals] == [p.business for p in people]
    # Recorded service times, not the layout's typical ones (call → complete on the day).
    served = [(a, p) for a, p in zip(replay.arrivals, people, strict=True)
              if not p.no_show and p.cancel_after is None]
    assert all(abs(a.services[0] - p.service) < 1e-6 for a, p in served)
    assert replay.arrivals[5].no_show and abs(replay.arrivals[5].hold_minutes - 2.5) < 1e-6
    assert replay.arrivals[12].green
    assert replay.arrivals[30].cancel_minute is not None
    assert replay.arrivals[30].services == (layout.businesses["mortgage"].service_minutes,)
    assert replay.staffed == (1, 2, 3)  # window 4 was closed all day
    assert replay.pauses[3] == ((570.0, 580.0),)  # and window 4 closed from 09:00
    assert replay.cancelled == 1


def test_the_same_policy_reproduces_the_day(stored_day, layout_path):
    layout, replay = replay_of(stored_day, layout_path)
    doc, runs = compare_replay(layout, replay, policies=["oldest_eligible"])
    actual, same = doc["actual"], doc["variants"][0]
    assert (same["policy"], same["extra_windows"]) == ("oldest_eligible", 0)
    # The replay uses the day's own arrival instants, service times, no-show hold, cancel
    # time and pause, and the simulator's windows call as the day's staff did, so nothing
    # is sampled: what is left is float rounding of the stored instants (microseconds),
    # far inside 0.01 minute. A real day's staff are slower to press "call" than the
    # simulator, so there the replay comes out a little shorter (docs/simulation.md).
    for key in ("mean_wait_min", "p90_wait_min", "max_wait_min"):
        assert same[key] == pytest.approx(actual[key], abs=0.01), key
    assert same["served"] == actual["served"] == 38  # 40 less the no-show and the cancel
    assert same["service_level"] == actual["service_level"]
    # Ticket by ticket, too: each queue entry called at the minute it was that day.
    real = {(v.arrival, v.step): v.wait for v in replay.actual}
    sim = {(v.arrival, v.step): v.wait for v in runs[("oldest_eligible", 0)].visits}
    assert real.keys() == sim.keys()
    for key, wait in real.items():
        if wait is None:
            assert sim[key] is None
        else:
            assert sim[key] == pytest.approx(wait, abs=1e-6), key
    assert actual["mean_wait_min"] > 10  # a busy morning indeed


def test_two_more_windows_make_no_wait_longer(stored_day, layout_path):
    layout, replay = replay_of(stored_day, layout_path)
    assert busiest_business(replay) == "transfer"
    doc, runs = compare_replay(layout, replay, extra=2)
    assert doc["extra_business"] == "transfer" and doc["extra_window_numbers"] == [5, 6]
    variants = {(v["policy"], v["extra_windows"]): v for v in doc["variants"]}
    assert set(variants) == {(p, n) for p in ("dedicated", "own_first", "oldest_eligible",
                                              "full_pooling") for n in (0, 2)}
    for policy in ("dedicated", "own_first", "oldest_eligible", "full_pooling"):
        base, more = variants[(policy, 0)], variants[(policy, 2)]
        for key in ("mean_wait_min", "p90_wait_min", "max_wait_min"):
            assert more[key] <= base[key] + 1e-9, (policy, key)
        assert more["mean_wait_min"] < base["mean_wait_min"], policy
        # Served sooner, the applicant who gave up after four minutes may now be served.
        assert more["served"] >= base["served"]
    more = variants[("oldest_eligible", 2)]
    assert more["mean_wait_min"] < doc["actual"]["mean_wait_min"] / 2
    assert more["businesses"]["transfer"]["mean_wait_min"] < \
        doc["actual"]["businesses"]["transfer"]["mean_wait_min"]
    # The clones work as window 1 (transfer) did, and they did serve.
    windows = {v.window for v in runs[("oldest_eligible", 2)].visits}
    assert {5, 6} <= windows and 4 not in windows


def test_an_empty_day_cannot_be_replayed(layout_path):
    layout = load_layout(layout_path)
    with pytest.raises(ReplayError, match="没有取号记录"):
        rebuild(layout, DAY, [], [])


HALLQ = [sys.executable, "-m", "hallq"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    # cwd=REPO puts this checkout first on sys.path, so `-m hallq` runs this code.
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALLQ_")}
    return subprocess.run([*HALLQ, *args], capture_output=True, text=True, cwd=REPO, env=env,
                          timeout=120)


def test_cli_replays_a_stored_day(stored_day, layout_path, tmp_path):
    common = ("--db", stored_day, "--layout", str(layout_path), "--data", str(tmp_path / "var"))
    out = run("simulate", "--replay", DAY.isoformat(), *common, "--extra-windows", "2", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["day"] == "2026-11-23"
    assert {"mean_wait_min", "p90_wait_min", "max_wait_min", "served",
            "service_level"} <= doc["actual"].keys()
    assert len(doc["variants"]) == 8
    assert {"policy", "extra_windows", "mean_wait_min", "p90_wait_min", "max_wait_min",
            "served", "service_level"} <= doc["variants"][0].keys()

    table = run("simulate", "--replay", DAY.isoformat(), *common, "--policy", "oldest_eligible",
                "--extra-windows", "2")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert "方案 variant" in lines[1] and "平均等候 mean" in lines[1] and "达标率" in lines[1]
    assert lines[3].startswith("实际 actual")
    assert any(line.startswith("oldest_eligible *") and "+2" in line for line in lines)

    empty = run("simulate", "--replay", "2026-11-24", *common)
    assert empty.returncode == 1 and empty.stderr.startswith("2026-11-24 没有取号记录")
    bad = run("simulate", "--replay", "2026-13-01", *common)
    assert bad.returncode == 2 and "argument --replay" in bad.stderr and "YYYY-MM-DD" in bad.stderr
    drawn = run("simulate", "--replay", DAY.isoformat(), *common, "--days", "3")
    assert drawn.returncode == 2 and "--days" in drawn.stderr
