"""不予受理 and 预审 as rules: which ticks make a notice, what it says, how the ticket
closes, and how the figures count refusals with and without the desk's pre-check."""

from __future__ import annotations

from datetime import date

import pytest

from queue_server.domain import kpi
from queue_server.domain.catalogue import load_catalogue
from queue_server.domain.errors import Forbidden, IllegalTransition, InvalidInput
from queue_server.domain.events import EventType
from queue_server.domain.notices import find_item, missing_materials, notice_number
from queue_server.domain.tickets import Status
from tests.conftest import FIXTURES
from tests.domain.helpers import Driver
from tests.domain.test_kpi import SETUP, Log

CATALOGUE = load_catalogue(FIXTURES / "notice_catalogue.toml")


def refuse(d: Driver, t, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("catalogue", CATALOGUE)
    kw.setdefault("item", "second_hand")
    kw.setdefault("ticked", [2])
    kw.setdefault("note", "")
    kw.setdefault("notice_no", "MINI-20261123-0001")
    kw.setdefault("actor", "window:1")
    return d.run(d.state.refuse(t.id, d.now, **kw))


def test_notice_number_leads_with_the_hall_code_and_pads_the_sequence():
    assert notice_number("HY01", date(2026, 12, 6), 7) == "HY01-20261206-0007"
    assert notice_number("HY01", date(2026, 12, 6), 12345) == "HY01-20261206-12345"


def test_ticked_materials_come_in_list_order_once_with_where_to_get_them():
    item = CATALOGUE.item("second_hand")
    assert item is not None
    got = missing_materials(item, [4, 1, 4])
    assert [m.index for m in got] == [1, 4]
    assert got[0].where == "大厅咨询台领取，或网上预申请后打印"
    assert got[1].text == "契税完税凭证原件。" and got[1].text_en == "The deed-tax receipt, original."
    # An item that does not say where: the notice leaves it out, not an empty promise.
    gift = CATALOGUE.item("gift")
    assert gift is not None
    assert [m.where for m in missing_materials(gift, [1, 2])] == ["", ""]


@pytest.mark.parametrize(("ticked", "code"), [([], "no_materials_ticked"),
                                              ([0], "unknown_material"),
                                              ([5], "unknown_material"),
                                              ([-1, 2], "unknown_material")])
def test_bad_ticks_are_refused_by_name(ticked, code):
    item = CATALOGUE.item("second_hand")
    with pytest.raises(InvalidInput) as err:
        missing_materials(item, ticked)  # type: ignore[arg-type]
    assert err.value.code == code
    assert err.value.message_zh and err.value.message_en


def test_items_are_found_for_their_own_business_only():
    assert find_item(CATALOGUE, "second_hand", "transfer").code == "second_hand"
    with pytest.raises(InvalidInput) as err:
        find_item(CATALOGUE, "nope", "transfer")
    assert err.value.code == "unknown_item" and "nope" in err.value.message_zh
    with pytest.raises(InvalidInput) as err:
        find_item(CATALOGUE, "mortgage_new", "transfer")
    assert err.value.code == "item_not_for_business"
    with pytest.raises(InvalidInput):
        find_item(None, "second_hand", "transfer")  # a hall without a catalogue


def test_refusal_closes_the_ticket_as_refused_frees_the_window_and_carries_the_notice():
    d = Driver()
    t = d.issue("transfer", precheck_item="second_hand")
    assert t.precheck_item == "second_hand"
    d.call(1)
    change = refuse(d, t, ticked=[4, 1], note="  请带\n原件  ")
    done = change.result
    assert done.status is Status.DONE and done.closed_reason == "refused"
    assert d.state.windows[1].current is None
    [event] = change.events
    assert event.type is EventType.TICKET_REFUSED
    assert event.data["notice"] == "MINI-20261123-0001" and event.data["missing"] == [1, 4]
    [n] = change.notices
    assert (n.hall, n.item, n.item_name, n.window, n.ticket_number) == (
        "MINI", "second_hand", "二手房转移登记", 1, t.number)
    assert n.note == "请带 原件" and n.prechecked is True
    assert [m.index for m in n.missing] == [1, 4]


def test_only_the_ticket_at_this_window_can_be_refused():
    d = Driver()
    t = d.issue("transfer")
    with pytest.raises(IllegalTransition):  # still waiting: nobody is being served
        refuse(d, t)
    d.call(1)
    with pytest.raises(Forbidden) as err:
        refuse(d, t, acting_window=2)
    assert err.value.code == "wrong_window"
    with pytest.raises(InvalidInput) as err:
        refuse(d, t, item="mortgage_new")
    assert err.value.code == "item_not_for_business"
    refuse(d, t)
    with pytest.raises(IllegalTransition):  # closed: a second notice is not made
        refuse(d, t, notice_no="MINI-20261123-0002")


def test_figures_count_refused_apart_and_compare_refusal_with_and_without_pre_check():
    e = Log()
    rows = []
    # Four called visits: two pre-checked (one refused), two not (both refused).
    for i, (checked, end) in enumerate([(True, "ticket.refused"), (True, "ticket.completed"),
                                        (False, "ticket.refused"), (False, "ticket.refused")]):
        tid = f"t{i}"
        rows.append(kpi.TicketRow(tid, date(2026, 11, 23), "transfer", prechecked=checked))
        e(i, "ticket.issued", tid)
        e(10 + i, "ticket.called", tid, 1)
        e(20 + i, end, tid, 1)
    _, total = kpi.report(kpi.By.BUSINESS, SETUP, rows, e.rows, today=date(2026, 11, 24))
    assert (total["arrived"], total["served"], total["refused"]) == (4, 1, 3)
    assert total["refusal_rate"] == 0.75
    assert total["prechecked"] == 2
    assert total["refusal_rate_prechecked"] == 0.5
    assert total["refusal_rate_unchecked"] == 1.0
    assert total["open"] == 0  # a refusal ends the visit


def test_figures_with_no_pre_check_have_no_rate_for_it():
    e = Log()
    e(0, "ticket.issued", "a")
    e(5, "ticket.called", "a", 1)
    e(9, "ticket.refused", "a", 1)
    _, total = kpi.report(kpi.By.WINDOW, SETUP, [kpi.TicketRow("a", date(2026, 11, 23), "transfer")],
                          e.rows, today=date(2026, 11, 24))
    assert total["refused"] == 1 and total["prechecked"] == 0
    assert total["refusal_rate_prechecked"] is None and total["refusal_rate_unchecked"] == 1.0


def test_where_lines_must_match_the_materials_one_for_one():
    from queue_server.domain.catalogue import parse_catalogue
    text = (FIXTURES / "notice_catalogue.toml").read_text(encoding="utf-8").replace(
        '  "大厅税务窗口（7号窗口）开具",\n', "", 1)
    catalogue, problems = parse_catalogue(text, "c.toml")
    assert catalogue is None
    assert any("获取途径应与收件清单逐条对应" in p and "has 3 entries" in p for p in problems)


def test_the_default_catalogue_says_where_for_a_second_hand_sale():
    from queue_server.domain.catalogue import check_catalogue_file
    from tests.conftest import REPO
    path = REPO / "layouts" / "catalogue.toml"
    assert check_catalogue_file(path) == []
    item = load_catalogue(path).item("second_hand_sale")
    assert item is not None and item.materials_where[5] == "大厅税务窗口开具"
