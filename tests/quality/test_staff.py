"""Window staff as people: the register, sign-in on top of the window token, shift
changes, and every window event naming who was on duty (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from tests.quality.helpers import API, add_staff, history, serve, sign_in
from tests.server.conftest import MINI, AppFactory, AppHandle


def test_the_register_is_kept_by_admins(api: tuple[TestClient, AppHandle]):
    client, h = api
    made = add_staff(client, h, "A0107", " 李  晓红 ", "登记一科")
    assert made["name"] == "李 晓红" and made["active"] is True
    again = client.post(f"{API}/staff", json={"number": "A0107", "name": "别人"},
                        headers=h.headers("admin"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "staff_exists"
    for bad, code in (({"number": "a b", "name": "王"}, "invalid_staff_number"),
                      ({"number": "A1", "name": "   "}, "invalid_staff_name")):
        r = client.post(f"{API}/staff", json=bad, headers=h.headers("admin"))
        assert r.status_code == 422 and r.json()["error"]["code"] == code
        assert r.json()["error"]["message"][0] > "\u4e00"  # Chinese first
    for role in ("guide", "kiosk", "manager"):
        r = client.post(f"{API}/staff", json={"number": "B1", "name": "王"},
                        headers=h.headers(role))
        assert r.status_code == 403
    listing = client.get(f"{API}/staff", headers=h.headers("manager")).json()
    assert [(m["number"], m["window"]) for m in listing] == [("A0107", None)]
    assert client.get(f"{API}/staff", headers=h.headers("kiosk")).status_code == 403


def test_every_window_event_names_who_was_on_duty(api):
    client, h = api
    add_staff(client, h, "1001", "张伟")
    add_staff(client, h, "1002", "刘芳")
    # Nobody signed in: the window still calls (the hall does not require it) and its
    # events record nobody.
    before = serve(client, h, 1)
    assert {e["staff"] for e in history(client, h, before["id"]) if e["window"]} == {None}

    view = sign_in(client, h, 1, "1001")
    assert view["staff"]["number"] == "1001" and view["staff"]["name"] == "张伟"
    t = serve(client, h, 1)
    events = history(client, h, t["id"])
    assert [(e["type"], e["staff"]) for e in events] == [
        ("ticket.issued", None), ("ticket.called", "1001"), ("ticket.started", "1001"),
        ("ticket.completed", "1001")]

    # A shift change mid-day: the next person signs in over the first, mid-service.
    kiosk, win = h.headers("kiosk"), h.headers("window", 1)
    t2 = client.post(f"{API}/tickets", json={"business": "transfer"}, headers=kiosk).json()
    client.post(f"{API}/windows/1/call-next", headers=win)
    sign_in(client, h, 1, "1002")
    client.post(f"{API}/tickets/{t2['id']}/complete", headers=win)
    events = history(client, h, t2["id"])
    assert [(e["type"], e["staff"]) for e in events][-4:] == [
        ("ticket.called", "1001"), ("staff.signed_out", "1001"), ("staff.signed_in", "1002"),
        ("ticket.completed", "1002")]
    assert events[-3]["data"]["reason"] == "shift_change"


def test_sign_in_out_and_its_refusals(api):
    client, h = api
    add_staff(client, h, "1001", "张伟")
    # Another window's token cannot sign in here; a guide can sign anyone in anywhere.
    r = client.post(f"{API}/windows/1/sign-in", json={"staff": "1001"},
                    headers=h.headers("window", 2))
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_window"
    r = client.post(f"{API}/windows/1/sign-in", json={"staff": "9999"},
                    headers=h.headers("window", 1))
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_staff"
    assert r.json()["error"]["message"].startswith("没有工号 9999")
    r = client.post(f"{API}/windows/1/sign-in", json={"staff": "../x"},
                    headers=h.headers("window", 1))
    assert r.status_code == 422
    sign_in(client, h, 1, "1001")
    # Signing in at window 2 (she moved desks and forgot) signs her out at window 1.
    r = client.post(f"{API}/windows/2/sign-in", json={"staff": "1001"},
                    headers=h.headers("guide"))
    assert r.status_code == 200
    windows = {w["number"]: w for w in client.get(f"{API}/windows",
                                                  headers=h.headers("guide")).json()}
    assert windows[1]["staff"] is None and windows[2]["staff"]["number"] == "1001"
    r = client.post(f"{API}/windows/2/sign-out", headers=h.headers("window", 2))
    assert r.status_code == 200 and r.json()["staff"] is None
    again = client.post(f"{API}/windows/2/sign-out", headers=h.headers("window", 2))
    assert again.status_code == 200  # twice is not an error

    # A disabled number is signed out at once and cannot sign in again.
    sign_in(client, h, 3, "1001")
    r = client.post(f"{API}/staff/1001/disable", headers=h.headers("admin"))
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.get(f"{API}/windows/3", headers=h.headers("guide")).json()["staff"] is None
    r = client.post(f"{API}/windows/3/sign-in", json={"staff": "1001"},
                    headers=h.headers("window", 3))
    assert r.status_code == 409 and r.json()["error"]["code"] == "staff_disabled"
    assert client.post(f"{API}/staff/1001/enable", headers=h.headers("admin")).json()["active"]
    sign_in(client, h, 3, "1001")
    r = client.post(f"{API}/staff/404/disable", headers=h.headers("admin"))
    assert r.status_code == 404


def test_sign_in_survives_a_restart_and_ends_at_the_daily_clear(make_app: AppFactory):
    h = make_app()
    with TestClient(h.app) as client:
        add_staff(client, h, "1001", "张伟")
        sign_in(client, h, 1, "1001")
    h2 = make_app()
    with TestClient(h2.app) as client:
        w = client.get(f"{API}/windows/1", headers=h2.headers("guide")).json()
        assert w["staff"] == {"number": "1001", "name": "张伟",
                              "since": "2026-11-23T01:00:00+00:00"}
        h2.clock.advance(hours=11)  # past the 19:00 clear
        h2.app.state.hall.turn_over_if_due()
        w = client.get(f"{API}/windows/1", headers=h2.headers("guide")).json()
        assert w["staff"] is None


def test_a_hall_that_requires_sign_in_refuses_to_call_without_it(make_app: AppFactory,
                                                                  tmp_path: Path):
    layout = tmp_path / "strict.toml"
    layout.write_text(MINI.read_text(encoding="utf-8").replace(
        "green_age = 70", "green_age = 70\nstaff_sign_in_required = true"), encoding="utf-8")
    h = make_app(layout)
    with TestClient(h.app) as client:
        client.post(f"{API}/tickets", json={"business": "transfer"}, headers=h.headers("kiosk"))
        r = client.post(f"{API}/windows/1/call-next", headers=h.headers("window", 1))
        assert r.status_code == 409 and r.json()["error"]["code"] == "staff_not_signed_in"
        add_staff(client, h, "1001", "张伟")
        sign_in(client, h, 1, "1001")
        r = client.post(f"{API}/windows/1/call-next", headers=h.headers("window", 1))
        assert r.status_code == 200 and r.json()["ticket"]["number"] == "A001"


def test_the_staff_commands(tmp_path: Path):
    from tests.server.test_cli import run
    data = ["--data", str(tmp_path / "var")]
    out = run("staff", "add", "--number", "A0107", "--name", "李晓红", "--department", "登记一科",
              *data)
    assert out.returncode == 0, out.stderr
    dup = run("staff", "add", "--number", "A0107", "--name", "李晓红", *data)
    assert dup.returncode == 1 and "已登记" in dup.stderr
    bad = run("staff", "add", "--number", "a b", "--name", "王", *data)
    assert bad.returncode == 1 and "工号" in bad.stderr
    assert run("staff", "disable", "A0107", *data).returncode == 0
    assert run("staff", "disable", "NOPE", *data).returncode == 1
    listing = json.loads(run("staff", "list", "--json", *data).stdout)
    assert [(m["number"], m["name"], m["department"], m["active"]) for m in listing] == [
        ("A0107", "李晓红", "登记一科", False)]
    assert "停用" in run("staff", "list", *data).stdout
