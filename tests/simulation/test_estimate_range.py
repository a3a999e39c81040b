"""The wait estimate's range: a point when certain, skewed upward, honest on a busy day."""

import pytest

from queue_server.domain.estimate import estimate_wait
from queue_server.domain.layout import load_layout
from queue_server.simulation.demand import draw_day, find_demand
from queue_server.simulation.engine import simulate
from tests.conftest import REPO


def test_a_short_certain_wait_is_a_point():
    e = estimate_wait(0, 3.5, 8.0)  # nobody ahead, eight certificate windows
    assert e.low == e.high == round(e.minutes) == 0


def test_a_long_uncertain_wait_is_a_range_wider_above_than_below():
    e = estimate_wait(10, 12.0, 3.0)
    assert e.minutes == pytest.approx(42.0)
    assert (e.low, e.high) == (30.0, 65.0)
    assert e.high - e.minutes > e.minutes - e.low
    assert e.low % 5 == 0 and e.high % 5 == 0


def test_ranges_narrow_relative_to_the_wait_as_more_people_are_ahead():
    few, many = estimate_wait(2, 10.0, 2.0), estimate_wait(30, 10.0, 20.0)
    rel = [(e.high - e.low) / e.minutes for e in (few, many)]
    assert rel[1] < rel[0]


def test_on_a_busy_hengyang_day_most_waits_fall_inside_the_range_shown():
    layout = load_layout(REPO / "layouts" / "hengyang.toml")
    result = simulate(layout, draw_day(find_demand(layout), layout, 2), "oldest_eligible")
    ranged = [v for v in result.visits if v.wait is not None and v.high > v.low]
    assert len(ranged) > 200
    inside = sum(1 for v in ranged if v.low <= v.wait <= v.high) / len(ranged)
    assert 0.7 <= inside <= 0.97  # honest: neither a guess nor a range so wide it says nothing
