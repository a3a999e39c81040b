"""不予受理告知单: refuse a ticket at the window with its written notice; find a notice by
its number (reprint, the applicant's next visit); print it on the window's printer.

The notice's A4 page is `/notices/{no}` (pages/), which reads `GET /notices/{no}`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from devices.errors import DeviceError
from queue_server.api import API_PREFIX
from queue_server.api.batching import in_hall, off_loop
from queue_server.api.deps import HallDep, WindowStaff, require
from queue_server.api.errors import ApiError
from queue_server.api.responses import Json
from queue_server.domain.notices import MAX_NOTE_CHARS, NOTICE_NO_PATTERN, Notice
from queue_server.printers import WindowPrinters
from queue_server.security import Principal, Role

router = APIRouter(prefix=API_PREFIX, tags=["notices"])

# Who reads a notice: the windows (any of them: the next visit may be at another), the
# guides at the desk, admins. Never a kiosk or a display: a notice names a person's case.
NoticeReader = Annotated[Principal, Depends(require(Role.WINDOW, Role.GUIDE, Role.ADMIN))]
NoticeNo = Annotated[str, Path(min_length=8, max_length=32, pattern=NOTICE_NO_PATTERN,
                                description="告知单编号, e.g. `HY01-20261206-0001`")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RefuseIn(Strict):
    item: str = Field(min_length=1, max_length=40,
                      description="the catalogue item (GET /catalogue) the application was for")
    missing: list[int] = Field(max_length=100, description="the materials missing or wrong, "
                               "by their 1-based place in the item's list")
    note: str = Field(default="", max_length=MAX_NOTE_CHARS,
                      description="the clerk's own words, printed on the notice")


class PrintIn(Strict):
    window: int | None = Field(default=None, ge=1, le=9999,
                               description="whose printer; a window token prints at its own")


_NO_BODY = PrintIn()  # no body: a window prints at its own printer


def notice_view(request: Request, n: Notice, printed: int,
                later: list[dict[str, Any]]) -> dict[str, Any]:
    hall = request.app.state.hall.layout.hall
    return {
        "no": n.no, "hall": n.hall, "hall_name": hall.name, "hall_name_en": hall.name_en,
        "day": n.day.isoformat(), "ticket_id": n.ticket_id, "ticket_number": n.ticket_number,
        "business": n.business, "item": n.item, "item_name": n.item_name,
        "item_name_en": n.item_name_en,
        "missing": [{"index": m.index, "text": m.text, "text_en": m.text_en, "where": m.where}
                    for m in n.missing],
        "note": n.note, "window": n.window, "staff": n.staff, "staff_name": n.staff_name,
        "prechecked": n.prechecked, "issued_at": n.issued_at.isoformat(), "printed": printed,
        "later_visits": later, "page_url": page_url(request, n.no),
    }


def page_url(request: Request, no: str) -> str:
    return f"{request.app.state.settings.public_url}/notices/{no}"


@router.post("/tickets/{ticket_id}/refuse", status_code=201, response_class=Json)
async def refuse(ticket_id: str, body: RefuseIn, request: Request, hall: HallDep,
                 who: WindowStaff) -> Json:
    """不予受理 the ticket being served: store the written notice of what is missing (a
    window its own ticket only); the ticket closes with the outcome `refused`."""
    catalogue = request.app.state.catalogue

    def run() -> tuple[dict[str, Any], Notice]:
        t, n = hall.refuse(ticket_id, catalogue=catalogue, item=body.item, ticked=body.missing,
                           note=body.note, actor=who.actor, acting_window=who.acting_window)
        return hall.view(t), n
    view, notice = await in_hall(hall, run)
    return Json({"ticket": view, "notice": notice_view(request, notice, 0, [])},
                status_code=201)


async def _find(request: Request, no: str) -> tuple[Notice, int]:
    found = await off_loop(request.app.state.hall.notices.get, no)
    if found is None:
        raise ApiError(404, "notice_not_found",
                       f"没有编号为 {no} 的不予受理告知单 / no notice numbered {no}")
    return found


@router.get("/notices/{no}", response_class=Json)
async def get_notice(no: NoticeNo, request: Request, who: NoticeReader) -> Json:
    """A notice by its number, with its next visits (tickets naming it, and the same
    applicant's for its item)."""
    notice, printed = await _find(request, no)
    store = request.app.state.hall.notices
    id_hash = await off_loop(store.applicant_of, notice.ticket_id)
    later = await off_loop(store.later_visits, notice, id_hash)
    return Json(notice_view(request, notice, printed, later))


@router.post("/notices/{no}/print", response_class=Json)
async def print_notice(no: NoticeNo, request: Request, who: WindowStaff,
                       body: Annotated[PrintIn, Body()] = _NO_BODY) -> Json:
    """Print (or reprint) the notice on a window's thermal printer."""
    window = who.acting_window
    if window is None:  # a guide or admin names the window
        window = body.window
        if window is None:
            raise ApiError(422, "window_required",
                           "请指明在哪个窗口的打印机上打印 / name the window whose printer prints")
    elif body.window not in (None, window):
        raise ApiError(403, "wrong_window", f"您是 {window} 号窗口，只能用本窗口的打印机 / "
                       f"window {window} prints on its own printer only")
    printers: WindowPrinters = request.app.state.printers
    if not printers.has(window):
        raise ApiError(409, "printer_not_configured",
                       f"{window} 号窗口没有配置打印机，请用浏览器打印 A4 告知单 / window {window} "
                       "has no printer; print the A4 page from the browser")
    notice, _ = await _find(request, no)
    from devices.printer import NoticeMaterialPrint, NoticePrint  # the drivers: only to print

    slip = NoticePrint(
        hall_name=request.app.state.hall.layout.hall.name, no=notice.no,
        item_name=notice.item_name, ticket_number=notice.ticket_number,
        missing=tuple(NoticeMaterialPrint(m.text, m.where) for m in notice.missing),
        issued_at=notice.issued_at, staff=notice.staff, note=notice.note,
        window=notice.window, page_url="")
    try:
        await off_loop(printers.print_notice, window, slip)
    except DeviceError as exc:
        raise ApiError(503, "printer_unavailable",
                       f"{window} 号窗口打印机：{exc.message_zh}，可改用 A4 打印 / window {window}'s "
                       f"printer: {exc.message_en}; print the A4 page instead") from exc
    printed = await off_loop(request.app.state.hall.notices.printed, no)
    return Json({"no": no, "window": window, "printed": printed})
