"""`hallq serve --demo --traffic` as a hall trying hallq runs it: a real server process
whose simulated kiosks, clerks and pads work through its own HTTP API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import REPO
from tests.server.conftest import free_port

HALLQ = [sys.executable, "-m", "hallq"]


def _start(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], list[str], str]:
    port = free_port()
    proc = subprocess.Popen([*HALLQ, "serve", "--demo", "--port", str(port),
                             "--data", str(tmp_path / "var"), *extra], cwd=REPO,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "HALLQ_LOG_LEVEL": "INFO"})
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while not any("admin token" in line for line in lines) or \
            ("--traffic" in extra and not any("try by hand" in line for line in lines)):
        assert time.monotonic() < deadline and proc.poll() is None, "".join(lines)
        lines.append(proc.stderr.readline())
    return proc, lines, f"http://127.0.0.1:{port}"


def _until(check, what: str, seconds: float = 90.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while True:
        try:
            out = check()
        except httpx.TransportError:
            out = None
        if out:
            return out
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.5)


def test_demo_traffic_issues_calls_serves_and_rates_through_the_api(tmp_path: Path):
    proc, lines, base = _start(tmp_path, "--traffic", "300")
    admin = next(line for line in lines if "admin token" in line).split()[-1]
    auth = {"Authorization": f"Bearer {admin}"}
    try:
        assert any("windows left for you to try by hand: 1 " in line for line in lines), lines
        staffed = next(line for line in lines if "simulated clerks:" in line)
        assert "工号 2001" in staffed

        def tickets() -> list[dict]:
            return httpx.get(f"{base}/api/v1/tickets", headers=auth).json()

        def rated() -> list[dict] | None:
            day = httpx.get(f"{base}/api/v1/hall", headers=auth).json()["day"]
            rows = httpx.get(f"{base}/api/v1/evaluations", params={"from": day, "to": day},
                             headers=auth).json()
            return rows if len(rows) >= 3 else None

        _until(lambda: sum(t["status"] == "done" for t in tickets()) >= 10, "10 tickets done")
        evaluations = _until(rated, "three ratings from the pads")
        assert {e["channel"] for e in evaluations} == {"pad"}
        everything = tickets()
        assert len(everything) >= 20
        assert {"waiting", "done"} <= {t["status"] for t in everything}
        # Staff signed in with their 工号, so the manager's figures name people.
        day = httpx.get(f"{base}/api/v1/hall", headers=auth).json()["day"]
        report = httpx.get(f"{base}/api/v1/reports", params={"from": day, "to": day,
                                                             "by": "staff"}, headers=auth).json()
        named = [r for r in report["rows"] if r["key"].startswith("20") and r["served"]]
        register = {m["number"]: m for m in
                    httpx.get(f"{base}/api/v1/staff", headers=auth).json()}
        assert named and all(register[r["key"]]["name"] for r in named), report
        assert any(m.get("window") for m in register.values())  # on duty right now
        # A done ticket's history was written by a window token, not by anything inside.
        done = next(t for t in everything if t["status"] == "done")
        history = httpx.get(f"{base}/api/v1/tickets/{done['id']}/history", headers=auth).json()
        actors = {h["actor"] for h in history}
        assert any(a.startswith("kiosk:demo-traffic-kiosk") for a in actors), actors
        assert any(a.startswith("window:") and "demo-traffic-window" in a for a in actors), actors
        # The hand-try window: nobody simulated signed in there, nothing called there.
        w1 = httpx.get(f"{base}/api/v1/windows", headers=auth).json()
        assert next(w for w in w1 if w["number"] == 1)["staff"] is None
        assert httpx.get(f"{base}/api/v1/tickets", params={"window": 1},
                         headers=auth).json() == []
        load = httpx.get(f"{base}/api/v1/load/windows", params={"from": day, "to": day},
                         headers=auth).json()
        assert load["cells"] and all(c["window"] != 1 for c in load["cells"])
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
        rest = proc.stderr.read()
    # A clean stop: the traffic ends with the server, nothing left dangling. (uvicorn
    # re-raises the SIGTERM it handled once it has shut down, so the status says so.)
    assert code in (0, -signal.SIGTERM), rest
    assert "demo traffic stopped" in rest, rest
    assert "Traceback" not in rest and "Task exception" not in rest and " ERROR " not in rest, rest


def test_traffic_never_runs_without_demo(tmp_path: Path):
    out = subprocess.run([*HALLQ, "serve", "--traffic", "--port", str(free_port()),
                          "--data", str(tmp_path / "var")], cwd=REPO, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2
    assert "--traffic 只能与 --demo 一起使用" in out.stderr
    assert not (tmp_path / "var").exists()  # refused before anything was opened


def test_bad_traffic_settings_are_refused_in_words(tmp_path: Path):
    for extra, words in ((["--traffic", "0"], "--traffic 应为每分钟"),
                         (["--traffic", "--traffic-share", "2"], "--traffic-share 应在"),
                         (["--traffic", "--hand-windows", "999"], "没有 999 号对外窗口")):
        out = subprocess.run([*HALLQ, "serve", "--demo", *extra, "--port", str(free_port()),
                              "--data", str(tmp_path / "var")], cwd=REPO, capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 2 and words in out.stderr, (extra, out.stderr)


def test_demo_without_traffic_stays_empty(tmp_path: Path):
    proc, lines, base = _start(tmp_path)
    admin = next(line for line in lines if "admin token" in line).split()[-1]
    try:
        assert not any("demo traffic" in line for line in lines)
        r = _until(lambda: httpx.get(f"{base}/api/v1/windows",
                                     headers={"Authorization": f"Bearer {admin}"}), "the server")
        assert all(w["staff"] is None and w["current"] is None for w in r.json())
        # No simulated clerk was even registered.
        staff = httpx.get(f"{base}/api/v1/staff",
                          headers={"Authorization": f"Bearer {admin}"}).json()
        assert not any(s["number"].startswith("20") for s in staff)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) in (0, -signal.SIGTERM)
