"""The outbox and its worker on SQLite and PostgreSQL: each message sent at most once,
retries with backoff while a gateway is down, nothing lost, nothing doubled."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from queue_server.notify import outbox
from queue_server.notify.gateways import Outgoing, Rejected, Unavailable, Uncertain
from queue_server.notify.outbox import Draft
from queue_server.notify.worker import Dispatcher
from queue_server.secrecy import SecretBox
from queue_server.store.db import make_engine, migrate
from queue_server.store.tables import notify_outbox
from tests.cases.helpers import dump_database
from tests.conftest import Clock

BOX = SecretBox(b"outbox-test")


class Scripted:
    """A gateway that answers from a script, then succeeds; it records what it got."""

    name = "scripted"

    def __init__(self, *answers: Exception | None, dedupes: bool = False, delay: float = 0) -> None:
        self.answers = list(answers)
        self.dedupes = dedupes
        self.delay = delay
        self.got: list[Outgoing] = []
        self._lock = threading.Lock()

    def send(self, msg: Outgoing) -> str | None:
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.got.append(msg)
            answer = self.answers.pop(0) if self.answers else None
        if answer is not None:
            raise answer
        return f"ref-{msg.key}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    e = make_engine(db_url)
    migrate(e, "TEST")
    yield e
    e.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))


def draft(key: str = "case-ready:C1:7:sms:abc", phone: str = "13812345678") -> Draft:
    return Draft(key=key, kind="case_ready", channel="sms", recipient=phone,
                 recipient_masked="138****5678", body="【中心】您的证书已可领取", params={"case_no": "C1"})


def put(engine: Engine, clock: Clock, *drafts: Draft) -> list[bool]:
    with engine.begin() as conn:
        return [outbox.enqueue(conn, BOX, d, clock()) for d in drafts]


def row(engine: Engine, key: str) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(notify_outbox).where(notify_outbox.c.id == key)).one()._mapping)


def dispatcher(engine: Engine, clock: Clock, gw: Scripted, **kw: object) -> Dispatcher:
    return Dispatcher(engine, BOX, {"sms": gw}, clock=clock, backoff_seconds=30,
                      backoff_max_seconds=3600, **kw)  # type: ignore[arg-type]


def test_a_message_is_queued_once_per_key_and_its_recipient_sealed(engine, clock):
    assert put(engine, clock, draft(), draft()) == [True, False]
    dump = dump_database(engine)
    assert "13812345678" not in dump and "138****5678" in dump
    assert row(engine, draft().key)["status"] == "pending"


def test_sent_once_whatever_the_number_of_rounds(engine, clock):
    put(engine, clock, draft())
    gw = Scripted()
    d = dispatcher(engine, clock, gw)
    assert d.run_round().sent == 1
    assert d.run_round().sent == 0 and len(gw.got) == 1
    assert gw.got[0].recipient == "13812345678"  # opened only to hand to the gateway
    r = row(engine, draft().key)
    assert (r["status"], r["attempts"], r["gateway_ref"]) == ("sent", 1, f"ref-{draft().key}")
    assert r["sent_at"] == clock()


def test_a_gateway_that_is_down_is_retried_with_backoff_then_given_up(engine, clock):
    put(engine, clock, draft())
    gw = Scripted(*[Unavailable("down")] * 5)
    d = dispatcher(engine, clock, gw, max_attempts=4)
    waits = []
    for _ in range(4):
        report = d.run_round()
        r = row(engine, draft().key)
        if r["status"] == "pending":
            waits.append((r["next_attempt_at"] - clock()).total_seconds())
            assert d.run_round().retried == 0  # not due yet: nothing is sent early
            clock.now = r["next_attempt_at"]
    assert waits == [30, 60, 120]
    assert report.failed == 1
    r = row(engine, draft().key)
    assert r["status"] == "failed" and r["attempts"] == 4 and "gave up after 4" in r["last_error"]
    assert len(gw.got) == 4


def test_a_gateway_back_up_delivers_what_waited(engine, clock):
    put(engine, clock, draft("k1"), draft("k2"))
    gw = Scripted(Unavailable("down"), Unavailable("down"))
    d = dispatcher(engine, clock, gw)
    assert d.run_round().retried == 2
    clock.advance(seconds=30)
    assert d.run_round().sent == 2
    assert sorted(m.key for m in gw.got) == ["k1", "k1", "k2", "k2"]


def test_a_refusal_is_final(engine, clock):
    put(engine, clock, draft())
    d = dispatcher(engine, clock, Scripted(Rejected("bad number")))
    assert d.run_round().failed == 1
    clock.advance(days=1)
    assert d.run_round().sent == 0
    assert row(engine, draft().key)["status"] == "failed"


def test_an_uncertain_send_is_not_repeated_unless_the_gateway_dedupes(engine, clock):
    put(engine, clock, draft("k1"))
    gw = Scripted(Uncertain("timeout"))
    d = dispatcher(engine, clock, gw)
    assert d.run_round().uncertain == 1
    clock.advance(hours=1)
    d.run_round()
    assert row(engine, "k1")["status"] == "uncertain" and len(gw.got) == 1
    put(engine, clock, draft("k2"))
    dd = dispatcher(engine, clock, Scripted(Uncertain("timeout"), dedupes=True))
    assert dd.run_round().retried == 1
    clock.advance(seconds=30)
    assert dd.run_round().sent == 1


def test_a_worker_dying_mid_send_leaves_the_message_uncertain_not_resent(engine, clock):
    put(engine, clock, draft())
    with engine.begin() as conn:  # a worker claimed it, then the process died
        assert outbox.claim(conn, BOX, draft().key, "dead-worker", clock()) is not None
    gw = Scripted()
    d = dispatcher(engine, clock, gw, claim_timeout_seconds=300)
    assert d.run_round().expired == 0
    clock.advance(seconds=301)
    assert d.run_round().expired == 1
    assert gw.got == [] and row(engine, draft().key)["status"] == "uncertain"
    # An administrator who checked decides to send it again.
    with engine.begin() as conn:
        assert outbox.requeue(conn, draft().key, clock())
        assert not outbox.requeue(conn, draft().key, clock())  # pending: nothing to requeue
    assert d.run_round().sent == 1


def test_a_channel_without_a_gateway_fails_and_a_gateway_bug_is_uncertain(engine, clock):
    put(engine, clock, Draft("w1", "case_ready", "wechat", "openid-1", "open…-1", "x", {}))
    put(engine, clock, draft("k1"))
    d = dispatcher(engine, clock, Scripted(ZeroDivisionError()))
    report = d.run_round()
    assert (report.failed, report.uncertain) == (1, 1)
    assert row(engine, "w1")["status"] == "failed" and row(engine, "k1")["status"] == "uncertain"


def test_two_workers_never_send_one_message_twice(engine, clock, db_url):
    keys = [f"k{i:02d}" for i in range(30)]
    put(engine, clock, *(draft(k) for k in keys))
    gw = Scripted(delay=0.002)
    engines = [make_engine(db_url) for _ in range(3)]
    workers = [Dispatcher(e, BOX, {"sms": gw}, clock=clock, batch=100) for e in engines]
    threads = [threading.Thread(target=w.run_round) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    assert sorted(m.key for m in gw.got) == keys
    with engine.connect() as conn:
        statuses = {r.status for r in conn.execute(select(notify_outbox.c.status))}
    assert statuses == {"sent"}


def test_retries_wait_for_their_time_even_across_workers(engine, clock):
    put(engine, clock, draft())
    dispatcher(engine, clock, Scripted(Unavailable("down"))).run_round()
    other = Scripted()
    dispatcher(engine, clock, other).run_round()
    assert other.got == []
    clock.advance(seconds=29)
    dispatcher(engine, clock, other).run_round()
    assert other.got == []
    clock.advance(seconds=1)
    assert dispatcher(engine, clock, other).run_round().sent == 1
    assert row(engine, draft().key)["next_attempt_at"] == clock()
