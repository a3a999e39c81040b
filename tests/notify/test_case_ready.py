"""'Certificate ready' messages, end to end on SQLite and PostgreSQL: a push makes a case
ready, its messages enter the outbox in the same commit, the worker sends them once."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.cases.helpers import LI, PHONE_LI, PHONE_ZHANG, ZHANG, case_body, step
from tests.notify.fake_gateway import Answer, FakeServer

CASE = "2026112000777"


def ready_body(h, *, version: int = 1, ago: timedelta = timedelta(hours=1), seq: int = 3,
               **extra):
    at = h.clock() - ago
    return case_body(version, steps=[step(1, "accepted"), step(2, "printed", at - timedelta(hours=1)),
                                     step(seq, "ready", at)], **extra)


def quiet_client(handle) -> TestClient:
    """No lifespan, so no background worker: the test runs the rounds itself."""
    return TestClient(handle.app)


def sms_lines(handle) -> list[dict]:
    path = Path(handle.settings.data_dir) / "sms-outbox.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_ready_queues_one_sms_per_applicant_sent_once(make_app):
    h = make_app()
    c = quiet_client(h)
    r = c.put(f"/api/v1/cases/{CASE}", json=ready_body(h), headers=h.headers("registry")).json()
    assert r["status"] == "ready" and r["notifications_queued"] == 2
    again = c.put(f"/api/v1/cases/{CASE}", json=ready_body(h), headers=h.headers("registry"))
    assert again.json()["notifications_queued"] == 0
    box = c.get("/api/v1/notify/outbox", headers=h.headers("admin")).json()
    assert sorted(m["recipient_masked"] for m in box) == ["138****5678", "159****4321"]
    assert {m["status"] for m in box} == {"pending"} and box[0]["status_name"] == "待发送"
    notifier = h.app.state.records.notifier
    assert notifier.run_once().sent == 2
    assert notifier.run_once().sent == 0
    lines = sms_lines(h)
    assert len(lines) == 2 and {x["to"] for x in lines} == {"138****5678", "159****4321"}
    assert lines[0]["body"].startswith("【测试大厅】您办理的二手房买卖转移登记（受理号2026112000777）证书已可领取")
    text = json.dumps(lines, ensure_ascii=False)
    assert PHONE_ZHANG not in text and PHONE_LI not in text
    assert c.get("/api/v1/notify/outbox", headers=h.headers("guide")).status_code == 403


def test_only_a_fresh_ready_step_that_becomes_current_sends(make_app):
    h = make_app()
    c = quiet_client(h)
    reg = h.headers("registry")
    # A bulk load of long-finished cases messages nobody.
    old = c.put("/api/v1/cases/2026010100001", json=ready_body(h, ago=timedelta(days=4)),
                headers=reg).json()
    assert old["status"] == "ready" and old["notifications_queued"] == 0
    # Collected already; the "ready" step arriving late changes nothing and sends nothing.
    t = h.clock()
    c.put(f"/api/v1/cases/{CASE}", json=case_body(steps=[step(1, "accepted"),
                                                         step(4, "collected", t)]), headers=reg)
    late = c.put(f"/api/v1/cases/{CASE}", json=case_body(steps=[step(3, "ready", t)]),
                 headers=reg).json()
    assert late["status"] == "collected" and late["notifications_queued"] == 0


def test_two_applicants_sharing_a_phone_get_one_message(make_app):
    h = make_app()
    c = quiet_client(h)
    body = ready_body(h, applicants=[{"id_number": ZHANG, "name": "张三丰", "phone": PHONE_ZHANG},
                                     {"id_number": LI, "name": "李秀英", "phone": "+86 138-1234-5678"}])
    assert c.put(f"/api/v1/cases/{CASE}", json=body,
                 headers=h.headers("registry")).json()["notifications_queued"] == 1


def test_made_ready_again_after_a_correction_sends_again(make_app):
    h = make_app()
    c = quiet_client(h)
    reg = h.headers("registry")
    assert c.put(f"/api/v1/cases/{CASE}", json=ready_body(h), headers=reg).json()[
        "notifications_queued"] == 2
    c.put(f"/api/v1/cases/{CASE}", json=case_body(steps=[step(4, "printed", h.clock())]),
          headers=reg)
    again = c.put(f"/api/v1/cases/{CASE}", json=case_body(steps=[step(5, "ready", h.clock())]),
                  headers=reg).json()
    assert again["notifications_queued"] == 2


def test_an_http_gateway_down_then_up_delivers_each_message_once(make_app, monkeypatch):
    with FakeServer() as server:
        server.scripts["/sms"] = [Answer(503), Answer(503)]
        server.defaults["/sms"] = Answer(200, {"id": "ok"})
        monkeypatch.setenv("HALLQ_SMS_GATEWAY", "http")
        monkeypatch.setenv("HALLQ_SMS_URL", f"{server.url}/sms")
        h = make_app()
        c = quiet_client(h)
        c.put(f"/api/v1/cases/{CASE}", json=ready_body(h), headers=h.headers("registry"))
        notifier = h.app.state.records.notifier
        first = notifier.run_once()
        assert (first.sent, first.retried) == (0, 2)
        assert notifier.run_once().sent == 0  # backing off
        h.clock.advance(seconds=30)
        assert notifier.run_once().sent == 2
        posts = server.posts("/sms")
        assert len(posts) == 4
        by_key: dict[str, list[str]] = {}
        for p in posts:
            by_key.setdefault(p.headers["idempotency-key"], []).append(p.body["to"])
        assert sorted(tuple(v) for v in by_key.values()) == [
            (PHONE_ZHANG, PHONE_ZHANG), (PHONE_LI, PHONE_LI)]
        box = c.get("/api/v1/notify/outbox", headers=h.headers("admin")).json()
        assert {m["status"] for m in box} == {"sent"} and {m["gateway"] for m in box} == {"http-sms"}


def test_an_admin_resends_a_failed_message(make_app, monkeypatch):
    with FakeServer() as server:
        server.scripts["/sms"] = [Answer(400, {"error": "blocked"})] * 2
        monkeypatch.setenv("HALLQ_SMS_GATEWAY", "http")
        monkeypatch.setenv("HALLQ_SMS_URL", f"{server.url}/sms")
        h = make_app()
        c = quiet_client(h)
        c.put(f"/api/v1/cases/{CASE}", json=ready_body(h), headers=h.headers("registry"))
        notifier = h.app.state.records.notifier
        assert notifier.run_once().failed == 2
        admin = h.headers("admin")
        failed = c.get("/api/v1/notify/outbox?status=failed", headers=admin).json()
        assert len(failed) == 2 and "400" in failed[0]["last_error"]
        key = failed[0]["id"]
        assert c.post(f"/api/v1/notify/outbox/{key}/retry", headers=admin).json()["status"] == \
            "pending"
        assert c.post(f"/api/v1/notify/outbox/{key}/retry", headers=admin).status_code == 404
        assert notifier.run_once().sent == 1


def test_wechat_applicants_get_a_template_message_too(make_app, monkeypatch):
    with FakeServer() as server:
        server.defaults["/cgi-bin/token"] = Answer(200, {"access_token": "T", "expires_in": 7200})
        server.defaults["/cgi-bin/message/template/send"] = Answer(200, {"errcode": 0, "msgid": 1})
        monkeypatch.setenv("HALLQ_WECHAT_APPID", "wx1")
        monkeypatch.setenv("HALLQ_WECHAT_SECRET", "s")
        monkeypatch.setenv("HALLQ_WECHAT_API", server.url)
        monkeypatch.setenv("HALLQ_WECHAT_TEMPLATES", "case_ready=TPL1")
        h = make_app()
        c = quiet_client(h)
        body = ready_body(h, applicants=[{"id_number": ZHANG, "name": "张三丰",
                                          "wechat_openid": "o6_zhang_openid"}])
        r = c.put(f"/api/v1/cases/{CASE}", json=body, headers=h.headers("registry")).json()
        assert r["notifications_queued"] == 1
        assert h.app.state.records.notifier.run_once().sent == 1
        (sent,) = server.posts("/cgi-bin/message/template/send")
        assert sent.body["touser"] == "o6_zhang_openid" and sent.body["template_id"] == "TPL1"
        assert sent.body["data"]["case_no"] == {"value": CASE}


def test_a_bulk_import_can_be_told_not_to_notify(make_app):
    h = make_app()
    c = quiet_client(h)
    at = (h.clock() - timedelta(hours=1)).isoformat()
    csv = ("case_no,version,item,time_limit_days,accepted_at,applicant_ids,applicant_names,"
           "applicant_phones,step_seq,step,step_at\n"
           f"{CASE},1,x,5,{at},{ZHANG},张三丰,{PHONE_ZHANG},1,ready,{at}\n")
    hdr = {**h.headers("registry"), "Content-Type": "text/csv"}
    r = c.post("/api/v1/cases/import?notify=false", content=csv.encode(), headers=hdr).json()
    assert r["created"] == 1 and r["notifications_queued"] == 0


@pytest.mark.timeout(60)
def test_the_running_server_sends_without_being_asked(make_app, monkeypatch):
    # A long poll: only the push's own wake-up can send within the wait below.
    monkeypatch.setenv("HALLQ_NOTIFY_POLL_SECONDS", "120")
    h = make_app()
    with TestClient(h.app) as c:
        c.put(f"/api/v1/cases/{CASE}", json=ready_body(h), headers=h.headers("registry"))
        admin = h.headers("admin")
        for _ in range(200):
            box = c.get("/api/v1/notify/outbox", headers=admin).json()
            if box and {m["status"] for m in box} == {"sent"}:
                break
            time.sleep(0.05)
        assert {m["status"] for m in box} == {"sent"} and len(box) == 2
