"""Shared fixtures. Kivy's environment is set here, before anything can import Kivy."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_HOME", os.path.join(os.path.dirname(__file__), "..", ".kivy-test"))

import secrets  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

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


@pytest.fixture
def clock() -> Clock:
    # 09:00 in Shanghai on a working day.
    return Clock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def _pg_url() -> str | None:
    return os.environ.get("HALLQ_TEST_PG")


def _pg_reason() -> str | None:
    url = _pg_url()
    if not url:
        return "HALLQ_TEST_PG is not set (CI sets it to the machine's PostgreSQL)"
    try:
        import sqlalchemy as sa

        from queue_server.store.db import normalise_url
        engine = sa.create_engine(normalise_url(url))
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means: skip, and say why
        return f"PostgreSQL at HALLQ_TEST_PG is not reachable: {exc.__class__.__name__}: {exc}"
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
    url = normalise_url(_pg_url() or "")
    schema = f"hallq_test_{secrets.token_hex(4)}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in url else "?"
    yield f"{url}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()
