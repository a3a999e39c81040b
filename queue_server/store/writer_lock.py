"""One writer per hall: the lock a `hallq serve` holds for as long as it runs.

Two servers on one hall's data would each believe their own memory: kiosks then get
`409 conflict`, displays disagree and a second `--demo` start revokes the first one's
tokens. So a server takes this lock before it writes anything, and a second one is
refused with the holder named.

- The data directory (and, on SQLite, the database file's directory): an exclusive
  `flock` on `serve.lock`. The kernel drops it when the process dies however it dies, so
  a `kill -9` never leaves a stale lock; the file only carries who holds it, for the
  message.
- PostgreSQL: a session advisory lock on a connection kept open for the server's life,
  keyed from the hall code and schema, so halls sharing a PostgreSQL server do not block
  each other. The server drops it when that session ends (process killed, link lost).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import socket
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from queue_server.store.db import normalise_url

LOCK_FILE = "serve.lock"
# The advisory lock's first key: "hallq" in every lock of ours, so pg_locks tells ours
# from anyone else's; the second is the hall's.
_CLASS_KEY = 0x48514C4B  # "HQLK"
_APP_NAME = re.compile(r"^hallq (\S+) (\d+)@(.*)$")


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int | None
    since: str  # ISO 8601 UTC, or "" when unknown
    where: str  # the lock file or the database


class HeldElsewhere(Exception):
    def __init__(self, holder: Holder) -> None:
        self.holder = holder
        super().__init__(refusal(holder))


def refusal(h: Holder) -> str:
    pid = str(h.pid) if h.pid is not None else "?"
    since = h.since or "?"
    return (f"另一个 hallq serve 已在使用本大厅的数据（{h.where}）：主机 {h.host}，进程 {pid}，"
            f"自 {since} 起；本服务器未启动，请先停止那一个 / another hallq serve already "
            f"uses this hall's data ({h.where}): host {h.host}, process {pid}, since {since}; "
            f"this server did not start, stop that one first")


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class WriterLock:
    """Held from `acquire` to `release` (or the process's end)."""

    def __init__(self, data_dir: Path, db_url: str, hall_code: str) -> None:
        self.hall_code = hall_code
        self.db_url = normalise_url(db_url)
        self.since = _now()
        dirs = [Path(data_dir)]
        url = make_url(self.db_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            dirs.append(Path(url.database).parent)  # type: ignore[arg-type]
        seen: set[Path] = set()
        self.paths = []
        for d in dirs:
            resolved = d.resolve()
            if resolved not in seen:
                seen.add(resolved)
                self.paths.append(resolved / LOCK_FILE)
        self._fds: list[int] = []
        self._pg: Connection | None = None

    def acquire(self) -> None:
        try:
            for path in self.paths:
                self._lock_file(path)
            if make_url(self.db_url).get_backend_name() == "postgresql":
                self._lock_pg()
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        for fd in self._fds:
            with contextlib.suppress(OSError):
                os.close(fd)  # closing the descriptor drops the flock
        self._fds.clear()
        if self._pg is not None:
            with contextlib.suppress(Exception):
                self._pg.close()
                self._pg.engine.dispose()
            self._pg = None

    # --- the lock file -----------------------------------------------------------------

    def _lock_file(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise HeldElsewhere(_read_holder(path)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"host": socket.gethostname(), "pid": os.getpid(),
                                  "since": self.since, "hall": self.hall_code}).encode(), 0)
        os.fsync(fd)
        self._fds.append(fd)

    # --- PostgreSQL ----------------------------------------------------------------------

    def _lock_pg(self) -> None:
        app_name = f"hallq {self.hall_code} {os.getpid()}@{socket.gethostname()}"[:63]
        engine = create_engine(self.db_url, poolclass=NullPool,
                               connect_args={"application_name": app_name,
                                             "connect_timeout": 5})
        conn = engine.connect()
        # Autocommit: the session holds the lock, no transaction stays open for days.
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        schema = conn.execute(text("SELECT current_schema()")).scalar_one() or ""
        key = zlib.crc32(f"{self.hall_code}\0{schema}".encode()) & 0x7FFFFFFF
        got = conn.execute(text("SELECT pg_try_advisory_lock(:a, :b)"),
                           {"a": _CLASS_KEY, "b": key}).scalar_one()
        if not got:
            holder = _pg_holder(conn, key, schema)
            conn.close()
            engine.dispose()
            raise HeldElsewhere(holder)
        self._pg = conn


def _read_holder(path: Path) -> Holder:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):  # being written this very moment: say what we know
        info = {}
    pid = info.get("pid")
    return Holder(str(info.get("host", "?")), pid if isinstance(pid, int) else None,
                  str(info.get("since", "")), str(path))


def _pg_holder(conn: Connection, key: int, schema: str) -> Holder:
    row = conn.execute(text(
        "SELECT a.application_name, a.client_hostname, host(a.client_addr), a.backend_start "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
        "AND l.classid::int8 = :a AND l.objid::int8 = :b "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
        {"a": _CLASS_KEY, "b": key}).first()
    where = f"PostgreSQL {conn.engine.url.render_as_string(hide_password=True)}"
    if schema:
        where += f" schema {schema}"
    if row is None:  # released between our try and this look
        return Holder("?", None, "", where)
    app, client_host, client_addr, started = row
    m = _APP_NAME.match(app or "")
    host = m.group(3) if m else (client_host or client_addr or "?")
    pid = int(m.group(2)) if m else None
    since = started.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z") \
        if started else ""
    return Holder(host, pid, since, where)
