"""The kiosk flow without Kivy: a real queue server, the real device simulators.

Every path an applicant can take, and every way it can fail, ends on a screen that says
what happened and what to do; a ticket the server issued is printed or shown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from pathlib import Path

import httpx
import pytest

from devices.idcard import DEMO_CARDS, Fault
from devices.idcard import codec as idcodec
from devices.scanner import SlipKind, make_slip
from devices.scanner.appointment import appointment_value
from kiosk import texts
from kiosk.client import FeatureMissing, Refused, ServerUnreachable
from kiosk.codes import receipt_text
from kiosk.settings import KioskSettings
from kiosk.state import Purpose, Screen
from queue_server.store.tables import tickets
from tests.kiosk.conftest import (
    ARCHIVE_ROUTE,
    CASE_ROUTE,
    DAY,
    SLIP_KEY,
    SMALL,
    Rig,
    Ticker,
    build_flow,
    has_route,
    layout_variant,
    need_route,
    seed_card,
    seed_case,
    seed_unit,
)
from tests.netfaults import AnswerDropper
from tests.server.conftest import MINI, AppHandle, LiveServer

ZHANG_ID = DEMO_CARDS["zhang"].id_number  # type: ignore[union-attr]
RigFactory = Callable[..., Rig]


def said(rig: Rig) -> list[str]:
    rig.hw.manager.get("voice").wait_idle(2)  # type: ignore[attr-defined]
    return [a.text for a in rig.voice.said]


# --- start -------------------------------------------------------------------------------


def test_start_shows_home_offers_and_reports_health(rig: Rig) -> None:
    s = rig.state
    assert s.screen is Screen.HOME
    assert s.hall is not None and s.hall.name == "示例县不动产登记中心"
    assert {Purpose.TICKET, Purpose.APPOINTMENT} <= s.hall.offers
    # The server ships both: the kiosk offers both (not "offers what happens to exist").
    assert has_route(rig.hall.app, CASE_ROUTE) and has_route(rig.hall.app, ARCHIVE_ROUTE)
    assert {Purpose.CASE, Purpose.ARCHIVE} <= s.hall.offers
    [report] = rig.kiosk_reports()
    assert report["name"] == "k-test" and report["state"] == "ok" and report["faults"] == []
    assert {d["device"] for d in report["devices"]} >= {"idcard", "printer", "scanner"}
    assert "请点击屏幕" in said(rig)[0]


# --- a ticket with the ID card --------------------------------------------------------


def test_card_choose_materials_print_ticket(rig: Rig) -> None:
    rig.lay("zhang")
    s = rig.state
    assert s.screen is Screen.BUSINESS and s.applicant is not None
    assert s.applicant.masked_name == "张*" and s.green is None
    item = rig.item("mortgage")
    rig.flow.choose_item(item.code)
    assert rig.state.screen is Screen.MATERIALS and rig.state.item == item

    rig.flow.print_materials()
    assert rig.state.materials_printed == "ok"
    slip = rig.printer.jobs[-1]
    assert "一次性告知单".encode("gbk") in slip and item.materials[0][:8].encode("gbk") in slip

    rig.flow.confirm_ticket()
    s = rig.state
    assert s.screen is Screen.TICKET and s.result is not None and s.result.printed
    t = s.result.ticket
    assert t.number == "D001" and t.waiting_ahead == 0 and t.wait_range is not None
    assert b"D001" in rig.printer.jobs[-1]
    on_server = rig.server_ticket(t.id)
    assert on_server["status"] == "waiting" and on_server["number"] == "D001"
    assert on_server["business"] == "mortgage" and on_server["priority"] == "normal"
    assert on_server["applicant"]["id_masked"].endswith(ZHANG_ID[-4:])
    assert s.result.window_hint[0] == "1–3号窗口"  # windows 1, 2, 3 serve mortgages
    assert "取号成功，您的号码是D零零一号" in said(rig)[-1]


def test_elder_offered_green_channel_accepts(rig: Rig) -> None:
    rig.lay("elder")
    assert rig.state.screen is Screen.GREEN
    rig.flow.answer_green(True)
    assert rig.state.screen is Screen.BUSINESS and rig.state.green is True
    rig.flow.choose_item(rig.item("query").code)
    rig.flow.confirm_ticket()
    r = rig.state.result
    assert r is not None and r.green
    server = rig.server_ticket(r.ticket.id)
    assert server["priority"] == "green" and server["priority_reason"] == "age"
    assert "绿色通道".encode("gbk") in rig.printer.jobs[-1]


def test_elder_declines_green_channel(rig: Rig) -> None:
    rig.lay("elder")
    rig.flow.answer_green(False)
    rig.flow.choose_item(rig.item("query").code)
    rig.flow.confirm_ticket()
    r = rig.state.result
    assert r is not None and not r.green
    # Declined means "normal" is sent: the server would otherwise grant it by age.
    assert rig.server_ticket(r.ticket.id)["priority"] == "normal"


def test_journey_item_queues_at_its_first_step(rig: Rig) -> None:
    rig.lay("zhang")
    item = rig.item("second_hand", journey=True)
    rig.flow.choose_item(item.code)
    rig.flow.confirm_ticket()
    r = rig.state.result
    assert r is not None
    assert r.ticket.business == "tax" and r.item_name == item.name  # small.toml: tax first
    server = rig.server_ticket(r.ticket.id)
    assert server["journey"] == "second_hand_sale" and server["journey_next"] == "second_hand"


def test_browse_categories_and_back(rig: Rig) -> None:
    rig.lay("zhang")
    rig.flow.show_categories()
    assert rig.state.screen is Screen.CATEGORIES
    rig.flow.choose_category("transfer")
    assert rig.state.screen is Screen.ITEMS and rig.state.category == "transfer"
    hall = rig.state.hall
    assert hall is not None
    items = hall.category("transfer").items  # type: ignore[union-attr]
    assert [i.common for i in items] == sorted((i.common for i in items), reverse=True)
    rig.flow.choose_item("gift")
    assert rig.state.screen is Screen.MATERIALS
    for expected in (Screen.ITEMS, Screen.CATEGORIES, Screen.BUSINESS, Screen.HOME):
        rig.flow.back()
        assert rig.state.screen is expected
    assert rig.state.applicant is None


def test_skip_card_where_the_hall_allows(rig: Rig) -> None:
    rig.flow.start_purpose(Purpose.TICKET)
    assert rig.state.screen is Screen.CARD
    rig.flow.skip_card()
    assert rig.state.screen is Screen.BUSINESS and rig.state.anonymous
    rig.flow.choose_item(rig.item("certificate").code)
    rig.flow.confirm_ticket()
    r = rig.state.result
    assert r is not None and rig.server_ticket(r.ticket.id)["applicant"] is None


def test_no_skip_where_the_hall_requires_the_card(rig_factory: RigFactory,
                                                  tmp_path: Path) -> None:
    rig = rig_factory(layout_variant(tmp_path, **{"allow_anonymous = true": "allow_anonymous = false"}))
    rig.flow.start_purpose(Purpose.TICKET)
    rig.flow.skip_card()
    assert rig.state.screen is Screen.CARD and rig.state.notice == "id_required"


def test_foreigner_card_takes_a_ticket_without_an_id_number(rig: Rig) -> None:
    rig.lay("foreigner")
    assert rig.state.screen is Screen.BUSINESS and rig.state.notice == "foreign_card"
    rig.flow.choose_item(rig.item("query").code)
    rig.flow.confirm_ticket()
    r = rig.state.result
    assert r is not None and rig.server_ticket(r.ticket.id)["applicant"] is None


# --- refused tickets ---------------------------------------------------------------------


def _refused(rig: Rig, code: str) -> None:
    s = rig.state
    assert s.screen is Screen.MESSAGE and s.message is not None, s
    assert s.message.code == code
    assert texts.message(code)[0] != texts.DEFAULT_MESSAGE[0]  # a message written for it
    assert rig.printer.jobs == [] and rig.flow.counters["refused"] == 1
    rig.flow.home()
    assert rig.state.screen is Screen.HOME and rig.state.message is None


def test_a_ticket_that_lost_a_race_says_so(rig_factory: RigFactory) -> None:
    """Another writer took the number this kiosk's ticket was to get (409 conflict): the
    applicant is told nothing was issued and to try again, and is not left guessing."""
    rig = rig_factory(MINI, catalogue=False)
    engine = rig.hall.app.state.store.engine
    at = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    with engine.begin() as conn:  # behind the server's back, as a second server would
        conn.execute(tickets.insert().values(
            id="elsewhere", day=DAY, number="A001", seq=1, business="transfer",
            origin_business="transfer", status="waiting", priority="normal", issued_at=at,
            queued_at=at))
    rig.lay("zhang")
    rig.flow.choose_item("transfer")
    s = rig.state
    assert s.screen is Screen.MESSAGE and s.message is not None and s.message.code == "conflict"
    assert texts.message("conflict") == ("刚才没有办成", "这次什么也没有记下。请再点一次；仍不行请到咨询台")
    assert "本次操作没有生效" in s.message.detail_zh and "not done" in s.message.detail_en
    assert rig.printer.jobs == []
    rig.flow.home()
    rig.lay("zhang")  # trying again works: the server gives the next free number
    rig.flow.choose_item("transfer")
    assert rig.state.result is not None and rig.state.result.ticket.number == "A002"


def test_daily_cap_reached(rig_factory: RigFactory) -> None:
    rig = rig_factory(MINI, catalogue=False)  # transfer: 5 a day; no catalogue: businesses
    for _ in range(5):
        assert rig.issue_direct("transfer").status_code == 201
    rig.lay("zhang")
    rig.flow.choose_item("transfer")  # no materials list: straight to the ticket
    assert rig.state.message is not None and "今日号已取完" in rig.state.message.detail_zh
    _refused(rig, "daily_cap_reached")


def test_per_id_daily_limit(rig_factory: RigFactory) -> None:
    rig = rig_factory(MINI, catalogue=False)  # 3 tickets per ID card a day
    for business in ("mortgage", "tax", "query"):
        assert rig.issue_direct(business, ZHANG_ID).status_code == 201
    rig.lay("zhang")
    rig.flow.choose_item("transfer")
    _refused(rig, "id_limit_reached")


def test_already_waiting_for_the_same_business(rig: Rig) -> None:
    first = rig.issue_direct("query", ZHANG_ID).json()["number"]
    rig.lay("zhang")
    rig.flow.choose_item(rig.item("query").code)
    rig.flow.confirm_ticket()
    assert rig.state.message is not None and first in rig.state.message.detail_zh
    _refused(rig, "already_waiting")


def test_business_closed(rig: Rig) -> None:
    r = rig.http.post("/api/v1/windows/5/close", headers=rig.headers())  # the tax window
    assert r.status_code == 200, r.text
    rig.lay("zhang")
    rig.flow.choose_item(rig.item("second_hand", journey=True).code)  # starts at tax
    rig.flow.confirm_ticket()
    _refused(rig, "business_closed")


# --- the server away ------------------------------------------------------------------


def test_server_away_at_start_mid_flow_and_back(make_hall: Callable[..., AppHandle]) -> None:
    handle = make_hall(SMALL)
    server = LiveServer(handle.app)
    ticker = Ticker()
    with httpx.Client(base_url=server.url) as http:
        flow, hw = build_flow(handle, http, ticker=ticker)
        try:
            flow.start()
            assert flow.state.screen is Screen.OFFLINE and "server" in flow.state.faults
            server.start()
            flow.tick()  # not yet time to ask again
            assert flow.state.screen is Screen.OFFLINE
            ticker.advance(KioskSettings().server_retry_seconds)
            flow.tick()
            assert flow.state.screen is Screen.HOME and "server" not in flow.state.faults
            reports = http.get("/api/v1/kiosks", headers=handle.headers("guide")).json()
            assert [r["name"] for r in reports] == ["k-test"]

            hw.simulator("idcard").lay(DEMO_CARDS["zhang"])
            flow.tick()
            server.stop()
            flow.choose_item("query_owner")
            flow.confirm_ticket()
            assert flow.state.message is not None
            assert flow.state.message.code == "server_unreachable"
            assert hw.simulator("printer").jobs == []  # nothing printed, nothing issued
            flow.home()
            assert flow.state.screen is Screen.OFFLINE

            server.start()
            ticker.advance(KioskSettings().server_retry_seconds)
            flow.tick()
            assert flow.state.screen is Screen.HOME
        finally:
            server.stop()
            hw.close()


def test_a_ticket_whose_answer_was_lost_is_printed_once(
        make_hall: Callable[..., AppHandle]) -> None:
    """The server issues the ticket but the connection dies before the kiosk hears: the
    kiosk asks again with the same key and prints that ticket; the hall holds one."""
    handle = make_hall(SMALL)
    server = LiveServer(handle.app)
    server.start()
    try:
        with AnswerDropper(server.port) as proxy, httpx.Client(base_url=proxy.url) as http:
            flow, hw = build_flow(handle, http, ticker=Ticker())
            try:
                flow.start()
                hw.simulator("idcard").lay(DEMO_CARDS["zhang"])
                flow.tick()
                proxy.drop = 1
                flow.choose_item("query_owner")
                flow.confirm_ticket()
                assert proxy.dropped == 1
                result = flow.state.result
                assert result is not None and result.printed
                assert len(hw.simulator("printer").jobs) == 1
                waiting = http.get("/api/v1/tickets", params={"status": "waiting"},
                                   headers=handle.headers("guide")).json()
                assert [t["id"] for t in waiting] == [result.ticket.id]
            finally:
                hw.close()
    finally:
        server.stop()


def test_a_ticket_issued_while_every_answer_was_lost_is_cancelled_once_back(
        make_hall: Callable[..., AppHandle]) -> None:
    """No answer came to any attempt, so the applicant was told the server is away and
    left; the server had issued the ticket. Once it answers again the kiosk cancels it."""
    handle = make_hall(SMALL)
    server = LiveServer(handle.app)
    server.start()
    guide = handle.headers("guide")
    try:
        with AnswerDropper(server.port) as proxy, httpx.Client(base_url=proxy.url) as http:
            ticker = Ticker()
            flow, hw = build_flow(handle, http, ticker=ticker)
            try:
                flow.start()
                hw.simulator("idcard").lay(DEMO_CARDS["zhang"])
                flow.tick()
                proxy.drop = 3  # the first try and both retries
                flow.choose_item("query_owner")
                flow.confirm_ticket()
                assert proxy.dropped == 3
                assert flow.state.message is not None
                assert flow.state.message.code == "server_unreachable"
                assert hw.simulator("printer").jobs == []
                [held] = http.get("/api/v1/tickets", headers=guide).json()
                assert held["status"] == "waiting"  # one ticket for three tries

                flow.home()
                ticker.advance(KioskSettings().server_retry_seconds)
                flow.tick()  # the server answers again
                assert flow.state.screen is Screen.HOME
                [after] = http.get("/api/v1/tickets", headers=guide).json()
                assert after["id"] == held["id"] and after["status"] == "cancelled"
                assert flow.counters["cancelled_unshown"] == 1
            finally:
                hw.close()
    finally:
        server.stop()


# --- the printer ---------------------------------------------------------------------


def test_paper_out_ticket_is_shown_and_reported_then_recovers(rig: Rig) -> None:
    rig.printer.paper = "out"
    rig.lay("zhang")
    rig.flow.choose_item(rig.item("query").code)
    rig.flow.confirm_ticket()
    r = rig.state.result
    assert r is not None and not r.printed and r.print_problem == "paper_out"
    assert "printer" in rig.state.faults
    rig.flow.mark_shown()  # the screen drew it: the applicant has the number
    rig.ticker.advance(30)
    rig.tick()
    assert rig.server_ticket(r.ticket.id)["status"] == "waiting"
    assert "号票没有打印出来" in said(rig)[-1]
    [report] = rig.kiosk_reports()
    assert report["faults"] == ["printer"] and report["state"] == "failed"
    assert any(d["device"] == "printer" and "缺纸" in d["reason"] for d in report["devices"])

    rig.printer.paper = "ok"  # a technician loads paper
    rig.ticker.advance(KioskSettings().health_check_seconds)
    rig.tick()
    assert "printer" not in rig.state.faults
    assert rig.kiosk_reports()[0]["state"] == "ok"


def test_unprinted_ticket_never_shown_is_cancelled(rig: Rig) -> None:
    rig.printer.online = False
    rig.lay("zhang")
    rig.flow.choose_item(rig.item("query").code)
    rig.flow.confirm_ticket()
    r = rig.state.result
    assert r is not None and r.print_problem == "offline"
    # No screen confirms it was drawn (the display died): it was never handed out.
    rig.ticker.advance(KioskSettings().ticket_show_seconds + 1)
    rig.tick()
    assert rig.server_ticket(r.ticket.id)["status"] == "cancelled"
    assert rig.flow.counters["cancelled_unshown"] == 1
    assert rig.state.screen is Screen.HOME


def test_materials_list_not_printed_is_told(rig: Rig) -> None:
    rig.printer.paper = "out"
    rig.lay("zhang")
    rig.flow.choose_item(rig.item("mortgage").code)
    rig.flow.print_materials()
    assert rig.state.materials_printed == "paper_out" and rig.state.screen is Screen.MATERIALS


def test_printer_driver_bug_still_shows_the_ticket(rig: Rig) -> None:
    printer = rig.hw.manager.get("printer")

    def broken(_job: object) -> None:
        raise RuntimeError("driver bug")

    printer.print_ticket = broken  # type: ignore[attr-defined]
    rig.lay("zhang")
    rig.flow.choose_item(rig.item("query").code)
    rig.flow.confirm_ticket()
    r = rig.state.result
    assert r is not None and r.print_problem == "failed" and rig.state.screen is Screen.TICKET


def test_a_fault_between_issuing_and_showing_takes_the_ticket_back(rig: Rig) -> None:
    printer = rig.hw.manager.get("printer")

    def power_cut(_job: object) -> None:
        raise KeyboardInterrupt  # the kiosk is being shut down mid-print

    printer.print_ticket = power_cut  # type: ignore[attr-defined]
    rig.lay("zhang")
    rig.flow.choose_item(rig.item("query").code)
    with pytest.raises(KeyboardInterrupt):
        rig.flow.confirm_ticket()
    r = rig.http.get("/api/v1/tickets", params={"business": "query"}, headers=rig.headers())
    [ticket] = r.json()
    assert ticket["status"] == "cancelled" and rig.flow.counters["cancelled_unshown"] == 1


# --- the card reader and the scanner ---------------------------------------------------


def test_reader_failure_offers_a_ticket_without_the_card_then_recovers(rig: Rig) -> None:
    rig.reader.inject(Fault.STATUS, times=None, sw3=0x60)  # SAM self-test failed
    rig.tick()
    assert "idcard" in rig.state.faults
    rig.flow.start_purpose(Purpose.TICKET)
    assert rig.state.screen is Screen.BUSINESS and rig.state.notice == "reader_down_skip"
    rig.flow.home()
    rig.ticker.advance(KioskSettings().health_check_seconds)
    rig.tick()
    assert rig.kiosk_reports()[0]["faults"] == ["idcard"]
    rig.reader.clear_faults()
    rig.tick()
    assert "idcard" not in rig.state.faults
    rig.lay("zhang")
    assert rig.state.screen is Screen.BUSINESS and rig.state.applicant is not None


def test_unreadable_card_asks_to_lay_it_again(rig: Rig) -> None:
    rig.reader.inject(Fault.STATUS, sw3=0x31, command=idcodec.READ_TEXT_PHOTO)
    rig.lay("zhang")
    assert rig.state.screen is Screen.CARD and rig.state.notice == "card_unreadable"
    assert "没有读到身份证" in said(rig)[-1]
    rig.lay("zhang")
    assert rig.state.screen is Screen.BUSINESS


def test_scanner_failure_and_recovery(rig: Rig) -> None:
    rig.scanner.failed = True
    rig.tick()
    assert "scanner" in rig.state.faults
    rig.flow.start_purpose(Purpose.APPOINTMENT)
    assert rig.state.message is not None and rig.state.message.code == "scanner_down"
    rig.flow.home()
    rig.scanner.failed = False
    rig.ticker.advance(KioskSettings().health_check_seconds)
    rig.tick()
    assert "scanner" not in rig.state.faults


@pytest.mark.parametrize("text", ["HQ1:A:20261123-0900-0930-QUERY-X1:" + "A" * 24,
                                  "https://example.com/not-ours", "HQC1:BDC1:!!"])
def test_a_code_that_is_not_ours_is_refused(rig: Rig, text: str) -> None:
    rig.present(text)
    assert rig.state.screen is Screen.SCAN and rig.state.notice == "slip_invalid"
    assert rig.printer.jobs == []


# --- appointments ------------------------------------------------------------------------


def test_appointment_check_in_within_the_slot(rig: Rig) -> None:
    rig.present(rig.appointment_slip("mortgage", time(8, 50), time(9, 20)))  # it is 09:00
    r = rig.state.result
    assert rig.state.screen is Screen.TICKET and r is not None and r.appointment == "in_slot"
    server = rig.server_ticket(r.ticket.id)
    assert server["priority"] == "appointment" and server["business"] == "mortgage"
    assert r.ticket.number.encode() in rig.printer.jobs[-1]


def test_appointment_outside_the_slot_queues_as_usual(rig: Rig) -> None:
    rig.flow.start_purpose(Purpose.APPOINTMENT)
    assert rig.state.screen is Screen.SCAN
    rig.present(rig.appointment_slip("query", time(14, 0), time(14, 30)))
    r = rig.state.result
    assert r is not None and r.appointment == "outside_slot"
    assert rig.server_ticket(r.ticket.id)["priority_reason"] == "appointment_outside_slot"


def test_the_same_slip_a_second_time_gets_no_second_ticket(rig: Rig) -> None:
    slip = rig.appointment_slip("mortgage", time(8, 50), time(9, 20))
    rig.present(slip)
    r = rig.state.result
    assert r is not None and r.appointment == "in_slot"
    rig.flow.home()
    rig.scanner.dedup = None  # the scanner's own repeat filter would hide the second scan
    rig.present(slip)
    m = rig.state.message
    assert m is not None and m.code == "appointment_used" and r.ticket.number in m.detail_zh
    assert len(rig.printer.jobs) == 1


def test_appointment_needs_the_card_where_the_hall_requires_it(rig_factory: RigFactory,
                                                               tmp_path: Path) -> None:
    rig = rig_factory(layout_variant(tmp_path, **{"allow_anonymous = true": "allow_anonymous = false"}))
    rig.present(rig.appointment_slip("mortgage", time(8, 50), time(9, 20)))
    assert rig.state.screen is Screen.CARD and rig.state.purpose is Purpose.APPOINTMENT
    rig.lay("zhang")
    r = rig.state.result
    assert r is not None and rig.server_ticket(r.ticket.id)["applicant"] is not None


def test_appointment_slip_with_an_unreadable_value(rig: Rig) -> None:
    rig.present(make_slip(SlipKind.APPOINTMENT, "JUNK-1", SLIP_KEY))
    assert rig.state.message is not None and rig.state.message.code == "appointment_invalid"


def test_appointment_for_a_business_this_hall_lacks(rig: Rig) -> None:
    rig.present(rig.appointment_slip("judicial", time(8, 50), time(9, 20)))
    assert rig.state.message is not None and rig.state.message.code == "unknown_business"


def test_a_case_slip_asks_for_the_card_then_shows_the_case(rig: Rig) -> None:
    need_route(rig.hall.app, CASE_ROUTE)
    seed_case(rig.http, rig.headers("registry"), "BDC2026-000126", ZHANG_ID)
    rig.present(make_slip(SlipKind.CASE, "BDC2026-000126", SLIP_KEY))
    assert rig.state.screen is Screen.CARD and rig.state.purpose is Purpose.CASE
    assert rig.state.case_input == "BDC2026-000126"
    rig.lay("zhang")
    assert rig.state.screen is Screen.CASE and rig.state.case is not None


def test_a_slip_signed_with_another_key_is_refused_by_the_server(rig: Rig) -> None:
    # The kiosk holds no key: a well-formed slip goes to the server, which refuses it.
    rig.present(rig.appointment_slip("mortgage", time(8, 50), time(9, 20))
                .rsplit(":", 1)[0] + ":" + "A" * 24)
    assert rig.state.screen is Screen.SCAN and rig.state.notice == "slip_invalid"
    assert not rig.state.busy and rig.printer.jobs == []
    assert rig.issue_direct("query").json()["number"].endswith("1")  # nothing was issued


def test_a_hall_without_a_slip_key_offers_no_check_in(rig_factory: RigFactory) -> None:
    rig = rig_factory(slips=False)
    assert Purpose.APPOINTMENT not in rig.state.hall.offers
    rig.flow.start_purpose(Purpose.APPOINTMENT)
    assert rig.state.message is not None and rig.state.message.code == "feature_unavailable"
    rig.flow.home()
    rig.present(rig.appointment_slip("mortgage", time(8, 50), time(9, 20)))
    assert rig.state.message is not None and rig.state.message.code == "feature_unavailable"
    assert rig.printer.jobs == []


def test_server_away_while_a_slip_is_checked(make_hall: Callable[..., AppHandle]) -> None:
    handle = make_hall(SMALL)
    server = LiveServer(handle.app)
    server.start()
    with httpx.Client(base_url=server.url) as http:
        flow, hw = build_flow(handle, http, ticker=Ticker())
        try:
            flow.start()
            assert flow.state.screen is Screen.HOME
            server.stop()
            hw.simulator("scanner").present(make_slip(
                SlipKind.APPOINTMENT, appointment_value(DAY, time(8, 50), time(9, 20),
                                                        "mortgage", "P1"), SLIP_KEY))
            flow.tick()
            assert flow.state.message is not None
            assert flow.state.message.code == "server_unreachable"
            assert hw.simulator("printer").jobs == []
        finally:
            server.stop()
            hw.close()


# --- idle, language -------------------------------------------------------------------


def test_idle_returns_to_the_start_and_wipes_the_applicant(rig: Rig) -> None:
    rig.lay("zhang")
    rig.flow.set_language("en")
    rig.flow.choose_item(rig.item("mortgage").code)
    idle = KioskSettings().idle_seconds
    rig.ticker.advance(idle - 1)
    rig.tick()
    assert rig.state.screen is Screen.MATERIALS
    rig.ticker.advance(2)
    rig.tick()
    s = rig.state
    assert s.screen is Screen.HOME and s.lang == "zh"
    assert s.applicant is None and s.item is None and s.result is None
    assert "张伟" not in repr(s) and ZHANG_ID not in repr(s)


def test_home_and_offline_screens_do_not_time_out(rig: Rig) -> None:
    rig.ticker.advance(10_000)
    rig.tick()
    assert rig.state.screen is Screen.HOME and rig.flow.counters["idle_timeouts"] == 0


# --- the client's view of errors ------------------------------------------------------


def test_client_tells_a_missing_route_from_a_refusal(rig: Rig) -> None:
    client = rig.flow.client
    with pytest.raises(FeatureMissing):
        client._request("GET", "/api/v1/no-such-thing")
    with pytest.raises(Refused) as info:
        client.ticket("no-such-ticket")
    assert info.value.code == "not_found" and info.value.status == 404
    assert info.value.message_zh and info.value.message_en
    away = type(client)("http://127.0.0.1:9", "t")  # nothing listens on the discard port
    with pytest.raises(ServerUnreachable):
        away.hall()
    assert away.ping() is False


# --- cases (the case issue's routes) -------------------------------------------------------


def test_case_by_scanning_the_receipt(rig: Rig) -> None:
    need_route(rig.hall.app, CASE_ROUTE)
    push = seed_case(rig.http, rig.headers("registry"), "BDC2026-000123", ZHANG_ID)
    rig.present(receipt_text("BDC2026-000123", push["receipt_token"]))
    s = rig.state
    assert s.screen is Screen.CASE and s.case is not None
    assert s.case.case_no == "BDC2026-000123" and s.case.title == "二手房买卖转移登记"
    assert [x.state for x in s.case.steps][:4] == ["done", "done", "current", "pending"]
    assert s.case.steps[s.case.current].name == "复审"  # type: ignore[index]
    assert s.case.next_step is not None and s.case.next_step.name == "核定"
    assert s.case.next_text  # what the applicant should do now, from the server


def test_case_by_typed_number_and_id_card(rig: Rig) -> None:
    need_route(rig.hall.app, CASE_ROUTE)
    seed_case(rig.http, rig.headers("registry"), "BDC2026-000124", ZHANG_ID, step="ready")
    rig.flow.start_purpose(Purpose.CASE)
    rig.flow.case_submit()
    assert rig.state.notice == "case_empty"
    for ch in "bdc2026-0001249":
        rig.flow.case_key(ch)
    rig.flow.case_delete()
    assert rig.state.case_input == "BDC2026-000124"
    rig.flow.case_submit()
    assert rig.state.screen is Screen.CARD and rig.state.purpose is Purpose.CASE
    rig.lay("zhang")
    s = rig.state
    assert s.screen is Screen.CASE and s.case is not None
    assert s.case.steps[s.case.current].name == "待领证"  # type: ignore[index]


def test_case_not_shown_to_someone_else(rig: Rig) -> None:
    need_route(rig.hall.app, CASE_ROUTE)
    seed_case(rig.http, rig.headers("registry"), "BDC2026-000125", ZHANG_ID)
    # Li's card is one the back office knows (a real card on the reader), not an applicant.
    seed_card(rig.http, rig.headers("registry"), DEMO_CARDS["li"].id_number)  # type: ignore[union-attr]
    rig.flow.start_purpose(Purpose.CASE)
    for ch in "BDC2026-000125":
        rig.flow.case_key(ch)
    rig.flow.case_submit()
    rig.lay("li")
    assert rig.state.message is not None and rig.state.message.code == "case_not_found"
    assert rig.state.case is None


# --- the archive (the case issue's routes) ------------------------------------------------


def test_archive_of_the_card_holder(rig: Rig) -> None:
    need_route(rig.hall.app, ARCHIVE_ROUTE)
    seed_unit(rig.http, rig.headers("registry"), "U-0001", ZHANG_ID)
    rig.flow.start_purpose(Purpose.ARCHIVE)
    assert rig.state.screen is Screen.CARD and rig.state.purpose is Purpose.ARCHIVE
    rig.lay("zhang")
    s = rig.state
    assert s.screen is Screen.ARCHIVE and s.properties is not None
    [p] = s.properties
    assert p.address.startswith("衡阳市蒸湘区") and p.area == "98.5 ㎡"
    assert len(p.mortgages) == 1 and "32 万元" in p.mortgages[0].detail
    assert len(p.seizures) == 1 and p.seizures[0].holder == "衡阳市石鼓区人民法院"
    assert "已抵押" in p.rights_status and "已查封" in p.rights_status


def test_archive_with_nothing_registered(rig: Rig) -> None:
    need_route(rig.hall.app, ARCHIVE_ROUTE)
    seed_card(rig.http, rig.headers("registry"), DEMO_CARDS["li"].id_number)  # type: ignore[union-attr]
    rig.flow.start_purpose(Purpose.ARCHIVE)
    rig.lay("li")
    assert rig.state.screen is Screen.ARCHIVE and rig.state.properties == ()


def test_a_card_the_registry_cannot_verify_opens_no_archive(rig: Rig) -> None:
    """The kiosk sends the chip's data; a card the back office does not know (a forged
    one, or a number typed into a copied kiosk token) is told plainly, nothing shown."""
    need_route(rig.hall.app, ARCHIVE_ROUTE)
    seed_unit(rig.http, rig.headers("registry"), "U-0009", ZHANG_ID)
    rig.http.put("/api/v1/id-cards", headers=rig.headers("registry"), json={"cards": [
        {"id_number": ZHANG_ID, "authority": "别处公安局", "valid_from": "2001-01-01",
         "valid_to": "2021-01-01"}]}).raise_for_status()
    rig.flow.start_purpose(Purpose.ARCHIVE)
    rig.lay("zhang")
    assert rig.state.message is not None and rig.state.message.code == "card_not_verified"
    assert not rig.state.properties


# --- a new card ends the previous session (issue 15) ------------------------------------


def test_a_card_laid_on_the_previous_ticket_starts_a_new_session_at_once(rig: Rig) -> None:
    """The next applicant lays their card while the last one's ticket is still shown: it
    is read at once (the screen goes to their session), not ignored until lifted again."""
    rig.lay("zhang")
    rig.flow.choose_item(rig.item("query").code)
    rig.flow.confirm_ticket()
    assert rig.state.screen is Screen.TICKET
    rig.reader.lift()
    rig.tick()
    rig.reader.lay(DEMO_CARDS["elder"])
    rig.tick()
    s = rig.state
    assert s.screen is Screen.GREEN and s.result is None
    assert s.applicant is not None and s.applicant.masked_name == "王**"


@pytest.mark.parametrize("where", ["business", "materials", "message", "case_entry"])
def test_a_new_card_on_any_screen_ends_the_session(rig: Rig, where: str) -> None:
    rig.lay("zhang")
    if where == "materials":
        rig.flow.choose_item(rig.item("mortgage").code)
    elif where == "message":
        rig.issue_direct("query", ZHANG_ID)
        rig.flow.choose_item(rig.item("query").code)
        rig.flow.confirm_ticket()
    elif where == "case_entry":
        rig.flow.home()
        rig.flow.start_purpose("case")
    assert rig.state.screen.value == where
    rig.reader.lift()
    rig.tick()
    assert rig.state.screen.value == where  # lifting alone changes nothing
    rig.reader.lay(DEMO_CARDS["elder"])
    rig.tick()
    s = rig.state
    assert s.screen is Screen.GREEN and s.item is None and s.message is None
    assert s.applicant is not None and s.applicant.masked_name == "王**"


def test_the_card_left_lying_is_not_read_again(rig: Rig) -> None:
    """Only a newly laid card counts: the one still lying there since it was read does not
    throw its holder out of their own session."""
    rig.lay("zhang")
    rig.flow.choose_item(rig.item("mortgage").code)
    rig.tick(5)
    assert rig.state.screen is Screen.MATERIALS


# --- journeys: a later step already full (issue 15) -----------------------------------


def test_a_journey_whose_later_step_is_full_is_refused_before_printing(
        rig_factory: RigFactory, tmp_path: Path) -> None:
    layout = layout_variant(tmp_path, **{
        "daily_cap = 40                  # 假设 25 件/天 × 1.5": "daily_cap = 1 #"})
    rig = rig_factory(layout)
    assert rig.issue_direct("second_hand").status_code == 201  # the later step's one ticket
    rig.lay("zhang")
    rig.flow.choose_item(rig.item("second_hand", journey=True).code)
    rig.flow.confirm_ticket()
    title, action = texts.message("journey_step_full")
    assert "后续" in title and "咨询台" in action
    assert "二手房转移登记" in rig.state.message.detail_zh  # which step: the server's words
    _refused(rig, "journey_step_full")


# --- 档案原貌 / 房屋现貌 ------------------------------------------------------------------

def _png_page() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (600, 850), 240).save(out, "PNG")
    return out.getvalue()


def test_originals_are_paged_and_forgotten_when_the_session_ends(rig: Rig) -> None:
    need_route(rig.hall.app, ARCHIVE_ROUTE)
    reg = rig.headers("registry")
    seed_unit(rig.http, reg, "U-IMG-1", ZHANG_ID)
    for append in ("false", "true"):
        rig.http.put("/api/v1/units/U-IMG-1/originals", content=_png_page(),
                     params={"append": append},
                     headers={**reg, "Content-Type": "image/png"}).raise_for_status()
    rig.flow.start_purpose(Purpose.ARCHIVE)
    rig.lay("zhang")
    [p] = rig.state.properties
    assert (p.unit_no, p.originals, p.photo) == ("U-IMG-1", 2, False)
    rig.flow.open_images("U-IMG-1", "photo")  # it has none: nothing happens
    assert rig.state.screen is Screen.ARCHIVE
    rig.flow.open_images("U-IMG-1", "original")
    v = rig.state.viewer
    assert rig.state.screen is Screen.IMAGES and v is not None and (v.page, v.pages) == (1, 2)
    assert v.image[:2] == b"\xff\xd8"  # the server's watermarked JPEG
    rig.flow.image_page(-1)  # before the first: stays
    assert rig.state.viewer is v
    rig.flow.image_page(1)
    assert rig.state.viewer is not None and rig.state.viewer.page == 2
    rig.flow.back()
    assert rig.state.screen is Screen.ARCHIVE and rig.state.viewer is None
    rig.flow.open_images("U-IMG-1", "original")
    rig.ticker.advance(KioskSettings().idle_seconds + 1)
    rig.tick()
    s = rig.state
    assert s.screen is Screen.HOME and s.viewer is None and s.properties is None


def test_an_image_refused_by_the_server_is_said_plainly(rig: Rig) -> None:
    need_route(rig.hall.app, ARCHIVE_ROUTE)
    reg = rig.headers("registry")
    seed_unit(rig.http, reg, "U-IMG-2", ZHANG_ID)
    rig.http.put("/api/v1/units/U-IMG-2/photo", content=_png_page(),
                 headers={**reg, "Content-Type": "image/png"}).raise_for_status()
    rig.flow.start_purpose(Purpose.ARCHIVE)
    rig.lay("zhang")
    # The back office changes the card meanwhile: the next image is refused, not shown.
    rig.http.put("/api/v1/id-cards", headers=reg, json={"cards": [
        {"id_number": ZHANG_ID, "authority": "别处公安局", "valid_from": "2001-01-01",
         "valid_to": "2021-01-01"}]}).raise_for_status()
    rig.flow.open_images("U-IMG-2", "photo")
    s = rig.state
    assert s.screen is Screen.MESSAGE and s.message is not None
    assert s.message.code == "card_not_verified" and s.viewer is None
