"""Silent calling (静默叫号): an SMS when a watched ticket is within N places of being
called, and another when it is called.

The tickets route is not ours to change, so the kiosk registers a phone number for a
ticket here, and the hall's published events wake the worker, which reads positions
from the hall's live state. Each watch sends each message once: the watch row is
stamped in the same transaction that puts the message in the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from queue_server.domain.tickets import Status
from queue_server.hall import Hall
from queue_server.notify import outbox
from queue_server.notify.outbox import Draft
from queue_server.notify.templates import TICKET_CALLED, TICKET_NEAR, Templates
from queue_server.secrecy import SecretBox
from queue_server.store.tables import ticket_watch

CLOSED = frozenset({Status.DONE, Status.NO_SHOW, Status.CANCELLED})


@dataclass(frozen=True)
class Position:
    number: str
    status: Status
    ahead: int | None
    window: int | None
    business_name: str


def register(conn: Connection, box: SecretBox, *, ticket_id: str, day: date, phone: str,
             phone_masked: str, places: int, now: datetime) -> dict[str, Any]:
    """Watch a ticket, or change the phone or N of a watch that has sent nothing yet."""
    row = conn.execute(select(ticket_watch).where(ticket_watch.c.ticket_id == ticket_id)).first()
    if row is None:
        conn.execute(ticket_watch.insert().values(
            ticket_id=ticket_id, day=day, phone_sealed=box.seal(phone), phone_masked=phone_masked,
            places=places, created_at=now))
        return {"ticket_id": ticket_id, "phone_masked": phone_masked, "places": places,
                "created": True}
    # Only while nothing was sent: a message already out went to the first number.
    changed = conn.execute(
        update(ticket_watch)
        .where(ticket_watch.c.ticket_id == ticket_id, ticket_watch.c.near_sent_at.is_(None),
               ticket_watch.c.called_sent_at.is_(None))
        .values(phone_sealed=box.seal(phone), phone_masked=phone_masked, places=places)).rowcount
    if changed:
        return {"ticket_id": ticket_id, "phone_masked": phone_masked, "places": places,
                "created": False}
    m = row._mapping
    return {"ticket_id": ticket_id, "phone_masked": m["phone_masked"], "places": m["places"],
            "created": False}


def _positions(hall: Hall, ids: list[str]) -> dict[str, Position]:
    """Read everything under the hall's lock in one go, and nothing else under it."""
    out: dict[str, Position] = {}
    with hall.lock:
        state = hall.state
        for tid in ids:
            t = state.tickets.get(tid)
            if t is None:
                continue
            b = state.layout.businesses.get(t.business)
            out[tid] = Position(t.number, t.status, state.people_ahead(t), t.window,
                                b.name if b else t.business)
    return out


def check(engine: Engine, hall: Hall, box: SecretBox, templates: Templates, now: datetime
          ) -> int:
    """Queue the messages today's watched tickets have earned; returns how many."""
    with engine.connect() as conn:
        rows = [r._mapping for r in conn.execute(
            select(ticket_watch).where(ticket_watch.c.day == hall.state.day,
                                       ticket_watch.c.closed_at.is_(None)))]
    if not rows:
        return 0
    positions = _positions(hall, [r["ticket_id"] for r in rows])
    queued = 0
    for w in rows:
        p = positions.get(w["ticket_id"])
        with engine.begin() as conn:
            if p is None or p.status in CLOSED:
                _close(conn, w["ticket_id"], now)
                continue
            if p.status in (Status.CALLED, Status.SERVING):
                if w["called_sent_at"] is None and p.status is Status.CALLED and p.window:
                    queued += _send(conn, box, w, "called_sent_at", now,
                                    f"ticket-called:{w['ticket_id']}", TICKET_CALLED,
                                    templates.render(TICKET_CALLED, number=p.number,
                                                     window=p.window),
                                    {"number": p.number, "window": p.window})
                _close(conn, w["ticket_id"], now)
                continue
            if (w["near_sent_at"] is None and p.status is Status.WAITING and p.ahead is not None
                    and p.ahead <= w["places"]):
                queued += _send(conn, box, w, "near_sent_at", now,
                                f"ticket-near:{w['ticket_id']}", TICKET_NEAR,
                                templates.render(TICKET_NEAR, number=p.number, ahead=p.ahead,
                                                 business_name=p.business_name),
                                {"number": p.number, "ahead": p.ahead})
    return queued


def _send(conn: Connection, box: SecretBox, w: Any, stamp: str, now: datetime, key: str,
          kind: str, body: str, params: dict[str, Any]) -> int:
    # Stamping first, with the stamp's emptiness as the condition, is the claim: of two
    # workers looking at the same watch, one stamps and queues, the other does neither.
    claimed = conn.execute(
        update(ticket_watch)
        .where(ticket_watch.c.ticket_id == w["ticket_id"], ticket_watch.c[stamp].is_(None))
        .values({stamp: now})).rowcount == 1
    if not claimed:
        return 0
    phone = box.open(w["phone_sealed"])
    return int(outbox.enqueue(conn, box, Draft(
        key=key, kind=kind, channel="sms", recipient=phone, recipient_masked=w["phone_masked"],
        body=body, params=params), now))


def _close(conn: Connection, ticket_id: str, now: datetime) -> None:
    conn.execute(update(ticket_watch).where(ticket_watch.c.ticket_id == ticket_id,
                                            ticket_watch.c.closed_at.is_(None))
                 .values(closed_at=now))
