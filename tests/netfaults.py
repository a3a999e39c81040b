"""Network faults on a real socket: a proxy that lets requests through and loses answers."""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Self


class _Proxy:
    """A listener on a free local port in front of `target`; each connection goes to
    `_take` on a thread of its own until the block ends."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self.listener.close()
        self._thread.join(timeout=5)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._take, args=(client,), daemon=True).start()

    def _take(self, client: socket.socket) -> None:
        raise NotImplementedError


class AnswerDropper(_Proxy):
    """A TCP proxy in front of a server. While `drop` is above zero, each connection's
    request reaches the server and is served in full, but the proxy closes the
    connection instead of passing the answer back: the caller sees the connection die."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.drop = 0
        self.dropped = 0

    def _take(self, client: socket.socket) -> None:
        with client, socket.create_connection(self.target) as server:
            # Requests pass through as they come (headers and body may be separate writes);
            # answers are read whole, then passed back or dropped.
            threading.Thread(target=_pump, args=(client, server), daemon=True).start()
            try:
                self._answer(client, server)
            finally:
                for s in (client, server):  # close() alone would not wake the pump's recv()
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)

    def _answer(self, client: socket.socket, server: socket.socket) -> None:
        buffered = b""
        while True:
            answer, buffered = _one_answer(server, buffered)
            if not answer:
                return
            if self.drop > 0:
                self.drop -= 1
                self.dropped += 1
                return  # served, but the caller never hears
            try:
                client.sendall(answer)
            except OSError:
                return


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def _one_answer(server: socket.socket, data: bytes) -> tuple[bytes, bytes]:
    """One whole HTTP answer, and what came after it; empty when the server closed."""
    try:
        while b"\r\n\r\n" not in data:
            chunk = server.recv(65536)
            if not chunk:
                return b"", b""
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        fields = {}
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            fields[name.strip().lower()] = value.strip().lower()
        if fields.get(b"transfer-encoding") == b"chunked":
            while b"0\r\n\r\n" not in rest:
                chunk = server.recv(65536)
                if not chunk:
                    return b"", b""
                rest += chunk
            end = rest.index(b"0\r\n\r\n") + 5
        else:
            end = int(fields.get(b"content-length", b"0"))
            while len(rest) < end:
                chunk = server.recv(65536)
                if not chunk:
                    return b"", b""
                rest += chunk
    except OSError:
        return b"", b""
    return head + b"\r\n\r\n" + rest[:end], rest[end:]


class TcpRelay(_Proxy):
    """Plain TCP forwarding to a server. `cut()` drops every connection and turns new ones
    away (the server is gone, as its clients see it); `restore()` lets them through again."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        super().__init__(port, host)
        self.open = True
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        self.cut()

    def cut(self) -> None:
        self.open = False
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for s in pair:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        self.open = True

    def _take(self, client: socket.socket) -> None:
        if not self.open:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
            client.close()
            return
        try:
            server = socket.create_connection(self.target)
        except OSError:
            client.close()
            return
        with self._lock:
            self._pairs.append((client, server))
        threading.Thread(target=_pump, args=(server, client), daemon=True).start()
        _pump(client, server)
