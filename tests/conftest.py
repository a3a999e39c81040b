"""Shared fixtures. Kivy's environment is set here, before anything can import Kivy."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
# Tests drive hundreds of tickets through one kiosk token in one instant of the test
# clock (session servers included); the per-kiosk issue limits (issue 16) are tested on
# their own in tests/server/test_token_scope.py, which sets its own rates.
os.environ.setdefault("HALLQ_ISSUE_RATE_KIOSK", "1000000/60")
os.environ.setdefault("HALLQ_ANONYMOUS_RATE_KIOSK", "1000000/60")
os.environ.setdefault("KIVY_HOME", os.path.join(os.path.dirname(__file__), "..", ".kivy-test"))

import asyncio  # noqa: E402
import secrets  # noqa: E402
from collections.abc import Coroutine, Iterator  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, TypeVar  # noqa: E402

import pytest  # noqa: E402

T = TypeVar("T")
FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent
ARTIFACTS = REPO / "test-artifacts"


class Clock:
    """A controllable clock for the hall: tests move time by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on its own loop in a worker thread.

    The browser tests keep Playwright's loop running in the main thread for the whole
    session, where `asyncio.run` refuses to start; a thread has no loop of its own.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture
def clock() -> Clock:
    # 09:00 in Shanghai on a working day.
    return Clock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_pg_checked: list[str | None] = []


def _pg_url() -> str:
    return os.environ.get("HALLQ_TEST_PG") or DEFAULT_PG


def _pg_reason() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when they can (checked once)."""
    if not _pg_checked:
        _pg_checked.append(_probe_pg(_pg_url()))
    return _pg_checked[0]


def _probe_pg(url: str) -> str | None:
    try:
        import sqlalchemy as sa

        from queue_server.store.db import normalise_url
        engine = sa.create_engine(normalise_url(url))
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means: skip, and say why
        first = str(exc).splitlines()[0] if str(exc) else ""
        return f"PostgreSQL at {url} is not reachable (set HALLQ_TEST_PG): {type(exc).__name__}: {first}"
    return None


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: SQLite in a temp dir, or a new schema in PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hallq.db'}"
        return
    reason = _pg_reason()
    if reason:
        pytest.skip(reason)
    import sqlalchemy as sa

    from queue_server.store.db import normalise_url
    url = normalise_url(_pg_url())
    schema = f"hallq_test_{secrets.token_hex(4)}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in url else "?"
    yield f"{url}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole run. Only one: Playwright's sync API refuses to
    start a second while the first runs, so every directory's browser tests share this."""
    from playwright.sync_api import sync_playwright

    from tests.pages.conftest import launch_chromium

    with sync_playwright() as p:
        b = launch_chromium(p.chromium)
        yield b
        b.close()
