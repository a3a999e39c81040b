"""`hallq cases import|demo|overdue` and `hallq units import`: the back office's bulk
loads, run beside (or without) the server on the same data directory or database.

Messages a bulk import causes ("certificate ready") go into the outbox; the running
server's worker sends them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    cases = sub.add_parser("cases", help="受理件进度 / registration cases")
    csub = cases.add_subparsers(dest="cases_command", required=True)
    imp = csub.add_parser("import", help="批量导入 CSV / bulk-import a cases CSV")
    imp.add_argument("file", type=Path)
    imp.add_argument("--no-notify", action="store_true",
                     help="不发送领证短信 / queue no 'certificate ready' messages")
    _common(imp)
    imp.set_defaults(func=_import_cases)
    demo = csub.add_parser("demo", help="生成演示数据 / load a synthetic demo data set")
    demo.add_argument("--units", type=int, default=30_000)
    demo.add_argument("--cases", type=int, default=20_000)
    demo.add_argument("--seed", type=int, default=1)
    _common(demo)
    demo.set_defaults(func=_demo)
    overdue = csub.add_parser("overdue", help="超时警示 / list overdue and due-soon cases")
    _common(overdue)
    overdue.set_defaults(func=_overdue)

    units = sub.add_parser("units", help="不动产单元档案 / property archive")
    usub = units.add_subparsers(dest="units_command", required=True)
    uimp = usub.add_parser("import", help="批量导入 JSON Lines / bulk-import units")
    uimp.add_argument("file", type=Path)
    _common(uimp)
    uimp.set_defaults(func=_import_units)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--layout", type=Path, default=None, help="hall layout (its time zone)")
    p.add_argument("--data", type=Path, default=None, help="data directory (default ./var)")
    p.add_argument("--db", default=None, help="database URL (default SQLite in the data dir)")


def _context(args: argparse.Namespace) -> dict[str, Any]:
    """What the services need, without starting a hall."""
    from datetime import UTC, datetime

    from queue_server.archive.service import ArchiveService
    from queue_server.cases.config import RecordsConfig
    from queue_server.cases.service import CaseService
    from queue_server.domain.layout import load_layout
    from queue_server.notify.config import NotifyConfig
    from queue_server.notify.service import Composer, build_gateways
    from queue_server.notify.templates import Templates
    from queue_server.ratelimit import Limiter
    from queue_server.records import catalogue_limits
    from queue_server.secrecy import SecretBox
    from queue_server.settings import Settings, load_secret
    from queue_server.store.db import make_engine, migrate

    settings = Settings.from_env(layout_path=args.layout, data_dir=args.data, db_url=args.db)
    layout = load_layout(settings.layout_path)
    engine = make_engine(settings.database_url)
    migrate(engine, layout.hall.code)
    key = load_secret(settings.data_dir)
    config = RecordsConfig.from_env()
    ncfg = NotifyConfig.from_env(settings.data_dir)
    box = SecretBox(key)

    def clock() -> datetime:
        return datetime.now(UTC)

    limiter = Limiter(config.rates(),
                      lambda: clock().timestamp())
    from queue_server.evidence import CardRegistry
    cards = CardRegistry(engine, key=key, clock=clock, level=settings.lookup_proof)
    composer = Composer(box, Templates.load(ncfg.sign or layout.hall.name, ncfg.templates_path),
                        ncfg, build_gateways(ncfg))
    return {
        "engine": engine, "key": key, "layout": layout, "config": config, "clock": clock,
        "cases": CaseService(engine, key=key, box=box, composer=composer,
                             calendar=config.calendar, tz=layout.hall.tz,
                             catalogue=catalogue_limits(settings.catalogue_path), clock=clock,
                             limiter=limiter, cards=cards, warn_days=config.warn_days),
        "archive": ArchiveService(engine, key=key, clock=clock, limiter=limiter, cards=cards),
    }


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as exc:
        print(f"无法读取 cannot read {path}: {exc.strerror}", file=sys.stderr)
        return None


def _print_report(path: Path, report: dict[str, Any], kinds: tuple[str, ...]) -> int:
    for e in report["errors"]:
        print(f"{path}:{e['line']}: {e['message']}", file=sys.stderr)
    counts = " ".join(f"{k}={report[k]}" for k in kinds)
    print(f"{path}: {counts} errors={len(report['errors'])}")
    return 1 if report["errors"] else 0


def _import_cases(args: argparse.Namespace) -> int:
    from queue_server.cases.csv_import import CsvError
    data = _read(args.file)
    if data is None:
        return 1
    ctx = _context(args)
    try:
        report = ctx["cases"].import_csv(data, notify=not args.no_notify)
    except CsvError as exc:
        print(f"{args.file}:{exc.line}: {exc}", file=sys.stderr)
        return 1
    return _print_report(args.file, report, ("cases", "created", "updated", "unchanged", "stale",
                                             "steps_added", "notifications_queued"))


def _import_units(args: argparse.Namespace) -> int:
    from queue_server.api.routes.archive import parse_line
    from queue_server.domain.errors import DomainError
    data = _read(args.file)
    if data is None:
        return 1
    ctx = _context(args)
    try:
        report = ctx["archive"].import_jsonl(data, parse_line)
    except DomainError as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 1
    return _print_report(args.file, report, ("units", "created", "updated", "unchanged", "stale"))


def _demo(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from queue_server.cases import demo
    from queue_server.store.tables import cases, units
    ctx = _context(args)
    with ctx["engine"].connect() as conn:
        existing = conn.execute(select(func.count()).select_from(units)).scalar_one() + \
            conn.execute(select(func.count()).select_from(cases)).scalar_one()
    if existing:
        print("数据库中已有单元或案件，演示数据只载入空库 / the database already holds units or "
              "cases; demo data loads into an empty one", file=sys.stderr)
        return 1
    now = ctx["clock"]()
    tz = ctx["layout"].hall.tz
    data = demo.generate(units=args.units, cases=args.cases, seed=args.seed, now=now, tz=tz,
                         calendar=ctx["config"].calendar)
    demo.load(ctx["engine"], data, key=ctx["key"], now=now, tz=tz, calendar=ctx["config"].calendar)
    print(f"演示数据已载入 demo data loaded: {len(data.units)} units, {len(data.cases)} cases, "
          f"{len(data.people)} invented people (seed {args.seed})")
    # Invented people who hold units: printed so a demonstrator can try the kiosk.
    for u in data.units[:3]:
        print(f"  合成身份 invented ID {u.holders[0].id_number} → {u.unit_no}")
    return 0


def _overdue(args: argparse.Namespace) -> int:
    report = _context(args)["cases"].overdue()
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0
