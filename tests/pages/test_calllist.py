"""The supervision office's call list (回访名单) on the manager's page /manager, in real
headless Chromium at 1920×1080: last month's served visits with phones built through the
API with the test clock (staff signed in at windows, one window with nobody), the month
drawn through the API, the list opened from the call-back panel and compared with
`GET /callbacks/{month}`, one full number revealed (shown in its row only, audited, never
stored in the browser), one reached outcome with scores and one not reached recorded from
the page, a refusal shown Chinese first, and the panel's figures matching the summary.
Screenshot test-artifacts/pages/manager-calllist.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, Clock
from tests.pages.conftest import HallServer, wait_live

pytestmark = pytest.mark.browser
MONTH = "2026-11"
STAFF = {1: ("S001", "张伟"), 2: ("S002", "李娜"), 4: ("S004", "王强")}


@pytest.fixture
def callback_hall(tmp_path: Path, clock: Clock) -> Iterator[HallServer]:
    """The mini hall with every served visit with a phone drawn: a list to work through."""
    text = (FIXTURES / "mini.toml").read_text(encoding="utf-8")
    layout = tmp_path / "all.toml"
    layout.write_text(text.replace("green_age = 70\n", "green_age = 70\ncallback_percent = 100\n"),
                      encoding="utf-8")
    server = HallServer(tmp_path, clock, layout).start()
    yield server
    server.stop()


def _visit(hall: HallServer, window: int, business: str, phone: str | None) -> str:
    t = hall.issue(business)
    if phone:
        hall.ok("POST", f"/tickets/{t['id']}/notify", role="kiosk", json={"phone": phone})
    hall.clock.advance(minutes=2)
    called = hall.ok("POST", f"/windows/{window}/call-next", role="window", window=window)
    assert called["ticket"]["id"] == t["id"], called
    hall.ok("POST", f"/tickets/{t['id']}/start", role="window", window=window)
    hall.clock.advance(minutes=4)
    hall.ok("POST", f"/tickets/{t['id']}/complete", role="window", window=window)
    return t["id"]


def _build(hall: HallServer) -> dict[str, str]:
    """2026-11-23: five served visits with a phone (one at window 3, where nobody signed
    in), one without; then 12-01, November over."""
    for window, (number, name) in STAFF.items():
        hall.ok("POST", "/staff", role="admin", json={"number": number, "name": name})
        hall.ok("POST", f"/windows/{window}/sign-in", role="window", window=window,
                json={"staff": number})
    phones = {}
    for i, (window, business) in enumerate(((1, "mortgage"), (2, "mortgage"), (4, "query"),
                                            (3, "tax"), (1, "transfer"))):
        phone = f"1391234{i + 1:04d}"
        phones[_visit(hall, window, business, phone)] = phone
    _visit(hall, 2, "mortgage", None)
    hall.clock.advance(days=8)  # 12-01: November is over
    hall.issue("query")  # the first ticket of a day starts it
    return phones


def _manager(hall: HallServer, open_page: Any) -> Any:
    page = open_page(f"{hall.url}/manager?token={hall.token('manager')}", 1920, 1080)
    wait_live(page)
    page.wait_for_function("document.body.dataset.loaded === '2026-12-01..2026-12-01'")
    page.wait_for_selector("#cb-drawn")
    return page


def _summary_on_page(page: Any) -> dict[str, str]:
    ids = ("cb-drawn", "cb-called", "cb-reached", "cb-rate", "cb-mean-attitude",
           "cb-mean-time_taken", "cb-mean-discipline")
    return {i: page.inner_text(f"#{i} b") for i in ids}


def _summary_expected(s: dict[str, Any]) -> dict[str, str]:
    def mean(v: float | None) -> str:
        return "—" if v is None else f"{v:g}"

    rate = "—" if s["reach_rate"] is None else f"{round(s['reach_rate'] * 1000) / 10:g}%"
    return {"cb-drawn": str(s["drawn"]), "cb-called": str(s["called"]),
            "cb-reached": str(s["reached"]), "cb-rate": rate,
            "cb-mean-attitude": mean(s["mean_attitude"]),
            "cb-mean-time_taken": mean(s["mean_time_taken"]),
            "cb-mean-discipline": mean(s["mean_discipline"])}


def test_the_supervisor_works_the_call_list(callback_hall: HallServer, open_page: Any,
                                            pages_dir: Path):
    hall = callback_hall
    phones = _build(hall)
    assert hall.ok("POST", f"/callbacks/{MONTH}/draw", role="manager")["sample_size"] == 5
    api_calls = hall.ok("GET", f"/callbacks/{MONTH}", role="manager")["calls"]
    assert {c["ticket_id"] for c in api_calls} == set(phones)

    page = _manager(hall, open_page)
    assert _summary_on_page(page) == _summary_expected(
        hall.ok("GET", f"/callbacks/{MONTH}/summary", role="manager"))
    page.click("#cb-open")
    page.wait_for_selector("#calllist-dialog[open] #calllist tbody tr.cl-row")

    # The rows are the API's list, in call order, phones masked.
    rows = page.query_selector_all("#calllist tr.cl-row")
    assert [r.get_attribute("data-ticket") for r in rows] == [c["ticket_id"] for c in api_calls]
    for row, c in zip(rows, api_calls, strict=True):
        text = row.inner_text()
        assert c["number"] in text and c["day"] in text, text
        assert row.query_selector(".cl-masked").inner_text() == c["phone_masked"]
        assert phones[c["ticket_id"]] not in text  # the full number is not on the page
        assert "未拨打" in text
        if c["staff"]:
            assert c["staff"] in text and c["staff_name"] in text
        else:
            assert "未签到" in text
    staffed = [c for c in api_calls if c["staff"]]
    assert {c["staff_name"] for c in staffed} == {"张伟", "李娜", "王强"}

    # Reveal one number: shown in that row only, the look audited, nothing kept.
    first, second = api_calls[0], api_calls[1]
    row1 = f"#calllist tr.cl-row[data-ticket='{first['ticket_id']}']"
    page.click(f"{row1} .cl-reveal")
    page.wait_for_selector(f"{row1} .cl-full")
    assert page.inner_text(f"{row1} .cl-full") == phones[first["ticket_id"]]
    assert "已记录查看" in page.inner_text(f"{row1} .cl-phone")
    assert page.locator(".cl-full").count() == 1
    dialog_text = page.inner_text("#calllist-dialog")
    assert all(phones[t] not in dialog_text for t in phones if t != first["ticket_id"])
    stored = page.evaluate("JSON.stringify(Object.assign({}, localStorage)) + JSON.stringify(Object.assign({}, sessionStorage))")
    assert phones[first["ticket_id"]] not in stored and phones[first["ticket_id"]] not in page.url
    reveals = hall.ok("GET", f"/callbacks/{MONTH}/reveals", role="admin")
    assert len(reveals) == 1 and reveals[0]["ticket_id"] == first["ticket_id"]
    assert reveals[0]["role"] == "manager" and reveals[0]["actor"].startswith("manager")

    # A reached call with its three scores and a comment.
    page.click(f"{row1} .cl-edit")
    page.wait_for_selector("#cl-form")
    assert page.is_disabled("#cl-save")  # reached or not comes first
    page.click("#cl-form [data-group='reached'][data-value='true']")
    for key, n in (("attitude", 5), ("time_taken", 4), ("discipline", 3)):
        page.click(f"#cl-form [data-group='{key}'][data-value='{n}']")
    page.fill("#cl-comment", "办事员很耐心")
    page.screenshot(path=str(pages_dir / "manager-calllist-form.png"))
    box = page.locator("#cl-form [data-group='attitude'][data-value='5']").bounding_box()
    assert box["width"] >= 48 and box["height"] >= 48, box  # a tap target, not a dot
    page.click("#cl-save")
    page.wait_for_selector(f"{row1} .cl-state.reached")
    assert "5" in page.inner_text(f"{row1} [data-score='attitude']")
    page.wait_for_function("document.querySelector('#cb-reached b').textContent === '1'")

    # One not reached: no scores offered.
    row2 = f"#calllist tr.cl-row[data-ticket='{second['ticket_id']}']"
    page.click(f"{row2} .cl-edit")
    page.click("#cl-form [data-group='reached'][data-value='false']")
    assert page.query_selector("#cl-form [data-group='attitude']") is None
    page.fill("#cl-comment", "无人接听")
    page.click("#cl-save")
    page.wait_for_selector(f"{row2} .cl-state.missed")
    page.wait_for_function("document.querySelector('#cb-called b').textContent === '2'")

    # The API has both outcomes, and the panel's figures are its summary.
    after = {c["ticket_id"]: c for c in hall.ok("GET", f"/callbacks/{MONTH}", role="manager")["calls"]}
    o1, o2 = after[first["ticket_id"]]["outcome"], after[second["ticket_id"]]["outcome"]
    assert (o1["reached"], o1["attitude"], o1["time_taken"], o1["discipline"], o1["comment"]) == \
        (True, 5, 4, 3, "办事员很耐心")
    assert (o2["reached"], o2["attitude"], o2["comment"]) == (False, None, "无人接听")
    assert o1["by"].startswith("manager")
    summary = hall.ok("GET", f"/callbacks/{MONTH}/summary", role="manager")
    assert (summary["called"], summary["reached"], summary["reach_rate"]) == (2, 1, 0.5)
    assert _summary_on_page(page) == _summary_expected(summary)
    assert page.inner_text("#cb-rate b") == "50%"
    page.screenshot(path=str(pages_dir / "manager-calllist.png"))

    # A refusal from the server is shown in the form, Chinese first: here a call the
    # sample does not hold (the page's copy of the list altered under it).
    third = api_calls[2]
    row3 = f"#calllist tr.cl-row[data-ticket='{third['ticket_id']}']"
    page.evaluate(f"""() => {{ window.hallqManager.calllist.calls.find(
        (c) => c.ticket_id === {third['ticket_id']!r}).ticket_id = 'not-a-drawn-ticket'; }}""")
    page.click(f"{row3} .cl-edit")
    page.click("#cl-form [data-group='reached'][data-value='false']")
    page.click("#cl-save")
    page.wait_for_selector("#cl-form .cl-error")
    error = page.inner_text("#cl-form .cl-error")
    assert error.startswith("该号不在 2026-11 的回访名单中") and "not in the call-back sample" in error
    page.screenshot(path=str(pages_dir / "manager-calllist-refused.png"))

    # Closed and opened again: the list fetched afresh, every number masked again.
    page.click("#calllist-close")
    page.click("#cb-open")
    page.wait_for_selector(f"#calllist-dialog[open] {row3}")
    assert page.query_selector(".cl-full") is None
    assert "已接通" in page.inner_text(row1)


def test_a_guide_token_cannot_open_the_page(callback_hall: HallServer, open_page: Any):
    page = open_page(f"{callback_hall.url}/manager?token={callback_hall.token('guide')}", 1920, 1080)
    page.wait_for_selector("#login-error:not([hidden])")
    assert page.inner_text("#login-error").startswith("此页面仅限管理人员")
    assert page.query_selector("#calllist-dialog[open]") is None
    assert callback_hall.call("GET", f"/callbacks/{MONTH}", role="guide").status_code == 403
