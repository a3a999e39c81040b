"""Kiosk fixtures: a real queue server (in-process or on a socket), the real device
simulators (ID reader on a pty, sim printer, sim scanner, sim voice), and the flow."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from datetime import time as dtime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from devices.config import SIM_CONFIG
from devices.idcard import DEMO_CARDS
from devices.manager import DeviceManager
from devices.scanner import SlipKind, make_slip
from devices.scanner.appointment import appointment_value
from kiosk.client import HallClient
from kiosk.flow import Flow
from kiosk.hardware import Hardware
from kiosk.settings import KioskSettings
from queue_server.settings import DEFAULT_CATALOGUE
from tests.conftest import REPO
from tests.server.conftest import AppFactory, AppHandle, make_app  # noqa: F401 (a fixture)

SMALL = REPO / "layouts" / "small.toml"
SLIP_KEY = "kiosk-test-slip-key-0123456789"
DAY = date(2026, 11, 23)  # the `clock` fixture's day in Shanghai: 09:00


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """Kiosk tests need one database, not each of them: SQLite."""
    return f"sqlite:///{tmp_path / 'hallq.db'}"


class Ticker:
    """The kiosk's monotonic clock, moved by hand (idle time-outs, health intervals)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def layout_variant(tmp_path: Path, **replacements: str) -> Path:
    """small.toml with some lines replaced, e.g. allow_anonymous = false."""
    text = SMALL.read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "variant.toml"
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class Rig:
    """One kiosk against one hall: what a test drives and what it checks."""

    hall: AppHandle
    flow: Flow
    hw: Hardware
    ticker: Ticker
    http: httpx.Client  # to the same server, as staff
    closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def state(self) -> Any:
        return self.flow.state

    @property
    def reader(self) -> Any:
        return self.hw.simulator("idcard")

    @property
    def printer(self) -> Any:
        return self.hw.simulator("printer")

    @property
    def scanner(self) -> Any:
        return self.hw.simulator("scanner")

    @property
    def voice(self) -> Any:
        return self.hw.simulator("voice")

    def tick(self, times: int = 1) -> None:
        for _ in range(times):
            self.flow.tick()

    def lay(self, card: str) -> None:
        """Lay a demo card and let the kiosk notice (lifting whatever lay there first)."""
        if self.reader.card is not None:
            self.reader.lift()
            self.tick()
        self.reader.lay(DEMO_CARDS[card])
        self.tick()

    def present(self, text: str) -> None:
        self.scanner.present(text)
        self.tick()

    def printed(self) -> bytes:
        return b"".join(self.printer.jobs)

    def headers(self, role: str = "guide") -> dict[str, str]:
        return self.hall.headers(role)

    def server_ticket(self, ticket_id: str) -> dict[str, Any]:
        r = self.http.get(f"/api/v1/tickets/{ticket_id}", headers=self.headers())
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def issue_direct(self, business: str, id_number: str | None = None) -> httpx.Response:
        """A ticket taken at another kiosk (or by a guide), to fill caps and limits."""
        body: dict[str, Any] = {"business": business}
        if id_number:
            body["applicant"] = {"id_number": id_number, "name": "某人"}
        return self.http.post("/api/v1/tickets", json=body, headers=self.headers("kiosk"))

    def item(self, business: str, *, journey: bool = False) -> Any:
        """A catalogue item of this hall for `business` (with or without a journey)."""
        for cat in self.state.hall.categories:
            for i in cat.items:
                if i.business == business and bool(i.journey) == journey:
                    return i
        raise AssertionError(f"no item for {business}")

    def appointment_slip(self, business: str, start: dtime, end: dtime,
                         serial: str = "P0001") -> str:
        return make_slip(SlipKind.APPOINTMENT,
                         appointment_value(DAY, start, end, business, serial), SLIP_KEY)

    def kiosk_reports(self) -> list[dict[str, Any]]:
        r = self.http.get("/api/v1/kiosks", headers=self.headers())
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]


def open_devices() -> DeviceManager:
    return DeviceManager.from_file(SIM_CONFIG).open()


def build_flow(handle: AppHandle, http: httpx.Client, *, ticker: Callable[[], float],
               settings: KioskSettings | None = None,
               manager: DeviceManager | None = None) -> tuple[Flow, Hardware]:
    token = handle.token("kiosk")
    client = HallClient(token=token, http=http) if isinstance(http, TestClient) else HallClient(
        str(http.base_url), token)
    hw = Hardware(manager or open_devices())
    flow = Flow(client, hw, settings or KioskSettings(name="k-test"), clock=ticker)
    return flow, hw


