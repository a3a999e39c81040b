"""A ticket's follow link: the capability the applicant's phone holds instead of a token.

`/t/{ref}` where ref is the ticket id and a keyed signature of it: whoever holds the
ticket (its QR, the SMS) can follow that one ticket and rate its services, nothing else.
The link is given only to who issued the ticket, never in the event stream that every
display hears.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from queue_server.domain.errors import NotFound

_SIG_CHARS = 16  # 80 bits: not guessable, short enough for a small QR


def _sig(ticket_id: str, key: bytes) -> str:
    digest = hmac.new(key, b"hallq-follow\0" + ticket_id.encode("utf-8"), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:_SIG_CHARS].lower()


def follow_ref(ticket_id: str, key: bytes) -> str:
    return f"{ticket_id}.{_sig(ticket_id, key)}"


def ticket_of(ref: str, key: bytes, *, expected: str | None = None) -> str:
    """The ticket a follow link names; a link altered, made up, or (with `expected`) of
    another ticket is not found."""
    ticket_id, _, sig = ref.partition(".")
    if (not ticket_id or not hmac.compare_digest(sig.encode(), _sig(ticket_id, key).encode())
            or expected not in (None, ticket_id)):
        raise NotFound("这个链接无效或已过期，请扫描小票上的二维码",
                       "this link is not valid; scan the QR code on your ticket",
                       code="unknown_follow")
    return ticket_id
