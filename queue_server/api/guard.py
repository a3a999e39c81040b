"""The input guard every request passes (api/edge.py): its path, query and JSON body held
to the limits of `domain.inputs` before any route or the database sees them (one place,
so a route added tomorrow is covered too). Refusals are the API's JSON error shape, 422.

A body that is not JSON at all is left to FastAPI, which answers it as `malformed_json`.
"""

from __future__ import annotations

import contextlib
from urllib.parse import parse_qsl

from starlette.types import Message, Receive, Scope, Send

from queue_server.api.errors import send_error
from queue_server.domain.errors import InvalidInput
from queue_server.domain.inputs import check_param, check_text, loads

MAX_SEGMENT = 255  # no name of this API is longer; a file system refuses longer ones


def check_request(scope: Scope) -> None:
    path = scope.get("path", "")
    for segment in path.split("/"):
        if len(segment) > MAX_SEGMENT:
            raise InvalidInput(f"路径过长（每段最多 {MAX_SEGMENT} 个字符）",
                               f"a path segment over {MAX_SEGMENT} characters")
        # Control characters only, not the integer range the query gets: a segment is most
        # often a name (a ticket's id, a case or unit number) that may be all digits, and
        # the few integer ones (a window's number) are looked up in memory, never stored.
        check_text(segment, "路径 / the path")
    query = scope.get("query_string", b"").decode("latin-1")
    if query:
        for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
            check_param(name, "查询参数名 / a query parameter name")
            check_param(value, f"查询参数 {name[:40]} / query parameter {name[:40]}")


class TooManyHeaders(InvalidInput):
    code = "too_many_headers"
    status = 431


def check_scope(scope: Scope, max_headers: int) -> None:
    """Everything but the body; InvalidInput (422, or 431 for the headers) when refused."""
    # Their total size is bounded where they are read (connections.py); their number
    # here, as no client of this API sends more than a dozen.
    if len(scope.get("headers") or ()) > max_headers:
        raise TooManyHeaders(f"请求头过多（上限 {max_headers} 个）",
                             f"more than {max_headers} request headers")
    check_request(scope)


def check_body(body: bytes) -> None:
    """A JSON body held to the input limits. A body that is not JSON passes: FastAPI's own
    answer (malformed_json) follows."""
    with contextlib.suppress(ValueError, UnicodeDecodeError):  # InvalidInput goes on up
        loads(body)


def is_json(scope: Scope, headers: dict[bytes, bytes]) -> bool:
    if scope.get("method") not in ("POST", "PUT", "PATCH", "DELETE"):
        return False
    ctype = headers.get(b"content-type", b"")
    return ctype.split(b";")[0].strip().lower().endswith((b"/json", b"+json"))


def replay(messages: list[Message], receive: Receive) -> Receive:
    async def replayed() -> Message:
        if messages:
            return messages.pop(0)
        return await receive()
    return replayed


async def refuse(send: Send, exc: InvalidInput) -> None:
    await send_error(send, exc.status, exc.code, str(exc))
