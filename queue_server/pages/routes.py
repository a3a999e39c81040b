"""The display and console pages, their static files, and the displays' public settings.

Pages are served as files: everything live comes from the API and the event stream,
so a page is the same for every hall and every window and can be cached by the browser
(revalidated on each load, so an update reaches every screen on its next reload).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, FastAPI, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, Response

from queue_server.pages.config import display_config

HERE = Path(__file__).resolve().parent
HTML = HERE / "html"
STATIC = HERE / "static"
NO_CACHE = {"Cache-Control": "no-cache"}  # revalidate every time: pages change with updates
MEDIA = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".svg": "image/svg+xml", ".png": "image/png", ".wav": "audio/wav",
         ".woff2": "font/woff2", ".ico": "image/x-icon"}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Read the display settings at start: a bad file stops the server with the problem
    # named, instead of a hall screen that silently ignores its settings.
    display_config(app.state)
    yield


router = APIRouter(include_in_schema=False, lifespan=lifespan)

WindowNumber = Annotated[int, PathParam(ge=1, le=9999)]


class _Files:
    """Small files kept in memory, re-read when they change on disk: a hall screen reloading
    every night costs a stat, not a file read in a worker thread."""

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[float, bytes]] = {}

    def read(self, path: Path) -> bytes:
        mtime = path.stat().st_mtime
        hit = self._cache.get(path)
        if hit is None or hit[0] != mtime:
            hit = (mtime, path.read_bytes())
            self._cache[path] = hit
        return hit[1]


FILES = _Files()


def _page(name: str) -> HTMLResponse:
    return HTMLResponse(FILES.read(HTML / name), headers=NO_CACHE)


def _not_found(zh: str, en: str) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><meta charset="utf-8"><title>{en}</title>'
        f'<body style="font:2rem sans-serif;padding:2rem"><p>{zh}</p><p>{en}</p>'
        '<p><a href="/">返回 / Back</a></p>', status_code=404)


def _window_page(request: Request, number: int, name: str) -> HTMLResponse:
    """A page of one window: a window the layout does not have says so in words."""
    if number not in request.app.state.hall.layout.windows:
        return _not_found(f"没有 {number} 号窗口", f"There is no window {number}")
    return _page(name)


@router.get("/")
async def index() -> HTMLResponse:
    return _page("index.html")


@router.get("/display/hall")
async def hall_display() -> HTMLResponse:
    return _page("hall.html")


@router.get("/display/window/{number}")
async def window_display(request: Request, number: WindowNumber) -> HTMLResponse:
    return _window_page(request, number, "window.html")


@router.get("/console/window/{number}")
async def window_console(request: Request, number: WindowNumber) -> HTMLResponse:
    return _window_page(request, number, "console.html")


@router.get("/pad/window/{number}")
async def evaluation_pad(request: Request, number: WindowNumber) -> HTMLResponse:
    return _window_page(request, number, "pad.html")


@router.get("/t/{ref}")
async def follow_page(ref: str) -> HTMLResponse:
    """The applicant's phone: the link is checked by the API the page calls."""
    return _page("follow.html")


@router.get("/m/book")
async def booking_page() -> HTMLResponse:
    """预约 the applicant's phone: book, see the QR slip, cancel or rebook."""
    return _page("book.html")


@router.get("/m/visit")
async def visit_page() -> HTMLResponse:
    """上门服务 the applicant's phone: ask for a home visit (the booking's SMS code)."""
    return _page("visit.html")


@router.get("/console/visits")
async def visits_console() -> HTMLResponse:
    """上门服务 guides: schedule requests to a crew and a time window, take one at the desk."""
    return _page("visits.html")


@router.get("/crew/visits")
async def crew_day_list() -> HTMLResponse:
    """上门服务 the crew's tablet: the day's visits in route order, an outcome per visit."""
    return _page("crew.html")


@router.get("/manager/report")
async def monthly_report() -> HTMLResponse:
    return _page("report.html")


@router.get("/console/guide")
async def guide_console() -> HTMLResponse:
    return _page("guide.html")


@router.get("/notices/{no}")
async def notice_page(no: str) -> HTMLResponse:
    """不予受理告知单 as an A4 sheet: the page reads the notice from the API with its token."""
    return _page("notice.html")


@router.get("/manager")
async def manager_page() -> HTMLResponse:
    return _page("manager.html")


@router.get("/display/config.json")
async def public_config(request: Request) -> JSONResponse:
    """The notice line and voice options: public, like the screens that show them."""
    return JSONResponse(display_config(request.app.state).public(), headers=NO_CACHE)


@router.get("/static/{name:path}")
async def static(name: str) -> Response:
    try:
        path = (STATIC / name).resolve()
        # Only files inside static/, whatever '..' or symlinks the name carries.
        found = path.is_relative_to(STATIC) and path.is_file() and path.suffix in MEDIA
    except (OSError, ValueError):  # a name no file system takes (too long, a NUL byte)
        found = False
    if not found:
        return _not_found("没有这个文件", "No such file")
    return Response(FILES.read(path), media_type=MEDIA[path.suffix], headers=NO_CACHE)
