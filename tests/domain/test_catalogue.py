"""The default business catalogue and the catalogue parser's PATH:LINE problems."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from queue_server.domain.catalogue import (
    Catalogue,
    CatalogueError,
    check_catalogue,
    check_catalogue_file,
    load_catalogue,
    parse_catalogue,
)
from tests.conftest import REPO

LAYOUTS = REPO / "layouts"
CATALOGUE = LAYOUTS / "catalogue.toml"


def layout_codes(name: str) -> tuple[set[str], set[str]]:
    """Business and journey codes of a layout, read straight from its TOML."""
    with open(LAYOUTS / name, "rb") as f:
        doc = tomllib.load(f)
    return {b["code"] for b in doc["businesses"]}, {j["code"] for j in doc["journeys"]}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(CATALOGUE)


# --- the default catalogue -------------------------------------------------------------


def test_default_catalogue_has_13_categories_and_55_items(catalogue: Catalogue) -> None:
    assert catalogue.default is True
    assert len(catalogue.categories) == 13
    assert len(catalogue.items) == 55
    assert check_catalogue_file(CATALOGUE) == []


def test_codes_and_names_are_unique(catalogue: Catalogue) -> None:
    category_codes = [c.code for c in catalogue.categories]
    item_codes = [i.code for i in catalogue.items]
    assert len(set(category_codes)) == len(category_codes)
    assert len(set(item_codes)) == len(item_codes)
    assert len({i.name for i in catalogue.items}) == len(item_codes)
    assert [c.order for c in catalogue.categories] == list(range(1, 14))


def test_the_national_registration_types_are_all_there(catalogue: Catalogue) -> None:
    assert {c.code for c in catalogue.categories} == {
        "first", "transfer", "change", "cancellation", "correction", "objection",
        "pre_notice", "seizure", "mortgage", "easement", "residence", "query", "certificate"}


def test_every_item_is_bilingual_with_a_real_materials_list(catalogue: Catalogue) -> None:
    for cat in catalogue.categories:
        assert cat.name and cat.name_en, cat.code
        assert cat.items, cat.code
    for item in catalogue.items:
        assert item.name and item.name_en, item.code
        assert len(item.materials) >= 2, item.code
        assert len(item.materials_en) == len(item.materials), item.code
        assert all(len(m) >= 8 for m in item.materials), item.code
        assert all(m.strip() for m in item.materials_en), item.code
        assert 0 <= item.time_limit_days <= 30, item.code  # 30 working days: the statutory cap
        assert bool(item.note) == bool(item.note_en), item.code


def test_every_item_names_a_business_and_journey_of_hengyang(catalogue: Catalogue) -> None:
    businesses, journeys = layout_codes("hengyang.toml")
    assert check_catalogue(catalogue, businesses, journeys) == []
    assert {i.business for i in catalogue.items} <= businesses


def test_the_small_hall_shows_a_useful_subset(catalogue: Catalogue) -> None:
    businesses, _ = layout_codes("small.toml")
    hengyang, _ = layout_codes("hengyang.toml")
    assert businesses <= hengyang
    shown = catalogue.for_businesses(businesses)
    assert 10 <= len(shown.items) < len(catalogue.items)
    assert all(i.business in businesses for i in shown.items)
    assert all(c.items for c in shown.categories)
    hidden = check_catalogue(catalogue, businesses)
    assert len(hidden) == len(catalogue.items) - len(shown.items)
    assert all("which the layout lacks" in p for p in hidden)


def test_common_items_lead_the_kiosk(catalogue: Catalogue) -> None:
    common = {i.code for i in catalogue.common_items()}
    assert {"second_hand_sale", "mortgage_general", "mortgage_cancel", "cert_collect",
            "inheritance", "query_owner"} <= common
    assert len(common) <= 15
    assert catalogue.item("second_hand_sale").journey == "second_hand_sale"  # type: ignore[union-attr]


def test_item_lines_point_at_their_code(catalogue: Catalogue) -> None:
    lines = CATALOGUE.read_text(encoding="utf-8").splitlines()
    for item in catalogue.items:
        assert lines[item.line - 1] == f'code = "{item.code}"'
    for cat in catalogue.categories:
        assert lines[cat.line - 1] == f'code = "{cat.code}"'


# --- a broken catalogue ----------------------------------------------------------------

GOOD = """\
# a tiny catalogue
[catalogue]
default = false
note = "测试"

[[categories]]
code = "transfer"
name = "转移登记"
name_en = "Transfer registration"
order = 1

[[categories.items]]
code = "sale"
name = "买卖"
name_en = "Sale"
business = "second_hand"
time_limit_days = 5
materials = [
  "申请书（原件1份）。",
  "身份证原件及复印件1份。",
]

