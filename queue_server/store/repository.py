"""Reads and writes of hall state: domain changes written in transactions."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update

from queue_server.domain.events import Event, EventType
from queue_server.domain.layout import Layout, Priority
from queue_server.domain.state import Change
from queue_server.domain.tickets import OPEN_STATUSES, Status, Ticket
from queue_server.domain.windows import WindowState, WindowStatus
from queue_server.store.notices import notice_row, seq_of
from queue_server.store.prepared import Statements, hall_of
from queue_server.store.tables import (
    day_reports,
    events,
    notices,
    tickets,
    token_audit,
    tokens,
    windows,
)

# Built once: SQLAlchemy then reuses their compiled form on every commit. The SET clauses
# come from the parameter names; the w_* names belong to the WHERE clauses.
_INSERT_TICKET = insert(tickets)
_UPDATE_TICKET = update(tickets).where(
    tickets.c.id == bindparam("w_id"), tickets.c.status == bindparam("w_status"),
    tickets.c.business == bindparam("w_business"))
_UPDATE_WINDOW = update(windows).where(windows.c.number == bindparam("w_number"))
_INSERT_EVENT = insert(events)
# What every ticket operation writes: straight to SQLite's driver (store/prepared.py).
_HOT = Statements({"insert_ticket": _INSERT_TICKET, "update_ticket": _UPDATE_TICKET,
                   "update_window": _UPDATE_WINDOW, "insert_event": _INSERT_EVENT})


def _sqlalchemy_run(conn: Connection, name: str, rows: list[dict[str, Any]]) -> int:
    result = conn.execute(_HOT.statements[name], rows if len(rows) > 1 else rows[0])
    return int(result.rowcount)


class StaleState(Exception):
    """The database no longer holds what this process believed: nothing was written."""

    def __init__(self, number: str) -> None:
        self.number = number
        super().__init__(f"ticket {number} was changed elsewhere")


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    event: Event


def _ticket_row(t: Ticket) -> dict[str, Any]:
    return {
        "id": t.id, "day": t.day, "number": t.number, "seq": _seq_of(t),
        "business": t.business, "origin_business": t.origin_business, "status": t.status.value,
        "priority": t.priority.value, "issued_at": t.issued_at, "queued_at": t.queued_at,
        "window": t.window, "parked": t.parked, "recalls": t.recalls, "called_at": t.called_at,
        "started_at": t.started_at, "finished_at": t.finished_at, "journey": t.journey,
        "journey_step": t.journey_step, "id_hash": t.id_hash, "id_masked": t.id_masked,
        "name_masked": t.name_masked, "priority_reason": t.priority_reason,
        "closed_reason": t.closed_reason, "channel": t.channel, "request_key": t.request_key,
        "appointment_code": t.appointment_code, "issued_by": t.issued_by,
        "override_reason": t.override_reason, "precheck_item": t.precheck_item,
        "follows_notice": t.follows_notice,
    }


def _seq_of(t: Ticket) -> int:
    digits = t.number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return int(digits)


def _ticket_from(row: Any) -> Ticket:
    m = row._mapping
    return Ticket(
        id=m["id"], day=m["day"], number=m["number"], business=m["business"],
        status=Status(m["status"]), priority=Priority(m["priority"]), issued_at=m["issued_at"],
        queued_at=m["queued_at"], origin_business=m["origin_business"], window=m["window"],
        parked=bool(m["parked"]), recalls=m["recalls"], called_at=m["called_at"],
        started_at=m["started_at"], finished_at=m["finished_at"], journey=m["journey"],
        journey_step=m["journey_step"], id_hash=m["id_hash"], id_masked=m["id_masked"],
        name_masked=m["name_masked"], priority_reason=m["priority_reason"],
        closed_reason=m["closed_reason"], channel=m["channel"], request_key=m["request_key"],
        appointment_code=m["appointment_code"], issued_by=m["issued_by"],
        override_reason=m["override_reason"], precheck_item=m["precheck_item"],
        follows_notice=m["follows_notice"],
    )


def _window_row(w: WindowState, day: date) -> dict[str, Any]:
    return {"number": w.number, "day": day, "zone": w.zone, "businesses": list(w.businesses),
            "status": w.status.value, "kind": w.kind, "green_channel": w.green_channel,
            "label": w.label, "current": w.current, "staff": w.staff,
            "staff_name": w.staff_name, "staff_since": w.staff_since}


def _window_from(row: Any) -> WindowState:
    m = row._mapping
    businesses = m["businesses"]
    if isinstance(businesses, str):
        businesses = json.loads(businesses)
    return WindowState(number=m["number"], zone=m["zone"], businesses=tuple(businesses),
                       status=WindowStatus(m["status"]), kind=m["kind"],
                       green_channel=bool(m["green_channel"]), label=m["label"],
                       current=m["current"], staff=m["staff"], staff_name=m["staff_name"] or "",
                       staff_since=m["staff_since"])


@dataclass
class DayState:
    day: date
    tickets: list[Ticket]
    windows: list[WindowState]
    sequences: dict[str, int]


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- loading --------------------------------------------------------------------

    def load_day(self, day: date) -> DayState:
        with self.engine.connect() as conn:
            rows = conn.execute(select(tickets).where(tickets.c.day == day)).all()
            wrows = conn.execute(select(windows).where(windows.c.day == day)).all()
        ts = [_ticket_from(r) for r in rows]
        seqs: dict[str, int] = {}
        for r in rows:
            b = r._mapping["origin_business"]
            seqs[b] = max(seqs.get(b, 0), r._mapping["seq"])
        return DayState(day, ts, [_window_from(r) for r in wrows], seqs)

    def days_with_open_tickets(self, before: date) -> list[date]:
        """Earlier days whose clear never ran (the server was down at clear time)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(tickets.c.day).where(tickets.c.day < before,
                                            tickets.c.status.in_([s.value for s in OPEN_STATUSES]))
                .group_by(tickets.c.day).order_by(tickets.c.day)).all()
        return [r[0] for r in rows]

    def ticket(self, ticket_id: str) -> Ticket | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(tickets).where(tickets.c.id == ticket_id)).first()
        return _ticket_from(row) if row else None

    def history(self, ticket_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(events).where(events.c.ticket_id == ticket_id)
                                .order_by(events.c.seq)).all()
        return [{"seq": r.seq, "at": r.at, "type": r.type, "actor": r.actor, "window": r.window,
                 "staff": r.staff, "data": r.data} for r in rows]

    def recent_events(self, types: list[str], ticket_ids: Collection[str], limit: int
                      ) -> list[StoredEvent]:
        """The newest events of these types about these tickets, oldest first."""
        if not ticket_ids:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(events).where(events.c.type.in_(types),
                                     events.c.ticket_id.in_(list(ticket_ids)))
                .order_by(events.c.seq.desc()).limit(limit)).all()
        return [StoredEvent(r.seq, Event(EventType(r.type), r.at, r.actor, r.ticket_id,
                                         r.window, dict(r.data), r.staff))
                for r in reversed(rows)]

    def last_event_seq(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.coalesce(func.max(events.c.seq), 0))).scalar_one()

    def day_report(self, day: date) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(day_reports).where(day_reports.c.day == day)).first()
        return dict(row.report) if row else None

    # --- writing --------------------------------------------------------------------

    def ensure_windows(self, layout: Layout, day: date) -> None:
        """Rows for every layout window; a stale day's live state is reset to the layout."""
        with self.engine.begin() as conn:
            existing = {r.number: r.day for r in conn.execute(select(windows.c.number, windows.c.day))}
            for w in layout.windows.values():
                state = WindowState.from_layout(w)
                if w.number not in existing:
                    conn.execute(insert(windows).values(**_window_row(state, day)))
                elif existing[w.number] != day:
                    conn.execute(update(windows).where(windows.c.number == w.number)
                                 .values(**_window_row(state, day)))

    def commit(self, change: Change, previous: Mapping[str, Ticket], day: date, now: datetime
               ) -> list[StoredEvent]:
        """Write one change atomically; returns its events with their sequence numbers."""
        batch = ChangeBatch(self.last_event_seq())
        stored = batch.add(change, previous, day, now)
        self.write(batch)
        return stored

    def write(self, batch: ChangeBatch) -> None:
        """Write a batch of changes in one transaction: all of them, or none."""
        if not batch.empty:
            with self.engine.begin() as conn:
                batch.write_to(conn)

    # --- tokens ------------------------------------------------------------------------

    def add_token(self, token_id: str, token_hash: str, role: str, window: int | None, name: str,
                  at: datetime, *, expires_at: datetime | None = None, actor: str = "system",
                  detail: dict[str, Any] | None = None) -> None:
        """The token and its audit entry in one transaction: no token without its record."""
        with self.engine.begin() as conn:
            conn.execute(insert(tokens).values(id=token_id, token_hash=token_hash, role=role,
                                               window=window, name=name, created_at=at,
                                               expires_at=expires_at))
            _audit_token(conn, at, actor, "issue", token_id, detail or {})

    def token_by_hash(self, token_hash: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(tokens).where(tokens.c.token_hash == token_hash,
                                                    tokens.c.revoked_at.is_(None))).first()
        return dict(row._mapping) if row else None

    def list_tokens(self, *, actor: str | None = None, at: datetime | None = None
                    ) -> list[dict[str, Any]]:
        """With `actor`, the listing is audited (an administrator looked); without, it is
        the server's own reading (the demo start)."""
        with self.engine.begin() as conn:
            rows = conn.execute(select(tokens.c.id, tokens.c.role, tokens.c.window, tokens.c.name,
                                       tokens.c.created_at, tokens.c.revoked_at,
                                       tokens.c.expires_at)
                                .order_by(tokens.c.created_at)).all()
            if actor is not None:
                _audit_token(conn, at or datetime.now(UTC), actor, "list", None,
                             {"count": len(rows)})
        return [dict(r._mapping) for r in rows]

    def revoke_token(self, token_id: str, at: datetime, *, actor: str = "system") -> bool:
        with self.engine.begin() as conn:
            n = conn.execute(update(tokens).where(tokens.c.id == token_id,
                                                  tokens.c.revoked_at.is_(None))
                             .values(revoked_at=at)).rowcount
            # A refused revoke is audited too: someone tried to revoke a token.
            _audit_token(conn, at, actor, "revoke", token_id[:16],
                         {"revoked": n > 0})
        return n > 0

    def token_audit(self, *, after_seq: int = 0, limit: int = 500) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(token_audit).where(token_audit.c.seq > after_seq)
                                .order_by(token_audit.c.seq).limit(limit)).all()
        return [dict(r._mapping) for r in rows]


