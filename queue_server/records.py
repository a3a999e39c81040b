"""The cases, archive and notification services of one server, built together: they
share the hall's secret, clock, rate limiter and calendar, and the hall's events wake the
notification worker. The app keeps them as `app.state.records`.

It sits above cases/, archive/ and notify/ (and below api/), so those packages import
nothing of each other's wiring, and nothing of the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from queue_server.archive.service import ArchiveService
from queue_server.cases.config import RecordsConfig
from queue_server.cases.service import CaseService
from queue_server.domain.catalogue import load_catalogue
from queue_server.evidence import CardRegistry
from queue_server.hall import Hall
from queue_server.notify.config import NotifyConfig
from queue_server.notify.reseal import reseal_all
from queue_server.notify.service import Composer, Notifier, build_gateways
from queue_server.notify.templates import Templates
from queue_server.notify.webhooks import WebhookFeed, WebhookGateway, load_webhooks
from queue_server.notify.worker import Dispatcher
from queue_server.phone_codes import PhoneCodes
from queue_server.ratelimit import Limiter
from queue_server.secrecy import SecretBox


def catalogue_limits(path: Path | None) -> dict[str, tuple[str, int]]:
    """Item code → (name, time limit in working days), from the whole catalogue: a case
    may be for an item this hall's windows do not serve."""
    if path is None:
        return {}
    return {i.code: (i.name, i.time_limit_days) for i in load_catalogue(path).items}


@dataclass
class Records:
    cases: CaseService
    archive: ArchiveService
    notifier: Notifier
    limiter: Limiter
    cards: CardRegistry
    config: RecordsConfig
    notify_config: NotifyConfig
    codes: PhoneCodes

    @classmethod
    def build(cls, hall: Hall, engine: Engine, *, data_dir: Path, catalogue_path: Path | None,
              env: Mapping[str, str] | None = None, lookup_proof: str = "card") -> Records:
        # The hall's day, so the start-up warning about a missing year follows its clock.
        config = RecordsConfig.from_env(env, today=hall.clock().astimezone(hall.layout.hall.tz).date())
        ncfg = NotifyConfig.from_env(data_dir, env)
        box = SecretBox(hall.secret)
        reseal_all(engine, box)  # values sealed the old way become AES-GCM once
        gateways = build_gateways(ncfg)
        if "sms" in lookup_proof.split("+") and "sms" not in gateways:
            raise ValueError(f"HALLQ_LOOKUP_PROOF={lookup_proof} 须配置短信网关 "
                             "(HALLQ_SMS_GATEWAY) / needs an SMS gateway (HALLQ_SMS_GATEWAY)")
        hooks = load_webhooks(ncfg.webhooks)
        feed = None
        if hooks:
            gateways["webhook"] = WebhookGateway(engine, hall.layout.hall.code, hooks,
                                                 timeout=ncfg.sms_timeout)
            feed = WebhookFeed(engine, box, hall.layout.hall.code, hooks)
            feed.prime()
        templates = Templates.load(ncfg.sign or hall.layout.hall.name, ncfg.templates_path)
        composer = Composer(box, templates, ncfg, gateways)
        dispatcher = Dispatcher(engine, box, gateways, clock=hall.clock,
                                max_attempts=ncfg.max_attempts,
                                backoff_seconds=ncfg.backoff_seconds,
                                backoff_max_seconds=ncfg.backoff_max_seconds,
                                claim_timeout_seconds=ncfg.claim_timeout_seconds,
                                batch=ncfg.batch)
        notifier = Notifier(engine, hall, composer, dispatcher, ncfg, hall.clock, webhooks=feed)
        # The hall's clock, not the wall's: tests move time by hand, and so do the buckets.
        limiter = Limiter(config.rates(),
                          lambda: hall.clock().timestamp())
        codes = PhoneCodes(notifier, limiter, hall.secret, hall.clock)  # booking's too
        cards = CardRegistry(engine, key=hall.secret, clock=hall.clock, level=lookup_proof,
                             codes=codes, box=box)
        cases = CaseService(engine, key=hall.secret, box=box, composer=composer,
                            calendar=config.calendar, tz=hall.layout.hall.tz,
                            catalogue=catalogue_limits(catalogue_path), clock=hall.clock,
                            limiter=limiter, cards=cards, warn_days=config.warn_days,
                            on_queued=notifier.poke)
        archive = ArchiveService(engine, key=hall.secret, clock=hall.clock, limiter=limiter,
                                 cards=cards, tz=hall.layout.hall.tz)
        hall.listeners.append(notifier.on_hall_messages)
        return cls(cases, archive, notifier, limiter, cards, config, ncfg, codes)

    def start(self) -> None:
        self.notifier.start()

    async def stop(self) -> None:
        await self.notifier.stop()
