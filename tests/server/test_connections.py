"""Connections as a public network makes them, against a real `hallq serve`: silent
sockets, heads and bodies sent by halves, oversize heads, displays that stop reading, and
SIGTERM while they hold a backlog. Time-outs are shortened through the environment so the
tests stay fast; every wait is on a condition with a deadline."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.served import TCP_ESTABLISHED, Server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(tmp_path_factory.mktemp("conn") / "var")
    s.kiosk = s.token("kiosk")  # type: ignore[attr-defined]
    s.display = s.token("display")  # type: ignore[attr-defined]
    s.start()
    yield s
    s.stop()


def connect(server: Server, rcvbuf: int | None = None) -> socket.socket:
    sock = socket.socket()
    if rcvbuf is not None:  # before connecting: the window the server may fill
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.connect(("127.0.0.1", server.port))
    return sock


def read_until_closed(sock: socket.socket, within: float = 10.0) -> bytes:
    """Everything the server sends until it closes; fails if it is still open `within`
    seconds later."""
    sock.settimeout(within)
    deadline = time.monotonic() + within
    out = b""
    while True:
        assert time.monotonic() < deadline, "the server kept the connection open"
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return out
        except TimeoutError:
            raise AssertionError("the server kept the connection open") from None
        if not chunk:
            return out
        out += chunk


def json_answer(raw: bytes) -> tuple[int, dict]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert b"application/json" in head.lower(), head
    return status, json.loads(body)


def tcp_state(sock: socket.socket) -> int:
    return struct.unpack("B", sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1))[0]


def wait_closed_without_reading(sock: socket.socket, within: float) -> None:
    """The server ended the connection (FIN or RST), seen without reading a byte: a test
    of a client that does not read must not read either."""
    deadline = time.monotonic() + within
    while tcp_state(sock) == TCP_ESTABLISHED:
        assert time.monotonic() < deadline, "the server kept the connection open"
        time.sleep(0.05)


def test_a_silent_connection_is_closed_with_a_408(server: Server):
    with connect(server) as sock:
        status, body = json_answer(read_until_closed(sock))
    assert status == 408 and body["error"]["code"] == "request_timeout"


def test_a_head_sent_by_halves_is_closed(server: Server):
    with connect(server) as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: hall\r\nX-Slow: ")
        status, _ = json_answer(read_until_closed(sock))
    assert status == 408


def test_a_head_trickled_byte_by_byte_still_has_one_deadline(server: Server):
    """Each byte arriving must not restart the clock (a slowloris keeps it forever)."""
    head = b"GET /api/v1/health HTTP/1.1\r\nHost: hall\r\n" + b"X-Pad: " + b"a" * 400
    with connect(server) as sock:
        started = time.monotonic()
        try:
            for i in range(len(head)):
                sock.send(head[i:i + 1])
                time.sleep(0.01)  # the slow client itself, not a wait in the test
        except (BrokenPipeError, ConnectionResetError):
            pass
        read_until_closed(sock)
        assert time.monotonic() - started < 4  # 400 bytes at 10 ms each would take 4 s


def test_a_body_sent_by_halves_is_closed(server: Server):
    with connect(server) as sock:
        sock.sendall(b"POST /api/v1/tickets HTTP/1.1\r\nHost: hall\r\nContent-Type: "
                     b"application/json\r\nAuthorization: Bearer " + server.kiosk.encode()  # type: ignore[attr-defined]
                     + b"\r\nContent-Length: 100\r\n\r\n{\"business\": ")
        read_until_closed(sock)


def test_an_idle_keep_alive_connection_is_closed(server: Server):
    with connect(server) as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: hall\r\n\r\n")
        raw = read_until_closed(sock)
    assert raw.startswith(b"HTTP/1.1 200") and raw.count(b"HTTP/1.1") == 1


def test_a_megabyte_header_and_ten_thousand_headers_are_431(server: Server):
    with connect(server) as sock:
        # (refused before it was all sent)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: hall\r\nX-Big: "
                         + b"a" * 1_000_000 + b"\r\n\r\n")
        status, body = json_answer(read_until_closed(sock))
    assert status == 431 and body["error"]["code"] == "headers_too_large"
    with connect(server) as sock:
        many = b"".join(b"X-H%d: v\r\n" % i for i in range(10_000))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: hall\r\n" + many + b"\r\n")
        status, _ = json_answer(read_until_closed(sock))
    assert status == 431
    # Few bytes but too many of them: refused by count.
    r = httpx.get(f"{server.url}/api/v1/health", headers={f"x-h{i}": "v" for i in range(150)})
    assert r.status_code == 431 and r.json()["error"]["code"] == "too_many_headers"
    assert httpx.get(f"{server.url}/api/v1/health",
                     headers={f"x-h{i}": "v" for i in range(50)}).status_code == 200


def open_display(server: Server) -> socket.socket:
    """A display's WebSocket that reads its handshake answer and then nothing more."""
    sock = connect(server, rcvbuf=4096)
    sock.sendall(f"GET /api/v1/events?token={server.display} HTTP/1.1\r\n"  # type: ignore[attr-defined]
                 f"Host: hall\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 f"Sec-WebSocket-Version: 13\r\n\r\n".encode())
    got = b""
    while b"\r\n\r\n" not in got:
        got += sock.recv(1)  # byte by byte: nothing of the stream after the head is read
    assert got.startswith(b"HTTP/1.1 101"), got
    return sock


def backlog(server: Server, tickets: int) -> None:
    with httpx.Client(base_url=server.url, timeout=10,
                      headers={"Authorization": f"Bearer {server.kiosk}"}) as c:  # type: ignore[attr-defined]
        for i in range(tickets):  # spread over businesses: each has a daily cap
            r = c.post("/api/v1/tickets", json={"business": ("query", "trade", "tax")[i % 3]})
            assert r.status_code == 201, r.text


def test_a_display_that_stops_reading_is_dropped(server: Server):
    backlog(server, 240)  # a big snapshot: more than the socket's buffers take
    display = open_display(server)
    try:
        backlog(server, 30)  # events it does not take
        wait_closed_without_reading(display, within=15)
    finally:
        display.close()
    assert httpx.get(f"{server.url}/api/v1/health").status_code == 200


def test_sigterm_with_twenty_non_reading_displays_stops_within_seconds(tmp_path: Path):
    # A send time-out and a backlog bound beyond the test: only the shutdown may end these
    # connections.
    s = Server(tmp_path / "var", HALLQ_WS_SEND_TIMEOUT="600", HALLQ_WS_MAX_BACKLOG=str(2**30))
    s.kiosk = s.token("kiosk")  # type: ignore[attr-defined]
    s.display = s.token("display")  # type: ignore[attr-defined]
    s.start()
    backlog(s, 240)
    displays = [open_display(s) for _ in range(20)]
    try:
        backlog(s, 30)
        assert s.proc is not None
        assert all(tcp_state(d) == TCP_ESTABLISHED for d in displays)  # all held open
        started = time.monotonic()
        s.proc.send_signal(signal.SIGTERM)
        s.proc.wait(timeout=15)
        took = time.monotonic() - started
        assert took < 8, f"shutdown took {took:.1f} s"
        for d in displays:
            wait_closed_without_reading(d, within=2)
    finally:
        for d in displays:
            d.close()
        s.stop()
