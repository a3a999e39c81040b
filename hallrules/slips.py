"""The QR slip payload: what the hall prints on a receipt, appointment or case slip.

Format (ASCII, QR alphanumeric-mode characters only, so the code stays small and any
scanner in any keyboard layout reproduces it):

    HQ1:<kind>:<value>:<signature>

    HQ1        format and version
    kind       C = case number (受理号), A = appointment code (预约码), T = ticket token
    value      1-64 characters from 0-9 A-Z - . /
    signature  HMAC-SHA256(key, "HQ1:<kind>:<value>"), first 15 bytes, RFC 4648 base32
               without padding (24 characters, A-Z 2-7)

Example: HQ1:C:BDC2024-000123:<24 signature characters>

The signature binds the kind to the value, so a slip cannot be re-labelled, and any
damaged or forged slip is refused with `InvalidSlip` rather than looked up. It says
nothing about expiry or reuse: the server decides whether a case or code is still good.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import StrEnum

PREFIX = "HQ1"
SIGNATURE_BYTES = 15  # 120 bits; a multiple of 5 so base32 needs no padding
SIGNATURE_CHARS = SIGNATURE_BYTES * 8 // 5
VALUE_RE = re.compile(r"[0-9A-Z./-]{1,64}")
SLIP_RE = re.compile(rf"{PREFIX}:([CAT]):([0-9A-Z./-]{{1,64}}):([A-Z2-7]{{{SIGNATURE_CHARS}}})")
MIN_KEY_BYTES = 16
DEMO_KEY = "hallq-demo-slip-key-not-secret"  # `make run` only: a real hall sets its own


class SlipKind(StrEnum):
    CASE = "C"
    APPOINTMENT = "A"
    TICKET = "T"


class InvalidSlip(ValueError):
    """The scanned text is not a slip signed with our key.

    A ValueError here, below the devices; the scanner driver re-raises it as its own
    DeviceError (devices.scanner.slip.InvalidSlip), the server as a 422.
    """

    def __init__(self, reason_en: str) -> None:
        self.message_zh = "二维码无效或已损坏，请到咨询台"
        self.message_en = f"QR slip is invalid or damaged: {reason_en}"
        self.reason = reason_en
        super().__init__(f"{self.message_zh} / {self.message_en}")


@dataclass(frozen=True)
class Slip:
    kind: SlipKind
    value: str


def _key_bytes(key: str | bytes) -> bytes:
    raw = key.encode() if isinstance(key, str) else key
    if len(raw) < MIN_KEY_BYTES:
        raise ValueError(f"二维码密钥至少 {MIN_KEY_BYTES} 字节 / the slip key must be at least "
                         f"{MIN_KEY_BYTES} bytes")
    return raw


def check_key(key: str | bytes) -> None:
    """ValueError, in words, for a key too short to sign with (checked at start-up)."""
    _key_bytes(key)


def _signature(kind: str, value: str, key: bytes) -> str:
    mac = hmac.new(key, f"{PREFIX}:{kind}:{value}".encode("ascii"), hashlib.sha256).digest()
    return base64.b32encode(mac[:SIGNATURE_BYTES]).decode("ascii")


def make_slip(kind: SlipKind | str, value: str, key: str | bytes) -> str:
    kind = SlipKind(kind)
    if not VALUE_RE.fullmatch(value):
        raise ValueError(f"slip value must be 1-64 of 0-9 A-Z - . / : {value!r}")
    return f"{PREFIX}:{kind.value}:{value}:{_signature(kind.value, value, _key_bytes(key))}"


def parse_slip(text: str, key: str | bytes) -> Slip:
    """The slip in `text`, or InvalidSlip. Strict: the caller strips scanner line endings."""
    match = SLIP_RE.fullmatch(text)
    if match is None:
        raise InvalidSlip("not in HQ1:<kind>:<value>:<signature> form")
    kind, value, signature = match.groups()
    if not hmac.compare_digest(signature, _signature(kind, value, _key_bytes(key))):
        raise InvalidSlip("signature does not match")
    return Slip(SlipKind(kind), value)
