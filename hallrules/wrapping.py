"""Wrapping Chinese text into lines as a typesetter would, the one rule for the kiosk's
screen (kiosk/widgets.py) and the ticket printer (devices/printer/ticket.py): break between
any two Chinese characters, never start a line with closing punctuation, keep Latin words
and numbers whole, never break inside a word the applicant must read as one (咨询台, 窗口,
a ticket number) and never leave one character alone on the last line. Kivy alone breaks
only at spaces, and Chinese has none. Pure: the width of a piece of text is measured by the
caller (pixels on the screen, columns on the printer).
"""

from __future__ import annotations

import re
from collections.abc import Callable

# A line must not start with these; the word before is carried down with them.
NO_LINE_START = frozenset("，。、；：？！）》」』】…,.;:?!)%")

# The places and things the kiosk's words and slips send an applicant to. Broken at a
# line's end, each half reads as a word of its own: "请到咨" / "询台" sent an elderly
# applicant looking for a 询台 that is not there.
KEEP_WHOLE = ("咨询台", "窗口", "出纸口", "读卡区", "扫码口", "叫号屏幕", "评价器",
              "工作人员", "身份证", "二维码", "受理号", "受理回执", "号票", "小票",
              "绿色通道", "服务热线")

_TOKEN = re.compile("|".join([
    # A Latin word or number, a range ("5–10", "6–7号窗口") and a number's 号 with it:
    # "H001号", "5号窗口" stay as one.
    r"[!-~]+(?:–[!-~]+)*(?:号窗口|号)?",
    *sorted(map(re.escape, KEEP_WHOLE), key=len, reverse=True),
    r".",
]), re.DOTALL)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _carry_from(line: list[str]) -> int:
    """Where to cut `line` to carry its last word down, with any closing marks after it:
    "登记）」" is cut before 记, never before ）."""
    cut = len(line) - 1
    while cut > 1 and line[cut] in NO_LINE_START:
        cut -= 1
    return cut


def _lone(line: list[str]) -> bool:
    """One Chinese character left alone on a paragraph's last line ("距" / "离"): read on
    its own, it is half a word."""
    core = [c for c in "".join(line) if c not in NO_LINE_START]
    return len(core) == 1 and not core[0].isascii()


def _trim(line: list[str]) -> list[str]:
    # Spaces at a line's end only push it past the edge (a printer prints them).
    while line and line[-1].isspace():
        line.pop()
    return line


def wrap_measured(text: str, width: float, measure: Callable[[str], float],
                  rest_width: float | None = None) -> list[str]:
    """Greedy wrap of `text` into lines no wider than `width` (as `measure` says); the lines
    after the first no wider than `rest_width` when given (room left for a printed item's
    hanging indent, which the caller adds)."""
    rest = width if rest_width is None else rest_width
    lines: list[list[str]] = []
    line: list[str] = []  # tokens, so a word carried down goes down whole

    def room() -> float:
        return rest if lines else width

    for word in _tokens(text):
        # A word wider than a whole line (a narrow panel, a URL on a slip): broken where it
        # falls, not drawn past the edge. Where it does not fit, it would start a new line.
        whole = (len(word) == 1 or measure("".join(line) + word) <= room()
                 or (bool(line) and measure(word) <= rest))
        for tok in [word] if whole else list(word):
            if not line or measure("".join(line) + tok) <= room():
                line.append(tok)
                continue
            cut = _carry_from(line) if tok in NO_LINE_START and len(line) > 1 else len(line)
            if cut < len(line) and measure("".join(line[cut:]) + tok) > rest:
                # Carried down whole, the word would not fit the next line either: better
                # the mark starting a line than a line past the edge.
                cut = len(line)
            lines.append(_trim(line[:cut]))
            line = [*line[cut:], tok] if cut < len(line) or not tok.isspace() else []
    _trim(line)
    if line and lines and len(lines[-1]) > 1 and _lone(line):
        # The word before goes down to keep it company; the line count stays the same.
        cut = _carry_from(lines[-1])
        if measure("".join(lines[-1][cut:] + line)) <= rest:
            lines[-1], line = _trim(lines[-1][:cut]), lines[-1][cut:] + line
    if line:
        lines.append(line)
    return ["".join(tokens) for tokens in lines]
