"""Frames byte for byte against the reference (docs: /work/shared/reference/devices.md)."""

from __future__ import annotations

import dataclasses
from functools import reduce
from operator import xor

import pytest

from devices.errors import DeviceError
from devices.idcard import codec
from devices.idcard.codec import FrameScanner, Response, Sw3
from devices.idcard.demo import DEMO_CARDS
from devices.idcard.errors import (
    BadLength,
    BadPreamble,
    CardAuthFailed,
    CardReadFailed,
    ChecksumMismatch,
    NoCard,
    NoContent,
    ReaderRejected,
    SamFailed,
    SelectFailed,
    TruncatedFrame,
)


@pytest.mark.parametrize(
    ("op", "frame"),
    [
        (codec.RESET_SAM, "AA AA AA 96 69 00 03 10 FF EC"),
        (codec.SAM_STATUS, "AA AA AA 96 69 00 03 11 FF ED"),
        (codec.READ_SAM_ID, "AA AA AA 96 69 00 03 12 FF EE"),
        (codec.FIND_CARD, "AA AA AA 96 69 00 03 20 01 22"),
        (codec.SELECT_CARD, "AA AA AA 96 69 00 03 20 02 21"),
        (codec.READ_TEXT_PHOTO, "AA AA AA 96 69 00 03 30 01 32"),
        (codec.READ_WITH_FINGERPRINT, "AA AA AA 96 69 00 03 30 10 23"),
        (codec.READ_APPENDED_ADDRESS, "AA AA AA 96 69 00 03 30 03 30"),
    ],
)
def test_request_frames_match_the_reference_table(op: tuple[int, int], frame: str) -> None:
    assert codec.build_request(*op) == bytes.fromhex(frame)
    assert codec.parse_request(bytes.fromhex(frame)) == codec.Request(*op)


