"""How `hallq serve` holds its connections: every one has a deadline, whatever its client
does. A hall's network has kiosks that lose power mid-request, displays whose browser
hangs, and, on a public network, anyone who opens sockets and sends nothing.

- A request's head (request line and headers) must arrive within `header_timeout`, and
  be at most `max_header_bytes` (h11's own limit); each gap while its body arrives is
  bounded by the same time. A keep-alive connection idle for `idle_timeout` is closed.
- Closing never waits for a client to read: a connection whose unsent bytes are still
  queued `close_grace` after it was closed is aborted (a non-reading display would
  otherwise hold its socket, and the server's shutdown, forever).
- Shutdown: after `shutdown_timeout`, whatever still runs is cancelled.

Refusals at this level are the API's JSON error shape too (408, 431, 400).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import socket
import struct
import termios
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

CLOSE_GRACE = 2.0  # seconds a closing connection may take to hand over its last bytes


def error_response(status: int, reason: str, code: str, message: str) -> bytes:
    body = json.dumps({"error": {"code": code, "message": message}},
                      ensure_ascii=False).encode("utf-8")
    head = (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n")
    return head.encode("ascii") + body


class _Closing:
    """The transport as the protocols see it, except that close() cannot hang on a client
    that does not read. Bytes still unsent when it is closed (in asyncio's buffer or the
    kernel's) get CLOSE_GRACE to leave; after that the connection is reset, not left to
    the kernel to hold (a FIN queued behind data nobody reads stays for minutes)."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop,
                 grace: float = CLOSE_GRACE) -> None:
        self._transport = transport
        self._loop = loop
        self._grace = grace
        self._closing_since: float | None = None

    def is_closing(self) -> bool:
        return self._closing_since is not None or self._transport.is_closing()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing_since is None:
            self._transport.write(data)

    def writelines(self, data: Any) -> None:
        self.write(b"".join(data))

    def close(self) -> None:
        if self._closing_since is not None:
            return
        self._closing_since = self._loop.time()
        if not self._transport.is_closing():
            self._transport.pause_reading()  # nothing more is read from a closed one
        self._close_when_sent()

    def abort(self) -> None:
        self._closing_since = self._closing_since or self._loop.time()
        self._transport.abort()

    def _unsent(self) -> int:
        pending = self._transport.get_write_buffer_size()
        sock = self._transport.get_extra_info("socket")
        if sock is not None:
            try:
                buf = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
                pending += struct.unpack("i", buf)[0]
            except OSError:  # not Linux, or already closed
                pass
        return pending

    def _close_when_sent(self) -> None:
        if self._transport.is_closing():
            return
        assert self._closing_since is not None
        if not self._unsent():
            self._transport.close()
        elif self._loop.time() - self._closing_since < self._grace:
            self._loop.call_later(0.1, self._close_when_sent)
        else:
            sock = self._transport.get_extra_info("socket")
            if sock is not None:  # a reset, so the kernel drops what is queued
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    struct.pack("ii", 1, 0))
            self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HallWebSocket(WebSocketsSansIOProtocol):
    close_grace = CLOSE_GRACE

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(_Closing(transport, self.loop,  # type: ignore[arg-type]
                                         self.close_grace))
        self.close_timeout = self.close_grace  # the peer's answer to our close frame


class HallHttp(H11Protocol):
    """uvicorn's h11 protocol with a deadline on every read it waits for."""

    header_timeout = 10.0
    close_grace = CLOSE_GRACE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_Closing(transport, self.loop,  # type: ignore[arg-type]
                                         self.close_grace))
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # Still waiting for this request's head, or for more of its body: the deadline
        # for the head stands; a body's gap is counted from this chunk.
        if self.conn.their_state is h11.SEND_BODY:
            self._arm()
        elif self.conn.their_state is not h11.IDLE:
            self._disarm()  # the request is in: the app has it now

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # The next request's head on a keep-alive connection: the keep-alive timer covers
        # silence, this one a head sent by halves.
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._read_deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _too_slow(self) -> None:
        self._read_deadline = None
        if self.transport.is_closing() or self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
            return  # not waiting for the client any more
        if self.cycle is None or self.cycle.response_complete:
            # Nothing of an answer is out: say why before closing.
            self.transport.write(error_response(
                408, "Request Timeout", "request_timeout",
                "请求未在时限内送达 / the request did not arrive in time"))
        elif self.cycle is not None:
            self.cycle.disconnected = True  # the app's receive() ends the request
            self.cycle.message_event.set()
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        if len(self.conn.trailing_data[0]) > self.max_header_bytes:
            out = error_response(431, "Request Header Fields Too Large", "headers_too_large",
                                 f"请求头过大（上限 {self.max_header_bytes} 字节）/ request "
                                 f"headers over {self.max_header_bytes} bytes")
        else:
            out = error_response(400, "Bad Request", "bad_request",
                                 "无效的 HTTP 请求 / invalid HTTP request")
        self.transport.write(out)
        self.transport.close()

    @property
    def max_header_bytes(self) -> int:
        return self.config.h11_max_incomplete_event_size or 16 * 1024


def make_server(app: Any, *, host: str, port: int, header_timeout: float,
                idle_timeout: float, max_header_bytes: int,
                shutdown_timeout: float) -> uvicorn.Server:
    # Closing connections get half the shutdown's time to leave, so a shutdown resets the
    # ones that would not, instead of leaving them to the kernel as the process exits.
    grace = min(CLOSE_GRACE, shutdown_timeout / 2)
    http = type("HallHttpConfigured", (HallHttp,), {"header_timeout": header_timeout,
                                                     "close_grace": grace})
    ws = type("HallWebSocketConfigured", (HallWebSocket,), {"close_grace": grace})
    return uvicorn.Server(uvicorn.Config(
        app, host=host, port=port, log_level="warning",
        log_config=None,  # our logging, set up before
        http=http, ws=ws, ws_max_size=64 * 1024,
        h11_max_incomplete_event_size=max_header_bytes,
        timeout_keep_alive=idle_timeout,  # type: ignore[arg-type]
        timeout_graceful_shutdown=shutdown_timeout))  # type: ignore[arg-type]
