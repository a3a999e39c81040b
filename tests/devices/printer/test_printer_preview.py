"""PNG previews: saved under test-artifacts/printer/ for people to look at, and checked
by decoding their QR and measuring their size."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from devices.printer.escpos_render import RenderOptions
from devices.printer.preview import MARGIN, materials_preview, ticket_preview
from devices.printer.ticket import MaterialsPrint, TicketPrint

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("paper", [58, 80])
def test_ticket_preview_is_paper_wide_and_its_qr_scans(
    ticket: TicketPrint, artifacts: Path, paper: int
) -> None:
    img = ticket_preview(ticket, RenderOptions.for_paper(paper), SHANGHAI)
    img.save(artifacts / f"ticket-{paper}mm.png")
    assert img.width == {58: 384, 80: 576}[paper] + 2 * MARGIN
    found = zxingcpp.read_barcodes(np.array(img), formats=zxingcpp.BarcodeFormat.QRCode)
    assert [r.text for r in found] == [ticket.follow_url]


def _ink_rows(img: Image.Image) -> np.ndarray:
    return np.flatnonzero((np.array(img) < 128).any(axis=1))


def test_ticket_number_is_the_tallest_line(ticket: TicketPrint) -> None:
    img = ticket_preview(replace(ticket, follow_url=""), RenderOptions.for_paper(58), SHANGHAI)
    rows = _ink_rows(img)
    runs = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1)
    heights = sorted(len(r) for r in runs)
    assert heights[-1] >= 4 * 15  # four-times scaled capitals
    assert heights[-2] * 1.3 < heights[-1]  # clearly taller than the double-height lines


def test_materials_preview_grows_with_the_list(materials: MaterialsPrint, artifacts: Path) -> None:
    short = materials_preview(
        replace(materials, materials=materials.materials[:1]), RenderOptions.for_paper(58)
    )
    full = materials_preview(materials, RenderOptions.for_paper(58))
    full.save(artifacts / "materials-58mm.png")
    materials_preview(materials, RenderOptions.for_paper(80)).save(artifacts / "materials-80mm.png")
    assert full.height > short.height


def test_unprintable_character_shows_as_the_same_box_as_on_paper(
    ticket: TicketPrint, artifacts: Path
) -> None:
    img = ticket_preview(
        replace(ticket, hall_name="𠮷市不动产登记中心"), RenderOptions.for_paper(58), SHANGHAI
    )
    img.save(artifacts / "ticket-gbk-replacement.png")
    same = ticket_preview(
        replace(ticket, hall_name="□市不动产登记中心"), RenderOptions.for_paper(58), SHANGHAI
    )
    assert np.array_equal(np.array(img), np.array(same))
