"""A copied kiosk token is not a skeleton key (issue 16), tokens expire and are audited,
and the help desk can issue past a cap (issue 15). Real app, SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from queue_server.security import issue_token, parse_lifetime
from tests.cases.helpers import LI, ZHANG

T = "/api/v1/tickets"


def issue(client: TestClient, headers: dict, business: str = "transfer", **body) -> dict:
    r = client.post(T, json={"business": business, **body}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def refused(r, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code, r.text


# --- a kiosk reaches its own recent tickets only ------------------------------------------

def test_a_kiosk_sees_and_cancels_only_what_it_issued(api):
    client, h = api
    mine, other, guide = h.kiosk(), h.headers("kiosk"), h.headers("guide")
    own = issue(client, mine)
    theirs = issue(client, other)
    by_guide = issue(client, guide, "mortgage")
    # The list: this kiosk's own ticket, nobody else's.
    listed = client.get(T, params={"status": "waiting"}, headers=mine).json()
    assert [t["id"] for t in listed] == [own["id"]]
    assert len(client.get(T, params={"status": "waiting"}, headers=guide).json()) == 3
    # Another's ticket looks like no ticket at all: read, history, cancel, SMS.
    for path in (f"{T}/{theirs['id']}", f"{T}/{by_guide['id']}/history"):
        refused(client.get(path, headers=mine), 404, "not_found")
    refused(client.post(f"{T}/{by_guide['id']}/cancel", headers=mine), 404, "not_found")
    refused(client.post(f"{T}/{theirs['id']}/notify", json={"phone": "13812345678"},
                        headers=mine), 404, "not_found")
    assert client.get(f"{T}/{by_guide['id']}", headers=guide).json()["status"] == "waiting"
    # Its own ticket, taken back (nobody received it).
    r = client.post(f"{T}/{own['id']}/cancel", headers=mine)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"


def test_a_kiosk_loses_sight_of_its_ticket_after_the_set_minutes(api):
    client, h = api
    mine = h.kiosk()
    t = issue(client, mine)
    h.clock.advance(minutes=9)
    assert client.get(f"{T}/{t['id']}", headers=mine).status_code == 200
    h.clock.advance(minutes=2)  # past the default 10
    refused(client.get(f"{T}/{t['id']}", headers=mine), 404, "not_found")
    refused(client.post(f"{T}/{t['id']}/cancel", headers=mine), 404, "not_found")
    assert client.get(T, headers=mine).json() == []
    # Staff still reach it.
    assert client.get(f"{T}/{t['id']}", headers=h.headers("guide")).json()["status"] == "waiting"


def test_the_kiosk_minutes_are_a_setting(make_app):
    h = make_app(kiosk_ticket_minutes=2.0)
    with TestClient(h.app) as client:
        t = issue(client, h.kiosk())
        h.clock.advance(minutes=3)
        refused(client.get(f"{T}/{t['id']}", headers=h.kiosk()), 404, "not_found")


def test_a_restarted_server_still_knows_which_kiosk_issued_a_ticket(make_app):
    h = make_app()
    with TestClient(h.app) as client:
        kiosk = h.kiosk()
        t = issue(client, kiosk)
    h2 = make_app()
    with TestClient(h2.app) as client:
        r = client.post(f"{T}/{t['id']}/cancel", headers=kiosk)
        assert r.status_code == 200 and r.json()["status"] == "cancelled"


# --- per-kiosk issue limits ----------------------------------------------------------------

@pytest.fixture
def throttled(monkeypatch):
    monkeypatch.setenv("HALLQ_ISSUE_RATE_KIOSK", "4/60")  # the defaults of tests/conftest.py off
    monkeypatch.setenv("HALLQ_ANONYMOUS_RATE_KIOSK", "2/3600")


def test_issuing_is_bounded_per_kiosk_with_retry_after(throttled, make_app):
    h = make_app()
    with TestClient(h.app) as client:
        mine = h.kiosk()
        # Anonymous tickets: two an hour from this kiosk.
        first = issue(client, mine)
        issue(client, mine, "mortgage")
        r = client.post(T, json={"business": "query"}, headers=mine)
        refused(r, 429, "rate_limited")
        assert int(r.headers["Retry-After"]) > 60
        assert "本机免证取号" in r.json()["error"]["message"]
        # With an ID card it may go on, up to the issue rate (4 a minute in all).
        issue(client, mine, applicant={"id_number": ZHANG})
        issue(client, mine, "mortgage", applicant={"id_number": LI})
        r = client.post(T, json={"business": "query", "applicant": {"id_number": LI}},
                        headers=mine)
        refused(r, 429, "rate_limited")
        assert 1 <= int(r.headers["Retry-After"]) <= 15
        # Asking again for a ticket already issued (its answer was lost) is not a new one.
        key = {"Idempotency-Key": "k1"}
        again = client.post(T, json={"business": "transfer"}, headers={**mine, **key})
        refused(again, 429, "rate_limited")
        # Another kiosk, and a guide, are not slowed by this one.
        issue(client, h.headers("kiosk"))
        issue(client, h.headers("guide"))
        # The issue-and-cancel loop stops at the same limit; cancelling gives nothing back
        # to the kiosk's bucket.
        assert client.post(f"{T}/{first['id']}/cancel", headers=mine).status_code == 200
        refused(client.post(T, json={"business": "transfer", "applicant": {"id_number": LI}},
                            headers=mine), 429, "rate_limited")
        h.clock.advance(seconds=16)
        issue(client, mine, "query", applicant={"id_number": LI})


def test_a_replayed_request_is_answered_even_when_the_kiosk_is_at_its_limit(throttled, make_app):
    h = make_app()
    with TestClient(h.app) as client:
        mine = h.kiosk()
        key = {**mine, "Idempotency-Key": "press-1"}
        body = {"business": "transfer", "applicant": {"id_number": ZHANG}}
        first = client.post(T, json=body, headers=key).json()
        for who in (LI,):
            issue(client, mine, applicant={"id_number": who})
        issue(client, mine, "mortgage", applicant={"id_number": ZHANG})
        issue(client, mine, "query", applicant={"id_number": ZHANG})
        refused(client.post(T, json={"business": "mortgage", "applicant": {"id_number": LI}},
                            headers=mine), 429, "rate_limited")
        again = client.post(T, json=body, headers=key)
        assert again.status_code == 201 and again.json()["id"] == first["id"]


# --- cancelled tickets give their place back; guides override -------------------------

def test_a_ticket_cancelled_before_it_was_called_gives_its_place_back(api):
    client, h = api
    mine, guide = h.kiosk(), h.headers("guide")
    # The per-ID limit (3): five issue-and-cancel rounds no longer lock the applicant out.
    for _ in range(5):
        t = issue(client, mine, applicant={"id_number": ZHANG})
        assert client.post(f"{T}/{t['id']}/cancel", headers=mine).status_code == 200
    held = issue(client, mine, applicant={"id_number": ZHANG})
    # The daily cap (5 for transfer): cancelled, never called, tickets do not use it up.
    for _ in range(4):
        issue(client, guide)
    refused(client.post(T, json={"business": "transfer"}, headers=mine), 409, "daily_cap_reached")
    assert client.post(f"{T}/{held['id']}/cancel", headers=mine).status_code == 200
    back = issue(client, mine)
    assert back["number"] == "A011"  # numbers are never reused
    business = next(b for b in client.get("/api/v1/businesses", headers=guide).json()
                    if b["code"] == "transfer")
    assert business["issued_today"] == 11 and business["cap_used"] == 5
    # A ticket that was called keeps its place even when cancelled later.
    win = h.headers("window", 1)
    called = client.post("/api/v1/windows/1/call-next", headers=win).json()["ticket"]
    assert client.post(f"{T}/{called['id']}/park", headers=win).status_code == 200
    assert client.post(f"{T}/{called['id']}/cancel", headers=guide).status_code == 200
    refused(client.post(T, json={"business": "transfer"}, headers=guide), 409,
            "daily_cap_reached")


def test_given_back_places_survive_a_restart(make_app):
    h = make_app()
    with TestClient(h.app) as client:
        for _ in range(5):
            t = issue(client, h.kiosk())
            client.post(f"{T}/{t['id']}/cancel", headers=h.kiosk())
    h2 = make_app()
    with TestClient(h2.app) as client:
        for _ in range(5):
            issue(client, h2.headers("guide"))
        refused(client.post(T, json={"business": "transfer"}, headers=h2.headers("guide")),
                409, "daily_cap_reached")


def test_a_guide_issues_past_the_cap_and_the_id_limit_with_a_reason(api):
    client, h = api
    guide, mine = h.headers("guide"), h.kiosk()
    for _ in range(5):
        issue(client, guide)
    refused(client.post(T, json={"business": "transfer"}, headers=guide), 409,
            "daily_cap_reached")
    over = issue(client, guide, override={"reason": "  老人远道而来，\n今日必须办理 "})
    assert over["number"] == "A006" and over["override_reason"] == "老人远道而来， 今日必须办理"
    history = client.get(f"{T}/{over['id']}/history", headers=guide).json()
    assert history[0]["data"]["override"] == {"reason": "老人远道而来， 今日必须办理",
                                              "past": ["daily_cap_reached"]}
    assert history[0]["actor"].startswith("guide")
    # The per-ID limit (3 a day).
    for business in ("mortgage", "query", "tax"):
        issue(client, guide, business, applicant={"id_number": LI})
    refused(client.post(T, json={"business": "transfer", "applicant": {"id_number": LI}},
                        headers=guide), 409, "daily_cap_reached")
    past_both = issue(client, guide, applicant={"id_number": LI},
                      override={"reason": "补办，经科长同意"})
    history = client.get(f"{T}/{past_both['id']}/history", headers=guide).json()
    assert history[0]["data"]["override"]["past"] == ["daily_cap_reached", "id_limit_reached"]
    # A kiosk may not; an empty reason is no reason.
    refused(client.post(T, json={"business": "transfer", "override": {"reason": "急"}},
                        headers=mine), 403, "override_forbidden")
    refused(client.post(T, json={"business": "transfer", "override": {"reason": "   "}},
                        headers=guide), 422, "override_reason_required")
    refused(client.post(T, json={"business": "transfer", "override": {}}, headers=guide),
            422, "invalid_input")


# --- token expiry and the token audit ----------------------------------------------------

def test_an_expired_token_is_refused_with_its_own_code(api):
    client, h = api
    store = h.app.state.store
    token = issue_token(store, "kiosk", expires_in=parse_lifetime("2h"), now=h.clock.now)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/hall", headers=auth).status_code == 200
    h.clock.advance(hours=2)
    r = client.get("/api/v1/hall", headers=auth)
    refused(r, 401, "token_expired")
    assert r.json()["error"]["message"].startswith("令牌已过期")
    with client.websocket_connect(f"/api/v1/events?token={token}") as ws, \
            pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    assert closed.value.code == 4401 and "token_expired" in closed.value.reason


def test_admin_actions_on_tokens_are_audited(api):
    client, h = api
    admin = h.headers("admin")
    r = client.post("/api/v1/tokens", json={"role": "kiosk", "name": "一楼1号机",
                                            "expires": "30d"}, headers=admin)
    assert r.status_code == 201 and r.json()["expires_at"].startswith("2026-12-23")
    listed = client.get("/api/v1/tokens", headers=admin).json()
    kiosk = next(t for t in listed if t["name"] == "一楼1号机")
    assert kiosk["expires_at"].startswith("2026-12-23") and kiosk["expired"] is False
    assert client.delete(f"/api/v1/tokens/{kiosk['id']}", headers=admin).json() == {"revoked": True}
    refused(client.delete("/api/v1/tokens/nosuchtoken", headers=admin), 404, "not_found")
    refused(client.post("/api/v1/tokens", json={"role": "kiosk", "expires": "forever"},
                        headers=admin), 422, "invalid_input")
    audit = client.get("/api/v1/tokens/audit", headers=admin).json()
    mine = [a for a in audit if a["actor"].startswith("admin")]
    assert [(a["action"], a["token_id"]) for a in mine] == [
        ("issue", kiosk["id"]), ("list", None), ("revoke", kiosk["id"]),
        ("revoke", "nosuchtoken")]
    assert mine[0]["detail"]["role"] == "kiosk" and mine[0]["detail"]["name"] == "一楼1号机"
    assert mine[2]["detail"] == {"revoked": True} and mine[3]["detail"] == {"revoked": False}
    assert all(a["at"].startswith("2026-11-23") for a in mine)
    # No token, ever, in the audit; and only an admin reads it.
    assert "hq_" not in str(audit)
    refused(client.get("/api/v1/tokens/audit", headers=h.headers("guide")), 403, "forbidden")


def test_the_cli_issues_expiring_tokens_and_audits_itself(tmp_path):
    data = str(tmp_path / "var")

    def hallq(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "hallq", "token", *args, "--data", data],
                              capture_output=True, text=True, timeout=60)

    issued = hallq("issue", "--role", "kiosk", "--name", "k1", "--expires", "30d")
    assert issued.returncode == 0 and issued.stdout.startswith("hq_")
    bad = hallq("issue", "--role", "kiosk", "--expires", "30y")
    assert bad.returncode == 2 and "有效期" in bad.stderr
    listing = hallq("list")
    assert "active  until" in listing.stdout
    audit = hallq("audit")
    lines = audit.stdout.splitlines()
    assert [line.split()[4] for line in lines] == ["issue", "list"]
    assert all(" cli:" in line for line in lines) and "hq_" not in audit.stdout
