"""The kiosk's pure parts: words, slips, parsing, paging, wrapping, the font's coverage."""

from __future__ import annotations

import re
import string
from datetime import date, time

import pytest
from PIL import Image, ImageDraw, ImageFont

from devices.scanner import SlipKind, make_slip
from devices.scanner.appointment import BadAppointment, appointment_value, parse_appointment
from hallrules.wrapping import wrap_measured
from kiosk import texts
from kiosk.codes import FollowLink, Receipt, SlipText, UnknownCode, classify, receipt_text
from kiosk.fonts import FontMissing, find_font
from kiosk.models import BadResponse, parse_archive, parse_case, parse_catalogue, parse_ticket
from kiosk.paging import page, page_count
from kiosk.state import Applicant
from kiosk.ticketing import window_hint
from queue_server.domain.catalogue import load_catalogue
from queue_server.domain.identity import mask_name as server_mask
from queue_server.settings import DEFAULT_CATALOGUE

KEY = "kiosk-test-slip-key-0123456789"


# --- words ---------------------------------------------------------------------------------


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


@pytest.mark.parametrize("key", sorted(texts.TEXTS))
def test_every_text_has_both_languages_with_the_same_blanks(key: str) -> None:
    zh, en = texts.TEXTS[key]
    assert zh.strip() and en.strip()
    assert _fields(zh) == _fields(en)


def test_every_refusal_the_server_gives_a_kiosk_has_its_own_words() -> None:
    # The codes of queue_server/domain/state/issuing.py issue() and the kiosk-facing routes.
    for code in ("daily_cap_reached", "id_limit_reached", "already_waiting", "business_closed",
                 "green_not_eligible", "id_required", "invalid_id_number", "unknown_business",
                 "case_not_found", "rate_limited", "server_unreachable", "reader_down",
                 "scanner_down", "feature_unavailable", "appointment_invalid",
                 "booking_unknown", "booking_cancelled"):
        title, action = texts.message(code)
        assert code in texts.MESSAGES, code
        assert all(texts.message(code, "en")), code
        # Every refusal tells the applicant what to do next, not only what went wrong.
        assert any(word in action for word in ("咨询台", "叫号", "再试", "核对")), code


def test_voice_prompts_are_chinese_only() -> None:
    # espeak's Mandarin voice spells Latin letters out one by one.
    for prompt in texts.VOICE.values():
        assert not re.search(r"[A-Za-z]", prompt), prompt


def test_masked_names_follow_the_one_rule_the_server_uses() -> None:
    # One rule on the kiosk screen and the staff pages: only the surname stays, since
    # whoever queues behind reads the screen (hallrules.people.mask_name).
    born = date(1950, 1, 1)
    assert Applicant("王秀英", "x", born).masked_name == "王**"
    assert Applicant("张伟", "x", born).masked_name == "张*"
    assert Applicant("阿依古丽·买买提", "x", born).masked_name == "阿*******"
    for name in ("王秀英", "张伟", "欧阳娜娜", "阿依古丽·买买提", "王"):
        assert Applicant(name, "x", born).masked_name == server_mask(name)
    assert Applicant("王秀英", "x", date(1956, 11, 24)).age_on(date(2026, 11, 23)) == 69


# --- the font: no tofu ---------------------------------------------------------------------


def _glyph(font: ImageFont.FreeTypeFont, ch: str) -> bytes:
    img = Image.new("L", (64, 64), 0)
    ImageDraw.Draw(img).text((4, 4), ch, font=font, fill=255)
    return img.tobytes()


def test_the_font_draws_every_character_the_kiosk_shows() -> None:
    font = ImageFont.truetype(find_font(), 48)
    tofu = {_glyph(font, "\U0010fffd"), _glyph(font, "\uffff")}  # what "no glyph" looks like
    words = [t for pair in texts.TEXTS.values() for t in pair]
    words += [t for pair in texts.NOTICES.values() for t in pair]
    words += [t for row in texts.MESSAGES.values() for t in row]
    cat = load_catalogue(DEFAULT_CATALOGUE)
    words += [x for i in cat.items for x in (i.name, i.name_en, *i.materials, *i.materials_en)]
    words += [c.name for c in cat.categories]
    words += ["✓●○▼▶◀㎡—·", "王秀英阿依古丽买买提张伟李娜"]
    chars = {ch for w in words for ch in w if not ch.isspace()}
    missing = sorted(ch for ch in chars if _glyph(font, ch) in tofu)
    assert not missing, f"no glyph for: {''.join(missing)}"


