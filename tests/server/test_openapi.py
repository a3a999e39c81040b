"""The OpenAPI document as an integrator uses it: read it, generate a client, drive a ticket.

The document is the app's own (`GET /api/openapi.json` of an app built for a layout), so
its enums are that hall's codes. tests/server/test_openapi_fuzz.py checks the server's
answers against it.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import LiveServer

API = "/api/v1"
TOKENLESS = {("get", f"{API}/health"), ("get", f"{API}/follow/{{ref}}"),
             ("post", f"{API}/follow/{{ref}}/evaluation"), ("get", f"{API}/evaluation/levels"),
             # 提醒我 and the case's progress: the follow link is the capability.
             ("post", f"{API}/follow/{{ref}}/notify"), ("get", f"{API}/follow/{{ref}}/cases"),
             # 预约 from the applicant's phone: the SMS code's pass is the proof, not a token.
             ("get", f"{API}/booking/businesses"), ("get", f"{API}/booking/slots"),
             ("post", f"{API}/booking/sms-code"), ("post", f"{API}/booking/verify"),
             ("post", f"{API}/booking/mine"), ("get", f"{API}/booking/slip"),
             ("get", f"{API}/booking/slip.svg"),
             # 上门服务 from the phone: the same SMS code's pass.
             ("get", f"{API}/home-visits/options"), ("post", f"{API}/home-visits/mine")}
# The phone with its pass, or the portal (or staff) with a token.
EITHER = {("post", f"{API}/tickets/{{ticket_id}}/evaluation"), ("post", f"{API}/bookings"),
          ("post", f"{API}/bookings/{{code}}"), ("post", f"{API}/bookings/{{code}}/cancel"),
          ("post", f"{API}/bookings/{{code}}/rebook"), ("post", f"{API}/home-visits"),
          ("post", f"{API}/home-visits/{{code}}/cancel")}
NO_JSON_BODY = {("get", f"{API}/voice/call.wav"), ("post", f"{API}/kiosks/{{name}}/health"),
                ("post", f"{API}/screens/{{name}}/audio"), ("get", f"{API}/booking/slip.svg"),
                ("post", f"{API}/archive/image")}


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, item in doc["paths"].items() for m, op in item.items()]


@pytest.fixture
def doc(api: Any) -> dict[str, Any]:
    client, _ = api
    return client.get("/api/openapi.json").json()


def test_every_operation_says_what_it_returns(doc):
    ops = operations(doc)
    assert len(ops) >= 82
    untyped = []
    for method, path, op in ops:
        ok = {c: r for c, r in op["responses"].items() if c.startswith("2")}
        assert ok, f"{method} {path} has no success status"
        if (method, path) in NO_JSON_BODY:
            continue
        for code, r in ok.items():
            schema = r.get("content", {}).get("application/json", {}).get("schema")
            if not schema or schema in ({"type": "object"}, {}) or (
                    schema.get("type") == "object" and "properties" not in schema):
                untyped.append(f"{method} {path} {code}")
    assert untyped == []
    ticket = doc["components"]["schemas"]["Ticket"]
    assert {"id", "number", "status", "waiting_ahead"} <= set(ticket["required"])
    assert ticket["properties"]["status"] == {"$ref": "#/components/schemas/Status"}
    issued = doc["paths"][f"{API}/tickets"]["post"]["responses"]["201"]
    assert issued["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/IssuedTicket"}


def test_bearer_on_exactly_the_operations_that_need_a_token(doc):
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": doc["components"][
            "securitySchemes"]["bearer"]["description"]}
    for method, path, op in operations(doc):
        if (method, path) in TOKENLESS:
            assert "security" not in op, f"{method} {path}"
            assert "401" not in op["responses"]
        elif (method, path) in EITHER:
            assert op["security"] == [{"bearer": []}, {}], f"{method} {path}"
        else:
            assert op["security"] == [{"bearer": []}], f"{method} {path}"
            assert {"401", "422", "500", "503"} <= set(op["responses"]), f"{method} {path}"
    me = doc["paths"][f"{API}/me"]["get"]["responses"]
    assert "403" not in me  # any role may ask who it is
    assert "403" in doc["paths"][f"{API}/tokens"]["get"]["responses"]


def test_errors_are_the_real_shape_with_their_statuses(doc):
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert schemas["Error"]["required"] == ["error"]
    assert set(schemas["ErrorDetail"]["required"]) == {"code", "message"}
    assert {"retry_after", "request_id"} <= set(schemas["ErrorDetail"]["properties"])
    ref = {"$ref": "#/components/schemas/Error"}
    for method, path, op in operations(doc):
        for code, r in op["responses"].items():
            if int(code) >= 400:
                assert r["content"]["application/json"]["schema"] == ref, (method, path, code)
    issue = doc["paths"][f"{API}/tickets"]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "413", "422", "429"} <= set(issue)
    assert issue["429"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    assert "404" in doc["paths"][f"{API}/tickets/{{ticket_id}}"]["get"]["responses"]
    assert "409" not in doc["paths"][f"{API}/tickets"]["get"]["responses"]  # a read
    assert "429" in doc["paths"][f"{API}/archive/lookup"]["post"]["responses"]


def test_the_halls_codes_are_enums(doc):
    schemas = doc["components"]["schemas"]
    businesses = ["mortgage", "query", "tax", "transfer"]  # tests/fixtures/mini.toml
    assert schemas["IssueIn"]["properties"]["business"]["enum"] == businesses
    journey = schemas["IssueIn"]["properties"]["journey"]["anyOf"][0]
    assert journey["enum"] == ["sale"]
    assert schemas["CallIn"]["properties"]["window"]["enum"] == [1, 2, 3, 4, 5, 6]
    assert schemas["MoveIn"]["properties"]["to"]["enum"] == businesses
    assert schemas["ReskillIn"]["properties"]["businesses"]["items"]["enum"] == businesses
    call_next = doc["paths"][f"{API}/windows/{{number}}/call-next"]["post"]["parameters"][0]
    assert call_next["schema"]["enum"] == [1, 2, 3, 4, 5, 6]
    report = {p["name"]: p for p in doc["paths"][f"{API}/reports"]["get"]["parameters"]}
    assert "enum" not in report["to"]["schema"]  # a date there, not a business


def test_no_two_request_models_share_a_name(api, doc):
    """Two bodies of one name make generators drop one of them (openapi-python-client
    dropped POST /cases/lookup when cases and archive both had a `LookupBody`)."""
    from fastapi.routing import APIRoute, iter_route_contexts

    _, h = api
    bodies = {ctx.original_route.body_field.field_info.annotation
              for ctx in iter_route_contexts(h.app.routes)
              if isinstance(ctx.original_route, APIRoute) and ctx.original_route.body_field}
    names = Counter(b.__name__ for b in bodies)
    assert len(bodies) > 20 and [n for n, c in names.items() if c > 1] == []
    assert {"CaseLookupBody", "ArchiveLookupBody"} <= set(doc["components"]["schemas"])


def test_a_405_names_every_method_of_the_path(api):
    client, h = api
    r = client.patch(f"{API}/tickets", headers=h.headers("admin"))
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, POST"
    assert r.json()["error"]["code"] == "method_not_allowed"
    r = client.delete(f"{API}/cases/lookup", headers=h.headers("admin"))
    assert r.status_code == 405 and r.headers["allow"] == "POST"


def generate_client(doc_path: Path, out: Path) -> tuple[Any, str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run([str(Path(sys.executable).parent / "openapi-python-client"),
                          "generate", "--path", str(doc_path), "--meta", "none",
                          "--output-path", str(out / "hallq_client")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    sys.path.insert(0, str(out))
    try:
        return importlib.import_module("hallq_client"), run.stdout + run.stderr
    finally:
        sys.path.remove(str(out))


def test_a_generated_client_drives_a_ticket_from_issue_to_done(make_app, tmp_path):
    h = make_app()
    doc_path = tmp_path / "openapi.json"
    doc_path.write_text(json.dumps(h.app.openapi(), ensure_ascii=False), encoding="utf-8")
    hallq_client, output = generate_client(doc_path, tmp_path)
    # Every operation made it into the client; the ones whose answer it cannot type are
    # the audio clip and an archive image (binary, not JSON): it still calls them.
    warned = [line for line in output.splitlines() if line.startswith("WARNING parsing")]
    assert warned == ["WARNING parsing GET /api/v1/voice/call.wav within voice.",
                      "WARNING parsing POST /api/v1/archive/image within archive."]
    try:
        from hallq_client.api.tickets import (
            complete_api_v1_tickets_ticket_id_complete_post as complete,
        )
        from hallq_client.api.tickets import get_ticket_api_v1_tickets_ticket_id_get as get
        from hallq_client.api.tickets import issue_api_v1_tickets_post as issue
        from hallq_client.api.tickets import start_api_v1_tickets_ticket_id_start_post as start
        from hallq_client.api.windows import (
            call_next_api_v1_windows_number_call_next_post as call_next,
        )
        from hallq_client.models import Error, IssuedTicket, IssueIn, IssueInBusiness, Ticket
        from hallq_client.models.call_next_api_v1_windows_number_call_next_post_number import (
            CallNextApiV1WindowsNumberCallNextPostNumber as WindowNumber,
        )
        from hallq_client.models.status import Status

        with LiveServer(h.app) as server:
            kiosk = hallq_client.AuthenticatedClient(base_url=server.url, token=h.token("kiosk"))
            window = hallq_client.AuthenticatedClient(base_url=server.url,
                                                      token=h.token("window", 1))
            issued = issue.sync(client=kiosk, body=IssueIn(business=IssueInBusiness.TRANSFER),
                                idempotency_key="gen-1")
            assert isinstance(issued, IssuedTicket), issued
            assert issued.number == "A001" and issued.status is Status.WAITING
            assert issued.waiting_ahead == 0 and issued.follow_url.startswith("/t/")

            called = call_next.sync(WindowNumber(1), client=window)
            assert called is not None and called.ticket is not None
            assert called.ticket.id == issued.id and called.ticket.status is Status.CALLED
            assert called.ticket.window == 1

            started = start.sync(issued.id, client=window)
            assert isinstance(started, Ticket) and started.status is Status.SERVING
            done = complete.sync(issued.id, client=window)
            assert isinstance(done, Ticket) and done.status is Status.DONE
            assert done.finished_at

            # Refusals come back typed too: the window's token may not issue.
            refused = issue.sync(client=window, body=IssueIn(business=IssueInBusiness.TAX))
            assert isinstance(refused, Error) and refused.error.code == "forbidden"
            missing = get.sync_detailed("no-such-ticket", client=window)
            assert missing.status_code == 404 and isinstance(missing.parsed, Error)
            assert "/" in missing.parsed.error.message  # 中文 / English
    finally:
        for name in [m for m in sys.modules if m == "hallq_client" or
                     m.startswith("hallq_client.")]:
            del sys.modules[name]
