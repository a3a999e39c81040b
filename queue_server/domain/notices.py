"""不予受理告知单 the written notice of non-acceptance, and the desk's 预审 pre-check.

A hall that practises one-time notification (一次性告知) tells a refused applicant, once
and in writing, everything that is missing or wrong, against the catalogue item's
materials list. The window ticks the materials; this module checks the ticks and builds
the notice. Pure: the catalogue item, the ticket and the clock are handed in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from queue_server.domain.catalogue import Catalogue, CatalogueItem
from queue_server.domain.errors import InvalidInput

MAX_NOTE_CHARS = 300
# The hall's code, the day, the day's sequence: `HY01-20261206-0001`.
NOTICE_NO_PATTERN = r"^[A-Z][A-Z0-9]{1,7}-\d{8}-\d{4,6}$"
REFUSED = "refused"  # the ticket's closed_reason: its own outcome in the figures


@dataclass(frozen=True)
class MissingMaterial:
    index: int  # 1-based, as the catalogue lists it
    text: str  # the material with its requirements, as the catalogue words it
    text_en: str = ""
    where: str = ""  # where to get it; empty when the catalogue does not say


@dataclass(frozen=True)
class Notice:
    no: str  # unique across halls: the hall's code leads it
    hall: str  # the hall's code
    day: date
    ticket_id: str
    ticket_number: str
    business: str
    item: str
    item_name: str
    item_name_en: str
    missing: tuple[MissingMaterial, ...]
    note: str
    window: int | None
    staff: str | None  # 工号 of who was on duty; None when nobody signed in
    staff_name: str
    issued_at: datetime
    prechecked: bool = False  # the ticket's materials had been pre-checked at the desk


def notice_number(hall_code: str, day: date, seq: int) -> str:
    """`HY01-20261206-0001`: the hall's code makes it unique in a city's network, the day
    and a daily sequence make it short enough to read out over a counter."""
    return f"{hall_code}-{day:%Y%m%d}-{seq:04d}"


def notice_no_of(text: str) -> str:
    """A notice number as a guide types it or a kiosk reads it off the slip: spaces and
    lower case forgiven, anything else not a number."""
    no = text.strip().upper()
    if not re.fullmatch(NOTICE_NO_PATTERN, no):
        raise InvalidInput(f"告知单编号格式不对：{text.strip()[:40]}（应如 HY01-20261206-0001）",
                           "not a notice number (it reads like HY01-20261206-0001)",
                           code="invalid_notice_no")
    return no


def check_follow_up(no: str, notice: Notice | None, business: str, hall_code: str) -> str:
    """The notice a new ticket follows up: one this hall gave, for the ticket's business
    (the applicant back with the papers it listed). Returns its number."""
    if no.rsplit("-", 2)[0] != hall_code or (notice is not None and notice.hall != hall_code):
        raise InvalidInput(f"告知单 {no} 不是本大厅开具的，请核对编号",
                           f"notice {no} was not given by this hall; check the number",
                           code="notice_other_hall")
    if notice is None:
        raise InvalidInput(f"本大厅没有编号为 {no} 的不予受理告知单，请核对编号",
                           f"this hall has no notice numbered {no}; check the number",
                           code="unknown_notice")
    if notice.business != business:
        raise InvalidInput(f"告知单 {no} 是「{notice.item_name}」的，不属于所取号的业务",
                           f"notice {no} is for '{notice.item}' of business "
                           f"'{notice.business}', not '{business}'",
                           code="notice_business_mismatch")
    return notice.no


def find_item(catalogue: Catalogue | None, code: str, business: str) -> CatalogueItem:
    """The catalogue item a ticket of `business` is refused or pre-checked for."""
    item = catalogue.item(code) if catalogue is not None else None
    if item is None:
        raise InvalidInput(f"业务目录中没有该事项：{code}", f"the catalogue has no item '{code}'",
                           code="unknown_item")
    if item.business != business:
        raise InvalidInput(f"事项「{item.name}」不属于该号的业务",
                           f"item '{code}' is not one of this ticket's business '{business}'",
                           code="item_not_for_business")
    return item


def missing_materials(item: CatalogueItem, ticked: Sequence[int]) -> tuple[MissingMaterial, ...]:
    """The ticked materials (1-based, as listed) in list order; each at most once."""
    if not ticked:
        raise InvalidInput("请勾选缺少或不符合要求的材料（至少一项）",
                           "tick at least one material that is missing or wrong",
                           code="no_materials_ticked")
    bad = sorted({i for i in ticked if not 1 <= i <= len(item.materials)})
    if bad:
        raise InvalidInput(f"事项「{item.name}」的收件清单共 {len(item.materials)} 项，没有第 "
                           f"{'、'.join(map(str, bad))} 项",
                           f"item '{item.code}' lists {len(item.materials)} materials; there "
                           f"is no number {', '.join(map(str, bad))}", code="unknown_material")
    out = []
    for i in sorted(set(ticked)):
        en = item.materials_en[i - 1] if item.materials_en else ""
        where = item.materials_where[i - 1] if item.materials_where else ""
        out.append(MissingMaterial(i, item.materials[i - 1], en, where))
    return tuple(out)


def clean_note(note: str) -> str:
    """One line of the clerk's own words; runs of spaces and line breaks become one space."""
    text = " ".join(note.split())
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidInput(f"备注最多 {MAX_NOTE_CHARS} 字", f"the note is at most "
                           f"{MAX_NOTE_CHARS} characters", code="note_too_long")
    return text
