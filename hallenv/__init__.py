"""Every HALLQ_* environment variable of the product, read and checked in one place.

`HallqEnv` is the one settings object (pydantic-settings): the server, its commands, the
kiosk and the device tools all take their variables from it, so a variable has one
name, one parser, one default and one error. It sits below every program package (it
imports nothing of the project) because the kiosk reads it too and must not depend on
the server. The README's "Configuration" table lists every field; a test holds the code,
this class and that table together.

A bad value raises `EnvError` naming the variable, Chinese first:
`HALLQ_SMS_TIMEOUT 应为数字 / must be a number, not 'ten'`. Empty counts as unset, as it
always has (`HALLQ_DB= hallq serve` is the default database).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

PREFIX = "HALLQ_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(ValueError):
    """A setting of the hall is wrong (a variable, a holidays file, ...)."""


class EnvError(ConfigError):
    """One or more HALLQ_* variables have a bad value; each line names its variable."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def env_name(field: str) -> str:
    return PREFIX + field.upper()


# Parsers. Each raises ValueError("中文 / English"); `_problems` puts the variable in front.

def _number(minimum: float, *, above: bool = False, maximum: float | None = None):  # type: ignore[no-untyped-def]
    def parse(raw: Any) -> float:
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"应为数字 / must be a number, not {raw!r}") from None
        if (value <= minimum) if above else (value < minimum):
            word = ("应大于", "must be more than") if above else ("不能小于", "must be at least")
            raise ValueError(f"{word[0]} {minimum:g} / {word[1]} {minimum:g}, not {raw!r}")
        if maximum is not None and value > maximum:
            raise ValueError(f"不能大于 {maximum:g} / must be at most {maximum:g}, not {raw!r}")
        return value
    return parse


def _whole(minimum: int):  # type: ignore[no-untyped-def]
    def parse(raw: Any) -> int:
        text = str(raw).strip()
        if not text.isdigit() or int(text) < minimum:
            raise ValueError(f"应为不小于 {minimum} 的整数 / must be a whole number of at "
                             f"least {minimum}, not {raw!r}")
        return int(text)
    return parse


def parse_rate(text: str) -> tuple[int, float]:
    """`30/60`: 30 per 60 seconds (a bare count means per minute). The one rate syntax."""
    count, _, seconds = str(text).partition("/")
    try:
        n, s = int(count), float(seconds or 60)
    except ValueError:
        raise ValueError(f"限额格式应为 次数/秒数 / a rate is COUNT/SECONDS, not {text!r}") from None
    if n < 1 or s <= 0:
        raise ValueError(f"限额须为正数 / a rate must be positive: {text!r}")
    return n, s


def _rate(raw: Any) -> str:
    parse_rate(raw)
    return str(raw).strip()


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"应为 true/false / must be true or false, not {raw!r}")


def _dates(raw: Any) -> frozenset[date]:
    if isinstance(raw, frozenset | set | list | tuple):
        return frozenset(raw)
    out = set()
    for part in str(raw).replace(";", ",").split(","):
        if part.strip():
            try:
                out.add(date.fromisoformat(part.strip()))
            except ValueError:
                raise ValueError("应为逗号分隔的日期 YYYY-MM-DD / must be comma-separated "
                                 f"YYYY-MM-DD dates, not {part.strip()!r}") from None
    return frozenset(out)


def _templates(raw: Any) -> dict[str, str]:
    if isinstance(raw, dict):
        return raw
    out: dict[str, str] = {}
    for part in str(raw).split(","):
        if part.strip():
            kind, sep, tid = part.partition("=")
            if not sep or not tid.strip():
                raise ValueError("格式为 kind=模板ID,… / format: kind=template_id,…")
            out[kind.strip()] = tid.strip()
    return out


