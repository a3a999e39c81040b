"""Group commit: concurrent use cases share one transaction, and fail only alone.

On real SQLite and PostgreSQL: the commits are counted on the engine, a "second
process" changes rows with plain SQL, and every answer is checked against the database.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from queue_server.api.batching import in_hall
from queue_server.domain.errors import DomainError
from queue_server.hall import Hall
from queue_server.store.tables import events, tickets
from tests.conftest import run_async
from tests.server.conftest import AppFactory


def count_commits(hall: Hall) -> list[int]:
    commits = [0]

    @sa.event.listens_for(hall.store.engine, "commit")
    def _count(_: Any) -> None:
        commits[0] += 1

    return commits


def heard(hall: Hall) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    hall.listeners.append(messages.extend)
    return messages


def issue(hall: Hall, business: str = "transfer") -> Any:
    return lambda: hall.issue(business, actor="kiosk:k1")


def db_tickets(hall: Hall) -> dict[str, str]:
    with hall.store.engine.connect() as conn:
        return {r.id: r.status for r in conn.execute(sa.select(tickets.c.id, tickets.c.status))}


def db_event_seqs(hall: Hall) -> list[int]:
    with hall.store.engine.connect() as conn:
        return [r.seq for r in conn.execute(sa.select(events.c.seq).order_by(events.c.seq))]


def test_requests_arriving_together_share_one_commit(make_app: AppFactory):
    hall = make_app().app.state.hall
    commits = count_commits(hall)
    messages = heard(hall)

    async def arrive_together() -> list[Any]:
        calls = [in_hall(hall, issue(hall, b)) for b in ["transfer", "tax", "transfer", "tax"]]
        calls.append(in_hall(hall, issue(hall, "no-such-business")))
        return await asyncio.gather(*calls, return_exceptions=True)

    *issued, refused = run_async(arrive_together())
    assert commits[0] == 1
    assert [t.number for t in issued] == ["A001", "T001", "A002", "T002"]
    assert isinstance(refused, DomainError)  # refused alone: the others stand
    assert set(db_tickets(hall)) == {t.id for t in issued}
    # Every event once, in order, then one queue summary for the whole batch.
    assert [m["type"] for m in messages] == ["ticket.issued"] * 4 + ["queues"]
    assert [m["seq"] for m in messages[:4]] == db_event_seqs(hall)


def test_a_ticket_changed_elsewhere_fails_alone_and_memory_follows_the_database(
        make_app: AppFactory):
    hall = make_app().app.state.hall
    called = hall.call_next(1, actor="window:1", acting_window=1)
    assert called is None
    first = hall.issue("transfer", actor="kiosk:k1")
    called = hall.call_next(1, actor="window:1", acting_window=1)
    assert called is not None and called.id == first.id
    # A second process by mistake finishes the ticket behind this one's back.
    with hall.store.engine.begin() as conn:
        conn.execute(sa.update(tickets).where(tickets.c.id == first.id).values(status="done"))
    seqs_before = db_event_seqs(hall)
    messages = heard(hall)
    commits = count_commits(hall)

    outcomes = hall.run_many([
        issue(hall),
        lambda: hall.act("complete", first.id, actor="window:1", acting_window=1),
        issue(hall, "tax"),
    ])

    (a, a_error), (_, refused), (c, c_error) = outcomes
    assert a_error is None and c_error is None
    # Made again after the reload, the completion meets the ticket as the database has it.
    assert isinstance(refused, DomainError) and "已办结" in str(refused)
    # The shared transaction was undone and each call made again on its own.
    assert commits[0] == 2
    stored = db_tickets(hall)
    assert stored[a.id] == "waiting" and stored[c.id] == "waiting"
    assert stored[first.id] == "done"
    assert hall.state.tickets[first.id].status.value == "done"  # memory reloaded
    assert hall.ticket(a.id) is not None and hall.ticket(c.id) is not None
    # Only what was committed went out, numbered as stored.
    assert [m["type"] for m in messages if m["type"] != "queues"] == ["ticket.issued"] * 2
    new_seqs = [m["seq"] for m in messages if m["type"] != "queues"]
    assert db_event_seqs(hall) == seqs_before + new_seqs


def test_a_failing_listener_never_makes_a_use_case_run_twice(make_app: AppFactory):
    hall = make_app().app.state.hall

    def broken(_: list[dict[str, Any]]) -> None:
        raise RuntimeError("display bus down")

    hall.listeners.insert(0, broken)
    outcomes = hall.run_many([issue(hall), issue(hall)])
    assert [error for _, error in outcomes] == [None, None]
    assert len(db_tickets(hall)) == 2


def test_an_event_number_taken_elsewhere_fails_once_then_numbering_follows_on(
        make_app: AppFactory):
    hall = make_app().app.state.hall
    hall.issue("transfer", actor="kiosk:k1")
    taken = hall.last_seq + 1
    with hall.store.engine.begin() as conn:
        conn.execute(sa.insert(events).values(
            seq=taken, at=hall.clock(), type="ticket.issued", actor="stray", ticket_id=None,
            window=None, data={}))
    with pytest.raises(sa.exc.IntegrityError):
        hall.issue("transfer", actor="kiosk:k1")
    second = hall.issue("transfer", actor="kiosk:k1")
    assert hall.last_seq == taken + 1
    # The refused attempt left nothing behind: its number is given again.
    assert second.number == "A002"
    assert len(db_tickets(hall)) == 2


def test_a_batch_left_by_a_stopped_loop_does_not_block_the_next(make_app: AppFactory):
    hall = make_app().app.state.hall

    def leave_a_batch_behind() -> None:
        loop = asyncio.new_event_loop()

        def submit_and_stop() -> None:
            waiting = in_hall(hall, issue(hall))
            waiting.send(None)  # up to its await: submitted, its flush due next round
            waiting.close()
            loop.stop()  # the loop ends this round: that flush never runs

        loop.call_soon(submit_and_stop)
        loop.run_forever()
        loop.close()

    # In a thread of its own: the browser tests keep a loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(leave_a_batch_behind).result()
    ticket = run_async(asyncio.wait_for(in_hall(hall, issue(hall)), timeout=5))
    assert ticket.number == "A001"  # the abandoned call was never made
    assert len(db_tickets(hall)) == 1
