"""Draw a ticket or materials slip as the thermal printer will print it, as a PNG.

The kiosk shows it on screen (and it is the fallback when the printer fails); tests look
at it. It uses the printer's own grid so the picture does not flatter the print: 203 dpi,
a 12×24-dot cell per column (a Chinese character takes two), GS ! scaling by stretching,
the same wrapping and blocks as `escpos_render`.
"""

from __future__ import annotations

import io
from datetime import tzinfo
from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from devices.printer.escpos_render import RenderOptions, printable
from devices.printer.ticket import (
    Block,
    MaterialsPrint,
    NoticePrint,
    TicketPrint,
    cell_width,
    materials_blocks,
    notice_blocks,
    text_width,
    ticket_blocks,
    wrap,
)

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
CELL_W, CELL_H = 12, 24  # Font A on a 203-dpi head
LINE_GAP = 6  # ESC 2 default spacing leaves about this much between 24-dot rows
MARGIN = 24  # white paper either side of the printable width
FONT_PX, BASELINE = 22, 18


@lru_cache(maxsize=4)
def _font(path: str | None) -> ImageFont.FreeTypeFont:
    for candidate in [path] if path else list(FONT_CANDIDATES):
        if candidate and Path(candidate).exists():
            # 22 px with the baseline at 18 keeps CJK tops and Latin descenders inside the
            # 24-dot row, as the printer's own font does.
            return ImageFont.truetype(candidate, FONT_PX)
    raise FileNotFoundError(
        "找不到中文字体，请安装 fonts-wqy-microhei / no CJK font found: install fonts-wqy-microhei "
        "or set the printer's preview_font"
    )


def _text_strip(text: str, font: ImageFont.FreeTypeFont, bold: bool) -> Image.Image:
    """One line on the printer grid: every character centred in its own 12- or 24-dot cell."""
    width = max(1, text_width(text)) * CELL_W
    img = Image.new("L", (width, CELL_H), 255)
    draw = ImageDraw.Draw(img)
    x = 0
    for ch in text:
        w = cell_width(ch) * CELL_W
        if not ch.isspace():
            left, _top, right, _bottom = draw.textbbox((0, BASELINE), ch, font=font, anchor="ls")
            dx = x + (w - (right - left)) / 2 - left
            draw.text((dx, BASELINE), ch, font=font, fill=0, anchor="ls")
            if bold:  # the printer emboldens by striking each dot column twice, one dot apart
                draw.text((dx + 1, BASELINE), ch, font=font, fill=0, anchor="ls")
        x += w
    return img


class _Canvas:
    def __init__(self, options: RenderOptions, font: ImageFont.FreeTypeFont) -> None:
        self.options = options
        self.font = font
        self.rows: list[tuple[Image.Image, str]] = []  # (strip, align)

    def text(self, text: str, *, align: str, bold: bool = False, sx: int = 1, sy: int = 1) -> None:
        shown, _ = printable(text, self.options.encoding)
        strip = _text_strip(shown, self.font, bold)
        if sx != 1 or sy != 1:
            strip = strip.resize((strip.width * sx, strip.height * sy), Image.Resampling.NEAREST)
        self.rows.append((strip, align))
        self.rows.append((Image.new("L", (1, LINE_GAP * sy), 255), "left"))

    def blank(self, height: int = CELL_H + LINE_GAP) -> None:
        self.rows.append((Image.new("L", (1, height), 255), "left"))

    def image(self, img: Image.Image) -> None:
        self.rows.append((img.convert("L"), "center"))

    def render(self) -> Image.Image:
        paper = self.options.paper_pixels
        height = sum(img.height for img, _ in self.rows) + 2 * MARGIN
        page = Image.new("L", (paper + 2 * MARGIN, height), 255)
        y = MARGIN
        for img, align in self.rows:
            x = MARGIN + (paper - img.width) // 2 if align == "center" else MARGIN
            page.paste(img, (x, y))
            y += img.height
        return page


def _draw_blocks(blocks: list[Block], options: RenderOptions, font_path: str | None) -> Image.Image:
    canvas = _Canvas(options, _font(font_path))
    cols = options.columns
    for block in blocks:
        style = block.style
        if style == "title":
            for ln in wrap(block.text, cols):
                canvas.text(ln, align="center", bold=True)
        elif style == "heading":
            for ln in wrap(block.text, cols):
                canvas.text(ln, align="center", bold=True, sy=2)
        elif style in ("subtitle", "caption", "label"):
            for ln in wrap(block.text, cols):
                canvas.text(ln, align="center")
        elif style == "rule":
            canvas.text("-" * cols, align="center")
        elif style == "number":
            scale = min(options.number_scale, max(1, cols // max(1, text_width(block.text))))
            canvas.text(block.text, align="center", bold=True, sx=scale, sy=scale)
        elif style == "key":
            for ln in wrap(block.text, cols):
                canvas.text(ln, align="left", sy=2)
        elif style == "text":
            for ln in wrap(block.text, cols):
                canvas.text(ln, align="left")
        elif style == "item":
            indent = text_width(block.text.split(" ", 1)[0]) + 1
            for ln in wrap(block.text, cols, indent=indent):
                canvas.text(ln, align="left")
        elif style == "notice":
            canvas.blank()
            for ln in wrap(block.text, cols):
                canvas.text(ln, align="left", bold=True)
        elif style == "qr":
            canvas.image(qr_image(block.text, options.qr_size))
            canvas.blank(LINE_GAP * 2)
    canvas.blank(CELL_H * 2)  # the feed before the cut
    return canvas.render()


def qr_image(content: str, module_px: int) -> Image.Image:
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=module_px, border=1
    )
    code.add_data(content)
    code.make(fit=True)
    return code.make_image().get_image().convert("L")


def ticket_preview(
    ticket: TicketPrint, options: RenderOptions, tz: tzinfo, font_path: str | None = None
) -> Image.Image:
    return _draw_blocks(ticket_blocks(ticket, tz), options, font_path)


def materials_preview(
    slip: MaterialsPrint, options: RenderOptions, font_path: str | None = None
) -> Image.Image:
    return _draw_blocks(materials_blocks(slip), options, font_path)


def notice_preview(
    notice: NoticePrint, options: RenderOptions, tz: tzinfo, font_path: str | None = None
) -> Image.Image:
    return _draw_blocks(notice_blocks(notice, tz), options, font_path)


def to_png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
