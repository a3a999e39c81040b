"""`hallq db copy --to URL`: a hall's whole SQLite database into an empty PostgreSQL one,
so that a hall on the embedded default can join the city network (docs/network.md).

The target is migrated first by the same migrations, then every table is copied parents
first in one transaction, the append-only logs' sequences are moved past the copied
numbers, and each table's row count is compared before the transaction commits: a copy
that does not match leaves the target as empty as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from queue_server.store.db import make_engine, normalise_url, upgrade
from queue_server.store.tables import metadata

BATCH = 2000


class CopyError(Exception):
    """The copy was refused or did not match; the message is Chinese first, then English."""


@dataclass
class Copied:
    counts: dict[str, int]  # rows per table, equal at both ends

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def copy_database(source_url: str, target_url: str) -> Copied:
    target_url = normalise_url(target_url)
    if make_url(target_url).get_backend_name() != "postgresql":
        raise CopyError("目标须为 PostgreSQL 数据库 / the target must be a PostgreSQL database, "
                        f"not {make_url(target_url).get_backend_name()}")
    source, target = make_engine(source_url), make_engine(target_url)
    try:
        with source.connect() as conn:
            if "halls" not in inspect(conn).get_table_names():
                raise CopyError("源数据库不是 hallq 数据库（或为空）/ the source is not a hallq "
                                "database (or is empty)")
        _refuse_non_empty(target)
        # Same revision at both ends: the source as its server left it is brought to the
        # newest (what `hallq serve` would do at its next start), then the target.
        upgrade(source, "head")
        upgrade(target, "head")
        counts: dict[str, int] = {}
        # One read transaction at the source: a consistent picture even if something reads.
        with source.connect() as src, target.begin() as dst:
            for table in metadata.sorted_tables:
                copied = 0
                result = src.execution_options(stream_results=True).execute(select(table))
                while batch := result.fetchmany(BATCH):
                    dst.execute(table.insert(), [dict(r._mapping) for r in batch])
                    copied += len(batch)
                expected = src.execute(select(func.count()).select_from(table)).scalar_one()
                landed = dst.execute(select(func.count()).select_from(table)).scalar_one()
                if not expected == copied == landed:
                    raise CopyError(
                        f"表 {table.name} 行数不符：源 {expected}，复制 {copied}，目标 {landed}；"
                        f"目标未改动 / table {table.name} does not match: {expected} at the "
                        f"source, {copied} copied, {landed} at the target; the target is "
                        "left unchanged")
                counts[table.name] = landed
                if "seq" in table.c and _has_sequence(dst, table.name):
                    # The hall numbers these logs from the column's sequence on PostgreSQL
                    # (tables.next_seq): it must go on after the copied numbers.
                    dst.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'seq'), "
                        f"coalesce((SELECT max(seq) FROM {table.name}), 0) + 1, false)"))
        return Copied(counts)
    finally:
        source.dispose()
        target.dispose()


def _has_sequence(conn, table: str) -> bool:  # type: ignore[no-untyped-def]
    return conn.execute(text("SELECT pg_get_serial_sequence(:t, 'seq')"),
                        {"t": table}).scalar() is not None


def _refuse_non_empty(target: Engine) -> None:
    with target.connect() as conn:
        present = set(inspect(conn).get_table_names())
        if "alembic_version" in present and not present & set(metadata.tables):
            present.discard("alembic_version")
        if present - {"alembic_version"} - set(metadata.tables):
            raise CopyError(f"目标数据库不为空（有表 {sorted(present)[:5]}）/ the target database "
                            f"is not empty (tables {sorted(present)[:5]}): give an empty one")
        for name in sorted(present & set(metadata.tables)):
            if conn.execute(select(func.count()).select_from(metadata.tables[name])
                            ).scalar_one():
                raise CopyError(f"目标数据库不为空（表 {name} 已有数据）/ the target database is "
                                f"not empty (table {name} has rows): give an empty one")
