"""`hallq db backup PATH` and `hallq db restore PATH`: the database, while the server runs,
and back into an empty data directory. The ID hash key travels apart (README, "Backups")."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hallenv import HallqEnv


def register(sub: argparse._SubParsersAction) -> None:
    from queue_server.cli import data_args
    db = sub.add_parser("db", help="数据库备份与恢复 / database backup and restore")
    dsub = db.add_subparsers(dest="db_command", required=True)
    backup = dsub.add_parser("backup", help="back the database up to PATH (server may run)")
    backup.add_argument("path", type=Path)
    data_args(backup)
    backup.set_defaults(func=_backup)
    restore = dsub.add_parser("restore", help="restore PATH into an empty data directory")
    restore.add_argument("path", type=Path)
    restore.add_argument("--key", type=Path, default=None,
                         help="the ID hash key (a copy of secret.key, kept apart from the "
                              "backups); not needed when HALLQ_SECRET is set")
    data_args(restore)
    restore.set_defaults(func=_restore)
    copy = dsub.add_parser("copy", help="copy the hall's whole database into an empty "
                                        "PostgreSQL one (to join the city network)")
    copy.add_argument("--to", required=True, metavar="URL", help="the empty PostgreSQL database")
    data_args(copy)
    copy.set_defaults(func=_copy)


def _settings(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from queue_server.settings import Settings
    return Settings.from_env(data_dir=args.data, db_url=args.db)


def _backup(args: argparse.Namespace) -> int:
    from queue_server.store.backup import BackupError, backup
    settings = _settings(args)
    try:
        done = backup(settings.database_url, args.path)
    except BackupError as exc:
        print(f"hallq db backup: {exc}", file=sys.stderr)
        return 1
    count = f", {done.tickets} 张号 tickets" if done.tickets is not None else ""
    print(f"{done.path}  {done.kind}  {done.size} bytes{count}")
    key = "HALLQ_SECRET" if HallqEnv.read().secret else settings.data_dir / "secret.key"
    print(f"备份不含身份证号哈希密钥，请另行保管 {key} / the backup holds no ID hash key: keep "
          f"{key} apart, as the README says", file=sys.stderr)
    return 0


def _restore(args: argparse.Namespace) -> int:
    from queue_server.store.backup import BackupError, restore
    settings = _settings(args)
    if args.key is None and not HallqEnv.read().secret:
        print("hallq db restore: 请用 --key 给出身份证号哈希密钥（secret.key 的副本），或设置 "
              "HALLQ_SECRET；没有它，恢复的身份证号无法匹配、手机号无法读出 / give the ID hash "
              "key with --key (the copy of secret.key) or set HALLQ_SECRET: without it the "
              "restored ID numbers match nothing and phone numbers cannot be read",
              file=sys.stderr)
        return 2
    try:
        done = restore(args.path, settings.database_url, settings.data_dir, args.key)
    except BackupError as exc:
        print(f"hallq db restore: {exc}", file=sys.stderr)
        return 1
    print(f"{settings.data_dir}: 已恢复 restored {done.kind} backup {done.path}, "
          f"{done.tickets} 张号 tickets")
    return 0


def _copy(args: argparse.Namespace) -> int:
    from queue_server.store.copy import CopyError, copy_database
    from queue_server.store.writer_lock import HeldElsewhere, WriterLock
    settings = _settings(args)
    # The hall's server must be stopped: what it wrote after the copy would be lost.
    lock = WriterLock(settings.data_dir, settings.database_url, "copy")
    try:
        lock.acquire()
    except HeldElsewhere as exc:
        print(f"hallq db copy: {exc}", file=sys.stderr)
        return 1
    try:
        done = copy_database(settings.database_url, args.to)
    except CopyError as exc:
        print(f"hallq db copy: {exc}", file=sys.stderr)
        return 1
    finally:
        lock.release()
    for name, count in done.counts.items():
        print(f"{name:<20}{count:>9}")
    print(f"已复制 {len(done.counts)} 张表 {done.total} 行，两端行数一致；以 --db {args.to} 启动大厅 / "
          f"copied {len(done.counts)} tables, {done.total} rows, counts equal at both ends; "
          f"start the hall with --db {args.to}")
    return 0
