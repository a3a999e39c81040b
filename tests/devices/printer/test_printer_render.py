"""ESC/POS bytes from python-escpos's Dummy: the parts a printer acts on, byte for byte."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import zxingcpp
from escpos.printer import Dummy

from devices.printer.escpos_render import (
    REPLACEMENT,
    RenderOptions,
    encode_text,
    render_materials,
    render_ticket,
)
from devices.printer.ticket import TicketPrint, text_width, wrap
from tests.devices.printer.escpos_text import read_job

SHANGHAI = ZoneInfo("Asia/Shanghai")
INIT = b"\x1b@"
CHINESE_MODE = b"\x1c&"
GS_SIZE = b"\x1d!"
CUT = b"\x1bd\x06\x1dV\x00"  # feed 6 lines, full cut


def render(ticket: TicketPrint, profile: str | None = None, **options: object) -> bytes:
    return render_options(ticket, RenderOptions.for_paper(58, **options), profile)


def render_options(ticket: TicketPrint, options: RenderOptions, profile: str | None = None) -> bytes:
    printer = Dummy(profile=profile)
    render_ticket(printer, ticket, options, SHANGHAI)
    return printer.output


def test_job_starts_with_init_and_chinese_mode_and_ends_with_cut(ticket: TicketPrint) -> None:
    out = render(ticket)
    assert out.startswith(INIT + CHINESE_MODE)
    assert out.endswith(CUT)


def test_printer_without_cutter_gets_the_feed_but_no_cut_command(ticket: TicketPrint) -> None:
    out = render(ticket, profile="POS-5890")
    assert out.endswith(b"\x1bd\x06")
    assert b"\x1dV" not in out


def test_business_name_is_gbk_in_double_height(ticket: TicketPrint) -> None:
    out = render(ticket)
    name = "二手房转移登记".encode("gbk")
    assert name == b"\xb6\xfe\xca\xd6\xb7\xbf\xd7\xaa\xd2\xc6\xb5\xc7\xbc\xc7"
    assert GS_SIZE + b"\x01" + name + b"\n" + GS_SIZE + b"\x00" in out


def test_ticket_number_is_big_and_size_is_reset_after(ticket: TicketPrint) -> None:
    out = render(ticket)
    # GS ! 0x33: four times wide and high; GS ! 0x00 back to normal before the next line.
    assert b"\x1bE\x01" + GS_SIZE + b"\x33A001\n" + GS_SIZE + b"\x00\x1bE\x00" in out


def test_number_scale_two_is_double_width_and_height(ticket: TicketPrint) -> None:
    assert GS_SIZE + b"\x11A001\n" in render(ticket, number_scale=2)


def test_full_width_punctuation_alone_is_not_question_marks(ticket: TicketPrint) -> None:
    # python-escpos's text() turns exactly this into b"???".
    assert encode_text("，（）", "gbk") == b"\xa3\xac\xa3\xa8\xa3\xa9"
    out = render(replace(ticket, notice="（，）"))
    assert b"\xa3\xa8\xa3\xac\xa3\xa9\n" in out
    assert b"???" not in out


def test_wait_range_people_ahead_and_local_time(ticket: TicketPrint) -> None:
    out = render(ticket)
    assert "您前面还有 12 人".encode("gbk") in out
    assert "预计等候：约 10–20 分钟".encode("gbk") in out
    assert "取号时间：2024-05-01 09:30".encode("gbk") in out  # 01:30 UTC in Shanghai


def test_time_after_local_midnight_prints_the_local_date(ticket: TicketPrint) -> None:
    late = replace(ticket, issued_at=datetime(2024, 5, 1, 16, 5, tzinfo=UTC))
    assert "2024-05-02 00:05".encode("gbk") in render(late)


def test_unknown_wait_and_nobody_ahead(ticket: TicketPrint) -> None:
    out = render(replace(ticket, expected_wait=None, people_ahead=0))
    assert "暂无法估算".encode("gbk") in out
    assert "您前面没有人在等候".encode("gbk") in out


def test_gbk_printer_gets_a_box_for_a_character_outside_gbk(ticket: TicketPrint) -> None:
    out = render(replace(ticket, hall_name="𠮷市不动产登记中心"))
    assert REPLACEMENT.encode("gbk") + "市".encode("gbk") in out
    assert "𠮷".encode("gb18030") not in out


def test_gb18030_printer_gets_the_four_byte_character(ticket: TicketPrint) -> None:
    out = render(replace(ticket, hall_name="𠮷市不动产登记中心"), encoding="gb18030")
    assert b"\x954\xb25" + "市".encode("gb18030") in out


def test_euro_sign_is_not_sent_as_the_cp936_single_byte() -> None:
    assert encode_text("€5", "gbk") == REPLACEMENT.encode("gbk") + b"5"


def test_control_characters_in_data_cannot_inject_commands(ticket: TicketPrint) -> None:
    out = render(replace(ticket, hall_name="大厅\x1d\x56\x00"))
    assert "大厅".encode("gbk") + b" V \n" in out


def test_native_qr_carries_the_follow_url(ticket: TicketPrint) -> None:
    out = render(ticket, qr="native")
    url = ticket.follow_url.encode()
    store = b"\x1d(k" + (len(url) + 3).to_bytes(2, "little") + b"1P0" + url
    assert store in out
    assert b"\x1d(k\x03\x001Q0" in out  # print the stored symbol
    assert b"\x1dv0" not in out


def _raster_images(out: bytes) -> list[np.ndarray]:
    images = []
    for m in re.finditer(rb"\x1dv0\x00(..)(..)", out, re.S):
        width_bytes = int.from_bytes(m.group(1), "little")
        height = int.from_bytes(m.group(2), "little")
        data = out[m.end() : m.end() + width_bytes * height]
        bits = np.unpackbits(np.frombuffer(data, np.uint8)).reshape(height, width_bytes * 8)
        images.append(np.where(bits == 1, 0, 255).astype(np.uint8))
    return images


def test_image_qr_is_a_raster_that_decodes_to_the_follow_url(ticket: TicketPrint) -> None:
    out = render(ticket, qr="image")
    assert b"\x1d(k" not in out
    (raster,) = _raster_images(out)
    framed = np.pad(raster, 40, constant_values=255)
    found = zxingcpp.read_barcodes(framed, formats=zxingcpp.BarcodeFormat.QRCode)
    assert [r.text for r in found] == [ticket.follow_url]


def test_materials_slip_has_heading_and_numbered_wrapped_items(materials) -> None:
    printer = Dummy()
    render_materials(printer, materials, RenderOptions.for_paper(58))
    out = printer.output
    assert out.startswith(INIT + CHINESE_MODE) and out.endswith(CUT)
    assert GS_SIZE + b"\x01" + "一次性告知单".encode("gbk") + b"\n" in out
    assert "1. 不动产权证书原件（或不动产登".encode("gbk") + b"\n" in out
    assert b"\n   " + "记证明）".encode("gbk") + b"\n" in out  # hanging indent under the text
    assert "4. 契税完税凭证".encode("gbk") in out


def test_naive_issue_time_is_refused(ticket: TicketPrint) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        replace(ticket, issued_at=datetime(2024, 5, 1, 9, 30))


@pytest.mark.parametrize("wait", [(20, 10), (-1, 5)])
def test_inverted_or_negative_wait_is_refused(ticket: TicketPrint, wait: tuple[int, int]) -> None:
    with pytest.raises(ValueError):
        replace(ticket, expected_wait=wait)


def test_wrap_keeps_words_and_does_not_start_a_line_with_punctuation() -> None:
    assert wrap("Second-hand housing transfer registration", 32) == [
        "Second-hand housing transfer",
        "registration",
    ]
    lines = wrap("一二三四五六七八九十一二三四五六，七", 32)  # 16 characters fill 32 columns
    assert lines == ["一二三四五六七八九十一二三四五", "六，七"]
    assert all(not ln.startswith("，") for ln in lines)


# The kiosk's notice on a green-channel ticket (kiosk/ticketing.py).
GREEN_NOTICE = "绿色通道优先办理。请留意叫号，过号请到咨询台"


def test_a_slip_keeps_the_desk_whole_as_the_kiosk_screen_does(ticket: TicketPrint) -> None:
    """On a TM-T88V (42 columns) the green ticket read "…过号请到咨询" / "台": an elderly
    applicant looked for a 台. The printer wraps by the kiosk's rule (hallrules.wrapping)."""
    assert wrap(GREEN_NOTICE, 42) == ["绿色通道优先办理。请留意叫号，过号请到", "咨询台"]
    out = render_options(replace(ticket, notice=GREEN_NOTICE), RenderOptions(columns=42))
    lines = [ln.text for ln in read_job(out).lines]
    assert lines[-2:] == ["绿色通道优先办理。请留意叫号，过号请到", "咨询台"]
    # Under a numbered item's hanging indent too, and no character left alone at the end.
    assert wrap("材料不全的，请先到咨询台核对", 21, indent=3) == ["材料不全的，请先到", "   咨询台核对"]
    assert wrap("1. 不动产登记申请书（原件1份，买卖双方签字）。", 42, indent=3) == [
        "1. 不动产登记申请书（原件1份，买卖双方", "   签字）。"]


def test_an_indented_item_never_runs_past_the_paper() -> None:
    """A URL or a notice number that fits a line but not the indented one was printed past
    the edge, where the printer breaks it wherever it likes."""
    for text in ("1. 详见 https://hall.example.cn/t/8f3a9c2d1e0b4a5f/and/more/path 办理",
                 "编号：HY01-20261206-0003"):
        for columns in range(16, 65):
            lines = wrap(text, columns, indent=3)
            assert all(text_width(ln) <= columns for ln in lines), (columns, lines)
            assert not any(ln.endswith(" ") for ln in lines), lines
            assert "".join(lines).replace(" ", "") == text.replace(" ", ""), lines
