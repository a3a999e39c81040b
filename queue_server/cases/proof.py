"""Proof of being an applicant: the ID number read at the kiosk, or the receipt token.

A wrong proof must say nothing about whether the case exists. The same work is done
either way: the proof is hashed, then compared in constant time against a fixed number
of candidates — the real ones padded with dummies, or dummies only when there is no
such case — so neither the answer nor its timing depends on existence or on the
number of applicants.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass

MAX_CANDIDATES = 20  # applicants a case may have; also the fixed comparison count
_DUMMY = "0" * 64
QR_PREFIX = "HQC1"
TOKEN_RE = re.compile(r"^[A-Z2-7]{16}$")


def _mac(key: bytes, label: bytes, value: str) -> str:
    return hmac.new(key, label + b"\0" + value.encode("utf-8"), hashlib.sha256).hexdigest()


def derive_receipt_token(key: bytes, case_no: str) -> str:
    """The token hallq issues when the back office brings none: stable per case, so a
    repeated push returns the same token. 80 bits, base32 so a person can type it."""
    digest = hmac.new(key, b"hallq-receipt\0" + case_no.encode("utf-8"), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:16]


def normalise_token(raw: str) -> str:
    return raw.strip().replace(" ", "").replace("-", "").upper()


def receipt_hash(key: bytes, token: str) -> str:
    return _mac(key, b"hallq-receipt-check", normalise_token(token))


def receipt_qr(case_no: str, token: str) -> str:
    """What the acceptance receipt's QR code holds."""
    return f"{QR_PREFIX}:{case_no}:{token}"


def parse_receipt_qr(text: str) -> tuple[str, str] | None:
    parts = text.strip().split(":")
    if len(parts) != 3 or parts[0] != QR_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


@dataclass(frozen=True)
class ProofDigest:
    """What the kiosk proved, already hashed: the clear value goes no further."""

    kind: str  # "id" or "receipt"
    digest: str


def matches(proof: ProofDigest, id_hashes: Sequence[str], receipt: str | None) -> bool:
    candidates = list(id_hashes) if proof.kind == "id" else ([receipt] if receipt else [])
    padded = (candidates + [_DUMMY] * MAX_CANDIDATES)[:MAX_CANDIDATES]
    found = False
    for candidate in padded:
        # No early exit: every candidate is compared whatever the outcome.
        found |= hmac.compare_digest(proof.digest, candidate)
    return found
