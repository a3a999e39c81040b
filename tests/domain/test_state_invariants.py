"""Random sequences of use cases keep the hall's invariants (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queue_server.domain.errors import DomainError
from queue_server.domain.layout import Priority
from queue_server.domain.tickets import AT_WINDOW, Status
from queue_server.domain.windows import WindowStatus
from tests.domain.helpers import Driver

BUSINESSES = ["transfer", "mortgage", "tax", "query"]
action = st.one_of(
    st.tuples(st.just("issue"), st.sampled_from(BUSINESSES), st.booleans()),
    st.tuples(st.just("call"), st.integers(1, 6)),
    st.tuples(st.sampled_from(["complete", "no_show", "recall", "park", "start", "forward"]),
              st.integers(0, 30)),
    st.tuples(st.just("transfer"), st.integers(0, 30), st.sampled_from(BUSINESSES)),
    st.tuples(st.just("callback"), st.integers(0, 30)),
    st.tuples(st.just("window"), st.integers(1, 6),
              st.sampled_from([WindowStatus.OPEN, WindowStatus.PAUSED])),
    st.tuples(st.just("tick"), st.integers(1, 20)),
)


def check_invariants(d: Driver) -> None:
    s = d.state
    waiting = {t.id for t in s.tickets.values() if t.status is Status.WAITING}
    assert set(s.waiting) == waiting
    for code in BUSINESSES:
        expected = {t.id for t in s.tickets.values()
                    if t.status is Status.WAITING and not t.parked and t.business == code}
        assert set(s.queues.get(code, {})) == expected
        order = s.queue_order(code)
        assert [s.people_ahead(t) for t in order] == list(range(len(order)))
    held = {w.current for w in s.windows.values() if w.current}
    at_window = {t.id for t in s.tickets.values() if t.status in AT_WINDOW}
    assert held == at_window  # every called or served ticket sits at exactly one window
    for w in s.windows.values():
        if w.current:
            assert s.tickets[w.current].window == w.number
    numbers = [t.number for t in s.tickets.values()]
    assert len(numbers) == len(set(numbers))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action, max_size=60))
def test_random_days_keep_every_invariant(actions):
    d = Driver()
    for a in actions:
        ids = list(d.state.tickets)
        try:
            if a[0] == "issue":
                d.issue(a[1], priority=Priority.GREEN if a[2] else None, channel="guide",
                        journey="sale" if a[1] == "tax" and a[2] else None)
            elif a[0] == "call":
                d.call(a[1])
            elif a[0] == "tick":
                d.tick(a[1])
            elif a[0] == "window":
                d.run(d.state.set_window_status(a[1], a[2], d.now, actor="g"))
            elif ids:
                t = d.state.tickets[ids[a[1] % len(ids)]]
                if a[0] == "transfer":
                    d.do("transfer", t, a[2])
                elif a[0] == "callback":
                    if t.window is not None:
                        d.run(d.state.call_ticket(t.window, t.id, d.now, actor="w"))
                else:
                    d.do(a[0], t)
        except DomainError:
            pass  # a refusal must leave the state untouched, which the checks confirm
        check_invariants(d)
