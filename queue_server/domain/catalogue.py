"""The business catalogue: categories of registration business, their items, and the
materials each item needs (the one-time notification list, 一次性告知).

Parsed from TOML (format in docs/catalogue-format.md). Every problem is reported as
`PATH:LINE: message`, Chinese first: the people who edit catalogues are hall
administrators (line finding and typed readers: `toml_source`).

Pure: no I/O beyond reading the file in `load_catalogue` / `check_catalogue_file`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from queue_server.domain.toml_source import (
    CODE_RE,
    Problems,
    Table,
    Where,
    check_code,
    parse_toml,
    tables,
)

_CATALOGUE_KEYS = {"default", "note", "note_en"}
_CATEGORY_KEYS = {"code", "name", "name_en", "order", "items"}
_ITEM_KEYS = {"code", "name", "name_en", "business", "journey", "common", "time_limit_days",
              "materials", "materials_en", "materials_where", "note", "note_en"}


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
    # Where to get each material (a notice of non-acceptance prints it): empty, or one
    # line per material, "" for one the applicant already holds.
    materials_where: tuple[str, ...] = ()


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


# --- parsing ---------------------------------------------------------------------------


def _parse_item(raw: dict[str, Any], where: Where, category: str, p: Problems,
                seen: dict[str, int]) -> CatalogueItem:
    t = Table(raw, where, p, _ITEM_KEYS, "[[categories.items]]")
    code = t.str("code", required=True)
    line = p.entry_line(where, code)
    check_code(code, where, p)
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
    materials_where = _where_list(raw.get("materials_where"), where, code, len(materials), p)
    return CatalogueItem(
        materials_where=materials_where,
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


def _where_list(raw: Any, where: Where, code: str, count: int, p: Problems) -> tuple[str, ...]:
    """`materials_where`: strings, "" allowed (nothing to say for that one)."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        p.at((*where, "materials_where"), f"materials_where of '{code}' 应为字符串列表 should "
                                          "be a list of strings")
        return ()
    if len(raw) != count:
        p.at((*where, "materials_where"),
             f"获取途径应与收件清单逐条对应 materials_where of '{code}' has {len(raw)} "
             f"entries, materials has {count}")
        return ()
    return tuple(x.strip() for x in raw)


def parse_catalogue(text: str, path: str = "<memory>") -> tuple[Catalogue | None, list[str]]:
    """Parse and validate; returns the catalogue (None when invalid) and every problem."""
    doc, syntax = parse_toml(text, path)
    if doc is None:
        return None, syntax
    p = Problems(path, text)
    Table(doc, (), p, {"catalogue", "categories"}, "the catalogue file")

    head_raw = doc.get("catalogue", {})
    if not isinstance(head_raw, dict):
        p.at(("catalogue",), "'catalogue' 应为表 should be a [catalogue] table")
        head_raw = {}
    head = Table(head_raw, ("catalogue",), p, _CATALOGUE_KEYS, "[catalogue]")
    default = head.bool("default", False)
    note, note_en = head.str("note"), head.str("note_en")

    categories: list[Category] = []
    category_lines: dict[str, int] = {}
    orders: dict[int, int] = {}
    item_lines: dict[str, int] = {}
    raw_categories = tables(doc.get("categories", []), ("categories",), "categories", p)
    if not raw_categories and "categories" not in doc:
        p.add(1, "目录没有类别 the catalogue has no [[categories]]")
    for ci, raw in enumerate(raw_categories):
        where: Where = ("categories", ci)
        t = Table(raw, where, p, _CATEGORY_KEYS, "[[categories]]")
        code = t.str("code", required=True)
        line = p.entry_line(where, code)
        check_code(code, where, p)
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
        raw_items = tables(raw.get("items", []), where, "categories.items", p)
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
    catalogue, problems = _parsed(text, path)
    if catalogue is None:
        raise CatalogueError(list(problems))
    return catalogue


@lru_cache(maxsize=4)
def _parsed(text: str, path: str) -> tuple[Catalogue | None, tuple[str, ...]]:
    """The server loads the same file three times as it starts (its items, their limits,
    the kiosk's view): parsed once per text (~20 ms each). A Catalogue is frozen."""
    catalogue, problems = parse_catalogue(text, path)
    return catalogue, tuple(problems)


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
