"""Case use cases: a push from the back office, a bulk import, an applicant's lookup,
the staff views and the overtime warnings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from queue_server.cases import csv_import, proof, store, views
from queue_server.cases.model import CaseIn, CaseRecord, check_case_no, protect
from queue_server.cases.steps import FINISHED, Step
from queue_server.domain.deadline import Urgency, urgency, warn_horizon
from queue_server.domain.errors import DomainError, InvalidInput, NotFound
from queue_server.domain.identity import id_hash, normalise_id_number
from queue_server.domain.workdays import WorkCalendar
from queue_server.evidence import CardEvidence, CardRegistry, SmsProof
from queue_server.notify.service import Composer, Recipient
from queue_server.ratelimit import Limiter
from queue_server.secrecy import SecretBox
from queue_server.security import Principal


class CaseNotFound(DomainError):
    """The one answer to every failed lookup: no case, wrong ID, wrong token."""

    code = "case_not_found"
    status = 404

    def __init__(self) -> None:
        super().__init__("未找到与该受理号及身份信息相符的案件，请核对后重试或到咨询台咨询",
                         "no case matches this case number and proof; check them or ask at "
                         "the information desk")


@dataclass(frozen=True)
class Proof:
    """What the kiosk presents: the ID number read from the card with what else the chip
    holds (`card`, checked against the registry's), or the receipt token."""

    id_number: str | None = None
    receipt_token: str | None = None
    card: CardEvidence | None = None
    sms: SmsProof | None = None  # the SMS code or pass, when the hall asks for one


class CaseService:
    def __init__(self, engine: Engine, *, key: bytes, box: SecretBox, composer: Composer | None,
                 calendar: WorkCalendar, tz: ZoneInfo, catalogue: dict[str, tuple[str, int]],
                 clock: Callable[[], datetime], limiter: Limiter, cards: CardRegistry,
                 warn_days: int = 2, on_queued: Callable[[], None] = lambda: None) -> None:
        self.engine = engine
        self.key = key
        self.box = box
        self.composer = composer
        self.calendar = calendar
        self.tz = tz
        self.catalogue = catalogue
        self.clock = clock
        self.limiter = limiter
        self.cards = cards
        self.warn_days = warn_days
        self.on_queued = on_queued

    # --- from the back office ------------------------------------------------------------

    def protect(self, case: CaseIn) -> CaseRecord:
        # A naive time is refused by protect(); astimezone() must not guess one first.
        return protect(case, key=self.key, box=self.box, calendar=self.calendar,
                       local_accept_day=case.accepted_at.astimezone(self.tz).date()
                       if case.accepted_at.tzinfo else case.accepted_at.date(),
                       catalogue=self.catalogue)

    def push(self, case: CaseIn, *, notify: bool = True) -> dict[str, Any]:
        rec = self.protect(case)
        now = self.clock()
        queued = 0
        with self.engine.begin() as conn:
            outcome = store.upsert(conn, rec, now)
            if notify and outcome.became is not None and outcome.became.step is Step.READY \
                    and self.composer is not None:
                queued = self.composer.case_ready(
                    conn, case_no=rec.case_no, item_name=rec.item_name,
                    ready_seq=outcome.became.seq, ready_at=outcome.became.at,
                    recipients=[Recipient(a["phone_sealed"], a["phone_masked"], a["phone_ref"],
                                          a["wechat_sealed"], a["wechat_masked"], a["wechat_ref"])
                                for a in store.applicants(conn, rec.case_no)], now=now)
        if queued:
            self.on_queued()
        result: dict[str, Any] = {"case_no": rec.case_no, "header": outcome.header,
                                  "steps_added": outcome.steps_added,
                                  "status": outcome.status or Step.ACCEPTED.value,
                                  "notifications_queued": queued}
        if rec.receipt_token:
            # Only the back office (registry role) sees this: it prints it on the receipt.
            result["receipt_token"] = rec.receipt_token
            result["receipt_qr"] = proof.receipt_qr(rec.case_no, rec.receipt_token)
        return result

    def import_csv(self, data: bytes, *, notify: bool = True) -> dict[str, Any]:
        parsed = csv_import.parse(csv_import.decode(data))
        report: dict[str, Any] = {"cases": len(parsed), "created": 0, "updated": 0,
                                  "unchanged": 0, "stale": 0, "steps_added": 0,
                                  "notifications_queued": 0, "errors": []}
        for p in parsed:
            if p.case is None:
                report["errors"].append({"line": p.line, "case_no": p.case_no,
                                         "code": "invalid_row", "message": p.error})
                continue
            try:
                r = self.push(p.case, notify=notify)
            except DomainError as exc:
                report["errors"].append({"line": p.line, "case_no": p.case_no, "code": exc.code,
                                         "message": str(exc)})
                continue
            report[r["header"]] += 1
            report["steps_added"] += r["steps_added"]
            report["notifications_queued"] += r["notifications_queued"]
        return report

    # --- for the applicant ---------------------------------------------------------------

    def _digest(self, who: Principal, p: Proof) -> tuple[proof.ProofDigest, str | None]:
        """The proof's digest, and the SMS pass when the hall's level asks for a code."""
        if p.id_number:
            digest = id_hash(normalise_id_number(p.id_number), self.key)
            self.limiter.take([("kiosk", who.token_id), ("id", digest)])
            # The number alone is no proof: the card on the reader, a code texted to the
            # registry's phone, or both, as the hall decides (evidence.py).
            sms_pass = self.cards.verify(digest, p.card, p.sms)
            return proof.ProofDigest("id", digest), sms_pass
        if p.receipt_token:
            self.limiter.take([("kiosk", who.token_id)])
            return proof.ProofDigest("receipt", proof.receipt_hash(self.key, p.receipt_token)), None
        raise InvalidInput("请刷身份证或扫描受理回执二维码", "read the ID card or scan the receipt's QR code",
                           code="proof_required")

    def lookup(self, who: Principal, case_no: str, p: Proof) -> dict[str, Any]:
        digest, sms_pass = self._digest(who, p)
        with self.engine.connect() as conn:
            # The same two reads whether or not the case exists; see proof.py.
            case = store.case(conn, case_no)
            applicants = store.applicants(conn, case_no)
            ok = proof.matches(digest, [a["id_hash"] for a in applicants],
                               case["receipt_hash"] if case else None)
            if not ok or case is None:
                raise CaseNotFound()
            view = views.kiosk_view(case, applicants, store.steps(conn, case_no))
        # The hall's own working-day reckoning: the kiosk says "已超期" from it.
        u, left = self._urgency(case)
        view.update(views.urgency_fields(u, left))
        if sms_pass:
            view["sms_pass"] = sms_pass
        return view

    def by_applicant(self, who: Principal, id_number: str, limit: int = 20, *,
                     card: CardEvidence | None = None, sms: SmsProof | None = None
                     ) -> dict[str, Any]:
        """Every case the card holder is an applicant of: for those who lost the receipt.
        `{"cases": [...]}`, with `sms_pass` when the hall asked for a code."""
        digest, sms_pass = self._digest(who, Proof(id_number=id_number, card=card, sms=sms))
        with self.engine.connect() as conn:
            out = []
            for case_no in store.case_nos_of_applicant(conn, digest.digest, limit):
                case = store.case(conn, case_no)
                if case is not None:
                    out.append(views.kiosk_view(case, store.applicants(conn, case_no),
                                                store.steps(conn, case_no)))
        return {"cases": out, **({"sms_pass": sms_pass} if sms_pass else {})}

    def of_ticket(self, ticket_id: str) -> list[dict[str, Any]]:
        """The cases accepted at a ticket, for its follow link: the progress only, no
        applicant at all (the link is a bearer of one ticket, not proof of a person)."""
        out = []
        with self.engine.connect() as conn:
            for case in store.cases_of_ticket(conn, ticket_id):
                view = views.kiosk_view(case, [], store.steps(conn, case["case_no"]))
                view.pop("applicants")
                view.update(views.urgency_fields(*self._urgency(case)))
                out.append(view)
        return out

    # --- for staff -----------------------------------------------------------------------

    def today(self) -> date:
        return self.clock().astimezone(self.tz).date()

    def staff(self, case_no: str) -> dict[str, Any]:
        check_case_no(case_no)
        with self.engine.connect() as conn:
            case = store.case(conn, case_no)
            if case is None:
                raise NotFound("没有这个案件", "no such case")
            u, left = self._urgency(case)
            view = views.staff_view(case, store.applicants(conn, case_no),
                                    store.steps(conn, case_no), urgency=u, workdays_left=left)
        # Counted through a year the calendar has no holidays for: the screens say so.
        view["due_provisional"] = self.calendar.is_provisional(case["accepted_at"].date(),
                                                               case["due_date"])
        return view

    def _urgency(self, case: dict[str, Any]) -> tuple[Urgency | None, int]:
        today = self.today()
        left = self.calendar.workdays_between(today, case["due_date"])
        if case["status"] in {s.value for s in FINISHED}:
            return None, left
        return urgency(case["due_date"], today, self.warn_days, self.calendar), left

    def overdue(self, limit: int = 500) -> dict[str, Any]:
        today = self.today()
        horizon = warn_horizon(today, self.warn_days, self.calendar)
        with self.engine.connect() as conn:
            rows = store.due_by(conn, horizon, limit)
            people = store.applicants_of(conn, [r["case_no"] for r in rows])
        items = []
        for r in rows:
            u, left = self._urgency(r)
            if u is not None:
                items.append(views.overdue_item(r, people[r["case_no"]], u, left))
        return {"today": today.isoformat(), "warn_days": self.warn_days,
                "overdue": sum(1 for i in items if i["urgency"] == "overdue"),
                "due_soon": sum(1 for i in items if i["urgency"] == "due_soon"),
                "cases": items}
