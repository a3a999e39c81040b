"""One writer per hall, as an operator meets it: real `hallq serve` processes.

A second server on the same data is refused before it writes anything (its demo tokens
never exist, the first one's keep working), naming who holds the hall; a server killed
with `kill -9` leaves no lock behind.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, _pg_reason, _pg_url
from tests.server.conftest import free_port

HALLQ = [sys.executable, "-m", "hallq"]
SMALL = REPO / "layouts" / "small.toml"


class Served:
    def __init__(self, proc: subprocess.Popen[str], port: int, lines: list[str]) -> None:
        self.proc, self.port, self.lines = proc, port, lines

    def token(self, marker: str) -> str:
        line = next(x for x in self.lines if marker in x)
        return line.split("token=")[1].strip() if "token=" in line else line.split()[-1]

    def get(self, path: str, token: str) -> httpx.Response:
        return httpx.get(f"http://127.0.0.1:{self.port}/api/v1{path}",
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)


def _start(data: Path, *, db: str | None = None, layout: Path = SMALL) -> subprocess.Popen[str]:
    args = [*HALLQ, "serve", "--demo", "--layout", str(layout), "--port", str(free_port()),
            "--data", str(data)]
    if db:
        args += ["--db", db]
    return subprocess.Popen(args, cwd=REPO, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "HALLQ_SLIP_KEY": "k" * 32})


def serve(data: Path, *, db: str | None = None, layout: Path = SMALL) -> Served:
    """A server up and answering, its demo links read."""
    proc = _start(data, db=db, layout=layout)
    port = int(proc.args[proc.args.index("--port") + 1])  # type: ignore[union-attr]
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while not any("admin token" in line for line in lines):
        assert time.monotonic() < deadline and proc.poll() is None, "".join(lines)
        lines.append(proc.stderr.readline())  # type: ignore[union-attr]
    served = Served(proc, port, lines)
    admin = served.token("admin token")
    while True:
        try:
            served.get("/hall", admin)
            return served
        except httpx.ConnectError:
            assert time.monotonic() < deadline and proc.poll() is None, "never answered"
            time.sleep(0.05)


def refused(data: Path, *, db: str | None = None, layout: Path = SMALL
            ) -> subprocess.CompletedProcess[str]:
    proc = _start(data, db=db, layout=layout)
    # A refused start exits once its imports are done; a server that started never does.
    # Generous, not a speed claim: on a loaded 2-core machine the imports alone take 10 s+.
    try:
        _, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError("the second server started") from None
    return subprocess.CompletedProcess(proc.args, proc.returncode, "", err)


def stop(s: Served, sig: int = signal.SIGTERM) -> None:
    if s.proc.poll() is None:
        s.proc.send_signal(sig)
        s.proc.wait(timeout=15)


def _check_refusal(out: subprocess.CompletedProcess[str], holder: Served) -> None:
    assert out.returncode == 1, out.stderr
    lines = [line for line in out.stderr.splitlines() if "hallq serve" in line]
    assert len(lines) == 1, out.stderr
    line = lines[0]
    assert line.startswith("另一个 hallq serve 已在使用本大厅的数据")
    assert f"主机 {socket.gethostname()}" in line and f"进程 {holder.proc.pid}" in line
    assert "since 20" in line and "演示令牌" not in out.stderr  # no demo links printed


def _the_first_is_untouched(first: Served) -> None:
    assert first.proc.poll() is None
    for marker in ("admin token", "/display/hall?token="):
        r = first.get("/windows", first.token(marker))
        assert r.status_code == 200, (marker, r.text)


def test_a_second_server_on_the_same_data_directory_is_refused(tmp_path: Path):
    data = tmp_path / "var"
    first = serve(data)
    try:
        _check_refusal(refused(data), first)
        _the_first_is_untouched(first)
    finally:
        stop(first)
    # Stopped cleanly, the hall starts again at once.
    again = serve(data)
    stop(again)


def test_kill_9_leaves_no_stale_lock(tmp_path: Path):
    data = tmp_path / "var"
    first = serve(data)
    stop(first, signal.SIGKILL)
    assert (data / "serve.lock").exists()  # the file stays; the kernel dropped the lock
    again = serve(data)
    try:
        assert again.get("/hall", again.token("admin token")).json()["code"] == "XS01"
        _check_refusal(refused(data), again)
    finally:
        stop(again)


def test_a_sqlite_database_is_locked_where_it_lies(tmp_path: Path):
    """Two data directories, one database file: the second is refused all the same."""
    db = f"sqlite:///{tmp_path / 'shared' / 'hallq.db'}"
    first = serve(tmp_path / "a", db=db)
    try:
        _check_refusal(refused(tmp_path / "b", db=db), first)
        _the_first_is_untouched(first)
    finally:
        stop(first)


@pytest.fixture
def pg_schema_url() -> Iterator[Callable[[], str]]:
    """New PostgreSQL schemas, each one hall's database, dropped afterwards."""
    reason = _pg_reason()
    if reason:
        pytest.skip(reason)
    import sqlalchemy as sa

    from queue_server.store.db import normalise_url
    url = normalise_url(_pg_url())
    admin = sa.create_engine(url)
    made: list[str] = []

    def make() -> str:
        schema = f"hallq_test_{secrets.token_hex(4)}"
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        made.append(schema)
        return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"

    yield make
    with admin.begin() as conn:
        for schema in made:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def _other_hall(tmp_path: Path, code: str) -> Path:
    path = tmp_path / f"{code}.toml"
    path.write_text(SMALL.read_text(encoding="utf-8").replace('code = "XS01"', f'code = "{code}"'),
                    encoding="utf-8")
    return path


@pytest.mark.postgres
def test_postgres_one_writer_per_hall_and_kill_9(tmp_path: Path, pg_schema_url: Callable[[], str]):
    url = pg_schema_url()
    # Separate data directories: only PostgreSQL's advisory lock stands between them.
    first = serve(tmp_path / "a", db=url)
    try:
        _check_refusal(refused(tmp_path / "b", db=url), first)
        _the_first_is_untouched(first)
        # Another hall on the same PostgreSQL server (its own schema, its own code) is
        # not blocked by this one.
        other = serve(tmp_path / "c", db=pg_schema_url(), layout=_other_hall(tmp_path, "XS02"))
        stop(other)
    finally:
        stop(first, signal.SIGKILL)
    # The killed server's session ended with it, and its advisory lock with the session.
    deadline = time.monotonic() + 30
    while True:
        try:
            again = serve(tmp_path / "b", db=url)
            break
        except AssertionError:
            assert time.monotonic() < deadline, "the lock outlived its killed server"
    stop(again)
