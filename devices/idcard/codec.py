"""GA/T 467 SAM serial frames: build requests, cut and parse responses. Pure, no I/O.

Frame: preamble AA AA AA 96 69, LEN (2 bytes big-endian, counts everything after LEN
including the checksum), CMD PARA (request) or SW1 SW2 SW3 (response), data, CHK.
CHK is the XOR of every byte from offset 5 (the first LEN byte) to the byte before CHK.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import reduce
from operator import xor

from devices.idcard.errors import (
    BadLength,
    BadPreamble,
    CardAuthFailed,
    CardReadFailed,
    CardStatusError,
    ChecksumMismatch,
    NoCard,
    NoContent,
    ReaderRejected,
    SamFailed,
    SelectFailed,
    TruncatedFrame,
)
from devices.idcard.identity import (
    PHOTO_SIZE,
    TEXT_BLOCK_SIZE,
    CardIdentity,
    decode_text_block,
    encode_identity,
)

PREAMBLE = bytes.fromhex("AAAAAA9669")
HEADER_SIZE = 7  # preamble + LEN: read this much, then LEN more
# The longest legitimate answer is 30 10 with a 1024-byte fingerprint (LEN 0x090A);
# anything much longer is garbage that happened to follow a preamble, and waiting for
# it would stall the reader for seconds.
MAX_LEN = 0x1000
MIN_REQUEST_LEN = 3  # CMD PARA CHK
MIN_RESPONSE_LEN = 4  # SW1 SW2 SW3 CHK


# CMD, PARA of the operations the reader and the simulator use.
RESET_SAM = (0x10, 0xFF)
SAM_STATUS = (0x11, 0xFF)
READ_SAM_ID = (0x12, 0xFF)
FIND_CARD = (0x20, 0x01)
SELECT_CARD = (0x20, 0x02)
READ_TEXT_PHOTO = (0x30, 0x01)
READ_WITH_FINGERPRINT = (0x30, 0x10)
READ_APPENDED_ADDRESS = (0x30, 0x03)


class Sw3(IntEnum):
    SUCCESS = 0x90
    NO_CONTENT = 0x91
    CARD_FOUND = 0x9F
    CHECKSUM_ERROR = 0x10
    LENGTH_ERROR = 0x11
    COMMAND_ERROR = 0x21
    UNAUTHORISED = 0x23
    UNKNOWN_ERROR = 0x24
    CARD_AUTH_FAILED = 0x31
    SAM_AUTH_FAILED = 0x32
    VERIFY_FAILED = 0x33
    UNKNOWN_CARD_TYPE = 0x40
    READ_FAILED = 0x41
    RANDOM_FAILED = 0x47
    SAM_SELF_TEST_FAILED = 0x60
    SAM_UNAUTHORISED = 0x66
    FIND_FAILED = 0x80
    SELECT_FAILED = 0x81


# The wording follows GA/T 467's status table, as reader vendors' SDKs print it.
_STATUS_TEXT: dict[Sw3, tuple[type[CardStatusError], str, str]] = {
    Sw3.NO_CONTENT: (NoContent, "无此项内容", "no such content on the card"),
    Sw3.CHECKSUM_ERROR: (ReaderRejected, "读卡器收到的数据校验和错", "reader got a bad checksum"),
    Sw3.LENGTH_ERROR: (ReaderRejected, "读卡器收到的数据长度错", "reader got a bad length"),
    Sw3.COMMAND_ERROR: (ReaderRejected, "读卡器不识别该命令", "reader rejected the command"),
    Sw3.UNAUTHORISED: (CardReadFailed, "越权操作", "operation not authorised"),
    Sw3.UNKNOWN_ERROR: (CardReadFailed, "读卡器报告未知错误", "reader reported an unknown error"),
    Sw3.CARD_AUTH_FAILED: (
        CardAuthFailed,
        "证/卡认证机具失败",
        "card failed to authenticate the SAM",
    ),
    Sw3.SAM_AUTH_FAILED: (
        CardAuthFailed,
        "机具认证证/卡失败",
        "SAM failed to authenticate the card",
    ),
    Sw3.VERIFY_FAILED: (CardAuthFailed, "证/卡信息验证错误", "card data failed verification"),
    Sw3.UNKNOWN_CARD_TYPE: (CardReadFailed, "无法识别的卡类型", "unknown card type"),
    Sw3.READ_FAILED: (CardReadFailed, "读证/卡操作失败", "reading the card failed"),
    Sw3.RANDOM_FAILED: (CardReadFailed, "取随机数失败", "getting a random number failed"),
    Sw3.SAM_SELF_TEST_FAILED: (SamFailed, "SAM模块自检失败", "SAM self-test failed"),
    Sw3.SAM_UNAUTHORISED: (SamFailed, "SAM模块未经授权", "SAM is not authorised"),
    Sw3.FIND_FAILED: (NoCard, "未找到身份证", "no card on the reader"),
    Sw3.SELECT_FAILED: (SelectFailed, "选卡失败", "selecting the card failed"),
}


@dataclass(frozen=True)
class Request:
    cmd: int
    para: int
    data: bytes = b""


@dataclass(frozen=True)
class Response:
    sw1: int
    sw2: int
    sw3: int
    data: bytes = b""

    @property
    def ok(self) -> bool:
        return self.sw1 == 0 and self.sw2 == 0 and self.sw3 in (Sw3.SUCCESS, Sw3.CARD_FOUND)


def xor_checksum(data: bytes) -> int:
    return reduce(xor, data, 0)


def _frame(body: bytes) -> bytes:
    """Wrap CMD/SW bytes plus data: add LEN (body + CHK) and the checksum."""
    length = len(body) + 1
    if length > 0xFFFF:
        raise ValueError(f"frame body too long: {len(body)} bytes")
    covered = length.to_bytes(2, "big") + body
    return PREAMBLE + covered + bytes([xor_checksum(covered)])


def build_request(cmd: int, para: int, data: bytes = b"") -> bytes:
    return _frame(bytes([cmd, para]) + data)


def build_response(sw3: int, data: bytes = b"", *, sw1: int = 0, sw2: int = 0) -> bytes:
    return _frame(bytes([sw1, sw2, sw3]) + data)


def frame_size(header: bytes) -> int:
    """Total frame size from its first 7 bytes; validates preamble and LEN."""
    if len(header) < HEADER_SIZE:
        raise TruncatedFrame(
            f"帧头不完整（{len(header)}字节）", f"frame header truncated ({len(header)} bytes)"
        )
    if header[:5] != PREAMBLE:
        raise BadPreamble(
            f"帧头错误：{header[:5].hex(' ')}", f"bad preamble: {header[:5].hex(' ')}"
        )
    length = int.from_bytes(header[5:7], "big")
    if not MIN_REQUEST_LEN <= length <= MAX_LEN:
        raise BadLength(f"帧长度无效：{length}", f"impossible frame length {length}")
    return HEADER_SIZE + length


def _checked_body(frame: bytes, minimum: int) -> bytes:
    """Validate a whole frame and return the bytes between LEN and CHK."""
    total = frame_size(frame[:HEADER_SIZE])
    if total - HEADER_SIZE < minimum:
        raise BadLength(
            f"帧长度过短：{total - HEADER_SIZE}", f"frame length {total - HEADER_SIZE} too short"
        )
    if len(frame) < total:
        raise TruncatedFrame(
            f"帧不完整：应有{total}字节，只收到{len(frame)}字节",
            f"frame truncated: {len(frame)} of {total} bytes",
        )
    if len(frame) > total:
        raise BadLength(
            f"帧后有多余数据：应为{total}字节，实为{len(frame)}字节",
            f"{len(frame) - total} stray bytes after a {total}-byte frame",
        )
    expected = xor_checksum(frame[5:-1])
    if frame[-1] != expected:
        raise ChecksumMismatch(
            f"校验和错误：收到{frame[-1]:02X}，应为{expected:02X}",
            f"checksum mismatch: got {frame[-1]:02X}, expected {expected:02X}",
        )
    return frame[HEADER_SIZE:-1]


def parse_request(frame: bytes) -> Request:
    body = _checked_body(frame, MIN_REQUEST_LEN)
    return Request(body[0], body[1], bytes(body[2:]))


def parse_response(frame: bytes) -> Response:
    body = _checked_body(frame, MIN_RESPONSE_LEN)
    return Response(body[0], body[1], body[2], bytes(body[3:]))


def status_error(response: Response) -> CardStatusError:
    """The typed error for a response that is not a success."""
    if response.sw1 or response.sw2:
        return CardReadFailed(
            response.sw3,
            f"读卡器状态字异常：{response.sw1:02X} {response.sw2:02X} {response.sw3:02X}",
            f"reader status words {response.sw1:02X} {response.sw2:02X} {response.sw3:02X}",
        )
    try:
        kind, zh, en = _STATUS_TEXT[Sw3(response.sw3)]
    except (ValueError, KeyError):
        return CardReadFailed(
            response.sw3,
            f"读卡器返回未知状态码 {response.sw3:02X}",
            f"reader returned unknown status {response.sw3:02X}",
        )
    return kind(response.sw3, f"{zh}（状态码{response.sw3:02X}）", f"{en} (SW3 {response.sw3:02X})")


def answers(op: tuple[int, int], response: Response) -> bool:
    """Could `response` be the answer to `op`? False for a late answer to another command.

    Frames carry no command echo, so a retried request's first answer can arrive after
    the driver moved on; the shapes of the success answers tell them apart.
    """
    success = response.sw3 == Sw3.SUCCESS
    if op == FIND_CARD:
        return not success
    if response.sw3 == Sw3.CARD_FOUND:
        return False  # only *find* says 9F
    if not success:
        return True  # an error status may answer anything
    size = len(response.data)
    if op in (READ_TEXT_PHOTO, READ_WITH_FINGERPRINT):
        return size >= 4 + TEXT_BLOCK_SIZE
    if op == SELECT_CARD:
        return size < 4 + TEXT_BLOCK_SIZE
    if op in (RESET_SAM, SAM_STATUS):
        return size == 0
    return True


class FrameScanner:
    """Cuts whole frames out of a byte stream, skipping garbage before a preamble.

    Both ends use it: the reader feeding exactly the bytes it still needs, the simulator
    feeding whatever the pty delivered.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.discarded = 0  # garbage bytes skipped, for diagnostics

    def feed(self, data: bytes) -> None:
        self._buf += data

    @property
    def started(self) -> bool:
        """A preamble (or its beginning) is buffered: a frame is under way."""
        self._resync()
        return bool(self._buf)

    def bytes_needed(self) -> int:
        """How many more bytes could complete the frame under way (at least 1)."""
        self._resync()
        if len(self._buf) < HEADER_SIZE:
            return HEADER_SIZE - len(self._buf)
        try:
            return max(1, frame_size(self._buf) - len(self._buf))
        except BadLength:
            return 1

    def next_frame(self) -> bytes | None:
        """The next whole frame (checksum not yet checked), or None until more arrives.

        Raises BadLength for a preamble followed by an impossible LEN and skips that
        preamble, so the next call resynchronises on what follows.
        """
        self._resync()
        if len(self._buf) < HEADER_SIZE:
            return None
        try:
            total = frame_size(self._buf)
        except BadLength:
            del self._buf[:1]
            self.discarded += 1
            raise
        if len(self._buf) < total:
            return None
        frame = bytes(self._buf[:total])
        del self._buf[:total]
        return frame

    def pending(self) -> bytes:
        return bytes(self._buf)

    def clear(self) -> None:
        self._buf.clear()

    def _resync(self) -> None:
        at = self._buf.find(PREAMBLE)
        if at < 0:
            # Keep a tail that may be the start of a preamble split across reads.
            keep = 0
            for n in range(min(len(PREAMBLE) - 1, len(self._buf)), 0, -1):
                if self._buf.endswith(PREAMBLE[:n]):
                    keep = n
                    break
            at = len(self._buf) - keep
        if at:
            del self._buf[:at]
            self.discarded += at


