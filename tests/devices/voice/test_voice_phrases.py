"""Number reading and phrase templates."""

from __future__ import annotations

import pytest

from devices.voice.phrases import (
    PhraseBook,
    for_espeak,
    number_to_chinese,
    read_ticket_digits,
    ticket_reading,
    window_reading,
)


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        ("A001", "A零零一号"),
        ("B120", "B一二零号"),
        ("a010", "A零一零号"),
        ("007", "零零七号"),
        ("VIP3", "VIP三号"),
    ],
)
def test_ticket_numbers_are_read_digit_by_digit(number: str, spoken: str) -> None:
    assert ticket_reading(number) == spoken


@pytest.mark.parametrize(
    ("window", "spoken"),
    [
        (1, "一号窗口"),
        (2, "二号窗口"),
        (10, "十号窗口"),
        (12, "十二号窗口"),
        (20, "二十号窗口"),
        (96, "九十六号窗口"),
        (100, "一百号窗口"),
        (101, "一百零一号窗口"),
        (110, "一百一十号窗口"),
        (200, "二百号窗口"),
        ("12", "十二号窗口"),
        ("综合窗口", "综合窗口"),
    ],
)
def test_window_numbers_are_read_as_numbers(window: int | str, spoken: str) -> None:
    assert window_reading(window) == spoken


@pytest.mark.parametrize(
    ("n", "spoken"),
    [
        (0, "零"),
        (11, "十一"),
        (1000, "一千"),
        (1001, "一千零一"),
        (1010, "一千零一十"),
        (2024, "两千零二十四"),
        (9999, "九千九百九十九"),
    ],
)
def test_number_to_chinese(n: int, spoken: str) -> None:
    assert number_to_chinese(n) == spoken


@pytest.mark.parametrize("bad", [-1, 10000])
def test_number_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError):
        number_to_chinese(bad)


@pytest.mark.parametrize("bad", ["", "A-01", "Ａ01", "A 01"])
def test_bad_ticket_numbers_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        read_ticket_digits(bad)


def test_default_template_and_recall() -> None:
    book = PhraseBook()
    assert book.text("A001", 12) == "请A零零一号到十二号窗口"
    assert book.text("A001", 12, recall=True) == "请A零零一号速到十二号窗口"


def test_custom_template() -> None:
    book = PhraseBook(template="{number}号，请到{window}")
    assert book.announcement("C015", 3).text == "C零一五号，请到三号窗口"


def test_template_with_an_unknown_field_is_refused() -> None:
    with pytest.raises(ValueError, match="only"):
        PhraseBook(template="请{name}到{window}")


def test_chime_only_says_nothing_but_keeps_the_call() -> None:
    ann = PhraseBook(chime_only=True).announcement("A001", 12)
    assert (ann.text, ann.number, ann.window) == ("", "A001", "12")


def test_letters_are_spelled_in_pinyin_for_espeak() -> None:
    assert for_espeak("请A零零一号到十二号窗口") == "请 ei1 零零一号到十二号窗口"
    assert for_espeak("W") == "da2 bu5 liu5"
    assert for_espeak("十二号") == "十二号"


def test_a_count_before_a_measure_word_says_liang():
    from devices.voice.phrases import count_to_chinese
    assert [count_to_chinese(n) for n in (1, 2, 12, 20, 22, 200, 202, 2000)] == [
        "一", "两", "十二", "二十", "二十二", "两百", "两百零二", "两千"]


def test_the_kiosk_says_two_people_ahead_as_liang():
    from datetime import UTC, datetime

    from kiosk import texts
    from kiosk.models import Ticket
    from kiosk.state import Screen, State, TicketResult
    ticket = Ticket("t1", "A003", "transfer", "转移登记", "Transfer", "waiting", "normal", None,
                    2, (5, 15), datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    state = State(screen=Screen.TICKET, result=TicketResult(ticket, "转移登记", "Transfer",
                                                            True, None, False))
    assert "前面还有两人" in texts.voice_prompt(state)
