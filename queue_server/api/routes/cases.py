"""Cases: pushed by the back office, looked up by applicants, watched by staff.

An applicant's proof never travels in a URL: the kiosk sends the ID number or the
receipt token in a POST body (`/cases/lookup`) or in the `X-Id-Number` /
`X-Receipt-Token` headers of `GET /cases/{case_no}`, which access logs do not record.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from queue_server.api import API_PREFIX
from queue_server.api.deps import NotDisplay, WindowStaff, require
from queue_server.api.errors import ApiError
from queue_server.api.schemas import RATE_LIMITED
from queue_server.api.temporal import Day, Moment
from queue_server.cases.csv_import import CsvError
from queue_server.cases.model import ApplicantIn, CaseIn, StepIn
from queue_server.cases.proof import parse_receipt_qr
from queue_server.cases.service import Proof
from queue_server.cases.steps import Step
from queue_server.evidence import CardEvidence, SmsProof
from queue_server.records import Records
from queue_server.security import Principal, Role

router = APIRouter(prefix=API_PREFIX, tags=["cases"])

Registry = Annotated[Principal, Depends(require(Role.REGISTRY))]
Kiosk = Annotated[Principal, Depends(require(Role.KIOSK))]
MAX_SEQ = 2**62


def get_records(request: Request) -> Records:
    return request.app.state.records


RecordsDep = Annotated[Records, Depends(get_records)]


class Strict(BaseModel):
    # JSON's own types only, as the document says: "1" is no integer, 1 no boolean (ST201)
    model_config = ConfigDict(extra="forbid", strict=True)


class ApplicantBody(Strict):
    id_number: str = Field(min_length=1, max_length=32)
    name: str = Field(default="", max_length=60)
    phone: str | None = Field(default=None, max_length=24)
    wechat_openid: str | None = Field(default=None, max_length=64)
    role: str = Field(default="", max_length=20)


class StepBody(Strict):
    seq: int = Field(ge=1, le=MAX_SEQ)
    step: Step = Field(strict=False)  # the enum from its text
    at: Moment
    note: str = Field(default="", max_length=200)
    reason: str = Field(default="", max_length=400)


class CaseBody(Strict):
    version: int = Field(ge=0, le=MAX_SEQ)
    item: str = Field(min_length=1, max_length=40)
    item_name: str = Field(default="", max_length=80)
    hall: str = Field(default="", max_length=40)
    accepted_at: Moment
    time_limit_days: int | None = Field(default=None, ge=0, le=365)
    due_date: Day | None = None
    receipt_code: str | None = Field(default=None, min_length=6, max_length=64)
    ticket: str | None = Field(default=None, min_length=1, max_length=32)  # the queue ticket's id
    applicants: list[ApplicantBody] = Field(min_length=1, max_length=20)
    steps: list[StepBody] = Field(default_factory=list, max_length=100)


class CardIn(Strict):
    """What the reader's SAM module read from the chip besides the number."""

    authority: str = Field(min_length=1, max_length=40, description="签发机关 as on the chip")
    valid_from: Day
    valid_to: Day | None = Field(default=None, description="null: 长期 (never expires)")

    def evidence(self) -> CardEvidence:
        return CardEvidence(self.authority, self.valid_from, self.valid_to)


def evidence(card: CardIn | None) -> CardEvidence | None:
    return card.evidence() if card is not None else None


SMS_CODE = Field(default=None, min_length=6, max_length=6, pattern=r"^[0-9]{6}$",
                 description="the 6-digit code texted after `403 sms_code_required`")
PASS_PATTERN = r"^[A-Za-z0-9._=-]+$"  # the pass is base64url and digits (phone_pass.py)
SMS_PASS = Field(default=None, min_length=1, max_length=120, pattern=PASS_PATTERN,
                 description="`sms_pass` of an earlier answer in this visit: no second code")


def sms_proof(code: str | None, sms_pass: str | None) -> SmsProof | None:
    return SmsProof(code, sms_pass) if code or sms_pass else None


class CaseLookupBody(Strict):
    case_no: str | None = Field(default=None, min_length=1, max_length=40)
    id_number: str | None = Field(default=None, min_length=1, max_length=32)
    receipt_token: str | None = Field(default=None, min_length=1, max_length=64)
    receipt_qr: str | None = Field(default=None, min_length=1, max_length=200)
    card: CardIn | None = Field(default=None, description="with id_number: the card's chip data")
    sms_code: str | None = SMS_CODE
    sms_pass: str | None = SMS_PASS


class ApplicantLookupBody(Strict):
    id_number: str = Field(min_length=1, max_length=32)
    card: CardIn | None = None
    sms_code: str | None = SMS_CODE
    sms_pass: str | None = SMS_PASS


class IdCardLine(CardIn):
    id_number: str = Field(min_length=1, max_length=32)


MAX_CARDS = 150  # a request; so the longest lines still fit the edge's 64 KiB body limit


class IdCardsBody(Strict):
    cards: list[IdCardLine] = Field(min_length=1, max_length=MAX_CARDS, description=(
        f"at most {MAX_CARDS} a request: send more in batches"))


