"""Evidence that an ID card is on the kiosk's reader, for the archive and a person's cases.

An ID number alone is no proof: numbers are printed on contracts and copies, and a copied
kiosk token would read anyone's property with one. So a kiosk also sends what its SAM
module read from the chip that is not printed anywhere it travels with the number: the
issuing authority (签发机关) and the validity dates. The back office (registry role) holds
the same facts of the cards it has seen (`PUT /id-cards`); hallq keeps only a keyed hash
of them, so a copied database alone yields neither the facts nor a way to test guesses.

The hall decides how strong the proof is (`HALLQ_LOOKUP_PROOF`): `card` is this check;
`sms` is a one-time code texted to the phone the registry holds for the person (the phone
on their newest case pushed with `PUT /cases/{case_no}`), typed at the kiosk; `card+sms`
is both, the card first, so a code is texted only to the holder of a card that checked.
The code and the pass it gives (good for PASS_MINUTES, so one kiosk visit needs one code)
are booking's own machinery (phone_codes.py). Every check is made after the lookup's rate
limits are spent, so guessing authority, dates or codes is throttled with the rest, and
the card's one refusal says nothing about whether the person, their card facts or their
property exist.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, Engine, select

from queue_server.domain.errors import DomainError, InvalidInput
from queue_server.domain.identity import id_hash, normalise_id_number
from queue_server.notify.templates import LOOKUP_CODE
from queue_server.phone_codes import PhoneCodes
from queue_server.secrecy import SecretBox
from queue_server.store.sqlutil import upsert_insert
from queue_server.store.tables import case_applicants, cases, id_cards

PROOF_LEVELS = ("card", "sms", "card+sms")
PASS_MINUTES = 15  # one kiosk visit: the archive, then the cases, without a second code
LONG_TERM = "长期"


class CardNotVerified(DomainError):
    """One answer for a wrong card, an unknown card and a person with no records."""

    code = "card_not_verified"
    status = 403

    def __init__(self) -> None:
        super().__init__("无法核验这张身份证，请把身份证平放在读卡区重新读取，或到咨询台办理",
                         "this ID card could not be verified; lay it flat on the reader "
                         "again, or ask at the information desk")


class SmsCodeRequired(DomainError):
    """The hall asks for an SMS code: one was just texted to the phone the registry holds.
    The kiosk asks for it and sends the lookup again with `sms_code`."""

    code = "sms_code_required"
    status = 403

    def __init__(self, phone_masked: str, expires_in_seconds: int) -> None:
        super().__init__(f"验证码已发送至登记机构留存的手机 {phone_masked}，请输入短信中的6位验证码",
                         f"a code was texted to the phone the registry holds, {phone_masked}: "
                         "type the 6 digits")
        self.extra = {"phone_masked": phone_masked, "expires_in_seconds": expires_in_seconds}


class PhoneNotHeld(DomainError):
    """No phone of this person's on record, so no code can prove them."""

    code = "phone_not_held"
    status = 403

    def __init__(self) -> None:
        super().__init__("登记机构没有留存您的手机号，无法发送验证码，请到咨询台办理",
                         "the registry holds no phone of yours, so no code can be sent; "
                         "please ask at the information desk")


@dataclass(frozen=True)
class SmsProof:
    """What the kiosk sends back after SMS code asked for: the code, or the pass a right
    code gave (for the next lookup of the same visit)."""

    code: str | None = None
    sms_pass: str | None = None


@dataclass(frozen=True)
class CardEvidence:
    """What the reader's SAM module read from the chip, besides the number."""

    authority: str
    valid_from: date
    valid_to: date | None  # None: 长期 (never expires)


def check_level(level: str) -> str:
    if level not in PROOF_LEVELS:
        raise ValueError(f"HALLQ_LOOKUP_PROOF 应为 {'、'.join(PROOF_LEVELS)} / must be one of "
                         f"{', '.join(PROOF_LEVELS)}, not {level!r}")
    return level


def _normal_authority(text: str) -> str:
    return "".join(text.split())


def card_hash(key: bytes, subject_hash: str, card: CardEvidence) -> str:
    to = card.valid_to.isoformat() if card.valid_to else LONG_TERM
    text = "\0".join((subject_hash, _normal_authority(card.authority),
                      card.valid_from.isoformat(), to))
    return hmac.new(key, b"hallq-card\0" + text.encode("utf-8"), hashlib.sha256).hexdigest()


