"""`hallq led-bridge`: the LED boards over the windows follow the hall's event stream.

The bridge subscribes to `WS /api/v1/events` like any display, turns each window's state
into one line of text, and sends it to that window's board through `devices.led` (the
per-board address, encoding and vendor frame come from the `[led]` table of the config).

Boards are write-only and keep whatever they were last sent, so the bridge re-sends every
board after each (re)connect: a server restart or a board power-cycled meanwhile never
leaves stale text. Sending is slow (frames are spaced on the RS-485 line, ~0.1 s each),
so a calling board goes before the bulk re-send, and only the latest text per window is
kept: a window that changes twice while waiting is sent once.

    [bridge]
    server = "http://127.0.0.1:8000"  # --server overrides; the token comes from
    token_file = "/etc/hallq/led.token"  # --token, HALLQ_TOKEN or this file
    called = "请{number}号"           # {number} the ticket, {window} the window number
    serving = "{number}办理中"
    idle = "欢迎光临"
    paused = "暂停服务"
    closed = "暂停服务"

    [led]                              # see devices/led/factory.py
    driver = "serial"
    port = "/dev/ttyUSB1"
    [[led.boards]]
    window = 1
    address = 1
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import string
import sys
import threading
import time
import tomllib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from devices.errors import DeviceError
from devices.led import LedBoards
from devices.led import from_config as led_from_config

log = logging.getLogger("hallq.led_bridge")

CLOSE_UNAUTHORIZED = 4401
RETRY_FAILED_BOARD_S = 2.0  # a board whose line failed is tried again after this long


class BridgeConfigError(ValueError):
    pass


class BridgeUnauthorized(RuntimeError):
    """The server refused the token: retrying will not help."""


@dataclass(frozen=True)
class BridgeTexts:
    called: str = "请{number}号"
    serving: str = "{number}办理中"
    idle: str = "欢迎光临"
    paused: str = "暂停服务"
    closed: str = "暂停服务"

    def __post_init__(self) -> None:
        for f in fields(self):
            template = getattr(self, f.name)
            if not isinstance(template, str):
                raise BridgeConfigError(f"bridge.{f.name}: 应为字符串 must be a string")
            names = {n for _, n, _, _ in string.Formatter().parse(template) if n is not None}
            if names - {"number", "window"}:
                raise BridgeConfigError(f"bridge.{f.name}: 只能用 {{number}} 和 {{window}} / "
                                        f"only {{number}} and {{window}}, not {sorted(names)}")

    def for_window(self, w: Mapping[str, Any]) -> str:
        """The one line a window's board shows for the window's state."""
        current = w.get("current")
        if w.get("status") == "closed":
            template = self.closed
        elif w.get("status") == "paused":
            template = self.paused
        elif current and current.get("status") == "called":
            template = self.called
        elif current:
            template = self.serving
        else:
            template = self.idle
        return template.format(number=current["number"] if current else "", window=w["number"])


@dataclass(frozen=True)
class BridgeConfig:
    server: str
    token: str | None
    texts: BridgeTexts
    led: dict[str, Any]


def load_bridge_config(path: Path) -> BridgeConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BridgeConfigError(f"{path}: 无法读取 cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise BridgeConfigError(f"{path}: TOML 语法错误 syntax: {exc}") from None
    unknown = set(data) - {"bridge", "led"}
    if unknown:
        raise BridgeConfigError(f"{path}: 未知的表 unknown table(s) {sorted(unknown)}")
    if not isinstance(data.get("led"), dict):
        raise BridgeConfigError(f"{path}: 缺少 [led] 表 / the [led] table is missing")
    bridge = dict(data.get("bridge", {}))
    server = bridge.pop("server", "http://127.0.0.1:8000")
    token_file = bridge.pop("token_file", None)
    known = {f.name for f in fields(BridgeTexts)}
    if set(bridge) - known:
        raise BridgeConfigError(f"{path}: bridge: 未知配置项 unknown option(s) "
                                f"{sorted(set(bridge) - known)}")
    token = None
    if token_file:
        token_path = (path.parent / token_file) if not Path(token_file).is_absolute() else Path(token_file)
        try:
            token = token_path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise BridgeConfigError(f"{token_path}: 无法读取令牌 cannot read the token: "
                                    f"{exc.strerror}") from None
    return BridgeConfig(str(server), token, BridgeTexts(**bridge), dict(data["led"]))


def events_url(server: str, token: str) -> str:
    parts = urlsplit(server if "://" in server else f"http://{server}")
    scheme = "wss" if parts.scheme in ("https", "wss") else "ws"
    base = parts.path.rstrip("/")
    return f"{scheme}://{parts.netloc}{base}/api/v1/events?token={quote(token, safe='')}"


class BoardWriter:
    """One thread feeding the boards, newest text per window, calls first.

    `boards.show` blocks for the line's frame spacing, so it never runs on the event loop.
    """

    def __init__(self, boards: LedBoards) -> None:
        self.boards = boards
        self.windows = set(boards.windows)
        self.sent: dict[int, str] = {}  # what each board was last sent successfully
        self.failures = 0
        self._urgent: OrderedDict[int, str] = OrderedDict()
        self._bulk: OrderedDict[int, str] = OrderedDict()
        self._cond = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="led-writer", daemon=True)

    def start(self) -> BoardWriter:
        self._thread.start()
        return self

    def want(self, window: int, text: str, *, urgent: bool = True, force: bool = False) -> None:
        if window not in self.windows:
            return
        with self._cond:
            if not force and self.sent.get(window) == text and window not in self._bulk:
                self._urgent.pop(window, None)
                return
            self._bulk.pop(window, None)
            target = self._urgent if urgent else self._bulk
            target[window] = text
            self._cond.notify_all()

    def resend_all(self, texts: Mapping[int, str], first: set[int]) -> None:
        """After a (re)connect: every board again, the windows in `first` before the rest."""
        with self._cond:
            self._bulk.clear()
            self._urgent.clear()
            for window in sorted(texts, key=lambda w: (w not in first, w)):
                if window in self.windows:
                    (self._urgent if window in first else self._bulk)[window] = texts[window]
            self._cond.notify_all()

    def pending(self) -> int:
        with self._cond:
            return len(self._urgent) + len(self._bulk)

    def wait_idle(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._urgent and not self._bulk, timeout)

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    def _next(self) -> tuple[int, str] | None:
        with self._cond:
            while not (self._urgent or self._bulk or self._stop):
                self._cond.wait()
            if self._stop:
                return None
            queue = self._urgent if self._urgent else self._bulk
            return queue.popitem(last=False)

    def _run(self) -> None:
        while (item := self._next()) is not None:
            window, text = item
            try:
                self.boards.show(window, text)
            except DeviceError as exc:
                # The bus reopens its port on the next send; keep the text and come back.
                self.failures += 1
                log.warning("LED %s号窗口 window %s: %s", window, window, exc)
                with self._cond:
                    if window not in self._urgent:  # unless a newer text is already waiting
                        self._bulk.setdefault(window, text)
                    self._cond.wait(RETRY_FAILED_BOARD_S)
                continue
            with self._cond:
                self.sent[window] = text
                self._cond.notify_all()


def _reason(body: bytes | None, lang: str = "zh") -> str:
    """The message of a refusal's `{"error": {"code", "message"}}` body, in one language
    ("中文 / English" as the server writes it), or what little the body says otherwise."""
    try:
        err = json.loads(body or b"{}")["error"]
        message, code = str(err.get("message", "")), str(err.get("code", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        text = (body or b"").decode("utf-8", "replace").strip()[:200]
        return text or ("无说明" if lang == "zh" else "no reason given")
    zh, _, en = message.partition(" / ")
    said = (zh if lang == "zh" else en or zh).strip()
    return f"{said} ({code})" if code else said


class LedBridge:
    def __init__(self, boards: LedBoards, server: str, token: str,
                 texts: BridgeTexts | None = None) -> None:
        self.writer = BoardWriter(boards)
        self.url = events_url(server, token)
        self.texts = texts or BridgeTexts()
        self.connects = 0
        self.status = "connecting"

    def on_message(self, msg: Mapping[str, Any]) -> None:
        if msg.get("type") == "snapshot":
            windows = msg.get("windows", [])
            texts = {w["number"]: self.texts.for_window(w) for w in windows}
            calling = {w["number"] for w in windows
                       if w.get("current") and w["current"].get("status") == "called"}
            self.writer.resend_all(texts, first=calling)
            return
        w = msg.get("window_state")
        if isinstance(w, Mapping):
            # A recall sends the same text again: many boards blink on a fresh frame.
            self.writer.want(w["number"], self.texts.for_window(w),
                             force=msg.get("type") == "ticket.recalled")

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Follow the stream until `stop` is set; reconnect with backoff on any failure."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidStatus

        stop = stop or asyncio.Event()
        attempt = 0
        while not stop.is_set():
            try:
                async with connect(self.url, open_timeout=10, max_size=16 * 1024 * 1024) as ws:
                    stopper = asyncio.ensure_future(stop.wait())
                    try:
                        while True:
                            recv = asyncio.ensure_future(ws.recv())
                            done, _ = await asyncio.wait({recv, stopper},
                                                         return_when=asyncio.FIRST_COMPLETED)
                            if stopper in done:
                                recv.cancel()
                                return
                            msg = json.loads(recv.result())
                            if msg.get("type") == "snapshot":
                                attempt = 0
                                self.connects += 1
                                self.status = "live"
                                log.info("LED bridge connected (snapshot seq %s)", msg.get("seq"))
                            self.on_message(msg)
                    finally:
                        stopper.cancel()
            except ConnectionClosed as exc:
                if exc.rcvd is not None and exc.rcvd.code == CLOSE_UNAUTHORIZED:
                    raise BridgeUnauthorized(
                        "服务器拒绝了令牌 / the server refused the token") from None
                log.warning("LED bridge: connection closed (%s); reconnecting", exc)
            except InvalidStatus as exc:
                # Said with the server's own reason (a 409 conflict, a proxy's refusal), so
                # whoever reads the log knows what happened, not only that it did.
                status = exc.response.status_code
                log.warning("LED 桥：服务器答复 %s：%s；稍后重连 / LED bridge: server answered "
                            "%s: %s; reconnecting", status, _reason(exc.response.body),
                            status, _reason(exc.response.body, "en"))
            except (OSError, TimeoutError) as exc:
                log.warning("LED bridge: cannot reach the server (%s); retrying", exc)
            self.status = "reconnecting"
            attempt += 1
            delay = min(10.0, 0.5 * 2 ** (attempt - 1))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)

    def close(self) -> None:
        self.writer.close()


def run_bridge(config: BridgeConfig, token: str) -> int:
    """The command's body: boards from the config, then the stream until SIGINT/SIGTERM."""
    boards = led_from_config(config.led)
    bridge = LedBridge(boards, config.server, token, config.texts)
    bridge.writer.start()
    started = time.monotonic()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):  # systemd stops services with SIGTERM
            loop.add_signal_handler(sig, stop.set)
        await bridge.run(stop)

    try:
        asyncio.run(main())
    except BridgeUnauthorized as exc:
        log.error("%s", exc)
        print(f"hallq led-bridge: {exc}", file=sys.stderr)
        return 1
    finally:
        bridge.close()
        boards.close()
        log.info("LED bridge stopped after %.0f s", time.monotonic() - started)
    return 0
