"""The manager's page /manager in real headless Chromium at 1920×1080: a day built through
the API with the test clock (tickets issued, called and completed at windows whose staff
signed in, ratings from the pads, bad reviews that open work orders, one of them overdue),
the charts drawn from what the API returns, a work order carried end to end with a step
added from the page, the month's call-back draw (and its 409 when drawn already), and
tokens of other roles refused. Screenshots test-artifacts/pages/manager-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, Clock
from tests.pages.conftest import HallServer, wait_live

pytestmark = pytest.mark.browser
SMALL = REPO / "layouts" / "small.toml"
TODAY = "2026-12-15"


@pytest.fixture
def small_hall(tmp_path: Path, clock: Clock) -> Iterator[HallServer]:
    server = HallServer(tmp_path, clock, SMALL).start()
    yield server
    server.stop()


def _serve(hall: HallServer, window: int, business: str, minutes: float = 6,
           rating: int | None = None) -> dict[str, Any]:
    t = hall.issue(business)
    hall.clock.advance(minutes=3)
    called = hall.ok("POST", f"/windows/{window}/call-next", role="window", window=window)
    assert called["ticket"]["id"] == t["id"], called
    hall.ok("POST", f"/tickets/{t['id']}/start", role="window", window=window)
    hall.clock.advance(minutes=minutes)
    hall.ok("POST", f"/tickets/{t['id']}/complete", role="window", window=window)
    if rating is not None:
        hall.ok("POST", f"/tickets/{t['id']}/evaluation", role="pad", window=window,
                json={"rating": rating, **({"reason": "attitude"} if rating <= 2 else {})})
    return t


def _sign_in(hall: HallServer, window: int, staff: str) -> None:
    hall.ok("POST", f"/windows/{window}/sign-in", role="window", window=window,
            json={"staff": staff})


def _build(hall: HallServer) -> None:
    """Four working days: a bad review on 11-23 (overdue by today), one on 11-26 (due
    soon), one on 12-01, and today's morning with every kind of rating."""
    for number, name, dept in (("1001", "张伟", "登记一科"), ("1002", "李娜", "税务窗口"),
                               ("1003", "王强", "登记二科")):
        hall.ok("POST", "/staff", role="admin", json={"number": number, "name": name,
                                                     "department": dept})
    _sign_in(hall, 1, "1001")
    _serve(hall, 1, "second_hand", rating=1)  # 11-23: its order is overdue by 12-15
    hall.clock.advance(days=3)  # 11-26: due 15 working days later, so due soon on 12-15
    _sign_in(hall, 1, "1001")
    _serve(hall, 1, "second_hand", rating=2)
    hall.clock.advance(days=5)  # 12-01, 09:xx
    _sign_in(hall, 1, "1001")
    _serve(hall, 1, "mortgage", rating=2)
    _serve(hall, 1, "mortgage", rating=5)
    hall.clock.advance(days=14)  # 12-15
    hall.issue("cancel")  # the first ticket of a day starts it (left waiting)
    assert hall.ok("GET", "/hall")["day"] == TODAY
    _sign_in(hall, 1, "1001")
    _sign_in(hall, 5, "1002")
    for i in range(4):
        _serve(hall, 1, "second_hand", minutes=9, rating=(5, 4, 5, 2)[i])
        _serve(hall, 5, "tax", minutes=4, rating=(5, 5, 3, 4)[i])
        _serve(hall, 6, "query", minutes=2)
        hall.clock.advance(minutes=25)
    for _ in range(3):  # waiting, and one called: the day still runs
        hall.issue("second_hand")
    hall.ok("POST", "/windows/2/call-next", role="window", window=2)


def _manager(hall: HallServer, open_page: Any, day: str = TODAY) -> Any:
    page = open_page(f"{hall.url}/manager?token={hall.token('manager')}", 1920, 1080)
    wait_live(page)
    page.wait_for_function(f"document.body.dataset.loaded === '{day}..{day}'")
    return page


def _series(page: Any, chart: str) -> list[list[Any]]:
    return page.evaluate(f"""() => {{
        const c = window.hallqManager.charts[{chart!r}];
        return c ? c.getOption().series.map((s) => s.data.map((d) =>
            (d && typeof d === 'object' && !Array.isArray(d)) ? d.value : d)) : null;
    }}""")


def _reports(hall: HallServer, by: str, start: str = TODAY, end: str = TODAY) -> Any:
    r = hall.call("GET", "/reports", role="manager", params={"from": start, "to": end, "by": by})
    return r.json() if r.status_code == 200 else None


