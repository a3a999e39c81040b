"""LED frames byte for byte, checksums computed by hand."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.led.board import TextNotEncodable
from devices.led.frames import AaBbFrame, Checksum, Decoded, Scan, StxFrame

# No per-example deadline: a loaded CI machine must not turn slowness into failures.
RELAXED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_published_frame_golden() -> None:
    # AA addr BB 51 54 CS 01 00 99 00 63 <GBK text> FF, address 1, text "A001" (41 30 30 31).
    # CS = sum of offset 6 to the end, FF included:
    #   01+00+99+00+63 = 0xFD; + 41+30+30+31 = 0x1CF; + FF = 0x2CE; mod 256 = 0xCE.
    frame = bytes.fromhex("AA 01 BB 51 54 CE 01 00 99 00 63 41 30 30 31 FF")
    assert AaBbFrame().encode(1, "A001") == frame
    # Read the other way (sum stops before FF): 0x1CF mod 256 = 0xCF.
    assert AaBbFrame(checksum_includes_end=False).encode(1, "A001")[5] == 0xCF


def test_published_frame_with_chinese() -> None:
    # 请 in GBK is C7 EB. CS = FD + C7 + EB + FF = 0x3AE -> 0xAE.
    assert AaBbFrame().encode(3, "请") == bytes.fromhex("AA 03 BB 51 54 AE 01 00 99 00 63 C7 EB FF")


def test_published_frame_with_xor_checksum() -> None:
    # 01^00^99^00^63 = 0xFB; ^41 = 0xBA; ^30 = 0x8A; ^30 = 0xBA; ^31 = 0x8B; ^FF = 0x74.
    assert AaBbFrame(checksum=Checksum.XOR8).encode(1, "A001")[5] == 0x74


def test_stx_frame_golden() -> None:
    # 02 addr LEN text CS 03; CS = XOR of 02 06 C7 EB 41 30 30 31:
    # 02^06 = 04; ^C7 = C3; ^EB = 28; ^41 = 69; ^30 = 59; ^30 = 69; ^31 = 58.
    assert StxFrame().encode(2, "请A001") == bytes.fromhex("02 02 06 C7 EB 41 30 30 31 58 03")


def test_per_board_encoding() -> None:
    # The same text in UTF-8 (8B B7) for a board that wants it.
    assert StxFrame(encoding="utf-8").encode(1, "请")[3:6] == "请".encode()


def test_empty_text_clears() -> None:
    assert AaBbFrame().encode(1, "") == bytes.fromhex("AA 01 BB 51 54 FC 01 00 99 00 63 FF")


@pytest.mark.parametrize("frame", [AaBbFrame(), StxFrame()])
def test_text_that_cannot_be_sent(frame: AaBbFrame | StxFrame) -> None:
    with pytest.raises(TextNotEncodable) as info:
        frame.encode(1, "请😀")
    assert str(info.value).startswith("LED 屏无法显示字符")
    with pytest.raises(TextNotEncodable):
        frame.encode(1, "号" * 200)  # 400 bytes


def test_bad_address_and_encoding() -> None:
    with pytest.raises(ValueError):
        AaBbFrame().encode(256, "A")
    with pytest.raises(LookupError):
        StxFrame(encoding="no-such-codec")


def test_match_outcomes() -> None:
    frame = AaBbFrame().encode(9, "B002")
    assert AaBbFrame().match(frame + b"\x00") == Decoded(9, "B002", len(frame), True)
    assert AaBbFrame().match(frame[:-1]) is Scan.NEED_MORE
    assert AaBbFrame().match(b"\x55" + frame) is Scan.NO_MATCH
    assert StxFrame().match(frame) is Scan.NO_MATCH
    bad = frame[:5] + bytes([frame[5] ^ 1]) + frame[6:]
    assert AaBbFrame().match(bad) == Decoded(9, "B002", len(frame), False)


_gbk_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x9FA5).filter(lambda c: _encodable(c, "gbk")),
    max_size=60,
)


def _encodable(c: str, encoding: str) -> bool:
    try:
        c.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


@settings(RELAXED)
@given(
    text=_gbk_text,
    address=st.integers(0, 255),
    checksum=st.sampled_from(Checksum),
    includes_end=st.booleans(),
)
def test_any_text_round_trips(
    text: str, address: int, checksum: Checksum, includes_end: bool
) -> None:
    for fmt in (AaBbFrame("gbk", checksum, includes_end), StxFrame("gbk", checksum)):
        frame = fmt.encode(address, text)
        assert fmt.match(frame) == Decoded(address, text, len(frame), True)
