"""Start-up: from process start to the first 200 on /api/v1/health, bare FastAPI against
`hallq serve` (issue 15: after a power cut every kiosk and screen waits for the server).

    python bench/startup.py [--runs 5]

Three starts, each `--runs` times, medians side by side:
* floor: `bench/_floor_app.py`, FastAPI and uvicorn answering constants;
* surface: `bench/_surface_app.py`, FastAPI with as many operations, bodies and schemas
  as hallq's API and a SQLAlchemy engine, answering constants: the same floor for an API
  of hallq's size;
* hallq, first start: `hallq serve` on embedded defaults in a new data directory (the
  database is created and migrated);
* hallq, restart: the same data directory again, as after a power cut.
Then the import times (`python -X importtime`) of fastapi and of the server's app, and
the modules under it that cost most.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _server import HALLQ, REPO, free_port

DEADLINE_S = 60.0


def time_to_health(cmd: list[str], port: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        with httpx.Client(timeout=1.0) as client:
            while time.perf_counter() - t0 < DEADLINE_S:
                if proc.poll() is not None:
                    raise RuntimeError(f"{cmd} exited: {proc.stderr.read().decode()[-2000:]}")
                try:
                    if client.get(f"http://127.0.0.1:{port}/api/v1/health").status_code == 200:
                        return time.perf_counter() - t0
                except httpx.TransportError:
                    pass
                time.sleep(0.01)  # polling a port a process has not opened yet
        raise RuntimeError(f"{cmd} did not answer /health within {DEADLINE_S} s")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def floor_cmd(port: int) -> list[str]:
    return [sys.executable, str(REPO / "bench" / "_floor_app.py"), str(port)]


# hallq's API document as of this bench: 116 operations, 43 with a body, 153 schemas
# (`len(app.openapi()["paths"])` and friends). Passed in so the surface app stays free of
# hallq's imports.
SURFACE = (116, 43, 153)


def surface_cmd(port: int) -> list[str]:
    return [sys.executable, str(REPO / "bench" / "_surface_app.py"), str(port),
            *map(str, SURFACE)]


def hallq_cmd(port: int, data: Path) -> list[str]:
    return [*HALLQ, "serve", "--port", str(port), "--data", str(data)]


def import_ms(module: str) -> tuple[float, list[tuple[float, str]]]:
    """Total import time of `module` in a fresh interpreter, and its costliest parts."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                         cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                         capture_output=True, text=True, check=True)
    rows: list[tuple[float, str, int]] = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line[len("import time:"):].split("|")
        depth = (len(name) - len(name.lstrip())) // 2
        rows.append((int(cumulative) / 1000, name.strip(), depth))
    total = next(ms for ms, name, _ in reversed(rows) if name == module)
    top = sorted(((ms, name) for ms, name, depth in rows if depth == 1), reverse=True)[:8]
    return total, top


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hallq-startup-"))
    try:
        floor, surface, first, again = [], [], [], []
        kept = tmp / "kept"
        for i in range(args.runs):
            port = free_port()
            floor.append(time_to_health(floor_cmd(port), port))
            port = free_port()
            surface.append(time_to_health(surface_cmd(port), port))
            port = free_port()
            first.append(time_to_health(hallq_cmd(port, tmp / f"fresh-{i}"), port))
            if i == 0:
                time_to_health(hallq_cmd(port, kept), port)  # creates the database
            port = free_port()
            again.append(time_to_health(hallq_cmd(port, kept), port))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def row(name: str, xs: list[float]) -> str:
        med = statistics.median(xs)
        return (f"{name:<34} {med:6.2f} s  {med / statistics.median(floor):4.1f}×   "
                f"runs: {' '.join(f'{x:.2f}' for x in xs)}")

    print(f"time from process start to first 200 on /health, median of {args.runs} "
          f"(machine: {os.cpu_count()} cores, shared)")
    print(row("bare FastAPI (_floor_app.py)", floor))
    print(row("FastAPI with hallq's surface", surface))
    print(row("hallq serve, new data dir", first))
    print(row("hallq serve, restart (power cut)", again))
    print()
    for module in ("fastapi", "queue_server.api.app"):
        total, top = import_ms(module)
        print(f"import {module}: {total:.0f} ms")
        if module != "fastapi":
            for ms, name in top:
                print(f"    {ms:7.0f} ms  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
