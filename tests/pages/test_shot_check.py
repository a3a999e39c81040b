"""The screenshot check itself: it fails on a spilled text and a blank page, and passes a
page that fits (else the display and console tests' use of it would prove nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.pages.conftest import checked_screenshot

pytestmark = pytest.mark.browser

FITS = ("<body style='font:32px sans-serif'><h1>综合屏 Hall screen</h1>"
        "<div style='width:400px'>请 A001 号到 3 号窗口 Window 3</div></body>")
SPILLS = ("<body style='font:32px sans-serif'><h1>综合屏</h1><div style='width:120px;"
          "white-space:nowrap;overflow:hidden'>二手房买卖转移登记 second-hand sale</div></body>")


def page_of(open_page: Any, html: str) -> Any:
    return open_page("data:text/html;charset=utf-8," + quote(html), 800, 600)


def test_a_page_that_fits_passes(open_page: Any, tmp_path: Path) -> None:
    checked_screenshot(page_of(open_page, FITS), tmp_path / "fits.png")
    assert (tmp_path / "fits.png").stat().st_size > 0


def test_text_cut_by_its_box_fails(open_page: Any, tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="text outside its box") as err:
        checked_screenshot(page_of(open_page, SPILLS), tmp_path / "spills.png")
    assert "二手房买卖转移登记" in str(err.value)


def test_a_blank_page_fails(open_page: Any, tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="no text"):
        checked_screenshot(page_of(open_page, "<body style='background:#123'></body>"),
                           tmp_path / "blank.png")
    with pytest.raises(AssertionError, match="blank"):
        checked_screenshot(page_of(open_page, "<body style='background:#123;color:#123'>x</body>"),
                           tmp_path / "one-colour.png")
