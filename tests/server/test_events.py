"""The event stream: a snapshot, then every event in order; slow clients never hold others."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket

import pytest
import websockets
from starlette.websockets import WebSocketDisconnect

from tests.conftest import run_async
from tests.server.conftest import LiveServer


def test_snapshot_then_events_in_order(api):
    client, h = api
    kiosk, w1 = h.headers("kiosk"), h.headers("window", 1)
    client.post("/api/v1/tickets", json={"business": "transfer"}, headers=kiosk)
    with client.websocket_connect(f"/api/v1/events?token={h.token('display')}") as ws:
        snap = ws.receive_json()
        assert snap["type"] == "snapshot" and snap["hall"]["name"] == "测试大厅"
        assert [t["number"] for t in snap["waiting"]] == ["A001"]
        assert {w["number"] for w in snap["windows"]} == {1, 2, 3, 4, 5, 6}
        client.post("/api/v1/windows/1/call-next", headers=w1)
        called = ws.receive_json()
        assert called["type"] == "ticket.called" and called["window"] == 1
        assert called["ticket"]["number"] == "A001" and called["seq"] > snap["seq"]
        assert called["window_state"]["current"]["number"] == "A001"
        queues = ws.receive_json()
        assert queues["type"] == "queues"
        client.post("/api/v1/windows/2/pause", headers=h.headers("guide"))
        paused = ws.receive_json()
        assert paused["type"] == "window.paused" and paused["window"] == 2


def test_recent_calls_are_in_the_snapshot(api):
    client, h = api
    kiosk, w1 = h.headers("kiosk"), h.headers("window", 1)
    t = client.post("/api/v1/tickets", json={"business": "transfer"}, headers=kiosk).json()
    client.post("/api/v1/windows/1/call-next", headers=w1)
    client.post(f"/api/v1/tickets/{t['id']}/recall", headers=w1)
    with client.websocket_connect(f"/api/v1/events?token={h.token('display')}") as ws:
        snap = ws.receive_json()
    assert [c["type"] for c in snap["recent_calls"]] == ["ticket.called", "ticket.recalled"]


def test_no_token_is_refused(api):
    client, _ = api
    with client.websocket_connect("/api/v1/events?token=bad") as ws, \
            pytest.raises(WebSocketDisconnect) as exc:
        ws.receive_json()
    assert exc.value.code == 4401


def stalled_websocket(url: str, path: str) -> socket.socket:
    """A display that connects and then never reads: a tiny receive buffer fills at once."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    assert b" 101 " in sock.recv(1024)
    return sock


def test_a_slow_display_is_dropped_and_never_delays_the_others(make_app):
    handle = make_app(client_queue_size=100)
    token = handle.token("display")
    kiosk = handle.headers("kiosk")
    count = 30
    hub = handle.app.state.hub
    filler = "x" * 64_000

    async def fast_display(url: str) -> list[str]:
        import httpx
        ws_url = url.replace("http", "ws") + f"/api/v1/events?token={token}"
        async with websockets.connect(ws_url, max_queue=None, max_size=None) as fast:
            await fast.recv()
            # ~10 MB of bulky events first: more than the stalled socket's kernel and
            # transport buffers hold, so its sender really blocks and its queue fills.
            notices = 0
            for chunk in range(15):
                for n in range(10):
                    hub.publish([{"type": "notice", "seq": 10**9 + chunk * 10 + n,
                                  "text": filler}])
                for _ in range(10):
                    await asyncio.wait_for(fast.recv(), 10)
                    notices += 1
            async with httpx.AsyncClient(base_url=url) as http:
                for _ in range(count):
                    r = await http.post("/api/v1/tickets", json={"business": "query"},
                                        headers=kiosk)
                    assert r.status_code == 201
            got: list[str] = []
            while got.count("ticket.issued") < count:
                got.append(json.loads(await asyncio.wait_for(fast.recv(), 10))["type"])
            return [*["notice"] * notices, *got]

    with LiveServer(handle.app) as server:
        slow = stalled_websocket(server.url, f"/api/v1/events?token={token}")
        try:
            got = run_async(fast_display(server.url))
        finally:
            slow.close()
    assert got.count("notice") == 150 and got.count("ticket.issued") == count
    # The stalled display overflowed its own queue and was dropped; nobody waited for it.
    assert hub.dropped == 1


def test_hub_drops_only_the_client_that_falls_behind():
    from queue_server.broadcast import CLOSE, Hub

    async def run() -> tuple[list, list]:
        hub = Hub(queue_size=3)
        hub.attach(asyncio.get_running_loop())
        keeps_up, falls_behind = hub.subscribe("display"), hub.subscribe("display")
        got = []
        for n in range(1, 6):
            hub.publish([{"type": "ticket.issued", "seq": n}])
            await asyncio.sleep(0)
            got.append(await keeps_up.queue.get())
        rest = []
        while not falls_behind.queue.empty():
            rest.append(falls_behind.queue.get_nowait())
        return got, rest

    got, rest = run_async(run())
    assert [seq for seq, _ in got] == [1, 2, 3, 4, 5]
    assert rest == [CLOSE]  # what it missed was discarded: it reloads the snapshot


def test_waiting_alert_is_pushed_once_when_it_trips_and_when_it_clears(api):
    # transfer alerts at 3 waiting (tests/fixtures/mini.toml).
    client, h = api
    kiosk = h.headers("kiosk")
    with client.websocket_connect(f"/api/v1/events?token={h.token('guide')}") as ws:
        assert ws.receive_json()["type"] == "snapshot"

        def issue() -> list[str]:
            client.post("/api/v1/tickets", json={"business": "transfer"}, headers=kiosk)
            types = []
            while not types or types[-1] != "queues":
                types.append(ws.receive_json()["type"])
            return types

        seen = [issue() for _ in range(2)]
        assert all("queue.alert" not in t for t in seen)
        client.post("/api/v1/tickets", json={"business": "transfer"}, headers=kiosk)
        assert ws.receive_json()["type"] == "ticket.issued"
        tripped = ws.receive_json()
        assert tripped["type"] == "queue.alert"
        assert tripped["business"] == "transfer" and tripped["name"] == "转移登记"
        assert tripped["waiting"] == 3 and tripped["threshold"] == 3
        assert ws.receive_json()["type"] == "queues"
        # A fourth ticket: still over, not announced again.
        assert "queue.alert" not in issue()
        for _ in range(2):
            client.post("/api/v1/windows/1/call-next", headers=h.headers("window", 1))
            client.post("/api/v1/windows/2/call-next", headers=h.headers("window", 2))
        types = []
        for _ in range(20):
            msg = ws.receive_json()
            types.append(msg["type"])
            if msg["type"] == "queue.alert_cleared":
                assert msg["business"] == "transfer" and msg["waiting"] == 2
                break
        assert "queue.alert_cleared" in types
