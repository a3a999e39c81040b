"""Refuse oversize request bodies before they are read into memory.

FastAPI's own `max_body_size` answers a declared oversize body in plain text, before any
exception handler; every refusal of this API is the JSON error shape, so this stays.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimit:
    """`wide`: (path pattern, limit, error code) for the few routes that take files (the
    archive's scans); every other request keeps `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int,
                 wide: Sequence[tuple[re.Pattern[str], int, str]] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.wide = tuple(wide)

    def _limit(self, scope: Scope) -> tuple[int, str]:
        path = scope.get("path", "")
        for pattern, limit, code in self.wide:
            if pattern.fullmatch(path):
                return limit, code
        return self.max_bytes, "too_large"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, code = self._limit(scope)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit, code)
            return
        seen = 0
        refused = False

        async def counted() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    refused = True
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(send, limit, code)

    async def _refuse(self, send: Send, limit: int, code: str) -> None:
        body = json.dumps({"error": {"code": code, "message":
                          f"请求内容过大（上限 {_size(limit, '字节')}） / request body "
                          f"over {_size(limit, 'bytes')}"}}, ensure_ascii=False).encode("utf-8")
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def _size(limit: int, unit: str) -> str:
    return f"{limit // 2**20} MB" if limit >= 2**20 and limit % 2**20 == 0 else f"{limit} {unit}"


class _TooLarge(HTTPException):
    # An HTTPException, because FastAPI turns any other error while reading a body into 400.
    def __init__(self) -> None:
        super().__init__(413, "请求内容过大 / request body too large")
