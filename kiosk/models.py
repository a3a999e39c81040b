"""What the kiosk knows of the hall, a ticket, a case and a property, as plain data.

Parsed from the server's JSON by `kiosk.client`; the flow and the screens use only these,
so a change in the wire format touches one module. Parsing of the case and archive shapes
is tolerant on purpose: those routes are being built alongside the kiosk, and an extra or
renamed optional field must not take a kiosk out of service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


class BadResponse(ValueError):
    """The server answered 2xx with JSON the kiosk cannot use."""


@dataclass(frozen=True)
class HallInfo:
    name: str
    name_en: str
    timezone: str
    day: date  # the server's business day: ages for the green channel count from it
    green_age: int
    allow_anonymous: bool
    per_id_daily_limit: int
    slips: bool = False  # the server checks QR slips (it holds the hall's slip key)


@dataclass(frozen=True)
class Item:
    """One thing an applicant can choose: a catalogue item, or a bare business."""

    code: str
    name: str
    name_en: str
    category: str
    business: str
    journey: str | None = None
    common: bool = False
    materials: tuple[str, ...] = ()
    materials_en: tuple[str, ...] = ()
    note: str = ""
    note_en: str = ""
    time_limit_days: int = 0


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    name_en: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Ticket:
    id: str
    number: str
    business: str
    business_name: str
    business_name_en: str
    status: str
    priority: str
    priority_reason: str | None
    waiting_ahead: int | None
    wait_range: tuple[int, int] | None  # minutes, low–high; None when no honest figure
    issued_at: datetime
    follow_url: str = ""  # the server's link for the applicant's phone (HALLQ_PUBLIC_URL)


@dataclass(frozen=True)
class CaseStep:
    name: str
    name_en: str
    state: str  # "done" | "current" | "pending"
    at: str = ""  # when it was done or started, as the server wrote it (shown as is)


@dataclass(frozen=True)
class CaseProgress:
    case_no: str
    title: str
    title_en: str
    status: str
    steps: tuple[CaseStep, ...]
    next_text: str = ""  # what happens next, when the server says so in words
    next_text_en: str = ""
    expected: str = ""  # promised completion date, as written
    overdue: bool | None = None  # the server's word (urgency); None: it did not say

    def past_due(self, today: date | None) -> bool:
        """Past its promised date and not finished: the server says so, or, where it does
        not, the date read against the hall's business day."""
        if self.overdue is not None:
            return self.overdue
        if today is None or not self.expected or (
                self.steps and all(s.state == "done" for s in self.steps)):
            return False
        try:
            return date.fromisoformat(self.expected[:10]) < today
        except ValueError:
            return False

    @property
    def current(self) -> int | None:
        return next((i for i, s in enumerate(self.steps) if s.state == "current"), None)

    @property
    def next_step(self) -> CaseStep | None:
        i = self.current
        if i is None:
            i = next((k - 1 for k, s in enumerate(self.steps) if s.state == "pending"), None)
            if i is None:
                return None
        return self.steps[i + 1] if i + 1 < len(self.steps) else None


@dataclass(frozen=True)
class Encumbrance:
    """A mortgage or a seizure on a property."""

    holder: str  # the mortgagee bank, or the court / authority that seized it
    detail: str  # amount, kind of seizure: whatever the server gives, joined
    period: str
    status: str  # "active", "cancelled", "lifted" (the screen words them) or free text


@dataclass(frozen=True)
class Property:
    address: str
    certificate_no: str
    area: str
    use: str
    right_type: str  # "owner" | "prenotice" (the screen words them) or free text
    rights_status: str  # the server's words; empty: the screen derives it
    share: str
    rights_status_en: str = ""
    mortgages: tuple[Encumbrance, ...] = field(default_factory=tuple)
    seizures: tuple[Encumbrance, ...] = field(default_factory=tuple)
    unit_no: str = ""
    # 档案原貌 / 房屋现貌 the server holds for this unit: pages of originals, a photo.
    originals: int = 0
    photo: bool = False


@dataclass(frozen=True)
class Booking:
    """What an appointment slip the server checked books."""

    slip: str  # as scanned: the check-in sends it back, and the server checks it again
    code: str
    business: str
    slot_start: datetime
    slot_end: datetime


@dataclass(frozen=True)
class CheckedSlip:
    kind: str  # appointment, case or ticket
    value: str
    booking: Booking | None = None


# --- parsing ----------------------------------------------------------------------------