def test_a_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(FontMissing, match="找不到字体文件"):
        find_font("/nonexistent/font.ttc")
    monkeypatch.setattr("kiosk.fonts.FONT_CANDIDATES", ("/nonexistent/a.ttc",))
    monkeypatch.delenv("HALLQ_KIOSK_FONT", raising=False)
    with pytest.raises(FontMissing, match="fonts-wqy-microhei"):
        find_font()


# --- codes ----------------------------------------------------------------------------------


def test_codes_are_told_apart() -> None:
    # The kiosk has no slip key: it tells slips from receipts by their form, and leaves
    # whether a slip is genuine to the server (tests/server/test_slips.py).
    slip = make_slip(SlipKind.APPOINTMENT, "20261123-0930-1000-MORTGAGE-P1", KEY)
    assert classify(slip + "\r\n") == SlipText(slip)
    forged = make_slip(SlipKind.CASE, "BDC1", "another-hall-key-0123456789")
    assert classify(forged) == SlipText(forged)
    assert classify(receipt_text("BDC2024-000123", "ABCDEFGHJKMNPQRS")) == Receipt(
        "BDC2024-000123", "ABCDEFGHJKMNPQRS")
    for bad in ("hello", "HQC1::X", "HQ1:C:BDC1:SHORT", "HQ1:X:BDC1:" + "A" * 24):
        with pytest.raises(UnknownCode):
            classify(bad)


def test_follow_links_classified_as_full_addresses_or_paths() -> None:
    from queue_server.domain.follow import follow_ref
    ref = follow_ref("T20261123-0001", b"k" * 32)
    for text in (f"https://hall.example/t/{ref}", f"http://10.0.0.5:8000/hallq/t/{ref}/",
                 f"/t/{ref}", f" /t/{ref}?from=sms\r\n", f"HTTPS://HALL.EXAMPLE/t/{ref}"):
        assert classify(text) == FollowLink(ref), text
    # The form only: an altered signature is still a follow link, for the server to refuse.
    assert classify(f"/t/{ref[:-1]}x") == FollowLink(ref[:-1] + "x")
    for bad in ("https://hall.example/", "https://hall.example/t/", f"/t/{ref.split('.')[0]}",
                f"/tickets/{ref}", f"t/{ref}", f"/t/{ref} extra", "ftp://x/t/a.b", "junk"):
        with pytest.raises(UnknownCode):
            classify(bad)


def test_receipt_format_matches_the_server() -> None:
    from queue_server.cases import proof
    text = proof.receipt_qr("BDC2024-000123", proof.derive_receipt_token(b"k" * 32, "BDC2024-000123"))
    receipt = classify(text)
    assert isinstance(receipt, Receipt) and proof.parse_receipt_qr(text) == (
        receipt.case_no, receipt.token)


def test_appointment_values_round_trip_in_the_hall_zone() -> None:
    value = appointment_value(date(2026, 11, 23), time(9, 30), time(10, 0), "second_hand", "p7")
    assert value == "20261123-0930-1000-SECOND.HAND-P7"
    a = parse_appointment(value, "Asia/Shanghai")
    assert a.business == "second_hand" and a.code == value
    assert a.slot_start.isoformat() == "2026-11-23T09:30:00+08:00"
    for bad in ("20261123-0930-0900-TAX-1", "20261332-0930-1000-TAX-1", "JUNK-1",
                "20261123-2500-2600-TAX-1"):
        with pytest.raises(BadAppointment):
            parse_appointment(bad, "Asia/Shanghai")


# --- parsing the server's answers -------------------------------------------------------------


def test_catalogue_puts_common_items_first_and_drops_empty_categories() -> None:
    cats = parse_catalogue({"categories": [
        {"code": "a", "name": "甲", "items": [
            {"code": "x", "name": "X", "business": "b1", "common": False},
            {"code": "y", "name": "Y", "business": "b1", "common": True}]},
        {"code": "empty", "name": "空", "items": []}]})
    assert [c.code for c in cats] == ["a"] and [i.code for i in cats[0].items] == ["y", "x"]


