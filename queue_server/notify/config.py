"""Notification settings, read from HALLQ_* environment variables (docs/cases-archive-notify.md).

Every number is a setting: how often the worker looks, how it backs off, how old a
"ready" step may be and still be worth a message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


class ConfigError(ValueError):
    pass


def _float(env: Mapping[str, str], name: str, default: float, minimum: float = 0) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} 应为数字 / {name} must be a number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} 不能小于 {minimum} / {name} must be at least {minimum}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} 应为 true/false / {name} must be true or false")


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

    @property
    def wechat_enabled(self) -> bool:
        return bool(self.wechat_appid and self.wechat_secret)

    @classmethod
    def from_env(cls, data_dir: Path, env: Mapping[str, str] | None = None) -> NotifyConfig:
        e = os.environ if env is None else env
        gateway = e.get("HALLQ_SMS_GATEWAY", "file").strip().lower() or "file"
        if gateway not in ("file", "http", "none"):
            raise ConfigError("HALLQ_SMS_GATEWAY 应为 file、http 或 none / must be file, http or none")
        url = e.get("HALLQ_SMS_URL", "")
        if gateway == "http" and not url:
            raise ConfigError("HALLQ_SMS_GATEWAY=http 需要 HALLQ_SMS_URL / needs HALLQ_SMS_URL")
        templates: dict[str, str] = {}
        for part in e.get("HALLQ_WECHAT_TEMPLATES", "").split(","):
            if part.strip():
                kind, sep, tid = part.partition("=")
                if not sep or not tid.strip():
                    raise ConfigError("HALLQ_WECHAT_TEMPLATES 格式为 kind=模板ID,… / "
                                      "format: kind=template_id,…")
                templates[kind.strip()] = tid.strip()
        tpl = e.get("HALLQ_NOTIFY_TEMPLATES")
        return cls(
            sms_gateway=gateway,
            sms_file=Path(e.get("HALLQ_SMS_FILE") or data_dir / "sms-outbox.jsonl"),
            sms_url=url, sms_api_key=e.get("HALLQ_SMS_API_KEY", ""),
            sms_dedupes=_bool(e, "HALLQ_SMS_DEDUPES", False),
            sms_timeout=_float(e, "HALLQ_SMS_TIMEOUT", 10.0, 0.1),
            wechat_appid=e.get("HALLQ_WECHAT_APPID", ""),
            wechat_secret=e.get("HALLQ_WECHAT_SECRET", ""),
            wechat_api=e.get("HALLQ_WECHAT_API", "https://api.weixin.qq.com"),
            wechat_templates=templates,
            templates_path=Path(tpl) if tpl else None,
            sign=e.get("HALLQ_SMS_SIGN", ""),
            poll_seconds=_float(e, "HALLQ_NOTIFY_POLL_SECONDS", 2.0, 0.05),
            max_attempts=int(_float(e, "HALLQ_NOTIFY_MAX_ATTEMPTS", 8, 1)),
            backoff_seconds=_float(e, "HALLQ_NOTIFY_BACKOFF_SECONDS", 30.0, 0),
            backoff_max_seconds=_float(e, "HALLQ_NOTIFY_BACKOFF_MAX_SECONDS", 3600.0, 0),
            claim_timeout_seconds=_float(e, "HALLQ_NOTIFY_CLAIM_TIMEOUT_SECONDS", 300.0, 1),
            ready_max_age_hours=_float(e, "HALLQ_NOTIFY_READY_MAX_AGE_HOURS", 72.0, 0),
            default_places=int(_float(e, "HALLQ_NOTIFY_PLACES", 3, 1)),
        )
