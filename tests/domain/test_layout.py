"""Every class of layout problem is reported with the line it is on."""

from pathlib import Path

import pytest

from queue_server.domain.layout import LayoutError, check_layout_file, load_layout, parse_layout
from tests.conftest import FIXTURES

GOOD = (FIXTURES / "mini.toml").read_text(encoding="utf-8")


def problems(text: str) -> list[str]:
    return parse_layout(text, "hall.toml")[1]


def line_of(text: str, needle: str, nth: int = 1) -> int:
    lines = text.splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if needle in line]
    return hits[nth - 1]


def test_the_fixture_is_valid():
    assert problems(GOOD) == []
    layout = load_layout(FIXTURES / "mini.toml")
    assert layout.windows[1].businesses == ("transfer", "mortgage")
    assert layout.hall.clear_time.hour == 19


def test_unknown_business_on_a_window():
    text = GOOD.replace('businesses = ["tax"]', 'businesses = ["tax", "nosuch"]')
    assert problems(text) == [
        f"hall.toml:{line_of(text, 'nosuch')}: 窗口 3 的未知业务 unknown business 'nosuch'"]


def test_duplicate_window():
    text = GOOD.replace("number = 2\n", "number = 1\n")
    out = problems(text)
    assert out == [f"hall.toml:{line_of(text, 'number = 1', 2)}: 窗口号重复 duplicate window 1"]


def test_business_no_open_window_serves():
    # Window 3 is the only one serving tax; closing it leaves tax (and the journey) orphaned.
    text = GOOD.replace('businesses = ["tax"]\n', 'businesses = ["tax"]\nopen = false\n')
    out = problems(text)
    tax_line = line_of(text, 'code = "tax"')
    assert f"hall.toml:{tax_line}: 没有开放的前台窗口办理业务 no open front window serves business 'tax'" in out
    assert any("journey step 'tax'" in p and p.startswith(f"hall.toml:{line_of(text, 'steps =')}:")
               for p in out)


def test_bad_and_duplicate_prefix():
    text = GOOD.replace('prefix = "B"', 'prefix = "b1"').replace('prefix = "T"', 'prefix = "A"')
    out = problems(text)
    assert any(p.startswith(f"hall.toml:{line_of(text, 'b1')}:") and "prefix 'b1'" in p for p in out)
    second_a = line_of(text, 'prefix = "A"', 2)
    assert any(p.startswith(f"hall.toml:{second_a}:") and "duplicate prefix" in p for p in out)


def test_journey_step_nobody_serves():
    text = GOOD.replace('steps = ["tax", "transfer"]', 'steps = ["tax", "ghost"]')
    assert problems(text) == [
        f"hall.toml:{line_of(text, 'ghost')}: 流程步骤的未知业务 journey step 'ghost' is not a business"]


def test_syntax_error_names_its_line():
    text = GOOD.replace('name_en = "Mortgage"', 'name_en = "Mortgage')
    (out,) = problems(text)
    assert out.startswith(f"hall.toml:{line_of(text, 'name_en = ' + chr(34) + 'Mortgage')}: TOML")


def test_unknown_key_wrong_type_and_bad_zone():
    text = (GOOD.replace("daily_cap = 5", "daily_cap = \"five\"")
            .replace("green_channel = true", "green_chanel = true")
            .replace('timezone = "Asia/Shanghai"', 'timezone = "Mars/Base"'))
    out = problems(text)
    assert f"hall.toml:{line_of(text, 'daily_cap')}: 'daily_cap' 应为 should be a whole number" in out
    assert f"hall.toml:{line_of(text, 'green_chanel')}: 未知的键 unknown key 'green_chanel'" in out
    assert f"hall.toml:{line_of(text, 'Mars')}: 未知时区 unknown time zone 'Mars/Base'" in out


def test_problems_come_sorted_and_all_at_once():
    text = GOOD.replace('businesses = ["tax"]', 'businesses = ["nosuch"]').replace(
        "number = 2\n", "number = 1\n")
    out = problems(text)
    lines = [int(p.split(":")[1]) for p in out]
    assert lines == sorted(lines) and len(out) >= 3


def test_load_layout_raises_with_every_problem(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace("number = 2\n", "number = 1\n"), encoding="utf-8")
    with pytest.raises(LayoutError) as err:
        load_layout(bad)
    assert err.value.problems[0].startswith(f"{bad}:")
    assert check_layout_file(tmp_path / "missing.toml")[0].startswith(f"{tmp_path / 'missing.toml'}:1:")


def test_the_hall_code_is_required_and_checked():
    assert load_layout(FIXTURES / "mini.toml").hall.code == "MINI"
    missing = GOOD.replace('code = "MINI"\n', "", 1)
    out = problems(missing)
    assert len(out) == 1 and out[0].startswith("hall.toml:") and "'code'" in out[0], out
    for bad in ("hy01", "1HY", "H", "HY-01", "HENGYANG01"):
        text = GOOD.replace('code = "MINI"', f'code = "{bad}"', 1)
        assert problems(text) == [
            f"hall.toml:{line_of(text, bad)}: 大厅代码应为 2–8 位大写字母或数字、以字母开头（如 HY01），"
            f"不能是 '{bad}' / the hall code is 2 to 8 capital letters or digits starting with a "
            f"letter (like HY01), not '{bad}'"], bad


def test_every_shipped_layout_has_its_own_code():
    codes = [load_layout(p).hall.code for p in sorted((FIXTURES.parent.parent / "layouts").glob("*.toml"))
             if "[hall]" in p.read_text(encoding="utf-8")]
    assert codes and len(codes) == len(set(codes))


def test_a_zone_with_its_own_screen_needs_a_front_window():
    # Issue 15: a zone may have its own hall screen and speaker, announcing only its calls.
    own = GOOD.replace('name_en = "Front"\n', 'name_en = "Front"\nown_screen = true\n')
    assert problems(own) == []
    assert parse_layout(own, "hall.toml")[0].zones["front"].own_screen
    assert not load_layout(FIXTURES / "mini.toml").zones["front"].own_screen
    # A zone of back-office windows only: its screen would never call anyone.
    back = own.replace('name_en = "Front"\nown_screen = true\n',
                       'name_en = "Front"\n\n[[zones]]\ncode = "office"\nname = "后台"\n'
                       'own_screen = true\n').replace(
        'number = 5\nzone = "front"', 'number = 5\nzone = "office"')
    assert problems(back) == [
        f"hall.toml:{line_of(back, 'own_screen')}: 区域 'office' 设有独立叫号屏，但没有前台窗口 "
        "zone 'office' has its own screen but no front window to call from"]
    typo = GOOD.replace('name_en = "Front"\n', 'name_en = "Front"\nown_screen = "yes"\n')
    assert any("own_screen" in p and "true or false" in p for p in problems(typo))