def test_ticket_parsing_refuses_what_it_cannot_use() -> None:
    with pytest.raises(BadResponse):
        parse_ticket({"number": "A001"})
    t = parse_ticket({"id": "1", "number": "A001", "business": "b", "status": "waiting",
                      "issued_at": "2026-11-23T01:00:00+00:00", "waiting_ahead": 3,
                      "estimated_wait_range": [4.6, 12.2]})
    assert t.wait_range == (5, 12) and t.waiting_ahead == 3


def test_case_with_path_and_history() -> None:
    case = parse_case({
        "case_no": "C1", "item_name": "抵押登记", "status": "review_1", "status_name": "初审",
        "hint": "正在审核中", "hint_en": "Under review", "due_date": "2026-11-30",
        "progress": [{"step": "accepted", "name": "已受理", "state": "done"},
                     {"step": "review_1", "name": "初审", "state": "current"},
                     {"step": "review_2", "name": "复审", "state": "todo"}],
        "timeline": [{"seq": 1, "step": "accepted", "name": "已受理",
                      "at": "2026-11-20T02:00:00+00:00"}]}, "C1")
    assert [s.state for s in case.steps] == ["done", "current", "pending"]
    assert case.steps[0].at == "2026-11-20T02:00:00+00:00" and case.current == 1
    assert case.next_step is not None and case.next_step.name == "复审"
    assert (case.next_text, case.next_text_en, case.expected) == ("正在审核中", "Under review",
                                                                  "2026-11-30")


def test_refused_case_shows_its_history_and_reason() -> None:
    case = parse_case({"case_no": "C2", "progress": [], "hint": "不予登记",
                       "refusal_reason": "材料不全",
                       "timeline": [{"step": "accepted", "name": "已受理", "at": "x"},
                                    {"step": "refused", "name": "不予登记", "at": "y"}]}, "C2")
    assert [s.state for s in case.steps] == ["done", "current"]
    assert case.next_text == "不予登记（材料不全）"


def test_archive_units_with_encumbrances() -> None:
    [p] = parse_archive({"count": 1, "units": [{
        "location": "某路1号", "use": "住宅", "area_m2": 88.0, "certificate_no": "C-1",
        "rights_status": {"codes": ["mortgages"], "text": "已抵押", "text_en": "mortgaged"},
        "holders": [{"name_masked": "张*", "share": "1/2", "you": True}],
        "your_right": "owner",
        "mortgages": [{"holder": "某银行", "amount_yuan": 5000, "term_start": "2024-01-01",
                       "term_end": "2034-01-01", "status": "active"}],
        "seizures": [{"court": "某法院", "kind": "轮候查封", "date": "2026-01-01",
                      "status": "lifted", "until": None}]}]})
    assert p.area == "88 ㎡" and p.rights_status == "已抵押" and p.rights_status_en == "mortgaged"
    assert p.share == "张* 1/2" and p.right_type == "owner"
    assert p.mortgages[0].detail == "5000 元" and p.mortgages[0].period == "2024-01-01 — 2034-01-01"
    assert p.seizures[0].detail == "轮候查封" and p.seizures[0].status == "lifted"
    with pytest.raises(BadResponse):
        parse_archive({"units": "nope"})


# --- small helpers -----------------------------------------------------------------------------


def test_paging() -> None:
    assert page_count(0, 8) == 1 and page_count(8, 8) == 1 and page_count(9, 8) == 2
    assert page(list(range(10)), 1, 8) == [8, 9] and page(list(range(10)), 7, 8) == [8, 9]


def test_window_hints_are_short_or_absent() -> None:
    def w(n: int, status: str = "open", kind: str = "front") -> dict[str, object]:
        return {"number": n, "businesses": ["b"], "status": status, "kind": kind}

    assert window_hint([w(3), w(1), w(2)], "b") == ("1–3号窗口", "windows 1–3")
    assert window_hint([w(5)], "b") == ("5号窗口", "window 5")
    assert window_hint([w(1), w(2, "closed"), w(3), w(9, kind="back")], "b")[0] == "1、3号窗口"
    assert window_hint([w(n) for n in (1, 3, 5, 7)], "b") == ("", "")  # too scattered to help
    assert window_hint([], "b") == ("", "")


