"""Reads and writes of the cases tables. Every function takes the caller's connection,
so a push, its steps and the messages it causes commit together or not at all.

Out-of-order pushes are settled by the back office's numbers, never by arrival order:
the header (item, applicants, time limit) is replaced only by a higher `version`, and
each step is kept once under its `seq`; the current step is the one with the highest
seq. Every write names what it expects to replace, so concurrent pushes of one case
cannot make an older one win.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, delete, or_, select, update

from queue_server.cases.model import ApplicantRecord, CaseRecord, StepIn
from queue_server.cases.steps import FINISHED
from queue_server.domain.errors import VersionConflict
from queue_server.store.sqlutil import insert_ignore
from queue_server.store.tables import case_applicants, case_steps, cases


@dataclass(frozen=True)
class Outcome:
    header: str  # created | updated | unchanged | stale
    steps_added: int
    status: str | None
    became: StepIn | None  # the step that became current with this push, if one did


def _applicant_rows(case_no: str, applicants: Sequence[ApplicantRecord]) -> list[dict[str, Any]]:
    return [{"case_no": case_no, "idx": i, "id_hash": a.id_hash, "id_masked": a.id_masked,
             "name_masked": a.name_masked, "role": a.role, "phone_sealed": a.phone_sealed,
             "phone_masked": a.phone_masked, "phone_ref": a.phone_ref,
             "wechat_sealed": a.wechat_sealed, "wechat_masked": a.wechat_masked,
             "wechat_ref": a.wechat_ref} for i, a in enumerate(applicants)]


def _header(rec: CaseRecord, now: datetime) -> dict[str, Any]:
    return {"version": rec.version, "content_hash": rec.content_hash, "item": rec.item,
            "item_name": rec.item_name, "accepted_hall": rec.hall, "accepted_at": rec.accepted_at,
            "time_limit_days": rec.time_limit_days, "due_date": rec.due_date,
            "receipt_hash": rec.receipt_hash, "ticket_id": rec.ticket, "updated_at": now}


def upsert(conn: Connection, rec: CaseRecord, now: datetime) -> Outcome:
    header = _upsert_header(conn, rec, now)
    added = 0
    for s in rec.steps:
        added += _merge_step(conn, rec.case_no, s, now)
    became = None
    if rec.steps:
        top = max(rec.steps, key=lambda s: s.seq)
        moved = conn.execute(
            update(cases).where(cases.c.case_no == rec.case_no, cases.c.status_seq < top.seq)
            .values(status=top.step.value, status_seq=top.seq, status_at=top.at,
                    updated_at=now)).rowcount
        if moved:
            became = top
    status = conn.execute(select(cases.c.status).where(cases.c.case_no == rec.case_no)
                          ).scalar_one()
    return Outcome(header, added, status, became)


def _upsert_header(conn: Connection, rec: CaseRecord, now: datetime) -> str:
    # The insert comes first: on SQLite it takes the write lock before anything is read.
    if insert_ignore(conn, cases, {"case_no": rec.case_no, **_header(rec, now),
                                   "status": None, "status_seq": 0, "created_at": now},
                     ["case_no"]):
        conn.execute(case_applicants.insert(), _applicant_rows(rec.case_no, rec.applicants))
        return "created"
    replaced = conn.execute(
        update(cases).where(cases.c.case_no == rec.case_no, cases.c.version < rec.version)
        .values(**_header(rec, now))).rowcount
    if replaced:
        conn.execute(delete(case_applicants).where(case_applicants.c.case_no == rec.case_no))
        conn.execute(case_applicants.insert(), _applicant_rows(rec.case_no, rec.applicants))
        return "updated"
    stored = conn.execute(select(cases.c.version, cases.c.content_hash)
                          .where(cases.c.case_no == rec.case_no)).one()
    if stored.version == rec.version:
        if stored.content_hash != rec.content_hash:
            raise VersionConflict(
                f"版本 {rec.version} 已收到过不同内容，请使用新的版本号",
                f"version {rec.version} was already received with different content; "
                "send changes under a higher version")
        return "unchanged"
    return "stale"


def _merge_step(conn: Connection, case_no: str, s: StepIn, now: datetime) -> int:
    if insert_ignore(conn, case_steps, {"case_no": case_no, "seq": s.seq, "step": s.step.value,
                                        "at": s.at, "note": s.note, "reason": s.reason,
                                        "received_at": now}, ["case_no", "seq"]):
        return 1
    old = conn.execute(select(case_steps).where(case_steps.c.case_no == case_no,
                                                case_steps.c.seq == s.seq)).one()._mapping
    if (old["step"], old["at"], old["note"], old["reason"]) != (s.step.value, s.at, s.note,
                                                                 s.reason):
        raise VersionConflict(f"步骤序号 {s.seq} 已收到过不同内容",
                              f"step seq {s.seq} was already received with different content",
                              code="step_conflict")
    return 0


# --- reads -------------------------------------------------------------------------------

def case(conn: Connection, case_no: str) -> dict[str, Any] | None:
    row = conn.execute(select(cases).where(cases.c.case_no == case_no)).first()
    return dict(row._mapping) if row else None


def applicants(conn: Connection, case_no: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(case_applicants).where(case_applicants.c.case_no == case_no)
                        .order_by(case_applicants.c.idx)).all()
    return [dict(r._mapping) for r in rows]


def applicants_of(conn: Connection, case_nos: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {c: [] for c in case_nos}
    if not case_nos:
        return out
    rows = conn.execute(select(case_applicants).where(case_applicants.c.case_no.in_(case_nos))
                        .order_by(case_applicants.c.case_no, case_applicants.c.idx)).all()
    for r in rows:
        out[r.case_no].append(dict(r._mapping))
    return out


def steps(conn: Connection, case_no: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(case_steps).where(case_steps.c.case_no == case_no)
                        .order_by(case_steps.c.seq)).all()
    return [dict(r._mapping) for r in rows]


def cases_of_ticket(conn: Connection, ticket_id: str, limit: int = 5) -> list[dict[str, Any]]:
    """The cases accepted at a queue ticket (the back office pushed them with it)."""
    rows = conn.execute(select(cases).where(cases.c.ticket_id == ticket_id)
                        .order_by(cases.c.case_no).limit(limit)).all()
    return [dict(r._mapping) for r in rows]


def case_nos_of_applicant(conn: Connection, id_hash: str, limit: int) -> list[str]:
    rows = conn.execute(
        select(cases.c.case_no).join(case_applicants, case_applicants.c.case_no == cases.c.case_no)
        .where(case_applicants.c.id_hash == id_hash).distinct()
        .order_by(cases.c.case_no.desc()).limit(limit)).all()
    return [r[0] for r in rows]


def due_by(conn: Connection, horizon: date, limit: int) -> list[dict[str, Any]]:
    """Unfinished cases due on or before `horizon`, the most overdue first."""
    unfinished = or_(cases.c.status.is_(None), cases.c.status.not_in([s.value for s in FINISHED]))
    rows = conn.execute(select(cases).where(cases.c.due_date <= horizon, unfinished)
                        .order_by(cases.c.due_date, cases.c.case_no).limit(limit)).all()
    return [dict(r._mapping) for r in rows]


def insert_new(conn: Connection, records: Sequence[CaseRecord], now: datetime) -> None:
    """Bulk load into empty tables (the demo data set): no version checks, many rows."""
    rows, people, step_rows = [], [], []
    for rec in records:
        top = max(rec.steps, key=lambda s: s.seq) if rec.steps else None
        rows.append({"case_no": rec.case_no, **_header(rec, now), "created_at": now,
                     "status": top.step.value if top else None,
                     "status_seq": top.seq if top else 0, "status_at": top.at if top else None})
        people.extend(_applicant_rows(rec.case_no, rec.applicants))
        step_rows.extend({"case_no": rec.case_no, "seq": s.seq, "step": s.step.value, "at": s.at,
                          "note": s.note, "reason": s.reason, "received_at": now}
                         for s in rec.steps)
    conn.execute(cases.insert(), rows)
    conn.execute(case_applicants.insert(), people)
    if step_rows:
        conn.execute(case_steps.insert(), step_rows)