def _one_of(*choices: str, case: str = "lower"):  # type: ignore[no-untyped-def]
    def parse(raw: Any) -> str:
        text = str(raw).strip()
        text = text.upper() if case == "upper" else text.lower()
        if text not in choices:
            raise ValueError(f"应为 {'、'.join(choices)} / must be one of "
                             f"{', '.join(choices)}, not {raw!r}")
        return text
    return parse


Seconds = Annotated[float, BeforeValidator(_number(0, above=True))]
Whole = Annotated[int, BeforeValidator(_whole(0))]
RateText = Annotated[str, BeforeValidator(_rate)]
Flag = Annotated[bool, BeforeValidator(_bool)]
# NoDecode: a list is written as the hall writes it (a,b), not as JSON.
Dates = Annotated[frozenset[date], NoDecode, BeforeValidator(_dates)]
Url = Annotated[str, AfterValidator(lambda v: v.rstrip("/"))]


def _at_least(minimum: float):  # type: ignore[no-untyped-def]
    return Annotated[float, BeforeValidator(_number(minimum))]


def _count(minimum: int):  # type: ignore[no-untyped-def]
    # int(float(…)) as the notification settings always took them ("8" and "8.0").
    return Annotated[int, BeforeValidator(lambda v: int(_number(minimum)(v)))]


