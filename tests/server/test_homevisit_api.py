"""上门服务 through the API on SQLite and PostgreSQL: a request from the phone (the booking's
SMS code proves it) or the desk, the address and phone sealed at rest and masked in
lists, guides scheduling to a crew's window, the crew's day in route order, outcomes,
SMS confirmations, the figures, and every refusal typed, a 4xx, Chinese first."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from queue_server.store.tables import home_visits, notify_outbox
from tests.cases.helpers import PHONE_LI, PHONE_ZHANG
from tests.conftest import FIXTURES
from tests.server.test_booking_api import phone_pass, refusal

LAYOUT = FIXTURES / "homevisit.toml"
TUE, WED = "2026-11-24", "2026-11-25"  # the test clock is Monday 2026-11-23 09:00
ADDRESS = "雁峰区先锋路88号幸福小区3栋2单元501"


@pytest.fixture
def visits(make_app):
    h = make_app(LAYOUT)  # no slip key: home visits need none
    return TestClient(h.app), h


def ask(c: TestClient, *, headers=None, token=None, phone=PHONE_ZHANG, district="雁峰区",
        address=ADDRESS, days=(TUE, WED), **extra):
    body = {"business": "transfer", "reason": "elderly", "name": "张三丰", "district": district,
            "address": address, "phone": phone, "preferred_days": list(days), **extra}
    if token:
        body["phone_pass"] = token
    return c.post("/api/v1/home-visits", json=body, headers=headers or {})


def outbox_bodies(h, kind: str) -> list[str]:
    with h.app.state.store.engine.connect() as conn:
        return [r[0] for r in conn.execute(select(notify_outbox.c.body).where(
            notify_outbox.c.kind == kind)).all()]


def test_phone_request_is_sealed_masked_and_confirmed_by_sms(visits):
    c, h = visits
    opts = c.get("/api/v1/home-visits/options").json()
    assert opts["districts"] == ["雁峰区", "珠晖区", "石鼓区"]
    assert opts["windows"] == ["09:00-11:30", "14:30-17:00"]
    assert opts["days"][0] == TUE and "2026-11-28" not in opts["days"]  # Saturday
    refusal(ask(c), 403, "phone_unverified")  # no pass: the phone is not proven
    token = phone_pass(c, h)
    r = ask(c, token=token)
    assert r.status_code == 201, r.text
    v = r.json()
    assert v["status"] == "requested" and v["channel"] == "phone"
    assert v["phone_masked"] == "138****5678" and v["name_masked"] == "张*丰"
    assert "3栋" not in v["address_masked"] and v["address_masked"].startswith("雁峰区")
    # At rest: neither the address nor the phone nor the name is in the row in clear.
    with h.app.state.store.engine.connect() as conn:
        row = conn.execute(select(home_visits).where(home_visits.c.code == v["code"])).one()
    flat = " ".join(str(x) for x in row)
    assert ADDRESS not in flat and PHONE_ZHANG not in flat and "张三丰" not in flat
    assert row.address_sealed.startswith("v2.")
    assert any(v["code"] in b and "上门服务申请" in b for b in outbox_bodies(h, "visit_received"))
    mine = c.post("/api/v1/home-visits/mine", json={"phone": PHONE_ZHANG, "phone_pass": token})
    assert [m["code"] for m in mine.json()] == [v["code"]]
    # Another phone's pass sees none of it, and cannot cancel it.
    other = phone_pass(c, h, PHONE_LI)
    assert c.post("/api/v1/home-visits/mine", json={"phone": PHONE_LI,
                                                    "phone_pass": other}).json() == []
    refusal(c.post(f"/api/v1/home-visits/{v['code']}/cancel",
                   json={"phone": PHONE_LI, "phone_pass": other}), 404, "visit_unknown")
    gone = c.post(f"/api/v1/home-visits/{v['code']}/cancel",
                  json={"phone": PHONE_ZHANG, "phone_pass": token})
    assert gone.json()["status"] == "cancelled"


def test_desk_request_schedule_day_list_in_route_order_and_outcomes(visits):
    c, h = visits
    guide = h.headers("guide")
    made = []
    for district, address in (("石鼓区", "石鼓区中山北路12号"), ("雁峰区", ADDRESS),
                              ("珠晖区", "珠晖区东风路5号院1栋")):
        r = ask(c, headers=guide, district=district, address=address)
        assert r.status_code == 201, r.text
        assert r.json()["channel"] == "desk"
        made.append(r.json()["code"])
    listed = c.get("/api/v1/home-visits", headers=guide).json()
    assert {v["code"] for v in listed} == set(made)
    assert all("号" not in v["address_masked"][8:] for v in listed)
    for code, window in zip(made, ("09:00-11:30", "09:00-11:30", "14:30-17:00"), strict=True):
        r = c.post(f"/api/v1/home-visits/{code}/schedule", headers=guide,
                   json={"team": "team1", "day": TUE, "time_window": window})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "scheduled"
    sms = outbox_bodies(h, "visit_scheduled")
    assert len(sms) == 3 and any("11月24日 周二 09:00–11:30" in b for b in sms)
    day = c.get("/api/v1/home-visits/day", headers=guide, params={"day": TUE, "team": "team1"})
    assert day.status_code == 200, day.text
    stops = day.json()["visits"]
    # Morning window first, then the layout's district order: 雁峰区 before 石鼓区.
    assert [(s["stop"], s["district"], s["window_start"]) for s in stops] == [
        (1, "雁峰区", "09:00"), (2, "石鼓区", "09:00"), (3, "珠晖区", "14:30")]
    assert stops[0]["address"] == ADDRESS and stops[0]["phone"] == PHONE_ZHANG
    assert stops[0]["name"] == "张三丰"
    r = c.post(f"/api/v1/home-visits/{made[1]}/outcome", headers=guide,
               json={"outcome": "done", "note": "已签字"})
    assert r.json()["status"] == "done"
    r = c.post(f"/api/v1/home-visits/{made[0]}/outcome", headers=guide,
               json={"outcome": "nobody_home"})
    assert r.json()["status"] == "nobody_home" and r.json()["attempts"] == 1
    refusal(c.post(f"/api/v1/home-visits/{made[1]}/outcome", headers=guide,
                   json={"outcome": "refused"}), 409, "visit_state")
    # Nobody home goes back to the guides, who schedule it again.
    assert made[0] in {v["code"] for v in c.get("/api/v1/home-visits", headers=guide).json()}
    r = c.post(f"/api/v1/home-visits/{made[0]}/schedule", headers=guide,
               json={"team": "team1", "day": WED, "time_window": "09:00-11:30"})
    assert r.json()["status"] == "scheduled" and r.json()["attempts"] == 1
    c.post(f"/api/v1/home-visits/{made[2]}/outcome", headers=guide,
           json={"outcome": "refused", "note": "家属已代为到厅办理"})
    s = c.get("/api/v1/home-visits/summary", headers=h.headers("manager"),
              params={"from": "2026-11-23", "to": "2026-11-30"})
    assert s.status_code == 200, s.text
    fig = s.json()
    assert fig["requested"] == 3 and fig["visits"]["done"] == 1
    # Scheduled in the week: all three (the one scheduled again counts once, by its
    # newest scheduling), whatever became of them since.
    assert fig["visits"]["refused"] == 1 and fig["visits"]["scheduled"] == 3
    assert fig["teams"][0]["team"] == "team1" and fig["teams"][0]["done"] == 1


def test_crew_window_is_never_overfilled_even_by_two_guides_at_once(visits):
    c, h = visits
    guide = h.headers("guide")
    codes = [ask(c, headers=guide).json()["code"] for _ in range(4)]

    def put(code: str):
        return c.post(f"/api/v1/home-visits/{code}/schedule", headers=guide,
                      json={"team": "team1", "day": TUE, "time_window": "09:00-11:30"})

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(put, codes))
    assert sorted(r.status_code for r in results) == [200, 200, 409, 409]
    for r in results:
        if r.status_code == 409:
            refusal(r, 409, "visit_window_full")
    with h.app.state.store.engine.connect() as conn:
        taken = conn.execute(text("SELECT taken FROM home_visit_load")).scalar_one()
    assert taken == 2


def test_bad_input_is_typed_and_chinese_first(visits):
    c, h = visits
    guide = h.headers("guide")
    refusal(ask(c, headers=guide, days=("2026-11-28",)), 422, "visit_days")  # Saturday
    refusal(ask(c, headers=guide, days=("2026-11-23",)), 422, "visit_days")  # today
    refusal(ask(c, headers=guide, days=("2027-01-30",)), 422, "visit_days")  # too far
    refusal(ask(c, headers=guide, district="岳麓区"), 422, "visit_district")
    refusal(ask(c, headers=guide, address="先锋路"), 422, "visit_address")
    refusal(ask(c, headers=guide, reason="bored"), 422, "visit_reason")
    refusal(ask(c, headers=guide, reason="other"), 422, "visit_reason")  # needs words
    refusal(ask(c, headers=guide, business="tax"), 409, "visit_business")
    refusal(ask(c, headers=guide, phone="12345"), 422, "invalid_phone")
    code = ask(c, headers=guide, district="雁峰区").json()["code"]
    refusal(c.post(f"/api/v1/home-visits/{code}/schedule", headers=guide,
                   json={"team": "bus", "day": TUE, "time_window": "09:00-11:30"}),
            409, "visit_team_district")  # the vehicle does not go to 雁峰区
    refusal(c.post(f"/api/v1/home-visits/{code}/schedule", headers=guide,
                   json={"team": "team1", "day": "2026-11-29", "time_window": "09:00-11:30"}),
            422, "visit_day")
    refusal(c.post(f"/api/v1/home-visits/{code}/schedule", headers=guide,
                   json={"team": "team1", "day": TUE, "time_window": "12:00-13:00"}),
            422, "visit_window")
    refusal(c.post(f"/api/v1/home-visits/{code}/schedule", headers=guide,
                   json={"team": "nobody", "day": TUE, "time_window": "09:00-11:30"}),
            422, "visit_team")
    refusal(c.post(f"/api/v1/home-visits/{code}/outcome", headers=guide,
                   json={"outcome": "done"}), 409, "visit_state")  # not scheduled yet
    refusal(c.post("/api/v1/home-visits/VNOSUCH1/schedule", headers=guide,
                   json={"team": "team1", "day": TUE, "time_window": "09:00-11:30"}),
            404, "visit_unknown")
    # Roles: a kiosk may not take a desk request or read the crew's addresses.
    kiosk = h.kiosk()
    refusal(ask(c, headers=kiosk), 403, "forbidden")
    refusal(c.get("/api/v1/home-visits/day", headers=kiosk, params={"day": TUE}),
            403, "forbidden")
    assert c.get("/api/v1/home-visits/day", params={"day": TUE}).status_code == 401
    refusal(c.get("/api/v1/home-visits/summary", headers=guide,
                  params={"from": "2026-11-30", "to": "2026-11-01"}), 422, "invalid_range")


def test_a_phone_may_hold_only_a_few_open_requests(visits):
    c, h = visits
    token = phone_pass(c, h)
    for _ in range(3):
        assert ask(c, token=token).status_code == 201
    refusal(ask(c, token=token), 409, "visit_limit")


def test_a_hall_without_home_visits_says_so(make_app):
    h = make_app(FIXTURES / "booking.toml")
    c = TestClient(h.app)
    refusal(c.get("/api/v1/home-visits/options"), 404, "visits_unavailable")
    refusal(ask(c, headers=h.headers("guide")), 404, "visits_unavailable")


def test_a_visit_the_crew_must_reschedule_goes_back_to_the_guides_and_is_counted(visits):
    """需改期: the crew's "rescheduled" is open again for the guides, who give it a new day
    (a second SMS), and the figures count it; a rescheduled visit takes no outcome until
    it is scheduled again."""
    c, h = visits
    guide = h.headers("guide")
    code = ask(c, headers=guide).json()["code"]
    put = {"team": "team1", "day": TUE, "time_window": "09:00-11:30"}
    assert c.post(f"/api/v1/home-visits/{code}/schedule", headers=guide, json=put
                  ).status_code == 200
    r = c.post(f"/api/v1/home-visits/{code}/outcome", headers=guide,
               json={"outcome": "rescheduled", "note": "老人住院，下周再约"})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["status_zh"]) == ("rescheduled", "需改期")
    assert code in {v["code"] for v in c.get("/api/v1/home-visits", headers=guide).json()}
    refusal(c.post(f"/api/v1/home-visits/{code}/outcome", headers=guide,
                   json={"outcome": "done"}), 409, "visit_state")
    s = c.get("/api/v1/home-visits/summary", headers=h.headers("manager"),
              params={"from": "2026-11-23", "to": "2026-11-30"}).json()
    assert s["visits"]["rescheduled"] == 1 and s["waiting"] == 1
    again = c.post(f"/api/v1/home-visits/{code}/schedule", headers=guide,
                   json={**put, "day": WED})
    assert again.status_code == 200 and again.json()["visit_day"] == WED
    assert len(outbox_bodies(h, "visit_scheduled")) == 2


def test_a_month_s_figures_count_what_happened_in_it_and_stay_put(visits):
    """A manager comparing months: visits requested and scheduled in November but done
    (or refused) in December count as done in December, not November, and November's
    figures read the same before and after December's outcomes."""
    c, h = visits
    guide, manager = h.headers("guide"), h.headers("manager")
    codes = [ask(c, headers=guide).json()["code"] for _ in range(3)]
    for code, window in zip(codes, ("09:00-11:30", "09:00-11:30", "14:30-17:00"),
                            strict=True):
        r = c.post(f"/api/v1/home-visits/{code}/schedule", headers=guide,
                   json={"team": "team1", "day": "2026-11-30", "time_window": window})
        assert r.status_code == 200, r.text

    def month(first: str, last: str) -> dict:
        r = c.get("/api/v1/home-visits/summary", headers=manager,
                  params={"from": first, "to": last})
        assert r.status_code == 200, r.text
        fig = r.json()
        fig.pop("waiting")  # by today's state on purpose: the guides' work list
        return fig

    november = month("2026-11-01", "2026-11-30")
    assert november["requested"] == 3 and november["visits"]["scheduled"] == 3
    assert november["visits"]["done"] == 0

    h.clock.advance(days=8)  # Tuesday 1 December: the crew records the visits late
    for code, outcome in zip(codes, ("done", "done", "refused"), strict=True):
        r = c.post(f"/api/v1/home-visits/{code}/outcome", headers=guide,
                   json={"outcome": outcome, "note": "家属已代为到厅办理"})
        assert r.status_code == 200, r.text

    assert month("2026-11-01", "2026-11-30") == november
    december = month("2026-12-01", "2026-12-31")
    assert december["requested"] == 0 and december["visits"]["scheduled"] == 0
    assert december["visits"]["done"] == 2 and december["visits"]["refused"] == 1
    assert december["teams"][0]["team"] == "team1" and december["teams"][0]["done"] == 2
    # The backlog at each month's end: all three open on 30 November, none on 31 December.
    assert (november["open_at_end"], december["open_at_end"]) == (3, 0)
