"""The requests that once got a 500 (issue 16), each sent again as it was: every one is now
a 4xx in the JSON error shape, on SQLite and PostgreSQL. Whatever still fails inside is a
JSON 500, logged once with its request id and no secret."""

from __future__ import annotations

import io
import json
import logging
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queue_server.logs import configure
from queue_server.store.db import make_engine
from tests.cases.helpers import ZHANG, case_body, unit_body
from tests.server.conftest import AppHandle

UNIT = "430408001002GB00123F00010015"
CASE = "2026112000123"
TOO_BIG = "9223372036854775808"  # 2**63: one more than a 64-bit column holds


def refused(r, status: int = 422) -> dict:  # type: ignore[no-untyped-def]
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"} and body["error"]["message"] and body["error"]["code"]
    return body["error"]


def test_static_names_no_file_system_takes(api):
    c, _ = api
    assert c.get("/static/common.css").status_code == 200
    e = refused(c.get("/static/common.css%00"))
    assert "U+0000" in e["message"]
    e = refused(c.get("/static/" + "a" * 300 + ".css"))
    assert "255" in e["message"]
    # Under the segment limit but over a file system's: still a plain "no such file".
    assert c.get("/static/" + "a" * 250 + "/" + "b" * 250 + ".css").status_code == 404


def test_integers_over_64_bits_in_query_and_body(api):
    c, h = api
    admin = h.headers("admin")
    e = refused(c.get(f"/api/v1/archive/audit?after_seq={TOO_BIG}", headers=admin))
    assert e["code"] == "invalid_input" and "超出范围" in e["message"]
    assert c.get(f"/api/v1/archive/audit?after_seq={2**31 - 1}", headers=admin).json() == []
    # Within 64 bits but past the audit log's own column: the route's bound, the same
    # answer on both databases.
    e = refused(c.get(f"/api/v1/archive/audit?after_seq={2**63 - 1}", headers=admin))
    assert "after_seq" in e["message"]
    e = refused(c.post("/api/v1/archive/audit/search", content=f'{{"after_seq": {TOO_BIG}}}',
                       headers={**admin, "content-type": "application/json"}))
    assert "超出范围" in e["message"]
    # A 100,000-digit literal, answered as quickly as any refusal.
    refused(c.post("/api/v1/archive/audit/search", content=b'{"after_seq": ' + b"9" * 100_000
                   + b"}", headers={**admin, "content-type": "application/json"}), 413)
    refused(c.post("/api/v1/archive/audit/search", content=b'{"after_seq": ' + b"9" * 60_000
                   + b"}", headers={**admin, "content-type": "application/json"}))


def test_a_path_segment_of_digits_is_a_name_and_a_huge_window_number_no_window(api):
    """Path segments are not held to the integer range the query and body are: most are
    names, which may be all digits (a ticket's id, a case number), and the only integer
    ones, a window's number, are looked up in memory."""
    c, h = api
    admin, registry = h.headers("admin"), h.headers("registry")
    e = refused(c.get(f"/api/v1/tickets/{TOO_BIG}", headers=admin), 404)
    assert e["code"] == "not_found"
    case_no = "2026120800000012345678"  # 22 digits: a registry's own numbering
    r = c.put(f"/api/v1/cases/{case_no}", json=case_body(), headers=registry)
    assert r.status_code in (200, 201), r.text
    found = c.get(f"/api/v1/cases/{case_no}", headers=registry)
    assert found.status_code == 200 and found.json()["case_no"] == case_no, found.text
    for method, path, body in [
            ("POST", "call-next", None), ("POST", "pause", None), ("POST", "resume", None),
            ("POST", "open", None), ("POST", "close", None), ("GET", "queue", None),
            ("GET", "", None), ("PUT", "businesses", {"businesses": ["transfer"]}),
            ("POST", "sign-in", {"staff_no": "1001"}), ("POST", "sign-out", None)]:
        r = c.request(method, f"/api/v1/windows/{TOO_BIG}/{path}".rstrip("/"), json=body,
                      headers=admin)
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text)
        refused(r, r.status_code)


