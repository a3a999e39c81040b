"""The one place that runs a use case: load, decide (domain), store, publish.

One `Hall` per server process owns the day's state in memory. Use cases run one at a
time under a lock: the domain decides on the state, the store writes the change, memory
applies it, and the events go out only once the transaction holding it is committed.
Concurrent use cases may share one transaction (`run_many`). A failed transaction
leaves both the database and memory as they were: memory is reloaded from the database.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from queue_server.domain.catalogue import Catalogue
from queue_server.domain.events import CALL_EVENTS
from queue_server.domain.identity import KeptApplicant
from queue_server.domain.layout import Layout, Priority
from queue_server.domain.notices import Notice, notice_number
from queue_server.domain.staff import StaffMember
from queue_server.domain.state import Appointment, Change, HallState
from queue_server.domain.tickets import Ticket, business_day
from queue_server.domain.windows import WindowStatus
from queue_server.store.notices import NoticeStore
from queue_server.store.repository import ChangeBatch, Store, StoredEvent
from queue_server.views import iso, ticket_view, window_view

log = logging.getLogger("hallq")
Clock = Callable[[], datetime]
Listener = Callable[[list[dict[str, Any]]], None]
RECENT_CALLS = 20
R = TypeVar("R")
TICKET_ACTIONS = frozenset({"recall", "start", "complete", "no_show", "park", "forward"})


def utc_now() -> datetime:
    return datetime.now(UTC)


class Hall:
    def __init__(self, layout: Layout, store: Store, secret: bytes, *, clock: Clock = utc_now,
                 new_id: Callable[[], str] = lambda: uuid.uuid4().hex) -> None:
        self.layout = layout
        self.store = store
        self.notices = NoticeStore(store.engine)
        self.secret = secret
        self.clock = clock
        self.new_id = new_id
        self.lock = threading.RLock()
        self.listeners: list[Listener] = []
        self.recent_calls: deque[dict[str, Any]] = deque(maxlen=RECENT_CALLS)
        self.last_seq = store.last_event_seq()
        self.abandoned_reports: list[dict[str, Any]] = []
        self._batch: _Batch | None = None
        self._reload_day: date | None = None  # memory must be reloaded before going on
        self._open(clock())

    # --- the day --------------------------------------------------------------------

    def _open(self, now: datetime) -> None:
        hall = self.layout.hall
        today = business_day(now, hall.tz, hall.clear_time)
        # Days the server slept through their clear: close them now, as the clear would have.
        for day in self.store.days_with_open_tickets(before=today):
            loaded = self.store.load_day(day)
            old = HallState(self.layout, day, tickets=loaded.tickets, windows=loaded.windows,
                            sequences=loaded.sequences)
            change = old.close_day(now, today)
            stored = self.store.commit(change, old.tickets, day, now)
            self.last_seq = max([self.last_seq, *(s.seq for s in stored)])
            if change.report:
                self.abandoned_reports.append(change.report)
        self.store.ensure_windows(self.layout, today)
        loaded = self.store.load_day(today)
        self.state = HallState(self.layout, today, tickets=loaded.tickets,
                               windows=loaded.windows, sequences=loaded.sequences)
        # Businesses at or over their waiting alert: a restart does not announce them again.
        self.alerting: set[str] = {q["business"] for q in self.state.queue_summary(now)
                                   if q["alert"]}
        # The hall screen's "recent calls" list comes back after a restart, not empty.
        for stored in self.store.recent_events([t.value for t in CALL_EVENTS],
                                               self.state.tickets, RECENT_CALLS):
            self.recent_calls.append(self._message(stored, self.state.tickets))

    def turn_over_if_due(self) -> Change | None:
        """Run the daily clear when the business day has ended; returns what it did.

        Called from a worker thread: `run_many` takes the hall's lock, so the clear never
        interleaves with a use case on the event loop (tests/server/test_daily_clear.py).
        """
        return self._alone(lambda: self._turn_over(self.clock()))

    # --- running a use case -------------------------------------------------------------

    def run(self, decide: Callable[[HallState, datetime], Change]) -> Change:
        """Decide, store, apply and publish one use case.

        Inside `run_many` it joins that batch's transaction; on its own it commits at once.
        """
        with self.lock:
            if self._batch is not None:
                return self._step(decide)
            return self._alone(lambda: self._step(decide))

    def run_many(self, calls: Sequence[Callable[[], Any]]) -> list[Outcome]:
        """Make the calls in order in one transaction, each seeing the ones before it.

        Group commit: concurrent requests share one commit instead of paying one each,
        and nobody's answer goes out before the commit that holds it. A call refused by
        the domain fails alone. If storing fails, the whole transaction is undone, memory
        is reloaded, and every call is made again on its own, so only the one at fault fails.
        """
        with self.lock:
            outcomes: list[Outcome] = []
            try:
                with self._transaction():
                    for call in calls:
                        try:
                            outcomes.append((call(), None))
                        except _StoreFailed:
                            raise
                        except Exception as exc:  # the caller's own failure, nothing stored
                            outcomes.append((None, exc))
            except Exception as exc:
                if len(calls) == 1:
                    return [(None, exc.cause if isinstance(exc, _StoreFailed) else exc)]
                return [self.run_many([call])[0] for call in calls]
            return outcomes

    def _alone(self, fn: Callable[[], R]) -> R:
        [(value, error)] = self.run_many([fn])
        if error is not None:
            raise error
        return value

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self._reload_day is not None:
            self._reload(self._reload_day)  # raises while the database stays unreachable
        batch = _Batch(self.state.day, ChangeBatch(self.last_seq))
        self._batch = batch
        try:
            yield
            self.store.write(batch.changes)
            self.last_seq = batch.changes.seq  # the last event number now stored
        except BaseException:
            if batch.records:  # memory ran ahead of a transaction that was undone
                self._reload_day = batch.day
                with contextlib.suppress(Exception):  # else the next batch tries again
                    self._reload(batch.day)
            raise
        finally:
            self._batch = None
        try:
            self._publish(batch.records)
        except Exception:  # committed: the answers must go out, and nothing may run twice
            log.exception("publishing events failed")

    def _step(self, decide: Callable[[HallState, datetime], Change]) -> Change:
        now = self.clock()
        self._turn_over(now)
        change = decide(self.state, now)  # a refusal raises here, before anything is written
        self._record(self.state.on_duty(change), now)
        return change

    def _turn_over(self, now: datetime) -> Change | None:
        today = self.state.business_day_of(now)
        if today == self.state.day:
            return None
        change = self.state.close_day(now, today)
        self._record(change, now)
        return change

    def _record(self, change: Change, now: datetime) -> None:
        if not (change.tickets or change.windows or change.events):
            return
        assert self._batch is not None
        try:
            stored = self._batch.changes.add(change, self.state.tickets, self.state.day, now)
            self.state.apply(change)
        except Exception as exc:
            raise _StoreFailed(exc) from exc
        self._batch.records.append((stored, change))

    def _reload(self, day: date) -> None:
        last_seq = self.store.last_event_seq()
        loaded = self.store.load_day(day)
        self.state = HallState(self.layout, day, tickets=loaded.tickets,
                               windows=loaded.windows, sequences=loaded.sequences)
        self.last_seq = last_seq
        self._reload_day = None

    def _publish(self, records: list[tuple[list[StoredEvent], Change]]) -> None:
        """After the commit: every event in order, then one queue summary for the batch."""
        if not records:
            return
        now = self.clock()
        self.state.observe(now)  # the tickets' estimates judge the windows as of now
        messages: list[dict[str, Any]] = []
        if any(change.new_day is not None for _, change in records):
            self.alerting.clear()
        for stored, change in records:
            if change.new_day is not None:
                self.recent_calls.clear()
            tickets = {t.id: t for t in change.tickets}
            for s in stored:
                msg = self._message(s, tickets)
                if s.event.type in CALL_EVENTS:
                    self.recent_calls.append(msg)
                messages.append(msg)
        queues = self.state.queue_summary(now)
        messages.extend(self._alert_messages(queues, now))
        messages.append({"type": "queues", "seq": self.last_seq, "at": iso(now),
                         "queues": queues})
        for listener in self.listeners:
            listener(messages)

    def _alert_messages(self, queues: list[dict[str, Any]], now: datetime
                        ) -> list[dict[str, Any]]:
        """`queue.alert` when a business's waiting count reaches its `alert_waiting`, and
        `queue.alert_cleared` when it falls below again: once each way, not per event.

        Derived from the queue, so not stored; a console that connects later reads the
        same flag (`alert`) in the snapshot's queues."""
        out: list[dict[str, Any]] = []
        for q in queues:
            code, on = q["business"], bool(q["alert"])
            if on == (code in self.alerting):
                continue
            b = self.layout.businesses[code]
            if on:
                self.alerting.add(code)
            else:
                self.alerting.discard(code)
            out.append({"type": "queue.alert" if on else "queue.alert_cleared",
                        "seq": self.last_seq, "at": iso(now), "business": code,
                        "name": b.name, "name_en": b.name_en, "waiting": q["waiting"],
                        "threshold": b.alert_waiting})
        return out

    def _message(self, stored: StoredEvent, tickets: Mapping[str, Ticket]) -> dict[str, Any]:
        """An event as displays and consoles receive it."""
        e = stored.event
        msg: dict[str, Any] = {"type": e.type.value, "seq": stored.seq, "at": iso(e.at),
                               "window": e.window, "actor_role": e.actor.split(":")[0],
                               "data": e.data}
        t = tickets.get(e.ticket_id or "")
        if t is not None:
            msg["ticket"] = ticket_view(t, self.state)
        if e.window is not None and e.window in self.state.windows:
            msg["window_state"] = window_view(self.state.windows[e.window], self.state)
        return msg

    # --- reads ----------------------------------------------------------------------

    def ticket(self, ticket_id: str) -> Ticket | None:
        with self.lock:
            t = self.state.tickets.get(ticket_id)
        return t if t is not None else self.store.ticket(ticket_id)

    def window_queue(self, window: int) -> dict[str, list[dict[str, Any]]]:
        """What a window's console lists: its callable tickets in call order, its parked ones."""
        with self.lock:
            s = self.state
            s.observe(self.clock())
            return {"waiting": [ticket_view(t, s) for t in s.window_queue(window)],
                    "parked": [ticket_view(t, s) for t in s.waiting.values()
                               if t.parked and t.window == window]}

    def view(self, t: Ticket) -> dict[str, Any]:
        with self.lock:
            self.state.observe(self.clock())
            return ticket_view(t, self.state)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            s = self.state
            now = self.clock()
            s.observe(now)
            ahead = s.positions()
            waiting = sorted(s.waiting.values(), key=lambda t: t.queued_at)
            return {
                "type": "snapshot",
                "seq": self.last_seq,
                "at": iso(now),
                "day": s.day.isoformat(),
                "hall": {"name": self.layout.hall.name, "name_en": self.layout.hall.name_en,
                         "timezone": self.layout.hall.timezone},
                "zones": [{"code": z.code, "name": z.name, "name_en": z.name_en,
                           "own_screen": z.own_screen}
                          for z in self.layout.zones.values()],
                "windows": [window_view(w, s) for w in s.windows.values()],
                "queues": s.queue_summary(now),
                "recent_calls": list(self.recent_calls),
                "waiting": [ticket_view(t, s, ahead.get(t.id)) for t in waiting],
            }

    def window_snapshot(self, window: int) -> dict[str, Any]:
        """What the display over one window starts from: that window, the businesses'
        names and figures, its own recent calls; nobody's data."""
        with self.lock:
            s = self.state
            now = self.clock()
            s.observe(now)
            w = s.windows.get(window)
            return {"type": "snapshot", "seq": self.last_seq, "at": iso(now),
                    "day": s.day.isoformat(),
                    "hall": {"name": self.layout.hall.name, "name_en": self.layout.hall.name_en,
                             "timezone": self.layout.hall.timezone},
                    "windows": [window_view(w, s)] if w else [],
                    "queues": s.queue_summary(now),
                    "recent_calls": [c for c in self.recent_calls if c.get("window") == window]}

    def pad_snapshot(self, window: int | None) -> dict[str, Any]:
        """What an evaluation pad starts from: its window and who is on duty, nobody's data."""
        with self.lock:
            w = self.state.windows.get(window or 0)
            return {"type": "snapshot", "seq": self.last_seq, "at": iso(self.clock()),
                    "hall": {"name": self.layout.hall.name, "name_en": self.layout.hall.name_en},
                    "window": w.number if w else window,
                    "staff": window_view(w, self.state)["staff"] if w else None}

    # --- use cases ----------------------------------------------------------------------

    def issue(self, business: str, *, actor: str, id_number: str | None = None,
              name: str = "", priority: Priority | None = None,
              priority_reason: str | None = None, journey: str | None = None,
              appointment: Appointment | None = None, channel: str = "kiosk",
              request_key: str | None = None, issued_by: str | None = None,
              override_reason: str | None = None, precheck_item: str | None = None,
              follows_notice: str | None = None) -> Ticket:
        applicant = KeptApplicant.from_id(id_number, name, self.secret) if id_number else None
        ticket_id = self.new_id()
        return _result(self.run(lambda s, now: s.issue(
            business, now, ticket_id=ticket_id, actor=actor, applicant=applicant,
            priority=priority, priority_reason=priority_reason, journey=journey,
            appointment=appointment, channel=channel, request_key=request_key,
            issued_by=issued_by, override_reason=override_reason,
            precheck_item=precheck_item, follows_notice=follows_notice)))

    def call_next(self, window: int, *, actor: str, acting_window: int | None) -> Ticket | None:
        return self.run(lambda s, now: s.call_next(window, now, actor=actor,
                                                   acting_window=acting_window)).result

    def act(self, action: str, ticket_id: str, *, actor: str, acting_window: int | None
            ) -> Ticket:
        """A staff action on one ticket at a window; the actions all share one shape."""
        if action not in TICKET_ACTIONS:
            raise ValueError(f"unknown ticket action {action!r}")
        return _result(self.run(lambda s, now: getattr(s, action)(
            ticket_id, now, actor=actor, acting_window=acting_window)))

    def refuse(self, ticket_id: str, *, catalogue: Catalogue | None, item: str,
               ticked: Sequence[int], note: str, actor: str, acting_window: int | None
               ) -> tuple[Ticket, Notice]:
        """不予受理 with its written notice; the notice's number is the day's next."""
        def decide(s: HallState, now: datetime) -> Change:
            no = notice_number(self.layout.hall.code, s.day, self._next_notice_seq(s.day))
            return s.refuse(ticket_id, now, catalogue=catalogue, item=item, ticked=ticked,
                            note=note, notice_no=no, actor=actor, acting_window=acting_window)
        change = self.run(decide)
        return _result(change), change.notices[0]

    def _next_notice_seq(self, day: date) -> int:
        # The stored day's last, or a notice earlier in this same uncommitted batch.
        pending = [r["seq"] for r in self._batch.changes.notices if r["day"] == day] \
            if self._batch is not None else []
        return max([self.notices.last_seq(day), *pending]) + 1

    def call_ticket(self, window: int, ticket_id: str, *, actor: str,
                    acting_window: int | None) -> Ticket:
        return _result(self.run(lambda s, now: s.call_ticket(
            window, ticket_id, now, actor=actor, acting_window=acting_window)))

    def cancel(self, ticket_id: str, *, actor: str) -> Ticket:
        return _result(self.run(lambda s, now: s.cancel(ticket_id, now, actor=actor)))

    def transfer(self, ticket_id: str, business: str, *, actor: str,
                 acting_window: int | None) -> Ticket:
        return _result(self.run(lambda s, now: s.transfer(
            ticket_id, business, now, actor=actor, acting_window=acting_window)))

    def move_waiting(self, business: str, to_business: str, count: int, *, actor: str
                     ) -> list[Ticket]:
        return self.run(lambda s, now: s.move_waiting(business, to_business, count, now,
                                                      actor=actor)).tickets

    def set_window_status(self, window: int, status: WindowStatus, *, actor: str,
                          acting_window: int | None) -> None:
        self.run(lambda s, now: s.set_window_status(window, status, now, actor=actor,
                                                    acting_window=acting_window))

    def sign_in(self, window: int, member: StaffMember, *, actor: str,
                acting_window: int | None) -> None:
        self.run(lambda s, now: s.sign_in(window, member, now, actor=actor,
                                          acting_window=acting_window))

    def sign_out(self, window: int, *, actor: str, acting_window: int | None) -> None:
        self.run(lambda s, now: s.sign_out(window, now, actor=actor,
                                           acting_window=acting_window))

    def reskill(self, window: int, businesses: list[str], *, actor: str,
                kind: str | None = None) -> None:
        self.run(lambda s, now: s.reskill(window, businesses, now, actor=actor, kind=kind))


Outcome = tuple[Any, Exception | None]


@dataclass
class _Batch:
    day: date
    changes: ChangeBatch
    records: list[tuple[list[StoredEvent], Change]] = field(default_factory=list)


class _StoreFailed(Exception):
    """Recording a change failed: the transaction it shares with others must be undone."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _result(change: Change) -> Ticket:
    # Every use case routed here decides on exactly one ticket or raises a DomainError.
    assert change.result is not None
    return change.result