[[categories.items]]
code = "gift"
name = "赠与"
name_en = "Gift"
business = "second_hand"
journey = "second_hand_sale"
common = true
time_limit_days = 5
materials = ["申请书（原件1份）。", "赠与合同原件。"]
materials_en = ["Application form (1 original).", "Original gift contract."]
"""


def line_of(text: str, needle: str, nth: int = 1) -> int:
    hits = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[nth - 1]


def code_line(text: str, code: str, nth: int = 1) -> int:
    return line_of(text, f'code = "{code}"', nth)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalogue.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_good_sample_parses(tmp_path: Path) -> None:
    cat = load_catalogue(write(tmp_path, GOOD))
    assert [i.code for i in cat.items] == ["sale", "gift"]
    assert cat.item("gift").common and cat.item("gift").journey == "second_hand_sale"  # type: ignore[union-attr]
    assert cat.item("sale").materials_en == ()  # type: ignore[union-attr]
    assert cat.item("sale").line == line_of(GOOD, 'code = "sale"')  # type: ignore[union-attr]


def test_unknown_business_is_reported_on_the_items_code_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('business = "second_hand"\njourney',
                                        'business = "nosuch"\njourney'))
    cat = load_catalogue(path)
    assert check_catalogue(cat, {"second_hand"}) == [
        f"{path}:{code_line(GOOD, 'gift')}: 事项 'gift' 的业务不在布局中 "
        "item 'gift' names business 'nosuch', which the layout lacks"]
    assert check_catalogue(cat, {"second_hand", "nosuch"}, {"other"}) == [
        f"{path}:{code_line(GOOD, 'gift')}: 事项 'gift' 的联办流程不在布局中 "
        "item 'gift' names journey 'second_hand_sale', which the layout lacks"]


def test_duplicate_item_code(tmp_path: Path) -> None:
    text = GOOD.replace('code = "gift"', 'code = "sale"')
    path = write(tmp_path, text)
    with pytest.raises(CatalogueError) as err:
        load_catalogue(path)
    assert err.value.problems == [
        f"{path}:{code_line(text, 'sale', 2)}: 事项代码重复 duplicate item code 'sale' "
        f"(first on line {code_line(text, 'sale')})"]


def test_missing_materials_points_at_the_items_code(tmp_path: Path) -> None:
    text = GOOD.replace('materials = ["申请书（原件1份）。", "赠与合同原件。"]\n', "").replace(
        'materials_en = ["Application form (1 original).", "Original gift contract."]\n', "")
    path = write(tmp_path, text)
    assert check_catalogue_file(path) == [
        f"{path}:{code_line(text, 'gift')}: "
        "缺少 missing required key 'materials' in [[categories.items]]"]


def test_wrong_types_unknown_keys_and_bad_codes(tmp_path: Path) -> None:
    text = (GOOD.replace("time_limit_days = 5\nmaterials = [\n", 'time_limit_days = "five"\n'
                         "materials = [\n")
            .replace('name_en = "Gift"', 'name_en = "Gift"\nprice = 80')
            .replace('code = "transfer"', 'code = "Transfer"'))
    path = write(tmp_path, text)
    assert check_catalogue_file(path) == [
        f"{path}:{line_of(text, 'Transfer')}: 代码只能用小写字母、数字和下划线 "
        "code 'Transfer' must be lower-case a-z, 0-9, _",
        f"{path}:{line_of(text, 'five')}: 'time_limit_days' 应为 should be a whole number",
        f"{path}:{line_of(text, 'price')}: 未知的键 unknown key 'price' in [[categories.items]]",
    ]


def test_mismatched_english_materials_and_empty_materials(tmp_path: Path) -> None:
    text = (GOOD.replace('"Original gift contract."]', '"Original gift contract.", "Extra."]')
            .replace('materials = [\n  "申请书（原件1份）。",\n  "身份证原件及复印件1份。",\n]',
                     "materials = [\n]"))
    path = write(tmp_path, text)
    assert check_catalogue_file(path) == [
        f"{path}:{line_of(text, 'materials = [')}: 收件清单为空 item 'sale' lists no materials",
        f"{path}:{line_of(text, 'Extra')}: 英文清单应与中文逐条对应 materials_en of 'gift' "
        "has 3 entries, materials has 2",
    ]


def test_duplicate_category_code_and_order(tmp_path: Path) -> None:
    text = GOOD + '\n[[categories]]\ncode = "transfer"\nname = "又一类"\norder = 1\n' \
        '[[categories.items]]\ncode = "x"\nname = "X"\nbusiness = "b"\ntime_limit_days = 0\n' \
        'materials = ["a", "b"]\n'
    path = write(tmp_path, text)
    assert check_catalogue_file(path) == [
        f"{path}:{code_line(text, 'transfer', 2)}: 类别代码重复 duplicate category "
        f"code 'transfer' (first on line {code_line(text, 'transfer')})",
        f"{path}:{line_of(text, 'order = 1', 2)}: 类别顺序重复 duplicate category order 1 "
        f"(also on line {line_of(text, 'order = 1')})",
    ]


def test_toml_syntax_error_reports_its_line(tmp_path: Path) -> None:
    text = GOOD.replace('name = "赠与"', 'name = "赠与')
    path = write(tmp_path, text)
    out = check_catalogue_file(path)
    assert len(out) == 1
    broken = line_of(text, 'name = "赠与')
    assert out[0].startswith(f"{path}:{broken}: TOML 语法错误 syntax error")


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    assert check_catalogue_file(path)[0].startswith(f"{path}:1: 无法读取业务目录")
    with pytest.raises(CatalogueError):
        load_catalogue(path)


def test_parse_from_text_without_a_file() -> None:
    cat, problems = parse_catalogue(GOOD, "inline.toml")
    assert problems == [] and cat is not None
    assert cat.source == "inline.toml"
    assert cat.categories[0].items[1].category == "transfer"
