"""Backups of the database, taken while the server runs, and their restore.

SQLite: the online backup API copies a consistent snapshot page by page while the server
goes on writing (WAL), into a temporary file that is checked and then renamed into place,
so a backup file is never half written. PostgreSQL: `pg_dump` (custom format) and
`pg_restore`, which see one snapshot of the database however busy it is.

A backup holds the database only. The ID hash key (secret.key or HALLQ_SECRET) is kept
apart, so a stolen backup alone cannot be matched against guessed ID numbers, nor its
phone numbers read; a restore is given the key separately.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from queue_server.store.db import make_engine, normalise_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore refused, with a message for the operator (Chinese, English)."""


@dataclass(frozen=True)
class Summary:
    kind: str  # "sqlite" | "postgresql"
    path: Path
    size: int
    tickets: int | None  # counted in a SQLite backup; None for a dump


def _is_sqlite(url: str) -> bool:
    return make_url(normalise_url(url)).get_backend_name() == "sqlite"


def _sqlite_file(url: str) -> Path:
    database = make_url(normalise_url(url)).database
    if not database or database == ":memory:":
        raise BackupError("内存数据库无法备份 / an in-memory database cannot be backed up")
    return Path(database)


def _libpq(url: str) -> str:
    """The URL as pg_dump and psql take it: without SQLAlchemy's `+driver`."""
    parsed = make_url(normalise_url(url)).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def _run(cmd: list[str], what: str) -> None:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(f"找不到 {cmd[0]}，请安装 PostgreSQL 客户端 / {cmd[0]} not found: "
                          f"install the PostgreSQL client") from None
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["?"])[0]
        raise BackupError(f"{what}失败 / {what} failed: {first}")


def backup(url: str, dest: Path) -> Summary:
    dest = dest.resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if _is_sqlite(url):
            source_path = _sqlite_file(url)
            if not source_path.exists():
                raise BackupError(f"没有数据库 {source_path} / no database at {source_path}")
            if source_path.resolve() == dest:
                raise BackupError("备份文件不能是数据库本身 / the backup cannot be the database")
            tickets = _sqlite_backup(source_path, partial)
            kind = "sqlite"
        else:
            _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(partial),
                  "--dbname", _libpq(url)], "pg_dump ")
            tickets, kind = None, "postgresql"
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return Summary(kind, dest, dest.stat().st_size, tickets)


def _sqlite_backup(source_path: Path, dest: Path) -> int:
    src = sqlite3.connect(source_path, timeout=30)
    out = sqlite3.connect(dest)
    try:
        # In one step: a reader in WAL mode never blocks the server's writers, while a
        # backup in steps starts again whenever the server writes between two of them
        # (and under a busy hall's traffic might never finish).
        src.backup(out)
        checked = out.execute("PRAGMA integrity_check").fetchone()[0]
        if checked != "ok":
            raise BackupError(f"备份校验失败 / the backup does not check: {checked}")
        out.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        return int(out.execute("SELECT count(*) FROM tickets").fetchone()[0])
    finally:
        out.close()
        src.close()


def check_empty_data_dir(data_dir: Path) -> None:
    if data_dir.exists() and any(data_dir.iterdir()):
        names = ", ".join(sorted(p.name for p in data_dir.iterdir())[:5])
        raise BackupError(
            f"数据目录 {data_dir} 不是空的（{names}）：恢复只写入空目录，请先把旧目录移走 / "
            f"the data directory {data_dir} is not empty ({names}): a restore writes only "
            f"into an empty one; move the old one aside first")


def restore(source: Path, url: str, data_dir: Path, key_file: Path | None) -> Summary:
    """Into an empty data directory (and, for PostgreSQL, an empty database); the key
    from `key_file`, if given, becomes the data directory's secret.key."""
    if not source.is_file():
        raise BackupError(f"没有备份文件 {source} / no backup file at {source}")
    with source.open("rb") as f:
        magic = f.read(16)
    check_empty_data_dir(data_dir)
    if key_file is not None and not key_file.is_file():
        raise BackupError(f"没有密钥文件 {key_file} / no key file at {key_file}")
    if magic.startswith(SQLITE_MAGIC):
        if not _is_sqlite(url):
            raise BackupError("这是 SQLite 备份，目标是 PostgreSQL / this is a SQLite backup; "
                              "the target database is PostgreSQL")
        target = _sqlite_file(url)
        if target.exists():
            raise BackupError(f"数据库 {target} 已存在 / a database exists at {target}")
        _check_sqlite_backup(source)
        data_dir.mkdir(parents=True, exist_ok=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(source, partial)
        os.replace(partial, target)
        kind = "sqlite"
    elif magic.startswith(PG_MAGIC):
        if _is_sqlite(url):
            raise BackupError("这是 PostgreSQL 备份，请用 --db 指定空的 PostgreSQL 数据库 / this "
                              "is a PostgreSQL dump: give an empty PostgreSQL database with --db")
        engine = make_engine(url)
        try:
            tables = inspect(engine).get_table_names()
        finally:
            engine.dispose()
        if tables:
            raise BackupError("目标数据库不是空的，恢复只写入空数据库 / the target database is not "
                              "empty: a restore writes only into an empty one")
        _run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname", _libpq(url),
              str(source)], "pg_restore ")
        data_dir.mkdir(parents=True, exist_ok=True)
        kind = "postgresql"
    else:
        raise BackupError(f"{source} 不是 hallq 备份 / {source} is not a hallq backup")
    if key_file is not None:
        key = data_dir / "secret.key"
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key_file.read_bytes())
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            tickets = int(conn.execute(text("SELECT count(*) FROM tickets")).scalar_one())
    finally:
        engine.dispose()
    return Summary(kind, source, source.stat().st_size, tickets)


def _check_sqlite_backup(source: Path) -> None:
    conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        checked = conn.execute("PRAGMA integrity_check").fetchone()[0]
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"备份文件已损坏 / the backup is damaged: {exc}") from None
    finally:
        conn.close()
    if checked != "ok":
        raise BackupError(f"备份文件已损坏 / the backup is damaged: {checked}")
    if not {"alembic_version", "tickets"} <= names:
        raise BackupError(f"{source} 不是 hallq 数据库 / {source} is not a hallq database")
