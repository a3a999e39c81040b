"""The business catalogue: categories of registration business, their items, and the
materials each item needs (the one-time notification list, 一次性告知).

Parsed from TOML (format in docs/catalogue-format.md). Every problem is reported as
`PATH:LINE: message`, Chinese first: the people who edit catalogues are hall
administrators. tomllib keeps no positions, so an entry's line is found in the raw text
as the `code = "…"` line of its `[[categories]]` / `[[categories.items]]` block.

Pure: no I/O beyond reading the file in `load_catalogue` / `check_catalogue_file`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")

_CATALOGUE_KEYS = {"default", "note", "note_en"}
_CATEGORY_KEYS = {"code", "name", "name_en", "order", "items"}
_ITEM_KEYS = {"code", "name", "name_en", "business", "journey", "common", "time_limit_days",
              "materials", "materials_en", "note", "note_en"}


@dataclass(frozen=True)
class CatalogueItem:
    """One business item an applicant can choose on the kiosk."""

    code: str
    name: str
    name_en: str
    category: str  # the code of its category
    business: str  # a business code of the layout whose windows serve it
    materials: tuple[str, ...]  # Chinese, in full sentences
    materials_en: tuple[str, ...] = ()  # empty, or one English line per Chinese one
    journey: str | None = None  # a journey code of the layout
    common: bool = False  # listed first on the kiosk
    time_limit_days: int = 0  # working days; 0 = on the spot or the same day
    note: str = ""
    note_en: str = ""
    line: int = 0  # the line of its `code = "…"` in the source file


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    name_en: str
    order: int
    items: tuple[CatalogueItem, ...]
    line: int = 0


@dataclass(frozen=True)
class Catalogue:
    categories: tuple[Category, ...]  # sorted by `order`
    default: bool = False
    note: str = ""
    note_en: str = ""
    source: str = "<memory>"

    @property
    def items(self) -> tuple[CatalogueItem, ...]:
        return tuple(item for cat in self.categories for item in cat.items)

    def item(self, code: str) -> CatalogueItem | None:
        return next((i for i in self.items if i.code == code), None)

    def common_items(self) -> tuple[CatalogueItem, ...]:
        return tuple(i for i in self.items if i.common)

    def for_businesses(self, business_codes: Iterable[str]) -> Catalogue:
        """The catalogue a hall shows: items whose business it serves; empty categories go."""
        codes = set(business_codes)
        categories = []
        for cat in self.categories:
            items = tuple(i for i in cat.items if i.business in codes)
            if items:
                categories.append(replace(cat, items=items))
        return replace(self, categories=tuple(categories))


class CatalogueError(Exception):
    """An invalid catalogue; `problems` holds every `PATH:LINE: message`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


# --- line numbers ----------------------------------------------------------------------

_HEADER_RE = re.compile(r"^(\[\[?)\s*([A-Za-z0-9_.\-]+)\s*\]\]?\s*(#.*)?$")
_KEY_RE = re.compile(r"^([A-Za-z0-9_\-]+)\s*=")

Where = tuple[Any, ...]


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


def _line_index(text: str) -> dict[Where, int]:
    """Map blocks and keys to lines.

    Keys: `("catalogue",)`, `("catalogue", "note")`, `("categories", 2)`,
    `("categories", 2, "code")`, `("categories", 2, "items", 0)`,
    `("categories", 2, "items", 0, "materials")`, and `(key,)` for top-level keys.
    """
    index: dict[Where, int] = {}
    current: Where = ()
    n_categories = -1
    n_items = -1
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
            array = header.group(1) == "[["
            if array and name == "categories":
                n_categories += 1
                n_items = -1
                current = ("categories", n_categories)
            elif array and name == "categories.items":
                n_items += 1
                current = ("categories", max(n_categories, 0), "items", n_items)
            else:
                current = tuple(name.split("."))
            index.setdefault(current, lineno)
            continue
        key = _KEY_RE.match(line)
        if key:
            index.setdefault((*current, key.group(1)), lineno)
            depth = max(_bracket_balance(line[key.end():]), 0)
    return index


class _Problems:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.index = _line_index(text)
        self.items: list[tuple[int, str]] = []

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
        """The line of an entry: its `code = "…"` line, found in the raw text."""
        if (*where, "code") in self.index:
            return self.index[(*where, "code")]
        if isinstance(code, str) and code:
            # Entries written as inline tables have no block: search for the code itself.
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


