"""Logging, set up once at start: a level and a format from the settings, one line per
record (JSON when asked), and the request id on every line logged while a request runs.

No line may carry personal data or secrets: requests are logged by method, route path
and status only (never the query string, which may hold `?token=`), and the hall's
events by type, ticket number, window and staff number. A test reads a day's log for
ID numbers, names, phone numbers and tokens.
"""

from __future__ import annotations

import json
import logging
import random
import re
import sys
import time
from contextvars import ContextVar, Token
from typing import Any

from starlette.types import Scope

request_id: ContextVar[str] = ContextVar("request_id", default="-")
_GIVEN_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class _RequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class _Formatter(logging.Formatter):
    """The time of day formatted once a second, not once a line: a busy hall writes
    thousands of lines a second, and `strftime` was a fifth of each one's cost."""

    _second: tuple[int, str | None, str] = (-1, None, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        second, fmt, text = self._second
        if int(record.created) != second or datefmt != fmt:
            second = int(record.created)
            text = time.strftime(datefmt or self.default_time_format,
                                 self.converter(record.created))
            self._second = (second, datefmt, text)
        if datefmt:
            return text
        return self.default_msec_format % (text, record.msecs)


class _OneLine(_Formatter):
    """Text, one line per record: a traceback's newlines are escaped, not printed."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", "\\n")


class JsonFormatter(_Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "at": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname, "logger": record.name,
            "request_id": getattr(record, "request_id", "-"), "message": record.getMessage()}
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def configure(level: str = "INFO", fmt: str = "text", stream: Any = None) -> logging.Handler:
    """Replace the root logger's handlers with one that writes `fmt` lines to `stream`."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(_RequestId())
    handler.setFormatter(JsonFormatter() if fmt == "json" else _OneLine(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # What a record would otherwise gather on every line, and no format of ours prints:
    # the caller's file and line (a walk up the stack), the thread, the process (the
    # logging HOWTO's "Optimization"). A request's line cost about 8 µs more with them.
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    # uvicorn's own access log prints the query string (tokens): ours replaces it.
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs every URL it fetches at INFO: an SMS gateway's may carry its key.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler


def _new_id() -> str:
    # Ties a request's lines together; nothing is unlocked by knowing one, so the process's
    # own generator serves (the system's, `secrets`, costs a system call per request).
    return f"{random.getrandbits(48):012x}"


class RequestLine:
    """A request id for every request (the caller's `X-Request-ID` when it is sane, else a
    new one), set for every line logged while it runs, and one line when it ends
    (api/edge.py answers the id back in the header)."""

    def __init__(self) -> None:
        self.log = logging.getLogger("hallq.http")

    def begin(self, headers: dict[bytes, bytes]) -> tuple[str, Token[str]]:
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = given if _GIVEN_ID.match(given) else _new_id()
        return rid, request_id.set(rid)

    def end(self, scope: Scope, status: int, started: float, token: Token[str]) -> None:
        # The route's path, not the query string: `?token=` must never reach a log.
        self.log.info("%s %s %s %.1f ms", scope.get("method", "WS"), scope.get("path", ""),
                      status or "-", (time.perf_counter() - started) * 1000)
        request_id.reset(token)
