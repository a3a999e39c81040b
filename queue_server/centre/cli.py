"""`hallq centre add-hall|status|check|figures|remove-hall`: the city centre's commands.

The contract's names (add-hall, status) come first; add, list and remove are aliases.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

TZ = "Asia/Shanghai"


def register(sub: argparse._SubParsersAction) -> None:
    centre = sub.add_parser("centre", help="市中心 / the city centre over logical replication")
    csub = centre.add_subparsers(dest="centre_command", required=True)

    add = csub.add_parser("add-hall", aliases=["add"],
                          help="subscribe the centre to a county hall's data")
    add.add_argument("code", help="the hall's code ([hall] code in its layout)")
    add.add_argument("--hall-db", "--hall-url", dest="hall_db", required=True,
                     help="the hall's PostgreSQL URL, as the centre reaches it")
    _centre_arg(add)
    add.add_argument("--wal-keep", default=None, metavar="SIZE",
                     help="max_slot_wal_keep_size set on the hall (default 4GB): the most "
                          "WAL the hall keeps for a centre that is away")
    add.set_defaults(func=_add)

    st = csub.add_parser("status", aliases=["list"], help="each hall: state, lag, last event")
    _centre_arg(st)
    st.add_argument("--json", action="store_true")
    _day_args(st)
    st.set_defaults(func=_status)

    check = csub.add_parser("check", help="exit 1 when a hall that should be open is quiet")
    _centre_arg(check)
    check.add_argument("--quiet-minutes", type=float, required=True, metavar="N")
    check.add_argument("--hours", default="08:30-17:30", metavar="HH:MM-HH:MM",
                       help="when halls should be open, on working days (default 08:30-17:30)")
    _day_args(check)
    check.set_defaults(func=_check)

    fig = csub.add_parser("figures", help="a day's per-business figures, per hall and city-wide")
    _centre_arg(fig)
    fig.add_argument("--day", default=None, help="YYYY-MM-DD (default today)")
    fig.add_argument("--json", action="store_true")
    _day_args(fig)
    fig.set_defaults(func=_figures)

    mig = csub.add_parser("migrate", help="after a migration: the centre's schema, then each "
                                          "hall's publication and subscription")
    _centre_arg(mig)
    mig.set_defaults(func=_migrate)

    rm = csub.add_parser("remove-hall", aliases=["remove"],
                         help="drop a hall's subscription, slot and publication")
    rm.add_argument("code")
    _centre_arg(rm)
    rm.add_argument("--hall-db", "--hall-url", dest="hall_db", default=None,
                    help="the hall's URL (default: the one the subscription used)")
    rm.add_argument("--purge", action="store_true",
                    help="also delete the hall's rows at the centre (kept by default)")
    rm.set_defaults(func=_remove)


def _centre_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--centre-db", "--centre-url", dest="centre_db", default=None,
                   help="the centre's PostgreSQL URL (default HALLQ_CENTRE_DB)")


def _day_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tz", default=TZ, help=f"the halls' time zone (default {TZ})")
    # For tests and for looking back: the moment the command acts as of.
    p.add_argument("--at", default=None, help=argparse.SUPPRESS)


def _centre_url(args: argparse.Namespace) -> str:
    from queue_server.settings import Settings
    url = args.centre_db or Settings.from_env().centre_db_url
    if not url:
        raise _Usage("请用 --centre-db 或 HALLQ_CENTRE_DB 给出市中心数据库 / give the centre's "
                     "database with --centre-db or HALLQ_CENTRE_DB")
    return str(url)


class _Usage(Exception):
    pass


def _now(args: argparse.Namespace) -> datetime:
    if args.at:
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError as exc:
            raise _Usage(f"--at 应为 ISO 时间 / --at must be an ISO time: {args.at!r}") from exc
        return at if at.tzinfo else at.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _zone(args: argparse.Namespace) -> ZoneInfo:
    try:
        return ZoneInfo(args.tz)
    except Exception as exc:
        raise _Usage(f"未知时区 unknown time zone {args.tz!r}") from exc


def _run(args: argparse.Namespace, body) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import OperationalError

    from queue_server.centre.replication import CentreError
    try:
        return int(body())
    except _Usage as exc:
        print(f"hallq centre: {exc}", file=sys.stderr)
        return 2
    except CentreError as exc:
        print(f"hallq centre: {exc}", file=sys.stderr)
        return 1
    except OperationalError as exc:
        first = str(exc.orig).splitlines()[0] if exc.orig else str(exc).splitlines()[0]
        print(f"hallq centre: 无法连接数据库 / cannot reach a database: {first}", file=sys.stderr)
        return 1


def _add(args: argparse.Namespace) -> int:
    from queue_server.centre.replication import DEFAULT_WAL_KEEP, add_hall

    def body() -> int:
        done = add_hall(args.code, args.hall_db, _centre_url(args),
                        wal_keep=args.wal_keep or DEFAULT_WAL_KEEP)
        print(f"已加入大厅 {done.code}：发布 {done.publication}（{done.tables} 张表，不含个人信息），"
              f"复制槽 {done.slot}，大厅 max_slot_wal_keep_size = {done.wal_keep} / hall "
              f"{done.code} added: publication {done.publication} ({done.tables} tables, no "
              f"personal data), slot {done.slot}, the hall's max_slot_wal_keep_size = "
              f"{done.wal_keep}")
        return 0
    return _run(args, body)


def _status(args: argparse.Namespace) -> int:
    from queue_server.centre.replication import status

    def body() -> int:
        now = _now(args)
        states = status(_centre_url(args), today=now.astimezone(_zone(args)).date(), now=now)
        if args.json:
            print(json.dumps({"halls": [s.as_dict() for s in states]}, ensure_ascii=False))
            return 0
        if not states:
            print("市中心尚未加入任何大厅 / no hall added yet (hallq centre add-hall)")
            return 0
        print("大厅 hall  状态 state   滞后 lag (bytes, s)   最后事件 last event          今日号 tickets")
        for s in states:
            lag = (f"{s.lag_bytes if s.lag_bytes is not None else '?'} B, "
                   f"{s.lag_seconds if s.lag_seconds is not None else '?'} s")
            link = "" if s.hall_reachable else "  大厅不可达 hall unreachable"
            slot = f"  复制槽 slot {s.wal_status}" if s.wal_status not in (None, "reserved") else ""
            print(f"{s.code:<10}{s.state:<13}{lag:<21}{s.last_event_at or '-':<29}"
                  f"{s.tickets_today}{link}{slot}")
        return 0
    return _run(args, body)


def _hours(raw: str) -> tuple[time, time]:
    try:
        start, end = raw.split("-")
        return time.fromisoformat(start), time.fromisoformat(end)
    except ValueError as exc:
        raise _Usage(f"--hours 应为 HH:MM-HH:MM / --hours must be HH:MM-HH:MM, not {raw!r}"
                     ) from exc


def _check(args: argparse.Namespace) -> int:
    from queue_server.centre.replication import quiet_halls, status
    from queue_server.workcalendar import load_work_calendar

    def body() -> int:
        if args.quiet_minutes <= 0:
            raise _Usage("--quiet-minutes 应大于 0 / must be above 0")
        start, end = _hours(args.hours)
        now = _now(args)
        local = now.astimezone(_zone(args))
        open_now = (load_work_calendar().is_workday(local.date())
                    and start <= local.time().replace(tzinfo=None) < end)
        states = status(_centre_url(args), today=local.date(), now=now)
        quiet = quiet_halls(states, minutes=args.quiet_minutes, now=now, open_now=open_now)
        for h, why in quiet:
            print(f"大厅 {h.code} 应在营业却无数据 / hall {h.code} should be open and sent "
                  f"nothing: {why}")
        if not quiet:
            when = "营业时间 open hours" if open_now else "非营业时间 outside open hours"
            print(f"正常 ok: {len(states)} 个大厅 halls, {when}")
        return 1 if quiet else 0
    return _run(args, body)


def _figures(args: argparse.Namespace) -> int:
    from datetime import date

    from queue_server.centre.figures import day_figures
    from queue_server.store.db import make_engine

    def body() -> int:
        if args.day:
            try:
                day = date.fromisoformat(args.day)
            except ValueError as exc:
                raise _Usage(f"--day 应为 YYYY-MM-DD / --day must be YYYY-MM-DD, not "
                             f"{args.day!r}") from exc
        else:
            day = _now(args).astimezone(_zone(args)).date()
        engine = make_engine(_centre_url(args))
        try:
            figures = day_figures(engine, day)
        finally:
            engine.dispose()
        if args.json:
            print(json.dumps(figures, ensure_ascii=False))
            return 0
        print(f"{figures['day']}  业务 business: 取号 issued / 办结 served / 过号 no-show / "
              "等候中 waiting / 平均等候 mean wait (min)")
        for scope, rows in [*figures["halls"].items(), ("全市 city", figures["city"])]:
            for business, f in rows.items():
                print(f"{scope:<10}{business:<16}{f['issued']:>6}{f['served']:>6}"
                      f"{f['no_show']:>6}{f['waiting']:>6}  {f['mean_wait_min'] or '-'}")
        return 0
    return _run(args, body)


def _migrate(args: argparse.Namespace) -> int:
    from queue_server.centre.replication import migrate_centre

    def body() -> int:
        done = migrate_centre(_centre_url(args))
        print("市中心数据库已升级 / the centre's schema is at the newest revision")
        for r in done:
            if r.refreshed:
                print(f"{r.code}: 发布与订阅已更新 publication and subscription refreshed")
            else:
                print(f"{r.code}: 未更新，稍后再运行 / not refreshed, run again later: {r.reason}")
        return 0 if all(r.refreshed for r in done) else 1
    return _run(args, body)


def _remove(args: argparse.Namespace) -> int:
    from queue_server.centre.replication import remove_hall

    def body() -> int:
        done = remove_hall(args.code, _centre_url(args), hall_url=args.hall_db,
                           purge=args.purge)
        rows = (f"，已删除市中心 {done.purged_rows} 行 / {done.purged_rows} rows deleted at "
                "the centre" if done.purged_rows is not None
                else "，市中心数据保留 / the hall's rows stay at the centre")
        print(f"已移除大厅 {done.code}{rows}")
        if not done.slot_dropped:
            print(f"大厅不可达，请在大厅删除复制槽 hallq_{done.code.lower()}，否则它继续保留 WAL / "
                  f"the hall did not answer: drop the slot hallq_{done.code.lower()} there "
                  "(SELECT pg_drop_replication_slot(…)), it keeps WAL until then",
                  file=sys.stderr)
        if not done.publication_dropped:
            print(f"大厅的发布 hallq_{done.code.lower()} 未删除 / the hall's publication was "
                  "not dropped (hall unreachable)", file=sys.stderr)
        return 0
    return _run(args, body)
