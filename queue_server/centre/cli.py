"""`hallq centre add-hall|status|check|figures|remove-hall`: the city centre's commands.

The contract's names (add-hall, status) come first; add, list and remove are aliases.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, time
from pathlib import Path
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

    srv = csub.add_parser("serve", help="serve the city's figures (JSON) and the city page")
    _centre_arg(srv)
    _layout_arg(srv)
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=8100)
    srv.add_argument("--export-dir", type=Path, default=None, metavar="DIR",
                     help="also write the province's daily export here (see export)")
    srv.set_defaults(func=_serve)

    tok = csub.add_parser("token", help="a manager token for the centre's figures and page")
    _centre_arg(tok)
    tok.add_argument("--role", default="manager", choices=["manager", "admin"])
    tok.add_argument("--name", default="")
    tok.add_argument("--expires", default=None, metavar="SPAN",
                     help="有效期 how long it works: 30d, 12h, 90m (default: until revoked)")
    tok.set_defaults(func=_token)

    exp = csub.add_parser("export", help="write a day's city figures as JSON lines and CSV")
    _centre_arg(exp)
    _layout_arg(exp)
    exp.add_argument("--out", type=Path, required=True, metavar="DIR")
    exp.add_argument("--day", default=None,
                     help="YYYY-MM-DD (default: the last business day that has ended)")
    _day_args(exp)
    exp.set_defaults(func=_export)

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


def _layout_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--layout", type=Path, default=None,
                   help="a layout for the business names, targets, time zone and day end "
                        "the halls share (default layouts/hengyang.toml)")


def _setup(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from queue_server.domain import kpi
    from queue_server.domain.layout import load_layout
    from queue_server.settings import Settings
    path = args.layout or Settings().layout_path
    try:
        return kpi.Setup.of(load_layout(path))
    except Exception as exc:
        raise _Usage(f"无法读取布局 cannot read the layout {path}: {exc}") from exc


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


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from queue_server.centre.app import create_centre_app
    from queue_server.centre.replication import conninfo

    def body() -> int:
        url = _centre_url(args)
        conninfo(url)  # PostgreSQL only, with its message
        app = create_centre_app(url, _setup(args), export_dir=args.export_dir)
        print(f"市中心 centre: http://{args.host}:{args.port}/city", file=sys.stderr)
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
        return 0
    return _run(args, body)


def _token(args: argparse.Namespace) -> int:
    import getpass

    from queue_server.centre.app import bind_centre
    from queue_server.centre.replication import conninfo, prepare_centre
    from queue_server.security import TokenError, issue_token, parse_lifetime
    from queue_server.store.db import make_engine
    from queue_server.store.repository import Store

    def body() -> int:
        url = _centre_url(args)
        conninfo(url)
        engine = bind_centre(make_engine(url))
        try:
            prepare_centre(engine)  # a fresh centre: the schema first
            try:
                life = parse_lifetime(args.expires) if args.expires else None
                print(issue_token(Store(engine), args.role, None, args.name, expires_in=life,
                                  actor=f"cli:{getpass.getuser()}"))
            except TokenError as exc:
                raise _Usage(str(exc)) from exc
        finally:
            engine.dispose()
        return 0
    return _run(args, body)


def _export(args: argparse.Namespace) -> int:
    from datetime import date

    from queue_server.centre.export import due_day, export_day
    from queue_server.centre.replication import status
    from queue_server.domain.tickets import business_day
    from queue_server.store.db import make_engine

    def body() -> int:
        setup = _setup(args)
        now = _now(args)
        if args.day:
            try:
                day = date.fromisoformat(args.day)
            except ValueError as exc:
                raise _Usage(f"--day 应为 YYYY-MM-DD / --day must be YYYY-MM-DD, not "
                             f"{args.day!r}") from exc
        else:
            day = due_day(now, setup)
        url = _centre_url(args)
        states = {s.code: s.as_dict() for s in status(
            url, today=business_day(now, setup.tz, setup.clear_time), now=now)}
        engine = make_engine(url)
        try:
            jl, cs, n = export_day(engine, setup, day, args.out, now=now, links=states)
        except OSError as exc:
            raise _Usage(f"无法写入 cannot write to {args.out}: {exc.strerror}") from exc
        finally:
            engine.dispose()
        behind = [c for c, s in states.items() if s["state"] != "streaming"
                  or not s["hall_reachable"]]
        print(f"{day}: {n} 行 lines → {jl} , {cs}")
        if behind:
            print(f"滞后的大厅 halls behind: {', '.join(behind)} (写入其已到数据 / their figures "
                  "as far as they arrived; run again once they catch up)", file=sys.stderr)
        return 0
    return _run(args, body)
