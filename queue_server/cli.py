"""`hallq serve`, `hallq token …`, `hallq layout check`: the server's commands."""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

from queue_server.settings import DEFAULT_LAYOUT


def register(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="排队服务器 / run the queue server")
    serve.add_argument("--layout", type=Path, default=None, help=f"default {DEFAULT_LAYOUT.name}")
    data_args(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true",
                       help="issue fresh demo tokens and print the page links (make run); "
                            "without HALLQ_SLIP_KEY, QR slips use the demo key")
    serve.add_argument("--traffic", nargs="?", type=float, const=3.0, default=None,
                       metavar="RATE",
                       help="with --demo: simulated applicants, clerks and pads drive the hall "
                            "through its API, RATE applicants a minute (default 3)")
    serve.add_argument("--traffic-share", type=float, default=0.6, metavar="SHARE",
                       help="with --traffic: share of the public windows simulated clerks "
                            "staff (default 0.6)")
    serve.add_argument("--hand-windows", default=None, metavar="N,N",
                       help="with --traffic: windows left for people to try by hand "
                            "(default the first public window, the one the links open)")
    serve.set_defaults(func=_serve)

    token = sub.add_parser("token", help="令牌 / bearer tokens")
    tsub = token.add_subparsers(dest="token_command", required=True)
    issue = tsub.add_parser("issue", help="issue one token; prints it on stdout")
    issue.add_argument("--role", required=True,
                       help="kiosk, window, guide, admin, display, registry, judicial, manager, "
                       "pad, portal, enterprise (a developer's batch bookings; --name names it)")
    issue.add_argument("--window", type=int, default=None)
    issue.add_argument("--name", default="")
    issue.add_argument("--expires", default=None, metavar="SPAN",
                       help="有效期 how long it works: 30d, 12h, 90m (default: until revoked)")
    data_args(issue)
    issue.set_defaults(func=_token_issue)
    listing = tsub.add_parser("list", help="list tokens (never the tokens themselves)")
    data_args(listing)
    audit = tsub.add_parser("audit", help="令牌审计 who issued, revoked or listed tokens")
    data_args(audit)
    audit.set_defaults(func=_token_audit)
    listing.set_defaults(func=_token_list)
    revoke = tsub.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("token_id")
    data_args(revoke)
    revoke.set_defaults(func=_token_revoke)

    staff = sub.add_parser("staff", help="工作人员登记 / the staff register (工号)")
    ssub = staff.add_subparsers(dest="staff_command", required=True)
    add = ssub.add_parser("add", help="register a staff member")
    add.add_argument("--number", required=True, help="工号 staff number")
    add.add_argument("--name", required=True)
    add.add_argument("--department", default="")
    data_args(add)
    add.set_defaults(func=_staff_add)
    slist = ssub.add_parser("list", help="list the register")
    slist.add_argument("--json", action="store_true")
    data_args(slist)
    slist.set_defaults(func=_staff_list)
    for verb, active in (("disable", False), ("enable", True)):
        p = ssub.add_parser(verb, help=f"{verb} a staff number")
        p.add_argument("number")
        data_args(p)
        p.set_defaults(func=_staff_set_active, active=active)

    layout = sub.add_parser("layout", help="大厅布局 / hall layouts")
    lsub = layout.add_subparsers(dest="layout_command", required=True)
    check = lsub.add_parser("check", help="validate a layout file")
    check.add_argument("path", type=Path)
    check.set_defaults(func=_layout_check)

    holidays = sub.add_parser("holidays", help="节假日文件 / the holidays file")
    hsub = holidays.add_subparsers(dest="holidays_command", required=True)
    hcheck = hsub.add_parser("check", help="validate a holidays file and list the years known")
    hcheck.add_argument("path", type=Path, nargs="?", default=None,
                        help="default HALLQ_HOLIDAYS_FILE, else layouts/holidays.toml")
    hcheck.set_defaults(func=_holidays_check)


