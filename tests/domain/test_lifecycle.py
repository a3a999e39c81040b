"""The ticket lifecycle as window staff live it: every transition, and every refusal."""

import pytest

from hallrules.id_number import check_digit
from queue_server.domain.errors import Forbidden, IllegalTransition, InvalidInput, LimitReached
from queue_server.domain.events import EventType
from queue_server.domain.identity import KeptApplicant
from queue_server.domain.layout import Priority
from queue_server.domain.tickets import Status
from queue_server.domain.windows import WindowStatus
from tests.domain.helpers import KEY, Driver

ELDER = "11010519491231002X"  # born 1949: 76 on the test day


def young_id() -> str:
    body = "11010519900101123"
    return body + check_digit(body)


def test_numbers_run_per_business_and_are_zero_padded():
    d = Driver()
    assert [d.issue("transfer").number, d.issue("transfer").number, d.issue("mortgage").number] \
        == ["A001", "A002", "B001"]


def test_waiting_called_serving_done_records_each_step():
    d = Driver()
    t = d.issue("transfer")
    called = d.call(1)
    assert called.id == t.id and called.status is Status.CALLED and called.window == 1
    assert d.state.windows[1].current == t.id
    d.tick(1)
    serving = d.do("start", called)
    d.tick(9)
    done = d.do("complete", serving)
    assert done.status is Status.DONE and done.finished_at == d.now
    assert d.state.windows[1].current is None
    # The service time was observed: the running mean moved from the layout's 10 toward 10.
    assert d.state.stats.recent["transfer"][-1] == pytest.approx(10.0)


def test_completing_a_waiting_ticket_is_refused_plainly():
    d = Driver()
    t = d.issue("transfer")
    with pytest.raises(IllegalTransition) as err:
        d.do("complete", t)
    assert "等候中" in str(err.value) and "cannot be completed" in str(err.value)


def test_recall_is_capped_then_becomes_no_show():
    d = Driver()
    d.issue("transfer")
    t = d.call(1)
    for n in range(1, 4):
        t = d.do("recall", t)
        assert t.recalls == n and t.status is Status.CALLED
    t = d.do("recall", t)
    assert t.status is Status.NO_SHOW and t.closed_reason == "recall_limit"
    assert d.state.windows[1].current is None


def test_no_show_frees_the_window():
    d = Driver()
    d.issue("transfer")
    t = d.do("no_show", d.call(1))
    assert t.status is Status.NO_SHOW
    assert d.call(1) is None  # nothing left, and the window may call again


def test_call_next_refuses_while_the_window_holds_a_ticket():
    # A double click on "next" must not call a second applicant.
    d = Driver()
    d.issue("transfer")
    d.issue("transfer")
    d.call(1)
    with pytest.raises(IllegalTransition) as err:
        d.call(1)
    assert err.value.code == "window_busy"


def test_paused_and_closed_windows_cannot_call():
    d = Driver()
    d.issue("transfer")
    d.run(d.state.set_window_status(1, WindowStatus.PAUSED, d.now, actor="w"))
    with pytest.raises(IllegalTransition) as err:
        d.call(1)
    assert err.value.code == "window_paused"
    with pytest.raises(IllegalTransition) as err:
        d.call(6)
    assert err.value.code == "window_closed"


def test_park_and_call_back_only_at_the_parking_window():
    d = Driver()
    d.issue("transfer")
    t = d.call(1)
    parked = d.do("park", t)
    assert parked.status is Status.WAITING and parked.parked and parked.window == 1
    assert d.call(2) is None  # a parked ticket is not routed to anyone
    with pytest.raises(Forbidden):
        d.run(d.state.call_ticket(2, t.id, d.now, actor="w", acting_window=2))
    back = d.run(d.state.call_ticket(1, t.id, d.now, actor="w", acting_window=1)).result
    assert back.status is Status.CALLED and not back.parked