def test_measured_wrap_keeps_punctuation_off_line_starts() -> None:
    def width(text: str) -> float:  # a CJK character 2 units, Latin 1
        return float(sum(1 if c.isascii() else 2 for c in text))

    lines = wrap_measured("不动产登记申请书（原件1份）。", 10, width)
    assert all(width(line) <= 10 for line in lines)
    assert not any(line[0] in "，。）" for line in lines[1:])
    assert "".join(lines) == "不动产登记申请书（原件1份）。"
    assert wrap_measured("abc defgh ijk", 9, width) == ["abc defgh", "ijk"]  # words whole
    # Two closing marks in a row (the materials title, issue 15): neither starts a line.
    title = "办理「二手房按揭买卖（转移登记与抵押登记）」需要带齐以下材料"
    for limit in range(12, 60, 2):
        lines = wrap_measured(title, limit, width)
        assert "".join(lines) == title
        assert not any(line[0] in "）」，。" for line in lines), (limit, lines)


def _cjk_width(text: str) -> float:  # a CJK character 2 units, Latin 1
    return float(sum(1 if c.isascii() else 2 for c in text))


def _desk_texts() -> list[str]:
    """Every Chinese line the kiosk shows that sends the applicant to 咨询台."""
    shown = [zh for zh, _ in (*texts.TEXTS.values(), *texts.NOTICES.values())]
    shown += [zh for _, _, zh, _ in texts.MESSAGES.values()]
    return [p for text in shown for p in text.split("\n") if "咨询台" in p]


def test_no_notice_splits_the_desk_at_any_width() -> None:
    """"请到咨" at a line's end and "询台" on the next sent an elderly applicant looking
    for the wrong thing: no width, wide panel or narrow, breaks the word."""
    desk = _desk_texts()
    assert len(desk) >= 15  # the ticket's, the messages', the card and scan notices
    for text in desk:
        for limit in range(8, 2 * len(text) + 2):
            lines = wrap_measured(text, limit, _cjk_width)
            assert "".join(lines) == text
            assert sum(line.count("咨询台") for line in lines) == text.count("咨询台"), (
                limit, lines)


def test_the_wrap_keeps_windows_and_numbers_whole() -> None:
    text = "请到5号窗口或6–7号窗口办理，叫到H001号时请到出纸口"
    for limit in range(10, 60):
        lines = wrap_measured(text, limit, _cjk_width)
        assert "".join(lines) == text
        for word in ("5号窗口", "6–7号窗口", "H001号", "出纸口"):
            assert any(word in line for line in lines), (limit, word, lines)
    # Carried down with the 。 after it, the desk goes down whole: not "咨询" / "台。".
    assert wrap_measured("需要帮助请到咨询台。", 18, _cjk_width) == ["需要帮助请到", "咨询台。"]
    # A word wider than the line is broken where it falls, not drawn past the edge.
    lines = wrap_measured("咨询台", 4, _cjk_width)
    assert "".join(lines) == "咨询台" and all(_cjk_width(line) <= 4 for line in lines)


def test_the_wrap_leaves_no_character_alone_on_the_last_line() -> None:
    """The scan screen's hint ended "…一拳距" / "离" in landscape: 离 alone reads as "leave"."""
    text = texts.t("scan.where")
    for limit in range(8, 2 * len(text)):
        lines = wrap_measured(text, limit, _cjk_width)
        assert "".join(lines) == text and all(_cjk_width(line) <= limit for line in lines)
        assert len(lines) == 1 or len(lines[-1]) > 1, (limit, lines)
        assert not any(line[0] in "，。" for line in lines), (limit, lines)
    # Company for the last character comes with its closing mark, never leaves it behind.
    assert wrap_measured("请放好，离", 8, _cjk_width) == ["请放", "好，离"]


def test_the_ticket_qr_is_the_servers_follow_link_when_it_is_a_full_address():
    from kiosk.models import parse_ticket
    from kiosk.ticketing import qr_link
    base = {"id": "abc", "number": "A001", "business": "transfer",
            "issued_at": "2026-11-23T01:00:00+00:00"}
    served = parse_ticket({**base, "follow_url": "https://hall.example/t/abc.k3y"})
    assert qr_link(served, "") == "https://hall.example/t/abc.k3y"
    assert qr_link(served, "https://other/{id}") == "https://hall.example/t/abc.k3y"
    # A bare path cannot be opened from a phone: the kiosk's own template, else no QR.
    path_only = parse_ticket({**base, "follow_url": "/t/abc.k3y"})
    assert qr_link(path_only, "https://hall.example/q/{number}") == "https://hall.example/q/A001"
    assert qr_link(path_only, "") == ""
