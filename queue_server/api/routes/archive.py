"""The property archive: units pushed by the back office, looked up by the card holder
at a kiosk and by staff, every lookup audited. ID numbers travel only in bodies."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from queue_server.api import API_PREFIX
from queue_server.api.deps import Admin, require
from queue_server.api.errors import ApiError
from queue_server.api.routes.cases import (
    MAX_SEQ,
    SMS_CODE,
    SMS_PASS,
    CardIn,
    RecordsDep,
    evidence,
    sms_proof,
)
from queue_server.api.schemas import RATE_LIMITED
from queue_server.api.temporal import Day
from queue_server.archive.images import MAX_PDF_PAGES, MAX_UPLOAD_BYTES, ORIGINAL, PHOTO
from queue_server.archive.model import (
    HolderIn,
    MortgageIn,
    ObjectionIn,
    PersonIn,
    PrenoticeIn,
    SeizureIn,
    UnitIn,
)
from queue_server.domain.errors import InvalidInput
from queue_server.security import Principal, Role

router = APIRouter(prefix=API_PREFIX, tags=["archive"])

Registry = Annotated[Principal, Depends(require(Role.REGISTRY))]
# Staff look at any unit (the judicial-assistance window serves courts), kiosks at their own.
ArchiveReader = Annotated[Principal, Depends(require(Role.KIOSK, Role.WINDOW, Role.GUIDE,
                                                     Role.ADMIN, Role.JUDICIAL))]


class Strict(BaseModel):
    # JSON's own types only, as the document says: "1" is no integer, 1 no boolean (ST201)
    model_config = ConfigDict(extra="forbid", strict=True)


class PersonBody(Strict):
    id_number: str = Field(min_length=1, max_length=32)
    name: str = Field(default="", max_length=60)


class HolderBody(PersonBody):
    share: str = Field(default="", max_length=40)


class MortgageBody(Strict):
    holder: str = Field(default="", max_length=100)
    holder_person: PersonBody | None = None
    amount_yuan: float | None = Field(default=None, ge=0, le=1e13)
    term_start: Day | None = None
    term_end: Day | None = None
    status: str = Field(default="active", max_length=12)
    certificate_no: str = Field(default="", max_length=60)


class SeizureBody(Strict):
    court: str = Field(min_length=1, max_length=100)
    date: Day
    status: str = Field(default="active", max_length=12)
    kind: str = Field(default="查封", max_length=20)
    doc_no: str = Field(default="", max_length=80)
    until: Day | None = None


class ObjectionBody(Strict):
    date: Day
    status: str = Field(default="active", max_length=12)
    note: str = Field(default="", max_length=200)


class PrenoticeBody(Strict):
    kind: str = Field(min_length=1, max_length=40)
    date: Day
    status: str = Field(default="active", max_length=12)
    holders: list[PersonBody] = Field(default_factory=list, max_length=50)


class UnitBody(Strict):
    version: int = Field(ge=0, le=MAX_SEQ)
    location: str = Field(min_length=1, max_length=200)
    use: str = Field(min_length=1, max_length=40)
    area_m2: float | None = Field(default=None, ge=0, lt=1e7)
    certificate_no: str = Field(default="", max_length=60)
    holders: list[HolderBody] = Field(default_factory=list, max_length=50)
    mortgages: list[MortgageBody] = Field(default_factory=list, max_length=50)
    seizures: list[SeizureBody] = Field(default_factory=list, max_length=50)
    objections: list[ObjectionBody] = Field(default_factory=list, max_length=50)
    prenotices: list[PrenoticeBody] = Field(default_factory=list, max_length=50)


class UnitLine(UnitBody):
    unit_no: str = Field(min_length=1, max_length=40)


class ArchiveLookupBody(Strict):
    id_number: str | None = Field(default=None, min_length=1, max_length=32)
    unit_no: str | None = Field(default=None, min_length=1, max_length=40)
    card: CardIn | None = Field(default=None, description="a kiosk: the card's chip data")
    sms_code: str | None = SMS_CODE
    sms_pass: str | None = SMS_PASS


MAX_AUDIT_SEQ = 2**31 - 1  # the audit log's seq is a 32-bit column on PostgreSQL


class AuditSearchBody(Strict):
    id_number: str | None = Field(default=None, min_length=1, max_length=32)
    unit_no: str | None = Field(default=None, min_length=1, max_length=40)
    after_seq: int = Field(default=0, ge=0, le=MAX_AUDIT_SEQ)
    limit: int = Field(default=200, ge=1, le=5000)


def _person(p: PersonBody) -> PersonIn:
    return PersonIn(p.id_number, p.name)


def to_unit(unit_no: str, b: UnitBody) -> UnitIn:
    return UnitIn(
        unit_no=unit_no, version=b.version, location=b.location, use=b.use, area_m2=b.area_m2,
        certificate_no=b.certificate_no,
        holders=tuple(HolderIn(h.id_number, h.name, h.share) for h in b.holders),
        mortgages=tuple(MortgageIn(m.holder, m.amount_yuan, m.term_start, m.term_end, m.status,
                                   m.certificate_no,
                                   _person(m.holder_person) if m.holder_person else None)
                        for m in b.mortgages),
        seizures=tuple(SeizureIn(s.court, s.date, s.status, s.kind, s.doc_no, s.until)
                       for s in b.seizures),
        objections=tuple(ObjectionIn(o.date, o.status, o.note) for o in b.objections),
        prenotices=tuple(PrenoticeIn(p.kind, p.date, p.status, tuple(_person(x) for x in p.holders))
                         for p in b.prenotices))


def parse_line(raw: dict[str, Any]) -> UnitIn:
    """One line of a bulk import, validated as the PUT body is. The message names the
    fields at fault, never their values (they may be ID numbers)."""
    try:
        line = UnitLine.model_validate(raw)
    except ValidationError as exc:
        where = "; ".join(".".join(str(x) for x in e["loc"]) + ": " + e["msg"]
                          for e in exc.errors()[:3])
        raise InvalidInput(f"内容有误 {where}", f"invalid unit: {where}") from None
    return to_unit(line.unit_no, line)


@router.put("/units/{unit_no}")
def put_unit(unit_no: str, body: UnitBody, response: Response, records: RecordsDep,
             _: Registry) -> dict[str, Any]:
    """不动产单元推送 Upsert a registered unit (idempotent; the higher version wins)."""
    result = records.archive.push(to_unit(unit_no, body))
    if result["result"] == "created":
        response.status_code = 201
    return result


@router.post("/units/import")
async def import_units(request: Request, records: RecordsDep, _: Registry) -> dict[str, Any]:
    """批量导入 JSON Lines: one unit per line, the PUT body plus `unit_no`."""
    data = await request.body()
    if not data.strip():
        raise ApiError(422, "invalid_input", "文件为空 / the file is empty")
    return await run_in_threadpool(records.archive.import_jsonl, data, parse_line)


@router.post("/archive/lookup", responses=RATE_LIMITED)
def lookup(body: ArchiveLookupBody, records: RecordsDep, who: ArchiveReader) -> dict[str, Any]:
    """电子档案查询 A kiosk: the units of the card holder whose ID number it read, nothing
    else. Staff: by ID number or by unit number, with more detail. Always audited."""
    if who.role is Role.KIOSK:
        if body.unit_no is not None or body.id_number is None:
            raise ApiError(422, "invalid_input",
                           "自助机只能凭身份证查询本人名下房产 / a kiosk looks up by the card's "
                           "ID number only")
        return records.archive.by_id(who, body.id_number, staff=False,
                                     card=evidence(body.card),
                                     sms=sms_proof(body.sms_code, body.sms_pass))
    if (body.id_number is None) == (body.unit_no is None):
        raise ApiError(422, "invalid_input",
                       "请给出身份证号或不动产单元号之一 / give either id_number or unit_no")
    if body.id_number is not None:
        return records.archive.by_id(who, body.id_number, staff=True)
    assert body.unit_no is not None
    return records.archive.by_unit(who, body.unit_no)


@router.get("/archive/audit")
def audit(records: RecordsDep, _: Admin,
          after_seq: Annotated[int, Query(ge=0, le=MAX_AUDIT_SEQ)] = 0,
          unit_no: Annotated[str | None, Query(max_length=40)] = None,
          limit: Annotated[int, Query(ge=1, le=5000)] = 200) -> list[dict[str, Any]]:
    """查询审计日志 Who looked at what, oldest first; page with after_seq."""
    return records.archive.audit_log(after_seq=after_seq, unit_no=unit_no, id_number=None,
                                     limit=limit)


@router.post("/archive/audit/search")
def audit_search(body: AuditSearchBody, records: RecordsDep, _: Admin) -> list[dict[str, Any]]:
    """The audit log filtered by the person looked up: the ID number goes in the body."""
    return records.archive.audit_log(after_seq=body.after_seq, unit_no=body.unit_no,
                                     id_number=body.id_number, limit=body.limit)


# --- 档案原貌 and 房屋现貌 ------------------------------------------------------------------

# The routes that take a file: their body limit (api/limits.py, BodyLimits) is larger.
UPLOAD_PATH = re.compile(r"/api/v1/units/[^/]+/(originals|photo)")
_FILE = {"type": "string", "format": "binary"}
UPLOAD_BODY: dict[str, Any] = {"requestBody": {
    "required": True,
    "description": f"the file's bytes: JPEG, PNG, or PDF (at most {MAX_PDF_PAGES} pages, no "
                   f"scripts); at most {MAX_UPLOAD_BYTES // 2**20} MB. The server reads the "
                   "kind from the bytes, so any Content-Type (image/jpeg, application/pdf…) "
                   "is taken; application/octet-stream is the one generated clients send",
    "content": {"application/octet-stream": {"schema": _FILE}}}}
IMAGE_ANSWER: dict[int | str, dict[str, Any]] = {200: {
    "description": "JPEG, watermarked with the time, the kiosk and the masked name",
    "content": {"image/jpeg": {"schema": _FILE}}}}


async def _push(request: Request, records: RecordsDep, unit_no: str, kind: str,
                append: bool) -> dict[str, Any]:
    data = await request.body()
    return await run_in_threadpool(records.archive.push_images, unit_no, kind, data,
                                   append=append)


@router.put("/units/{unit_no}/originals", openapi_extra=UPLOAD_BODY)
async def put_originals(unit_no: str, request: Request, records: RecordsDep, _: Registry,
                        append: Annotated[bool, Query()] = False) -> dict[str, Any]:
    """档案原貌推送 The scanned pages of the unit's register originals: a PDF's pages, or
    one JPEG/PNG page. They replace the unit's pages; `append=true` adds them after."""
    return await _push(request, records, unit_no, ORIGINAL, append)