def test_cancel_only_while_waiting():
    d = Driver()
    t = d.issue("transfer")
    assert d.run(d.state.cancel(t.id, d.now, actor="k")).result.status is Status.CANCELLED
    t2 = d.issue("transfer")
    d.call(1)
    with pytest.raises(IllegalTransition):
        d.run(d.state.cancel(t2.id, d.now, actor="k"))


def test_transfer_keeps_the_original_issue_time():
    d = Driver()
    early = d.issue("transfer")
    d.tick(20)
    for _ in range(3):
        d.issue("mortgage")
    d.tick(1)
    t = d.call(1)
    assert t.id == early.id
    moved = d.do("transfer", t, "mortgage")
    assert moved.status is Status.WAITING and moved.business == "mortgage"
    assert moved.queued_at == early.issued_at and moved.priority is Priority.TRANSFERRED
    # It is first in the mortgage queue although three mortgage tickets were issued before
    # it arrived there.
    assert d.state.people_ahead(moved) == 0
    assert d.call(2).id == early.id


def test_transfer_to_the_same_business_or_an_unknown_one_is_refused():
    d = Driver()
    d.issue("transfer")
    t = d.call(1)
    with pytest.raises(InvalidInput):
        d.do("transfer", t, "transfer")
    with pytest.raises(Exception, match="unknown business"):
        d.do("transfer", t, "nosuch")


def test_forward_walks_the_journey_then_refuses_past_the_end():
    d = Driver()
    t = d.issue("tax", journey="sale")
    t = d.call(3)
    nxt = d.do("forward", t)
    assert nxt.business == "transfer" and nxt.journey_step == 1 and nxt.number == t.number
    t = d.call(1)
    assert t.id == nxt.id
    with pytest.raises(IllegalTransition) as err:
        d.do("forward", t)
    assert err.value.code == "no_next_step"


def test_journey_must_start_at_its_first_step():
    d = Driver()
    with pytest.raises(InvalidInput):
        d.issue("transfer", journey="sale")


def test_a_window_acts_only_on_its_own_tickets():
    d = Driver()
    d.issue("transfer")
    t = d.call(1)
    with pytest.raises(Forbidden):
        d.do("complete", t, acting_window=2)
    with pytest.raises(Forbidden):
        d.run(d.state.call_next(1, d.now, actor="w", acting_window=2))


def test_daily_cap_refuses_with_a_message_for_the_applicant():
    d = Driver()
    for _ in range(5):
        d.issue("transfer")
    with pytest.raises(LimitReached) as err:
        d.issue("transfer")
    assert err.value.code == "daily_cap_reached" and "咨询台" in str(err.value)


def test_per_id_daily_limit_and_one_waiting_ticket_per_business():
    d = Driver()
    a = KeptApplicant.from_id(young_id(), "李四", KEY)
    d.issue("transfer", applicant=a)
    with pytest.raises(LimitReached) as err:
        d.issue("transfer", applicant=a)
    assert err.value.code == "already_waiting"
    d.issue("mortgage", applicant=a)
    d.issue("tax", applicant=a)
    with pytest.raises(LimitReached) as err:
        d.issue("query", applicant=a)
    assert err.value.code == "id_limit_reached"


def test_elderly_applicant_gets_green_channel_unless_they_decline():
    d = Driver()
    elder = KeptApplicant.from_id(ELDER, "王五", KEY)
    t = d.issue("transfer", applicant=elder)
    assert t.priority is Priority.GREEN and t.priority_reason == "age"
    t2 = d.issue("mortgage", applicant=elder, priority=Priority.NORMAL)
    assert t2.priority is Priority.NORMAL


def test_kiosk_cannot_grant_green_to_a_young_applicant_but_a_guide_can():
    d = Driver()
    young = KeptApplicant.from_id(young_id(), "李四", KEY)
    with pytest.raises(Forbidden) as err:
        d.issue("transfer", applicant=young, priority=Priority.GREEN)
    assert err.value.code == "green_not_eligible"
    t = d.issue("transfer", applicant=young, priority=Priority.GREEN, channel="guide",
                priority_reason="disability")
    assert t.priority is Priority.GREEN and t.priority_reason == "disability"


