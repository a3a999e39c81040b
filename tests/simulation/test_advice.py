"""Floor-guide advice on hand-made halls."""

from dataclasses import replace

import pytest

from queue_server.domain.advice import advise, outlooks, predicted_wait
from queue_server.domain.windows import WindowStatus
from tests.domain.helpers import Driver, mini_layout


def overloaded_tax() -> Driver:
    """Mini hall at 9:00: 12 tax tickets waiting for the one tax window, nothing else."""
    d = Driver()
    for _ in range(12):
        d.issue("tax")
    d.call(3)  # window 3 is busy with the first one
    return d


def test_prediction_grows_with_backlog_and_falls_with_windows():
    assert predicted_wait(0, 0, 1, 5) == 0.0
    assert predicted_wait(10, 6, 1, 5) > predicted_wait(0, 6, 1, 5) > 0
    assert predicted_wait(10, 6, 2, 5) < predicted_wait(10, 6, 1, 5)
    # Hand check, no arrivals: 10 waiting on one 5-minute window wait 0, 5, …, 45 → 22.5;
    # the model's fluid backlog gives n/(2R) = 10 × 5 / 2 = 25.
    assert predicted_wait(10, 0, 1, 5) == pytest.approx(25.0)


def test_an_overloaded_business_gets_an_idle_window_and_the_effect_is_shown():
    d = overloaded_tax()
    expected = {"tax": 6.0, "transfer": 1.0, "mortgage": 1.0, "query": 2.0}
    before = outlooks(d.state, expected)["tax"].wait_minutes
    suggestions = advise(d.state, expected)
    assert suggestions, "an overloaded tax queue beside idle windows must get advice"
    first = suggestions[0]
    assert first.business == "tax" and first.action == "reskill"
    assert "tax" in first.businesses and first.window in (1, 2, 4)
    assert first.wait_before == pytest.approx(before)
    assert first.wait_after < first.wait_before / 1.5
    assert first.hall_wait_after < first.hall_wait_before
    # The move is an ordinary server action: apply it and tax capacity grows as predicted.
    d.run(d.state.reskill(first.window, first.businesses, d.now, actor="guide"))
    assert d.state.capacity("tax") > 1.0
    assert outlooks(d.state, expected)["tax"].wait_minutes == pytest.approx(first.wait_after)


def test_a_closed_window_is_opened_when_its_business_is_overloaded():
    layout = mini_layout()
    # Window 6 (query, closed at the start of the day) and nobody else able to help query.
    windows = {**layout.windows,
               1: replace(layout.windows[1], businesses=("transfer",)),
               2: replace(layout.windows[2], businesses=("mortgage",)),
               3: replace(layout.windows[3], businesses=("tax",))}
    d = Driver(replace(layout, windows=windows))
    for _ in range(10):
        d.issue("query")
    d.call(4)
    suggestions = advise(d.state, {"query": 20.0})
    assert [(s.action, s.window) for s in suggestions][:1] == [("open", 6)]
    assert suggestions[0].id == "w6-open"
    d.run(d.state.set_window_status(6, WindowStatus.OPEN, d.now, actor="guide"))
    assert d.state.capacity("query") == 2.0


def test_a_quiet_hall_gets_no_advice():
    d = Driver()
    d.issue("tax")
    assert advise(d.state, {"tax": 2.0, "transfer": 2.0}) == []


def test_under_dedicated_routing_the_new_business_is_put_first():
    from queue_server.domain.layout import RoutingPolicy, RoutingPolicyName
    layout = mini_layout()
    d = Driver(replace(layout, routing=RoutingPolicy(policy=RoutingPolicyName.DEDICATED)))
    for _ in range(12):
        d.issue("tax")
    d.call(3)
    first = advise(d.state, {"tax": 6.0})[0]
    assert first.businesses[0] == "tax"  # a dedicated window serves only its first business


def test_busy_windows_are_not_taken_from_their_own_queue():
    d = overloaded_tax()
    for _ in range(5):  # transfer's daily cap in the mini hall
        d.issue("transfer")
        d.issue("mortgage")
    suggestions = advise(d.state, {"tax": 6.0, "transfer": 10.0, "mortgage": 10.0})
    # Windows 1 and 2 are needed for transfer and mortgage: only the query window may help.
    assert suggestions and all(s.window == 4 for s in suggestions)