@pytest.fixture
def make_hall(make_app: AppFactory) -> Callable[..., AppHandle]:  # noqa: F811
    """tests/server's make_app, with the business catalogue (the kiosk's menus) on, and
    the slip key the test slips are signed with (`slips=False`: a hall without one)."""

    def factory(layout: Path = SMALL, *, catalogue: bool = True, slips: bool = True
                ) -> AppHandle:
        return make_app(layout, catalogue_path=DEFAULT_CATALOGUE if catalogue else None,
                        slip_key=SLIP_KEY if slips else None)

    return factory


@pytest.fixture
def rig_factory(make_hall: Callable[..., AppHandle]) -> Iterator[Callable[..., Rig]]:
    """Build a kiosk against a fresh hall (in-process, through Starlette's TestClient)."""
    rigs: list[Rig] = []

    def build(layout: Path = SMALL, *, catalogue: bool = True, slips: bool = True,
              settings: KioskSettings | None = None, start: bool = True) -> Rig:
        handle = make_hall(layout, catalogue=catalogue, slips=slips)
        client = TestClient(handle.app)
        client.__enter__()
        ticker = Ticker()
        flow, hw = build_flow(handle, client, ticker=ticker, settings=settings)
        rig = Rig(handle, flow, hw, ticker, client,
                  closers=[hw.close, lambda: client.__exit__(None, None, None)])
        rigs.append(rig)
        if start:
            flow.start()
        return rig

    yield build
    for rig in rigs:
        for close in rig.closers:
            close()


@pytest.fixture
def rig(rig_factory: Callable[..., Rig]) -> Rig:
    return rig_factory()


# --- the case and archive routes -------------------------------------------------------

CASE_ROUTE = "/api/v1/cases/lookup"
ARCHIVE_ROUTE = "/api/v1/archive/lookup"


def has_route(app: FastAPI, path: str) -> bool:
    return path in app.openapi().get("paths", {})


def need_route(app: FastAPI, path: str) -> None:
    """The product ships this route: a test of the kiosk path through it fails, never
    skips, when it goes missing."""
    assert has_route(app, path), f"the server no longer has {path}"


def seed_card(http: httpx.Client, headers: dict[str, str], id_number: str) -> None:
    """The back office holds the card of a demo card's holder (issuing authority and
    validity), as the kiosk's reader will read it from the chip."""
    card = next((c for c in DEMO_CARDS.values()
                 if getattr(c, "id_number", None) == id_number), None)
    if card is None:
        return  # someone whose card the back office has never seen
    body = {"cards": [{"id_number": id_number, "authority": card.authority,
                       "valid_from": card.valid_from.isoformat(),
                       "valid_to": card.valid_to.isoformat() if card.valid_to else None}]}
    r = http.put("/api/v1/id-cards", json=body, headers=headers)
    assert r.status_code == 200, r.text


def seed_case(http: httpx.Client, headers: dict[str, str], case_no: str, id_number: str,
              *, step: str = "review_2") -> dict[str, Any]:
    """A case pushed as the back office pushes it; returns the push answer (with the
    receipt token the back office prints)."""
    steps = ["accepted", "review_1", "review_2", "review_3", "recorded", "printed", "ready"]
    upto = steps[: steps.index(step) + 1]
    body = {
        "version": 1, "item": "second_hand_sale", "item_name": "二手房买卖转移登记",
        "accepted_at": "2026-11-20T09:12:00+08:00",
        "applicants": [{"id_number": id_number, "name": "张伟", "role": "权利人"}],
        "steps": [{"seq": i + 1, "step": s, "at": f"2026-11-{20 + i:02d}T10:00:00+08:00"}
                  for i, s in enumerate(upto)],
    }
    r = http.put(f"/api/v1/cases/{case_no}", json=body, headers=headers)
    assert r.status_code in (200, 201), r.text
    seed_card(http, headers, id_number)
    return r.json()  # type: ignore[no-any-return]


def seed_unit(http: httpx.Client, headers: dict[str, str], unit_no: str, id_number: str,
              *, mortgaged: bool = True, seized: bool = True) -> None:
    body: dict[str, Any] = {
        "version": 1, "location": "衡阳市蒸湘区解放大道88号3栋2单元501室", "use": "住宅",
        "area_m2": 98.5, "certificate_no": "湘(2024)衡阳市不动产权第0012345号",
        "holders": [{"id_number": id_number, "name": "张伟", "share": "共同共有"}],
    }
    if mortgaged:
        body["mortgages"] = [{"holder": "中国建设银行衡阳分行", "amount_yuan": 320000,
                              "term_start": "2024-03-01", "term_end": "2044-03-01"}]
    if seized:
        body["seizures"] = [{"court": "衡阳市石鼓区人民法院", "date": "2026-01-05",
                             "until": "2029-01-04"}]
    r = http.put(f"/api/v1/units/{unit_no}", json=body, headers=headers)
    assert r.status_code in (200, 201), r.text
    seed_card(http, headers, id_number)
