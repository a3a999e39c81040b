"""Vendor frames for RS-485 LED boards. No standard exists: one class per vendor frame,
each configured per board with its encoding and checksum.

`aabb`, the published frame (verify against the supplier's documents when boards arrive):

    offset  0   1    2  3  4  5   6  7  8  9  10  11 …       last
            AA  addr BB 51 54 CS  01 00 99 00 63  GBK text   FF

CS = (sum of the bytes from offset 6 to the end) mod 256. We read "to the end" literally:
the sum covers 01 00 99 00 63, the text *and* the closing FF. If a board rejects frames,
set checksum_includes_end = false: the sum then stops at the last text byte (which is
the FF-inclusive value plus 1, mod 256). The meaning of 01 00 99 00 63 (display mode,
speed, colour?) is not published; they are sent as given. GBK never produces 0xFF, so FF
ends the text unambiguously.

`stx`, a simple length-prefixed frame many small controllers use, here to prove the
driver takes any frame:

    02  addr  LEN  text(LEN bytes)  CS  03      CS over addr, LEN and text (XOR by default)
"""

from __future__ import annotations

import codecs
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import Enum, StrEnum
from functools import reduce
from operator import xor
from typing import ClassVar

from devices.led.board import TextNotEncodable

MAX_TEXT_BYTES = 255


class Checksum(StrEnum):
    SUM8 = "sum8"  # sum of bytes mod 256
    XOR8 = "xor8"  # XOR of bytes

    def of(self, data: bytes) -> int:
        if self is Checksum.SUM8:
            return sum(data) & 0xFF
        return reduce(xor, data, 0)


class Scan(Enum):
    NEED_MORE = "need-more"  # could be this frame; wait for more bytes
    NO_MATCH = "no-match"  # no frame of this format starts here


@dataclass(frozen=True)
class Decoded:
    address: int
    text: str
    size: int  # bytes the frame took
    valid: bool  # checksum and text encoding right: a board would display it


class FrameFormat(ABC):
    name: ClassVar[str]
    encoding: str
    checksum: Checksum

    @abstractmethod
    def encode(self, address: int, text: str) -> bytes: ...

    @abstractmethod
    def match(self, buf: bytes) -> Decoded | Scan:
        """Decode the frame starting at buf[0], for a bus listener."""

    def _text(self, text: str, *, forbidden: bytes = b"") -> bytes:
        try:
            data = text.encode(self.encoding)
        except UnicodeEncodeError as e:
            raise TextNotEncodable(
                f"LED 屏无法显示字符 {e.object[e.start : e.end]!r}（{self.encoding}）",
                f"LED text has characters {self.encoding} cannot encode: "
                f"{e.object[e.start : e.end]!r}",
            ) from e
        if len(data) > MAX_TEXT_BYTES:
            raise TextNotEncodable(
                f"LED 文字过长（{len(data)}字节）", f"LED text too long ({len(data)} bytes)"
            )
        if any(b in data for b in forbidden):
            raise TextNotEncodable(
                "LED 文字编码含有帧结束字节", "encoded LED text contains the frame end byte"
            )
        return data

    def _decode_text(self, data: bytes) -> str | None:
        try:
            return data.decode(self.encoding)
        except UnicodeDecodeError:
            return None


def _check_common(address: int, encoding: str) -> None:
    if not 0 <= address <= 0xFF:
        raise ValueError(f"LED address must be 0..255, not {address}")
    codecs.lookup(encoding)  # LookupError for an unknown encoding


@dataclass(frozen=True)
class AaBbFrame(FrameFormat):
    name: ClassVar[str] = "aabb"
    HEAD: ClassVar[bytes] = bytes([0xBB, 0x51, 0x54])  # offsets 2–4
    PARAMS: ClassVar[bytes] = bytes([0x01, 0x00, 0x99, 0x00, 0x63])  # offsets 6–10
    END: ClassVar[int] = 0xFF

    encoding: str = "gbk"
    checksum: Checksum = Checksum.SUM8
    checksum_includes_end: bool = True

    def __post_init__(self) -> None:
        _check_common(0, self.encoding)

    def encode(self, address: int, text: str) -> bytes:
        _check_common(address, self.encoding)
        tail = self.PARAMS + self._text(text, forbidden=bytes([self.END])) + bytes([self.END])
        return bytes([0xAA, address]) + self.HEAD + bytes([self._cs(tail)]) + tail

    def _cs(self, tail: bytes) -> int:
        return self.checksum.of(tail if self.checksum_includes_end else tail[:-1])

    def match(self, buf: bytes) -> Decoded | Scan:
        prefix = bytes([0xAA]) + b"\x00" + self.HEAD
        for i in range(min(len(buf), 5)):
            if i != 1 and buf[i] != prefix[i]:
                return Scan.NO_MATCH
        for i in range(6, min(len(buf), 11)):
            if buf[i] != self.PARAMS[i - 6]:
                return Scan.NO_MATCH
        end = buf.find(bytes([self.END]), 11)
        if end < 0:
            return Scan.NEED_MORE if len(buf) < 12 + MAX_TEXT_BYTES else Scan.NO_MATCH
        tail = buf[6 : end + 1]
        text = self._decode_text(buf[11:end])
        valid = text is not None and buf[5] == self._cs(tail)
        return Decoded(buf[1], text or "", end + 1, valid)


@dataclass(frozen=True)
class StxFrame(FrameFormat):
    name: ClassVar[str] = "stx"
    STX: ClassVar[int] = 0x02
    ETX: ClassVar[int] = 0x03

    encoding: str = "gbk"
    checksum: Checksum = Checksum.XOR8

    def __post_init__(self) -> None:
        _check_common(0, self.encoding)

    def encode(self, address: int, text: str) -> bytes:
        _check_common(address, self.encoding)
        data = self._text(text)
        body = bytes([address, len(data)]) + data
        return bytes([self.STX]) + body + bytes([self.checksum.of(body), self.ETX])

    def match(self, buf: bytes) -> Decoded | Scan:
        if not buf or buf[0] != self.STX:
            return Scan.NO_MATCH
        if len(buf) < 3:
            return Scan.NEED_MORE
        size = 3 + buf[2] + 2
        if len(buf) < size:
            return Scan.NEED_MORE
        if buf[size - 1] != self.ETX:
            return Scan.NO_MATCH
        body = buf[1 : size - 2]
        text = self._decode_text(body[2:])
        valid = text is not None and buf[size - 2] == self.checksum.of(body)
        return Decoded(buf[1], text or "", size, valid)


FORMATS: dict[str, type[AaBbFrame] | type[StxFrame]] = {"aabb": AaBbFrame, "stx": StxFrame}