def to_case(case_no: str, body: CaseBody) -> CaseIn:
    return CaseIn(
        case_no=case_no, version=body.version, item=body.item, accepted_at=body.accepted_at,
        applicants=tuple(ApplicantIn(a.id_number, a.name, a.phone, a.wechat_openid, a.role)
                         for a in body.applicants),
        steps=tuple(StepIn(s.seq, s.step, s.at, s.note.strip(), s.reason.strip())
                    for s in body.steps),
        item_name=body.item_name, hall=body.hall, time_limit_days=body.time_limit_days,
        due_date=body.due_date, receipt_code=body.receipt_code, ticket=body.ticket)


@router.put("/cases/{case_no}")
def put_case(case_no: str, body: CaseBody, response: Response, records: RecordsDep,
             _: Registry) -> dict[str, Any]:
    """受理件推送 Upsert a case and merge its steps (idempotent; the higher version and
    seq win whatever the arrival order). 201 when the case is new."""
    result = records.cases.push(to_case(case_no, body))
    if result["header"] == "created":
        response.status_code = 201
    return result


@router.post("/cases/import")
async def import_cases(request: Request, records: RecordsDep, _: Registry,
                       notify: Annotated[bool, Query()] = True) -> dict[str, Any]:
    """批量导入 Bulk import a CSV (docs/cases-archive-notify.md); each case as a push."""
    data = await request.body()
    if not data.strip():
        raise ApiError(422, "invalid_input", "文件为空 / the file is empty")
    try:
        return await run_in_threadpool(records.cases.import_csv, data, notify=notify)
    except CsvError as exc:
        raise ApiError(422, "invalid_csv", f"第{exc.line}行 line {exc.line}: {exc}") from None


@router.get("/cases/overdue")
def overdue(records: RecordsDep, _: WindowStaff,
            limit: Annotated[int, Query(ge=1, le=2000)] = 500) -> dict[str, Any]:
    """超时警示 Unfinished cases past their time limit or within the warning window."""
    return records.cases.overdue(limit)


def _lookup(records: Records, who: Principal, case_no: str | None, id_number: str | None,
            token: str | None, qr: str | None = None, card: CardEvidence | None = None,
            sms: SmsProof | None = None) -> dict[str, Any]:
    if qr:
        parsed = parse_receipt_qr(qr)
        if parsed is None:
            raise ApiError(422, "invalid_qr", "无法识别的回执二维码 / this is not a receipt QR code")
        case_no, token = parsed
    if not case_no:
        raise ApiError(422, "invalid_input", "请输入受理号 / the case number is missing")
    return records.cases.lookup(who, case_no, Proof(id_number, token, card, sms))


@router.post("/cases/lookup", responses=RATE_LIMITED)
def lookup(body: CaseLookupBody, records: RecordsDep, who: Kiosk) -> dict[str, Any]:
    """查询办理进度 An applicant's case, on proof: the ID number or the receipt token/QR."""
    return _lookup(records, who, body.case_no, body.id_number, body.receipt_token,
                   body.receipt_qr, evidence(body.card), sms_proof(body.sms_code, body.sms_pass))


@router.post("/cases/by-applicant", responses=RATE_LIMITED)
def by_applicant(body: ApplicantLookupBody, records: RecordsDep, who: Kiosk) -> dict[str, Any]:
    """本人名下案件 Every case the card holder applied for (for a lost receipt)."""
    return records.cases.by_applicant(who, body.id_number, card=evidence(body.card),
                                      sms=sms_proof(body.sms_code, body.sms_pass))


@router.put("/id-cards")
def put_id_cards(body: IdCardsBody, records: RecordsDep, _: Registry) -> dict[str, Any]:
    """身份证信息推送 The cards the back office has seen (number, 签发机关, validity), kept
    only as keyed hashes: what a kiosk's card read is checked against (evidence.py)."""
    stored = records.cards.push([(c.id_number, c.evidence()) for c in body.cards])
    return {"stored": stored}


def card_header(raw: str | None) -> CardEvidence | None:
    """`X-Card-Evidence`: the `card` object as base64url JSON (headers carry ASCII only)."""
    if raw is None:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        return CardIn.model_validate(data).evidence()
    except (binascii.Error, ValueError, ValidationError, UnicodeDecodeError):
        raise ApiError(422, "invalid_input", "X-Card-Evidence 应为 base64url 编码的 JSON / "
                       "X-Card-Evidence must be base64url JSON of the card object") from None


@router.get("/cases/{case_no}", responses=RATE_LIMITED)
def get_case(case_no: str, records: RecordsDep, who: NotDisplay,
             x_id_number: Annotated[str | None, Header(max_length=32)] = None,
             x_receipt_token: Annotated[str | None, Header(max_length=64)] = None,
             x_card_evidence: Annotated[str | None, Header(max_length=400)] = None,
             x_sms_code: Annotated[str | None, Header(min_length=6, max_length=6,
                                                      pattern=r"^[0-9]{6}$")] = None,
             x_sms_pass: Annotated[str | None, Header(max_length=120,
                                                      pattern=PASS_PATTERN)] = None
             ) -> dict[str, Any]:
    """A kiosk needs proof in the X-Id-Number (with X-Card-Evidence and, where the hall
    asks for an SMS code, X-Sms-Code or X-Sms-Pass) or X-Receipt-Token header; staff do
    not and see the staff view (masked applicants, urgency)."""
    if who.role is Role.KIOSK:
        return _lookup(records, who, case_no, x_id_number, x_receipt_token,
                       card=card_header(x_card_evidence), sms=sms_proof(x_sms_code, x_sms_pass))
    return records.cases.staff(case_no)
