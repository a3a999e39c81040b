"""Refuse oversize request bodies before they are read into memory (api/edge.py).

FastAPI's own `max_body_size` answers a declared oversize body in plain text, before any
exception handler; every refusal of this API is the JSON error shape, so this stays.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import Message, Receive, Send

from queue_server.api.errors import send_error


class TooLarge(HTTPException):
    # An HTTPException, because FastAPI turns any other error while reading a body into 400.
    def __init__(self) -> None:
        super().__init__(413, "请求内容过大 / request body too large")


@dataclass(frozen=True)
class Limit:
    """The most a request's body may hold, and the error code its refusal names."""

    max_bytes: int
    code: str

    def declared_over(self, content_length: bytes | None) -> bool:
        return (content_length is not None and content_length.isdigit()
                and int(content_length) > self.max_bytes)

    def counted(self, receive: Receive) -> Receive:
        """`receive`, raising TooLarge once more than the limit has come."""
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise TooLarge()
            return message
        return counted

    async def read(self, receive: Receive) -> tuple[bytes, Message | None]:
        """The whole body, within the limit; or what it had and the message that ended it
        early (the client went away)."""
        counted = self.counted(receive)
        chunks: list[bytes] = []
        while True:
            message = await counted()
            if message["type"] != "http.request":
                return b"".join(chunks), message
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks), None

    async def refuse(self, send: Send) -> None:
        await send_error(send, 413, self.code,
                         f"请求内容过大（上限 {_size(self.max_bytes, '字节')}） / request body "
                         f"over {_size(self.max_bytes, 'bytes')}")


class BodyLimits:
    """`wide`: (path pattern, limit, error code) for the few routes that take files (the
    archive's scans); every other request keeps `max_bytes`."""

    def __init__(self, max_bytes: int,
                 wide: Sequence[tuple[re.Pattern[str], int, str]] = ()) -> None:
        self.default = Limit(max_bytes, "too_large")
        self.wide = tuple((pattern, Limit(limit, code)) for pattern, limit, code in wide)

    def limit_for(self, path: str) -> Limit:
        for pattern, limit in self.wide:
            if pattern.fullmatch(path):
                return limit
        return self.default


def _size(limit: int, unit: str) -> str:
    return f"{limit // 2**20} MB" if limit >= 2**20 and limit % 2**20 == 0 else f"{limit} {unit}"