def test_deep_json_is_refused_line_by_line_not_a_crash(api):
    c, h = api
    reg = h.headers("registry")
    good = json.dumps({"unit_no": UNIT, **unit_body()}, ensure_ascii=False)
    deep = "[" * 2000 + "]" * 2000
    r = c.post("/api/v1/units/import", content=(deep + "\n" + good + "\n").encode(),
               headers=reg)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["created"] == 1  # the good line is kept
    assert report["errors"] == [{"line": 1, "code": "invalid_input",
                                 "message": "JSON 嵌套超过 32 层 / JSON nested over 32 deep"}]
    # The same nesting as a JSON body of any route.
    e = refused(c.post("/api/v1/tickets", content=b'{"business": ' + deep.encode() + b"}",
                       headers={**h.headers("kiosk"), "content-type": "application/json"}))
    assert "嵌套" in e["message"]


def test_bytes_neither_utf8_nor_gb18030_are_422_for_both_imports(api):
    c, h = api
    reg = h.headers("registry")
    data = b"case_no,version\n\x80\xff\xfe\n"
    e = refused(c.post("/api/v1/cases/import", content=data, headers=reg))
    assert "GB18030" in e["message"]
    e = refused(c.post("/api/v1/units/import", content=data, headers=reg))
    assert "UTF-8" in e["message"]


NUL = "张\x00三"


def test_a_nul_anywhere_is_refused_at_the_edge(api):
    """PostgreSQL cannot store U+0000: each of these reached it and got a 500."""
    c, h = api
    kiosk, admin, reg = h.headers("kiosk"), h.headers("admin"), h.headers("registry")
    answers = [
        c.post("/api/v1/tickets", headers=kiosk, json={
            "business": "transfer", "applicant": {"id_number": ZHANG,
                                                  "name": NUL}}),
        c.post("/api/v1/tokens", headers=admin, json={"role": "kiosk", "name": NUL}),
        c.put(f"/api/v1/cases/{CASE}", headers=reg, json=case_body(steps=[
            {"seq": 1, "step": "accepted", "at": "2026-11-20T09:30:00+08:00", "note": NUL}])),
        c.put(f"/api/v1/units/{UNIT}", headers=reg, json=unit_body(location=NUL)),
        c.post("/api/v1/tickets", headers=h.headers("guide"), json={
            "business": "transfer", "appointment": {
                "code": "A\x001", "slot_start": "2026-11-20T09:00:00+08:00",
                "slot_end": "2026-11-20T09:30:00+08:00"}}),
        c.get("/api/v1/tickets/abc%00def", headers=admin),
        c.get("/api/v1/tickets?business=tr%00ansfer", headers=admin),
        c.delete("/api/v1/tokens/x%00y", headers=admin),
        c.post("/api/v1/tickets", content=rb'{"business": "trans\ud800fer"}',
               headers={**kiosk, "content-type": "application/json"}),
        c.post("/api/v1/tickets", headers=kiosk, json={"business": "transfer",
                                                      "\x1bkey": 1}),
    ]
    for r in answers:
        e = refused(r)
        assert "控制字符" in e["message"] and "control character" in e["message"]
    # Nothing of them was stored.
    assert all(t["name"] != NUL for t in c.get("/api/v1/tokens", headers=admin).json())
    assert c.get("/api/v1/tickets", headers=admin).json() == []
    # A note may still have lines and tabs.
    r = c.put(f"/api/v1/cases/{CASE}", headers=reg, json=case_body(steps=[
        {"seq": 1, "step": "accepted", "at": "2026-11-20T09:30:00+08:00",
         "note": "第一行\n第二行\t完"}]))
    assert r.status_code == 201, r.text


def test_a_hand_check_in_slot_must_end_after_it_starts(api):
    c, h = api
    guide = h.headers("guide")

    def check_in(start: str, end: str):  # type: ignore[no-untyped-def]
        return c.post("/api/v1/tickets", headers=guide, json={
            "business": "transfer", "appointment": {"code": "A001", "slot_start": start,
                                                    "slot_end": end}})
    e = refused(check_in("2026-11-20T10:00:00+08:00", "2026-11-20T09:30:00+08:00"))
    assert "结束时间须晚于开始时间" in e["message"]
    refused(check_in("2026-11-20T10:00:00+08:00", "2026-11-20T10:00:00+08:00"))
    assert check_in("2026-11-20T10:00:00+08:00", "2026-11-20T10:30:00+08:00"
                    ).status_code == 201


