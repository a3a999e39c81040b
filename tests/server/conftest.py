"""Build real apps on real databases, and a real uvicorn server when sockets matter."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from queue_server.api.app import create_app
from queue_server.security import issue_token
from queue_server.settings import Settings
from tests.conftest import FIXTURES, Clock

MINI = FIXTURES / "mini.toml"


def big_layout(tmp_path: Path, windows: int = 96) -> Path:
    """A generated hall: `windows` front windows over four businesses, chained two by two."""
    codes = ["transfer", "mortgage", "tax", "query"]
    parts = ['[hall]\ncode = "TEST"\nname = "并发测试大厅"\ntimezone = "Asia/Shanghai"\nclear_time = "19:00"\n'
             "per_id_daily_limit = 100\n",
             '[[zones]]\ncode = "all"\nname = "全部"\n']
    for i, code in enumerate(codes):
        parts.append(f'[[businesses]]\ncode = "{code}"\nname = "业务{i}"\nprefix = "{"ABCD"[i]}"\n')
    for n in range(1, windows + 1):
        first, second = codes[n % 4], codes[(n + 1) % 4]
        parts.append(f'[[windows]]\nnumber = {n}\nzone = "all"\nbusinesses = ["{first}", "{second}"]\n')
    path = tmp_path / "big.toml"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


@dataclass
class AppHandle:
    app: FastAPI
    settings: Settings
    clock: Clock

    def token(self, role: str, window: int | None = None) -> str:
        return issue_token(self.app.state.store, role, window)

    def headers(self, role: str, window: int | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, window)}"}

    def kiosk(self) -> dict[str, str]:
        """The headers of this test's one kiosk, as a real kiosk keeps its token: a kiosk
        reaches only the tickets it issued itself (domain/scope.py)."""
        if not hasattr(self, "_kiosk"):
            self._kiosk = self.headers("kiosk")
        return self._kiosk


AppFactory = Callable[..., AppHandle]


@pytest.fixture
def make_app(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[AppFactory]:
    """Build an app on this test's database; call again to "restart" on the same data."""
    built: list[FastAPI] = []

    def factory(layout: Path = MINI, **overrides: object) -> AppHandle:
        overrides.setdefault("db_url", db_url)
        overrides.setdefault("catalogue_path", None)
        settings = Settings(layout_path=layout, data_dir=tmp_path / "var",
                            **overrides)  # type: ignore[arg-type]
        app = create_app(settings, clock=clock)
        built.append(app)
        return AppHandle(app, settings, clock)

    yield factory
    for app in built:
        app.state.store.engine.dispose()


@pytest.fixture
def api(make_app: AppFactory) -> Iterator[tuple[TestClient, AppHandle]]:
    handle = make_app()
    with TestClient(handle.app) as client:
        yield client, handle


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn serving an app on a real socket in a background thread. It can stop and
    start again on the same port: the server going away and coming back, as a client sees
    it (connection refused, then answers)."""

    def __init__(self, app: FastAPI, port: int | None = None) -> None:
        self.app = app
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> LiveServer:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = self._thread = None

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
