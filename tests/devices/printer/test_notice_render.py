"""不予受理告知单 on a thermal printer: the bytes python-escpos writes, read back by an
independent reader (escpos_text.py), and the preview PNG a person looks at."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from escpos.printer import Dummy

from devices.printer import NoticeMaterialPrint, NoticePrint, from_config
from devices.printer.escpos_render import RenderOptions, render_notice
from devices.printer.preview import notice_preview
from tests.devices.printer.escpos_text import read_job

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOTICE = NoticePrint(
    hall_name="衡阳市不动产登记中心",
    no="HY01-20261206-0003",
    item_name="二手房转移登记",
    ticket_number="A017",
    missing=(NoticeMaterialPrint("不动产登记申请书（原件1份，买卖双方签字）。",
                                 "大厅咨询台领取，或网上预申请后打印"),
             NoticeMaterialPrint("契税完税凭证原件。")),
    issued_at=datetime(2026, 12, 6, 7, 5, tzinfo=UTC),  # 15:05 in Shanghai
    staff="1024",
    note="买方身份证复印件不清晰",
    window=3,
)


def job(notice: NoticePrint = NOTICE, paper: int = 80, **options: object) -> bytes:
    printer = Dummy()
    render_notice(printer, notice, RenderOptions.for_paper(paper, **options), SHANGHAI)
    return printer.output


def test_the_notice_prints_everything_the_applicant_needs_in_gbk():
    out = read_job(job())
    assert out.inits == 1 and out.cuts == 1 and out.chinese
    text = out.text
    for part in ("衡阳市不动产登记中心", "不予受理告知单", "编号：HY01-20261206-0003",
                 "办理事项：二手房转移登记", "排队号：A017", "备注：买方身份证复印件不清晰",
                 "窗口：3号", "经办人工号：1024", "日期：2026-12-06 15:05"):
        assert part in text, part
    # Each material numbered, with where to get it when the catalogue says; none otherwise.
    joined = text.replace("\n", "")
    assert "1. 不动产登记申请书（原件1份，买卖双方签字）。" in joined
    assert "获取途径：大厅咨询台领取，或网上预申请后打印" in joined
    assert "2. 契税完税凭证原件。" in joined
    assert joined.count("获取途径") == 1
    # The route prints no QR (the notice's page is for staff): the number is what the
    # applicant shows next time, and the slip says so.
    assert not NOTICE.page_url and "再次办理时请出示本单，或报出本单编号。" in joined


def test_the_heading_is_bold_and_double_height_and_the_size_is_reset():
    lines = read_job(job()).lines
    heading = next(ln for ln in lines if ln.text == "不予受理告知单")
    assert heading.bold and heading.height == 2 and heading.align == 1
    after = lines[lines.index(heading) + 1]
    assert after.height == 1


def test_long_materials_wrap_within_the_paper_on_58_mm():
    out = read_job(job(paper=58))
    cols = RenderOptions.for_paper(58).columns
    from devices.printer.ticket import text_width
    assert all(text_width(ln.text) <= cols for ln in out.lines if ln.width == 1)


def test_nobody_signed_in_and_no_note_print_plainly():
    bare = NoticePrint(hall_name="大厅", no="HY01-20261206-0004", item_name="赠与转移登记",
                       ticket_number="A020", missing=(NoticeMaterialPrint("赠与合同原件。"),),
                       issued_at=datetime(2026, 12, 6, 7, 5, tzinfo=UTC), staff=None)
    text = read_job(job(bare)).text
    assert "经办人工号：未签到" in text and "备注" not in text and "窗口" not in text


def test_a_notice_without_materials_or_with_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        NoticePrint(hall_name="h", no="X", item_name="i", ticket_number="A1", missing=(),
                    issued_at=NOTICE.issued_at, staff=None)
    with pytest.raises(ValueError):
        NoticePrint(hall_name="h", no="X", item_name="i", ticket_number="A1",
                    missing=NOTICE.missing, issued_at=datetime(2026, 12, 6, 7, 5), staff=None)


def test_the_file_driver_writes_the_same_job_and_the_preview_is_saved(tmp_path: Path, artifacts):
    path = tmp_path / "lp0"
    printer = from_config({"driver": "file", "path": str(path), "paper_mm": 80})
    printer.print_notice(NOTICE)
    printer.close()
    written = path.read_bytes()
    assert written == printer.notice_bytes(NOTICE)
    assert "编号：HY01-20261206-0003" in read_job(written).text
    png = notice_preview(NOTICE, printer.options, SHANGHAI)
    assert png.height > png.width  # a long slip, not a blank strip
    png.save(artifacts / "notice-slip-80mm.png")
