"""The notification service: what producers call, and the worker the server runs.

`Composer` turns events into outbox rows inside the producer's own transaction (a
case becoming ready writes its SMS in the same commit as the step). `Notifier` is
the server's background worker: woken by the hall's published events and by a
timer, it queues silent-calling messages and hands due messages to the gateways.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from queue_server.hall import Hall
from queue_server.notify import outbox, watch
from queue_server.notify.config import NotifyConfig
from queue_server.notify.gateways import (
    FileGateway,
    Gateway,
    HttpSmsGateway,
    WeChatTemplateGateway,
)
from queue_server.notify.outbox import Draft
from queue_server.notify.templates import CASE_READY, Templates
from queue_server.notify.webhooks import WebhookFeed
from queue_server.notify.worker import Dispatcher, RoundReport
from queue_server.secrecy import SecretBox

COALESCE_SECONDS = 0.5  # hall events within this long share one notification round
log = logging.getLogger("hallq.notify")


def build_gateways(config: NotifyConfig) -> dict[str, Gateway]:
    gateways: dict[str, Gateway] = {}
    if config.sms_gateway == "file":
        gateways["sms"] = FileGateway(config.sms_file)
    elif config.sms_gateway == "http":
        gateways["sms"] = HttpSmsGateway(config.sms_url, api_key=config.sms_api_key,
                                         timeout=config.sms_timeout, dedupes=config.sms_dedupes)
    if config.wechat_enabled:
        gateways["wechat"] = WeChatTemplateGateway(
            config.wechat_appid, config.wechat_secret, config.wechat_templates,
            api=config.wechat_api, timeout=config.sms_timeout)
    return gateways


@dataclass(frozen=True)
class Recipient:
    """An applicant as the cases store keeps them: sealed contacts and their references."""

    phone_sealed: str | None
    phone_masked: str | None
    phone_ref: str | None
    wechat_sealed: str | None
    wechat_masked: str | None
    wechat_ref: str | None


class Composer:
    def __init__(self, box: SecretBox, templates: Templates, config: NotifyConfig,
                 channels: Iterable[str]) -> None:
        self.box = box
        self.templates = templates
        self.config = config
        self.channels = frozenset(channels)

    def case_ready(self, conn: Connection, *, case_no: str, item_name: str, ready_seq: int,
                   ready_at: datetime, recipients: Iterable[Recipient], now: datetime) -> int:
        """Queue "certificate ready" for every applicant with a contact; returns how many.

        The key names the case, the ready step and the recipient: a resent push, or two
        applicants sharing one phone, queue one message; a case made ready again after
        a correction (a new step) queues a new one.
        """
        if now - ready_at > timedelta(hours=self.config.ready_max_age_hours):
            return 0  # a bulk load of old cases must not message thousands of people
        body = self.templates.render(CASE_READY, case_no=case_no, item_name=item_name or "登记")
        params = {"case_no": case_no, "item_name": item_name}
        n = 0
        for r in recipients:
            for channel, sealed, masked, ref in (
                    ("sms", r.phone_sealed, r.phone_masked, r.phone_ref),
                    ("wechat", r.wechat_sealed, r.wechat_masked, r.wechat_ref)):
                if channel not in self.channels or not sealed or not ref:
                    continue
                n += outbox.enqueue(conn, self.box, Draft(
                    key=f"case-ready:{case_no}:{ready_seq}:{channel}:{ref}", kind=CASE_READY,
                    channel=channel, recipient=self.box.open(sealed),
                    recipient_masked=masked or "", body=body, params=params), now)
        return n


class Notifier:
    def __init__(self, engine: Engine, hall: Hall, composer: Composer, dispatcher: Dispatcher,
                 config: NotifyConfig, clock: Callable[[], datetime],
                 webhooks: WebhookFeed | None = None) -> None:
        self.engine = engine
        self.webhooks = webhooks
        self.hall = hall
        self.composer = composer
        self.dispatcher = dispatcher
        self.config = config
        self.clock = clock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    # --- producers ---------------------------------------------------------------------

    def watch_ticket(self, *, ticket_id: str, day: date, phone: str, phone_masked: str,
                     places: int) -> dict[str, Any]:
        with self.engine.begin() as conn:
            result = watch.register(conn, self.composer.box, ticket_id=ticket_id, day=day,
                                    phone=phone, phone_masked=phone_masked, places=places,
                                    now=self.clock())
        self.poke()  # it may already be within N places
        return result

    # --- the worker ----------------------------------------------------------------------

    def on_hall_messages(self, _messages: list[dict[str, Any]]) -> None:
        """A hall listener: runs inside the hall's lock, so it only wakes the worker and
        never raises."""
        self.poke()

    def poke(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is None or wake is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed between the check and now
            loop.call_soon_threadsafe(wake.set)

    def run_once(self) -> RoundReport:
        """One round: queue earned silent-calling messages and the webhooks' events, then
        send what is due."""
        watch.check(self.engine, self.hall, self.composer.box, self.composer.templates,
                    self.clock())
        if self.webhooks is not None:
            self.webhooks.run_round(self.clock())
        return self.dispatcher.run_round()

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        self._loop = None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.config.poll_seconds)
            # A busy hall wakes the worker on every event; one round per burst is enough
            # for an SMS, and each round costs database work beside the ticket operations.
            await asyncio.sleep(COALESCE_SECONDS)
            self._wake.clear()
            try:
                await asyncio.to_thread(self.run_once)
            except Exception:  # keep sending on later rounds; the failure is in the log
                log.exception("通知发送轮次失败 / notification round failed")
