"""Gateways behind one interface: a file (the default), an HTTP SMS platform, WeChat.

A gateway answers a send in one of four ways, and the worker acts on each:
  returns            delivered (a reference, if the gateway gives one)
  Unavailable        certainly not delivered (could not connect, 5xx, 429): retry later
  Rejected           refused for good (bad number, unknown template): give up
  Uncertain          the request went out but no answer came back: it may have been
                     delivered, so it is retried only by a gateway that drops duplicates
                     by idempotency key (`dedupes`)

The standard library's urllib is used on purpose: it logs nothing, so neither a phone
number nor WeChat's access_token (which travels in the URL) reaches a log.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger("hallq.notify")


class GatewayError(Exception):
    pass


class Unavailable(GatewayError):
    pass


class Rejected(GatewayError):
    pass


class Uncertain(GatewayError):
    pass


@dataclass(frozen=True)
class Outgoing:
    """One message for one recipient, as a gateway sends it."""

    key: str  # idempotency key: the same event for the same recipient gives the same key
    kind: str
    channel: str
    recipient: str
    recipient_masked: str
    body: str
    params: dict[str, Any]


class Gateway(Protocol):
    name: str
    dedupes: bool

    def send(self, msg: Outgoing) -> str | None: ...


class FileGateway:
    """Writes each message as one JSON line, recipient masked: the demo and fallback."""

    name = "file"
    dedupes = True  # a line is written or the write raised: nothing is half-sent

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def send(self, msg: Outgoing) -> str | None:
        line = json.dumps({"at": datetime.now(UTC).isoformat(), "id": msg.key,
                           "channel": msg.channel, "to": msg.recipient_masked, "body": msg.body},
                          ensure_ascii=False)
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as f:
                    f.write(line + "\n")
        except OSError as exc:
            raise Unavailable(f"写入失败 / cannot write {self.path}: {exc.strerror}") from None
        log.info("消息已写入文件 / message written: %s to %s", msg.key, msg.recipient_masked)
        return msg.key


def post(url: str, data: bytes, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
    """POST JSON bytes and classify transport failures; returns (status, body) for any
    HTTP answer."""
    req = urllib.request.Request(url, data=data, headers={
        "Content-Type": "application/json; charset=utf-8", **headers}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read() if exc.fp else b""
    except urllib.error.URLError as exc:
        # Raised while connecting or sending: the request did not get through.
        raise Unavailable(f"无法连接网关 / cannot reach the gateway: {exc.reason}") from None
    except (TimeoutError, OSError) as exc:
        # Raised while waiting for the answer: the gateway may have acted on it.
        raise Uncertain(f"网关无应答 / no answer from the gateway: {type(exc).__name__}") from None


def _post_json(url: str, payload: dict[str, Any], headers: dict[str, str], timeout: float
               ) -> tuple[int, bytes]:
    return post(url, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers, timeout)


class HttpSmsGateway:
    """A generic HTTP SMS platform: POST {"id", "to", "text"} as JSON.

    The message key travels as `Idempotency-Key` (and as `id`); a platform that honours
    it makes retries after a lost answer safe: set `dedupes` for it.
    """

    name = "http-sms"

    def __init__(self, url: str, *, api_key: str = "", timeout: float = 10.0,
                 dedupes: bool = False) -> None:
        self.url = url
        self.api_key = api_key
        self.timeout = timeout
        self.dedupes = dedupes

    def send(self, msg: Outgoing) -> str | None:
        headers = {"Idempotency-Key": msg.key}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        status, body = _post_json(self.url, {"id": msg.key, "to": msg.recipient, "text": msg.body},
                                  headers, self.timeout)
        if 200 <= status < 300:
            try:
                ref = json.loads(body or b"{}").get("id")
            except (ValueError, AttributeError):
                ref = None
            return str(ref) if ref is not None else None
        if status in (408, 429) or status >= 500:
            raise Unavailable(f"短信网关暂不可用 / SMS gateway answered {status}")
        raise Rejected(f"短信网关拒绝 / SMS gateway refused the message: {status}")


# WeChat answers these when its token is invalid or expired: fetch a new one and retry.
_WECHAT_TOKEN_ERRORS = frozenset({40001, 40014, 42001})
_WECHAT_BUSY = frozenset({-1, 45009, 45011})


class WeChatTemplateGateway:
    """WeChat official-account template messages (模板消息) to an applicant's openid.

    `templates` maps a message kind to a template id set up in the account; the template's
    fields are `first` (the message text) and one field per blank of the kind
    (`case_no`, `item_name`, …), so the account's template must use those names.
    """

    name = "wechat"
    dedupes = False  # the template API takes no idempotency key

    def __init__(self, appid: str, secret: str, templates: dict[str, str], *,
                 api: str = "https://api.weixin.qq.com", timeout: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.appid = appid
        self.secret = secret
        self.templates = templates
        self.api = api.rstrip("/")
        self.timeout = timeout
        self.clock = clock
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def _access_token(self) -> str:
        with self._lock:
            if self._token and self.clock() < self._token[1]:
                return self._token[0]
            query = urllib.parse.urlencode({"grant_type": "client_credential",
                                            "appid": self.appid, "secret": self.secret})
            try:
                with urllib.request.urlopen(f"{self.api}/cgi-bin/token?{query}",
                                            timeout=self.timeout) as resp:
                    data = json.loads(resp.read() or b"{}")
            except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
                raise Unavailable(f"无法获取微信令牌 / cannot get a WeChat token: "
                                  f"{type(exc).__name__}") from None
            token = data.get("access_token")
            if not token:
                raise Unavailable(f"微信令牌获取失败 / WeChat token refused: errcode "
                                  f"{data.get('errcode')}")
            # Renew a few minutes early: a token expiring mid-send costs a retry.
            self._token = (str(token), self.clock() + max(60, int(data.get("expires_in", 7200)) - 300))
            return self._token[0]

    def send(self, msg: Outgoing) -> str | None:
        template = self.templates.get(msg.kind)
        if not template:
            raise Rejected(f"未配置微信模板 / no WeChat template for {msg.kind}")
        data = {"first": {"value": msg.body}}
        data.update({k: {"value": str(v)} for k, v in msg.params.items()})
        url = f"{self.api}/cgi-bin/message/template/send?access_token={self._access_token()}"
        status, body = _post_json(url, {"touser": msg.recipient, "template_id": template,
                                        "data": data}, {}, self.timeout)
        if status != 200:
            raise Unavailable(f"微信接口暂不可用 / WeChat answered HTTP {status}")
        try:
            answer = json.loads(body or b"{}")
        except ValueError:
            raise Uncertain("微信应答无法解析 / unreadable WeChat answer") from None
        code = int(answer.get("errcode", 0))
        if code == 0:
            return str(answer.get("msgid", "")) or None
        if code in _WECHAT_TOKEN_ERRORS:
            with self._lock:
                self._token = None
            raise Unavailable(f"微信令牌失效 / WeChat token expired ({code})")
        if code in _WECHAT_BUSY:
            raise Unavailable(f"微信系统繁忙 / WeChat busy ({code})")
        raise Rejected(f"微信拒绝 / WeChat refused: {code} {answer.get('errmsg', '')}"[:200])
