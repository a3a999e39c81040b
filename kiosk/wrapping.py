"""Wrapping Chinese text for the screen as a typesetter would (and as the printer does,
devices/printer/ticket.py): break between any two Chinese characters, never start a line
with closing punctuation, keep Latin words and numbers whole, never break inside a word
the applicant must read as one (咨询台, 窗口, a ticket number) and never leave one character
alone on the last line. Kivy alone breaks only at spaces, and Chinese has none. Pure: the
width of a piece of text is measured by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# A line must not start with these; the word before is carried down with them.
NO_LINE_START = frozenset("，。、；：？！）》」』】…,.;:?!)%")

# The places and things the kiosk's words send an applicant to. Broken at a line's end,
# each half reads as a word of its own: "请到咨" / "询台" sent an elderly applicant looking
# for a 询台 that is not there.
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


def wrap_measured(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Greedy wrap of `text` into lines no wider than `width` (as `measure` says)."""
    lines: list[list[str]] = []
    line: list[str] = []  # tokens, so a word carried down goes down whole
    for word in _tokens(text):
        # A word wider than a whole line (a narrow panel): broken where it falls, not
        # drawn past the edge.
        for tok in [word] if len(word) == 1 or measure(word) <= width else list(word):
            if not line or measure("".join(line) + tok) <= width:
                line.append(tok)
            elif tok in NO_LINE_START and len(line) > 1:
                cut = _carry_from(line)
                lines.append(line[:cut])
                line = [*line[cut:], tok]
            else:
                while line and line[-1].isspace():
                    line.pop()
                lines.append(line)
                line = [] if tok.isspace() else [tok]
    if line and lines and len(lines[-1]) > 1 and _lone(line):
        # The word before goes down to keep it company; the line count stays the same.
        cut = _carry_from(lines[-1])
        if measure("".join(lines[-1][cut:] + line)) <= width:
            lines[-1], line = lines[-1][:cut], lines[-1][cut:] + line
    if line:
        lines.append(line)
    return ["".join(tokens) for tokens in lines]
