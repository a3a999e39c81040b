"""A real `hallq serve` in a subprocess, on the ports this suite's connection tests own,
with the connection time-outs shortened so tests of them stay fast."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import REPO

HALLQ = [sys.executable, "-m", "hallq"]
PORTS = range(18160, 18180)
ENV = {"HALLQ_HEADER_TIMEOUT": "1", "HALLQ_IDLE_TIMEOUT": "1", "HALLQ_WS_SEND_TIMEOUT": "1",
       "HALLQ_SHUTDOWN_TIMEOUT": "2", "HALLQ_WS_MAX_BACKLOG": "131072"}
TCP_ESTABLISHED = 1


def _port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18160-18179")


class Server:
    def __init__(self, data: Path, *args: str, **env: str) -> None:
        self.data = data
        self.args = list(args)  # e.g. --db URL
        self.env = {**os.environ, **ENV, **env}
        self.port = _port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def token(self, role: str) -> str:
        return subprocess.check_output([*HALLQ, "token", "issue", "--role", role, "--data",
                                        str(self.data), *self.args], cwd=REPO,
                                       text=True).strip()

    def start(self) -> Server:
        self.proc = subprocess.Popen([*HALLQ, "serve", "--port", str(self.port), "--data",
                                      str(self.data), *self.args], cwd=REPO, env=self.env,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{self.url}/api/v1/health", timeout=1)
                return self
            except httpx.TransportError:
                assert time.monotonic() < deadline and self.proc.poll() is None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
