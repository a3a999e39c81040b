"""The Chinese font every widget draws with.

Kivy's default font (Roboto) has no Chinese: every character would be a tofu box. The
font is registered as Kivy's DEFAULT_FONT, so no widget can forget it; a kiosk without a
CJK font stops at start with a message saying which package to install.
"""

from __future__ import annotations

from pathlib import Path

from hallenv import HallqEnv

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


class FontMissing(RuntimeError):
    pass


def find_font(explicit: str | None = None) -> str:
    """The font file: `explicit`, HALLQ_KIOSK_FONT, or the first CJK font installed."""
    wanted = explicit or HallqEnv.read().kiosk_font
    if wanted:
        if not Path(wanted).is_file():
            raise FontMissing(f"找不到字体文件 {wanted} / font file not found: {wanted}")
        return wanted
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    raise FontMissing(
        "找不到中文字体，请安装 fonts-wqy-microhei（apt-get install fonts-wqy-microhei），"
        "或用 HALLQ_KIOSK_FONT 指定字体文件 / no Chinese font found: install "
        "fonts-wqy-microhei or set HALLQ_KIOSK_FONT")


def register_font(explicit: str | None = None) -> str:
    """Make the CJK font Kivy's default for every widget; returns the file used."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    path = find_font(explicit)
    LabelBase.register(DEFAULT_FONT, path)
    return path
