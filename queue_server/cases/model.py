"""A case as pushed (with clear personal data) and as kept (hashed, masked, sealed).

`protect` is the only road from one to the other; nothing downstream of it sees an ID
number, a full name or a clear phone number.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import date, datetime

from queue_server.cases.proof import MAX_CANDIDATES, derive_receipt_token, receipt_hash
from queue_server.cases.steps import Step
from queue_server.domain.deadline import due_date
from queue_server.domain.errors import InvalidInput
from queue_server.domain.identity import id_hash, mask_id_number, mask_name, normalise_id_number
from queue_server.domain.workdays import WorkCalendar
from queue_server.notify.phone import mask_openid, mask_phone, normalise_phone
from queue_server.secrecy import SecretBox

CASE_NO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,39}$")
# Path words of the cases API: a case number may not be one of them.
RESERVED = frozenset({"import", "overdue", "lookup", "by-applicant"})
MAX_TIME_LIMIT_DAYS = 365


@dataclass(frozen=True)
class ApplicantIn:
    id_number: str
    name: str
    phone: str | None = None
    wechat_openid: str | None = None
    role: str = ""  # 权利人, 义务人…: free text from the back office


@dataclass(frozen=True)
class StepIn:
    seq: int
    step: Step
    at: datetime
    note: str = ""
    reason: str = ""


@dataclass(frozen=True)
class CaseIn:
    case_no: str
    version: int
    item: str
    accepted_at: datetime
    applicants: tuple[ApplicantIn, ...]
    steps: tuple[StepIn, ...] = ()
    item_name: str = ""
    hall: str = ""
    time_limit_days: int | None = None
    due_date: date | None = None
    receipt_code: str | None = None
    # The queue ticket the case was accepted at, when the back office knows it: the
    # visit's evaluation and work order then name the case.
    ticket: str | None = None


@dataclass(frozen=True)
class ApplicantRecord:
    id_hash: str
    id_masked: str
    name_masked: str
    role: str
    phone_sealed: str | None
    phone_masked: str | None
    phone_ref: str | None  # keyed, stable: names the recipient in idempotency keys
    wechat_sealed: str | None
    wechat_masked: str | None
    wechat_ref: str | None


@dataclass(frozen=True)
class CaseRecord:
    case_no: str
    version: int
    item: str
    item_name: str
    hall: str
    accepted_at: datetime
    time_limit_days: int
    due_date: date
    receipt_hash: str
    content_hash: str
    applicants: tuple[ApplicantRecord, ...]
    steps: tuple[StepIn, ...]
    receipt_token: str | None  # only when hallq derived it: returned once to the back office
    ticket: str | None = None


def check_case_no(case_no: str) -> str:
    if not CASE_NO_RE.match(case_no) or case_no.lower() in RESERVED:
        raise InvalidInput("受理号只能由字母、数字、-、_ 组成，最长40位",
                           "a case number has up to 40 letters, digits, '-' or '_'",
                           code="invalid_case_no")
    return case_no


def _check_steps(steps: tuple[StepIn, ...]) -> None:
    seen: dict[int, StepIn] = {}
    for s in steps:
        if s.seq < 1:
            raise InvalidInput("步骤序号须为正整数", "a step's seq must be a positive integer")
        if s.at.tzinfo is None:
            raise InvalidInput("步骤时间须带时区", "a step's time needs a time zone offset")
        if s.step is Step.REFUSED and not s.reason.strip():
            raise InvalidInput("不予登记须写明原因", "a refusal needs a reason",
                               code="reason_required")
        if s.seq in seen and seen[s.seq] != s:
            raise InvalidInput(f"步骤序号 {s.seq} 重复且内容不同",
                               f"step seq {s.seq} appears twice with different content")
        seen[s.seq] = s


def _content_hash(key: bytes, case: CaseIn, time_limit: int, due: date) -> str:
    """A keyed digest of the header as pushed: tells a resend from a changed push
    carrying the same version, without keeping anything readable."""
    canonical = json.dumps({
        "item": case.item, "item_name": case.item_name, "hall": case.hall,
        "accepted_at": case.accepted_at.isoformat(), "limit": time_limit, "due": due.isoformat(),
        "receipt": case.receipt_code or "", "ticket": case.ticket or "",
        "applicants": [[a.id_number.strip().upper(), a.name.strip(), a.phone or "",
                        a.wechat_openid or "", a.role] for a in case.applicants],
    }, ensure_ascii=False, sort_keys=True)
    return hmac.new(key, b"hallq-case-content\0" + canonical.encode("utf-8"),
                    hashlib.sha256).hexdigest()


def protect_applicant(a: ApplicantIn, key: bytes, box: SecretBox) -> ApplicantRecord:
    number = normalise_id_number(a.id_number)
    phone = normalise_phone(a.phone) if a.phone else None
    openid = a.wechat_openid.strip() if a.wechat_openid else None
    return ApplicantRecord(
        id_hash=id_hash(number, key), id_masked=mask_id_number(number),
        name_masked=mask_name(a.name), role=a.role.strip()[:20],
        phone_sealed=box.seal(phone) if phone else None,
        phone_masked=mask_phone(phone) if phone else None,
        phone_ref=box.ref(phone) if phone else None,
        wechat_sealed=box.seal(openid) if openid else None,
        wechat_masked=mask_openid(openid) if openid else None,
        wechat_ref=box.ref(openid) if openid else None)


def protect(case: CaseIn, *, key: bytes, box: SecretBox, calendar: WorkCalendar,
            local_accept_day: date, catalogue: dict[str, tuple[str, int]]) -> CaseRecord:
    """Validate a pushed case and keep only what hallq may hold.

    `catalogue` maps item codes to (name, time limit in working days); the push may
    override either, and must give one when the item is not in this hall's catalogue.
    """
    check_case_no(case.case_no)
    if not case.item.strip() or len(case.item) > 40 or len(case.item_name) > 80 \
            or len(case.hall) > 40:
        raise InvalidInput("事项代码须为1至40个字符（名称最长80，大厅最长40）",
                           "item must have 1 to 40 characters (item_name up to 80, hall up to 40)")
    if case.version < 0:
        raise InvalidInput("版本号不能为负", "version must not be negative")
    if case.accepted_at.tzinfo is None:
        raise InvalidInput("受理时间须带时区", "accepted_at needs a time zone offset")
    if not case.applicants:
        raise InvalidInput("至少需要一名申请人", "a case needs at least one applicant",
                           code="applicants_required")
    if len(case.applicants) > MAX_CANDIDATES:
        raise InvalidInput(f"申请人最多 {MAX_CANDIDATES} 名", f"at most {MAX_CANDIDATES} applicants")
    _check_steps(case.steps)
    known = catalogue.get(case.item)
    limit = case.time_limit_days if case.time_limit_days is not None else (
        known[1] if known else None)
    if case.due_date is None and limit is None:
        raise InvalidInput("事项不在本厅目录中，须给出办理时限 time_limit_days 或 due_date",
                           "the item is not in this hall's catalogue: give time_limit_days "
                           "or due_date", code="time_limit_required")
    if limit is not None and not 0 <= limit <= MAX_TIME_LIMIT_DAYS:
        raise InvalidInput("办理时限超出范围", "time_limit_days is out of range")
    due = case.due_date or due_date(local_accept_day, limit or 0, calendar)
    if limit is None:
        limit = calendar.workdays_between(local_accept_day, due)
    applicants = tuple(protect_applicant(a, key, box) for a in case.applicants)
    token = None
    if case.receipt_code:
        r_hash = receipt_hash(key, case.receipt_code)
    else:
        token = derive_receipt_token(key, case.case_no)
        r_hash = receipt_hash(key, token)
    return CaseRecord(
        case_no=case.case_no, version=case.version, item=case.item,
        item_name=case.item_name or (known[0] if known else ""), hall=case.hall,
        accepted_at=case.accepted_at, time_limit_days=limit, due_date=due,
        receipt_hash=r_hash, content_hash=_content_hash(key, case, limit, due),
        applicants=applicants, steps=case.steps, receipt_token=token, ticket=case.ticket)

