"""How `hallq serve` holds its connections: every one has a deadline, whatever its client
does. A hall's network has kiosks that lose power mid-request, displays whose browser
hangs, and, on a public network, anyone who opens sockets and sends nothing.

- A request's head (request line and headers) must arrive within `header_timeout`, be at
  most `max_header_bytes` and hold at most `max_headers` headers; each gap while its body
  arrives is bounded by the same time. A keep-alive connection idle for `idle_timeout` is
  closed. (uvicorn's httptools protocol, which has none of these, with them added: h11,
  which bounds the head, costs this server twice the CPU per ticket.)
- A WebSocket client with more than `ws_max_backlog` bytes sent and not taken (asyncio's
  buffer and the kernel's) is dropped before the next message, as is one whose send has
  waited `ws_send_timeout`: it reconnects and reloads the snapshot.
- Closing never waits for a client to read: a connection whose unsent bytes are still
  queued `close_grace` after it was closed is aborted (a non-reading display would
  otherwise hold its socket, and the server's shutdown, forever).
- Shutdown: after `shutdown_timeout`, whatever still runs is cancelled.
- The event stream's fan-out writes each event's frame, encoded once, straight to every
  socket (`FrameWriter`, offered in the scope's extensions): per client there is nothing
  left to do but the write (issue 17; docs/performance.md, "Live updates").

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
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

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

    def unsent(self) -> int:
        """Bytes written and not yet taken by the client: asyncio's buffer and the kernel's."""
        pending = self._transport.get_write_buffer_size()
        sock = self._transport.get_extra_info("socket")
        if sock is not None:
            try:
                buf = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
                pending += struct.unpack("i", buf)[0]
            except (OSError, ValueError):  # not Linux, or closed (fileno -1 while stopping)
                pass
        return pending

    def _close_when_sent(self) -> None:
        if self._transport.is_closing():
            return
        assert self._closing_since is not None
        if not self.unsent():
            self._transport.close()
        elif self._loop.time() - self._closing_since < self._grace:
            self._loop.call_later(0.1, self._close_when_sent)
        else:
            self.reset()

    def reset(self) -> None:
        """End the connection now with a reset, so the kernel drops what is queued."""
        self._closing_since = self._closing_since or self._loop.time()
        sock = self._transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


FRAMES = "hallq.frames"  # the scope extension holding a connection's FrameWriter


def text_frame(payload: bytes) -> bytes:
    """One unmasked, final WebSocket text frame (RFC 6455 §5.2), as a server sends it.

    Uncompressed even where permessage-deflate was agreed: RFC 7692 lets each message
    choose (RSV1 clear), and one frame for thousands of clients is the point."""
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x81, n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", 0x81, 126, n)
    else:
        head = struct.pack("!BBQ", 0x81, 127, n)
    return head + payload


class FrameWriter:
    """Whole frames written to one WebSocket's transport, past the ASGI send path.

    Safe beside the protocol's own writes (the handshake, pings, the close) because both
    run on the event loop and each writes whole frames. A client over its backlog is reset
    here, as `HallWebSocket.send` does: it reconnects and reloads its snapshot."""

    __slots__ = ("_unchecked", "_ws")

    def __init__(self, ws: HallWebSocket) -> None:
        self._ws = ws
        self._unchecked = 0  # bytes written since the backlog was last read


    def write(self, wire: bytes) -> Literal["sent", "gone", "dropped"]:
        ws = self._ws
        transport = ws.transport
        if ws.disconnected or ws.close_sent or ws.conn.state is not State.OPEN \
                or transport.is_closing():
            return "gone"
        # The kernel's share of the backlog costs a system call to read: read it once an
        # eighth of the limit has gone out since, or whenever asyncio holds bytes back.
        self._unchecked += len(wire)
        if isinstance(transport, _Closing) and (
                self._unchecked > ws.max_backlog // 8 or transport.get_write_buffer_size()):
            self._unchecked = 0
            if transport.unsent() > ws.max_backlog:
                transport.reset()
                return "dropped"
        transport.write(wire)
        return "sent"


class HallWebSocket(WebSocketsSansIOProtocol):
    close_grace = CLOSE_GRACE
    max_backlog = 1024 * 1024  # bytes sent and not taken before a client is dropped

    def shutdown(self) -> None:
        # uvicorn's shutdown sends a close frame to every connection; one whose client
        # began closing a moment before raises InvalidState from websockets, and the
        # whole server then exits 1 with a traceback instead of stopping cleanly.
        if self.handshake_complete and self.conn.state is not State.OPEN:
            self.stop_keepalive()
            self.queue.put_nowait({"type": "websocket.disconnect", "code": 1012})
            self.transport.close()
            return
        super().shutdown()

    async def send(self, message: Any) -> None:
        # A display that stopped reading: what the kernel holds for it counts too, or a
        # socket buffer of megabytes hides it for hours.
        if message["type"] == "websocket.send" and self.handshake_complete \
                and not self.close_sent and isinstance(self.transport, _Closing) \
                and self.transport.unsent() > self.max_backlog:
            self.transport.reset()
            raise ClientDisconnected()
        await super().send(message)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(_Closing(transport, self.loop,  # type: ignore[arg-type]
                                         self.close_grace))
        self.close_timeout = self.close_grace  # the peer's answer to our close frame

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # absent when the handshake was refused
        if scope is not None:
            scope["extensions"][FRAMES] = FrameWriter(self)  # type: ignore[index]


class _Refused(Exception):
    """Raised from a parser callback: httptools turns it into a parser error, answered by
    send_400_response with the refusal recorded here."""


class HallHttp(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline on every read it waits for and a
    bound on the head. `_reading` is what the connection waits for from the client:
    "head", "body", or None while the app answers."""

    header_timeout = 10.0
    close_grace = CLOSE_GRACE
    max_header_bytes = 16 * 1024
    max_headers = 100

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_deadline: asyncio.TimerHandle | None = None
        self._reading: str | None = "head"
        self._head_raw = 0  # bytes received while the head was incomplete
        self._head_bytes = 0
        self._head_count = 0
        self._refusal: bytes | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_Closing(transport, self.loop,  # type: ignore[arg-type]
                                         self.close_grace))
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._reading == "head":
            self._head_raw += len(data)
        super().data_received(data)
        # A head still incomplete past the limit: httptools would go on buffering it.
        if self._reading == "head" and self._head_raw > self.max_header_bytes \
                and not self.transport.is_closing():
            self._refuse_head()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()  # the WebSocket protocol has its own
        self._reading = None
        super().handle_websocket_upgrade()

    # Parser callbacks
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading = "head"
        self._head_bytes = self._head_count = 0
        self._arm()

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._count(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._head_count += 1
        self._count(len(name) + len(value) + 4)

    def on_headers_complete(self) -> None:
        self._reading = "body"
        self._head_raw = 0
        self._arm()  # each gap in the body is bounded too
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        super().on_body(body)
        self._arm()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._reading = None
        self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Waiting for the next head on a keep-alive connection: uvicorn's keep-alive timer
        # covers silence, this one a head sent by halves.
        if self._reading is None and not self.pipeline and not self.transport.is_closing():
            self._reading = "head"
            self._head_raw = 0
            self._arm()

    def _count(self, n: int) -> None:
        self._head_bytes += n
        if self._head_bytes > self.max_header_bytes:
            self._refusal = _headers_too_large(self.max_header_bytes)
            raise _Refused
        if self._head_count > self.max_headers:
            self._refusal = error_response(
                431, "Request Header Fields Too Large", "too_many_headers",
                f"请求头过多（上限 {self.max_headers} 个）/ more than {self.max_headers} "
                f"request headers")
            raise _Refused

    def _refuse_head(self) -> None:
        self._disarm()
        self._reading = None
        self.transport.write(_headers_too_large(self.max_header_bytes))
        self.transport.close()

    def _arm(self) -> None:
        self._disarm()
        self._read_deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _too_slow(self) -> None:
        self._read_deadline = None
        if self._reading is None or self.transport.is_closing():
            return  # not waiting for the client any more
        if self.cycle is None or self.cycle.response_complete:
            # Nothing of an answer is out: say why before closing.
            self.transport.write(error_response(
                408, "Request Timeout", "request_timeout",
                "请求未在时限内送达 / the request did not arrive in time"))
        if self._reading == "body" and self.cycle is not None:
            self.cycle.disconnected = True  # the app's receive() ends the request
            self.cycle.message_event.set()
        self._reading = None
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        self._disarm()
        self._reading = None
        self.transport.write(self._refusal or error_response(
            400, "Bad Request", "bad_request", "无效的 HTTP 请求 / invalid HTTP request"))
        self.transport.close()


def _headers_too_large(limit: int) -> bytes:
    return error_response(431, "Request Header Fields Too Large", "headers_too_large",
                          f"请求头过大（上限 {limit} 字节）/ request headers over {limit} bytes")


class HallServer(uvicorn.Server):
    """uvicorn's server, with work to finish before it stops serving: the demo traffic
    talks to the server over HTTP, so it must end while the server still answers. (uvicorn
    re-raises the SIGTERM it caught once serve() returns, so anything left for after that
    never runs.)"""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.before_shutdown: list[Callable[[], Awaitable[None]]] = []

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for step in self.before_shutdown:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(step(), self.config.timeout_graceful_shutdown)
        await super().shutdown(sockets)


def make_server(app: Any, *, host: str, port: int, header_timeout: float,
                idle_timeout: float, max_header_bytes: int, max_headers: int,
                shutdown_timeout: float, ws_max_backlog: int) -> HallServer:
    # Closing connections get half the shutdown's time to leave, so a shutdown resets the
    # ones that would not, instead of leaving them to the kernel as the process exits.
    grace = min(CLOSE_GRACE, shutdown_timeout / 2)
    http = type("HallHttpConfigured", (HallHttp,), {
        "header_timeout": header_timeout, "close_grace": grace,
        "max_header_bytes": max_header_bytes, "max_headers": max_headers})
    ws = type("HallWebSocketConfigured", (HallWebSocket,), {"close_grace": grace,
                                                             "max_backlog": ws_max_backlog})
    return HallServer(uvicorn.Config(
        app, host=host, port=port, log_level="warning",
        log_config=None,  # our logging, set up before
        http=http, ws=ws, ws_max_size=64 * 1024,
        timeout_keep_alive=idle_timeout,  # type: ignore[arg-type]
        timeout_graceful_shutdown=shutdown_timeout))  # type: ignore[arg-type]