# --- typed field readers ---------------------------------------------------------------


class _Table:
    """One TOML table with typed getters that record problems instead of raising."""

    def __init__(self, data: dict[str, Any], where: Where, problems: _Problems,
                 known: set[str], what: str) -> None:
        self.data = data
        self.where = where
        self.p = problems
        self.what = what
        for key in data:
            if key not in known:
                problems.at((*where, key), f"未知的键 unknown key '{key}' in {what}")

    def _get(self, key: str, types: tuple[type, ...], tname: str, default: Any,
             required: bool) -> Any:
        if key not in self.data:
            if required:
                self.p.at(self.where, f"缺少 missing required key '{key}' in {self.what}")
            return default
        value = self.data[key]
        # bool is an int in Python; `true` must not pass for a number.
        if isinstance(value, bool) and bool not in types:
            value = None
        if value is None or not isinstance(value, types):
            self.p.at((*self.where, key), f"'{key}' 应为 should be {tname}")
            return default
        return value

    def str(self, key: str, required: bool = False) -> str:
        value = self._get(key, (str,), "text", "", required)
        if required and key in self.data and isinstance(value, str) and not value.strip():
            self.p.at((*self.where, key), f"'{key}' 不能为空 must not be empty")
        return value

    def int(self, key: str, default: int = 0, required: bool = False) -> int:
        value = self._get(key, (int,), "a whole number", default, required)
        if value < 0:
            self.p.at((*self.where, key), f"'{key}' 不能为负数 must not be negative")
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


def _check_code(code: str, where: Where, p: _Problems) -> None:
    if code and not CODE_RE.match(code):
        p.at((*where, "code"),
             f"代码只能用小写字母、数字和下划线 code '{code}' must be lower-case a-z, 0-9, _")


def _tables(raw: Any, where: Where, name: str, p: _Problems) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        p.at(where, f"'{name}' 应写成 [[{name}]] 表 should be [[{name}]] tables")
        return []
    return raw


# --- parsing ---------------------------------------------------------------------------


def _parse_item(raw: dict[str, Any], where: Where, category: str, p: _Problems,
                seen: dict[str, int]) -> CatalogueItem:
    t = _Table(raw, where, p, _ITEM_KEYS, "[[categories.items]]")
    code = t.str("code", required=True)
    line = p.entry_line(where, code)
    _check_code(code, where, p)
    if code and code in seen:
        p.add(line, f"事项代码重复 duplicate item code '{code}' (first on line {seen[code]})")
    elif code:
        seen[code] = line
    business = t.str("business", required=True)
    if business and not CODE_RE.match(business):
        p.at((*where, "business"), f"业务代码格式错误 business '{business}' is not a code")
    journey = (t.str("journey") or None) if "journey" in raw else None
    if journey is not None and not CODE_RE.match(journey):
        p.at((*where, "journey"), f"流程代码格式错误 journey '{journey}' is not a code")
    materials = t.str_list("materials", required=True)
    if raw.get("materials") == []:
        p.at((*where, "materials"), f"收件清单为空 item '{code}' lists no materials")
    if any(not m.strip() for m in materials):
        p.at((*where, "materials"), f"收件清单中有空项 materials of '{code}' has an empty entry")
    materials_en = t.str_list("materials_en")
    if materials_en and len(materials_en) != len(materials):
        p.at((*where, "materials_en"),
             f"英文清单应与中文逐条对应 materials_en of '{code}' has {len(materials_en)} "
             f"entries, materials has {len(materials)}")
    return CatalogueItem(
        code=code,
        name=t.str("name", required=True),
        name_en=t.str("name_en"),
        category=category,
        business=business,
        materials=materials,
        materials_en=materials_en,
        journey=journey,
        common=t.bool("common", False),
        time_limit_days=t.int("time_limit_days", 0, required=True),
        note=t.str("note"),
        note_en=t.str("note_en"),
        line=line,
    )