def _obj(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BadResponse(f"{what}: expected an object, got {type(data).__name__}")
    return data


def _str(d: dict[str, Any], *keys: str, default: str = "") -> str:
    """The first of `keys` present with a usable value, as text."""
    for k in keys:
        v = d.get(k)
        if v is None or isinstance(v, dict | list):
            continue
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        text = str(v).strip()
        if text:
            return text
    return default


def parse_hall(data: Any) -> HallInfo:
    d = _obj(data, "hall")
    try:
        return HallInfo(
            name=str(d["name"]), name_en=str(d.get("name_en") or ""),
            timezone=str(d.get("timezone") or "Asia/Shanghai"),
            day=date.fromisoformat(str(d["day"])),
            green_age=int(d.get("green_age", 70)),
            allow_anonymous=bool(d.get("allow_anonymous", True)),
            per_id_daily_limit=int(d.get("per_id_daily_limit", 0)),
            slips=d.get("slips") is True,
        )
    except (KeyError, ValueError, TypeError) as e:
        raise BadResponse(f"hall: {e}") from e


def parse_checked_slip(data: Any, text: str) -> CheckedSlip:
    d = _obj(data, "slip")
    try:
        booking = None
        if (a := d.get("appointment")) is not None:
            a = _obj(a, "appointment")
            booking = Booking(text, str(a["code"]), str(a["business"]),
                              datetime.fromisoformat(str(a["slot_start"])),
                              datetime.fromisoformat(str(a["slot_end"])))
        return CheckedSlip(str(d["kind"]), str(d["value"]), booking)
    except (KeyError, ValueError, TypeError) as e:
        raise BadResponse(f"slip: {e}") from e


def parse_catalogue(data: Any) -> tuple[Category, ...]:
    d = _obj(data, "catalogue")
    out = []
    for c in d.get("categories") or ():
        c = _obj(c, "category")
        code = _str(c, "code")
        items = tuple(
            Item(code=_str(i, "code"), name=_str(i, "name"), name_en=_str(i, "name_en"),
                 category=code, business=_str(i, "business"), journey=i.get("journey") or None,
                 common=bool(i.get("common")), materials=tuple(i.get("materials") or ()),
                 materials_en=tuple(i.get("materials_en") or ()), note=_str(i, "note"),
                 note_en=_str(i, "note_en"), time_limit_days=int(i.get("time_limit_days") or 0))
            for i in (_obj(x, "item") for x in c.get("items") or ()))
        # Most common first inside a category; the catalogue's own order otherwise.
        items = tuple(sorted(items, key=lambda i: not i.common))
        if items:
            out.append(Category(code, _str(c, "name"), _str(c, "name_en"), items))
    return tuple(out)


def categories_from_businesses(data: Any) -> tuple[Category, ...]:
    """A hall without a catalogue: every business is one plain item, all 'common'."""
    if not isinstance(data, list):
        raise BadResponse("businesses: expected a list")
    items = tuple(
        Item(code=_str(b, "code"), name=_str(b, "name"), name_en=_str(b, "name_en"),
             category="all", business=_str(b, "code"), common=True)
        for b in (_obj(x, "business") for x in data))
    return (Category("all", "全部业务", "All businesses", items),) if items else ()


def parse_ticket(data: Any) -> Ticket:
    d = _obj(data, "ticket")
    try:
        wr = d.get("estimated_wait_range")
        wait = None
        if isinstance(wr, list | tuple) and len(wr) == 2:
            low, high = round(float(wr[0])), round(float(wr[1]))
            wait = (max(0, low), max(0, low, high))
        ahead = d.get("waiting_ahead")
        issued = datetime.fromisoformat(str(d["issued_at"]))
        return Ticket(
            id=str(d["id"]), number=str(d["number"]), business=str(d["business"]),
            business_name=_str(d, "business_name", default=str(d["business"])),
            business_name_en=_str(d, "business_name_en"), status=str(d.get("status", "")),
            priority=str(d.get("priority", "normal")), priority_reason=d.get("priority_reason"),
            waiting_ahead=int(ahead) if ahead is not None else None, wait_range=wait,
            issued_at=issued, follow_url=_str(d, "follow_url"))
    except (KeyError, ValueError, TypeError) as e:
        raise BadResponse(f"ticket: {e}") from e


_DONE = {"done", "finished", "completed", "complete", "passed", "ok"}
_CURRENT = {"current", "active", "in_progress", "processing", "doing", "running"}


def _steps(raw: list[Any], current_key: str) -> list[CaseStep]:
    steps: list[CaseStep] = []
    for i, s in enumerate(raw):
        s = _obj(s, "case step")
        state = _str(s, "state", "status").lower()
        code = _str(s, "step", "code")
        if state in _DONE:
            norm = "done"
        elif state in _CURRENT or (current_key and current_key in (code, str(i))):
            norm = "current"
        else:
            norm = "pending"
        steps.append(CaseStep(
            name=_str(s, "name", "title", default=code or f"#{i + 1}"),
            name_en=_str(s, "name_en", "title_en"), state=norm,
            at=_str(s, "at", "finished_at", "done_at", "started_at", "time", "date")))
    return steps


def parse_case(data: Any, case_no: str) -> CaseProgress:
    """A case's progress. Takes the path of steps with each one's state (`progress`, or
    `steps`) and dates them from the history (`timeline`) when both are given; a case
    that left the path (refused) shows its history instead."""
    d = _obj(data, "case")
    path = d.get("progress") if d.get("progress") else d.get("steps")
    history = d.get("timeline") if isinstance(d.get("timeline"), list) else []
    current_key = _str(d, "current_step", "current", "status")
    if isinstance(path, list) and path:
        steps = _steps(path, current_key)
        when = {_str(h, "step", "code"): _str(h, "at", "time") for h in history
                if isinstance(h, dict)}
        codes = [_str(p, "step", "code") if isinstance(p, dict) else "" for p in path]
        steps = [CaseStep(s.name, s.name_en, s.state, s.at or when.get(c, ""))
                 for s, c in zip(steps, codes, strict=True)]
    elif history:
        steps = [CaseStep(s.name, s.name_en, "done", s.at) for s in _steps(history, "")]
        if steps:
            last = steps[-1]
            steps[-1] = CaseStep(last.name, last.name_en, "current", last.at)
    elif path is None or isinstance(path, list):
        steps = []
    else:
        raise BadResponse("case: steps must be a list")
    if steps and not any(s.state == "current" for s in steps) and any(
            s.state == "pending" for s in steps):
        # Nobody said which is current: the first step not yet done is.
        first = next(i for i, s in enumerate(steps) if s.state != "done")
        s = steps[first]
        steps[first] = CaseStep(s.name, s.name_en, "current", s.at)
    nxt = d.get("hint") or d.get("next") or d.get("next_step") or d.get("next_action")
    next_zh = next_en = ""
    if isinstance(nxt, dict):
        next_zh, next_en = _str(nxt, "name", "text", "title"), _str(nxt, "name_en", "text_en")
    elif isinstance(nxt, str):
        next_zh = nxt
    reason = _str(d, "refusal_reason")
    if reason:
        next_zh = f"{next_zh}（{reason}）" if next_zh else reason
    return CaseProgress(
        case_no=_str(d, "case_no", "number", "code", default=case_no),
        title=_str(d, "item_name", "business_name", "title", "name", "item", "business"),
        title_en=_str(d, "item_name_en", "business_name_en", "title_en", "name_en"),
        status=_str(d, "status_name", "status_zh", "status"), steps=tuple(steps),
        next_text=next_zh, next_text_en=_str(d, "hint_en", "next_en") or next_en,
        expected=_str(d, "due_date", "expected_finish", "expected_at", "due", "deadline"),
        overdue=(d["urgency"] == "overdue") if "urgency" in d else None)


def _encumbrances(raw: Any, holder_keys: tuple[str, ...], detail_keys: tuple[str, ...]
                  ) -> tuple[Encumbrance, ...]:
    if not isinstance(raw, list):
        return ()
    out = []
    for e in raw:
        if not isinstance(e, dict):
            continue
        start = _str(e, "term_start", "date", "start", "from", "start_date")
        end = _str(e, "term_end", "until", "end", "to", "end_date")
        period = f"{start} — {end}" if start and end else start or end or _str(e, "period")
        out.append(Encumbrance(
            holder=_str(e, *holder_keys),
            detail=" · ".join(x for x in (_str(e, k) for k in detail_keys) if x),
            period=period, status=_str(e, "status_zh", "status")))
    return tuple(out)


_MORTGAGE = ("mortgage", "抵押")
_SEIZURE = ("seizure", "pre_seizure", "preseizure", "查封", "预查封")


def _holders(raw: Any) -> str:
    if not isinstance(raw, list):
        return ""
    parts = []
    for h in raw:
        if isinstance(h, dict):
            who = _str(h, "name_masked", "name")
            share = _str(h, "share")
            parts.append(f"{who} {share}".strip())
    return "、".join(p for p in parts if p)


def _amount(e: dict[str, Any]) -> str:
    yuan = e.get("amount_yuan")
    if isinstance(yuan, int | float) and not isinstance(yuan, bool):
        return f"{yuan / 10000:g} 万元" if yuan >= 10000 else f"{yuan:g} 元"
    return ""


def parse_archive(data: Any) -> tuple[Property, ...]:
    if isinstance(data, dict):
        raw = data.get("units") if data.get("units") is not None else data.get("properties")
    else:
        raw = data
    if not isinstance(raw, list):
        raise BadResponse("archive: expected a list of properties")
    out = []
    for p in raw:
        p = _obj(p, "property")
        area = _str(p, "area_m2", "area", "building_area", "floor_area")
        mortgages = list(p.get("mortgages") or ())
        seizures = list(p.get("seizures") or ())
        for e in p.get("encumbrances") or ():
            kind = _str(e, "kind", "type").lower() if isinstance(e, dict) else ""
            if kind.startswith(_MORTGAGE):
                mortgages.append(e)
            elif kind.startswith(_SEIZURE):
                seizures.append(e)
        mortgages = [{**e, "amount": _amount(e)} if isinstance(e, dict) and "amount" not in e
                     else e for e in mortgages]
        m = _encumbrances(mortgages, ("mortgagee", "holder", "bank", "creditor"),
                          ("amount", "amount_text", "debt", "certificate_no", "document_no"))
        z = _encumbrances(seizures, ("court", "authority", "holder", "organ"),
                          ("kind", "document_no", "doc_no", "reason"))
        # Empty when not given: the screen then says what the encumbrances mean.
        raw_status = p.get("rights_status")
        if isinstance(raw_status, dict):
            status, status_en = _str(raw_status, "text"), _str(raw_status, "text_en")
        else:
            status = _str(p, "rights_status_zh", "rights_status", "status_name", "status")
            status_en = _str(p, "rights_status_en")
        images = p.get("images") if isinstance(p.get("images"), dict) else {}
        originals = images.get("originals")
        out.append(Property(
            address=_str(p, "location", "address", "seat"),
            certificate_no=_str(p, "certificate_no", "certificate", "cert_no"),
            area=f"{area} ㎡" if area and area.replace(".", "", 1).isdigit() else area,
            use=_str(p, "use", "purpose", "usage"),
            right_type=_str(p, "your_right", "right_type", "rights", "right", "kind"),
            rights_status=status, rights_status_en=status_en,
            share=_str(p, "share", "ownership", "co_ownership") or _holders(p.get("holders")),
            mortgages=m, seizures=z, unit_no=_str(p, "unit_no"),
            originals=originals if isinstance(originals, int) and originals > 0 else 0,
            photo=images.get("photo") is True,
        ))
    return tuple(out)


# --- 好差评 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    """One window's service of the card holder's visit today, not yet rated."""

    ticket: str  # the ticket's id: a journey's services share it
    number: str
    window: int
    staff: str  # 工号; "" when nobody was signed in at the window
    staff_name: str
    business_name: str
    business_name_en: str
    ended_at: str


@dataclass(frozen=True)
class Reason:
    """One cause of a bad rating, as the server lists and accepts them."""

    code: str
    name: str
    name_en: str


@dataclass(frozen=True)
class Dimension:
    """One aspect of a service rated on its own after a good or middling overall rating
    (办事效率, 业务水平, 服务态度), as the server lists and accepts them."""

    code: str
    name: str
    name_en: str


@dataclass(frozen=True)
class Evaluated:
    """The server's receipt of a rating."""

    id: str
    rating: int
    work_order_due: str = ""  # a bad rating's work order is due by this date (ISO)


def parse_pending(data: Any) -> tuple[Service, ...]:
    if not isinstance(data, list):
        raise BadResponse("pending evaluations: expected a list")
    try:
        return tuple(Service(
            ticket=str(d["ticket"]), number=str(d["number"]), window=int(d["window"]),
            staff=_str(d, "staff"), staff_name=_str(d, "staff_name"),
            business_name=_str(d, "business_name", "business"),
            business_name_en=_str(d, "business_name_en"), ended_at=_str(d, "ended_at"))
            for d in (_obj(x, "pending service") for x in data))
    except (KeyError, ValueError, TypeError) as e:
        raise BadResponse(f"pending evaluations: {e}") from e


def parse_reasons(data: Any) -> tuple[Reason, ...]:
    d = _obj(data, "evaluation levels")
    return tuple(Reason(_str(r, "code"), _str(r, "name", "code"), _str(r, "name_en"))
                 for r in (_obj(x, "reason") for x in d.get("reasons") or ()) if _str(r, "code"))


def parse_dimensions(data: Any) -> tuple[Dimension, ...]:
    """The dimensions of GET /evaluation/levels; none from a server that lists none."""
    d = _obj(data, "evaluation levels")
    return tuple(Dimension(_str(x, "code"), _str(x, "name", "code"), _str(x, "name_en"))
                 for x in (_obj(y, "dimension") for y in d.get("dimensions") or ())
                 if _str(x, "code"))


def parse_evaluated(data: Any) -> Evaluated:
    d = _obj(data, "evaluation")
    try:
        order = d.get("work_order")
        due = _str(_obj(order, "work order"), "due_date") if order else ""
        return Evaluated(str(d["id"]), int(d["rating"]), due)
    except (KeyError, ValueError, TypeError) as e:
        raise BadResponse(f"evaluation: {e}") from e
