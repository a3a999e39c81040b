"""不予受理告知单 storage: rows written with the change that refuses the ticket, reads by
number (reprints, the applicant's next visit) and the day's last sequence number."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select, update

from queue_server.domain.notices import MissingMaterial, Notice
from queue_server.store.tables import notices, tickets


def notice_row(n: Notice, seq: int) -> dict[str, Any]:
    return {"no": n.no, "day": n.day, "seq": seq, "ticket_id": n.ticket_id,
            "ticket_number": n.ticket_number, "business": n.business, "item": n.item,
            "item_name": n.item_name, "item_name_en": n.item_name_en,
            "missing": [asdict(m) for m in n.missing], "note": n.note, "window": n.window,
            "staff": n.staff, "staff_name": n.staff_name, "prechecked": n.prechecked,
            "issued_at": n.issued_at, "printed": 0}


def notice_from(row: Any) -> Notice:
    m = row._mapping
    return Notice(no=m["no"], hall=m["hall"], day=m["day"], ticket_id=m["ticket_id"],
                  ticket_number=m["ticket_number"], business=m["business"], item=m["item"],
                  item_name=m["item_name"], item_name_en=m["item_name_en"],
                  missing=tuple(MissingMaterial(**x) for x in m["missing"]), note=m["note"],
                  window=m["window"], staff=m["staff"], staff_name=m["staff_name"],
                  prechecked=bool(m["prechecked"]), issued_at=m["issued_at"])


def seq_of(no: str) -> int:
    return int(no.rsplit("-", 1)[1])


class NoticeStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def last_seq(self, day: date) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(select(func.max(notices.c.seq))
                                 .where(notices.c.day == day)).scalar()
        return int(value or 0)

    def get(self, no: str) -> tuple[Notice, int] | None:
        """The notice and how many times it was printed."""
        with self.engine.connect() as conn:
            row = conn.execute(select(notices).where(notices.c.no == no)).first()
        return None if row is None else (notice_from(row), int(row._mapping["printed"]))

    def applicant_of(self, ticket_id: str) -> str | None:
        """The ID hash of the refused ticket's applicant (None: no card was read)."""
        with self.engine.connect() as conn:
            return conn.execute(select(tickets.c.id_hash)
                                .where(tickets.c.id == ticket_id)).scalar()

    def later_visits(self, n: Notice, id_hash: str | None) -> list[dict[str, Any]]:
        """The notice's next visits: later tickets that name it (from the desk or the
        kiosk, card or no card), and the same applicant's by ID card: pre-checked for
        the notice's item, or, not pre-checked, for its business."""
        t = tickets.c
        linked = t.follows_notice == n.no
        match = [linked]
        if id_hash is not None:
            same_business = or_(t.origin_business == n.business, t.business == n.business)
            match.append(and_(t.id_hash == id_hash, or_(
                t.precheck_item == n.item, and_(t.precheck_item.is_(None), same_business))))
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.id, t.number, t.day, t.status, t.closed_reason, t.issued_at,
                       linked.label("linked"))
                .where(t.hall == n.hall, t.day >= n.day, t.id != n.ticket_id, or_(*match))
                .order_by(t.issued_at, t.number).limit(20)).all()
        return [{"id": r.id, "number": r.number, "day": r.day.isoformat(),
                 "status": r.status, "closed_reason": r.closed_reason,
                 "issued_at": r.issued_at.isoformat(),
                 "by": "notice" if r.linked else "applicant"} for r in rows]

    def printed(self, no: str) -> int:
        with self.engine.begin() as conn:
            conn.execute(update(notices).where(notices.c.no == no)
                         .values(printed=notices.c.printed + 1))
            return int(conn.execute(select(notices.c.printed)
                                    .where(notices.c.no == no)).scalar() or 0)