def test_the_manager_sees_the_day_and_carries_a_work_order_end_to_end(
        small_hall: HallServer, open_page: Any, pages_dir: Path):
    hall = small_hall
    _build(hall)
    page = _manager(hall, open_page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1920
    bar = page.locator("header.bar").bounding_box()
    assert bar["height"] < 70, bar  # one line: nothing wraps under the period picker

    # Satisfaction: the chart's figures are the API's evaluations of the day.
    evals = hall.ok("GET", "/evaluations", role="manager", params={"from": TODAY, "to": TODAY})
    assert len(evals) == 8
    satisfied = sum(e["rating"] >= 4 for e in evals) / len(evals)
    counts, rates = _series(page, "chart-satisfaction")
    assert counts == [8] and rates == [round(satisfied * 100, 1)]
    assert satisfied == 0.75 and page.inner_text("#kpi-satisfaction .kpi-value") == "75%"

    # The window × hour map: the calls of the day, where and when they were made.
    load = hall.ok("GET", "/load/windows", role="manager", params={"from": TODAY, "to": TODAY})
    [cells] = _series(page, "chart-load")
    assert sorted(c[2] for c in cells) == sorted(c["called"] for c in load["cells"] if c["called"])
    assert sum(c["called"] for c in load["cells"]) == 13  # 4 × 3 served, and one at window 2
    assert {c["window"] for c in load["cells"]} == {1, 2, 5, 6}

    # The report's figures, where this server has reports; else a plain "not available".
    hourly = _reports(hall, "hour")
    if hourly is None:
        for card in ("card-flow", "card-waits"):
            assert page.get_attribute(f"#{card}", "data-state") == "na"
            assert "暂无数据" in page.inner_text(f"#{card}")
        assert page.inner_text("#kpi-arrived .kpi-value") == "—"
    else:
        arrived, served = _series(page, "chart-flow")
        assert arrived == [r["arrived"] for r in hourly["rows"]]
        assert served == [r["served"] for r in hourly["rows"]]
        totals = _reports(hall, "business")["totals"]
        assert page.inner_text("#kpi-arrived .kpi-value") == str(totals["arrived"])
        waits = _series(page, "chart-waits")[0]
        assert waits == [r["mean_wait_min"] for r in _reports(hall, "business")["rows"]
                         if r["mean_wait_min"] is not None]

    # Staff: who is on duty where, and their ratings.
    rows = {r.get_attribute("data-staff"): r.inner_text() for r in page.query_selector_all("#staff tbody tr")}
    assert "1 号窗口" in rows["1001"] and "5 号窗口" in rows["1002"] and "不在岗" in rows["1003"]
    assert "李娜" in rows["1002"] and "75%" in rows["1001"]  # 5 4 5 2 → 3 of 4 satisfied

    # Work orders: the overdue one first and red, with the API's urgency on each.
    orders = hall.ok("GET", "/followups", role="manager", params={"status": "open"})
    assert len(orders) == 4
    assert sorted(o["urgency"] or "" for o in orders) == ["", "", "due_soon", "overdue"]
    shown = page.query_selector_all("#orders li.order")
    assert [el.get_attribute("class").split()[1] for el in shown][0] == "overdue"
    by_id = {o["id"]: o for o in orders}
    for el in shown:
        o = by_id[el.get_attribute("data-order")]
        assert (o["urgency"] or "fine") in el.get_attribute("class")
        assert o["number"] in el.inner_text() and o["due_date"] in el.inner_text()
    overdue = next(o for o in orders if o["urgency"] == "overdue")
    colour = page.eval_on_selector(f"li.order[data-order='{overdue['id']}'] .upill",
                                   "e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(179, 38, 30)"
    soon = next(o for o in orders if o["urgency"] == "due_soon")
    assert page.eval_on_selector(f"li.order[data-order='{soon['id']}']",
                                 "e => getComputedStyle(e).backgroundColor") == "rgb(255, 244, 214)"
    assert [el.get_attribute("data-order") for el in shown][:2] == [overdue["id"], soon["id"]]
    page.screenshot(path=str(pages_dir / "manager-day.png"))

    # One visit end to end: ticket → evaluation → work order → steps; add the next step.
    page.click(f"li.order[data-order='{overdue['id']}']")
    page.wait_for_selector("#order-dialog[open] #step-note")
    text = page.inner_text("#order-dialog")
    for words in ("取号", "叫号", "办结", "非常不满意", "2026-12-14", "已超期", "核实"):
        assert words in text, words
    page.fill("#step-note", "已调取录像，核实窗口人员态度问题")
    page.click("#step-go")
    page.wait_for_function("document.querySelector('#order-dialog').dataset.status === 'verified'")
    page.fill("#step-note", "已约谈窗口人员，整改意见起草中")  # the next one, not saved
    page.screenshot(path=str(pages_dir / "manager-order.png"))
    after = hall.ok("GET", f"/followups/{overdue['id']}", role="manager")
    assert after["status"] == "verified" and after["steps"][0]["note"] == "已调取录像，核实窗口人员态度问题"
    assert "已调取录像" in page.inner_text("#order-dialog .s-steps")
    assert "整改" in page.inner_text("#step-form")  # the next one offered
    page.click("#order-close")

    # The day runs on: one more service and its rating reach the page by the event stream.
    _serve(hall, 6, "query", minutes=2, rating=5)
    page.wait_for_function("""() => {
        const c = window.hallqManager.charts['chart-satisfaction'];
        return c && c.getOption().series[0].data[0] === 9;
    }""", timeout=15_000)
    assert page.inner_text("#kpi-satisfaction .kpi-value") == "77.8%"  # 7 of 9

    # A period: this month, day by day, from the same evaluations.
    page.click("[data-quick='month']")
    page.wait_for_function(f"document.body.dataset.loaded === '2026-12-01..{TODAY}'")
    month = hall.ok("GET", "/evaluations", role="manager", params={"from": "2026-12-01", "to": TODAY})
    counts, _ = _series(page, "chart-satisfaction")
    assert len(counts) == 15 and counts[0] == sum(e["day"] == "2026-12-01" for e in month) == 2
    assert sum(counts) == len(month) == 11
    [cells] = _series(page, "chart-load")
    assert sum(c[2] for c in cells) == 14 + 2  # and the two calls of 12-01
    page.screenshot(path=str(pages_dir / "manager-month.png"))
    if hourly is not None:  # the period's export, fetched with the token in a header
        with page.expect_download() as info:
            page.click("#export-csv")
        download = info.value
        assert download.suggested_filename == f"hallq-report-2026-12-01-{TODAY}-business.csv"
        text = Path(download.path()).read_text(encoding="utf-8-sig")
        assert text.startswith("分组 / key") and "二手房转移登记" in text


def test_the_call_back_draw_and_its_409_when_drawn_already(small_hall: HallServer,
                                                         open_page: Any, pages_dir: Path):
    hall = small_hall
    hall.clock.advance(days=8)  # 12-01: November is over
    hall.issue("query")  # the first ticket of a day starts it
    page = _manager(hall, open_page, "2026-12-01")
    assert page.input_value("#cb-month") == "2026-11"
    page.wait_for_selector("#callbacks .hint, #callbacks .na")
    r = hall.call("GET", "/callbacks/2026-11/summary", role="manager")
    if r.status_code == 404 and r.json()["error"]["code"] == "not_found":
        assert "回访接口未就绪" in page.inner_text("#callbacks")  # no call-backs on this server
        return
    assert "尚未抽取" in page.inner_text("#callbacks")
    # Someone else draws the month while this page is open; the button then says so.
    assert hall.call("POST", "/callbacks/2026-11/draw", role="manager").status_code == 201
    page.click("#cb-draw")
    page.wait_for_selector("#cb-note.warn")
    assert page.get_attribute("#cb-note", "data-status") == "409"
    assert "已经抽取" in page.inner_text("#cb-note")
    page.wait_for_selector("#cb-drawn")
    summary = hall.ok("GET", "/callbacks/2026-11/summary", role="manager")
    assert page.inner_text("#cb-drawn b") == str(summary["drawn"])
    assert page.is_disabled("#cb-draw")
    page.locator("#card-callbacks").screenshot(path=str(pages_dir / "manager-callbacks.png"))


@pytest.mark.parametrize("role", ["guide", "kiosk"])
def test_other_roles_are_refused_in_chinese_first(small_hall: HallServer, open_page: Any,
                                                 role: str):
    page = open_page(f"{small_hall.url}/manager?token={small_hall.token(role)}", 1920, 1080)
    page.wait_for_selector("#login-error:not([hidden])")
    text = page.inner_text("#login-error")
    assert text.startswith("此页面仅限管理人员") and "for managers" in text
    bad = small_hall.call("GET", "/load/windows", role="manager",
                          params={"from": "2026-12-02", "to": "2026-12-01"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_range"
    assert small_hall.call("GET", "/load/windows", role="kiosk",
                           params={"from": "2026-12-01", "to": "2026-12-01"}).status_code == 403
    page.fill("#login-token", small_hall.token("admin"))
    page.click("#login-go")
    page.wait_for_function("document.body.dataset.loaded !== undefined")
