"""The outbox table: every message to send, its state, and the atomic moves between states.

pending ──claim──▶ sending ──▶ sent
   ▲                 │
   └──── retry ──────┤ (gateway down or refused for now: backoff)
                     ├──▶ failed     (refused for good, or out of attempts)
                     └──▶ uncertain  (may have gone out: never resent on its own)

Each move is one UPDATE naming the state it expects, so two workers never both own a
row, and a message is never handed to a gateway twice unless that gateway drops
duplicates by idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, select, update

from queue_server.notify.gateways import Outgoing
from queue_server.secrecy import SecretBox
from queue_server.store.sqlutil import insert_ignore
from queue_server.store.tables import notify_outbox


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"


STATUS_NAMES = {
    OutboxStatus.PENDING: "待发送", OutboxStatus.SENDING: "发送中", OutboxStatus.SENT: "已发送",
    OutboxStatus.FAILED: "发送失败", OutboxStatus.UNCERTAIN: "状态不明，需人工核对",
}


# A message about to enter the outbox is the message a gateway will send; `recipient` is
# clear here and sealed in the outbox. Its key is the idempotency key: the same event for
# the same recipient gives the same key.
Draft = Outgoing


@dataclass(frozen=True)
class Claimed(Outgoing):
    """A message claimed for sending; `recipient` opened from the seal just before."""

    attempts: int


def enqueue(conn: Connection, box: SecretBox, draft: Draft, now: datetime) -> bool:
    """Add a message unless its key is already there; True when added."""
    return insert_ignore(conn, notify_outbox, {
        "id": draft.key, "kind": draft.kind, "channel": draft.channel,
        "recipient_sealed": box.seal(draft.recipient), "recipient_masked": draft.recipient_masked,
        "body": draft.body, "params": draft.params, "status": OutboxStatus.PENDING.value,
        "attempts": 0, "next_attempt_at": now, "created_at": now}, ["id"])


def due_keys(conn: Connection, now: datetime, limit: int) -> list[str]:
    rows = conn.execute(
        select(notify_outbox.c.id)
        .where(notify_outbox.c.status == OutboxStatus.PENDING.value,
               notify_outbox.c.next_attempt_at <= now)
        .order_by(notify_outbox.c.next_attempt_at, notify_outbox.c.id).limit(limit)).all()
    return [r[0] for r in rows]


def claim(conn: Connection, box: SecretBox, key: str, worker: str, now: datetime
          ) -> Claimed | None:
    """Take one due message for this worker; None when someone else has it or it is not due."""
    n = conn.execute(
        update(notify_outbox)
        .where(notify_outbox.c.id == key,
               notify_outbox.c.status == OutboxStatus.PENDING.value,
               notify_outbox.c.next_attempt_at <= now)
        .values(status=OutboxStatus.SENDING.value, claimed_by=worker, claimed_at=now,
                attempts=notify_outbox.c.attempts + 1)).rowcount
    if n != 1:
        return None
    row = conn.execute(select(notify_outbox).where(notify_outbox.c.id == key)).one()._mapping
    return Claimed(key=key, kind=row["kind"], channel=row["channel"],
                   recipient=box.open(row["recipient_sealed"]),
                   recipient_masked=row["recipient_masked"], body=row["body"],
                   params=dict(row["params"]), attempts=row["attempts"])


def _finish(conn: Connection, key: str, worker: str, **values: Any) -> bool:
    """Move a message this worker holds; False when it no longer holds it."""
    return conn.execute(
        update(notify_outbox)
        .where(notify_outbox.c.id == key, notify_outbox.c.status == OutboxStatus.SENDING.value,
               notify_outbox.c.claimed_by == worker)
        .values(**values)).rowcount == 1


def mark_sent(conn: Connection, key: str, worker: str, now: datetime, gateway: str,
              ref: str | None) -> bool:
    return _finish(conn, key, worker, status=OutboxStatus.SENT.value, sent_at=now,
                   gateway=gateway, gateway_ref=(ref or "")[:80], last_error=None)


def mark_retry(conn: Connection, key: str, worker: str, at: datetime, gateway: str,
               error: str) -> bool:
    return _finish(conn, key, worker, status=OutboxStatus.PENDING.value, next_attempt_at=at,
                   gateway=gateway, last_error=error[:300], claimed_by=None)


def mark_failed(conn: Connection, key: str, worker: str, gateway: str, error: str) -> bool:
    return _finish(conn, key, worker, status=OutboxStatus.FAILED.value, gateway=gateway,
                   last_error=error[:300])


def mark_uncertain(conn: Connection, key: str, worker: str, gateway: str, error: str) -> bool:
    return _finish(conn, key, worker, status=OutboxStatus.UNCERTAIN.value, gateway=gateway,
                   last_error=error[:300])


def expire_claims(conn: Connection, claimed_before: datetime) -> int:
    """Messages a worker took and never finished (it died mid-send): they may have gone
    out, so they become `uncertain` for a person to check instead of being resent."""
    return conn.execute(
        update(notify_outbox)
        .where(notify_outbox.c.status == OutboxStatus.SENDING.value,
               notify_outbox.c.claimed_at < claimed_before)
        .values(status=OutboxStatus.UNCERTAIN.value,
                last_error="发送中断，可能已送达 / interrupted mid-send; may have been delivered")
    ).rowcount


def requeue(conn: Connection, key: str, now: datetime) -> bool:
    """An administrator's decision to send a failed or uncertain message again."""
    return conn.execute(
        update(notify_outbox)
        .where(notify_outbox.c.id == key,
               notify_outbox.c.status.in_([OutboxStatus.FAILED.value,
                                           OutboxStatus.UNCERTAIN.value]))
        .values(status=OutboxStatus.PENDING.value, next_attempt_at=now, claimed_by=None)
    ).rowcount == 1


def listing(conn: Connection, status: OutboxStatus | None, limit: int) -> list[dict[str, Any]]:
    """The outbox as administrators see it: the recipient masked, never opened."""
    q = select(notify_outbox.c.id, notify_outbox.c.kind, notify_outbox.c.channel,
               notify_outbox.c.recipient_masked, notify_outbox.c.body, notify_outbox.c.status,
               notify_outbox.c.attempts, notify_outbox.c.next_attempt_at,
               notify_outbox.c.sent_at, notify_outbox.c.gateway, notify_outbox.c.last_error,
               notify_outbox.c.created_at)
    if status is not None:
        q = q.where(notify_outbox.c.status == status.value)
    rows = conn.execute(q.order_by(notify_outbox.c.created_at.desc(), notify_outbox.c.id)
                        .limit(limit)).all()
    return [dict(r._mapping) for r in rows]
