"""Every paper ticket carries its follow-link QR by default (issue 15): read back from the
ESC/POS bytes the simulated printer received, as the printer would store the symbol."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from kiosk.settings import KioskSettings
from kiosk.state import Purpose, Screen
from kiosk.ticketing import public_base
from queue_server.settings import DEFAULT_CATALOGUE
from tests.kiosk.conftest import SLIP_KEY, SMALL, Rig, Ticker, build_flow
from tests.server.conftest import AppFactory, AppHandle, LiveServer

# GS ( k pL pH 1 P 0 d…: store the QR symbol's data (python-escpos's native QR).
QR_STORE = re.compile(rb"\x1d\(k(..)1P0", re.S)
QR_PRINT = b"\x1d(k\x03\x001Q0"
LAN = "http://192.0.2.10:8000"  # the server as a kiosk on the hall's network reaches it


def printed_qrs(job: bytes) -> list[str]:
    """The content of every QR symbol stored in one ESC/POS job."""
    out = []
    for m in QR_STORE.finditer(job):
        size = int.from_bytes(m.group(1), "little") - 3
        out.append(job[m.end(): m.end() + size].decode("ascii"))
    return out


def kiosk_at(make_app: AppFactory, base_url: str, *,
             settings: KioskSettings | None = None, public_url: str = "") -> Rig:
    """A kiosk that reaches its server at `base_url` (in-process: the address is what the
    kiosk believes, the requests go to the real app)."""
    handle = make_app(SMALL, catalogue_path=DEFAULT_CATALOGUE, slip_key=SLIP_KEY,
                      public_url=public_url)
    client = TestClient(handle.app, base_url=base_url)
    client.__enter__()
    ticker = Ticker()
    flow, hw = build_flow(handle, client, ticker=ticker,
                          settings=settings or KioskSettings(name="k-qr"))
    rig = Rig(handle, flow, hw, ticker, client,
              closers=[hw.close, lambda: client.__exit__(None, None, None)])
    flow.start()
    return rig


def take_ticket(rig: Rig) -> tuple[str, bytes]:
    """An anonymous ticket for 领取不动产权证书; its id and the printer's job."""
    before = len(rig.printer.jobs)
    rig.flow.start_purpose(Purpose.TICKET)
    rig.flow.skip_card()
    rig.flow.choose_item(rig.item("certificate").code)
    rig.flow.confirm_ticket()
    assert rig.state.screen is Screen.TICKET and rig.state.result.printed, rig.state
    assert len(rig.printer.jobs) == before + 1
    return rig.state.result.ticket.id, rig.printer.jobs[-1]


@pytest.fixture
def closing() -> Callable[[Rig], Rig]:
    rigs: list[Rig] = []

    def keep(rig: Rig) -> Rig:
        rigs.append(rig)
        return rig

    yield keep
    for rig in rigs:
        for close in rig.closers:
            close()


def test_without_any_public_address_the_ticket_qr_is_the_servers_link_on_the_kiosks_lan(
        make_app: AppFactory, closing: Callable[[Rig], Rig]) -> None:
    rig = closing(kiosk_at(make_app, LAN))
    assert rig.hall.settings.public_url == ""  # the server knows no public address
    ticket_id, job = take_ticket(rig)
    (qr,) = printed_qrs(job)
    assert QR_PRINT in job  # stored and printed
    path = rig.server_ticket(ticket_id)["follow_url"]
    assert path.startswith("/t/") and qr == LAN + path
    # The link opens the ticket's own page, with no token, as a phone would.
    page = rig.http.get(urlsplit(qr).path)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]


def test_the_servers_public_address_wins_over_the_kiosks_view_of_it(
        make_app: AppFactory, closing: Callable[[Rig], Rig]) -> None:
    rig = closing(kiosk_at(make_app, LAN, public_url="https://hall.example"))
    ticket_id, job = take_ticket(rig)
    assert printed_qrs(job) == [rig.server_ticket(ticket_id)["follow_url"]]
    assert printed_qrs(job)[0].startswith("https://hall.example/t/")


def test_a_kiosk_follow_url_template_still_wins_over_the_fallback(
        make_app: AppFactory, closing: Callable[[Rig], Rig]) -> None:
    settings = KioskSettings(name="k-qr", follow_url="https://h.example/q/{number}")
    rig = closing(kiosk_at(make_app, LAN, settings=settings))
    _ticket_id, job = take_ticket(rig)
    assert printed_qrs(job) == [f"https://h.example/q/{rig.state.result.ticket.number}"]


def test_a_kiosk_that_reaches_its_server_on_loopback_prints_no_qr_and_says_why_once(
        make_hall: Callable[..., AppHandle], closing: Callable[[Rig], Rig],
        caplog: pytest.LogCaptureFixture) -> None:
    """A real socket on 127.0.0.1: a phone scanning 127.0.0.1 would open itself."""
    handle = make_hall(SMALL)
    with LiveServer(handle.app) as server, httpx.Client(base_url=server.url) as http:
        ticker = Ticker()
        flow, hw = build_flow(handle, http, ticker=ticker)
        rig = closing(Rig(handle, flow, hw, ticker, http, closers=[hw.close]))
        flow.start()
        with caplog.at_level(logging.WARNING, logger="kiosk.flow.issuing"):
            _, first = take_ticket(rig)
            rig.flow.home()
            _, second = take_ticket(rig)
    assert printed_qrs(first) == printed_qrs(second) == []
    assert QR_PRINT not in first + second and "手机扫码".encode("gbk") not in first
    said = [r.getMessage() for r in caplog.records if "follow-link QR" in r.getMessage()]
    assert len(said) == 1 and "127.0.0.1" in said[0] and "HALLQ_PUBLIC_URL" in said[0], said


@pytest.mark.parametrize(("url", "base"), [
    ("http://192.0.2.10:8000", "http://192.0.2.10:8000"),
    ("http://hall-server:8000/", "http://hall-server:8000"),
    ("https://hall.example/hallq/", "https://hall.example/hallq"),
    ("http://[fd00::5]:8000", "http://[fd00::5]:8000"),
    ("http://127.0.0.1:8000", ""),
    ("http://127.8.9.1:8000", ""),
    ("http://localhost:8000", ""),
    ("http://LOCALHOST:8000", ""),
    ("http://kiosk.localhost", ""),
    ("http://[::1]:8000", ""),
    ("http://0.0.0.0:8000", ""),
    ("", ""),
    ("ftp://hall.example", ""),
])
def test_which_server_addresses_a_phone_could_open(url: str, base: str) -> None:
    got, why = public_base(url)
    assert got == base
    assert bool(why) == (not base)