def test_business_with_no_window_left_refuses_tickets():
    d = Driver()
    d.run(d.state.set_window_status(3, WindowStatus.CLOSED, d.now, actor="g"))
    with pytest.raises(LimitReached) as err:
        d.issue("tax")
    assert err.value.code == "business_closed"


def test_close_day_abandons_open_tickets_and_reports():
    d = Driver()
    d.issue("transfer")
    d.issue("transfer")
    done = d.call(1)
    d.do("complete", done)
    d.issue("mortgage")
    d.call(2)
    from datetime import timedelta
    change = d.state.close_day(d.now, d.state.day + timedelta(days=1))
    assert sorted(t.number for t in change.tickets) == ["A002", "B001"]
    assert all(t.status is Status.CANCELLED and t.closed_reason == "abandoned" for t in change.tickets)
    assert change.report["abandoned"] == 2 and change.report["issued"] == 3
    assert change.report["businesses"]["transfer"]["done"] == 1
    assert change.events[-1].type is EventType.DAY_CLOSED
    d.run(change)
    assert d.state.tickets == {} and d.issue("transfer").number == "A001"
    assert d.state.windows[1].current is None


def test_forward_queues_from_the_forward_time_with_the_transferred_head_start():
    d = Driver()
    t = d.issue("tax", journey="sale")
    d.tick(5)
    walk_in = d.issue("transfer")
    d.tick(40)
    called = d.call(3)
    assert called.id == t.id
    nxt = d.do("forward", called)
    assert nxt.queued_at == d.now and nxt.priority is Priority.TRANSFERRED
    # 15 minutes' head start is not 40 minutes of age: the walk-in who has waited
    # 40 minutes is still served first at the next window.
    assert d.call(1).id == walk_in.id


def test_a_journey_whose_later_step_is_full_is_refused_before_its_first_ticket():
    # The mini hall's transfer (the sale's second step) takes 5 tickets a day.
    d = Driver()
    for _ in range(4):
        d.issue("transfer")
    assert d.issue("tax", journey="sale").number == "T001"  # transfer still has one left
    d.issue("transfer")
    with pytest.raises(LimitReached) as err:
        d.issue("tax", journey="sale")
    assert err.value.code == "journey_step_full" and "转移登记" in err.value.message_zh
    assert d.state.sequences["tax"] == 1  # nothing was issued: no number used up
    assert d.issue("tax").number == "T002"  # tax alone is still fine


def test_business_served_only_by_a_back_office_window_refuses_tickets():
    # Window 5 is back-office and lists transfer; with 1 and 2 closed nobody calls it.
    d = Driver()
    for n in (1, 2):
        d.run(d.state.set_window_status(n, WindowStatus.CLOSED, d.now, actor="g"))
    with pytest.raises(LimitReached) as err:
        d.issue("transfer")
    assert err.value.code == "business_closed"
    assert err.value.message_zh.startswith("「转移登记」暂停取号")
    assert d.state.queue_summary(d.now)[0]["front_open"] is False
    # The sale journey ends at transfer: its first step cannot be issued either.
    with pytest.raises(LimitReached) as err:
        d.issue("tax", journey="sale")
    assert err.value.code == "business_closed"
    assert err.value.message_zh.startswith("「买卖」中的「转移登记」目前没有开放的前台窗口办理")
    d.issue("tax")  # tax on its own is still served
    # A paused front window is coming back: tickets are taken again.
    d.run(d.state.set_window_status(1, WindowStatus.OPEN, d.now, actor="g"))
    d.run(d.state.set_window_status(1, WindowStatus.PAUSED, d.now, actor="g"))
    assert d.issue("transfer").business == "transfer"
