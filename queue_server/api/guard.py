"""The edge every request passes: its path, query and JSON body held to the limits of
`domain.inputs` before any route or the database sees them (one place, so a route added
tomorrow is covered too). Refusals are the API's JSON error shape, 422.

A body that is not JSON at all is left to FastAPI, which answers it as `malformed_json`.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from queue_server.domain.errors import InvalidInput
from queue_server.domain.inputs import check_param, loads

MAX_SEGMENT = 255  # no name of this API is longer; a file system refuses longer ones


def check_request(scope: Scope) -> None:
    path = scope.get("path", "")
    for segment in path.split("/"):
        if len(segment) > MAX_SEGMENT:
            raise InvalidInput(f"路径过长（每段最多 {MAX_SEGMENT} 个字符）",
                               f"a path segment over {MAX_SEGMENT} characters")
        check_param(segment, "路径 / the path")
    query = scope.get("query_string", b"").decode("latin-1")
    if query:
        for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
            check_param(name, "查询参数名 / a query parameter name")
            check_param(value, f"查询参数 {name[:40]} / query parameter {name[:40]}")


class TooManyHeaders(InvalidInput):
    code = "too_many_headers"
    status = 431


class InputGuard:
    def __init__(self, app: ASGIApp, max_headers: int = 100) -> None:
        self.app = app
        self.max_headers = max_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        try:
            # Their total size is bounded where they are read (connections.py); their
            # number here, as no client of this API sends more than a dozen.
            if len(scope.get("headers") or ()) > self.max_headers:
                raise TooManyHeaders(f"请求头过多（上限 {self.max_headers} 个）",
                                     f"more than {self.max_headers} request headers")
            check_request(scope)
        except InvalidInput as exc:
            if scope["type"] == "websocket":  # refused before the handshake: HTTP 403
                await send({"type": "websocket.close", "code": 1008})
                return
            await refuse(send, exc)
            return
        if scope["type"] == "websocket" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        # Read the body once (BodyLimit, outside, bounds it), check it, hand it on.
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            loads(body)
        except InvalidInput as exc:
            await refuse(send, exc)
            return
        except (ValueError, UnicodeDecodeError):
            pass  # not JSON: FastAPI's own answer (malformed_json) follows
        await self.app(scope, _replay([{"type": "http.request", "body": body,
                                        "more_body": False}], receive), send)


def _is_json(scope: Scope) -> bool:
    if scope.get("method") not in ("POST", "PUT", "PATCH", "DELETE"):
        return False
    ctype = dict(scope.get("headers") or ()).get(b"content-type", b"")
    return ctype.split(b";")[0].strip().lower().endswith((b"/json", b"+json"))


def _replay(messages: list[Message], receive: Receive) -> Receive:
    async def replayed() -> Message:
        if messages:
            return messages.pop(0)
        return await receive()
    return replayed


async def refuse(send: Send, exc: InvalidInput) -> None:
    body = json.dumps({"error": {"code": exc.code, "message": str(exc)}},
                      ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": exc.status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