def test_short_responses_by_hand() -> None:
    # Card found: LEN 8 = SW1 SW2 SW3 + 4 data bytes + CHK; CHK = 00^08^00^00^9F = 97.
    found = bytes.fromhex("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
    assert codec.build_response(Sw3.CARD_FOUND, bytes(4)) == found
    assert codec.parse_response(found) == Response(0, 0, 0x9F, bytes(4))
    # No card: LEN 4; CHK = 00^04^80 = 84.
    none = bytes.fromhex("AA AA AA 96 69 00 04 00 00 80 84")
    assert codec.parse_response(none) == Response(0, 0, 0x80)


def _put(block: bytearray, offset: int, text: str) -> None:
    data = text.encode("utf-16-le")
    block[offset : offset + len(data)] = data


def _text_block_by_hand() -> bytes:
    """张伟's text block placed at the reference table's byte offsets, space padded."""
    block = bytearray(" ".encode("utf-16-le") * 128)
    _put(block, 0, "张伟")
    _put(block, 30, "1")
    _put(block, 32, "01")
    _put(block, 36, "19850615")
    _put(block, 52, "北京市朝阳区建国路88号院3号楼2单元501室")
    _put(block, 122, "110105198506151236")
    _put(block, 158, "北京市公安局朝阳分局")
    _put(block, 188, "20160301")
    _put(block, 204, "20360301")
    return bytes(block)


def test_full_read_response_by_hand() -> None:
    card = DEMO_CARDS["zhang"]
    text = _text_block_by_hand()
    body = b"\x00\x00\x90" + b"\x01\x00" + b"\x04\x00" + text + card.photo
    length = (len(body) + 1).to_bytes(2, "big")
    frame = bytes.fromhex("AAAAAA9669") + length + body
    frame += bytes([reduce(xor, frame[5:], 0)])

    assert len(frame) == 1295
    assert frame[5:7] == b"\x05\x08"
    assert frame[14:270] == text and frame[270:1294] == card.photo
    assert codec.build_read_response(card) == frame
    decoded = codec.decode_read_response(codec.parse_response(frame))
    assert decoded == dataclasses.replace(card, fingerprint=None)


def test_fingerprint_variant_shifts_by_two() -> None:
    card = DEMO_CARDS["zhang"]
    assert card.fingerprint is not None
    frame = codec.build_read_response(card, with_fingerprint=True)
    assert frame[10:16] == b"\x01\x00\x04\x00\x04\x00"  # text, photo, fingerprint lengths
    assert frame[16:272] == _text_block_by_hand()
    assert frame[272:1296] == card.photo
    assert frame[1296:2320] == card.fingerprint
    assert len(frame) == 2321
    decoded = codec.decode_read_response(codec.parse_response(frame), with_fingerprint=True)
    assert decoded == card


def test_fingerprint_variant_without_fingerprint() -> None:
    card = DEMO_CARDS["elder"]
    frame = codec.build_read_response(card, with_fingerprint=True)
    assert frame[14:16] == b"\x00\x00"
    decoded = codec.decode_read_response(codec.parse_response(frame), with_fingerprint=True)
    assert decoded.fingerprint is None


def test_reading_a_fingerprint_answer_as_plain_is_a_length_error() -> None:
    frame = codec.build_read_response(DEMO_CARDS["zhang"], with_fingerprint=True)
    with pytest.raises(BadLength):
        codec.decode_read_response(codec.parse_response(frame), with_fingerprint=False)


FOUND = bytes.fromhex("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        (b"\xaa\xaa\xab\x96\x69" + FOUND[5:], BadPreamble),
        (FOUND[:5] + b"\xff\xff" + FOUND[7:], BadLength),  # LEN beyond any real answer
        (FOUND[:5] + b"\x00\x02" + FOUND[7:], BadLength),  # LEN below CMD PARA CHK
        (FOUND[:5] + b"\x00\x03" + FOUND[7:10], BadLength),  # a response needs SW1–3
        (FOUND[:-1] + b"\x00", ChecksumMismatch),
        (FOUND[:-3], TruncatedFrame),
        (FOUND[:4], TruncatedFrame),
        (FOUND + b"\x00", BadLength),
    ],
)
def test_broken_frames_raise_typed_errors(frame: bytes, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        codec.parse_response(frame)
    assert " / " in str(info.value)


@pytest.mark.parametrize(
    ("sw3", "error"),
    [
        (0x80, NoCard),
        (0x81, SelectFailed),
        (0x91, NoContent),
        (0x31, CardAuthFailed),
        (0x32, CardAuthFailed),
        (0x33, CardAuthFailed),
        (0x60, SamFailed),
        (0x66, SamFailed),
        (0x10, ReaderRejected),
        (0x11, ReaderRejected),
        (0x21, ReaderRejected),
        (0x23, CardReadFailed),
        (0x24, CardReadFailed),
        (0x40, CardReadFailed),
        (0x41, CardReadFailed),
        (0x47, CardReadFailed),
        (0x55, CardReadFailed),  # not in the table
    ],
)
def test_status_codes_map_to_typed_errors(sw3: int, error: type[Exception]) -> None:
    e = codec.status_error(Response(0, 0, sw3))
    assert type(e) is error
    assert e.status == sw3
    assert f"{sw3:02X}" in str(e)


def test_failure_status_in_a_read_answer_raises() -> None:
    with pytest.raises(CardAuthFailed):
        codec.decode_read_response(Response(0, 0, Sw3.CARD_AUTH_FAILED))


def test_messages_are_chinese_first() -> None:
    e = codec.status_error(Response(0, 0, 0x80))
    assert str(e) == f"{e.message_zh} / {e.message_en}"
    assert "身份证" in e.message_zh


def test_scanner_skips_noise_and_joins_split_frames() -> None:
    scanner = FrameScanner()
    frame = codec.build_read_response(DEMO_CARDS["elder"])
    scanner.feed(b"\x00\x13noise\xaa\xaa")  # a preamble's start, then noise
    assert scanner.next_frame() is None
    scanner.feed(b"\x01" + frame[:3])  # ... the real preamble split across reads
    assert scanner.next_frame() is None
    assert scanner.bytes_needed() == 4
    scanner.feed(frame[3:100])
    assert scanner.bytes_needed() == len(frame) - 100
    scanner.feed(frame[100:] + FOUND)
    assert scanner.next_frame() == frame
    assert scanner.next_frame() == FOUND
    assert scanner.next_frame() is None
    assert scanner.discarded == len(b"\x00\x13noise\xaa\xaa\x01")


def test_scanner_resynchronises_after_an_impossible_length() -> None:
    scanner = FrameScanner()
    scanner.feed(codec.PREAMBLE + b"\xff\xff" + FOUND)
    with pytest.raises(BadLength):
        scanner.next_frame()
    assert scanner.next_frame() == FOUND


def test_errors_are_device_errors() -> None:
    for error in (BadPreamble, BadLength, ChecksumMismatch, TruncatedFrame):
        assert issubclass(error, DeviceError)
