"""GET /reports: the hall's figures for any period, today included while it runs.

Definitions: queue_server/domain/kpi.py (and docs/kpi.md). JSON by default; `format=csv`
(UTF-8 with a BOM, so Excel opens Chinese correctly) and `format=xlsx` carry the same
rows with Chinese and English headers.
"""

from __future__ import annotations

import csv
import io
import logging
import threading
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from queue_server.api import API_PREFIX
from queue_server.api.batching import off_loop
from queue_server.api.deps import HallDep, require
from queue_server.api.errors import ApiError
from queue_server.api.responses import Json
from queue_server.domain import kpi
from queue_server.domain.layout import Layout
from queue_server.security import Principal, Role
from queue_server.store.reports import Reports

log = logging.getLogger("hallq")
router = APIRouter(prefix=API_PREFIX, tags=["reports"])
Readers = Annotated[Principal, Depends(require(Role.GUIDE, Role.MANAGER, Role.ADMIN))]
FORMATS = ("json", "csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _bad(message_zh: str, message_en: str, code: str = "invalid_input") -> ApiError:
    return ApiError(422, code, f"{message_zh} / {message_en}")


def _date(raw: str, name: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _bad(f"日期 {name} 应为 YYYY-MM-DD 格式", f"'{name}' must be a date YYYY-MM-DD",
                   "invalid_date") from None


def compute(reader: Reports, setup: kpi.Setup, by: kpi.By, start: date, end: date,
            today: date, now: datetime) -> dict[str, Any]:
    rows, totals = reader.report(by, start, end, setup, today=today, now=now)
    return {"from": start.isoformat(), "to": end.isoformat(), "by": by.value, "rows": rows,
            "totals": totals, "running": start <= today <= end}


@router.get("/reports")
async def reports(request: Request, hall: HallDep, _: Readers,
                  start_raw: Annotated[str | None, Query(alias="from", max_length=32)] = None,
                  end_raw: Annotated[str | None, Query(alias="to", max_length=32)] = None,
                  by_raw: Annotated[str, Query(alias="by", max_length=32)] = "business",
                  fmt: Annotated[str, Query(alias="format", max_length=8)] = "json",
                  ) -> Response:
    now = hall.clock()
    today = hall.state.business_day_of(now)
    start = _date(start_raw, "from") if start_raw else today
    end = _date(end_raw, "to") if end_raw else start
    try:
        by = kpi.By(by_raw)
    except ValueError:
        names = "|".join(b.value for b in kpi.By)
        raise _bad(f"分组 by 应为 {names}", f"'by' must be one of {names}", "invalid_by") from None
    if fmt not in FORMATS:
        raise _bad("格式 format 应为 json、csv 或 xlsx", "'format' must be json, csv or xlsx",
                   "invalid_format")
    kpi.check_period(start, end)
    # Both are cheap to make, so nothing of the report needs wiring into the app.
    reader = Reports(request.app.state.store.engine)
    setup = kpi.Setup.of(hall.layout)
    body = await off_loop(compute, reader, setup, by, start, end, today, now)
    if fmt == "json":
        return Json(body)
    name = f"hallq-report-{body['from']}-{body['to']}-{by.value}.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return Response(to_csv(body), media_type="text/csv; charset=utf-8", headers=disposition)
    return Response(await off_loop(to_xlsx, body), media_type=XLSX, headers=disposition)


def table(body: dict[str, Any]) -> list[list[Any]]:
    """Header, then every row, then the totals row: what CSV and XLSX both hold."""
    keys = [k for k, _ in kpi.COLUMNS]
    return [[h for _, h in kpi.COLUMNS],
            *([row[k] for k in keys] for row in [*body["rows"], body["totals"]])]


def to_csv(body: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for line in table(body):
        writer.writerow(["" if v is None else v for v in line])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(body: dict[str, Any]) -> bytes:
    from openpyxl import Workbook  # only exports need it: keeps the server's start light

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"{body['by']} {body['from']}~{body['to']}"[:31]
    for line in table(body):
        ws.append(line)
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def roll_up_on_clear(engine: Engine, layout: Layout, clock: Callable[[], datetime]
                     ) -> Callable[[list[dict[str, Any]]], None]:
    """A hall listener keeping each day's figures as soon as the daily clear closes it,
    so no report pays for reading a closed day's transitions. Off the hall's thread:
    the listener runs where events are published."""
    reader, setup = Reports(engine), kpi.Setup.of(layout)

    def roll_up(day: date, now: datetime) -> None:
        try:
            reader.roll_up(day, setup, now)
        except Exception:  # the first report covering the day computes it instead
            log.exception("rolling up the figures of %s failed", day)

    def listen(messages: list[dict[str, Any]]) -> None:
        for m in messages:
            if m.get("type") == "day.closed":
                day = date.fromisoformat(m["data"]["day"])
                threading.Thread(target=roll_up, args=(day, clock()), daemon=True,
                                 name=f"hallq-roll-up-{day}").start()
    return listen
