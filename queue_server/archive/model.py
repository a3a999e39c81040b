"""A registered unit as pushed (clear personal data) and as kept (hashed and masked).

Rights holders and pre-notice holders are people: their ID numbers become keyed
hashes (so the card holder's units can be found) and masks; their names masks.
Mortgagees, courts and the like are institutions and are kept as given, except a
natural-person mortgagee, who is masked like any other person.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from queue_server.domain.errors import InvalidInput
from queue_server.domain.identity import id_hash, mask_id_number, mask_name, normalise_id_number

UNIT_NO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,39}$")
RESERVED = frozenset({"import"})
ACTIVE = "active"
MORTGAGE_STATUSES = frozenset({ACTIVE, "cancelled"})
SEIZURE_STATUSES = frozenset({ACTIVE, "lifted"})
NOTE_STATUSES = frozenset({ACTIVE, "cancelled"})  # objections and pre-notices
MAX_PEOPLE = 50
MAX_ENTRIES = 50


@dataclass(frozen=True)
class PersonIn:
    id_number: str
    name: str


@dataclass(frozen=True)
class HolderIn:
    id_number: str
    name: str
    share: str = ""  # "1/2", "共同共有", …: as the register writes it


@dataclass(frozen=True)
class MortgageIn:
    holder: str  # the mortgagee, an institution (a bank)
    amount_yuan: float | None = None
    term_start: date | None = None
    term_end: date | None = None
    status: str = ACTIVE
    certificate_no: str = ""  # 不动产登记证明号
    holder_person: PersonIn | None = None  # a natural-person mortgagee instead


@dataclass(frozen=True)
class SeizureIn:
    court: str
    date: date
    status: str = ACTIVE
    kind: str = "查封"  # 查封, 轮候查封, 预查封
    doc_no: str = ""  # the ruling's number (文书号)
    until: date | None = None


@dataclass(frozen=True)
class ObjectionIn:
    date: date
    status: str = ACTIVE
    note: str = ""


@dataclass(frozen=True)
class PrenoticeIn:
    kind: str  # 预购商品房, 预售商品房抵押…
    date: date
    status: str = ACTIVE
    holders: tuple[PersonIn, ...] = ()


@dataclass(frozen=True)
class UnitIn:
    unit_no: str
    version: int
    location: str
    use: str
    area_m2: float | None = None
    certificate_no: str = ""
    holders: tuple[HolderIn, ...] = ()
    mortgages: tuple[MortgageIn, ...] = ()
    seizures: tuple[SeizureIn, ...] = ()
    objections: tuple[ObjectionIn, ...] = ()
    prenotices: tuple[PrenoticeIn, ...] = ()


@dataclass(frozen=True)
class HolderRecord:
    kind: str  # owner | prenotice
    id_hash: str
    id_masked: str
    name_masked: str
    share: str


@dataclass(frozen=True)
class UnitRecord:
    unit_no: str
    version: int
    content_hash: str
    location: str
    use: str
    area_m2: float | None
    certificate_no: str
    holders: tuple[HolderRecord, ...]
    encumbrances: dict[str, Any] = field(default_factory=dict)


def check_unit_no(unit_no: str) -> str:
    if not UNIT_NO_RE.match(unit_no) or unit_no.lower() in RESERVED:
        raise InvalidInput("不动产单元号只能由字母、数字、-、_ 组成，最长40位",
                           "a unit number has up to 40 letters, digits, '-' or '_'",
                           code="invalid_unit_no")
    return unit_no


def _masked(p: PersonIn, key: bytes) -> tuple[str, str, str]:
    number = normalise_id_number(p.id_number)
    return id_hash(number, key), mask_id_number(number), mask_name(p.name)


def _d(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _status(value: str, allowed: frozenset[str], what: str) -> str:
    if value not in allowed:
        names = "、".join(sorted(allowed))
        raise InvalidInput(f"{what}状态应为 {names}", f"{what} status must be one of {names}")
    return value


def _content_hash(unit: UnitIn, key: bytes) -> str:
    canonical = json.dumps(asdict(unit), default=str, ensure_ascii=False, sort_keys=True)
    return hmac.new(key, b"hallq-unit-content\0" + canonical.encode("utf-8"),
                    hashlib.sha256).hexdigest()


def protect(unit: UnitIn, key: bytes) -> UnitRecord:
    check_unit_no(unit.unit_no)
    if unit.version < 0:
        raise InvalidInput("版本号不能为负", "version must not be negative")
    if not unit.location.strip() or not unit.use.strip():
        raise InvalidInput("坐落和用途不能为空", "location and use are required")
    if len(unit.holders) > MAX_PEOPLE or any(
            len(x) > MAX_ENTRIES for x in (unit.mortgages, unit.seizures, unit.objections,
                                           unit.prenotices)):
        raise InvalidInput("权利人或登记事项过多", "too many holders or entries")
    if unit.area_m2 is not None and not 0 <= unit.area_m2 < 10_000_000:
        raise InvalidInput("面积超出范围", "area_m2 is out of range")
    holders = []
    for h in unit.holders:
        hh, masked_id, masked_name = _masked(PersonIn(h.id_number, h.name), key)
        holders.append(HolderRecord("owner", hh, masked_id, masked_name, h.share.strip()[:40]))
    prenotices = []
    for p in unit.prenotices:
        people = []
        for person in p.holders:
            hh, masked_id, masked_name = _masked(person, key)
            holders.append(HolderRecord("prenotice", hh, masked_id, masked_name, ""))
            people.append({"id_masked": masked_id, "name_masked": masked_name})
        prenotices.append({"kind": p.kind[:40], "date": _d(p.date),
                           "status": _status(p.status, NOTE_STATUSES, "预告登记"),
                           "holders": people})
    mortgages = []
    for m in unit.mortgages:
        person = _masked(m.holder_person, key) if m.holder_person else None
        if not m.holder.strip() and person is None:
            raise InvalidInput("抵押权人不能为空", "a mortgage needs its holder")
        mortgages.append({
            "holder": person[2] if person else m.holder.strip()[:100],
            "holder_is_person": person is not None,
            "amount_yuan": round(m.amount_yuan, 2) if m.amount_yuan is not None else None,
            "term_start": _d(m.term_start), "term_end": _d(m.term_end),
            "status": _status(m.status, MORTGAGE_STATUSES, "抵押"),
            "certificate_no": m.certificate_no[:60]})
    seizures = [{"court": s.court.strip()[:100], "date": _d(s.date), "kind": s.kind[:20],
                 "status": _status(s.status, SEIZURE_STATUSES, "查封"),
                 "doc_no": s.doc_no[:80], "until": _d(s.until)} for s in unit.seizures]
    objections = [{"date": _d(o.date), "status": _status(o.status, NOTE_STATUSES, "异议登记"),
                   "note": o.note[:200]} for o in unit.objections]
    return UnitRecord(
        unit_no=unit.unit_no, version=unit.version, content_hash=_content_hash(unit, key),
        location=unit.location.strip()[:200], use=unit.use.strip()[:40], area_m2=unit.area_m2,
        certificate_no=unit.certificate_no.strip()[:60], holders=tuple(holders),
        encumbrances={"mortgages": mortgages, "seizures": seizures, "objections": objections,
                      "prenotices": prenotices})
