"""Recipients (phone numbers, WeChat openids) kept encrypted at rest.

SMS needs the number back, so a hash will not do. The `cryptography` package is not a
dependency of hallq, so this is the textbook construction built from the standard
library's HMAC-SHA256: a PRF in counter mode for the key stream, then encrypt-then-MAC.
Both keys are derived from the hall secret, which lives outside the database: a copied
database alone reveals no number.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

VERSION = "v1"
_NONCE = 16
_TAG = 16


class SealError(ValueError):
    """A sealed value was tampered with, or sealed under another key."""


def _derive(key: bytes, label: bytes) -> bytes:
    return hmac.new(key, b"hallq-secretbox\0" + label, hashlib.sha256).digest()


class SecretBox:
    def __init__(self, secret: bytes) -> None:
        self._enc = _derive(secret, b"enc-v1")
        self._mac = _derive(secret, b"mac-v1")
        self._ref = _derive(secret, b"ref-v1")

    def _stream(self, nonce: bytes, n: int) -> bytes:
        out = bytearray()
        counter = 0
        while len(out) < n:
            out += hmac.new(self._enc, nonce + counter.to_bytes(4, "big"), hashlib.sha256).digest()
            counter += 1
        return bytes(out[:n])

    def seal(self, text: str) -> str:
        data = text.encode("utf-8")
        nonce = os.urandom(_NONCE)
        body = bytes(a ^ b for a, b in zip(data, self._stream(nonce, len(data)), strict=True))
        tag = hmac.new(self._mac, VERSION.encode() + nonce + body, hashlib.sha256).digest()[:_TAG]
        return VERSION + "." + base64.urlsafe_b64encode(nonce + body + tag).decode("ascii")

    def open(self, sealed: str) -> str:
        version, _, encoded = sealed.partition(".")
        if version != VERSION:
            raise SealError("unknown sealed-value version")
        try:
            raw = base64.urlsafe_b64decode(encoded.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise SealError("malformed sealed value") from exc
        if len(raw) < _NONCE + _TAG:
            raise SealError("malformed sealed value")
        nonce, body, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
        expected = hmac.new(self._mac, VERSION.encode() + nonce + body, hashlib.sha256).digest()
        if not hmac.compare_digest(tag, expected[:_TAG]):
            raise SealError("sealed value failed its integrity check")
        data = bytes(a ^ b for a, b in zip(body, self._stream(nonce, len(body)), strict=True))
        return data.decode("utf-8")

    def ref(self, text: str) -> str:
        """A stable keyed reference: the same recipient gives the same idempotency key."""
        return hmac.new(self._ref, text.encode("utf-8"), hashlib.sha256).hexdigest()[:20]
