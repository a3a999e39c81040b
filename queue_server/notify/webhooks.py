"""Signed webhooks: the hall's events pushed to other systems (the 12345 hotline, the
province platform) over plain HTTPS, so an integrator need not hold a WebSocket open.

Each subscription (one `[[webhook]]` of `webhooks.toml` in the data directory) names a URL,
a shared secret and the event types it wants. The feed reads the stored events after the
last one it queued and puts one outbox row per event and subscription, keyed
`webhook:<name>:<seq>` (the row names the subscription; the URL, secret and body are
read when it is sent, so a changed URL or secret holds for retries): the outbox retries with backoff as it does for SMS, and a
restart resumes from the last queued event, so nothing is lost or queued twice.

What travels is what the display stream carries (numbers, windows, businesses, staff
numbers): no names, ID or phone numbers. Each request is signed:

    X-Hallq-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>

and carries `X-Hallq-Delivery` (the same on every retry: receivers drop duplicates by
it) and `X-Hallq-Event`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import tomllib
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from hallenv import ConfigError
from queue_server.domain.events import EventType
from queue_server.notify import outbox
from queue_server.notify.gateways import Outgoing, Rejected, Unavailable, post
from queue_server.notify.outbox import Draft
from queue_server.secrecy import SecretBox
from queue_server.store.tables import events, notify_outbox

KIND = "webhook"
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,15}$")  # no _ or %: a LIKE prefix stays literal
BATCH = 500  # events read per subscription per round: a long outage catches up in steps
MIN_SECRET = 16
ALL_TYPES = frozenset(t.value for t in EventType)


@dataclass(frozen=True)
class Subscription:
    name: str
    url: str
    secret: str
    types: frozenset[str]

    @property
    def prefix(self) -> str:
        return f"{KIND}:{self.name}:"


class WebhooksFileError(ConfigError):
    """A webhooks.toml that cannot be used: the server does not start on it."""


def _bad(path: Path, i: int, zh: str, en: str) -> WebhooksFileError:
    return WebhooksFileError(f"{path} 第 {i} 个 [[webhook]]：{zh} / webhook {i}: {en}")


def load_webhooks(path: Path) -> list[Subscription]:
    """The subscriptions of a `webhooks.toml`; none when the file does not exist."""
    if not path.exists():
        return []
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise WebhooksFileError(f"{path} 不是有效的 TOML / is not valid TOML: {exc}") from None
    unknown = set(doc) - {"webhook"}
    if unknown:
        raise WebhooksFileError(f"{path}：未知的段 / unknown sections: {', '.join(sorted(unknown))}")
    subs: list[Subscription] = []
    for i, item in enumerate(doc.get("webhook", []), start=1):
        extra = set(item) - {"name", "url", "secret", "events"}
        if extra:
            raise _bad(path, i, f"未知的键 {', '.join(sorted(extra))}",
                       f"unknown keys {', '.join(sorted(extra))}")
        name = str(item.get("name", ""))
        if not NAME.match(name):
            raise _bad(path, i, "name 须为小写字母、数字或 -（最多 16 个）",
                       "name must be lower-case letters, digits or - (at most 16)")
        if name in {s.name for s in subs}:
            raise _bad(path, i, f"name {name} 重复", f"name {name} appears twice")
        url = str(item.get("url", ""))
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise _bad(path, i, "url 须为 http(s):// 地址", "url must be an http(s):// address")
        secret = str(item.get("secret", ""))
        if len(secret) < MIN_SECRET:
            raise _bad(path, i, f"secret 至少 {MIN_SECRET} 个字符",
                       f"secret needs at least {MIN_SECRET} characters")
        wanted = item.get("events", ["*"])
        if not isinstance(wanted, list) or not wanted:
            raise _bad(path, i, "events 须为事件类型列表", "events must be a list of event types")
        types = ALL_TYPES if "*" in wanted else frozenset(str(t) for t in wanted)
        if unknown_types := sorted(types - ALL_TYPES):
            raise _bad(path, i, f"未知的事件类型 {', '.join(unknown_types)}",
                       f"unknown event types {', '.join(unknown_types)}")
        subs.append(Subscription(name, url, secret, types))
    return subs


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, now: float | None = None,
           tolerance: float = 300.0) -> bool:
    """What a receiver does: the signature matches and is recent (no replay of old ones)."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        t = int(fields["t"])
    except (ValueError, KeyError):
        return False
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, t, body), f"t={t},v1={fields.get('v1', '')}")