def _audit_token(conn: Connection, at: datetime, actor: str, action: str,
                 token_id: str | None, detail: dict[str, Any]) -> None:
    conn.execute(insert(token_audit).values(at=at, actor=actor[:80], action=action,
                                            token_id=token_id, detail=detail))


class ChangeBatch:
    """Domain changes collected in memory, to be written in one transaction (`Store.write`).

    They are written one `executemany` per statement, so a batch of concurrent changes
    costs about what one change does. Event numbers are given here, following on from
    `last_seq`: a second process writing the same numbers fails on the primary key
    instead of interleaving.
    """

    def __init__(self, last_seq: int) -> None:
        self.seq = last_seq
        self.inserts: dict[str, dict[str, Any]] = {}
        # ticket id → (number, the row as stored, the columns this transaction changes)
        self.updates: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {}
        self.windows: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.reports: list[dict[str, Any]] = []
        self.notices: list[dict[str, Any]] = []

    def add(self, change: Change, previous: Mapping[str, Ticket], day: date, now: datetime
            ) -> list[StoredEvent]:
        """`previous` holds the tickets as they were before this change.

        Each update names the status it expects to replace, so a ticket changed meanwhile
        by anyone else (a second server process by mistake) fails the whole transaction
        instead of being served twice.
        """
        for t in change.tickets:
            old = previous.get(t.id)
            if old is None or t.id in self.inserts:  # new in this transaction: insert as it is now
                self.inserts[t.id] = _ticket_row(t)
                continue
            pending = self.updates.get(t.id)
            if pending is None:
                # The row as stored: what this transaction's UPDATE expects to find there.
                pending = self.updates[t.id] = (t.number, _ticket_row(old), {})
            number, stored, changed = pending
            # Only the columns that differ from the stored row: SQLite rewrites every index
            # on a column that is SET, even to the value it had, and a ticket sits in eight.
            changed.clear()
            changed.update((k, v) for k, v in _ticket_row(t).items() if v != stored[k])
        window_day = change.new_day or day
        for w in change.windows:
            row = _window_row(w, window_day)
            row["w_number"] = row.pop("number")
            self.windows[w.number] = row
        out: list[StoredEvent] = []
        for e in change.events:
            self.seq += 1
            self.events.append({"seq": self.seq, "at": e.at, "type": e.type.value,
                                "actor": e.actor, "ticket_id": e.ticket_id, "window": e.window,
                                "data": e.data, "staff": e.staff})
            out.append(StoredEvent(self.seq, e))
        for n in change.notices:
            self.notices.append(notice_row(n, seq_of(n.no)))
        if change.report is not None:
            self.reports.append({"day": day, "closed_at": now, "report": change.report})
        return out

    @property
    def empty(self) -> bool:
        return not (self.inserts or self.updates or self.windows or self.events or self.reports
                    or self.notices)

    def write_to(self, conn: Connection) -> None:
        driver = Statements.usable(conn)
        run = _HOT.run if driver else _sqlalchemy_run
        # The driver takes the hall code in the row; SQLAlchemy fills it from the column's
        # default (tables.hall_column).
        hall = {"hall": hall_of(conn)} if driver else {}
        if self.inserts:
            run(conn, "insert_ticket", [{**r, **hall} for r in self.inserts.values()])
        # One executemany per set of columns changed (a call sets the same few each time).
        by_columns: dict[tuple[str, ...], list[tuple[str, dict[str, Any]]]] = {}
        for ticket_id, (number, stored, changed) in self.updates.items():
            if changed:  # changed and changed back in one transaction: nothing to write
                row = {**changed, "w_id": ticket_id, "w_status": stored["status"],
                       "w_business": stored["business"]}
                by_columns.setdefault(tuple(row), []).append((number, row))
        for group in by_columns.values():
            rows = [row for _, row in group]
            if len(rows) == 1 or not conn.dialect.supports_sane_multi_rowcount:
                for number, row in group:
                    if run(conn, "update_ticket", [row]) != 1:
                        raise StaleState(number)
            elif run(conn, "update_ticket", rows) != len(rows):
                raise StaleState("、".join(n for n, _ in group))
        if self.windows:
            run(conn, "update_window", list(self.windows.values()))
        if self.events:
            run(conn, "insert_event", [{**r, **hall} for r in self.events])
        if self.reports:
            conn.execute(insert(day_reports), self.reports)
        if self.notices:
            conn.execute(insert(notices), self.notices)
