"""Kill the server mid-traffic: every ticket it acknowledged is there after a restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.conftest import REPO
from tests.server.conftest import free_port

HALLQ = [sys.executable, "-m", "hallq"]


def start(data: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([*HALLQ, "serve", "--port", str(port), "--data", str(data)],
                            cwd=REPO, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
            return proc
        except httpx.TransportError:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.1)


def test_sigkill_loses_no_acknowledged_ticket(tmp_path: Path):
    data = tmp_path / "var"
    token = subprocess.check_output([*HALLQ, "token", "issue", "--role", "guide", "--data",
                                     str(data)], cwd=REPO, text=True).strip()
    auth = {"Authorization": f"Bearer {token}"}
    port = free_port()
    proc = start(data, port)
    acknowledged: dict[str, str] = {}
    stop = threading.Event()

    def issue_forever(business: str) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=auth, timeout=5) as c:
            while not stop.is_set():
                try:
                    r = c.post("/api/v1/tickets", json={"business": business})
                except httpx.TransportError:
                    return  # the server died mid-request: that one was never acknowledged
                if r.status_code == 201:
                    acknowledged[r.json()["id"]] = r.json()["number"]

    threads = [threading.Thread(target=issue_forever, args=(b,))
               for b in ("query", "consult", "tax")]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 60:
        assert time.monotonic() < deadline, f"only {len(acknowledged)} tickets in 60 s"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)  # no shutdown, no flush: as a power cut would
    proc.wait()
    stop.set()
    for t in threads:
        t.join()

    proc = start(data, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=auth) as c:
            for ticket_id, number in acknowledged.items():
                r = c.get(f"/api/v1/tickets/{ticket_id}")
                assert r.status_code == 200 and r.json()["number"] == number
            numbers = [t["number"] for t in c.get("/api/v1/tickets?limit=2000").json()]
            assert len(numbers) == len(set(numbers))
            new = c.post("/api/v1/tickets", json={"business": "query"}).json()["number"]
            assert new not in numbers  # numbering continues after the last stored ticket
    finally:
        proc.terminate()
        proc.wait(timeout=10)