class _MappingSource(PydanticBaseSettingsSource):
    """Variables from a given mapping instead of os.environ (tests, a child's env)."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.env = env

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.env.get(env_name(field_name)), field_name, False

    def __call__(self) -> dict[str, Any]:
        out = {}
        for name in self.settings_cls.model_fields:
            raw = self.env.get(env_name(name))
            if raw is not None and raw != "":
                out[name] = raw
        return out


class HallqEnv(BaseSettings):
    """Every HALLQ_* variable; the comment after each says which program reads it.

    Keep the README's configuration table in step (tests/test_settings_env.py checks).
    """

    model_config = SettingsConfigDict(env_prefix=PREFIX, env_ignore_empty=True,
                                      case_sensitive=False, extra="ignore", frozen=True)

    # -- the server (hallq serve and the commands on its data) --
    layout: Path | None = None
    catalogue: Path | None = None
    data: Path | None = None
    db: str | None = None
    centre_db: str | None = None  # hallq centre: the city centre's PostgreSQL
    host: str | None = None
    port: Annotated[int | None, BeforeValidator(
        lambda v: None if v is None else int(_number(1, maximum=65535)(v)))] = None
    secret: str | None = None
    slip_key: str | None = None
    public_url: Url = ""
    header_timeout: Seconds = 10.0
    idle_timeout: Seconds = 5.0
    ws_send_timeout: Seconds = 10.0
    shutdown_timeout: Seconds = 5.0
    ws_max_backlog: Annotated[int, BeforeValidator(_whole(1))] = 1024 * 1024
    live_max_phones: Annotated[int, BeforeValidator(_whole(0))] = 1000
    log_level: Annotated[str, BeforeValidator(_one_of(*LOG_LEVELS, case="upper"))] = "INFO"
    log_format: Annotated[str, BeforeValidator(_one_of("text", "json"))] = "text"
    kiosk_ticket_minutes: Annotated[float, BeforeValidator(
        _number(0, above=True, maximum=24 * 60))] = 10.0
    lookup_proof: Annotated[str, BeforeValidator(lambda v: str(v).strip().lower())] = "card"
    displays: Path | None = None
    printers: Path | None = None  # hallq serve: the windows' notice printers (TOML)
    # the working-day calendar
    holidays_file: Path | None = None
    holidays: Dates = frozenset()
    extra_workdays: Dates = frozenset()
    # cases and lookups
    case_warn_days: Whole = 2
    lookup_rate_kiosk: RateText = "30/60"
    lookup_rate_id: RateText = "10/600"
    issue_rate_kiosk: RateText = "10/60"
    anonymous_rate_kiosk: RateText = "60/3600"
    lookup_sms_rate: RateText = "3/900"
    booking_sms_rate_phone: RateText = "3/900"
    booking_sms_rate_addr: RateText = "10/900"
    # notifications
    sms_gateway: Annotated[Literal["file", "http", "none"],
                           BeforeValidator(_one_of("file", "http", "none"))] = "file"
    sms_file: Path | None = None
    sms_url: str = ""
    sms_api_key: str = ""
    sms_dedupes: Flag = False
    sms_timeout: _at_least(0.1) = 10.0  # type: ignore[valid-type]
    sms_sign: str = ""
    wechat_appid: str = ""
    wechat_secret: str = ""
    wechat_api: str = "https://api.weixin.qq.com"
    wechat_templates: Annotated[dict[str, str], NoDecode, BeforeValidator(_templates)] = {}
    notify_templates: Path | None = None
    notify_poll_seconds: _at_least(0.05) = 2.0  # type: ignore[valid-type]
    notify_max_attempts: _count(1) = 8  # type: ignore[valid-type]
    notify_backoff_seconds: _at_least(0) = 30.0  # type: ignore[valid-type]
    notify_backoff_max_seconds: _at_least(0) = 3600.0  # type: ignore[valid-type]
    notify_claim_timeout_seconds: _at_least(1) = 300.0  # type: ignore[valid-type]
    notify_ready_max_age_hours: _at_least(0) = 72.0  # type: ignore[valid-type]
    notify_places: _count(1) = 3  # type: ignore[valid-type]
    webhooks: Path | None = None
    # -- hallq led-bridge and hallq screen --
    token: str = ""
    display_token: str = ""
    # -- the kiosk (hallq kiosk) --
    server: str = "http://127.0.0.1:8000"
    kiosk_token: str = ""
    kiosk_name: str = "kiosk-1"
    kiosk_font: Path | None = None
    # -- the tests and bench/ only --
    test_pg: str = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

    @model_validator(mode="after")
    def _together(self) -> HallqEnv:
        if self.sms_gateway == "http" and not self.sms_url:
            raise ValueError("HALLQ_SMS_GATEWAY=http 需要 HALLQ_SMS_URL / needs HALLQ_SMS_URL")
        if both := sorted(self.holidays & self.extra_workdays):
            raise ValueError(f"HALLQ_HOLIDAYS 与 HALLQ_EXTRA_WORKDAYS 同时含有 / both list "
                             f"{', '.join(d.isoformat() for d in both)}")
        return self

    @classmethod
    def read(cls, env: Mapping[str, str] | None = None) -> HallqEnv:
        """The variables of os.environ, or of `env` alone; EnvError for bad values."""
        try:
            if env is None:
                return _from_environ(cls, tuple(sorted(
                    (k.upper(), v) for k, v in os.environ.items()
                    if k.upper().startswith(PREFIX))))
            return _from_mapping(cls, env)
        except ValidationError as exc:
            raise EnvError(_problems(exc)) from None


@lru_cache(maxsize=4)
def _from_environ(cls: type[HallqEnv], _variables: tuple[tuple[str, str], ...]) -> HallqEnv:
    """Read once per set of HALLQ_* values: the server's start-up reads it in four places,
    and each read walks pydantic-settings' sources (~9 ms). The instance is frozen."""
    return cls()


def _from_mapping(cls: type[HallqEnv], env: Mapping[str, str]) -> HallqEnv:
    class Only(cls):  # type: ignore[misc,valid-type]
        @classmethod
        def settings_customise_sources(cls, settings_cls, init_settings, env_settings,  # type: ignore[no-untyped-def,override]
                                       dotenv_settings, file_secret_settings):
            return (_MappingSource(settings_cls, env),)
    return Only()


def _problems(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["loc"]:
            name = env_name(str(err["loc"][0]))
            out.append(f"{name} {msg}" if "/" in msg else
                       f"{name} 的值无效 / {name} has a bad value: {msg}")
        else:
            out.append(msg)
    return out
