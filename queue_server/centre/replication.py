"""Adding, listing and removing halls at the centre: PostgreSQL's logical replication.

Each hall publishes its tables with the columns travel.py allows, filtered to its own
rows; the centre subscribes to each hall through a replication slot named from the hall
code. The engine does the rest: the slot holds the changes while the link is down, the
subscription catches up afterwards, in commit order, each row once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Table, delete, func, select, text
from sqlalchemy.engine import make_url

from queue_server.centre.travel import published_tables, relaxed_columns, travelling_columns
from queue_server.domain.layout import HALL_CODE_RE
from queue_server.store.db import MIGRATIONS, make_engine, normalise_url, upgrade
from queue_server.store.tables import events, metadata, tickets

PREFIX = "hallq_"  # publications, subscriptions and slots: hallq_<code in lower case>
# How much WAL a hall keeps for a centre that is away before it gives the slot up: the
# hall's disk is bounded, and past it the centre must copy the hall again (docs/network.md).
DEFAULT_WAL_KEEP = "4GB"
HALL_TIMEOUT_S = 5  # connecting to a hall from the centre: a hall that is down is reported


class CentreError(Exception):
    """Something the operator must fix; the message is Chinese first, then English."""


def check_code(code: str) -> str:
    if not HALL_CODE_RE.match(code):
        raise CentreError(f"大厅代码应为 2–8 位大写字母或数字、字母开头，不是 {code!r} / a hall "
                          f"code is 2–8 capital letters or digits starting with a letter, "
                          f"not {code!r}")
    return code


def object_name(code: str) -> str:
    """The publication's, the subscription's and the slot's name for a hall."""
    return PREFIX + check_code(code).lower()


def code_of(name: str) -> str:
    return name[len(PREFIX):].upper()


