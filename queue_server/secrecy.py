"""Recipients (phone numbers, WeChat openids) kept encrypted at rest.

SMS needs the number back, so a hash will not do. Values are sealed with AES-256-GCM
(the `cryptography` package) under a key derived from the hall secret, which lives
outside the database: a copied database alone reveals no number.

Values sealed before (`v1.`, a stream cipher and MAC built by hand from HMAC-SHA256)
still open, and `reseal` turns them into `v2.` at start (notify/reseal.py), so no old
construction is left in the database once a server has run.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "v2"
LEGACY = "v1"
_NONCE = 12  # GCM's own nonce size: random per value, 2^-32 collision risk at 2^32 values
_AAD = b"hallq-secretbox-v2"
_V1_NONCE = 16
_V1_TAG = 16


class SealError(ValueError):
    """A sealed value was tampered with, or sealed under another key."""


def _derive(key: bytes, label: bytes) -> bytes:
    return hmac.new(key, b"hallq-secretbox\0" + label, hashlib.sha256).digest()


def _decode(encoded: str, minimum: int) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(encoded.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise SealError("malformed sealed value") from exc
    if len(raw) < minimum:
        raise SealError("malformed sealed value")
    return raw


class SecretBox:
    def __init__(self, secret: bytes) -> None:
        self._aead = AESGCM(_derive(secret, b"aes-gcm-v2"))
        self._ref = _derive(secret, b"ref-v1")
        self._v1_enc = _derive(secret, b"enc-v1")
        self._v1_mac = _derive(secret, b"mac-v1")

    def seal(self, text: str) -> str:
        nonce = os.urandom(_NONCE)
        body = self._aead.encrypt(nonce, text.encode("utf-8"), _AAD)
        return VERSION + "." + base64.urlsafe_b64encode(nonce + body).decode("ascii")

    def open(self, sealed: str) -> str:
        version, _, encoded = sealed.partition(".")
        if version == LEGACY:
            return self._open_v1(encoded)
        if version != VERSION:
            raise SealError("unknown sealed-value version")
        raw = _decode(encoded, _NONCE + 16)
        try:
            return self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], _AAD).decode("utf-8")
        except InvalidTag:
            raise SealError("sealed value failed its integrity check") from None

    @staticmethod
    def is_current(sealed: str) -> bool:
        return sealed.startswith(VERSION + ".")

    def reseal(self, sealed: str) -> str:
        """The same value sealed the current way (a current one is returned as it is)."""
        return sealed if self.is_current(sealed) else self.seal(self.open(sealed))

    def ref(self, text: str) -> str:
        """A stable keyed reference: the same recipient gives the same idempotency key."""
        return hmac.new(self._ref, text.encode("utf-8"), hashlib.sha256).hexdigest()[:20]

    # --- reading values sealed before v2 ------------------------------------------------

    def _open_v1(self, encoded: str) -> str:
        raw = _decode(encoded, _V1_NONCE + _V1_TAG)
        nonce, body, tag = raw[:_V1_NONCE], raw[_V1_NONCE:-_V1_TAG], raw[-_V1_TAG:]
        expected = hmac.new(self._v1_mac, LEGACY.encode() + nonce + body, hashlib.sha256).digest()
        if not hmac.compare_digest(tag, expected[:_V1_TAG]):
            raise SealError("sealed value failed its integrity check")
        stream = bytearray()
        counter = 0
        while len(stream) < len(body):
            stream += hmac.new(self._v1_enc, nonce + counter.to_bytes(4, "big"),
                               hashlib.sha256).digest()
            counter += 1
        return bytes(a ^ b for a, b in zip(body, stream, strict=False)).decode("utf-8")
