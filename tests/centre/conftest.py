"""Three real PostgreSQL clusters for the session: two county halls and the city centre."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hallrules.id_number import check_digit
from queue_server.domain.layout import Layout, parse_layout
from queue_server.hall import Hall
from queue_server.store.db import make_engine, migrate
from queue_server.store.repository import Store
from tests.centre.clusters import Cluster, server_bin
from tests.conftest import Clock

# The page tests' real Chromium, for the city page (test_serve.py).
from tests.pages.conftest import open_page, pages_dir  # noqa: F401

SMALL = Path(__file__).parents[2] / "layouts" / "small.toml"


def layout_for(code: str) -> Layout:
    text = SMALL.read_text(encoding="utf-8").replace('code = "XS01"', f'code = "{code}"', 1)
    layout, problems = parse_layout(text)
    assert layout is not None, problems
    return layout


def id_number(n: int) -> str:
    first17 = f"4301001980{(n % 12) + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}"
    return first17 + check_digit(first17)


@dataclass
class CountyHall:
    code: str
    cluster: Cluster
    url: str
    engine: Engine
    hall: Hall
    issued: int = 0
    ids: list[str] = field(default_factory=list)

    def issue(self, n: int) -> None:
        """n applicants at the kiosk, every third with an ID card (personal data at the
        hall that must not travel); the clock moves a minute each."""
        businesses = ["second_hand", "mortgage", "cancel", "certificate", "query"]
        for _ in range(n):
            self.issued += 1
            self.hall.clock.advance(seconds=20)  # type: ignore[attr-defined]
            k = self.issued
            t = self.hall.issue(businesses[k % len(businesses)], actor="kiosk:test",
                                id_number=id_number(k) if k % 3 == 0 else None,
                                name="张三" if k % 3 == 0 else "")
            self.ids.append(t.id)

    def serve_some(self, n: int) -> None:
        for _ in range(n):
            self.hall.clock.advance(seconds=30)  # type: ignore[attr-defined]
            t = self.hall.call_next(1, actor="window:1", acting_window=1)
            if t is None:
                return
            self.hall.act("start", t.id, actor="window:1", acting_window=1)
            self.hall.act("complete", t.id, actor="window:1", acting_window=1)


@dataclass
class Network:
    centre: Cluster
    centre_url: str
    halls: dict[str, CountyHall]


def wait_for(check: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # a server restarting: try again until the deadline
            pass
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


@pytest.fixture(scope="session")
def network() -> Iterator[Network]:
    bin_dir = server_bin()
    if bin_dir is None:
        pytest.skip("没有安装 PostgreSQL 服务器（initdb/pg_ctl）/ no PostgreSQL server binaries "
                    "installed (initdb, pg_ctl): the centre's replication tests need them")
    clusters = {name: Cluster(name, bin_dir) for name in ("centre", "hy01", "ly02")}
    try:
        for c in clusters.values():
            c.init()
            c.start()
        centre_url = clusters["centre"].create_db("city")
        halls = {}
        for code in ("HY01", "LY02"):
            cluster = clusters[code.lower()]
            url = cluster.create_db("hall")
            engine = make_engine(url)
            migrate(engine, code)
            # 09:00 in Shanghai on a working day.
            clock = Clock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
            hall = Hall(layout_for(code), Store(engine), b"k" * 32, clock=clock)
            halls[code] = CountyHall(code, cluster, url, engine, hall)
        yield Network(clusters["centre"], centre_url, halls)
        for h in halls.values():
            h.engine.dispose()
    finally:
        for c in clusters.values():
            c.remove()
