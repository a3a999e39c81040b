"""The slip format: round trips, and every mutation of a valid slip is refused."""

from __future__ import annotations

import string

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from devices.errors import DeviceError
from devices.scanner.slip import InvalidSlip, Slip, SlipKind, make_slip, parse_slip
from tests.devices.scanner.conftest import KEY

VALUES = st.text(alphabet=string.digits + string.ascii_uppercase + "-./", min_size=1, max_size=64)
KINDS = st.sampled_from(list(SlipKind))
# What a damaged print, a misread or a forger can produce: any printable ASCII.
CHARS = st.sampled_from(string.printable)


@given(KINDS, VALUES)
def test_round_trip(kind: SlipKind, value: str) -> None:
    text = make_slip(kind, value, KEY)
    assert text.isascii() and text.startswith(f"HQ1:{kind.value}:")
    assert parse_slip(text, KEY) == Slip(kind, value)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str]:
    original = make_slip(draw(KINDS), draw(VALUES), KEY)
    text = original
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["replace", "delete", "insert", "swap", "truncate", "append"]))
        i = draw(st.integers(0, max(0, len(text) - 1)))
        if op == "replace" and text:
            text = text[:i] + draw(CHARS) + text[i + 1 :]
        elif op == "delete" and text:
            text = text[:i] + text[i + 1 :]
        elif op == "insert":
            text = text[:i] + draw(CHARS) + text[i:]
        elif op == "swap" and len(text) > 1:
            j = min(i + 1, len(text) - 1)
            text = text[:i] + text[j] + text[i] + text[j + 1 :] if i != j else text
        elif op == "truncate":
            text = text[:i]
        else:
            text = text + draw(CHARS)
    return original, text


@given(mutated())
def test_any_mutation_is_refused(pair: tuple[str, str]) -> None:
    original, text = pair
    assume(text != original)
    with pytest.raises(InvalidSlip):
        parse_slip(text, KEY)


@given(KINDS, VALUES)
def test_a_slip_signed_with_another_key_is_refused(kind: SlipKind, value: str) -> None:
    with pytest.raises(InvalidSlip, match="signature"):
        parse_slip(make_slip(kind, value, "another-key-0123456789abcdef"), KEY)


def test_relabelling_the_kind_is_refused() -> None:
    case = make_slip(SlipKind.CASE, "BDC2024-000123", KEY)
    with pytest.raises(InvalidSlip):
        parse_slip(case.replace("HQ1:C:", "HQ1:T:"), KEY)


def test_error_reads_chinese_first_and_is_a_device_error() -> None:
    with pytest.raises(InvalidSlip) as err:
        parse_slip("https://example.com/not-a-slip", KEY)
    assert isinstance(err.value, DeviceError)
    assert str(err.value).startswith("二维码无效或已损坏")
    assert " / QR slip is invalid or damaged" in str(err.value)


def test_scanner_line_ending_is_not_silently_accepted() -> None:
    # The scanners strip CR/LF; parse_slip itself stays exact.
    with pytest.raises(InvalidSlip):
        parse_slip(make_slip("A", "20240501-0930-07", KEY) + "\r", KEY)


@pytest.mark.parametrize("value", ["", "bdc2024", "京(2024)001", "A:B", "X" * 65])
def test_values_outside_the_alphabet_cannot_be_made(value: str) -> None:
    with pytest.raises(ValueError):
        make_slip(SlipKind.CASE, value, KEY)


def test_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        make_slip(SlipKind.TICKET, "T1", "short")
