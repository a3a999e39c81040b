"""不予受理告知单 and 预审 through the API on SQLite and PostgreSQL: the refusal at the
window, the notice found and printed by its number, the figures, and every refusal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FIXTURES
from tests.devices.printer.escpos_text import read_job
from tests.server.conftest import AppFactory, AppHandle

API = "/api/v1"
CATALOGUE = FIXTURES / "notice_catalogue.toml"
APPLICANT = {"id_number": "110105198001010016", "name": "王芳"}


@pytest.fixture
def hall(make_app: AppFactory, tmp_path: Path) -> Iterator[tuple[TestClient, AppHandle]]:
    printers = tmp_path / "printers.toml"
    printers.write_text(f'[window.1]\ndriver = "file"\npath = "{tmp_path / "lp1"}"\n'
                        '[window.2]\ndriver = "sim"\npaper = "out"\n', encoding="utf-8")
    handle = make_app(catalogue_path=CATALOGUE, printers_path=printers)
    with TestClient(handle.app) as client:
        admin = handle.headers("admin")
        assert client.post(f"{API}/staff", json={"number": "1024", "name": "李娜"},
                           headers=admin).status_code == 201
        yield client, handle


def serve(client: TestClient, h: AppHandle, *, window: int = 1, applicant: bool = False,
          precheck: str | None = None) -> tuple[dict, dict]:
    """Issue a transfer ticket and call it at `window`; returns it and the window's headers."""
    body: dict = {"business": "transfer"}
    if applicant:
        body["applicant"] = APPLICANT
    if precheck:
        body["precheck"] = {"item": precheck}
    r = client.post(f"{API}/tickets", json=body, headers=h.headers("guide"))
    assert r.status_code == 201, r.text
    win = h.headers("window", window)
    called = client.post(f"{API}/windows/{window}/call-next", headers=win).json()["ticket"]
    assert called["id"] == r.json()["id"]
    return called, win


def test_refusal_stores_the_notice_closes_the_ticket_and_frees_the_window(hall):
    client, h = hall
    win = h.headers("window", 1)
    assert client.post(f"{API}/windows/1/sign-in", json={"staff": "1024"}, headers=win).status_code == 200
    t, win = serve(client, h, precheck="second_hand")
    assert t["prechecked"] is True and t["precheck_item"] == "second_hand"
    r = client.post(f"{API}/tickets/{t['id']}/refuse",
                    json={"item": "second_hand", "missing": [4, 1], "note": "原件未带"}, headers=win)
    assert r.status_code == 201, r.text
    ticket, notice = r.json()["ticket"], r.json()["notice"]
    assert (ticket["status"], ticket["closed_reason"], ticket["outcome"]) == ("done", "refused", "refused")
    day = ticket["day"].replace("-", "")
    assert notice["no"] == f"MINI-{day}-0001"
    assert (notice["hall"], notice["hall_name"], notice["item_name"], notice["staff"],
            notice["window"], notice["note"], notice["prechecked"]) == (
        "MINI", "测试大厅", "二手房转移登记", "1024", 1, "原件未带", True)
    assert [(m["index"], m["where"]) for m in notice["missing"]] == [
        (1, "大厅咨询台领取，或网上预申请后打印"), (4, "大厅税务窗口（7号窗口）开具")]
    assert notice["page_url"] == f"/notices/{notice['no']}"
    assert client.get(f"{API}/windows/1", headers=win).json()["current"] is None
    # The event every console hears, and the history.
    kinds = [e["type"] for e in client.get(f"{API}/tickets/{t['id']}/history", headers=win).json()]
    assert kinds[-1] == "ticket.refused"
    # The next refusal of the day takes the next number.
    t2, _ = serve(client, h)
    r2 = client.post(f"{API}/tickets/{t2['id']}/refuse", json={"item": "gift", "missing": [2]},
                     headers=win)
    assert r2.json()["notice"]["no"] == f"MINI-{day}-0002"
    assert r2.json()["notice"]["missing"][0]["where"] == ""


