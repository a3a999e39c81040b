"""Wrapping Chinese text for the screen as a typesetter would (and as the printer does,
devices/printer/ticket.py): break between any two Chinese characters, never start a line
with closing punctuation, keep Latin words and numbers whole. Kivy alone breaks only at
spaces, and Chinese has none. Pure: the width of a piece of text is measured by the caller.
"""

from __future__ import annotations

from collections.abc import Callable

# A line must not start with these; the character before is carried down with them.
NO_LINE_START = frozenset("，。、；：？！）》」』】…,.;:?!)%")


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for ch in text:  # Latin words and numbers stay together
        if ch.isascii() and not ch.isspace() and tokens and tokens[-1][-1:].isascii() and (
                not tokens[-1][-1:].isspace()):
            tokens[-1] += ch
        else:
            tokens.append(ch)
    return tokens


def wrap_measured(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Greedy wrap of `text` into lines no wider than `width` (as `measure` says)."""
    lines: list[str] = []
    line = ""
    for tok in _tokens(text):
        if not line or measure(line + tok) <= width:
            line += tok
        elif tok in NO_LINE_START and len(line) > 1:
            # Carry the last character down with it, and more while that one may not
            # start a line either: "登记）」" breaks before 记, never before ）.
            cut = len(line) - 1
            while cut > 1 and line[cut] in NO_LINE_START:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:] + tok
        else:
            lines.append(line.rstrip())
            line = tok.lstrip()
    if line:
        lines.append(line)
    return lines
