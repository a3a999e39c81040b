"""Hands due outbox messages to their gateways: claim, send, record — one message at a time.

The claim is committed before the gateway is called and the outcome after, in two short
transactions: a slow gateway never holds a database lock, and a crash between the two
leaves the message `sending`, which `expire_claims` turns into `uncertain`, never into
a second send.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine

from queue_server.notify import outbox
from queue_server.notify.gateways import Gateway, Rejected, Unavailable, Uncertain
from queue_server.secrecy import SealError, SecretBox

log = logging.getLogger("hallq.notify")


def backoff(attempts: int, base: float, cap: float) -> float:
    """Seconds before retry number `attempts` (1 = the first retry): doubling, capped."""
    return min(cap, base * (2 ** max(0, attempts - 1)))


@dataclass
class RoundReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    uncertain: int = 0
    expired: int = 0
    keys: list[str] = field(default_factory=list)


class Dispatcher:
    def __init__(self, engine: Engine, box: SecretBox, gateways: Mapping[str, Gateway], *,
                 clock: Callable[[], datetime], max_attempts: int = 8,
                 backoff_seconds: float = 30.0, backoff_max_seconds: float = 3600.0,
                 claim_timeout_seconds: float = 300.0, batch: int = 50) -> None:
        self.engine = engine
        self.box = box
        self.gateways = dict(gateways)
        self.clock = clock
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.backoff_max_seconds = backoff_max_seconds
        self.claim_timeout = timedelta(seconds=claim_timeout_seconds)
        self.batch = batch
        self.worker_id = uuid.uuid4().hex[:12]

    def run_round(self) -> RoundReport:
        report = RoundReport()
        now = self.clock()
        with self.engine.begin() as conn:
            report.expired = outbox.expire_claims(conn, now - self.claim_timeout)
            keys = outbox.due_keys(conn, now, self.batch)
        for key in keys:
            self._one(key, report)
        return report

    def _one(self, key: str, report: RoundReport) -> None:
        try:
            with self.engine.begin() as conn:
                msg = outbox.claim(conn, self.box, key, self.worker_id, self.clock())
        except SealError:
            # Sealed under another hall secret: no retry will ever open it.
            log.error("无法解密收件人 / cannot open the recipient of %s", key)
            return
        if msg is None:
            return  # another worker has it, or it was requeued meanwhile
        gateway = self.gateways.get(msg.channel)
        if gateway is None:
            with self.engine.begin() as conn:
                outbox.mark_failed(conn, key, self.worker_id, "-",
                                   f"未配置 {msg.channel} 通道 / no gateway for {msg.channel}")
            report.failed += 1
            return
        try:
            ref = gateway.send(msg)
        except Unavailable as exc:
            self._retry_or_fail(key, msg.attempts, gateway.name, str(exc), report)
            return
        except Uncertain as exc:
            if gateway.dedupes:
                self._retry_or_fail(key, msg.attempts, gateway.name, str(exc), report)
            else:
                with self.engine.begin() as conn:
                    outbox.mark_uncertain(conn, key, self.worker_id, gateway.name, str(exc))
                report.uncertain += 1
                log.warning("消息状态不明，不再自动重发 / %s may have been delivered; not resent "
                            "automatically", key)
            return
        except Rejected as exc:
            with self.engine.begin() as conn:
                outbox.mark_failed(conn, key, self.worker_id, gateway.name, str(exc))
            report.failed += 1
            log.warning("消息被拒绝 / %s refused: %s", key, exc)
            return
        except Exception as exc:  # a gateway bug: the message may or may not have gone
            with self.engine.begin() as conn:
                outbox.mark_uncertain(conn, key, self.worker_id, gateway.name,
                                      f"网关异常 / gateway error: {type(exc).__name__}")
            report.uncertain += 1
            log.exception("网关异常 / gateway %s failed on %s", gateway.name, key)
            return
        with self.engine.begin() as conn:
            outbox.mark_sent(conn, key, self.worker_id, self.clock(), gateway.name, ref)
        report.sent += 1
        report.keys.append(key)

    def _retry_or_fail(self, key: str, attempts: int, gateway: str, error: str,
                       report: RoundReport) -> None:
        with self.engine.begin() as conn:
            if attempts >= self.max_attempts:
                outbox.mark_failed(conn, key, self.worker_id, gateway,
                                   f"重试{attempts}次仍失败 / gave up after {attempts}: {error}")
                report.failed += 1
                return
            wait = backoff(attempts, self.backoff_seconds, self.backoff_max_seconds)
            outbox.mark_retry(conn, key, self.worker_id, self.clock() + timedelta(seconds=wait),
                              gateway, error)
        report.retried += 1
        log.info("网关暂不可用，%s 秒后重试 / %s retried in %.0f s: %s", int(wait), key, wait, error)