def test_a_notice_is_found_by_its_number_with_the_applicants_next_visit(hall):
    client, h = hall
    t, win = serve(client, h, applicant=True)
    no = client.post(f"{API}/tickets/{t['id']}/refuse", json={"item": "second_hand", "missing": [3]},
                     headers=win).json()["notice"]["no"]
    # The applicant comes back with the papers: another window looks the notice up.
    again, _ = serve(client, h, window=2, applicant=True)
    for role, window in (("window", 2), ("guide", None), ("admin", None)):
        r = client.get(f"{API}/notices/{no}", headers=h.headers(role, window))
        assert r.status_code == 200, (role, r.text)
    found = r.json()
    assert found["ticket_number"] == t["number"] and found["missing"][0]["index"] == 3
    assert [v["number"] for v in found["later_visits"]] == [again["number"]]
    for role in ("kiosk", "display", "manager", "registry"):
        assert client.get(f"{API}/notices/{no}", headers=h.headers(role)).status_code == 403, role
    r = client.get(f"{API}/notices/MINI-20000101-0001", headers=win)
    assert r.status_code == 404 and r.json()["error"]["code"] == "notice_not_found"
    assert "没有编号" in r.json()["error"]["message"]
    assert client.get(f"{API}/notices/not-a-number", headers=win).status_code == 422


def test_the_notice_prints_on_the_windows_printer_and_reprints(hall, tmp_path):
    client, h = hall
    t, win = serve(client, h)
    no = client.post(f"{API}/tickets/{t['id']}/refuse", json={"item": "second_hand", "missing": [2]},
                     headers=win).json()["notice"]["no"]
    r = client.post(f"{API}/notices/{no}/print", headers=win)
    assert r.status_code == 200 and r.json() == {"no": no, "window": 1, "printed": 1}
    job = read_job((tmp_path / "lp1").read_bytes())
    assert f"编号：{no}" in job.text and "买卖双方身份证原件及复印件各1份" in job.text.replace("\n", "")
    assert job.cuts == 1
    assert client.post(f"{API}/notices/{no}/print", headers=win).json()["printed"] == 2
    assert client.get(f"{API}/notices/{no}", headers=win).json()["printed"] == 2
    # A guide names the window; a window prints at its own only.
    guide = h.headers("guide")
    r = client.post(f"{API}/notices/{no}/print", headers=guide)
    assert r.status_code == 422 and r.json()["error"]["code"] == "window_required"
    assert client.post(f"{API}/notices/{no}/print", json={"window": 1}, headers=guide).status_code == 200
    r = client.post(f"{API}/notices/{no}/print", json={"window": 3}, headers=win)
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_window"
    # No printer at window 3: the A4 page instead; paper out at window 2: said, not a 500.
    r = client.post(f"{API}/notices/{no}/print", headers=h.headers("window", 3))
    assert r.status_code == 409 and r.json()["error"]["code"] == "printer_not_configured"
    assert r.json()["error"]["message"].startswith("3 号窗口没有配置打印机")
    r = client.post(f"{API}/notices/{no}/print", headers=h.headers("window", 2))
    assert r.status_code == 503 and r.json()["error"]["code"] == "printer_unavailable"
    assert client.post(f"{API}/notices/{no}/print", headers=h.headers("kiosk")).status_code == 403


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"item": "nope", "missing": [1]}, 422, "unknown_item"),
    ({"item": "mortgage_new", "missing": [1]}, 422, "item_not_for_business"),
    ({"item": "second_hand", "missing": []}, 422, "no_materials_ticked"),
    ({"item": "second_hand", "missing": [9]}, 422, "unknown_material"),
    ({"item": "second_hand", "missing": [1], "note": "x" * 301}, 422, "invalid_input"),
    ({"item": "second_hand"}, 422, "invalid_input"),
    ({"item": "second_hand", "missing": ["a"]}, 422, "invalid_input"),
])
def test_bad_refusals_are_typed_4xx_and_change_nothing(hall, body, status, code):
    client, h = hall
    t, win = serve(client, h)
    r = client.post(f"{API}/tickets/{t['id']}/refuse", json=body, headers=win)
    assert r.status_code == status and r.json()["error"]["code"] == code, r.text
    assert " / " in r.json()["error"]["message"]
    assert client.get(f"{API}/tickets/{t['id']}", headers=win).json()["status"] == "called"


