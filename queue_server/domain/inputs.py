"""What any input must be before it reaches a rule or the database, whatever the route.

One place for the limits every route shares, so none can forget them:
- integers fit a signed 64-bit column (SQLite's INTEGER, PostgreSQL's BIGINT); a bigger
  one is a typing slip or a probe, never a seq or a version;
- text holds no control characters (U+0000 is refused by PostgreSQL, the others by every
  screen and printer that shows the text) and no lone surrogates (not encodable to
  UTF-8); tab, line feed and carriage return stay allowed for notes;
- JSON nests no deeper than any body of this API needs, so no parser recurses without end.
"""

from __future__ import annotations

import json
import re
from typing import Any

from queue_server.domain.errors import InvalidInput

INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
MAX_DEPTH = 32  # the deepest body of the API (a case's applicants' fields) is 4

_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")


def text_problem(value: str) -> str | None:
    """Why `value` may not be stored or shown, or None when it may."""
    m = _BAD_CHARS.search(value)
    if m is None:
        return None
    return f"U+{ord(m.group()):04X}"


def check_text(value: str, where: str) -> str:
    bad = text_problem(value)
    if bad is not None:
        raise InvalidInput(f"{where} 含有不可见的控制字符（{bad}）",
                           f"{where} holds a control character ({bad})")
    return value


def check_int(value: int, where: str) -> int:
    if not INT_MIN <= value <= INT_MAX:
        raise InvalidInput(f"{where} 数值超出范围（最大 {INT_MAX}）",
                           f"{where} is out of range (at most {INT_MAX})")
    return value


def check_param(value: str, where: str) -> str:
    """A path or query value: no control character, and an integer one within range."""
    check_text(value, where)
    if len(value) > 18 and _INTEGER.match(value):  # 18 digits always fit
        check_int(int(value), where)
    return value


def _bounded_int(literal: str) -> int:
    if len(literal) > 20:  # int() of a 100,000-digit literal is itself slow
        check_int(INT_MAX + 1, "整数 / an integer")
    return check_int(int(literal), "整数 / an integer")


def _no_constant(name: str) -> float:
    raise InvalidInput(f"不支持 {name}", f"{name} is not a number this API takes")


def check_tree(value: Any, where: str = "body") -> Any:
    """Walk a parsed JSON value (without recursion): every string and key checked, no
    deeper than MAX_DEPTH."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InvalidInput(f"JSON 嵌套超过 {MAX_DEPTH} 层", f"JSON nested over {MAX_DEPTH} deep")
        if isinstance(item, str):
            check_text(item, where)
        elif isinstance(item, dict):
            for k, v in item.items():
                check_text(k, where)
                stack.append((v, depth + 1))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return value


def loads(text: str | bytes) -> Any:
    """json.loads with every limit above: InvalidInput for what breaks them, ValueError
    (json.JSONDecodeError) for what is not JSON at all."""
    if _too_deep(text):
        raise InvalidInput(f"JSON 嵌套超过 {MAX_DEPTH} 层", f"JSON nested over {MAX_DEPTH} deep")
    try:
        value = json.loads(text, parse_int=_bounded_int, parse_constant=_no_constant)
    except RecursionError:  # _too_deep counts brackets inside strings too: never reached
        raise InvalidInput(f"JSON 嵌套超过 {MAX_DEPTH} 层",
                           f"JSON nested over {MAX_DEPTH} deep") from None
    return check_tree(value)


def _too_deep(text: str | bytes) -> bool:
    """A cheap upper bound first: fewer opening brackets than the limit cannot nest deeper;
    only a body with many is scanned (strings skipped) before the parser sees it."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return False
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False