def data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, default=None, help="data directory (default ./var)")
    p.add_argument("--db", default=None, help="database URL (default SQLite in the data dir)")


def _settings(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from queue_server.settings import Settings
    settings = Settings.from_env(layout_path=getattr(args, "layout", None), data_dir=args.data,
                                 db_url=args.db, host=getattr(args, "host", None),
                                 port=getattr(args, "port", None))
    if getattr(args, "demo", False) and settings.slip_key is None:
        from dataclasses import replace

        from hallrules.slips import DEMO_KEY
        settings = replace(settings, slip_key=DEMO_KEY)
    return settings


def _store(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from queue_server.domain.layout import load_layout
    from queue_server.store.db import make_engine, migrate
    from queue_server.store.repository import Store
    settings = _settings(args)
    engine = make_engine(settings.database_url)
    # The hall the database recorded; a fresh one takes the (default) layout's code.
    migrate(engine, load_layout(settings.layout_path).hall.code)
    return Store(engine)


def _serve(args: argparse.Namespace) -> int:
    # Importing the app makes about a million objects and none of them garbage: each
    # collection the imports would set off walks them all again (~0.1 s of a start that
    # every kiosk and screen waits for after a power cut). Collection resumes once the
    # app is built, with those objects frozen out of its sight (and on every way out).
    gc.disable()
    try:
        return _start_and_serve(args)
    finally:
        gc.enable()


def _start_and_serve(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import OperationalError

    from queue_server.api.app import create_app
    from queue_server.connections import make_server
    from queue_server.domain.layout import LayoutError, load_layout
    from queue_server.domain.slips import SlipKeyError
    from queue_server.logs import LEVELS, configure
    from queue_server.notify.webhooks import WebhooksFileError
    from queue_server.store.db import HallMismatch
    from queue_server.store.writer_lock import HeldElsewhere, WriterLock
    from queue_server.workcalendar import HolidaysFileError
    problem = _traffic_problem(args)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    settings = _settings(args)
    if settings.log_level not in LEVELS or settings.log_format not in ("text", "json"):
        print(f"HALLQ_LOG_LEVEL 应为 {'、'.join(LEVELS)}，HALLQ_LOG_FORMAT 应为 text 或 json "
              f"/ HALLQ_LOG_LEVEL is one of {', '.join(LEVELS)} and HALLQ_LOG_FORMAT text or "
              f"json, not '{settings.log_level}' / '{settings.log_format}'", file=sys.stderr)
        return 1
    configure(settings.log_level, settings.log_format)
    try:
        # The lock before anything is written (the migration, the day's windows, demo
        # tokens): a refused second server leaves the running one's data untouched.
        lock = WriterLock(settings.data_dir, settings.database_url,
                          load_layout(settings.layout_path).hall.code)
        lock.acquire()
        app = create_app(settings)
    except (HeldElsewhere, HallMismatch) as exc:
        print(f"{exc}；服务器未启动 / the server did not start" if isinstance(exc, HallMismatch)
              else exc, file=sys.stderr)
        return 1
    except OperationalError as exc:
        first = str(exc.orig or exc).strip().splitlines()[0]
        print(f"数据库无法连接，服务器未启动 / the database cannot be reached, the server did "
              f"not start: {first}", file=sys.stderr)
        return 1
    except LayoutError as exc:
        print("布局无效，服务器未启动 / invalid layout, the server did not start:", file=sys.stderr)
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except HolidaysFileError as exc:
        print("节假日文件无效，服务器未启动 / invalid holidays file, the server did not start:",
              file=sys.stderr)
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except SlipKeyError as exc:
        print(f"HALLQ_SLIP_KEY: {exc}; 服务器未启动 / the server did not start", file=sys.stderr)
        return 1
    except WebhooksFileError as exc:
        print(f"{exc}；服务器未启动 / the server did not start", file=sys.stderr)
        return 1
    base = f"http://{settings.host}:{settings.port}"
    print(f"hallq: {settings.layout_path} · {base}/api/docs", file=sys.stderr)
    traffic = None
    if args.demo:
        layout = app.state.hall.layout
        try:
            hand = _hand_windows(args, layout)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        for line in demo_links(app.state.store, base, layout, hand=hand):
            print(line, file=sys.stderr)
        if args.traffic is not None:
            traffic = _traffic(args, app.state.store, layout, base, hand)
            if isinstance(traffic, str):
                print(traffic, file=sys.stderr)
                return 1
    # Everything loaded so far (the libraries, the layout, the day's tickets) lives as long
    # as the process: out of the collector's sight, a full collection takes a few
    # milliseconds instead of ~100 ms that stall every request in flight. No collection
    # first: start-up leaves about a thousand garbage objects, and finding them costs
    # 0.15 s.
    gc.freeze()
    gc.enable()
    server = make_server(app, host=settings.host, port=settings.port,
                         header_timeout=settings.header_timeout,
                         idle_timeout=settings.idle_timeout,
                         max_header_bytes=settings.max_header_bytes,
                         max_headers=settings.max_headers,
                         shutdown_timeout=settings.shutdown_timeout,
                         ws_max_backlog=settings.ws_max_backlog)
    try:
        if traffic is None:
            server.run()
            return 0
        import asyncio

        from queue_server.demo.traffic import describe
        for line in describe(traffic.setup, traffic):
            print(line, file=sys.stderr)
        if settings.log_level != "DEBUG":
            # The clerks' dozens of requests a minute would push the links off the screen;
            # the traffic says what it did once a minute instead (HALLQ_LOG_LEVEL=DEBUG: all).
            import logging
            logging.getLogger("hallq.http").setLevel(logging.WARNING)
        asyncio.run(_serve_with_traffic(server, traffic))
    finally:
        lock.release()
    return 0


async def _serve_with_traffic(server, traffic) -> None:  # type: ignore[no-untyped-def]
    """The server, and the demo traffic once it listens; SIGTERM or Ctrl-C (uvicorn's
    should_exit) stops the traffic first, then the server finishes what is in flight."""
    import asyncio

    async def drive() -> None:
        while not server.started:
            if server.should_exit:
                return
            await asyncio.sleep(0.05)
        traffic.stopping = lambda: server.should_exit
        await traffic.run()

    task = asyncio.create_task(drive())

    async def traffic_ends() -> None:  # should_exit is set: the traffic sees it and ends
        await asyncio.gather(task, return_exceptions=True)

    server.before_shutdown.append(traffic_ends)
    try:
        await server.serve()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def _traffic_problem(args: argparse.Namespace) -> str | None:
    if args.traffic is None:
        return None
    if not args.demo:
        return ("--traffic 只能与 --demo 一起使用：模拟客流不进真实大厅 / --traffic runs only with "
                "--demo: simulated applicants never enter a real hall")
    if not 0 < args.traffic <= 600:
        return (f"--traffic 应为每分钟 0–600 人 / --traffic is applicants a minute, above 0 and "
                f"at most 600, not {args.traffic:g}")
    if not 0 < args.traffic_share <= 1:
        return (f"--traffic-share 应在 0 与 1 之间 / --traffic-share is a share above 0 and at "
                f"most 1, not {args.traffic_share:g}")
    return None


def _hand_windows(args: argparse.Namespace, layout) -> set[int]:  # type: ignore[no-untyped-def]
    public = sorted(n for n, w in layout.windows.items() if w.public)
    if not getattr(args, "hand_windows", None):
        return {public[0]}
    out: set[int] = set()
    for part in args.hand_windows.split(","):
        part = part.strip()
        if not (part.isdigit() and int(part) in public):
            raise ValueError(f"--hand-windows: 没有 {part} 号对外窗口 / no public window "
                             f"'{part}' in this layout")
        out.add(int(part))
    return out


def _traffic(args, store, layout, base: str, hand: set[int]):  # type: ignore[no-untyped-def]
    """The demo traffic, its tokens issued and clerks registered; or why it cannot run."""
    from queue_server.demo.traffic import Traffic, prepare
    from queue_server.simulation.demand import DemandError, find_demand
    try:
        demand = find_demand(layout)
    except DemandError as exc:
        return f"演示客流未启动 / no demo traffic: {exc}"
    setup = prepare(store, layout, share=args.traffic_share, hand=hand)
    try:
        return Traffic(base, setup, layout, demand, rate=args.traffic)
    except ValueError as exc:
        return f"演示客流未启动 / no demo traffic: {exc}"


def _cli_actor() -> str:
    """Who ran the command, for the token audit: the operating-system user."""
    import getpass
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def _token_issue(args: argparse.Namespace) -> int:
    from queue_server.security import TokenError, issue_token, parse_lifetime
    try:
        lifetime = parse_lifetime(args.expires) if args.expires else None
        print(issue_token(_store(args), args.role, args.window, args.name,
                          expires_in=lifetime, actor=_cli_actor()))
    except TokenError as exc:
        print(f"hallq token issue: {exc}", file=sys.stderr)
        return 2
    return 0


def _token_list(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime
    now = datetime.now(UTC)
    for t in _store(args).list_tokens(actor=_cli_actor(), at=now):
        expires = t["expires_at"]
        state = ("revoked" if t["revoked_at"] else
                 "expired" if expires is not None and now >= expires else "active")
        until = f"  until {expires:%Y-%m-%d %H:%M}" if expires else ""
        window = f" window {t['window']}" if t["window"] else ""
        print(f"{t['id']}  {t['role']}{window}  {t['name']}  "
              f"{t['created_at']:%Y-%m-%d %H:%M}  {state}{until}")
    return 0


def _token_audit(args: argparse.Namespace) -> int:
    import json
    for r in _store(args).token_audit(limit=100_000):
        print(f"{r['seq']}  {r['at']:%Y-%m-%d %H:%M:%S}  {r['actor']}  {r['action']}  "
              f"{r['token_id'] or '-'}  {json.dumps(r['detail'], ensure_ascii=False)}")
    return 0


def _register(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from queue_server.store.staff import StaffRegister
    return StaffRegister(_store(args).engine)


def _staff_add(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from queue_server.domain.errors import DomainError
    from queue_server.domain.staff import new_member
    try:
        member = new_member(args.number, args.name, args.department, at=datetime.now(UTC))
        _register(args).add(member)
    except DomainError as exc:
        print(f"hallq staff add: {exc}", file=sys.stderr)
        return 1
    print(f"{member.number}  {member.name}  {member.department}")
    return 0


def _staff_list(args: argparse.Namespace) -> int:
    import json

    from queue_server.store.staff import member_view
    members = _register(args).all()
    if args.json:
        print(json.dumps([member_view(m) for m in members], ensure_ascii=False))
        return 0
    for m in members:
        state = "在岗 active" if m.active else "停用 disabled"
        print(f"{m.number}  {m.name}  {m.department or '-'}  {state}")
    return 0


def _staff_set_active(args: argparse.Namespace) -> int:
    """The register only: a disabled number can sign in nowhere from now on, but one already
    signed in at a running server stays until signed out (the API's disable signs it out)."""
    from datetime import UTC, datetime

    from queue_server.domain.errors import DomainError
    try:
        _register(args).set_active(args.number, args.active, datetime.now(UTC))
    except DomainError as exc:
        print(f"hallq staff {'enable' if args.active else 'disable'}: {exc}", file=sys.stderr)
        return 1
    return 0


def _token_revoke(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime
    if _store(args).revoke_token(args.token_id, datetime.now(UTC), actor=_cli_actor()):
        return 0
    print(f"hallq token revoke: 没有这个令牌 no active token '{args.token_id}'", file=sys.stderr)
    return 1


def _layout_check(args: argparse.Namespace) -> int:
    from queue_server.domain.layout import check_layout_file
    problems = check_layout_file(args.path)
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"{args.path}: 布局有效 / layout is valid")
    return 0


def _holidays_check(args: argparse.Namespace) -> int:

    from hallenv import HallqEnv
    from queue_server.workcalendar import (
        DEFAULT_HOLIDAYS_FILE,
        HolidaysFileError,
        package_years,
        read_holidays_file,
    )
    path = args.path or HallqEnv.read().holidays_file or DEFAULT_HOLIDAYS_FILE
    try:
        hall_years = read_holidays_file(path)
    except HolidaysFileError as exc:
        for problem in exc.problems:
            print(problem)
        return 1
    package = sorted(package_years())
    print(f"{path}: 节假日文件有效 / holidays file is valid")
    print(f"chinese-calendar: {package[0]}–{package[-1]}")
    print(f"{path.name}: {', '.join(map(str, sorted(hall_years))) or '-'}")
    return 0


DEMO_PREFIX = "demo-"


DEMO_STAFF = (("1001", "张伟", "登记一科"), ("1002", "刘芳", "登记一科"), ("1003", "陈静", "交易科"))


def _demo_staff(store, now) -> str:  # type: ignore[no-untyped-def]
    """The demo's staff register, so a window console has numbers to sign in with."""
    import contextlib

    from queue_server.domain.errors import DomainError
    from queue_server.domain.staff import new_member
    from queue_server.store.staff import StaffRegister
    register = StaffRegister(store.engine)
    for number, name, department in DEMO_STAFF:
        with contextlib.suppress(DomainError):  # kept from an earlier demo start
            register.add(new_member(number, name, department, at=now))
    return "、".join(f"{number} {name}" for number, name, _ in DEMO_STAFF)


def demo_links(store, base: str, layout, hand: set[int] | None = None  # type: ignore[no-untyped-def]
               ) -> list[str]:
    """Revoke the last demo set, issue a new one, and return the links to open.

    Demo tokens carry the name `demo-…` so a real hall's tokens are never touched.
    """
    from datetime import UTC, datetime

    from queue_server.security import issue_token
    now = datetime.now(UTC)
    for t in store.list_tokens():
        if t["name"].startswith(DEMO_PREFIX) and t["revoked_at"] is None:
            store.revoke_token(t["id"], now)
    mine = sorted(hand) if hand else [min(w.number for w in layout.windows.values() if w.public)]
    tokens = {role: issue_token(store, role, name=f"{DEMO_PREFIX}{role}")
              for role in ("display", "guide", "kiosk", "admin", "manager")}
    per_window: list[str] = []
    for n in mine:  # each window left for people: its display, console and pad
        window = issue_token(store, "window", n, name=f"{DEMO_PREFIX}window")
        pad = issue_token(store, "pad", n, name=f"{DEMO_PREFIX}pad")
        per_window += [
            f"  窗口屏 window display   {base}/display/window/{n}?token={tokens['display']}",
            f"  窗口工作台 window console {base}/console/window/{n}?token={window}",
            f"  评价器 evaluation pad   {base}/pad/window/{n}?token={pad}",
        ]
    staff = _demo_staff(store, now)
    return [
        "演示令牌（每次 --demo 启动重新生成）/ demo tokens, new at every --demo start:",
        f"  综合屏 hall screen      {base}/display/hall?token={tokens['display']}",
        *per_window,
        f"  演示工号 demo staff numbers: {staff}",
        f"  引导员工作台 guide console {base}/console/guide?token={tokens['guide']}",
        f"  管理驾驶舱 manager page  {base}/manager?token={tokens['manager']}",
        f"  自助机 kiosk            hallq kiosk --server {base} --token {tokens['kiosk']}",
        *([f"  手机预约 phone booking   {base}/m/book"] if layout.booking.enabled else []),
        f"  管理员 admin token      {tokens['admin']}",
    ]
