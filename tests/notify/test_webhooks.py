"""Signed webhooks on SQLite and PostgreSQL, to a real HTTP receiver: every chosen event
once, in order, signed; a receiver that is down gets the same delivery again later; a
restart neither loses nor repeats one; a bad subscriptions file stops the server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from queue_server.notify.webhooks import WebhooksFileError, load_webhooks, signature, verify
from tests.conftest import REPO
from tests.notify.fake_gateway import Answer, FakeServer
from tests.notify.test_case_ready import quiet_client

HOTLINE = "hotline-secret-0123456789"
PROVINCE = "province-secret-9876543210"


def subscribe(data_dir: Path, url: str) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "webhooks.toml").write_text(f'''
[[webhook]]
name = "hotline"
url = "{url}/hotline"
secret = "{HOTLINE}"
events = ["ticket.called", "ticket.completed"]

[[webhook]]
name = "province"
url = "{url}/province"
secret = "{PROVINCE}"
''', encoding="utf-8")


def serve_one(c, h) -> dict:
    t = c.post("/api/v1/tickets", json={"business": "transfer"}, headers=h.kiosk()).json()
    w1 = h.headers("window", 1)
    called = c.post("/api/v1/windows/1/call-next", headers=w1).json()["ticket"]
    c.post(f"/api/v1/tickets/{called['id']}/start", headers=w1)
    c.post(f"/api/v1/tickets/{called['id']}/complete", headers=w1)
    return t


def test_every_chosen_event_arrives_once_in_order_and_signed(make_app, tmp_path):
    with FakeServer() as receiver:
        subscribe(tmp_path / "var", receiver.url)
        h = make_app()
        c = quiet_client(h)
        ticket = serve_one(c, h)
        notifier = h.app.state.records.notifier
        assert notifier.run_once().sent == 2 + 4  # hotline: called, completed; province: all

        hot = receiver.posts("/hotline")
        assert [p.headers["x-hallq-event"] for p in hot] == ["ticket.called", "ticket.completed"]
        prov = receiver.posts("/province")
        assert [p.body["type"] for p in prov] == ["ticket.issued", "ticket.called",
                                                  "ticket.started", "ticket.completed"]
        seqs = [p.body["seq"] for p in prov]
        assert seqs == sorted(seqs) and len(set(seqs)) == 4
        for p in hot:
            assert verify(HOTLINE, p.headers["x-hallq-signature"], p.raw)
            assert not verify(PROVINCE, p.headers["x-hallq-signature"], p.raw)  # own secret
            assert not verify(HOTLINE, p.headers["x-hallq-signature"], p.raw + b" ")
            assert p.body["hall"] == h.app.state.hall.layout.hall.code
            assert p.body["ticket_id"] == ticket["id"] and p.body["window"] == 1
        assert len({p.headers["x-hallq-delivery"] for p in hot + prov}) == 6
        assert notifier.run_once().sent == 0  # nothing twice


def test_a_receiver_that_is_down_gets_the_same_delivery_later(make_app, tmp_path, clock):
    with FakeServer() as receiver:
        subscribe(tmp_path / "var", receiver.url)
        receiver.scripts["/hotline"] = [Answer(status=503)]
        h = make_app()
        c = quiet_client(h)
        w1 = h.headers("window", 1)
        c.post("/api/v1/tickets", json={"business": "transfer"}, headers=h.kiosk())
        c.post("/api/v1/windows/1/call-next", headers=w1)
        notifier = h.app.state.records.notifier
        report = notifier.run_once()
        assert report.retried == 1 and report.sent == 2  # province got issued and called
        first = receiver.posts("/hotline")[0].headers["x-hallq-delivery"]
        rows = {r["id"]: r for r in c.get("/api/v1/notify/outbox",
                                          headers=h.headers("admin")).json()}
        assert rows[first]["status"] == "pending" and rows[first]["kind"] == "webhook"
        assert "503" in rows[first]["last_error"]
        assert notifier.run_once().sent == 0  # not yet: it backs off
        clock.advance(seconds=31)
        assert notifier.run_once().sent == 1
        again = receiver.posts("/hotline")
        assert len(again) == 2 and again[1].headers["x-hallq-delivery"] == first
        assert verify(HOTLINE, again[1].headers["x-hallq-signature"], again[1].raw,
                      now=int(again[1].headers["x-hallq-signature"].split(",")[0][2:]))


def test_a_restart_neither_loses_nor_repeats_an_event(make_app, tmp_path):
    with FakeServer() as receiver:
        subscribe(tmp_path / "var", receiver.url)
        h = make_app()
        c = quiet_client(h)
        serve_one(c, h)
        h.app.state.records.notifier.run_once()
        before = len(receiver.posts("/province"))
        # Events while the sender had not run, then a restart on the same data.
        serve_one(c, h)
        h2 = make_app()
        c2 = quiet_client(h2)
        serve_one(c2, h2)
        h2.app.state.records.notifier.run_once()
        prov = receiver.posts("/province")
        assert len(prov) == before + 8
        seqs = [p.body["seq"] for p in prov]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # none lost, none twice


def test_a_new_subscription_starts_with_what_happens_from_now_on(make_app, tmp_path):
    h = make_app()
    c = quiet_client(h)
    serve_one(c, h)  # history: not sent to a subscription made later
    with FakeServer() as receiver:
        subscribe(tmp_path / "var", receiver.url)
        h2 = make_app()
        c2 = quiet_client(h2)
        t = c2.post("/api/v1/tickets", json={"business": "transfer"}, headers=h2.kiosk()).json()
        h2.app.state.records.notifier.run_once()
        prov = receiver.posts("/province")
        assert [(p.body["type"], p.body["ticket_id"]) for p in prov] == [("ticket.issued", t["id"])]


def test_the_signature_is_the_documented_hmac() -> None:
    import hashlib
    import hmac
    body = b'{"type":"ticket.called"}'
    expected = hmac.new(b"k" * 16, b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("k" * 16, 1700000000, body) == f"t=1700000000,v1={expected}"
    assert verify("k" * 16, f"t=1700000000,v1={expected}", body, now=1700000100)
    assert not verify("k" * 16, f"t=1700000000,v1={expected}", body, now=1700001000)  # old
    assert not verify("k" * 16, "garbage", body)


@pytest.mark.parametrize(("text", "says"), [
    ("[[webhook]]\nname = \"Bad Name\"\nurl = \"https://x.cn/a\"\nsecret = \"s\"\n", "name"),
    ("[[webhook]]\nname = \"a\"\nurl = \"ftp://x.cn/a\"\nsecret = \"0123456789abcdef\"\n", "url"),
    ("[[webhook]]\nname = \"a\"\nurl = \"https://x.cn/a\"\nsecret = \"short\"\n", "secret"),
    ("[[webhook]]\nname = \"a\"\nurl = \"https://x.cn/a\"\nsecret = \"0123456789abcdef\"\n"
     "events = [\"ticket.eaten\"]\n", "ticket.eaten"),
    ("[[webhook]]\nname = \"a\"\nurl = \"https://x.cn/a\"\nsecret = \"0123456789abcdef\"\n"
     "[[webhook]]\nname = \"a\"\nurl = \"https://x.cn/b\"\nsecret = \"0123456789abcdef\"\n",
     "twice"),
    ("[[webhook]\n", "TOML"),
])
def test_a_bad_subscription_is_refused_with_its_reason(tmp_path, text, says):
    path = tmp_path / "webhooks.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(WebhooksFileError, match=says):
        load_webhooks(path)


def test_the_server_does_not_start_on_a_bad_subscriptions_file(tmp_path):
    data = tmp_path / "var"
    data.mkdir()
    (data / "webhooks.toml").write_text("[[webhook]]\nname = \"a\"\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "hallq", "serve", "--port", "1", "--data", str(data),
         "--db", f"sqlite:///{tmp_path / 'h.db'}"], cwd=REPO, capture_output=True, text=True,
        timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "服务器未启动" in proc.stderr and "url" in proc.stderr
    assert "Traceback" not in proc.stderr
