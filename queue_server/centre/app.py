"""`hallq centre serve`: the city centre's own small web app (not the hall server).

`GET /api/v1/centre/figures` (also at `/centre/figures`): the hall's /reports figures by
business, for each hall and city-wide, with each hall's link state; `/city`: the page
that compares the halls side by side. Behind a `manager` token of the centre's own
(`hallq centre token`): the centre's tokens live in its database's `tokens` table, which
no hall publishes, so a hall's manager token never opens the city's figures.

With `export_dir`, the process also writes the province's daily export (export.py) a
little after each business day ends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from queue_server.domain import kpi
from queue_server.domain.errors import DomainError, InvalidInput
from queue_server.security import Authenticator, Principal, Role
from queue_server.store.repository import Store
from queue_server.store.tables import HALL_OPTION

log = logging.getLogger("hallq.centre")
PAGES = Path(__file__).parents[1] / "pages"
# The hall code the centre's own rows (its tokens and their audit) carry: never a hall's.
CENTRE_CODE = "CITY"
READERS = (Role.MANAGER, Role.ADMIN)


def bind_centre(engine: Engine) -> Engine:
    """Writes through this engine are the centre's own (tokens): stamped CENTRE_CODE,
    without recording it in `halls`, which lists the halls that replicate here."""
    engine.update_execution_options(**{HALL_OPTION: CENTRE_CODE})
    return engine


class Refused(Exception):
    def __init__(self, status: int, code: str, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.status, self.code, self.message = status, code, f"{zh} / {en}"


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def reader(request: Request) -> Principal:
    """A `manager` (or `admin`) token of the centre's own, in the header or `?token=`."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    principal = request.app.state.auth(token or request.query_params.get("token"))
    if principal is None or principal.expired(request.app.state.clock()):
        raise Refused(401, "unauthorized", "需要市中心的有效令牌",
                      "a valid token of the centre is required (hallq centre token)")
    if principal.role not in READERS:
        raise Refused(403, "forbidden", "该令牌无权查看全市数据",
                      "this token may not read the city's figures (manager or admin)")
    return principal


Reader = Annotated[Principal, Depends(reader)]


def create_centre_app(centre_url: str, setup: kpi.Setup, *,
                      clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                      export_dir: Path | None = None,
                      status_of: Callable[[date, datetime], list[dict[str, Any]]] | None = None
                      ) -> FastAPI:
    from queue_server.centre.figures import period_figures
    from queue_server.centre.replication import status
    from queue_server.store.db import make_engine

    engine = bind_centre(make_engine(centre_url))
    store = Store(engine)
    auth = Authenticator(store)

    def links(today: date, now: datetime) -> list[dict[str, Any]]:
        if status_of is not None:
            return status_of(today, now)
        return [s.as_dict() for s in status(centre_url, today=today, now=now)]

    def today_of(now: datetime) -> date:
        from queue_server.domain.tickets import business_day
        return business_day(now, setup.tz, setup.clear_time)

    stop = threading.Event()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> Iterator[None]:  # type: ignore[misc]
        worker = None
        if export_dir is not None:
            from queue_server.centre.export import export_loop
            worker = threading.Thread(
                target=export_loop, name="hallq-centre-export", daemon=True,
                args=(engine, setup, export_dir, clock, stop),
                kwargs={"links": links})
            worker.start()
        try:
            yield
        finally:
            stop.set()
            if worker is not None:
                worker.join(timeout=30)
            engine.dispose()

    app = FastAPI(title="hallq centre", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.engine = engine
    app.state.store = store
    app.state.auth = auth
    app.state.clock = clock
    app.state.export_stop = stop

    @app.exception_handler(Refused)
    async def _refused(_: Request, exc: Refused) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return _error(exc.status, exc.code, str(exc))

    def _day(raw: str, name: str) -> date:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise InvalidInput(f"日期 {name} 应为 YYYY-MM-DD 格式",
                               f"'{name}' must be a date YYYY-MM-DD", code="invalid_date"
                               ) from None

    router = APIRouter()

    @router.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/centre/figures")
    def figures(_: Reader,
                start_raw: Annotated[str | None, Query(alias="from", max_length=32)] = None,
                end_raw: Annotated[str | None, Query(alias="to", max_length=32)] = None,
                ) -> JSONResponse:
        now = clock()
        today = today_of(now)
        start = _day(start_raw, "from") if start_raw else today
        end = _day(end_raw, "to") if end_raw else start
        kpi.check_period(start, end)
        states = {s["code"]: s for s in links(today, now)}
        body = period_figures(engine, start, end, setup, today=today, now=now, links=states)
        body["at"] = now.astimezone(UTC).isoformat()
        body["today"] = today.isoformat()
        body["businesses"] = [{"code": c, "name": setup.business_names[c][0],
                               "name_en": setup.business_names[c][1],
                               "wait_target_minutes": setup.wait_targets.get(c)}
                              for c in setup.business_order]
        return JSONResponse(body)

    app.include_router(router, prefix="/api/v1")
    app.include_router(router)  # the short form the network's docs use

    @app.get("/city", include_in_schema=False)
    def city() -> FileResponse:
        return FileResponse(PAGES / "html" / "city.html", media_type="text/html")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return city()

    app.mount("/static", StaticFiles(directory=PAGES / "static"), name="static")
    return app