def test_only_the_ticket_being_served_at_this_window_is_refused(hall):
    client, h = hall
    t, win = serve(client, h)
    other = h.headers("window", 2)
    r = client.post(f"{API}/tickets/{t['id']}/refuse", json={"item": "second_hand", "missing": [1]},
                    headers=other)
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_window"
    waiting = client.post(f"{API}/tickets", json={"business": "transfer"}, headers=h.kiosk()).json()
    r = client.post(f"{API}/tickets/{waiting['id']}/refuse", json={"item": "second_hand", "missing": [1]},
                    headers=win)
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_window"
    # A guide may act at any window, but a waiting ticket is being served nowhere.
    r = client.post(f"{API}/tickets/{waiting['id']}/refuse", json={"item": "second_hand", "missing": [1]},
                    headers=h.headers("guide"))
    assert r.status_code == 409 and "不能不予受理" in r.json()["error"]["message"]
    assert client.post(f"{API}/tickets/{t['id']}/refuse", json={"item": "second_hand", "missing": [1]},
                       headers=h.kiosk()).status_code == 403
    r = client.post(f"{API}/tickets/nope/refuse", json={"item": "second_hand", "missing": [1]},
                    headers=win)
    assert r.status_code == 404


def test_pre_check_is_the_desks_and_names_an_item_of_the_business(hall):
    client, h = hall
    r = client.post(f"{API}/tickets", json={"business": "transfer", "precheck": {"item": "second_hand"}},
                    headers=h.kiosk())
    assert r.status_code == 403 and r.json()["error"]["code"] == "precheck_forbidden"
    guide = h.headers("guide")
    r = client.post(f"{API}/tickets", json={"business": "transfer", "precheck": {"item": "mortgage_new"}},
                    headers=guide)
    assert r.status_code == 422 and r.json()["error"]["code"] == "item_not_for_business"
    r = client.post(f"{API}/tickets", json={"business": "transfer", "precheck": {"item": "zzz"}},
                    headers=guide)
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_item"
    plain = client.post(f"{API}/tickets", json={"business": "transfer"}, headers=guide).json()
    assert plain["prechecked"] is False and plain["precheck_item"] is None


def test_the_days_figures_count_refusals_with_and_without_pre_check(hall):
    client, h = hall
    for precheck, refused in (("second_hand", True), ("second_hand", False), (None, True)):
        t, win = serve(client, h, precheck=precheck)
        if refused:
            client.post(f"{API}/tickets/{t['id']}/refuse", json={"item": "second_hand", "missing": [1]},
                        headers=win).raise_for_status()
        else:
            client.post(f"{API}/tickets/{t['id']}/complete", headers=win).raise_for_status()
    day = t["day"]
    report = client.get(f"{API}/reports?from={day}&to={day}&by=business", headers=h.headers("manager")).json()
    total = report["totals"]
    assert (total["served"], total["refused"], total["prechecked"]) == (1, 2, 2)
    assert total["refusal_rate"] == 0.667
    assert total["refusal_rate_prechecked"] == 0.5 and total["refusal_rate_unchecked"] == 1.0
    csv = client.get(f"{API}/reports?from={day}&to={day}&by=business&format=csv",
                     headers=h.headers("manager")).text
    assert "不予受理 / refused" in csv and "预审后不予受理率" in csv


def refuse(client: TestClient, t: dict, win: dict, item: str = "second_hand") -> str:
    r = client.post(f"{API}/tickets/{t['id']}/refuse", json={"item": item, "missing": [1]},
                    headers=win)
    assert r.status_code == 201, r.text
    return r.json()["notice"]["no"]


def visits(client: TestClient, h: AppHandle, no: str) -> list[tuple[str, str]]:
    r = client.get(f"{API}/notices/{no}", headers=h.headers("guide"))
    assert r.status_code == 200, r.text
    return [(v["number"], v["by"]) for v in r.json()["later_visits"]]


