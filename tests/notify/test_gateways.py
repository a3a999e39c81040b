"""The HTTP SMS and WeChat adapters against a local HTTP server, and the file gateway."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from queue_server.notify.gateways import (
    FileGateway,
    HttpSmsGateway,
    Outgoing,
    Rejected,
    Unavailable,
    Uncertain,
    WeChatTemplateGateway,
)
from tests.notify.fake_gateway import Answer, FakeServer

MSG = Outgoing(key="case-ready:C1:7:sms:abc", kind="case_ready", channel="sms",
               recipient="13812345678", recipient_masked="138****5678",
               body="【中心】您的证书已可领取 / ready", params={"case_no": "C1", "item_name": "转移登记"})


@pytest.fixture
def server():
    with FakeServer() as s:
        yield s


def test_http_sms_sends_json_with_the_idempotency_key(server):
    server.scripts["/sms"] = [Answer(200, {"id": "gw-42"})]
    gw = HttpSmsGateway(f"{server.url}/sms", api_key="secret-key", timeout=2)
    assert gw.send(MSG) == "gw-42"
    (seen,) = server.posts("/sms")
    assert seen.body == {"id": MSG.key, "to": "13812345678", "text": MSG.body}
    assert seen.headers["idempotency-key"] == MSG.key
    assert seen.headers["authorization"] == "Bearer secret-key"
    assert seen.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("status, error", [(503, Unavailable), (500, Unavailable),
                                           (429, Unavailable), (400, Rejected), (403, Rejected)])
def test_http_sms_answers_are_classified(server, status, error):
    server.scripts["/sms"] = [Answer(status, {"error": "x"})]
    with pytest.raises(error):
        HttpSmsGateway(f"{server.url}/sms", timeout=2).send(MSG)


def test_http_sms_without_an_answer_is_uncertain(server):
    server.scripts["/sms"] = [Answer(200, {}, delay=1.0)]
    with pytest.raises(Uncertain):
        HttpSmsGateway(f"{server.url}/sms", timeout=0.2).send(MSG)
    assert len(server.posts("/sms")) == 1  # it did arrive: hence "uncertain"


def test_http_sms_that_cannot_connect_is_unavailable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once we leave: nobody listens there
    with pytest.raises(Unavailable):
        HttpSmsGateway(f"http://127.0.0.1:{port}/sms", timeout=1).send(MSG)


def wechat(server: FakeServer) -> WeChatTemplateGateway:
    return WeChatTemplateGateway("wx-app", "wx-secret", {"case_ready": "TPL-READY"},
                                 api=server.url, timeout=2)


def test_wechat_gets_a_token_once_and_sends_the_template(server):
    server.defaults["/cgi-bin/token"] = Answer(200, {"access_token": "TOK1", "expires_in": 7200})
    server.defaults["/cgi-bin/message/template/send"] = Answer(200, {"errcode": 0, "msgid": 991})
    gw = wechat(server)
    msg = Outgoing(**{**MSG.__dict__, "channel": "wechat", "recipient": "o6_openid"})
    assert gw.send(msg) == "991"
    assert gw.send(msg) == "991"
    tokens = [s for s in server.seen if s.path == "/cgi-bin/token"]
    assert len(tokens) == 1
    assert tokens[0].query == {"grant_type": ["client_credential"], "appid": ["wx-app"],
                               "secret": ["wx-secret"]}
    sent = server.posts("/cgi-bin/message/template/send")[0]
    assert sent.query["access_token"] == ["TOK1"]
    assert sent.body == {"touser": "o6_openid", "template_id": "TPL-READY", "data": {
        "first": {"value": MSG.body}, "case_no": {"value": "C1"},
        "item_name": {"value": "转移登记"}}}


def test_wechat_renews_an_expired_token_and_classifies_errors(server):
    server.scripts["/cgi-bin/token"] = [Answer(200, {"access_token": "OLD"}),
                                        Answer(200, {"access_token": "NEW"})]
    server.scripts["/cgi-bin/message/template/send"] = [
        Answer(200, {"errcode": 42001, "errmsg": "access_token expired"}),
        Answer(200, {"errcode": 0, "msgid": 5}),
        Answer(200, {"errcode": -1, "errmsg": "system busy"}),
        Answer(200, {"errcode": 43004, "errmsg": "require subscribe"})]
    gw = wechat(server)
    with pytest.raises(Unavailable):
        gw.send(MSG)
    assert gw.send(MSG) == "5"
    sends = server.posts("/cgi-bin/message/template/send")
    assert [s.query["access_token"] for s in sends] == [["OLD"], ["NEW"]]
    with pytest.raises(Unavailable):
        gw.send(MSG)
    with pytest.raises(Rejected, match="43004"):
        gw.send(MSG)
    with pytest.raises(Rejected):
        gw.send(Outgoing(**{**MSG.__dict__, "kind": "ticket_near"}))  # no template for it


def test_the_file_gateway_writes_masked_lines(tmp_path: Path):
    path = tmp_path / "sub" / "sms.jsonl"
    gw = FileGateway(path)
    assert gw.send(MSG) == MSG.key
    line = json.loads(path.read_text(encoding="utf-8"))
    assert line["to"] == "138****5678" and line["body"] == MSG.body and line["id"] == MSG.key
    assert "13812345678" not in path.read_text(encoding="utf-8")
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("x")
    with pytest.raises(Unavailable):
        FileGateway(blocked / "sms.jsonl").send(MSG)