def conninfo(url: str) -> str:
    """A libpq connection string for a SQLAlchemy URL (the driver part dropped)."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "postgresql":
        raise CentreError(f"市中心与联网大厅须使用 PostgreSQL，不是 {parsed.get_backend_name()}"
                          f"（先用 hallq db copy --to 迁移）/ the centre and networked halls run "
                          f"on PostgreSQL, not {parsed.get_backend_name()} (move a hall with "
                          "hallq db copy --to first)")
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_engine(url: str) -> Engine:
    conninfo(url)  # refuses anything but PostgreSQL, with the message above
    return make_engine(url)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _head() -> str:
    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def _revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


# --- the centre's schema -------------------------------------------------------------------

def prepare_centre(centre: Engine) -> None:
    """The same migrations as the halls, then the centre's one difference: columns left
    behind at the halls may be NULL here (they stay NOT NULL at every hall).

    Run again after every migration: a migration that rebuilds a table puts its NOT NULL
    back, and the apply worker would stop at the first row without it.
    """
    upgrade(centre, "head")
    with centre.begin() as conn:
        for table in published_tables():
            for column in relaxed_columns(table):
                conn.exec_driver_sql(f'ALTER TABLE {table.name} ALTER COLUMN "{column}" '
                                     "DROP NOT NULL")


@dataclass
class Refreshed:
    code: str
    refreshed: bool  # False: the hall was unreachable or not yet at the centre's revision
    reason: str = ""


def migrate_centre(centre_url: str) -> list[Refreshed]:
    """After a migration: the centre first (its schema must take what the halls will
    send), then each hall's publication brought to the new column lists and the
    subscription refreshed, so that a new table is copied and a new column travels.

    Order in a network: `hallq centre migrate` (the centre), the halls' servers restart
    (each migrates itself), `hallq centre migrate` again (the publications). A hall not yet
    at the centre's revision is left as it is and reported: its old lists still work.
    """
    centre = _pg_engine(centre_url)
    out = []
    try:
        prepare_centre(centre)
        head = _head()
        with centre.connect() as conn:
            subs = conn.exec_driver_sql(
                "SELECT subname, subconninfo FROM pg_subscription "
                "WHERE starts_with(subname, 'hallq_') ORDER BY subname").all()
        for name, info in subs:
            code = code_of(name)
            try:
                with psycopg.connect(info, connect_timeout=HALL_TIMEOUT_S,
                                     autocommit=True) as hall:
                    revision = hall.execute("SELECT version_num FROM alembic_version"
                                            ).fetchone()
                    if revision is None or revision[0] != head:
                        out.append(Refreshed(code, False, f"hall at {revision and revision[0]}"))
                        continue
                    hall.execute(f"ALTER PUBLICATION {name} SET TABLE "  # type: ignore[arg-type]
                                 f"{publication_tables(code)}")
            except psycopg.Error as exc:
                out.append(Refreshed(code, False, f"hall unreachable: {type(exc).__name__}"))
                continue
            with centre.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                # copy_data: only tables new to the subscription are copied.
                conn.exec_driver_sql(f"ALTER SUBSCRIPTION {name} REFRESH PUBLICATION "
                                     "WITH (copy_data = true)")
            out.append(Refreshed(code, True))
        return out
    finally:
        centre.dispose()


# --- add a hall --------------------------------------------------------------------------

@dataclass
class Added:
    code: str
    publication: str
    slot: str
    wal_keep: str  # the hall's max_slot_wal_keep_size after adding
    tables: int


def publication_tables(code: str, columns_of: Callable[[Table], list[str]] = travelling_columns
                       ) -> str:
    """The publication's tables: a column list each, only the hall's own rows."""
    return ", ".join(f"{t.name} ({', '.join(_quoted(columns_of(t)))}) WHERE (hall = "
                     f"{_literal(code)})" for t in published_tables())


def publication_sql(code: str) -> str:
    """CREATE PUBLICATION for a hall, never publishing TRUNCATE (a hall's truncate would
    empty every hall's rows at the centre)."""
    return (f"CREATE PUBLICATION {object_name(code)} FOR TABLE {publication_tables(code)} "
            "WITH (publish = 'insert, update, delete')")


def _quoted(columns: list[str]) -> list[str]:
    return [f'"{c}"' for c in columns]


def add_hall(code: str, hall_url: str, centre_url: str, *, wal_keep: str = DEFAULT_WAL_KEEP
             ) -> Added:
    name = object_name(code)
    hall_info = conninfo(hall_url)
    hall, centre = _pg_engine(hall_url), _pg_engine(centre_url)
    try:
        _check_hall(hall, code)
        kept = _set_wal_keep(hall, wal_keep)
        with hall.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_publication WHERE pubname = :n"),
                            {"n": name}).first() is None:
                conn.exec_driver_sql(publication_sql(code))
                conn.commit()
        prepare_centre(centre)
        with centre.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_subscription WHERE subname = :n"),
                            {"n": name}).first() is not None:
                raise CentreError(f"市中心已订阅大厅 {code} / the centre already subscribes "
                                  f"to hall {code} (hallq centre status)")
            held = conn.execute(select(func.count()).select_from(tickets)
                                .where(tickets.c.hall == code)).scalar_one()
            if held:
                raise CentreError(
                    f"市中心已有大厅 {code} 的 {held} 张号（此前移除时未清除）；先运行 hallq centre "
                    f"remove-hall {code} --purge / the centre still holds {held} tickets of "
                    f"hall {code} from before: run hallq centre remove-hall {code} --purge "
                    "first, the subscription copies them again")
        # CREATE SUBSCRIPTION that creates its slot cannot run inside a transaction.
        with centre.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(
                f"CREATE SUBSCRIPTION {name} CONNECTION {_literal(hall_info)} "
                f"PUBLICATION {name} WITH (slot_name = '{name}', copy_data = true, "
                "create_slot = true, enabled = true, disable_on_error = false)")
        return Added(code, name, name, kept, len(published_tables()))
    finally:
        hall.dispose()
        centre.dispose()


def _check_hall(hall: Engine, code: str) -> None:
    with hall.connect() as conn:
        level = conn.exec_driver_sql("SHOW wal_level").scalar_one()
        if level != "logical":
            raise CentreError(
                f"大厅数据库的 wal_level 为 {level}，须为 logical（postgresql.conf 中设置后重启）/ "
                f"the hall's wal_level is {level}: set wal_level = logical in its "
                "postgresql.conf and restart it")
        revision, head = _revision(conn), _head()
        if revision != head:
            raise CentreError(
                f"大厅数据库的版本为 {revision}，市中心为 {head}：先在大厅升级（hallq serve 启动时"
                f"自动升级）/ the hall's schema is at {revision}, the centre's at {head}: "
                "upgrade the hall first (hallq serve does at start)")
        recorded = conn.execute(text("SELECT hall FROM halls")).scalars().all()
        if recorded and code not in recorded:
            raise CentreError(
                f"此数据库属于大厅 {', '.join(recorded)}，不是 {code} / this database belongs "
                f"to hall {', '.join(recorded)}, not {code}")


