"""A byte-level ESC/POS printer end for transport tests (pty serial and TCP 9100)."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import threading


class PrinterEnd:
    """The printer's side of a byte stream: answers DLE EOT 1/4 like an ESC/POS printer
    and keeps everything else it receives."""

    def __init__(self, read, write, *, answer: bool = True, paper: bytes = b"\x12") -> None:
        self._read, self._write = read, write
        self.answer = answer
        self.paper = paper
        self.received = bytearray()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> PrinterEnd:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            chunk = self._read()
            if chunk is None:
                continue
            if not chunk:
                return
            self.received += chunk
            for query, reply in ((b"\x10\x04\x01", b"\x12"), (b"\x10\x04\x04", self.paper)):
                if self.received.endswith(query):
                    del self.received[-3:]
                    if self.answer:
                        self._write(reply)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


def pty_printer(**kwargs) -> tuple[PrinterEnd, str, int]:
    master, slave = os.openpty()

    def read() -> bytes | None:
        ready, _, _ = select.select([master], [], [], 0.05)
        if not ready:
            return None
        try:
            return os.read(master, 4096)
        except OSError:
            return b""

    end = PrinterEnd(read, lambda b: os.write(master, b), **kwargs).start()
    return end, os.ttyname(slave), slave


class TcpPrinter:
    """A port-9100 printer on localhost: one connection at a time, status answered."""

    def __init__(self, **kwargs) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.kwargs = kwargs
        self.ends: list[PrinterEnd] = []
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            conn.settimeout(0.05)
            self.conns.append(conn)

            def read(c: socket.socket = conn) -> bytes | None:
                try:
                    return c.recv(4096)
                except TimeoutError:
                    return None
                except OSError:
                    return b""

            end = PrinterEnd(read, conn.sendall, **self.kwargs)
            self.ends.append(end)  # listed before it can answer, so tests always find it
            end.start()

    @property
    def received(self) -> bytes:
        return b"".join(bytes(e.received) for e in self.ends)

    def close(self) -> None:
        # shutdown() wakes the blocked accept(); close() alone leaves the port listening.
        with contextlib.suppress(OSError):
            self.server.shutdown(socket.SHUT_RDWR)
        self.server.close()
        for c in self.conns:
            c.close()
        for e in self.ends:
            e.stop()
