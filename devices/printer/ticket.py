"""What goes on a printed slip, as plain data: the renderers (ESC/POS, PNG preview) share it.

Kept free of printer and image code so the kiosk and the server can build these without
importing python-escpos or Pillow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal

from hallrules.wrapping import wrap_measured

DEFAULT_NOTICE = "请留意叫号，过号请到咨询台"
MATERIALS_HEADING = "一次性告知单"


@dataclass(frozen=True)
class TicketPrint:
    hall_name: str
    business_zh: str
    business_en: str
    number: str  # "A001": printed as is and read digit by digit by the voice
    people_ahead: int
    # A range, never a single figure: single estimates swing and applicants stop trusting them.
    expected_wait: tuple[int, int] | None  # (low_min, high_min); None when unknown
    issued_at: datetime  # aware; printed in the hall's local time
    follow_url: str  # content of the QR that follows the ticket on a phone
    notice: str = DEFAULT_NOTICE
    window_hint: str | None = None  # e.g. "3–5号窗口"

    def __post_init__(self) -> None:
        # A naive time would print in whatever zone the kiosk happens to run in: the
        # "tickets corrupted after 5 pm" class of bug. Refuse it at the boundary.
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("issued_at must be timezone-aware")
        if not self.number or not self.number.isascii() or not self.number.isalnum():
            raise ValueError(f"ticket number must be ASCII letters and digits: {self.number!r}")
        if self.people_ahead < 0:
            raise ValueError("people_ahead must not be negative")
        if self.expected_wait is not None:
            low, high = self.expected_wait
            if low < 0 or high < low:
                raise ValueError(
                    f"expected_wait must be (low, high) with 0 <= low <= high: {self.expected_wait}"
                )


@dataclass(frozen=True)
class MaterialsPrint:
    hall_name: str
    business_name: str  # the business item, e.g. "二手房转移登记"
    materials: tuple[str, ...]
    heading: str = MATERIALS_HEADING
    note: str = ""  # optional closing line, e.g. where to ask

    def __post_init__(self) -> None:
        if not self.materials:
            raise ValueError("a materials slip needs at least one material")


def wait_text(expected_wait: tuple[int, int] | None) -> str:
    """The wait as a person reads it; shared by the printer and the preview so they agree."""
    if expected_wait is None:
        return "暂无法估算"
    low, high = expected_wait
    if high == 0:
        return "即将叫号"
    if low == high:
        return f"约 {low} 分钟"
    return f"约 {low}–{high} 分钟"


def people_ahead_text(people_ahead: int) -> str:
    return "您前面没有人在等候" if people_ahead == 0 else f"您前面还有 {people_ahead} 人"


# Both renderers lay a slip out from the same blocks, so print and preview cannot drift.
# Styles: "title" hall name, "heading" big bold line, "subtitle" English line, "rule",
# "label", "number" the big ticket number, "key" double-height line an applicant must
# not miss, "text", "item" a numbered entry (hanging
# indent when wrapped), "qr" (text = QR content), "caption" small centred, "notice" boxed.
Style = Literal[
    "title",
    "heading",
    "subtitle",
    "rule",
    "label",
    "number",
    "key",
    "text",
    "item",
    "qr",
    "caption",
    "notice",
]


@dataclass(frozen=True)
class Block:
    style: Style
    text: str = ""


def ticket_blocks(ticket: TicketPrint, tz: tzinfo) -> list[Block]:
    local = ticket.issued_at.astimezone(tz)
    blocks = [
        Block("title", ticket.hall_name),
        Block("heading", ticket.business_zh),
    ]
    if ticket.business_en:
        blocks.append(Block("subtitle", ticket.business_en))
    blocks += [
        Block("rule"),
        Block("label", "您的号码 Your number"),
        Block("number", ticket.number),
        Block("key", people_ahead_text(ticket.people_ahead)),
        Block("key", f"预计等候：{wait_text(ticket.expected_wait)}"),
    ]
    if ticket.window_hint:
        blocks.append(Block("text", f"办理窗口：{ticket.window_hint}"))
    blocks.append(Block("text", f"取号时间：{local:%Y-%m-%d %H:%M}"))
    if ticket.follow_url:
        blocks += [Block("qr", ticket.follow_url), Block("caption", "手机扫码 随时查看排队进度")]
    if ticket.notice:
        blocks.append(Block("notice", ticket.notice))
    return blocks


def materials_blocks(slip: MaterialsPrint) -> list[Block]:
    blocks = [
        Block("title", slip.hall_name),
        Block("heading", slip.heading),
        Block("rule"),
        Block("text", f"办理事项：{slip.business_name}"),
        Block("key", "请准备以下材料："),
    ]
    blocks += [Block("item", f"{i}. {m}") for i, m in enumerate(slip.materials, start=1)]
    if slip.note:
        blocks.append(Block("notice", slip.note))
    return blocks


NOTICE_HEADING = "不予受理告知单"


@dataclass(frozen=True)
class NoticeMaterialPrint:
    text: str  # with its requirements, as the catalogue words it
    where: str = ""  # where to get it; nothing is printed when empty


@dataclass(frozen=True)
class NoticePrint:
    """不予受理告知单: everything the applicant must bring next time, once, in writing."""

    hall_name: str
    no: str
    item_name: str
    ticket_number: str
    missing: tuple[NoticeMaterialPrint, ...]
    issued_at: datetime  # aware; printed in the hall's local time
    staff: str | None  # 工号; None prints 未签到
    note: str = ""
    window: int | None = None
    page_url: str = ""  # the QR: the notice's own page, to find it again

    def __post_init__(self) -> None:
        if not self.missing:
            raise ValueError("a notice of non-acceptance names at least one material")
        if self.issued_at.tzinfo is None:
            raise ValueError("issued_at must be timezone-aware")


def notice_blocks(notice: NoticePrint, tz: tzinfo) -> list[Block]:
    local = notice.issued_at.astimezone(tz)
    blocks = [
        Block("title", notice.hall_name),
        Block("heading", NOTICE_HEADING),
        Block("caption", "Notice of non-acceptance"),
        Block("text", f"编号：{notice.no}"),
        Block("rule"),
        Block("text", f"办理事项：{notice.item_name}"),
        Block("text", f"排队号：{notice.ticket_number}"),
        Block("key", "经审查，您的申请材料缺少或不符合要求，暂不予受理。请补齐以下材料后再来办理："),
    ]
    for i, m in enumerate(notice.missing, start=1):
        blocks.append(Block("item", f"{i}. {m.text}"))
        if m.where:
            blocks.append(Block("item", f"   获取途径：{m.where}"))
    if notice.note:
        blocks.append(Block("text", f"备注：{notice.note}"))
    blocks.append(Block("rule"))
    if notice.window is not None:
        blocks.append(Block("text", f"窗口：{notice.window}号"))
    blocks += [
        Block("text", f"经办人工号：{notice.staff or '未签到'}"),
        Block("text", f"日期：{local:%Y-%m-%d %H:%M}"),
    ]
    if notice.page_url:
        blocks.append(Block("qr", notice.page_url))
    # With or without a QR: the number is how the next window finds this notice.
    blocks.append(Block("text", "再次办理时请出示本单，或报出本单编号。"))
    blocks.append(Block("notice", "本单一次性告知所需补正材料，请妥善保存。"))
    return blocks


def cell_width(ch: str) -> int:
    """Columns a character takes on a thermal printer: ASCII one, everything else (sent as a
    GBK/GB18030 double-byte or four-byte character) two."""
    return 1 if ch.isascii() else 2


def text_width(text: str) -> int:
    return sum(cell_width(c) for c in text)


def wrap(text: str, columns: int, indent: int = 0) -> list[str]:
    """Wrap by printer columns with the kiosk's rule (hallrules.wrapping), so a slip keeps
    咨询台, 窗口 and a number whole as the screen does; continuation lines get `indent`
    spaces (hanging indent for numbered items)."""
    if columns <= indent + 2:
        raise ValueError("columns too small to wrap into")
    lines = wrap_measured(text, columns, text_width, rest_width=columns - indent) or [""]
    return [lines[0], *(" " * indent + ln for ln in lines[1:])]
