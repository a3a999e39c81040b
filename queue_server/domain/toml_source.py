"""Reading hand-edited TOML files with every problem tied to its line.

tomllib keeps no positions, so a light scan of the raw text maps tables, array entries
and keys to lines; typed readers record problems instead of stopping at the first one,
so an administrator sees everything wrong with a file at once.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from functools import cached_property
from typing import Any

Where = tuple[Any, ...]
CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")

_HEADER_RE = re.compile(r"^(\[\[?)\s*([A-Za-z0-9_.\-]+)\s*\]\]?\s*(#.*)?$")
_KEY_RE = re.compile(r"^([A-Za-z0-9_\-]+)\s*=")


def _bracket_balance(line: str) -> int:
    """Opened minus closed `[` outside strings and comments, for multi-line arrays."""
    depth = 0
    quote = ""
    escaped = False
    for ch in line:
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            break
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
    return depth


def line_index(text: str) -> dict[Where, int]:
    """Map tables, array entries and keys to their first line.

    `[hall]` → `("hall",)`; its key `name` → `("hall", "name")`; the third `[[windows]]`
    → `("windows", 2)`; an item nested as `[[categories.items]]` under the second
    category → `("categories", 1, "items", 0)`; keys inside follow the same pattern.
    """
    index: dict[Where, int] = {}
    counters: dict[Where, int] = defaultdict(int)
    current: Where = ()
    arrays: dict[str, Where] = {}  # array name → the entry it is now filling
    depth = 0  # inside a multi-line array: its lines are values, not keys or headers
    fence = ""  # inside a multi-line string: the quotes that close it
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if fence:
            if line.count(fence) % 2:
                fence = ""
            continue
        if depth > 0:
            depth += _bracket_balance(line)
            continue
        for quotes in ('"""', "'''"):
            if line.count(quotes) % 2:
                fence = quotes
        header = _HEADER_RE.match(line)
        if header:
            name = header.group(2)
            parts = name.split(".")
            parent_name = ".".join(parts[:-1])
            parent: Where = arrays.get(parent_name, tuple(parts[:-1])) if parent_name else ()
            if header.group(1) == "[[":
                base = (*parent, parts[-1])
                current = (*base, counters[base])
                counters[base] += 1
                arrays[name] = current
            else:
                current = (*parent, parts[-1])
            index.setdefault(current, lineno)
            continue
        key = _KEY_RE.match(line)
        if key:
            index.setdefault((*current, key.group(1)), lineno)
            depth = max(_bracket_balance(line[key.end():]), 0)
    return index


class Problems:
    """Problems of one file, each on a line, rendered as `PATH:LINE: message`."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.items: list[tuple[int, str]] = []

    @cached_property
    def index(self) -> dict[Where, int]:
        # Scanned when a problem first needs its line: a good file, read at every start
        # of the server, never does (the scan of the layout and catalogue took ~10 ms).
        return line_index(self.text)

    def line(self, where: Where) -> int:
        """The line of a key, else of its entry's `code`, else of its table, else 1."""
        for n in range(len(where), 0, -1):
            part = where[:n]
            if isinstance(part[-1], int) and (*part, "code") in self.index:
                return self.index[(*part, "code")]
            if part in self.index:
                return self.index[part]
        return 1

    def entry_line(self, where: Where, code: object) -> int:
        """The line of an entry: its `code = "…"` line, also for inline tables."""
        if (*where, "code") in self.index:
            return self.index[(*where, "code")]
        if isinstance(code, str) and code:
            m = re.search(rf'(?m)\bcode\s*=\s*["\']{re.escape(code)}["\']', self.text)
            if m:
                return self.text.count("\n", 0, m.start()) + 1
        return self.line(where)

    def add(self, line: int, message: str) -> None:
        self.items.append((line, message))

    def at(self, where: Where, message: str) -> None:
        self.add(self.line(where), message)

    def render(self) -> list[str]:
        return [f"{self.path}:{line}: {msg}" for line, msg in sorted(self.items)]


def parse_toml(text: str, path: str) -> tuple[dict[str, Any] | None, list[str]]:
    """The document, or None and the syntax error on its line."""
    try:
        return tomllib.loads(text), []
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        return None, [f"{path}:{m.group(1) if m else 1}: TOML 语法错误 syntax error: {exc}"]


class Table:
    """One TOML table with typed getters that record problems instead of raising."""

    def __init__(self, data: dict[str, Any], where: Where, problems: Problems,
                 known: set[str], what: str = "") -> None:
        self.data = data
        self.where = where
        self.p = problems
        self.suffix = f" in {what}" if what else ""
        for key in data:
            if key not in known:
                problems.at((*where, key), f"未知的键 unknown key '{key}'{self.suffix}")

    def _get(self, key: str, types: tuple[type, ...], tname: str, default: Any,
             required: bool) -> Any:
        if key not in self.data:
            if required:
                self.p.at(self.where, f"缺少 missing required key '{key}'{self.suffix}")
            return default
        value = self.data[key]
        # bool is an int in Python; a file's `true` must not pass for a number.
        if isinstance(value, bool) and bool not in types:
            value = None
        if value is None or not isinstance(value, types):
            self.p.at((*self.where, key), f"'{key}' 应为 should be {tname}")
            return default
        return value

    def str(self, key: str, default: str = "", required: bool = False) -> str:
        value = self._get(key, (str,), "text", default, required)
        if required and key in self.data and isinstance(value, str) and not value.strip():
            self.p.at((*self.where, key), f"'{key}' 不能为空 must not be empty")
        return value

    def int(self, key: str, default: int = 0, required: bool = False, minimum: int = 0) -> int:
        value = self._get(key, (int,), "a whole number", default, required)
        if value < minimum:
            self.p.at((*self.where, key), f"'{key}' 不能小于 must be at least {minimum}")
            return default
        return value

    def float(self, key: str, default: float = 0.0, minimum: float = 0.0) -> float:
        value = float(self._get(key, (int, float), "a number", default, False))
        if value < minimum:
            self.p.at((*self.where, key), f"'{key}' 不能小于 must be at least {minimum}")
            return default
        return value

    def bool(self, key: str, default: bool) -> bool:
        return self._get(key, (bool,), "true or false", default, False)

    def str_list(self, key: str, required: bool = False) -> tuple[str, ...]:
        value = self._get(key, (list,), "a list of text", [], required)
        if not all(isinstance(v, str) for v in value):
            self.p.at((*self.where, key), f"'{key}' 应为文字列表 should be a list of text")
            return ()
        return tuple(value)


def check_code(code: str, where: Where, p: Problems) -> None:
    if code and not CODE_RE.match(code):
        p.at((*where, "code"),
             f"代码只能用小写字母、数字和下划线 code '{code}' must be lower-case a-z, 0-9, _")


def tables(raw: Any, where: Where, name: str, p: Problems) -> list[dict[str, Any]]:
    """An array of tables, or a problem and nothing."""
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        p.at(where, f"'{name}' 应写成 [[{name}]] 表 should be [[{name}]] tables")
        return []
    return raw
