"""Routing on small hand-checked scenarios."""

from dataclasses import replace

import pytest

from queue_server.domain.errors import LimitReached
from queue_server.domain.layout import Priority, RoutingPolicy, RoutingPolicyName
from queue_server.domain.windows import WindowStatus
from tests.domain.helpers import Driver, mini_layout


def driver(policy: RoutingPolicyName, bonus: float = 0.0) -> Driver:
    layout = mini_layout()
    routing = RoutingPolicy(policy=policy, own_business_bonus_minutes=bonus,
                            head_start_minutes=layout.routing.head_start_minutes)
    d = Driver(replace(layout, routing=routing))
    return d


def test_oldest_eligible_takes_the_oldest_across_the_windows_businesses():
    d = driver(RoutingPolicyName.OLDEST_ELIGIBLE)
    b = d.issue("mortgage")
    d.tick(1)
    d.issue("transfer")
    # Window 1 serves transfer first, but the mortgage ticket has waited longer.
    assert d.call(1).id == b.id


def test_own_first_serves_its_first_business_before_older_others():
    d = driver(RoutingPolicyName.OWN_FIRST)
    d.issue("mortgage")
    d.tick(1)
    a = d.issue("transfer")
    assert d.call(1).id == a.id


def test_bonus_lets_a_window_prefer_its_own_business_up_to_a_bound():
    d = driver(RoutingPolicyName.OLDEST_ELIGIBLE, bonus=10)
    b = d.issue("mortgage")
    d.tick(5)
    a = d.issue("transfer")
    assert d.call(1).id == a.id  # mortgage only 5 min older: own business first
    d.do("complete", d.state.tickets[a.id])
    d.tick(11)
    c = d.issue("transfer")
    # Now the mortgage ticket is 16 minutes older than the transfer one: past the bonus.
    assert d.call(1).id == b.id
    assert c is not None


def test_dedicated_serves_only_the_first_business():
    d = driver(RoutingPolicyName.DEDICATED)
    d.issue("mortgage")
    assert d.call(1) is None
    assert d.call(2) is not None


def test_green_goes_first_but_ageing_bounds_it():
    d = Driver()
    old = d.issue("transfer")
    d.tick(10)
    green = d.issue("transfer", priority=Priority.GREEN, channel="guide")
    # Green counts 30 minutes older: it passes a ticket only 10 minutes older.
    assert d.call(1).id == green.id
    d.do("complete", d.state.tickets[green.id])
    d.tick(40)
    green2 = d.issue("transfer", priority=Priority.GREEN, channel="guide")
    # The old ticket has now waited 50 minutes, more than the green head start: no starvation.
    assert d.call(1).id == old.id
    assert green2 is not None


def test_green_channel_window_takes_green_tickets_of_any_business():
    d = Driver()
    d.issue("query")
    d.tick(1)
    green = d.issue("transfer", priority=Priority.GREEN, channel="guide")
    assert d.call(4).id == green.id  # window 4 serves query but is the green channel
    d.do("complete", d.state.tickets[green.id])
    d.issue("transfer")
    assert d.call(4).business == "query"  # a normal transfer ticket is not its business


def test_appointment_inside_its_slot_gets_priority_outside_does_not():
    from datetime import timedelta

    from queue_server.domain.state import Appointment
    d = Driver()
    first = d.issue("transfer")
    d.tick(5)
    inside = d.issue("transfer", appointment=Appointment(
        "AP1", d.now - timedelta(minutes=5), d.now + timedelta(minutes=25)))
    late = d.issue("transfer", appointment=Appointment(
        "AP2", d.now - timedelta(hours=2), d.now - timedelta(hours=1)))
    assert inside.priority is Priority.APPOINTMENT
    assert late.priority is Priority.NORMAL and late.priority_reason == "appointment_outside_slot"
    assert d.call(1).id == inside.id
    assert first is not None


def test_a_booking_checks_in_once_unless_its_ticket_was_cancelled():
    from datetime import timedelta

    from queue_server.domain.state import Appointment
    d = Driver()
    booking = Appointment("AP1", d.now - timedelta(minutes=5), d.now + timedelta(minutes=25))
    first = d.issue("transfer", appointment=booking)
    with pytest.raises(LimitReached, match=first.number) as refused:
        d.issue("transfer", appointment=booking)
    assert refused.value.code == "appointment_used"
    assert len(d.state.waiting) == 1
    d.do("cancel", first, actor="kiosk:test")
    again = d.issue("transfer", appointment=booking)
    assert again.priority is Priority.APPOINTMENT and again.appointment_code == "AP1"


def test_back_office_and_paused_windows_do_not_count_as_capacity():
    d = Driver()
    assert d.state.capacity("transfer") == 1.0  # windows 1 and 2 at one half each; 5 is back
    d.run(d.state.set_window_status(2, WindowStatus.PAUSED, d.now, actor="g"))
    assert d.state.capacity("transfer") == 0.5


def test_reskill_changes_routing_live():
    d = Driver()
    q = d.issue("query")
    assert d.call(3) is None
    d.run(d.state.reskill(3, ["tax", "query"], d.now, actor="guide"))
    assert d.call(3).id == q.id