@router.put("/units/{unit_no}/photo", openapi_extra=UPLOAD_BODY)
async def put_photo(unit_no: str, request: Request, records: RecordsDep,
                    _: Registry) -> dict[str, Any]:
    """房屋现貌推送 The property's photo: one JPEG or PNG (or a one-page PDF)."""
    return await _push(request, records, unit_no, PHOTO, False)


@router.get("/units/{unit_no}/images")
def unit_images(unit_no: str, records: RecordsDep,
                _: Annotated[Principal, Depends(require(Role.REGISTRY, Role.ADMIN))]
                ) -> dict[str, Any]:
    """What the hall keeps of the unit's originals and photo: pages, sizes and hashes
    (never the images: those go only to their owner, at a kiosk)."""
    return records.archive.image_index(unit_no)


class ImageBody(Strict):
    id_number: str = Field(min_length=1, max_length=32)
    card: CardIn | None = Field(default=None, description="the card's chip data")
    unit_no: str = Field(min_length=1, max_length=40)
    kind: Literal["original", "photo"]
    page: int = Field(default=1, ge=1, le=1000)
    sms_code: str | None = SMS_CODE
    sms_pass: str | None = SMS_PASS


@router.post("/archive/image", response_class=Response, responses={**IMAGE_ANSWER,
                                                                    **RATE_LIMITED})
def archive_image(body: ImageBody, records: RecordsDep,
                  who: Annotated[Principal, Depends(require(Role.KIOSK))]) -> Response:
    """档案原貌查看 One page of the originals, or the photo, of a unit the card holder owns,
    watermarked; never cached (Cache-Control: no-store). Every view is audited."""
    data = records.archive.image_for_owner(who, body.id_number, evidence(body.card),
                                           body.unit_no, body.kind, body.page,
                                           sms=sms_proof(body.sms_code, body.sms_pass))
    return Response(data, media_type="image/jpeg",
                    headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