class WebhookGateway:
    """POSTs one stored event to its subscription's URL, signed with its secret."""

    name = "webhook"
    dedupes = True  # every retry carries the same X-Hallq-Delivery: receivers drop repeats

    def __init__(self, engine: Engine, hall: str, subs: Iterable[Subscription], *,
                 timeout: float = 10.0, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.hall = hall
        self.subs = {s.name: s for s in subs}
        self.timeout = timeout
        self.clock = clock

    def send(self, msg: Outgoing) -> str | None:
        sub = self.subs.get(msg.recipient)
        if sub is None:
            raise Rejected(f"订阅 {msg.recipient} 已删除 / subscription {msg.recipient} removed")
        seq = int(msg.key.rsplit(":", 1)[1])
        with self.engine.connect() as conn:
            row = conn.execute(select(events).where(events.c.hall == self.hall,
                                                    events.c.seq == seq)).first()
        if row is None:
            raise Rejected(f"事件 {seq} 不存在 / event {seq} is not stored")
        body = event_body(self.hall, row).encode("utf-8")
        headers = {"X-Hallq-Signature": signature(sub.secret, int(self.clock()), body),
                   "X-Hallq-Delivery": msg.key, "X-Hallq-Event": row.type}
        status, _ = post(sub.url, body, headers, self.timeout)
        if 200 <= status < 300:
            return None
        if status in (408, 429) or status >= 500:
            raise Unavailable(f"接收方暂不可用 / the receiver answered {status}")
        raise Rejected(f"接收方拒绝 / the receiver refused the event: {status}")


def event_body(hall: str, row: Any) -> str:
    return json.dumps({"hall": hall, "seq": row.seq, "at": row.at.isoformat(), "type": row.type,
                       "ticket_id": row.ticket_id, "window": row.window, "staff": row.staff,
                       "data": row.data}, ensure_ascii=False, separators=(",", ":"))


class WebhookFeed:
    """Queues the hall's stored events for every subscription, in order, once each."""

    def __init__(self, engine: Engine, box: SecretBox, hall: str,
                 subs: Iterable[Subscription]) -> None:
        self.engine = engine
        self.box = box
        self.hall = hall
        self.subs = list(subs)
        self.cursors: dict[str, int] = {}

    def prime(self) -> None:
        """Fix each subscription's starting point now, at start-up: events that happen
        before the first round are sent too."""
        with self.engine.connect() as conn:
            for sub in self.subs:
                self.cursors.setdefault(sub.name, self._start(conn, sub))

    def _start(self, conn: Connection, sub: Subscription) -> int:
        """The last event queued for it; a new subscription starts at the newest event
        (it is sent what happens from now on, not the hall's history)."""
        last = conn.execute(select(func.max(notify_outbox.c.id)).where(
            notify_outbox.c.hall == self.hall, notify_outbox.c.channel == KIND,
            notify_outbox.c.id.like(f"{sub.prefix}%"))).scalar()
        if last is not None:
            return int(str(last).rsplit(":", 1)[1])
        newest = conn.execute(select(func.max(events.c.seq)).where(
            events.c.hall == self.hall)).scalar()
        return int(newest or 0)

    def run_round(self, now: datetime) -> int:
        queued = 0
        with self.engine.begin() as conn:
            for sub in self.subs:
                after = self.cursors.get(sub.name)
                if after is None:
                    after = self._start(conn, sub)
                rows = conn.execute(
                    select(events).where(events.c.hall == self.hall, events.c.seq > after)
                    .order_by(events.c.seq).limit(BATCH)).all()
                for row in rows:
                    if row.type in sub.types:
                        queued += outbox.enqueue(conn, self.box, Draft(
                            # Zero-padded: the newest key is the largest, for _start.
                            key=f"{sub.prefix}{row.seq:012d}", kind=KIND, channel=KIND,
                            recipient=sub.name, recipient_masked=sub.name,
                            body=row.type, params={"type": row.type, "seq": row.seq}), now)
                    after = row.seq
                self.cursors[sub.name] = after
        return queued
