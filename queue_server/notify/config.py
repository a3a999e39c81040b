"""Notification settings, from the HALLQ_* variables (hallenv; docs/cases-archive-notify.md).

Every number is a setting: how often the worker looks, how it backs off, how old a
"ready" step may be and still be worth a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hallenv import ConfigError, HallqEnv

__all__ = ["ConfigError", "NotifyConfig"]  # ConfigError: where callers have taken it from


@dataclass(frozen=True)
class NotifyConfig:
    sms_gateway: str = "file"  # file | http | none
    sms_file: Path = Path("var/sms-outbox.jsonl")
    sms_url: str = ""
    sms_api_key: str = ""
    sms_dedupes: bool = False
    sms_timeout: float = 10.0
    wechat_appid: str = ""
    wechat_secret: str = ""
    wechat_api: str = "https://api.weixin.qq.com"
    wechat_templates: dict[str, str] = field(default_factory=dict)
    templates_path: Path | None = None
    sign: str = ""  # empty: the hall's name
    poll_seconds: float = 2.0
    batch: int = 50
    max_attempts: int = 8
    backoff_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0
    claim_timeout_seconds: float = 300.0
    ready_max_age_hours: float = 72.0  # an older "ready" step (a bulk load) sends nothing
    default_places: int = 3
    webhooks: Path = Path("var/webhooks.toml")  # signed webhooks' subscriptions, if present

    @property
    def wechat_enabled(self) -> bool:
        return bool(self.wechat_appid and self.wechat_secret)

    @classmethod
    def from_env(cls, data_dir: Path, env: Mapping[str, str] | None = None) -> NotifyConfig:
        e = HallqEnv.read(env)
        return cls(
            sms_gateway=e.sms_gateway,
            sms_file=e.sms_file or data_dir / "sms-outbox.jsonl",
            sms_url=e.sms_url, sms_api_key=e.sms_api_key,
            sms_dedupes=e.sms_dedupes, sms_timeout=e.sms_timeout,
            wechat_appid=e.wechat_appid, wechat_secret=e.wechat_secret,
            wechat_api=e.wechat_api, wechat_templates=dict(e.wechat_templates),
            templates_path=e.notify_templates, sign=e.sms_sign,
            poll_seconds=e.notify_poll_seconds, max_attempts=e.notify_max_attempts,
            backoff_seconds=e.notify_backoff_seconds,
            backoff_max_seconds=e.notify_backoff_max_seconds,
            claim_timeout_seconds=e.notify_claim_timeout_seconds,
            ready_max_age_hours=e.notify_ready_max_age_hours,
            default_places=e.notify_places,
            webhooks=e.webhooks or data_dir / "webhooks.toml",
        )
