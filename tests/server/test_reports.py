"""GET /reports: a day whose figures were worked out by hand, through the real API.

The day (Shanghai time, mini layout, every action at a known minute):

    09:00  A001 (transfer) and B001 (mortgage) issued; staff 1001 signs in at window 1
    09:05  A001 called at 1;  09:06 recalled (the last call counts: wait 6)
    09:08  A001 started (walk 2)
    09:10  B001 called at 2 (wait 10);  09:12 no-show
    09:15  A002 (transfer) issued
    09:20  A001 completed (service 12), rated 5 at window 1's pad
    09:25  A002 called at 1 (wait 10);  09:27 started;  09:30 transferred to mortgage
    09:30  T001 (tax) issued;  09:35 Q001 (query) issued
    09:40  A002 called at 2 from the mortgage queue (wait 10, counted from 09:30)
    09:41  started;  09:45 Q001 cancelled;  09:50 A002 completed (service 9), rated 2
           (a bad review: its work order is replied to the same day, in time)
    09:55  T001 called at 3 (wait 25, past the 20-minute target);  10:00 started
    10:10  T001 completed (service 10), rated 4
    10:20  A003 (transfer) issued, never called: abandoned at the 19:00 clear

Windows 1–4 are open front windows (5 is back office, 6 closed); the working span is
09:00–10:20. Idle: window 1 5+5+50 = 60 (all under 1001), window 2 10+28+30 = 68,
window 3 55+10 = 65, window 4 80; 273 in all.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from queue_server.domain import kpi
from queue_server.store.reports import Reports
from queue_server.store.tables import report_days
from tests.server.conftest import AppHandle

API = "/api/v1"
DAY = "2026-11-23"


def _hall_day(client: TestClient, h: AppHandle) -> dict[str, str]:
    guide, manager = h.headers("guide"), h.headers("manager")
    assert client.post(f"{API}/staff", json={"number": "1001", "name": "张伟"},
                       headers=h.headers("admin")).status_code in (200, 201)
    ids: dict[str, str] = {}

    def at(minutes: int) -> None:
        # Minutes after 09:00 local (01:00 UTC), the clock only moving forward.
        target = h.clock.now.replace(hour=1, minute=0) + timedelta(minutes=minutes)
        assert target >= h.clock.now
        h.clock.now = target

    def issue(name: str, business: str) -> None:
        r = client.post(f"{API}/tickets", json={"business": business}, headers=h.headers("kiosk"))
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]

    def act(name: str, action: str, **body: Any) -> None:
        r = client.post(f"{API}/tickets/{ids[name]}/{action}", json=body or None, headers=guide)
        assert r.status_code == 200, r.text

    def rate(name: str, window: int, rating: int) -> dict[str, Any]:
        body: dict[str, Any] = {"rating": rating}
        if rating <= 2:
            body["reason"] = "slow"
        r = client.post(f"{API}/tickets/{ids[name]}/evaluation", json=body,
                        headers=h.headers("pad", window))
        assert r.status_code == 201, r.text
        return r.json()

    at(0)
    issue("a", "transfer")
    issue("b", "mortgage")
    r = client.post(f"{API}/windows/1/sign-in", json={"staff": "1001"}, headers=guide)
    assert r.status_code == 200, r.text
    at(5)
    act("a", "call", window=1)
    at(6)
    act("a", "recall")
    at(8)
    act("a", "start")
    at(10)
    act("b", "call", window=2)
    at(12)
    act("b", "no-show")
    at(15)
    issue("c", "transfer")
    at(20)
    act("a", "complete")
    rate("a", 1, 5)
    at(25)
    act("c", "call", window=1)
    at(27)
    act("c", "start")
    at(30)
    act("c", "transfer", business="mortgage")
    issue("d", "tax")
    at(35)
    issue("e", "query")
    at(40)
    act("c", "call", window=2)
    at(41)
    act("c", "start")
    at(45)
    act("e", "cancel")
    at(50)
    act("c", "complete")
    bad = rate("c", 2, 2)
    order = bad["work_order"]["id"]
    for step in ("verify", "rectify", "reply"):
        r = client.post(f"{API}/followups/{order}/steps", json={"step": step, "note": "已处理"},
                        headers=manager)
        assert r.status_code == 200, r.text
    at(55)
    act("d", "call", window=3)
    at(60)
    act("d", "start")
    at(70)
    act("d", "complete")
    rate("d", 3, 4)
    at(80)
    issue("f", "transfer")
    return ids


def _get(client: TestClient, h: AppHandle, by: str, role: str = "manager", **extra: str
         ) -> Any:
    r = client.get(f"{API}/reports", params={"from": DAY, "to": DAY, "by": by, **extra},
                   headers=h.headers(role))
    assert r.status_code == 200, r.text
    return r


def _close_day(client: TestClient, h: AppHandle) -> None:
    h.clock.now = h.clock.now.replace(hour=11, minute=1)  # 19:01 in Shanghai
    h.app.state.hall.turn_over_if_due()


def _pick(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {n: row[n] for n in names}


CORE = ("arrived", "called", "served", "no_show", "no_show_rate", "cancelled", "abandoned",
        "transferred", "open", "mean_wait_min", "p90_wait_min", "max_wait_min",
        "mean_service_min", "p90_service_min", "mean_walk_min", "service_level",
        "evaluations", "evaluation_rate", "satisfaction_rate", "bad_reviews", "work_orders",
        "replied_in_time", "in_time_rate", "idle_min")


def fig(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = dict(
        arrived=0, called=0, served=0, no_show=0, no_show_rate=None, cancelled=0, abandoned=0,
        transferred=0, open=0, mean_wait_min=None, p90_wait_min=None, max_wait_min=None,
        mean_service_min=None, p90_service_min=None, mean_walk_min=None, service_level=None,
        evaluations=0, evaluation_rate=None, satisfaction_rate=None, bad_reviews=0,
        work_orders=0, replied_in_time=0, in_time_rate=None, idle_min=0.0)
    base.update(kw)
    return base


TOTALS = fig(arrived=7, called=5, served=3, no_show=1, no_show_rate=0.2, cancelled=1,
             abandoned=1, transferred=1, mean_wait_min=12.2, p90_wait_min=25.0,
             max_wait_min=25.0, mean_service_min=10.33, p90_service_min=12.0,
             mean_walk_min=2.5, service_level=0.8, evaluations=3, evaluation_rate=1.0,
             satisfaction_rate=0.667, bad_reviews=1, work_orders=1, replied_in_time=1,
             in_time_rate=1.0, idle_min=273.0)


def test_a_day_worked_out_by_hand(api: tuple[TestClient, AppHandle]):
    client, h = api
    _hall_day(client, h)

    # While the day runs (10:30): A003 is still waiting and the windows idle on to now.
    h.clock.now = h.clock.now.replace(hour=2, minute=30)
    live = _get(client, h, "business").json()
    assert live["running"] is True
    assert _pick(live["totals"], "arrived", "open", "abandoned", "idle_min") == {
        "arrived": 7, "open": 1, "abandoned": 0, "idle_min": 313.0}

    _close_day(client, h)

    body = _get(client, h, "business").json()
    assert (body["from"], body["to"], body["by"], body["running"]) == (DAY, DAY, "business",
                                                                      False)
    rows = {r["key"]: _pick(r, *CORE) for r in body["rows"]}
    assert [r["key"] for r in body["rows"]] == ["transfer", "mortgage", "tax", "query"]
    assert rows["transfer"] == fig(
        arrived=3, called=2, served=1, no_show_rate=0.0, abandoned=1, transferred=1,
        mean_wait_min=8.0, p90_wait_min=10.0, max_wait_min=10.0, mean_service_min=12.0,
        p90_service_min=12.0, mean_walk_min=2.0, service_level=1.0, evaluations=1,
        evaluation_rate=1.0, satisfaction_rate=1.0, idle_min=None)
    assert rows["mortgage"] == fig(
        arrived=2, called=2, served=1, no_show=1, no_show_rate=0.5, mean_wait_min=10.0,
        p90_wait_min=10.0, max_wait_min=10.0, mean_service_min=9.0, p90_service_min=9.0,
        mean_walk_min=1.0, service_level=1.0, evaluations=1, evaluation_rate=1.0,
        satisfaction_rate=0.0, bad_reviews=1, work_orders=1, replied_in_time=1,
        in_time_rate=1.0, idle_min=None)
    assert rows["tax"] == fig(
        arrived=1, called=1, served=1, no_show_rate=0.0, mean_wait_min=25.0, p90_wait_min=25.0,
        max_wait_min=25.0, mean_service_min=10.0, p90_service_min=10.0, mean_walk_min=5.0,
        service_level=0.0, evaluations=1, evaluation_rate=1.0, satisfaction_rate=1.0,
        idle_min=None)
    assert rows["query"] == fig(arrived=1, cancelled=1, idle_min=None)
    assert _pick(body["totals"], *CORE) == TOTALS
    assert body["rows"][0]["label"] == "转移登记"

    win = _get(client, h, "window").json()
    rows = {r["key"]: _pick(r, *CORE) for r in win["rows"]}
    assert list(rows) == ["1", "2", "3", "4"]
    assert rows["1"] == fig(
        arrived=2, called=2, served=1, no_show_rate=0.0, transferred=1, mean_wait_min=8.0,
        p90_wait_min=10.0, max_wait_min=10.0, mean_service_min=12.0, p90_service_min=12.0,
        mean_walk_min=2.0, service_level=1.0, evaluations=1, evaluation_rate=1.0,
        satisfaction_rate=1.0, idle_min=60.0)
    assert rows["2"] == fig(
        arrived=2, called=2, served=1, no_show=1, no_show_rate=0.5, mean_wait_min=10.0,
        p90_wait_min=10.0, max_wait_min=10.0, mean_service_min=9.0, p90_service_min=9.0,
        mean_walk_min=1.0, service_level=1.0, evaluations=1, evaluation_rate=1.0,
        satisfaction_rate=0.0, bad_reviews=1, work_orders=1, replied_in_time=1,
        in_time_rate=1.0, idle_min=68.0)
    assert rows["3"] == fig(
        arrived=1, called=1, served=1, no_show_rate=0.0, mean_wait_min=25.0, p90_wait_min=25.0,
        max_wait_min=25.0, mean_service_min=10.0, p90_service_min=10.0, mean_walk_min=5.0,
        service_level=0.0, evaluations=1, evaluation_rate=1.0, satisfaction_rate=1.0,
        idle_min=65.0)
    assert rows["4"] == fig(idle_min=80.0)
    assert _pick(win["totals"], *CORE) == TOTALS

    staff = _get(client, h, "staff").json()
    rows = {r["key"]: _pick(r, *CORE) for r in staff["rows"]}
    assert [(r["key"], r["label"], r["label_en"]) for r in staff["rows"]] == [
        ("", "未签到", "not signed in"), ("1001", "1001", "1001")]
    assert rows[""] == fig(
        arrived=3, called=3, served=2, no_show=1, no_show_rate=0.333, mean_wait_min=15.0,
        p90_wait_min=25.0, max_wait_min=25.0, mean_service_min=9.5, p90_service_min=10.0,
        mean_walk_min=3.0, service_level=0.667, evaluations=2, evaluation_rate=1.0,
        satisfaction_rate=0.5, bad_reviews=1, work_orders=1, replied_in_time=1,
        in_time_rate=1.0, idle_min=213.0)
    assert rows["1001"] == {**fig(
        arrived=2, called=2, served=1, no_show_rate=0.0, transferred=1, mean_wait_min=8.0,
        p90_wait_min=10.0, max_wait_min=10.0, mean_service_min=12.0, p90_service_min=12.0,
        mean_walk_min=2.0, service_level=1.0, evaluations=1, evaluation_rate=1.0,
        satisfaction_rate=1.0, idle_min=60.0)}

    hour = _get(client, h, "hour").json()
    rows = {r["key"]: _pick(r, *CORE) for r in hour["rows"]}
    assert list(rows) == ["09:00", "09:30", "10:00"]
    assert rows["09:00"] == fig(
        arrived=3, called=3, served=1, no_show=1, no_show_rate=0.333, transferred=1,
        mean_wait_min=8.67, p90_wait_min=10.0, max_wait_min=10.0, mean_service_min=12.0,
        p90_service_min=12.0, mean_walk_min=2.0, service_level=1.0, evaluations=1,
        evaluation_rate=1.0, satisfaction_rate=1.0, idle_min=98.0)
    assert rows["09:30"] == fig(
        arrived=3, called=2, served=2, no_show_rate=0.0, cancelled=1, mean_wait_min=17.5,
        p90_wait_min=25.0, max_wait_min=25.0, mean_service_min=9.5, p90_service_min=10.0,
        mean_walk_min=3.0, service_level=0.5, evaluations=2, evaluation_rate=1.0,
        satisfaction_rate=0.5, bad_reviews=1, work_orders=1, replied_in_time=1,
        in_time_rate=1.0, idle_min=105.0)
    assert rows["10:00"] == fig(arrived=1, abandoned=1, idle_min=70.0)

    zone = _get(client, h, "zone").json()
    assert [(r["key"], r["label"], r["arrived"], r["idle_min"]) for r in zone["rows"]] == [
        ("front", "综合区", 5, 273.0)]

    # The exports hold the same rows and totals as the JSON.
    for by in ("business", "staff"):
        body = _get(client, h, by).json()
        expected = [[row[k] for k, _ in kpi.COLUMNS]
                    for row in [*body["rows"], body["totals"]]]
        r = _get(client, h, by, format="csv")
        assert r.headers["content-type"].startswith("text/csv")
        assert r.content.startswith("\ufeff".encode())
        lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert lines[0] == [head for _, head in kpi.COLUMNS]
        assert lines[0][3] == "取号 / arrived"
        assert lines[1:] == [[_text(v) for v in row] for row in expected]

        r = _get(client, h, by, format="xlsx")
        assert "attachment" in r.headers["content-disposition"]
        ws = load_workbook(io.BytesIO(r.content)).active
        cells = [list(row) for row in ws.iter_rows(values_only=True)]
        assert cells[0] == [head for _, head in kpi.COLUMNS]
        assert cells[1:] == [[_xl(v) for v in row] for row in expected]


    # Every report of the closed day above came from its roll-ups (made by the first one):
    # they say what the transitions say.
    with h.app.state.store.engine.connect() as conn:
        kept = {r.by for r in conn.execute(report_days.select())}
    assert kept == {b.value for b in kpi.By}
    reader = Reports(h.app.state.store.engine)
    setup = kpi.Setup.of(h.app.state.hall.layout)
    data = reader.read(date(2026, 11, 23), date(2026, 11, 23), setup)
    for by in kpi.By:
        rows, totals = kpi.report(by, setup, data.tickets, data.transitions, data.ratings,
                                  data.orders, today=date(2026, 11, 24))
        body = _get(client, h, by.value).json()
        assert (body["rows"], body["totals"]) == (rows, totals)


def test_a_closed_days_work_orders_count_as_they_stand_now(api):
    client, h = api
    guide, manager = h.headers("guide"), h.headers("manager")
    t = client.post(f"{API}/tickets", json={"business": "query"}, headers=h.headers("kiosk"))
    tid = t.json()["id"]
    h.clock.advance(minutes=3)
    for action, body in (("call", {"window": 4}), ("complete", None)):
        assert client.post(f"{API}/tickets/{tid}/{action}", json=body,
                           headers=guide).status_code == 200
    r = client.post(f"{API}/tickets/{tid}/evaluation", json={"rating": 1, "reason": "slow"},
                    headers=h.headers("pad", 4))
    order = r.json()["work_order"]["id"]
    _close_day(client, h)
    figures = ("evaluations", "bad_reviews", "work_orders", "replied_in_time", "in_time_rate")
    before = _get(client, h, "window").json()
    assert _pick(_row_of(before, "4"), "key", *figures) == {
        "key": "4", "evaluations": 1, "bad_reviews": 1, "work_orders": 1, "replied_in_time": 0,
        "in_time_rate": None}  # not replied yet, nor due
    h.clock.advance(days=2)
    for step in ("verify", "rectify", "reply"):
        assert client.post(f"{API}/followups/{order}/steps", json={"step": step, "note": "好"},
                           headers=manager).status_code == 200
    after = _get(client, h, "window").json()
    assert _pick(_row_of(after, "4"), *figures[2:]) == {
        "work_orders": 1, "replied_in_time": 1, "in_time_rate": 1.0}
    assert after["totals"]["arrived"] == 1 and after["totals"]["served"] == 1


def _row_of(body: dict[str, Any], key: str) -> dict[str, Any]:
    (row,) = [r for r in body["rows"] if r["key"] == key]
    return row


def _text(v: Any) -> str:
    return "" if v is None else str(v)


def _xl(v: Any) -> Any:
    return None if v == "" else v  # openpyxl reads an empty string cell back as None


def test_roles_that_may_not_read_reports(api: tuple[TestClient, AppHandle]):
    client, h = api
    for role in ("guide", "manager", "admin"):
        assert client.get(f"{API}/reports", headers=h.headers(role)).status_code == 200
    for role, window in (("kiosk", None), ("display", None), ("window", 1), ("pad", 1),
                         ("registry", None)):
        r = client.get(f"{API}/reports", headers=h.headers(role, window))
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = client.get(f"{API}/reports")
    assert r.status_code == 401


@pytest.mark.parametrize(("params", "code"), [
    ({"from": "2026-11-24", "to": "2026-11-23"}, "invalid_range"),
    ({"from": "2026-13-01"}, "invalid_date"),
    ({"from": "yesterday"}, "invalid_date"),
    ({"from": "2026-11-23", "to": "2026-11-2x"}, "invalid_date"),
    ({"by": "colour"}, "invalid_by"),
    ({"format": "pdf"}, "invalid_format"),
    ({"from": "2025-11-22", "to": "2026-11-23"}, "invalid_range"),
    ({"from": "x" * 40}, "invalid_input"),
])
def test_bad_input_is_a_422_never_a_5xx(api: tuple[TestClient, AppHandle],
                                        params: dict[str, str], code: str):
    client, h = api
    r = client.get(f"{API}/reports", params=params, headers=h.headers("manager"))
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["message"][0] > "\u2e80"  # Chinese first


def test_a_year_is_allowed_and_an_empty_period_has_empty_rows(api):
    client, h = api
    r = client.get(f"{API}/reports", params={"from": "2025-11-23", "to": "2026-11-23",
                                             "by": "hour"}, headers=h.headers("manager"))
    assert r.status_code == 200
    body = r.json()
    assert body["rows"] == [] and body["totals"]["arrived"] == 0
    assert body["totals"]["mean_wait_min"] is None


def test_the_daily_clear_rolls_the_day_up_for_every_grouping(api):
    client, h = api
    assert client.post(f"{API}/tickets", json={"business": "query"},
                       headers=h.headers("kiosk")).status_code == 201
    _close_day(client, h)
    deadline = time.monotonic() + 20
    kept: set[tuple[Any, str]] = set()
    while time.monotonic() < deadline:
        with h.app.state.store.engine.connect() as conn:
            kept = {(r.day, r.by) for r in conn.execute(
                report_days.select().where(report_days.c.key == kpi.DAY_TOTAL))}
        if len(kept) == len(kpi.By):
            break
        time.sleep(0.05)
    assert kept == {(date(2026, 11, 23), b.value) for b in kpi.By}
    body = _get(client, h, "business").json()
    assert _pick(body["totals"], "arrived", "abandoned", "open") == {
        "arrived": 1, "abandoned": 1, "open": 0}


def test_rebuild_makes_the_kept_days_again_from_the_transitions(api, tmp_path):
    """`hallq reports rebuild` (here its store call, then the command on SQLite): the kept
    figures dropped and made again give the same report."""
    from queue_server.store.reports import Reports
    client, h = api
    kiosk, win = h.headers("kiosk"), h.headers("window", 1)
    for _ in range(3):
        client.post(f"{API}/tickets", json={"business": "transfer"}, headers=kiosk)
    first = client.post(f"{API}/windows/1/call-next", headers=win).json()["ticket"]
    h.clock.advance(minutes=7)
    client.post(f"{API}/tickets/{first['id']}/complete", headers=win)
    _close_day(client, h)
    before = _get(client, h, "business").json()
    engine = h.app.state.store.engine
    with engine.begin() as conn:
        conn.execute(report_days.delete())
    day = date(2026, 11, 23)
    kept = Reports(engine).rebuild(day, day, kpi.Setup.of(h.app.state.hall.layout),
                                   today=date(2026, 11, 24), now=h.clock.now)
    assert kept == 1
    with engine.connect() as conn:
        assert {r.by for r in conn.execute(report_days.select().where(
            report_days.c.key == kpi.DAY_TOTAL))} == {b.value for b in kpi.By}
    assert _get(client, h, "business").json() == before
    assert before["totals"]["served"] == 1 and before["totals"]["abandoned"] == 2


def test_the_rebuild_command(tmp_path):
    from tests.server.test_cli import run
    data = ["--data", str(tmp_path / "var")]
    out = run("reports", "rebuild", "--from", "2026-11-01", "--to", "2026-11-30", *data)
    assert out.returncode == 0, out.stderr
    assert "closed days rolled up again" in out.stdout
    bad = run("reports", "rebuild", "--from", "2026-11-30", "--to", "2026-11-01", *data)
    assert bad.returncode == 2 and "日期范围有误" in bad.stderr
    junk = run("reports", "rebuild", "--from", "soon", "--to", "2026-11-01", *data)
    assert junk.returncode == 2
