"""The OpenAPI document an integrator generates a client from, complete and true.

FastAPI's own document lacks what a client needs here: who must send a token, the real
error shape and statuses, what the plain-dict routes return, and which codes this hall
knows. This module adds them once, when the document is first asked for:

- the bearer scheme on every operation whose dependencies check a token (deps.require and
  get_principal mark themselves), with 401 and 403;
- `Error` (api/errors.py's shape) for every refusal, in place of FastAPI's 422 model, with
  the statuses the edge, the storage and the use cases really give (see `_statuses`);
- the 2xx shapes of api/schemas.py, by operation, from `RESPONSES`;
- the loaded layout's business, journey and window codes as enums on request fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from queue_server.api import schemas as s
from queue_server.domain.layout import Layout

REF = "#/components/schemas/{model}"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# What each operation answers on success, by (method, path below /api/v1): a model, or a
# one-item list for a JSON array of it. A route missing here fails test_openapi.
Shape = type[BaseModel] | list[type[BaseModel]] | None
RESPONSES: dict[tuple[str, str], dict[int, Shape]] = {
    ("GET", "/health"): {200: s.Health},
    ("GET", "/booking/businesses"): {200: s.BookingBusinesses},
    ("GET", "/booking/slots"): {200: s.BookingDay},
    ("POST", "/booking/sms-code"): {201: s.SmsCodeSent},
    ("POST", "/booking/verify"): {200: s.PhonePass},
    ("POST", "/bookings"): {201: s.Booking},
    ("GET", "/bookings"): {200: [s.Booking]},
    ("POST", "/booking/mine"): {200: [s.Booking]},
    ("GET", "/booking/slip"): {200: s.BookingSlip},
    ("POST", "/bookings/{code}"): {200: s.Booking},
    ("POST", "/bookings/{code}/cancel"): {200: s.Booking},
    ("POST", "/bookings/{code}/rebook"): {201: s.Booking},
    ("POST", "/bookings/{code}/check-in"): {201: s.BookingCheckIn},
    ("POST", "/booking/batches"): {201: s.BookingBatch},
    ("GET", "/booking/day"): {200: s.BookingDayFigures},
    ("GET", "/booking/batches/{batch}"): {200: s.BookingBatch},
    ("GET", "/businesses"): {200: [s.Business]},
    ("GET", "/windows"): {200: [s.Window]},
    ("GET", "/journeys"): {200: [s.Journey]},
    ("GET", "/queues"): {200: [s.QueueSummary]},
    ("GET", "/hall"): {200: s.HallInfo},
    ("GET", "/catalogue"): {200: s.Catalogue},
    ("GET", "/me"): {200: s.Me},
    ("POST", "/tickets"): {201: s.IssuedTicket},
    ("GET", "/tickets"): {200: [s.Ticket]},
    ("GET", "/tickets/{ticket_id}"): {200: s.IssuedTicket},
    ("GET", "/tickets/{ticket_id}/history"): {200: [s.HistoryEntry]},
    **{("POST", f"/tickets/{{ticket_id}}/{a}"): {200: s.Ticket} for a in (
        "recall", "start", "complete", "no-show", "park", "forward", "transfer", "call",
        "cancel")},
    ("POST", "/windows/{number}/call-next"): {200: s.CallNextResult},
    **{("POST", f"/windows/{{number}}/{a}"): {200: s.Window} for a in (
        "pause", "resume", "open", "close", "sign-in", "sign-out")},
    ("GET", "/windows/{number}/queue"): {200: s.WindowQueue},
    ("GET", "/windows/{number}"): {200: s.Window},
    ("PUT", "/windows/{number}/businesses"): {200: s.Window},
    ("POST", "/queues/{business}/move"): {200: s.Moved},
    ("GET", "/tokens"): {200: [s.TokenRow]},
    ("POST", "/tokens"): {201: s.NewToken},
    ("GET", "/tokens/audit"): {200: [s.AuditRow]},
    ("DELETE", "/tokens/{token_id}"): {200: s.Revoked},
    ("GET", "/reports/{day}"): {200: s.Document},
    ("GET", "/voice/call.wav"): {200: None},  # audio/wav, declared by the route
    ("POST", "/kiosks/{name}/health"): {204: None},
    ("GET", "/kiosks"): {200: [s.DeviceReport]},
    ("GET", "/advice"): {200: s.Advice},
    ("POST", "/advice/{suggestion_id}/apply"): {200: s.AppliedAdvice},
    ("POST", "/slips/check"): {200: s.SlipChecked},
    ("GET", "/staff"): {200: [s.StaffListed]},
    ("POST", "/staff"): {201: s.StaffMember},
    ("POST", "/staff/{number}/disable"): {200: s.StaffMember},
    ("POST", "/staff/{number}/enable"): {200: s.StaffMember},
    ("GET", "/evaluation/levels"): {200: s.EvaluationLevels},
    ("POST", "/tickets/{ticket_id}/evaluation"): {201: s.Evaluation},
    ("POST", "/evaluations/pending"): {200: [s.Unrated]},
    ("GET", "/evaluations"): {200: [s.EvaluationRow]},
    ("GET", "/followups"): {200: [s.WorkOrder]},
    ("GET", "/followups/{order_id}"): {200: s.WorkOrderDetail},
    ("POST", "/followups/{order_id}/steps"): {200: s.WorkOrderDetail},
    ("GET", "/follow/{ref}"): {200: s.Followed},
    ("POST", "/follow/{ref}/evaluation"): {201: s.Evaluation},
    ("POST", "/follow/{ref}/notify"): {200: s.Reminded, 201: s.Reminded},
    ("GET", "/follow/{ref}/cases"): {200: s.FollowedCases},
    ("POST", "/callbacks/{month}/draw"): {201: s.CallbackDraw},
    ("GET", "/callbacks/{month}"): {200: s.CallList},
    ("GET", "/callbacks/{month}/summary"): {200: s.CallbackSummary},
    ("GET", "/callbacks/{month}/verify"): {200: s.CallbackVerify},
    ("POST", "/callbacks/{month}/calls/{ticket_id}"): {201: s.CallbackRecorded},
    ("POST", "/callbacks/{month}/calls/{ticket_id}/reveal"): {200: s.Phone},
    ("GET", "/callbacks/{month}/reveals"): {200: [s.Reveal]},
    ("GET", "/reports"): {200: s.Report},
    ("POST", "/screens/{name}/audio"): {204: None},
    ("GET", "/screens"): {200: [s.DeviceReport]},
    ("PUT", "/cases/{case_no}"): {200: s.CasePushed, 201: s.CasePushed},
    ("GET", "/cases/{case_no}"): {200: s.CaseView},
    ("POST", "/cases/import"): {200: s.CaseImport},
    ("GET", "/cases/overdue"): {200: s.CasesOverdue},
    ("POST", "/cases/lookup"): {200: s.CaseView},
    ("POST", "/cases/by-applicant"): {200: s.CasesOfApplicant},
    ("PUT", "/id-cards"): {200: s.Stored},
    ("PUT", "/units/{unit_no}"): {200: s.UnitPushed, 201: s.UnitPushed},
    ("POST", "/units/import"): {200: s.UnitImport},
    ("POST", "/archive/lookup"): {200: s.ArchiveResult},
    ("PUT", "/units/{unit_no}/originals"): {200: s.ImagesPushed},
    ("PUT", "/units/{unit_no}/photo"): {200: s.ImagesPushed},
    ("GET", "/units/{unit_no}/images"): {200: s.UnitImages},
    ("POST", "/archive/image"): {200: None},  # image/jpeg, declared on the route
    ("GET", "/archive/audit"): {200: [s.AuditRow]},
    ("POST", "/archive/audit/search"): {200: [s.AuditRow]},
    ("POST", "/tickets/{ticket_id}/notify"): {200: s.Watch, 201: s.Watch},
    ("GET", "/notify/outbox"): {200: [s.OutboxRow]},
    ("POST", "/notify/outbox/{key}/retry"): {200: s.Retried},
    ("GET", "/load/windows"): {200: s.Cells},
    ("POST", "/tickets/{ticket_id}/refuse"): {201: s.Refused},
    ("GET", "/notices/{no}"): {200: s.Notice},
    ("POST", "/notices/{no}/print"): {200: s.NoticePrinted},
    ("GET", "/home-visits/options"): {200: s.HomeVisitOptions},
    ("POST", "/home-visits"): {201: s.HomeVisit},
    ("POST", "/home-visits/mine"): {200: [s.HomeVisit]},
    ("GET", "/home-visits"): {200: [s.HomeVisit]},
    ("GET", "/home-visits/day"): {200: s.CrewDay},
    ("GET", "/home-visits/summary"): {200: s.HomeVisitSummary},
    ("POST", "/home-visits/{code}/schedule"): {200: s.HomeVisit},
    ("POST", "/home-visits/{code}/outcome"): {200: s.HomeVisit},
    ("POST", "/home-visits/{code}/cancel"): {200: s.HomeVisit},
}

ERROR_TEXT = {
    400: "请求内容不是有效的 JSON / the body is not valid JSON",
    401: "缺少或无效的令牌 / no valid bearer token",
    403: "该令牌的角色不能做这件事 / this token's role may not do this",
    404: "所指的对象不存在 / what the path or body names does not exist",
    409: "与当前状态冲突或已达限额 / conflicts with the current state, or a limit is reached",
    413: "请求内容过大 / the body is too large",
    422: "输入有误 / invalid input",
    429: "请求过于频繁，见 Retry-After / too many requests: see Retry-After",
    500: "服务器内部错误，带 request_id / an internal error, with the log's request_id",
    503: "数据库暂时不可用，未保存任何操作 / the database is away: nothing was saved",
}


def install(app: FastAPI, layout: Layout) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app, layout)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dep in dependant.dependencies:
        yield dep.call
        yield from _calls(dep)


def token_need(route: APIRoute) -> tuple[str | None, frozenset[Any] | None]:
    """("required" or "optional" or None, the roles admitted or None for any)."""
    need: str | None = None
    roles: frozenset[Any] | None = None
    for call in _calls(route.dependant):
        if getattr(call, "token_optional", False):
            return "optional", None
        if hasattr(call, "token_roles"):
            need = "required"
            roles = call.token_roles if roles is None else roles
    return need, roles


def _statuses(route: APIRoute, method: str, need: str | None,
              roles: frozenset[Any] | None) -> set[int]:
    """The refusals an operation can give: the edge's (422 for a bad path, query or body;
    413 for a long body; 400 for broken JSON), the storage's (503; 409 for a write that
    collided), the token's (401, 403), the use cases' (404 where something is named, 409 for
    a state a write does not fit, 429 where a route declares a rate limit), and 500."""
    codes = {422, 500, 503}
    if method in WRITES:
        codes |= {409, 413}
    if route.body_field is not None:
        codes |= {400, 404}
    if "{" in route.path_format:
        codes.add(404)
    if need is not None:
        codes.add(401)
    if need == "optional" or roles is not None:
        codes.add(403)
    return codes


def _error_response(code: int) -> dict[str, Any]:
    return {"description": ERROR_TEXT[code],
            "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}}}


def _shape_schema(shape: Shape) -> dict[str, Any]:
    if isinstance(shape, list):
        return {"type": "array", "items": {"$ref": REF.format(model=shape[0].__name__)}}
    assert shape is not None
    return {"$ref": REF.format(model=shape.__name__)}


def _models() -> list[type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {"Error": s.Error}
    for shapes in RESPONSES.values():
        for shape in shapes.values():
            for m in (shape if isinstance(shape, list) else [shape]):
                if m is not None:
                    seen[m.__name__] = m
    return list(seen.values())


def _add_components(components: dict[str, Any]) -> None:
    _, defs = models_json_schema([(m, "serialization") for m in _models()], ref_template=REF)
    for name, schema in defs.get("$defs", {}).items():
        if name in components and components[name] != schema:
            raise ValueError(f"two schemas named {name}: a request and a response model")
        components[name] = schema


def _enum_fields(layout: Layout) -> dict[str, list[Any]]:
    businesses = sorted(layout.businesses)
    return {"business": businesses, "to": businesses, "businesses": businesses,  # to: MoveIn
            "journey": sorted(layout.journeys),
            "window": sorted(layout.windows)}


def _set_enum(schema: dict[str, Any], values: list[Any]) -> None:
    if schema.get("type") == "array" and "items" in schema:
        _set_enum(schema["items"], values)
    elif "anyOf" in schema:
        for branch in schema["anyOf"]:
            if branch.get("type") != "null":
                _set_enum(branch, values)
    elif schema.get("type") in ("string", "integer"):
        schema["enum"] = values


def _refs(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref.rsplit("/", 1)[-1]
        for v in node.values():
            yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


def _codes_as_enums(doc: dict[str, Any], layout: Layout) -> None:
    """Request fields naming a business, journey or window list this hall's codes: a
    generated client offers them and a fuzzer reaches the ticket flow with them."""
    fields = _enum_fields(layout)
    components = doc["components"]["schemas"]
    bodies: set[str] = set()
    todo = [name for op in _operations(doc) for name in _refs(op[2].get("requestBody", {}))]
    while todo:
        name = todo.pop()
        if name in bodies or name not in components:
            continue
        bodies.add(name)
        todo.extend(_refs(components[name]))
    for name in bodies:
        for prop, schema in components[name].get("properties", {}).items():
            if prop in fields:
                _set_enum(schema, fields[prop])
    for path, _, op in _operations(doc):
        for param in op.get("parameters", []):
            name = param["name"]
            if name == "number" and path.startswith("/api/v1/windows/"):
                name = "window"
            if name in fields and name != "to" and param["in"] in ("path", "query"):
                _set_enum(param["schema"], fields[name])


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield path, method, op


def build(app: FastAPI, layout: Layout) -> dict[str, Any]:
    from queue_server.api import API_PREFIX

    doc = get_openapi(title=app.title, version=app.version, description=app.description,
                      routes=app.routes)
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    for fastapi_only in ("HTTPValidationError", "ValidationError"):
        components.pop(fastapi_only, None)
    _add_components(components)
    doc["components"]["securitySchemes"] = {"bearer": {
        "type": "http", "scheme": "bearer",
        "description": "管理员签发的令牌 (hallq token create) / a token an administrator "
                       "issued; its role decides what it may do"}}
    # Routers are included lazily (FastAPI >= 0.165): their contexts carry the full path.
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        full_path = ctx.path_format or route.path_format
        need, roles = token_need(route)
        for method in sorted(route.methods):
            op = doc["paths"][full_path][method.lower()]
            if need == "required":
                op["security"] = [{"bearer": []}]
            elif need == "optional":
                op["security"] = [{"bearer": []}, {}]
            responses = op["responses"]
            codes = _statuses(route, method, need, roles) | {
                int(c) for c in responses if c.isdigit() and int(c) >= 400}
            for code in codes:
                responses[str(code)] = _error_response(code) | {
                    k: v for k, v in responses.get(str(code), {}).items()
                    if k not in ("content",)}
                responses[str(code)]["content"] = _error_response(code)["content"]
            path = full_path.removeprefix(API_PREFIX)
            for status, shape in RESPONSES.get((method, path), {}).items():
                out = responses.setdefault(str(status), {"description": "OK"})
                if shape is not None:
                    out["content"] = {"application/json": {"schema": _shape_schema(shape)}}
            declared = RESPONSES.get((method, path), {})
            for status in [c for c in responses if c.startswith("2")]:
                if declared and int(status) not in declared:
                    del responses[status]  # FastAPI's default status, not what it answers
    _codes_as_enums(doc, layout)
    return doc