def issue(client: TestClient, headers: dict, **body) -> dict:
    r = client.post(f"{API}/tickets", json={"business": "transfer", **body}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_a_ticket_that_names_the_notice_is_its_next_visit_without_a_card(hall):
    client, h = hall
    t, win = serve(client, h)  # no ID card read: nothing else could link the next visit
    no = refuse(client, t, win)
    assert visits(client, h, no) == []
    # The desk types it as read out (spaces, lower case); a kiosk sends it off the slip.
    guide = issue(client, h.headers("guide"), notice=f"  {no.lower()} ",
                  precheck={"item": "second_hand"})
    assert guide["follows_notice"] == no and guide["precheck_item"] == "second_hand"
    kiosk = issue(client, h.kiosk(), notice=no)
    assert kiosk["follows_notice"] == no
    plain = issue(client, h.headers("guide"))  # the same business, naming nothing
    assert plain["follows_notice"] is None
    assert visits(client, h, no) == [(guide["number"], "notice"), (kiosk["number"], "notice")]
    # Stored, not held in memory only: the ticket read back says so, and its history.
    assert client.get(f"{API}/tickets/{guide['id']}", headers=win).json()["follows_notice"] == no
    issued = client.get(f"{API}/tickets/{guide['id']}/history", headers=win).json()[0]
    assert issued["type"] == "ticket.issued" and issued["data"]["notice"] == no


def test_the_same_card_counts_for_the_notices_item_or_else_its_business(hall):
    client, h = hall
    t, win = serve(client, h, applicant=True)
    no = refuse(client, t, win)  # refused for second_hand
    guide = h.headers("guide")

    def visit(business: str = "transfer", who: dict = APPLICANT, **body) -> dict:
        # One waiting ticket per card and business: each visit is cancelled before the next.
        r = client.post(f"{API}/tickets", json={"business": business, "applicant": who, **body},
                        headers=guide)
        assert r.status_code == 201, r.text
        client.post(f"{API}/tickets/{r.json()['id']}/cancel", headers=guide).raise_for_status()
        return r.json()

    same_item = visit(precheck={"item": "second_hand"})
    visit(precheck={"item": "gift"})  # pre-checked for another item of the business
    unchecked = visit()  # not pre-checked: the business is all there is to go by
    named = visit(precheck={"item": "gift"}, notice=no)  # another item, but it names it
    visit(who={"id_number": "110105198001010032", "name": "赵六"})  # someone else's card
    visit("mortgage")  # the same card, another business
    assert visits(client, h, no) == [(same_item["number"], "applicant"),
                                     (unchecked["number"], "applicant"),
                                     (named["number"], "notice")]


@pytest.mark.parametrize(("notice", "business", "code"), [
    ("not a number", "transfer", "invalid_notice_no"),
    ("MINI-2026-1", "transfer", "invalid_notice_no"),
    ("OTHER1-20260101-0001", "transfer", "notice_other_hall"),
    ("MINI-20000101-0001", "transfer", "unknown_notice"),
    (None, "mortgage", "notice_business_mismatch"),  # None: the day's real notice
    ("x" * 41, "transfer", "invalid_input"),
    ("", "transfer", "invalid_input"),
    (17, "transfer", "invalid_input"),
])
def test_bad_follow_ups_are_typed_4xx_and_issue_nothing(hall, notice, business, code):
    client, h = hall
    t, win = serve(client, h)
    no = refuse(client, t, win)
    before = len(client.get(f"{API}/tickets", headers=win).json())
    for headers in (h.headers("guide"), h.kiosk()):
        r = client.post(f"{API}/tickets", json={"business": business,
                                                "notice": no if notice is None else notice},
                        headers=headers)
        assert r.status_code == 422 and r.json()["error"]["code"] == code, r.text
        zh, _, en = r.json()["error"]["message"].partition(" / ")
        assert zh and en and not zh.isascii(), r.json()["error"]["message"]
    assert len(client.get(f"{API}/tickets", headers=win).json()) == before
    assert visits(client, h, no) == []
