"""好差评 from the kiosk, without Kivy: a real queue server, the real device simulators.

The applicant lays the ID card after the visit and rates the newest service not yet
rated; a journey's other windows are offered one after the other. After a rating of 3–5
the three dimensions are asked (optional), after 1–2 the reason (optional). Nothing is
sent before the overall touch; once given, it is sent even if the applicant walks away
from the optional question.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time as dtime
from typing import Any

import httpx
import pytest

from devices.idcard import DEMO_CARDS
from kiosk.client import ServerUnreachable
from kiosk.models import (
    BadResponse,
    Dimension,
    parse_dimensions,
    parse_evaluated,
    parse_pending,
)
from kiosk.settings import KioskSettings
from kiosk.state import Purpose, Screen
from tests.kiosk.conftest import DAY, SMALL, Rig, Ticker, build_flow
from tests.quality.helpers import add_staff, sign_in
from tests.server.conftest import AppHandle, LiveServer

API = "/api/v1"
ZHANG_ID = DEMO_CARDS["zhang"].id_number  # type: ignore[union-attr]


def call_and_finish(http: httpx.Client, hall: AppHandle, window: int, ticket_id: str, *,
                    end: str = "complete") -> None:
    """Window `window` calls the ticket, serves it for a few minutes and ends the service
    (办结, or 转下一环节 for a journey's step)."""
    win = hall.headers("window", window)
    called = http.post(f"{API}/windows/{window}/call-next", headers=win)
    assert called.status_code == 200 and called.json()["ticket"]["id"] == ticket_id, called.text
    assert http.post(f"{API}/tickets/{ticket_id}/start", headers=win).status_code == 200
    hall.clock.advance(minutes=6)
    done = http.post(f"{API}/tickets/{ticket_id}/{end}", headers=win)
    assert done.status_code == 200, done.text


def served(rig: Rig, business: str = "query", window: int = 6, staff: str = "1001",
           name: str = "张伟") -> str:
    """A ticket of zhang's, served at `window` by a signed-in member of staff."""
    add_staff(rig.http, rig.hall, staff, name)  # type: ignore[arg-type]
    sign_in(rig.http, rig.hall, window, staff)  # type: ignore[arg-type]
    r = rig.issue_direct(business, ZHANG_ID)
    assert r.status_code == 201, r.text
    ticket_id: str = r.json()["id"]
    call_and_finish(rig.http, rig.hall, window, ticket_id)
    return ticket_id


def evaluations(http: httpx.Client, hall: AppHandle) -> list[dict[str, Any]]:
    r = http.get(f"{API}/evaluations", params={"from": DAY.isoformat(), "to": DAY.isoformat()},
                 headers=hall.headers("manager"))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def said(rig: Rig) -> list[str]:
    rig.hw.manager.get("voice").wait_idle(2)  # type: ignore[attr-defined]
    return [a.text for a in rig.voice.said]


def to_rating_screen(rig: Rig) -> None:
    rig.flow.start_purpose(Purpose.RATE)
    assert rig.state.screen is Screen.CARD and rig.state.purpose is Purpose.RATE
    rig.lay("zhang")


def test_a_served_ticket_rated_from_the_kiosk(rig: Rig) -> None:
    assert Purpose.RATE in rig.state.hall.offers
    ticket_id = served(rig)
    to_rating_screen(rig)
    s = rig.state
    assert s.screen is Screen.RATE, s.message
    [service] = s.to_rate
    assert (service.ticket, service.window, service.staff, service.staff_name,
            service.business_name) == (ticket_id, 6, "1001", "张伟", "信息查询")
    assert "请为刚才的服务评价" in said(rig)[-1]
    rig.flow.rate(5)
    assert rig.state.screen is Screen.RATE_DIMS
    assert evaluations(rig.http, rig.hall) == []  # the dimensions are still to come
    rig.flow.rate_skip()
    s = rig.state
    assert s.screen is Screen.RATE_THANKS and s.rated == 5 and s.to_rate == ()
    [ev] = evaluations(rig.http, rig.hall)
    assert (ev["ticket_id"], ev["channel"], ev["window"], ev["staff"], ev["rating"]) == (
        ticket_id, "kiosk", 6, "1001", 5)
    assert (ev["efficiency"], ev["competence"], ev["attitude"]) == (None, None, None)
    # All said: the kiosk goes home soon, sooner than the idle time-out.
    rig.ticker.advance(KioskSettings().thanks_seconds)
    rig.tick()
    s = rig.state
    assert s.screen is Screen.HOME and s.applicant is None and s.to_rate == ()
    assert s.rated is None and ZHANG_ID not in repr(s) and "张伟" not in repr(s)


def test_nothing_to_rate_says_so_and_what_to_do(rig: Rig) -> None:
    assert rig.issue_direct("query", ZHANG_ID).status_code == 201  # waiting, not served
    to_rating_screen(rig)
    m = rig.state.message
    assert rig.state.screen is Screen.MESSAGE and m is not None and m.code == "nothing_to_rate"
    assert rig.state.to_rate == ()
    assert evaluations(rig.http, rig.hall) == []


def test_a_journey_rated_window_after_window(rig: Rig) -> None:
    add_staff(rig.http, rig.hall, "1001", "张伟")  # type: ignore[arg-type]
    add_staff(rig.http, rig.hall, "2002", "李娜")  # type: ignore[arg-type]
    sign_in(rig.http, rig.hall, 5, "2002")  # type: ignore[arg-type]
    sign_in(rig.http, rig.hall, 1, "1001")  # type: ignore[arg-type]
    rig.lay("zhang")  # takes the journey's ticket at this kiosk
    rig.flow.choose_item(rig.item("second_hand", journey=True).code)
    rig.flow.confirm_ticket()
    result = rig.state.result
    assert result is not None
    ticket_id = result.ticket.id
    rig.flow.home()
    call_and_finish(rig.http, rig.hall, 5, ticket_id, end="forward")  # tax
    call_and_finish(rig.http, rig.hall, 1, ticket_id, end="forward")  # the transfer itself
    rig.reader.lift()
    rig.tick()

    to_rating_screen(rig)
    s = rig.state
    assert s.screen is Screen.RATE
    assert [(x.window, x.staff_name) for x in s.to_rate] == [(1, "张伟"), (5, "李娜")]
    rig.flow.rate(4)
    rig.flow.rate_submit()  # nothing chosen: the overall alone
    s = rig.state
    assert s.screen is Screen.RATE_THANKS and [x.window for x in s.to_rate] == [5]
    assert "还有一项服务可以评价" in said(rig)[-1]
    rig.ticker.advance(KioskSettings().thanks_seconds + 1)
    rig.tick()  # an offer is waiting: no early return home
    assert rig.state.screen is Screen.RATE_THANKS
    rig.flow.rate_next()
    assert rig.state.screen is Screen.RATE and rig.state.to_rate[0].window == 5
    assert rig.state.scores == () and rig.state.rating is None  # nothing of the first
    rig.flow.rate(5)
    rig.flow.rate_dimension("attitude", 5)
    rig.flow.rate_submit()
    assert rig.state.screen is Screen.RATE_THANKS and rig.state.to_rate == ()
    got = {(e["window"], e["staff"], e["rating"], e["channel"], e["attitude"])
           for e in evaluations(rig.http, rig.hall)}
    assert got == {(1, "1001", 4, "kiosk", None), (5, "2002", 5, "kiosk", 5)}


def test_the_dimensions_chosen_land_with_the_rating(rig: Rig) -> None:
    ticket_id = served(rig)
    to_rating_screen(rig)
    rig.flow.rate(4)
    s = rig.state
    assert s.screen is Screen.RATE_DIMS and s.rating == 4
    # The server's own names, Chinese and English, in its order.
    assert [(d.code, d.name, d.name_en) for d in s.dimensions] == [
        ("efficiency", "办事效率", "Efficiency"), ("competence", "业务水平", "Competence"),
        ("attitude", "服务态度", "Attitude")]
    assert "办事效率" in said(rig)[-1]
    rig.flow.back()  # a mis-touched level: choose again, nothing sent
    assert rig.state.screen is Screen.RATE and rig.state.rating is None
    assert evaluations(rig.http, rig.hall) == []
    rig.flow.rate(3)
    flow = rig.flow
    flow.rate_dimension("attitude", 2)
    flow.rate_dimension("efficiency", 5)
    assert rig.state.scores == (("efficiency", 5), ("attitude", 2))  # the server's order
    flow.rate_dimension("attitude", 2)  # touched again: un-chosen
    assert rig.state.score("attitude") is None
    flow.rate_dimension("attitude", 3)
    flow.rate_dimension("competence", 4)
    flow.rate_dimension("competence", 1)  # another level of the same row: replaces it
    flow.rate_dimension("competence", 1)  # and un-chosen
    flow.rate_dimension("speed", 5)  # not the server's: ignored
    flow.rate_dimension("efficiency", 7)  # not a level: ignored
    assert rig.state.scores == (("efficiency", 5), ("attitude", 3))
    flow.rate_submit()
    s = rig.state
    assert s.screen is Screen.RATE_THANKS and s.rated == 3 and s.scores == ()
    [ev] = evaluations(rig.http, rig.hall)
    assert (ev["ticket_id"], ev["rating"], ev["efficiency"], ev["competence"], ev["attitude"],
            ev["reason"]) == (ticket_id, 3, 5, None, 3, None)


def test_skip_sends_the_rating_without_the_dimensions_chosen(rig: Rig) -> None:
    served(rig)
    to_rating_screen(rig)
    rig.flow.rate(5)
    rig.flow.rate_dimension("efficiency", 4)
    rig.flow.rate_skip()
    assert rig.state.screen is Screen.RATE_THANKS and rig.state.rated == 5
    [ev] = evaluations(rig.http, rig.hall)
    assert (ev["rating"], ev["efficiency"], ev["competence"], ev["attitude"]) == (
        5, None, None, None)


def test_a_bad_rating_with_its_reason_opens_a_work_order(rig: Rig) -> None:
    ticket_id = served(rig)
    to_rating_screen(rig)
    rig.flow.rate(1)
    s = rig.state
    assert s.screen is Screen.RATE_REASON and s.rating == 1
    assert {"slow", "attitude", "other"} <= {r.code for r in s.reasons}
    assert evaluations(rig.http, rig.hall) == []  # nothing sent before the last press
    rig.flow.back()  # a mis-touch: choose again
    assert rig.state.screen is Screen.RATE
    rig.flow.rate(2)
    rig.flow.rate_reason("no-such-reason")  # not on the list: ignored
    assert rig.state.screen is Screen.RATE_REASON
    rig.flow.rate_reason("attitude")
    assert rig.state.screen is Screen.RATE_THANKS and rig.state.rated == 2
    [ev] = evaluations(rig.http, rig.hall)
    assert (ev["rating"], ev["reason"], ev["channel"]) == (2, "attitude", "kiosk")
    orders = rig.http.get(f"{API}/followups", headers=rig.headers("guide")).json()
    assert [(o["ticket"], o["rating"], o["window"], o["staff"], o["status"]) for o in orders] == [
        (ticket_id, 2, 6, "1001", "open")]


def test_a_bad_rating_without_a_reason(rig: Rig) -> None:
    served(rig)
    to_rating_screen(rig)
    rig.flow.rate(1)
    rig.flow.rate_reason(None)
    assert rig.state.screen is Screen.RATE_THANKS
    [ev] = evaluations(rig.http, rig.hall)
    assert (ev["rating"], ev["reason"]) == (1, None)


def walk_away(rig: Rig) -> None:
    rig.ticker.advance(KioskSettings().idle_seconds + 1)
    rig.tick()
    s = rig.state
    assert s.screen is Screen.HOME and s.to_rate == () and s.rating is None
    assert s.scores == () and s.applicant is None
    rig.reader.lift()
    rig.tick()


def test_a_server_without_dimensions_takes_the_rating_at_once(rig: Rig) -> None:
    served(rig)
    client = rig.flow.client
    reasons, _dimensions = client.evaluation_words()
    client.evaluation_words = lambda: (reasons, ())  # type: ignore[method-assign]
    to_rating_screen(rig)
    rig.flow.rate(4)
    assert rig.state.screen is Screen.RATE_THANKS and rig.state.rated == 4
    [ev] = evaluations(rig.http, rig.hall)
    assert (ev["rating"], ev["efficiency"]) == (4, None)


def test_walked_away_from_the_levels_nothing_is_sent(rig: Rig) -> None:
    served(rig)
    to_rating_screen(rig)
    walk_away(rig)
    assert evaluations(rig.http, rig.hall) == []
    assert rig.flow.counters["idle_timeouts"] == 1


def test_walked_away_from_the_dimensions_the_rating_alone_is_sent(rig: Rig) -> None:
    ticket_id = served(rig)
    to_rating_screen(rig)
    rig.flow.rate(4)
    rig.flow.rate_dimension("efficiency", 5)  # chosen, never submitted
    assert rig.state.screen is Screen.RATE_DIMS
    walk_away(rig)
    [ev] = evaluations(rig.http, rig.hall)
    assert (ev["ticket_id"], ev["rating"], ev["channel"], ev["window"]) == (
        ticket_id, 4, "kiosk", 6)
    assert (ev["efficiency"], ev["competence"], ev["attitude"]) == (None, None, None)
    assert rig.flow.counters["ratings_left"] == 1
    to_rating_screen(rig)  # and it counts as rated
    m = rig.state.message
    assert rig.state.screen is Screen.MESSAGE and m is not None and m.code == "nothing_to_rate"


def test_walked_away_from_the_reasons_the_bad_rating_is_sent_too(rig: Rig) -> None:
    # As on the pads, and as after a good rating: sending only the good ones left
    # behind would flatter the figures and open no work order for the bad ones.
    ticket_id = served(rig)
    to_rating_screen(rig)
    rig.flow.rate(1)
    assert rig.state.screen is Screen.RATE_REASON
    walk_away(rig)
    [ev] = evaluations(rig.http, rig.hall)
    assert (ev["ticket_id"], ev["rating"], ev["reason"]) == (ticket_id, 1, None)
    orders = rig.http.get(f"{API}/followups", headers=rig.headers("guide")).json()
    assert [(o["ticket"], o["rating"]) for o in orders] == [(ticket_id, 1)]


def test_home_from_the_optional_questions_sends_nothing(rig: Rig) -> None:
    served(rig)
    for level in (5, 2):
        to_rating_screen(rig)
        rig.flow.rate(level)
        assert rig.state.screen in (Screen.RATE_DIMS, Screen.RATE_REASON)
        rig.flow.home()  # a choice, not a walk-away
        assert rig.state.screen is Screen.HOME
        rig.reader.lift()
        rig.tick()
    assert evaluations(rig.http, rig.hall) == []


def test_walked_away_while_the_server_is_away(rig: Rig) -> None:
    served(rig)
    to_rating_screen(rig)
    rig.flow.rate(4)
    client = rig.flow.client

    def away(*_a: object, **_k: object) -> None:
        raise ServerUnreachable("gone")

    client.evaluate = away  # type: ignore[method-assign,assignment]
    rig.ticker.advance(KioskSettings().idle_seconds + 1)
    rig.tick()
    s = rig.state
    assert s.screen is Screen.OFFLINE and s.to_rate == () and s.rating is None
    assert "server" in s.faults


def test_already_rated_at_the_pad_meanwhile(rig: Rig) -> None:
    ticket_id = served(rig)
    to_rating_screen(rig)
    pad = rig.http.post(f"{API}/tickets/{ticket_id}/evaluation", json={"rating": 4},
                        headers=rig.hall.headers("pad", 6))
    assert pad.status_code == 201, pad.text
    rig.flow.rate(5)
    rig.flow.rate_dimension("attitude", 5)
    rig.flow.rate_submit()
    m = rig.state.message
    assert rig.state.screen is Screen.MESSAGE and m is not None
    assert m.code == "already_evaluated" and m.detail_zh == ""  # the title says it all
    assert [e["channel"] for e in evaluations(rig.http, rig.hall)] == ["pad"]


def test_a_server_without_evaluations_offers_no_door(rig: Rig) -> None:
    client = rig.flow.client
    client.has_evaluations = lambda: False  # type: ignore[method-assign]
    rig.flow._load_hall()
    assert Purpose.RATE not in rig.state.hall.offers
    rig.flow.start_purpose(Purpose.RATE)
    m = rig.state.message
    assert m is not None and m.code == "feature_unavailable"


def test_the_server_away(make_hall: Callable[..., AppHandle]) -> None:
    handle = make_hall(SMALL)
    server = LiveServer(handle.app)
    server.start()
    ticker = Ticker()
    with httpx.Client(base_url=server.url) as http:
        flow, hw = build_flow(handle, http, ticker=ticker)
        reader = hw.simulator("idcard")
        try:
            flow.start()
            r = http.post(f"{API}/tickets", json={"business": "query", "applicant": {
                "id_number": ZHANG_ID, "name": "张伟"}}, headers=handle.headers("kiosk"))
            call_and_finish(http, handle, 6, r.json()["id"])

            # Away when the card is laid: the kiosk's offline handling.
            flow.start_purpose(Purpose.RATE)
            server.stop()
            reader.lay(DEMO_CARDS["zhang"])
            flow.tick()
            m = flow.state.message
            assert m is not None and m.code == "server_unreachable"
            assert "server" in flow.state.faults
            flow.home()
            assert flow.state.screen is Screen.OFFLINE
            reader.lift()
            flow.tick()

            # Back; then away again between the levels shown and the press.
            server.start()
            ticker.advance(KioskSettings().server_retry_seconds)
            flow.tick()
            assert flow.state.screen is Screen.HOME
            flow.start_purpose(Purpose.RATE)
            reader.lay(DEMO_CARDS["zhang"])
            flow.tick()
            assert flow.state.screen is Screen.RATE
            server.stop()
            flow.rate(5)
            assert flow.state.screen is Screen.RATE_DIMS  # asks nothing of the server
            flow.rate_dimension("competence", 5)
            flow.rate_submit()
            m = flow.state.message
            assert m is not None and m.code == "server_unreachable"
            server.start()
            assert evaluations(http, handle) == []  # nothing recorded, nothing assumed
        finally:
            server.stop()
            hw.close()


def test_answers_the_kiosk_cannot_use_are_a_server_away() -> None:
    with pytest.raises(BadResponse):
        parse_pending({"not": "a list"})
    with pytest.raises(BadResponse):
        parse_pending([{"number": "A001"}])  # no ticket, no window
    [one] = parse_pending([{"ticket": "t1", "number": "A001", "window": 3, "staff": None,
                            "staff_name": "", "business": "tax", "business_name": "",
                            "ended_at": "2026-11-23T09:30:00+08:00"}])
    assert (one.staff, one.business_name) == ("", "tax")  # no name: the code, not blank
    assert parse_dimensions({"dimensions": [{"code": "attitude", "name": "服务态度"},
                                            {"name": "no code"}]}) == (
        Dimension("attitude", "服务态度", ""),)
    assert parse_dimensions({"levels": []}) == ()  # an older server: none asked
    assert parse_evaluated({"id": "e1", "rating": 2, "work_order": {"id": "w",
                            "due_date": "2026-12-14"}}).work_order_due == "2026-12-14"


# --- rating by scanning the ticket's QR (its follow link) ------------------------------


def follow_link(rig: Rig, ticket_id: str) -> str:
    url: str = rig.server_ticket(ticket_id)["follow_url"]
    assert "/t/" in url
    return url


def altered(link: str) -> str:
    """The same link with its signature's last character changed."""
    return link[:-1] + ("a" if link[-1] != "a" else "b")


def test_a_served_ticket_rated_by_scanning_its_qr(rig: Rig) -> None:
    ticket_id = served(rig)
    rig.flow.start_purpose(Purpose.RATE)
    assert rig.state.screen is Screen.CARD
    rig.present(follow_link(rig, ticket_id))
    s = rig.state
    assert s.screen is Screen.RATE, s.message
    assert s.applicant is None and s.purpose is Purpose.RATE
    [service] = s.to_rate
    assert (service.ticket, service.window, service.staff) == (ticket_id, 6, "1001")
    rig.flow.rate(4)
    rig.flow.rate_dimension("attitude", 5)
    rig.flow.rate_submit()
    s = rig.state
    assert s.screen is Screen.RATE_THANKS and s.rated == 4 and s.to_rate == ()
    assert said(rig)[-1] == "谢谢您的评价"  # no card was laid: none to take back
    [ev] = evaluations(rig.http, rig.hall)
    assert (ev["ticket_id"], ev["channel"], ev["window"], ev["staff"], ev["rating"],
            ev["attitude"]) == (ticket_id, "kiosk", 6, "1001", 4, 5)
    # Scanned again (as its path: the scanner drops a repeat of the same text for a few
    # seconds): nothing left to rate.
    rig.flow.home()
    link = follow_link(rig, ticket_id)
    rig.present(link[link.index("/t/"):] + "/")
    m = rig.state.message
    assert rig.state.screen is Screen.MESSAGE and m is not None and m.code == "nothing_to_rate"


@pytest.mark.parametrize("form", ["full", "path"])
def test_the_ticket_qr_scanned_on_the_home_screen(rig: Rig, form: str) -> None:
    ticket_id = served(rig)
    link = follow_link(rig, ticket_id)
    path = link[link.index("/t/"):]
    rig.present("https://hall.example/queue" + path if form == "full" else path)
    s = rig.state
    assert s.screen is Screen.RATE, s.message
    assert [x.ticket for x in s.to_rate] == [ticket_id]


def test_an_altered_ticket_qr_is_not_recognised(rig: Rig) -> None:
    ticket_id = served(rig)
    rig.flow.start_purpose(Purpose.RATE)
    rig.present(altered(follow_link(rig, ticket_id)))
    m = rig.state.message
    assert rig.state.screen is Screen.MESSAGE and m is not None and m.code == "follow_unknown"
    assert "这张小票的二维码无法识别" in said(rig)[-1]
    assert evaluations(rig.http, rig.hall) == []


def test_yesterdays_ticket_qr_has_nothing_to_rate_not_an_unknown_code(rig: Rig) -> None:
    """The follow link is good for its business day: a day later the server answers
    follow_expired, and the kiosk says there is nothing to rate today (the ticket was
    real), not that its code is unknown."""
    ticket_id = served(rig)
    link = follow_link(rig, ticket_id)
    rig.hall.clock.advance(days=1)
    rig.flow.start_purpose(Purpose.RATE)
    rig.present(link)
    m = rig.state.message
    assert rig.state.screen is Screen.MESSAGE and m is not None and m.code == "nothing_to_rate"
    assert evaluations(rig.http, rig.hall) == []


def test_a_ticket_still_waiting_has_nothing_to_rate(rig: Rig) -> None:
    r = rig.issue_direct("query", ZHANG_ID)
    assert r.status_code == 201, r.text
    rig.flow.start_purpose(Purpose.RATE)
    rig.present(r.json()["follow_url"])
    m = rig.state.message
    assert rig.state.screen is Screen.MESSAGE and m is not None and m.code == "nothing_to_rate"
    assert evaluations(rig.http, rig.hall) == []


def test_other_codes_at_the_rating_door(rig: Rig) -> None:
    rig.flow.start_purpose(Purpose.RATE)
    rig.present("hello")  # neither a slip, a receipt nor a follow link
    assert (rig.state.screen, rig.state.notice) == (Screen.CARD, "slip_invalid")
    slip = rig.appointment_slip("query", dtime(9, 0), dtime(9, 30))
    rig.present(slip)  # the hall's, but not for this door: nothing asked of the server
    assert (rig.state.screen, rig.state.notice) == (Screen.CARD, "slip_wrong_kind")
    assert rig.state.purpose is Purpose.RATE


def test_the_ticket_qr_at_the_appointment_scan_is_not_its_code(rig: Rig) -> None:
    ticket_id = served(rig)
    rig.flow.start_purpose(Purpose.APPOINTMENT)
    assert rig.state.screen is Screen.SCAN
    rig.present(follow_link(rig, ticket_id))
    assert (rig.state.screen, rig.state.notice) == (Screen.SCAN, "slip_invalid")
    assert rig.state.to_rate == ()