def _set_wal_keep(hall: Engine, wal_keep: str) -> str:
    """max_slot_wal_keep_size bounds the WAL a slot holds for a centre that is away; past
    it the hall removes the WAL and the slot is lost (docs/network.md)."""
    with hall.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"ALTER SYSTEM SET max_slot_wal_keep_size = {_literal(wal_keep)}")
        conn.exec_driver_sql("SELECT pg_reload_conf()")
    # A reload is asynchronous: new sessions read the value once the server has taken it.
    deadline = time.monotonic() + 10
    while True:
        with hall.connect() as conn:
            value = str(conn.exec_driver_sql("SHOW max_slot_wal_keep_size").scalar_one())
            pending = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_file_settings WHERE name = 'max_slot_wal_keep_size' "
                "AND applied = false").scalar_one()
        if value != "-1" and not pending or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


# --- list the halls ----------------------------------------------------------------------

@dataclass
class HallState:
    code: str
    state: str  # streaming | syncing | catching_up | down | disabled
    lag_bytes: int | None  # WAL the hall holds that the centre has not confirmed
    lag_seconds: float | None  # since the last message received from the hall
    last_received_at: str | None
    last_event_at: str | None  # the newest replicated event's time (the hall's clock)
    tickets_today: int
    wal_status: str | None  # the hall's slot: reserved | extended | unreserved | lost
    errors: int  # apply and copy errors since the subscription began
    hall_reachable: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_SUBSCRIPTIONS = """
SELECT s.subname, s.subenabled, s.subconninfo, st.pid, st.last_msg_receipt_time,
       (SELECT count(*) FROM pg_subscription_rel r
         WHERE r.srsubid = s.oid AND r.srsubstate <> 'r') AS syncing,
       coalesce(ss.apply_error_count, 0) + coalesce(ss.sync_error_count, 0) AS errors
  FROM pg_subscription s
  LEFT JOIN pg_stat_subscription st ON st.subid = s.oid AND st.relid IS NULL
  LEFT JOIN pg_stat_subscription_stats ss ON ss.subid = s.oid
 WHERE starts_with(s.subname, 'hallq_')
 ORDER BY s.subname
"""


def status(centre_url: str, *, today: date, now: datetime | None = None) -> list[HallState]:
    now = now or datetime.now(UTC)
    centre = _pg_engine(centre_url)
    try:
        with centre.connect() as conn:
            subs = conn.exec_driver_sql(_SUBSCRIPTIONS).mappings().all()
            last = dict(conn.execute(select(events.c.hall, func.max(events.c.at))
                                     .group_by(events.c.hall)).all())
            counts = dict(conn.execute(select(tickets.c.hall, func.count())
                                       .where(tickets.c.day == today)
                                       .group_by(tickets.c.hall)).all())
    finally:
        centre.dispose()
    out = []
    for s in subs:
        code = code_of(s["subname"])
        slot = _slot_on_hall(s["subconninfo"], s["subname"])
        received = s["last_msg_receipt_time"]
        if not s["subenabled"]:
            state = "disabled"
        elif s["pid"] is None:
            state = "down"
        elif s["syncing"]:
            state = "syncing"
        elif slot and slot["lag"] and slot["lag"] > 0 and (
                received is None or (now - received).total_seconds() > 10):
            state = "catching_up"
        else:
            state = "streaming"
        at = last.get(code)
        out.append(HallState(
            code=code, state=state, lag_bytes=slot["lag"] if slot else None,
            lag_seconds=round((now - received).total_seconds(), 1) if received else None,
            last_received_at=received.astimezone(UTC).isoformat() if received else None,
            last_event_at=at.astimezone(UTC).isoformat() if at else None,
            tickets_today=int(counts.get(code, 0)),
            wal_status=slot["wal_status"] if slot else None, errors=int(s["errors"]),
            hall_reachable=slot is not None))
    return out


