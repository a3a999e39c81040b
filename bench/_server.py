"""What every server benchmark shares: a bench hall, tokens, and `hallq serve` in its own process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HALLQ = [sys.executable, "-m", "hallq"]
CODES = ("transfer", "mortgage", "tax", "query")
FLOOR_TOKEN = "floor"  # noqa: S105 (what `_floor_app.py` accepts)


def bench_layout(path: Path, windows: int = 96) -> Path:
    """96 windows each serving all four businesses, no caps: nothing but speed is measured."""
    parts = ['[hall]\ncode = "TEST"\nname = "基准测试大厅"\ntimezone = "Asia/Shanghai"\nclear_time = "23:59"\n'
             "per_id_daily_limit = 1000000\nnumber_width = 6\n",
             '[[zones]]\ncode = "all"\nname = "全部"\n']
    for i, code in enumerate(CODES):
        parts.append(f'[[businesses]]\ncode = "{code}"\nname = "业务{i}"\nprefix = "{"ABCD"[i]}"\n')
    served = ", ".join(f'"{c}"' for c in CODES)
    for n in range(1, windows + 1):
        parts.append(f'[[windows]]\nnumber = {n}\nzone = "all"\nbusinesses = [{served}]\n')
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def hall_env(data: Path, layout: Path | None = None) -> dict[str, str]:
    """The hall's environment; with its layout, so tokens issued before the server starts
    create the database under that layout's hall code."""
    return {**os.environ, "HALLQ_DATA": str(data),
            **({"HALLQ_LAYOUT": str(layout)} if layout is not None else {})}


def issue_token(env: dict[str, str], role: str, window: int | None = None) -> str:
    extra = ["--window", str(window)] if window is not None else []
    return subprocess.check_output([*HALLQ, "token", "issue", "--role", role, *extra],
                                   env=env, text=True, cwd=REPO).strip()


@dataclass(frozen=True)
class Served:
    port: int
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def served(layout: Path, env: dict[str, str]) -> Iterator[Served]:
    """`hallq serve` on a free port until the block ends, once it answers."""
    port = free_port()
    with _answering([*HALLQ, "serve", "--layout", str(layout), "--port", str(port)], port,
                    env, "hallq serve") as served_:
        yield served_


@contextmanager
def floor_served() -> Iterator[Served]:
    """FastAPI answering constants for the same requests (`_floor_app.py`), once it answers."""
    port = free_port()
    with _answering([sys.executable, str(REPO / "bench" / "_floor_app.py"), str(port)], port,
                    dict(os.environ), "the floor app") as served_:
        yield served_


@contextmanager
def _answering(command: list[str], port: int, env: dict[str, str], name: str
               ) -> Iterator[Served]:
    server = subprocess.Popen(command, env=env, cwd=REPO)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(f"{name} did not start") from None
                time.sleep(0.1)
        yield Served(port, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