def test_an_unexpected_failure_is_json_logged_once_without_its_message(api):
    """Nothing known fails any more; a route that does (a bug) is added here for the test."""
    c, h = api
    secret = "tok-3f9a-never-in-a-log"

    @h.app.get("/api/v1/test-only/boom")
    async def boom() -> None:
        raise RuntimeError(f"a bug quoting {secret}")

    out = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)  # pytest's own come back after
    quiet = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    access = logging.getLogger("uvicorn.access").disabled
    configure("INFO", "json", out)
    try:
        r = c.get("/api/v1/test-only/boom", headers={"X-Request-ID": "req-boom-1"})
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)
        logging.getLogger("uvicorn.access").disabled = access
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "internal_error"
    assert r.json()["error"]["request_id"] == "req-boom-1"
    assert "服务器内部错误" in r.json()["error"]["message"]
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    errors = [x for x in lines if x["level"] == "ERROR"]
    assert len(errors) == 1 and errors[0]["request_id"] == "req-boom-1"
    assert "RuntimeError" in errors[0]["message"] and "boom" in errors[0]["message"]
    assert secret not in out.getvalue()
    access = [x for x in lines if x["logger"] == "hallq.http"]
    assert [x["message"].split()[2] for x in access] == ["500"]


def test_a_database_error_never_quotes_its_parameters(db_url: str):
    engine = make_engine(db_url)
    try:
        with pytest.raises(sa.exc.DBAPIError) as caught, engine.connect() as conn:
            conn.execute(sa.text("SELECT * FROM no_such_table WHERE x = :v"),
                         {"v": "idhash-5e1f-secret"})
        assert "idhash-5e1f-secret" not in str(caught.value)
        assert "hidden" in str(caught.value)
    finally:
        engine.dispose()


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30) | \
    st.sampled_from(["\x00", "a\x00", "\x7f", "\u200b", "🏠", "'; DROP TABLE tickets;--"])
INTS = st.integers(min_value=-(2**70), max_value=2**70) | st.sampled_from([0, 2**63, -(2**63) - 1])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=TEXT, business=TEXT, after=INTS, location=TEXT, unit=TEXT)
def test_fuzzed_strings_and_integers_never_get_a_5xx(api, name, business, after, location,
                                                     unit):
    c, h = api
    kiosk, admin, reg = h.headers("kiosk"), h.headers("admin"), h.headers("registry")
    answers = [
        c.post("/api/v1/tickets", headers=kiosk, json={
            "business": business or "x", "applicant": {"id_number": ZHANG,
                                                       "name": name}}),
        c.get("/api/v1/tickets", headers=admin, params={"business": business}),
        c.get("/api/v1/archive/audit", headers=admin, params={"after_seq": after}),
        c.post("/api/v1/archive/audit/search", headers=admin, json={"after_seq": after}),
        c.put(f"/api/v1/units/{quote(unit, safe='') or 'u'}", headers=reg,
              json=unit_body(location=location, version=max(0, min(after, 2**62)))),
        c.post("/api/v1/tokens", headers=admin, json={"role": "display", "name": name}),
    ]
    for r in answers:
        assert r.status_code < 500, (r.request.method, r.request.url, r.status_code, r.text)
        if r.status_code >= 400:
            assert set(r.json()) == {"error"}


def test_the_test_client_sees_real_routes(api: tuple[TestClient, AppHandle]):
    # Guard against the fuzz passing because every request was refused for one reason.
    c, h = api
    r = c.post("/api/v1/tickets", headers=h.headers("kiosk"), json={
        "business": "transfer", "applicant": {"id_number": ZHANG,
                                              "name": "张三丰"}})
    assert r.status_code == 201, r.text
