"""Every refusal as `{"error": {"code", "message"}}` with a 4xx status; never a 5xx for input."""

from __future__ import annotations

import json
import logging
import re
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from starlette.types import Scope, Send

from queue_server.domain.errors import DomainError
from queue_server.logs import request_id
from queue_server.ratelimit import RateLimited
from queue_server.store.repository import StaleState

log = logging.getLogger("hallq")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(message)


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


async def send_error(send: Send, status: int, code: str, message: str, **extra: Any) -> None:
    """The error shape answered straight on the ASGI channel, for refusals made before
    FastAPI sees the request (api/edge.py)."""
    body = json.dumps(error_body(code, message, **extra), ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type"}
HTTP_MESSAGES = {
    401: "需要有效的令牌 / a valid bearer token is required",
    404: "没有这个地址 / no such path",
    405: "不支持该请求方法 / method not allowed",
}


def _describe(err: dict[str, Any]) -> str:
    where = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
    if err.get("type") == "json_invalid":
        return "请求内容不是有效的 JSON / the request body is not valid JSON"
    return f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg", "invalid"))


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, str(exc), **getattr(exc, "extra", {})),
                            status_code=exc.status)

    @app.exception_handler(RateLimited)
    async def _rate_limited(_: Request, exc: RateLimited) -> JSONResponse:
        return JSONResponse(error_body(exc.code, str(exc), retry_after=exc.retry_after),
                            status_code=429, headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status)

    @app.exception_handler(StaleState)
    async def _stale(_: Request, exc: StaleState) -> JSONResponse:
        return JSONResponse(error_body(
            "conflict", f"{exc.number} 号刚被别处处理，本次操作没有生效，请按最新情况再办 / "
                        f"ticket {exc.number} was just changed elsewhere: this action was not "
                        f"done; carry on from the latest state"), status_code=409)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        # A row somebody else wrote (a second server process by mistake) collided with this
        # request's: nothing of it was stored.
        return JSONResponse(error_body(
            "conflict", "数据刚被别处改动，本次操作没有生效，请再试一次 / the data was just "
                        "changed elsewhere: this action was not done; please try again"),
            status_code=409)

    async def _storage(_: Request, exc: Exception) -> JSONResponse:
        # The database is away (connection lost, disk full, locked): nothing was stored and
        # nobody was told otherwise; the caller may try again.
        log.error("storage failed: %s", str(exc).splitlines()[0] if str(exc) else type(exc))
        return JSONResponse(error_body(
            "storage_unavailable",
            "数据库暂时无法访问，未保存任何操作，请稍后重试 / the database cannot be reached; "
            "nothing was saved, try again shortly"),
            status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(DataError)
    async def _data(_: Request, exc: DataError) -> JSONResponse:
        # The database refused a value the edge let through (a number over a column's
        # range): the request is at fault, and nothing of it was stored.
        log.warning("database refused a value: %s", type(exc.orig).__name__)
        return JSONResponse(error_body(
            "invalid_input", "输入的数值或文字超出允许范围 / a value of the request is out "
            "of the range the data allows"), status_code=422)

    for unavailable in (OperationalError, InterfaceError):
        app.add_exception_handler(unavailable, _storage)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        bad_json = any(e.get("type") == "json_invalid" for e in errors)
        message = "; ".join(_describe(e) for e in errors[:5])
        return JSONResponse(
            error_body("malformed_json" if bad_json else "invalid_input",
                       message if bad_json else f"请求内容有误 / invalid request: {message}"),
            status_code=400 if bad_json else 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) and exc.detail not in (
            "Not Found", "Method Not Allowed") else HTTP_MESSAGES.get(exc.status_code, str(exc.detail))
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            # Starlette names the methods of the first route matching the path only.
            methods = allowed_methods(request.app, request.url.path)
            if methods:
                headers["Allow"] = ", ".join(methods)
        return JSONResponse(error_body(code, message), status_code=exc.status_code,
                            headers=headers or None)


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route of the app answers on this path (for a 405's Allow)."""
    table: list[tuple[re.Pattern[str], frozenset[str]]] | None = getattr(
        app.state, "allow_table", None)
    if table is None:
        table = []
        for ctx in iter_route_contexts(app.routes):
            route = ctx.original_route
            full = ctx.path_format or getattr(route, "path_format", None)
            methods = getattr(route, "methods", None)
            if full and methods:
                table.append((compile_path(full)[0], frozenset(methods)))
        app.state.allow_table = table
    matching = [(regex, methods) for regex, methods in table if regex.match(path)]
    # A path that is a route of its own (`/cases/lookup`) answers for that route, not for
    # the template beside it (`/cases/{case_no}`): what the document says of the path.
    literal = [(r, m) for r, m in matching if r.pattern == f"^{re.escape(path)}$"]
    found: set[str] = set()
    for _, methods in literal or matching:
        found |= methods
    return sorted(found)


INTERNAL_MESSAGE = ("服务器内部错误，已记录；请稍后重试或联系管理员 / an internal error, logged; "
                    "try again or tell the administrator")


async def answer_internal_error(scope: Scope, send: Send, exc: Exception, *,
                                started: bool) -> None:
    """Whatever no handler answered: the JSON error shape with a 500, logged here once with
    the request id (api/edge.py). The line has the exception's type and where it was
    raised, never its message: a database error's message may quote the values of the
    request (ID hashes, tokens)."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("unhandled %s on %s %s\n%s", type(exc).__name__, scope.get("method"),
              scope.get("path", ""), frames.rstrip())
    if started:  # part of the answer is out: the connection is closed on return
        return
    await send_error(send, 500, "internal_error", INTERNAL_MESSAGE, request_id=request_id.get())
