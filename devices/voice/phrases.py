"""What the hall says when it calls a number. Pure text, no audio.

Reading rules (the complaint is "the voice reads 001 as one"):

* Ticket numbers are read character by character: digits as 零一二…九, letters kept as
  letters, then 号: "A001" → "A零零一号", "B120" → "B一二零号".
* Window numbers are read as numbers: 10 → "十号窗口", 12 → "十二号窗口",
  96 → "九十六号窗口", 100 → "一百号窗口", 101 → "一百零一号窗口", 110 → "一百一十号窗口".
  2 is 二 (二号窗口, 二十, 二百, the formal announcement form) except 两千, as it is said.
* A window given as a name ("综合窗口") is said as written.
* Letters: the screen text keeps "A". For espeak-ng, `for_espeak` spells each Latin letter
  as the Mandarin name people use for it (A ei, B bi, … W da bu liu, Z zei), written in
  pinyin with tones for the `cmn-latn-pinyin` voice. E is "yi4", close to 一; halls should
  avoid the prefixes E, I and O (the last two also look like 1 and 0 on paper).
"""

from __future__ import annotations

import string
from dataclasses import dataclass

DIGITS = "零一二三四五六七八九"
# Short on purpose: a busy hall calls more than 8 numbers a minute, so every syllable counts
# (issue 15). "办理" added 0.4 s and told nobody anything; a recall is "速到" ("hurry to"),
# as halls say it, instead of a 1.3 s "再次呼叫，" before the whole sentence again.
DEFAULT_TEMPLATE = "请{number}号到{window}"
DEFAULT_RECALL_TEMPLATE = "请{number}号速到{window}"
FIELDS = frozenset({"number", "window"})

# How Mandarin speakers name the Latin letters, in pinyin (tone digits; 5 = neutral) for
# espeak-ng's cmn-latn-pinyin voice, which reads pinyin syllables exactly.
LETTER_PINYIN: dict[str, str] = {
    "A": "ei1",
    "B": "bi4",
    "C": "xi1",
    "D": "di4",
    "E": "yi4",
    "F": "ai2 fu5",
    "G": "ji4",
    "H": "ai2 qi1",
    "I": "ai4",
    "J": "jie4",
    "K": "kai4",
    "L": "ai2 le5",
    "M": "ai2 mu5",
    "N": "en1",
    "O": "ou1",
    "P": "pi4",
    "Q": "kiu1",
    "R": "a2 er3",
    "S": "ai2 si5",
    "T": "ti4",
    "U": "you1",
    "V": "wei1",
    "W": "da2 bu5 liu5",
    "X": "ai2 ke5 si5",
    "Y": "wai4",
    "Z": "zei4",
}


def number_to_chinese(n: int) -> str:
    """0-9999 as spoken: 10 十, 12 十二, 96 九十六, 100 一百, 101 一百零一, 1010 一千零一十."""
    if not 0 <= n <= 9999:
        raise ValueError(f"number out of range 0-9999: {n}")
    if n == 0:
        return DIGITS[0]
    parts: list[str] = []
    pending_zero = False
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // unit_value % 10
        if digit == 0:
            pending_zero = bool(parts)  # one 零 for any run of zeros inside the number
            continue
        if pending_zero:
            parts.append(DIGITS[0])
            pending_zero = False
        # 10-19 on their own are 十…, not 一十…; inside a larger number the 一 stays (一百一十).
        if not (unit == "十" and digit == 1 and not parts):
            parts.append("两" if unit == "千" and digit == 2 else DIGITS[digit])
        parts.append(unit)
    return "".join(parts)


def count_to_chinese(n: int) -> str:
    """A count before a measure word, as said: 两人 and 两百人, not 二人 (二十二人 stays)."""
    said = number_to_chinese(n)
    if n == 2:
        return "两"
    return "两" + said[1:] if said.startswith("二百") else said


def read_ticket_digits(number: str) -> str:
    """ "A001" → "A零零一": each character on its own."""
    if not number or not number.isascii() or not number.isalnum():
        raise ValueError(f"ticket number must be ASCII letters and digits: {number!r}")
    return "".join(DIGITS[int(c)] if c.isdigit() else c.upper() for c in number)


def ticket_reading(number: str) -> str:
    return f"{read_ticket_digits(number)}号"


def window_reading(window: int | str) -> str:
    """12 → "十二号窗口"; a named window ("综合窗口") as written."""
    if isinstance(window, bool):
        raise ValueError("window must be a number or a name")
    if isinstance(window, int) or window.isdigit():
        return f"{number_to_chinese(int(window))}号窗口"
    if not window.strip():
        raise ValueError("window name is empty")
    return window.strip()


def for_espeak(text: str) -> str:
    """Spell Latin letters as pinyin letter names, spaced so each is its own syllable."""
    out: list[str] = []
    for ch in text:
        if ch.isascii() and ch.isalpha():
            out.append(f" {LETTER_PINYIN[ch.upper()]} ")
        else:
            out.append(ch)
    return " ".join("".join(out).split())


def check_template(template: str) -> str:
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    unknown = fields - FIELDS
    if unknown:
        raise ValueError(
            f"template may use only {{number}} and {{window}}, not {sorted(unknown)}: {template!r}"
        )
    return template


@dataclass(frozen=True)
class Announcement:
    number: str  # "A001", as on the ticket
    window: str  # as shown on screens: "12" or "综合窗口"
    text: str  # what is spoken; "" in chime-only mode
    recall: bool = False


@dataclass(frozen=True)
class PhraseBook:
    template: str = DEFAULT_TEMPLATE
    recall_template: str = DEFAULT_RECALL_TEMPLATE
    chime_only: bool = False  # halls that call on screens only, with a chime to look up

    def __post_init__(self) -> None:
        check_template(self.template)
        check_template(self.recall_template)

    def text(self, number: str, window: int | str, *, recall: bool = False) -> str:
        template = self.recall_template if recall else self.template
        return template.format(number=read_ticket_digits(number), window=window_reading(window))

    def announcement(self, number: str, window: int | str, *, recall: bool = False) -> Announcement:
        text = "" if self.chime_only else self.text(number, window, recall=recall)
        return Announcement(number.upper(), str(window), text, recall)
