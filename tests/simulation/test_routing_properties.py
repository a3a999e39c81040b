"""Properties of the server's routing on random halls (hypothesis)."""

from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.domain.layout import Priority, RoutingPolicy, RoutingPolicyName
from queue_server.domain.routing import choose_next, queue_minutes, routing_key
from queue_server.domain.tickets import Status, Ticket
from queue_server.domain.windows import WindowState, WindowStatus
from tests.domain.helpers import T0

CODES = ("a", "b", "c", "d")

tickets = st.lists(st.tuples(st.sampled_from(CODES), st.integers(0, 120),
                             st.sampled_from(list(Priority)), st.booleans()), max_size=25)
windows = st.tuples(st.lists(st.sampled_from(CODES), min_size=1, max_size=4, unique=True),
                    st.booleans())
policies = st.sampled_from(list(RoutingPolicyName))


def build(raw) -> list[Ticket]:  # type: ignore[no-untyped-def]
    out = []
    for i, (code, minute, prio, parked) in enumerate(raw):
        at = T0 + timedelta(minutes=minute)
        out.append(Ticket(id=f"t{i}", day=T0.date(), number=f"A{i:03d}", business=code,
                          status=Status.WAITING, priority=prio, issued_at=at, queued_at=at,
                          origin_business=code, parked=parked))
    return out


@settings(max_examples=300, deadline=None)
@given(tickets, windows, policies, st.floats(0, 20))
def test_choose_next_is_the_minimum_routing_key(raw, win, name, bonus):
    waiting = build(raw)
    w = WindowState(1, "z", tuple(win[0]), WindowStatus.OPEN, green_channel=win[1])
    policy = RoutingPolicy(policy=name, own_business_bonus_minutes=bonus)
    keyed = [(routing_key(w, t, policy), t) for t in waiting]
    keyed = [(k, t) for k, t in keyed if k is not None]
    chosen = choose_next(w, waiting, policy)
    if not keyed:
        assert chosen is None
    else:
        assert chosen is min(keyed, key=lambda kt: kt[0])[1]


@settings(max_examples=300, deadline=None)
@given(tickets, windows)
def test_oldest_eligible_never_passes_over_an_older_eligible_ticket(raw, win):
    waiting = [replace(t, priority=Priority.NORMAL) for t in build(raw)]
    w = WindowState(1, "z", tuple(win[0]), WindowStatus.OPEN)
    policy = RoutingPolicy(policy=RoutingPolicyName.OLDEST_ELIGIBLE)
    chosen = choose_next(w, waiting, policy)
    eligible = [t for t in waiting if t.business in w.businesses and not t.parked]
    assert (chosen is None) == (not eligible)
    if chosen is not None:
        assert all(queue_minutes(chosen, policy) <= queue_minutes(t, policy) for t in eligible)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 200), st.sampled_from([Priority.GREEN, Priority.APPOINTMENT,
                                              Priority.TRANSFERRED]))
def test_a_head_start_is_bounded_so_no_class_starves(waited, prio):
    # A normal ticket that has waited longer than a class's head start goes first.
    policy = RoutingPolicy()
    w = WindowState(1, "z", ("a",), WindowStatus.OPEN)
    normal, later = build([("a", 0, Priority.NORMAL, False), ("a", waited, prio, False)])
    chosen = choose_next(w, [later, normal], policy)
    if waited > policy.head_start(prio):
        assert chosen is normal
    elif waited < policy.head_start(prio):
        assert chosen is later


NOW_MINUTE = 120  # the call happens at T0 + 2 h: tickets built at minutes 0–120 have waited 0–120


@settings(max_examples=300, deadline=None)
@given(tickets, windows, st.sampled_from([RoutingPolicyName.OLDEST_ELIGIBLE,
                                          RoutingPolicyName.OWN_FIRST]),
       st.floats(0, 20), st.floats(1, 60))
def test_an_overdue_ticket_goes_before_every_ticket_that_is_not(raw, win, name, bonus, limit):
    # Ageing: whatever its class or its business's place in the window's list, a ticket
    # that has waited `overdue_minutes` is called before any that has waited less.
    now = T0 + timedelta(minutes=NOW_MINUTE)
    waiting = build(raw)
    w = WindowState(1, "z", tuple(win[0]), WindowStatus.OPEN, green_channel=win[1])
    policy = RoutingPolicy(policy=name, own_business_bonus_minutes=bonus, overdue_minutes=limit)
    chosen = choose_next(w, waiting, policy, now)
    keyed = [(k, t) for t in waiting if (k := routing_key(w, t, policy, now)) is not None]
    assert chosen is (min(keyed, key=lambda kt: kt[0])[1] if keyed else None)
    late = [t for _, t in keyed if (now - t.queued_at) >= timedelta(minutes=limit)]
    if late:
        assert chosen in late


def test_ageing_is_off_under_dedicated_and_at_zero():
    now = T0 + timedelta(minutes=NOW_MINUTE)
    old, fresh = build([("b", 0, Priority.NORMAL, False), ("a", 110, Priority.NORMAL, False)])
    w = WindowState(1, "z", ("a", "b"), WindowStatus.OPEN)
    own = RoutingPolicy(policy=RoutingPolicyName.OWN_FIRST, overdue_minutes=20)
    assert choose_next(w, [old, fresh], own, now) is old  # 120 minutes: overdue, goes first
    assert choose_next(w, [old, fresh], replace(own, overdue_minutes=0), now) is fresh
    dedicated = replace(own, policy=RoutingPolicyName.DEDICATED)
    assert choose_next(w, [old, fresh], dedicated, now) is fresh  # b is not its business