def _slot_on_hall(info: str, slot: str) -> dict[str, Any] | None:
    """The hall's side of the link, None when the hall cannot be reached."""
    try:
        with psycopg.connect(info, connect_timeout=HALL_TIMEOUT_S) as conn:
            row = conn.execute(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint, "
                "wal_status FROM pg_replication_slots WHERE slot_name = %s", (slot,)).fetchone()
    except psycopg.Error:
        return None
    if row is None:
        return {"lag": None, "wal_status": "missing"}
    return {"lag": int(row[0]) if row[0] is not None else None, "wal_status": row[1]}


# --- halls gone quiet --------------------------------------------------------------------

def quiet_halls(states: list[HallState], *, minutes: float, now: datetime,
                open_now: bool) -> list[tuple[HallState, str]]:
    """The halls that should be open and sent nothing for `minutes`, each with a reason."""
    if not open_now:
        return []
    quiet = []
    for h in states:
        at = datetime.fromisoformat(h.last_event_at) if h.last_event_at else None
        if at is None:
            quiet.append((h, "从未收到事件 no event ever received"))
        elif (now - at).total_seconds() >= minutes * 60:
            mins = int((now - at).total_seconds() // 60)
            quiet.append((h, f"{mins} 分钟无事件（状态 {h.state}）/ no event for {mins} "
                             f"minutes (state {h.state})"))
    return quiet


# --- remove a hall -----------------------------------------------------------------------

@dataclass
class Removed:
    code: str
    slot_dropped: bool  # False: the hall was unreachable, its slot must be dropped there
    publication_dropped: bool
    purged_rows: int | None


def remove_hall(code: str, centre_url: str, *, hall_url: str | None = None,
                purge: bool = False) -> Removed:
    name = object_name(code)
    centre = _pg_engine(centre_url)
    try:
        with centre.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            row = conn.execute(text("SELECT subconninfo FROM pg_subscription WHERE subname = :n"),
                               {"n": name}).first()
            if row is None and not purge:
                raise CentreError(f"市中心没有订阅大厅 {code} / the centre has no subscription "
                                  f"to hall {code}")
            info = hall_info = row[0] if row else None
            if hall_url:
                hall_info = conninfo(hall_url)
            slot_dropped = row is None
            if row is not None:
                try:  # drops the hall's slot too, when the hall answers
                    conn.exec_driver_sql(f"DROP SUBSCRIPTION {name}")
                    slot_dropped = True
                except Exception:
                    # The hall is unreachable: let the subscription go without its slot.
                    conn.exec_driver_sql(f"ALTER SUBSCRIPTION {name} DISABLE")
                    conn.exec_driver_sql(f"ALTER SUBSCRIPTION {name} SET (slot_name = NONE)")
                    conn.exec_driver_sql(f"DROP SUBSCRIPTION {name}")
        publication_dropped = False
        if hall_info or info:
            publication_dropped, dropped = _drop_on_hall(hall_info or info or "", name,
                                                         drop_slot=not slot_dropped)
            slot_dropped = slot_dropped or dropped
        purged = _purge(centre, code) if purge else None
        return Removed(code, slot_dropped, publication_dropped, purged)
    finally:
        centre.dispose()


def _drop_on_hall(info: str, name: str, *, drop_slot: bool) -> tuple[bool, bool]:
    try:
        with psycopg.connect(info, connect_timeout=HALL_TIMEOUT_S, autocommit=True) as conn:
            conn.execute(f"DROP PUBLICATION IF EXISTS {name}")
            if drop_slot:
                conn.execute("SELECT pg_drop_replication_slot(slot_name) FROM "
                             "pg_replication_slots WHERE slot_name = %s", (name,))
            return True, drop_slot
    except psycopg.Error:
        return False, False


def _purge(centre: Engine, code: str) -> int:
    """Delete a hall's rows at the centre, children first. The append-only tables'
    triggers refuse DELETE, so this session runs as a replica does (superuser)."""
    removed = 0
    with centre.begin() as conn:
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for table in reversed(metadata.sorted_tables):
            if "hall" in table.c:
                removed += conn.execute(delete(table).where(table.c.hall == code)).rowcount
    return removed
