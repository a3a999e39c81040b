"""Render tickets and materials slips to ESC/POS with python-escpos's command builder.

Text never goes through `Escpos.text()`: python-escpos turns a string of only full-width
punctuation into `???` and sends GB18030 four-byte sequences that GBK-only printers
garble. We encode every string ourselves (`encode_text`) and send it with `_raw`; the
formatting commands (init, align, size, QR, image, cut) still come from python-escpos.

Characters the configured encoding cannot carry are printed as □ (REPLACEMENT), a
double-width box, so the line keeps its layout and a reader sees that something is
missing instead of a wrong character. Control characters in data are printed as a space
so a hall or business name can never inject printer commands.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import tzinfo
from typing import Literal

from escpos.constants import QR_ECLEVEL_M
from escpos.escpos import Escpos

from devices.printer.ticket import (
    Block,
    MaterialsPrint,
    NoticePrint,
    TicketPrint,
    materials_blocks,
    notice_blocks,
    text_width,
    ticket_blocks,
    wrap,
)

log = logging.getLogger(__name__)

Encoding = Literal["gb18030", "gbk", "gb2312"]
ENCODINGS: tuple[str, ...] = ("gb18030", "gbk", "gb2312")
QrMode = Literal["native", "image"]
REPLACEMENT = "□"

# FS & : enter Chinese (double-byte) character mode. Chinese firmware usually starts in it,
# but a printer someone switched to a single-byte code page prints GBK as Latin garbage.
FS_CHINESE_ON = b"\x1c&"
PAPER_PIXELS = {58: 384, 80: 576}
PAPER_COLUMNS = {58: 32, 80: 48}  # Font A, 12 dots per column at 203 dpi


@dataclass(frozen=True)
class RenderOptions:
    encoding: Encoding = "gbk"  # the safe default: every Chinese thermal printer reads GBK
    paper_mm: int = 80
    columns: int = 48
    qr: QrMode = "native"
    qr_size: int = 6  # dots per QR module; 6 keeps a ~40-char URL near 2.5 cm wide
    number_scale: int = 4  # GS ! multiplier for the ticket number, read from across a hall
    chinese_mode: bool = True  # send FS & after init

    def __post_init__(self) -> None:
        if self.encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {ENCODINGS}: {self.encoding!r}")
        if self.paper_mm not in PAPER_PIXELS:
            raise ValueError(f"paper_mm must be 58 or 80: {self.paper_mm!r}")
        if self.qr not in ("native", "image"):
            raise ValueError(f"qr must be 'native' or 'image': {self.qr!r}")
        if not 1 <= self.qr_size <= 16:
            raise ValueError("qr_size must be 1-16")
        if not 1 <= self.number_scale <= 8:
            raise ValueError("number_scale must be 1-8")
        if self.columns < 16:
            raise ValueError("columns must be at least 16")

    @classmethod
    def for_paper(cls, paper_mm: int, **kwargs: object) -> RenderOptions:
        if paper_mm not in PAPER_COLUMNS:
            raise ValueError(f"paper_mm must be 58 or 80: {paper_mm!r}")
        return cls(paper_mm=paper_mm, columns=PAPER_COLUMNS[paper_mm], **kwargs)  # type: ignore[arg-type]

    @property
    def paper_pixels(self) -> int:
        return PAPER_PIXELS[self.paper_mm]


def printable(text: str, encoding: str) -> tuple[str, list[str]]:
    """The text as it will print, and the characters that had to be replaced."""
    out: list[str] = []
    replaced: list[str] = []
    for ch in text:
        if ch == "\n":
            out.append(ch)
            continue
        if unicodedata.category(ch).startswith("C"):
            out.append(" ")
            continue
        try:
            encoded = ch.encode(encoding)
        except UnicodeEncodeError:
            encoded = b""
        # Python's gbk codec maps € to the single byte 0x80, which GBK printers do not have.
        if not encoded or (len(encoded) == 1 and encoded[0] >= 0x80):
            replaced.append(ch)
            out.append(REPLACEMENT)
        else:
            out.append(ch)
    return "".join(out), replaced


def encode_text(text: str, encoding: str) -> bytes:
    shown, replaced = printable(text, encoding)
    if replaced:
        log.warning(
            "printer encoding %s cannot print %r; printed as %s",
            encoding,
            "".join(replaced),
            REPLACEMENT,
        )
    return shown.encode(encoding)


def _size(printer: Escpos, width: int, height: int) -> None:
    # GS ! scales double-byte Chinese characters too; ESC ! (python-escpos's double_width /
    # double_height) only scales single-byte characters on many Chinese printers.
    printer.set(custom_size=True, width=width, height=height)


def _line(printer: Escpos, text: str, encoding: str) -> None:
    printer._raw(encode_text(text, encoding) + b"\n")


def _ensure_media_width(printer: Escpos, pixels: int) -> None:
    """Image printing needs the paper width; the generic profile has none (and python-escpos
    prints a warning to stdout each time). Give this printer instance its own copy."""
    data = printer.profile.profile_data
    if data.get("media", {}).get("width", {}).get("pixels") in (None, "Unknown"):
        media = dict(data.get("media", {}))
        media["width"] = {**media.get("width", {}), "pixels": pixels}
        printer.profile.profile_data = {**data, "media": media}


def _begin(printer: Escpos, options: RenderOptions) -> None:
    printer.hw("INIT")
    if options.chinese_mode:
        printer._raw(FS_CHINESE_ON)


def _blocks(printer: Escpos, blocks: list[Block], options: RenderOptions) -> None:
    enc = options.encoding
    cols = options.columns
    for block in blocks:
        style = block.style
        if style in ("title", "heading", "label", "subtitle", "caption", "number", "qr", "rule"):
            printer.set(align="center")
        else:
            printer.set(align="left")
        if style == "title":
            printer.set(bold=True)
            for ln in wrap(block.text, cols):
                _line(printer, ln, enc)
            printer.set(bold=False)
        elif style == "heading":
            printer.set(bold=True)
            _size(printer, 1, 2)
            for ln in wrap(block.text, cols):
                _line(printer, ln, enc)
            _size(printer, 1, 1)
            printer.set(bold=False)
        elif style in ("subtitle", "caption", "label"):
            for ln in wrap(block.text, cols):
                _line(printer, ln, enc)
        elif style == "rule":
            _line(printer, "-" * cols, enc)
        elif style == "number":
            scale = min(options.number_scale, max(1, cols // max(1, text_width(block.text))))
            printer.set(bold=True)
            _size(printer, scale, scale)
            _line(printer, block.text, enc)
            _size(printer, 1, 1)
            printer.set(bold=False)
        elif style == "key":
            _size(printer, 1, 2)
            for ln in wrap(block.text, cols):
                _line(printer, ln, enc)
            _size(printer, 1, 1)
        elif style == "text":
            for ln in wrap(block.text, cols):
                _line(printer, ln, enc)
        elif style == "item":
            indent = text_width(block.text.split(" ", 1)[0]) + 1
            for ln in wrap(block.text, cols, indent=indent):
                _line(printer, ln, enc)
        elif style == "notice":
            _line(printer, "", enc)
            printer.set(bold=True)
            for ln in wrap(block.text, cols):
                _line(printer, ln, enc)
            printer.set(bold=False)
        elif style == "qr":
            _qr(printer, block.text, options)
        else:  # pragma: no cover - Style is a closed Literal
            raise ValueError(f"unknown block style {style!r}")


def _qr(printer: Escpos, content: str, options: RenderOptions) -> None:
    # The QR is for a phone camera at arm's length: medium error correction survives a
    # thermal smudge without making the code much larger.
    if options.qr == "native":
        # python-escpos refuses center=True with native codes; ESC a centres GS ( k instead.
        printer.qr(content, ec=QR_ECLEVEL_M, size=options.qr_size, native=True)
        printer._raw(b"\n")
    else:
        _ensure_media_width(printer, options.paper_pixels)
        printer.qr(content, ec=QR_ECLEVEL_M, size=options.qr_size, native=False, center=True)


def render_ticket(printer: Escpos, ticket: TicketPrint, options: RenderOptions, tz: tzinfo) -> None:
    """Write a whole ticket, init to cut, to `printer` (a Dummy buffer or a live transport)."""
    _begin(printer, options)
    _blocks(printer, ticket_blocks(ticket, tz), options)
    printer.cut()


def render_notice(printer: Escpos, notice: NoticePrint, options: RenderOptions, tz: tzinfo) -> None:
    """不予受理告知单, init to cut."""
    _begin(printer, options)
    _blocks(printer, notice_blocks(notice, tz), options)
    printer.cut()


def render_materials(printer: Escpos, slip: MaterialsPrint, options: RenderOptions) -> None:
    _begin(printer, options)
    _blocks(printer, materials_blocks(slip), options)
    printer.cut()
