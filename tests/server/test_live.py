"""Live updates as `hallq serve` sends them (issue 17): each client gets only what it
shows, in frames written straight to its socket, and phones past the server's limit are
told to poll. Against a real server, since the direct frames are `hallq serve`'s own
(the tests' plain uvicorn takes the queued path, tests/server/test_events.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from queue_server.broadcast import EVERYTHING, Hub, business_audience, ticket_audience
from tests.server.served import Server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(tmp_path_factory.mktemp("live") / "var", HALLQ_LIVE_MAX_PHONES="2")
    s.tokens = {r: s.token(r) for r in ("kiosk", "guide", "display")}  # type: ignore[attr-defined]
    s.start()
    yield s
    s.stop()


def api(server: Server, role: str) -> httpx.Client:
    return httpx.Client(base_url=f"{server.url}/api/v1", timeout=10, headers={
        "Authorization": f"Bearer {server.tokens[role]}"})  # type: ignore[attr-defined]


def ws(server: Server, path: str) -> ClientConnection:
    return connect(f"ws://127.0.0.1:{server.port}/api/v1{path}", open_timeout=10)


def until(conn: ClientConnection, wanted: Any, within: float = 10) -> list[dict]:
    """Messages up to and including the first for which `wanted` holds."""
    got: list[dict] = []
    deadline = time.monotonic() + within
    while True:
        msg = json.loads(conn.recv(timeout=max(0.01, deadline - time.monotonic())))
        got.append(msg)
        if wanted(msg):
            return got


def quiet(conn: ClientConnection, within: float = 0.3) -> list[dict]:
    """What arrives in the next moment (nothing, for a client an event is not for)."""
    got = []
    try:
        while True:
            got.append(json.loads(conn.recv(timeout=within)))
    except TimeoutError:
        return got


def window_for(server: Server, business: str) -> int:
    with api(server, "guide") as c:
        return next(w["number"] for w in c.get("/windows").json()
                    if business in w["businesses"] and w["status"] == "open")


def test_each_client_gets_only_what_it_shows(server: Server):
    query_window = window_for(server, "query")
    other = next(n for n in range(1, 200) if n != query_window)
    token = server.tokens["display"]  # type: ignore[attr-defined]
    with api(server, "kiosk") as kiosk, api(server, "guide") as guide, \
            ws(server, f"/events?token={token}") as hall_screen, \
            ws(server, f"/events?token={token}&window={query_window}") as display, \
            ws(server, f"/events?token={token}&window={other}") as other_display:
        snaps = [json.loads(c.recv(timeout=10)) for c in (hall_screen, display, other_display)]
        assert [s["type"] for s in snaps] == ["snapshot"] * 3
        # The display's snapshot holds its own window and nobody's ticket.
        assert [w["number"] for w in snaps[1]["windows"]] == [query_window]
        assert "waiting" not in snaps[1]

        first = kiosk.post("/tickets", json={"business": "query"}).json()
        second = kiosk.post("/tickets", json={"business": "query"}).json()
        ref = first["follow_url"].rsplit("/", 1)[1]
        ref2 = second["follow_url"].rsplit("/", 1)[1]
        with ws(server, f"/follow/{ref}/events") as phone, \
                ws(server, f"/follow/{ref2}/events") as phone2:
            snap = json.loads(phone.recv(timeout=10))
            assert snap["type"] == "snapshot" and snap["ticket"]["number"] == first["number"]
            assert snap["places"][first["number"]][0] == first["waiting_ahead"]
            json.loads(phone2.recv(timeout=10))
            # The places agree with what the follow link itself says of each ticket.
            for t, r in ((first, ref), (second, ref2)):
                seen = httpx.get(f"{server.url}/api/v1/follow/{r}").json()
                ahead_, minutes, low, high = snap["places"][t["number"]]
                assert (ahead_, minutes) == (seen["waiting_ahead"], seen["estimated_wait_minutes"])
                assert [low, high] == (seen["estimated_wait_range"] or [None, None])
            ahead = snap["places"][second["number"]][0]
            assert ahead > snap["places"][first["number"]][0]

            r = guide.post(f"/windows/{query_window}/call-next")
            assert r.json()["ticket"]["id"] == first["id"], r.text

            # The hall screen hears everything: both issues, the call, the queues after.
            heard = until(hall_screen, lambda m: m["type"] == "ticket.called")
            heard += until(hall_screen, lambda m: m["type"] == "queues")
            kinds = [m["type"] for m in heard]
            assert kinds.count("ticket.issued") == 2 and "queues" in kinds
            called = until(display, lambda m: m["type"] == "ticket.called")
            assert all(m.get("window") in (query_window, None) for m in called)
            assert not any(m["type"] in ("ticket.issued", "queues") for m in called)
            assert called[-1]["ticket"]["number"] == first["number"]
            assert quiet(other_display) == []

            # The phone: its ticket called at the window; the one behind moves up.
            mine = until(phone, lambda m: m["type"] == "ticket" and m["ticket"]["status"] == "called")
            assert mine[-1]["ticket"]["window"] == query_window
            assert "applicant" not in mine[-1]["ticket"]
            moved = until(phone2, lambda m: m["type"] == "places"
                          and m["places"].get(second["number"], [99])[0] < ahead)
            assert first["number"] not in moved[-1]["places"]  # called: no longer waiting
            # Phone 2's own ticket did not change: no ticket frame for it.
            assert not any(m["type"] == "ticket" for m in moved)
            guide.post(f"/tickets/{first['id']}/complete")


def test_a_phone_past_the_limit_is_told_to_poll_and_a_bad_link_is_refused(server: Server):
    with api(server, "kiosk") as kiosk:
        refs = [kiosk.post("/tickets", json={"business": "query"}).json()["follow_url"]
                .rsplit("/", 1)[1] for _ in range(3)]
    with ws(server, f"/follow/{refs[0]}/events") as a, ws(server, f"/follow/{refs[1]}/events") as b:
        assert json.loads(a.recv(timeout=10))["type"] == "snapshot"
        assert json.loads(b.recv(timeout=10))["type"] == "snapshot"
        with ws(server, f"/follow/{refs[2]}/events") as c:
            told = json.loads(c.recv(timeout=10))
            assert told["type"] == "poll" and told["every_seconds"] > 0
            assert "刷新" in told["message"]
            with pytest.raises(ConnectionClosed) as closed:
                c.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
        # The HTTP page still answers the third phone.
        assert httpx.get(f"{server.url}/api/v1/follow/{refs[2]}").status_code == 200
    with ws(server, "/follow/nonsense.abc/events") as bad:
        with pytest.raises(ConnectionClosed) as closed:
            bad.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404
    token = server.tokens["display"]  # type: ignore[attr-defined]
    for window in ("9999", "x"):
        with ws(server, f"/events?token={token}&window={window}") as bad:
            with pytest.raises(ConnectionClosed) as closed:
                bad.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404


def test_hub_encodes_once_per_audience_and_tells_phones_only_what_moved():
    places = {"query": {"Q001": [0, 3, 0, 5]}}
    hub = Hub(places=lambda code: dict(places[code]))
    listening = frozenset({EVERYTHING, business_audience("query"), ticket_audience("t1"),
                           ("window", 4)})
    batch = [{"type": "ticket.issued", "seq": 7, "at": "x", "window": None,
              "ticket": {"id": "t1", "number": "Q001", "business": "query", "status": "waiting",
                         "applicant": {"name_masked": "王**"}}},
             {"type": "queues", "seq": 7, "queues": [{"business": "query", "waiting": 1}]}]
    out = hub.frames(batch, listening)
    assert [json.loads(t)["type"] for _, t in out[EVERYTHING]] == ["ticket.issued", "queues"]
    assert ("window", 4) not in out  # nothing happened at window 4
    [(_, ticket)] = out[ticket_audience("t1")]
    assert json.loads(ticket)["ticket"]["number"] == "Q001"
    assert "applicant" not in json.loads(ticket)["ticket"]  # a phone never sees a name
    [(_, moved)] = out[business_audience("query")]
    assert json.loads(moved)["places"] == {"Q001": [0, 3, 0, 5]}
    # The same places again: phones hear nothing; changed places: they do.
    assert business_audience("query") not in hub.frames(batch, listening)
    places["query"]["Q002"] = [1, 6, 5, 10]
    assert business_audience("query") in hub.frames(batch, listening)


def test_closing_the_day_reaches_window_displays_and_phones():
    hub = Hub(places=lambda code: {})
    listening = frozenset({("window", 2), business_audience("query")})
    out = hub.frames([{"type": "day.closed", "seq": 9, "window": None}], listening)
    assert [json.loads(t)["type"] for _, t in out[("window", 2)]] == ["day.closed"]
    assert [json.loads(t)["type"] for _, t in out[business_audience("query")]] == ["day.closed"]


def test_events_go_out_as_plain_frames_written_once_for_all(server: Server):
    """Even where the client agreed to compression (every browser offers it), an event's
    frame is the one plain frame encoded for everyone: its JSON is on the wire as is."""
    import base64
    import os
    import socket

    token = server.tokens["display"]  # type: ignore[attr-defined]
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /api/v1/events?token={token} HTTP/1.1\r\nHost: x\r\n"
                  "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n").encode())
    raw = b""
    while b"\r\n\r\n" not in raw:
        raw += sock.recv(65536)
    head, _, raw = raw.partition(b"\r\n\r\n")
    assert b" 101 " in head and b"permessage-deflate" in head.lower()
    with api(server, "kiosk") as kiosk:
        number = kiosk.post("/tickets", json={"business": "query"}).json()["number"]
    deadline = time.monotonic() + 10
    while f'"number":"{number}"'.encode() not in raw:
        assert time.monotonic() < deadline, "the event never came as a plain frame"
        raw += sock.recv(65536)
    sock.close()
    # The snapshot went out through the connection's own compressor (RSV1 set on its
    # frame); the event's JSON is on the wire as is, so it was the shared plain frame.
    assert raw[0] & 0x40
