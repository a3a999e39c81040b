"""The documented shapes of answers the fuzzer cannot reach on its own: work orders need a
served ticket and a bad rating, cases and units a registry push. Each real answer is
checked against the operation's schema in the app's own document."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from fastapi.testclient import TestClient

from tests.cases.helpers import case_body, unit_body
from tests.quality.helpers import API, serve
from tests.server.conftest import AppHandle


def conforms(doc: dict[str, Any], method: str, path: str, r: Any) -> Any:
    """The answer, after checking it against what the document says of its status."""
    op = doc["paths"][f"{API}{path}"][method]
    declared = op["responses"].get(str(r.status_code))
    assert declared is not None, f"{method} {path}: {r.status_code} is not documented"
    schema = declared["content"]["application/json"]["schema"]
    body = r.json()
    jsonschema_rs.validator_for({**schema, "components": doc["components"]}).validate(body)
    return body


def test_work_orders_and_evaluations_are_as_documented(api: tuple[TestClient, AppHandle]):
    client, h = api
    doc = client.get("/api/openapi.json").json()
    t = serve(client, h, 1)
    rated = client.post(f"{API}/tickets/{t['id']}/evaluation", json={"rating": 1},
                        headers=h.headers("pad", 1))
    order = conforms(doc, "post", "/tickets/{ticket_id}/evaluation", rated)["work_order"]
    manager = h.headers("manager")
    listed = conforms(doc, "get", "/followups",
                      client.get(f"{API}/followups", headers=manager))
    assert [o["id"] for o in listed] == [order["id"]]
    one = conforms(doc, "get", "/followups/{order_id}",
                   client.get(f"{API}/followups/{order['id']}", headers=manager))
    assert one["status"] == "open" and one["evaluation"]["rating"] == 1
    stepped = conforms(doc, "post", "/followups/{order_id}/steps", client.post(
        f"{API}/followups/{order['id']}/steps", json={"step": "verify", "note": "调看录像"},
        headers=manager))
    assert [s["step"] for s in stepped["steps"]] == ["verify"]
    day = t["day"]
    rows = conforms(doc, "get", "/evaluations", client.get(
        f"{API}/evaluations", params={"from": day, "to": day}, headers=manager))
    assert [e["rating"] for e in rows] == [1]
    refused = client.get(f"{API}/followups/nope", headers=manager)
    assert conforms(doc, "get", "/followups/{order_id}", refused)["error"]["code"]


def test_cases_and_units_are_as_documented(api: tuple[TestClient, AppHandle]):
    client, h = api
    doc = client.get("/api/openapi.json").json()
    registry = h.headers("registry")
    created = client.put(f"{API}/cases/2026-0001", json=case_body(), headers=registry)
    assert created.status_code == 201
    assert conforms(doc, "put", "/cases/{case_no}", created)["header"] == "created"
    again = client.put(f"{API}/cases/2026-0001", json=case_body(), headers=registry)
    assert conforms(doc, "put", "/cases/{case_no}", again)["header"] == "unchanged"
    staff = conforms(doc, "get", "/cases/{case_no}", client.get(
        f"{API}/cases/2026-0001", headers=h.headers("window", 1)))
    assert staff["case_no"] == "2026-0001" and staff["applicants"][0]["id_masked"]
    overdue = conforms(doc, "get", "/cases/overdue", client.get(
        f"{API}/cases/overdue", headers=h.headers("window", 1)))
    assert overdue["cases"] == [] or overdue["cases"][0]["case_no"] == "2026-0001"
    unit = client.put(f"{API}/units/U-0001", json=unit_body(), headers=registry)
    assert conforms(doc, "put", "/units/{unit_no}", unit)["result"] == "created"
    bad = client.post(f"{API}/units/import", content=b'{"unit_no": 1}\n', headers={
        **registry, "Content-Type": "application/x-ndjson"})
    report = conforms(doc, "post", "/units/import", bad)
    assert report.get("errors") or report["error"]["code"]