def parse_catalogue(text: str, path: str = "<memory>") -> tuple[Catalogue | None, list[str]]:
    """Parse and validate; returns the catalogue (None when invalid) and every problem."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        return None, [f"{path}:{m.group(1) if m else 1}: TOML 语法错误 syntax error: {exc}"]
    p = _Problems(path, text)
    _Table(doc, (), p, {"catalogue", "categories"}, "the catalogue file")

    head_raw = doc.get("catalogue", {})
    if not isinstance(head_raw, dict):
        p.at(("catalogue",), "'catalogue' 应为表 should be a [catalogue] table")
        head_raw = {}
    head = _Table(head_raw, ("catalogue",), p, _CATALOGUE_KEYS, "[catalogue]")
    default = head.bool("default", False)
    note, note_en = head.str("note"), head.str("note_en")

    categories: list[Category] = []
    category_lines: dict[str, int] = {}
    orders: dict[int, int] = {}
    item_lines: dict[str, int] = {}
    raw_categories = _tables(doc.get("categories", []), ("categories",), "categories", p)
    if not raw_categories and "categories" not in doc:
        p.add(1, "目录没有类别 the catalogue has no [[categories]]")
    for ci, raw in enumerate(raw_categories):
        where: Where = ("categories", ci)
        t = _Table(raw, where, p, _CATEGORY_KEYS, "[[categories]]")
        code = t.str("code", required=True)
        line = p.entry_line(where, code)
        _check_code(code, where, p)
        if code and code in category_lines:
            p.add(line, f"类别代码重复 duplicate category code '{code}' "
                        f"(first on line {category_lines[code]})")
        elif code:
            category_lines[code] = line
        order = t.int("order", ci + 1) if "order" in raw else ci + 1
        if "order" in raw and order in orders:
            p.at((*where, "order"), f"类别顺序重复 duplicate category order {order} "
                                    f"(also on line {orders[order]})")
        orders.setdefault(order, p.line((*where, "order")))
        raw_items = _tables(raw.get("items", []), where, "categories.items", p)
        items = tuple(_parse_item(item, (*where, "items", ii), code, p, item_lines)
                      for ii, item in enumerate(raw_items))
        if not items and "items" not in raw:
            p.add(line, f"类别 '{code}' 没有事项 category '{code}' has no [[categories.items]]")
        categories.append(Category(code=code, name=t.str("name", required=True),
                                   name_en=t.str("name_en"), order=order, items=items,
                                   line=line))

    problems = p.render()
    if problems:
        return None, problems
    categories.sort(key=lambda c: c.order)
    return Catalogue(tuple(categories), default=default, note=note, note_en=note_en,
                     source=path), []


def _read(path: str) -> tuple[str | None, list[str]]:
    try:
        return Path(path).read_text(encoding="utf-8"), []
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"{path}:1: 无法读取业务目录 cannot read the catalogue: {exc}"]


def check_catalogue_file(path: str | Path) -> list[str]:
    """Every problem of the catalogue file as `PATH:LINE: message`; empty when valid."""
    path = str(path)
    text, problems = _read(path)
    if text is None:
        return problems
    return parse_catalogue(text, path)[1]


def load_catalogue(path: str | Path) -> Catalogue:
    """Load a valid catalogue or raise CatalogueError with every problem."""
    path = str(path)
    text, problems = _read(path)
    if text is None:
        raise CatalogueError(problems)
    catalogue, problems = parse_catalogue(text, path)
    if catalogue is None:
        raise CatalogueError(problems)
    return catalogue


def check_catalogue(catalogue: Catalogue, layout_business_codes: Iterable[str],
                    layout_journey_codes: Iterable[str] | None = None) -> list[str]:
    """Items naming a business (or, when journeys are given, a journey) the layout lacks.

    For the hall a catalogue was written for this must be empty. For a smaller hall the
    items listed are the ones its kiosk hides (`Catalogue.for_businesses`).
    """
    businesses = set(layout_business_codes)
    journeys = None if layout_journey_codes is None else set(layout_journey_codes)
    problems: list[tuple[int, str]] = []
    for item in catalogue.items:
        if item.business not in businesses:
            problems.append((item.line, f"事项 '{item.code}' 的业务不在布局中 item '{item.code}' "
                                        f"names business '{item.business}', which the layout lacks"))
        if journeys is not None and item.journey is not None and item.journey not in journeys:
            problems.append((item.line, f"事项 '{item.code}' 的联办流程不在布局中 item '{item.code}' "
                                        f"names journey '{item.journey}', which the layout lacks"))
    return [f"{catalogue.source}:{line}: {msg}" for line, msg in sorted(problems)]
