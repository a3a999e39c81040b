"""Proving a phone with a one-time SMS code, then a short-lived pass: one machinery for
预约 (the applicant's own phone, typed on /m/book) and for the kiosk's SMS proof of the
archive and a person's cases (the phone the registry holds, evidence.py).

A code is six digits, sent through the notify outbox (so a gateway down is retried, and
the text is sealed at rest like every message), kept only as a keyed hash, dead after
CODE_MINUTES or CODE_TRIES wrong tries, one live code per phone. Sending is rate limited
by the caller's buckets (per phone always, plus the caller's own: the client address, or
the ID number). A right code gives a pass (domain/phone_pass.py) naming the phone's keyed
reference, so the next steps need no second code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from queue_server.domain.errors import InvalidInput, NotFound
from queue_server.domain.phone_pass import PASS_MINUTES, check_pass, make_pass
from queue_server.notify import outbox
from queue_server.notify.outbox import Draft
from queue_server.notify.phone import mask_phone
from queue_server.notify.service import Notifier
from queue_server.ratelimit import Limiter, RateLimited
from queue_server.store.phone_codes import CodeStore

CODE_MINUTES = 5  # an SMS code's life
CODE_TRIES = 5  # wrong codes before the phone must ask for a new one
PHONE_SCOPE = "booking_phone"  # the per-phone bucket, whatever the code is for


class CodeLocked(RateLimited):
    """Too many wrong codes: the phone asks for a new one (the old one is dead)."""

    code = "sms_code_tries"

    def __init__(self) -> None:
        super().__init__(PHONE_SCOPE, 60)
        self.message_zh = "验证码输错次数过多，请重新获取验证码"
        self.message_en = "too many wrong codes; ask for a new code"
        self.args = (f"{self.message_zh} / {self.message_en}",)


@dataclass
class PhoneCodes:
    notifier: Notifier
    limiter: Limiter
    secret: bytes
    clock: Callable[[], datetime]
    store: CodeStore = field(init=False)

    def __post_init__(self) -> None:
        self.store = CodeStore(self.notifier.engine)

    @property
    def enabled(self) -> bool:
        return "sms" in self.notifier.composer.channels

    def ref(self, phone: str) -> str:
        """The phone's keyed reference: what codes and passes name, never the number."""
        return self.notifier.composer.box.ref(phone)

    def _hash(self, ref: str, code: str) -> str:
        return hmac.new(self.secret, f"hallq-booking-code\0{ref}\0{code}".encode(),
                        hashlib.sha256).hexdigest()

    def send(self, phone: str, *, kind: str, limits: Sequence[tuple[str, str]] = (),
             **blanks: Any) -> dict[str, Any]:
        """Text a new code to `phone` (normalised) with the template `kind`; the per-phone
        bucket and the caller's `limits` are spent first."""
        if not self.enabled:
            raise NotFound("本厅未开通短信，不能发送验证码", "this hall sends no SMS, so no "
                           "code can be sent", code="sms_disabled")
        box = self.notifier.composer.box
        ref = box.ref(phone)
        self.limiter.take([(PHONE_SCOPE, ref), *limits])
        code = f"{secrets.randbelow(10**6):06d}"
        now = self.clock()
        self.store.put(ref, self._hash(ref, code), now, now + timedelta(minutes=CODE_MINUTES))
        body = self.notifier.composer.templates.render(kind, code=code, minutes=CODE_MINUTES,
                                                       **blanks)
        with self.notifier.engine.begin() as conn:
            outbox.enqueue(conn, box, Draft(
                # Each code its own text: two codes sent in one millisecond are two codes.
                key=f"{kind.replace('_', '-')}:{ref}:{int(now.timestamp() * 1000)}:"
                    f"{secrets.token_hex(4)}", kind=kind,
                channel="sms", recipient=phone, recipient_masked=mask_phone(phone), body=body,
                params={"minutes": CODE_MINUTES}), now)
        self.notifier.poke()
        return {"phone_masked": mask_phone(phone), "expires_in_seconds": CODE_MINUTES * 60}

    def check(self, ref: str, code: str) -> None:
        """The code sent to this phone, or a typed refusal; a right code is used up."""
        # No address limit here: each code was rate limited when sent, and dies after
        # CODE_TRIES wrong tries, so guessing costs sends.
        result = self.store.try_code(ref, self._hash(ref, code.strip()), self.clock(),
                                     CODE_TRIES)
        if result == "locked":
            raise CodeLocked()
        if result == "expired":
            raise InvalidInput("验证码已过期或已使用，请重新获取",
                               "this code has expired or was used; ask for a new one",
                               code="sms_code_expired")
        if result == "wrong":
            raise InvalidInput("验证码不对，请核对短信后重新输入",
                               "the code is not right; check the SMS and type it again",
                               code="wrong_sms_code")

    def grant(self, ref: str, minutes: int = PASS_MINUTES) -> tuple[str, datetime]:
        return make_pass(ref, self.clock(), self.secret, minutes)

    def check_pass(self, text: str | None, ref: str) -> None:
        check_pass(text, ref, self.clock(), self.secret)