class CardRegistry:
    """The back office's card facts, hashed, and the check against them."""

    def __init__(self, engine: Engine, *, key: bytes, clock: Callable[[], datetime],
                 level: str = "card", codes: PhoneCodes | None = None,
                 box: SecretBox | None = None) -> None:
        self.engine = engine
        self.key = key
        self.clock = clock
        self.level = check_level(level)
        self.needs = frozenset(self.level.split("+"))
        self.codes = codes
        self.box = box or SecretBox(key)

    def push(self, cards: Sequence[tuple[str, CardEvidence]]) -> int:
        """Upsert the facts of each (ID number, card): the newest card a person holds."""
        now = self.clock()
        rows = []
        for number, card in cards:
            if not _normal_authority(card.authority):
                raise InvalidInput("签发机关不能为空", "the issuing authority is empty")
            if card.valid_to is not None and card.valid_to <= card.valid_from:
                raise InvalidInput("有效期止须晚于有效期起", "valid_to must be after valid_from")
            subject = id_hash(normalise_id_number(number), self.key)
            rows.append({"id_hash": subject, "card_hash": card_hash(self.key, subject, card),
                         "updated_at": now})
        with self.engine.begin() as conn:
            for row in rows:
                _upsert(conn, row)
        return len(rows)

    def verify(self, subject_hash: str, card: CardEvidence | None,
               sms: SmsProof | None = None) -> str | None:
        """The hall's proof for this person, or a typed refusal. Returns the SMS pass when
        the level asks for a code (the kiosk shows it with the next lookup), else None."""
        if "card" in self.needs:
            self.verify_card(subject_hash, card)
        if "sms" in self.needs:
            return self.verify_phone(subject_hash, sms or SmsProof())
        return None

    def phone_of(self, subject_hash: str) -> str | None:
        """The phone the registry holds for this person: the one on their newest case."""
        a, c = case_applicants.c, cases.c
        with self.engine.connect() as conn:
            sealed = conn.execute(
                select(a.phone_sealed).join(cases, (c.hall == a.hall) & (c.case_no == a.case_no))
                .where(a.id_hash == subject_hash, a.phone_sealed.is_not(None))
                .order_by(c.accepted_at.desc(), c.updated_at.desc()).limit(1)).scalar()
        return self.box.open(sealed) if sealed else None

    def verify_phone(self, subject_hash: str, sms: SmsProof) -> str:
        """A valid pass, or the right code (which gives one), or a new code is texted and
        SmsCodeRequired says so. A pass out of date, or of another phone, leads to a code."""
        if self.codes is None:
            raise RuntimeError("the SMS proof needs the hall's phone codes")
        phone = self.phone_of(subject_hash)
        if phone is None:
            raise PhoneNotHeld()
        ref = self.codes.ref(phone)
        if sms.sms_pass:
            try:
                self.codes.check_pass(sms.sms_pass, ref)
                return sms.sms_pass
            except DomainError:
                pass  # out of date, or another person's phone: a code is asked for
        if sms.code:
            self.codes.check(ref, sms.code)
            return self.codes.grant(ref, PASS_MINUTES)[0]
        sent = self.codes.send(phone, kind=LOOKUP_CODE, limits=[("sms", subject_hash)])
        raise SmsCodeRequired(sent["phone_masked"], sent["expires_in_seconds"])

    def verify_card(self, subject_hash: str, card: CardEvidence | None) -> None:
        """Raise CardNotVerified unless `card` is the card the registry holds for this
        person. The same work whatever the outcome: one read, one comparison."""
        if card is None:
            raise InvalidInput("请把身份证放在读卡区：查询档案和本人案件须读取身份证芯片",
                               "lay the ID card on the reader: the archive and your cases "
                               "need the card's chip read", code="card_required")
        with self.engine.connect() as conn:
            held = conn.execute(select(id_cards.c.card_hash)
                                .where(id_cards.c.id_hash == subject_hash)).scalar()
        sent = card_hash(self.key, subject_hash, card)
        if not hmac.compare_digest(sent, held or "0" * 64):
            raise CardNotVerified()


def _upsert(conn: Connection, row: dict[str, object]) -> None:
    stmt = upsert_insert(conn, id_cards).values(**row)
    conn.execute(stmt.on_conflict_do_update(
        index_elements=[id_cards.c.hall, id_cards.c.id_hash],
        set_={"card_hash": stmt.excluded.card_hash, "updated_at": stmt.excluded.updated_at}))