# --- the answer to "read text + photo" (30 01) and "... + fingerprint" (30 10) --------


def encode_read_data(card: CardIdentity, *, with_fingerprint: bool) -> bytes:
    """The data after SW3 in a successful read answer for this card."""
    text, photo = encode_identity(card), card.photo
    lengths = len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big")
    if not with_fingerprint:
        return lengths + text + photo
    fingerprint = card.fingerprint or b""
    return lengths + len(fingerprint).to_bytes(2, "big") + text + photo + fingerprint


def build_read_response(card: CardIdentity, *, with_fingerprint: bool = False) -> bytes:
    return build_response(Sw3.SUCCESS, encode_read_data(card, with_fingerprint=with_fingerprint))


def decode_read_response(response: Response, *, with_fingerprint: bool = False) -> CardIdentity:
    """The identity in a read answer; a non-success status raises its typed error."""
    if response.sw1 or response.sw2 or response.sw3 != Sw3.SUCCESS:
        raise status_error(response)
    data = response.data
    header = 6 if with_fingerprint else 4
    if len(data) < header:
        raise _layout_error(
            f"读卡应答过短（{len(data)}字节）", f"read answer too short ({len(data)} bytes)"
        )
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    fp_len = int.from_bytes(data[4:6], "big") if with_fingerprint else 0
    if text_len != TEXT_BLOCK_SIZE or photo_len != PHOTO_SIZE:
        raise _layout_error(
            f"读卡应答的文字/照片长度异常：{text_len}/{photo_len}",
            f"unexpected text/photo lengths {text_len}/{photo_len}",
        )
    if len(data) != header + text_len + photo_len + fp_len:
        raise _layout_error(
            f"读卡应答长度与声明不符：{len(data)}字节",
            f"read answer holds {len(data)} bytes, lengths declare "
            f"{header + text_len + photo_len + fp_len}",
        )
    text = data[header : header + text_len]
    photo = data[header + text_len : header + text_len + photo_len]
    fingerprint = data[header + text_len + photo_len :] if fp_len else None
    return decode_text_block(text, photo, fingerprint)


def _layout_error(zh: str, en: str) -> BadLength:
    return BadLength(zh, en)
