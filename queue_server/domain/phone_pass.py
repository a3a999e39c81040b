"""The phone's proof after a one-time SMS code: a short-lived signed pass.

Typing a fresh code for every step would lose the elderly applicant between booking and
cancelling; the page keeps the pass in memory instead, and each request shows it. It
names the phone by its keyed reference (never the number) and its expiry, signed with
the hall's secret, so nothing is stored for it and it cannot be made up or stretched.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from queue_server.domain.errors import Forbidden

PASS_MINUTES = 30


def _sig(body: str, key: bytes) -> str:
    digest = hmac.new(key, b"hallq-phone-pass\0" + body.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode("ascii")


def make_pass(phone_ref: str, now: datetime, key: bytes,
              minutes: int = PASS_MINUTES) -> tuple[str, datetime]:
    expires = now + timedelta(minutes=minutes)
    body = f"{phone_ref}.{int(expires.timestamp())}"
    return f"{body}.{_sig(body, key)}", expires


def _refused() -> Forbidden:
    return Forbidden("手机验证已失效，请重新获取短信验证码",
                     "the phone check is not valid; ask for a new SMS code",
                     code="phone_unverified")


def _expired() -> Forbidden:
    # Its own code: a page left open past the pass's half hour only has to ask for a new
    # SMS code, which is the one thing the applicant needs told (not a refusal to read).
    return Forbidden("验证已过期，请重新获取短信验证码",
                     "your verification has expired: please get a new SMS code",
                     code="phone_pass_expired")


def check_pass(text: str | None, phone_ref: str, now: datetime, key: bytes) -> None:
    """The pass proves this phone now, or Forbidden: `phone_pass_expired` for this phone's
    own pass out of date, `phone_unverified` for none, a forged one or another phone's."""
    if not text:
        raise _refused()
    ref, _, rest = text.partition(".")
    stamp, _, sig = rest.partition(".")
    if (not stamp.isdigit() or ref != phone_ref
            or not hmac.compare_digest(sig.encode(), _sig(f"{ref}.{stamp}", key).encode())):
        raise _refused()
    if datetime.fromtimestamp(int(stamp), UTC) <= now:
        raise _expired()
