"""The simulated day on hand-checked scenarios, and proof that it runs the server's routing."""

from unittest import mock

import pytest

import queue_server.domain.state.calling as state_module
from queue_server.domain.tickets import Status
from queue_server.simulation.engine import HallDay, simulate
from tests.simulation.helpers import NINE, arrival, hand_day, waits


def scenario_b():
    # Window 1 serves [transfer, mortgage], window 2 [mortgage, transfer]; 3 tax, 4 query.
    # A (transfer, 10 min) goes to window 1 and B (mortgage, 30 min) to window 2 at 9:00;
    # M (mortgage) comes at 9:01 and C (transfer) at 9:02. Window 1 frees at 9:10.
    return hand_day([
        arrival(0, NINE, ("transfer", 10)),
        arrival(1, NINE, ("mortgage", 30)),
        arrival(2, NINE + 1, ("mortgage", 10)),
        arrival(3, NINE + 2, ("transfer", 10)),
    ])


@pytest.mark.parametrize(("policy", "expected"), [
    # Window 1 takes the older M first; C waits for window 1 again at 9:20.
    ("oldest_eligible", [0, 0, 9, 18]),
    # Window 1 takes its own C first; M waits for window 1 again at 9:20.
    ("own_first", [0, 0, 19, 8]),
    # Window 1 never serves mortgage: M waits for window 2 at 9:30.
    ("dedicated", [0, 0, 29, 8]),
    # Windows 3 and 4 serve everything too: nobody waits.
    ("full_pooling", [0, 0, 0, 0]),
])
def test_each_policy_on_a_hand_checked_morning(policy, expected):
    layout, day = scenario_b()
    assert waits(simulate(layout, day, policy), 4) == expected


def test_two_windows_share_a_queue_unless_dedicated():
    layout, day = hand_day([arrival(i, NINE + i / 10, ("transfer", 10)) for i in range(3)])
    assert waits(simulate(layout, day, "dedicated"), 3) == [0, 9.9, 19.8]
    assert waits(simulate(layout, day, "oldest_eligible"), 3) == [0, 0, 9.8]


def test_a_journey_is_forwarded_to_its_next_step_and_waits_there_afresh():
    layout, day = hand_day([arrival(0, NINE, ("tax", 5), ("transfer", 10), journey="sale")])
    run = HallDay(layout, day, "oldest_eligible")
    result = run.run()
    steps = [(v.business, v.step, v.entered, v.wait) for v in result.visits]
    assert steps == [("tax", 0, NINE, 0.0), ("transfer", 1, NINE + 5, 0.0)]
    ticket = run.state.tickets["t0"]
    assert ticket.status is Status.DONE and ticket.journey_step == 1
    assert ticket.finished_at == run.at(NINE + 15)


def test_a_no_show_holds_the_window_for_the_recalls_then_is_marked():
    layout, day = hand_day([arrival(0, NINE, ("tax", 5), no_show=True),
                            arrival(1, NINE + 1, ("tax", 5))])
    run = HallDay(layout, day, "dedicated")
    result = run.run()
    assert waits(result, 2) == [0, 2]  # no_show_minutes = 3
    assert run.state.tickets["t0"].status is Status.NO_SHOW
    assert result.tickets_done == 1


def test_a_paused_window_takes_nothing_until_it_resumes():
    layout, day = hand_day([arrival(0, NINE + 2, ("tax", 5))], pauses={3: ((NINE, NINE + 10),)})
    run = HallDay(layout, day, "dedicated")
    assert waits(run.run(), 1) == [8]
    assert run.state.windows[3].status.value == "open"


def test_green_tickets_go_to_the_green_channel_window():
    # Window 4 serves query but is the green channel: it takes a green tax ticket at once
    # while window 3 is busy.
    layout, day = hand_day([arrival(0, NINE, ("tax", 20)),
                            arrival(1, NINE + 1, ("tax", 5), green=True)])
    result = simulate(layout, day, "dedicated")
    assert waits(result, 2) == [0, 0]
    assert [v.window for v in result.visits] == [3, 4]


def test_estimate_recorded_is_the_servers_figure():
    layout, day = hand_day([arrival(i, NINE, ("tax", 5)) for i in range(3)])
    result = simulate(layout, day, "dedicated")
    # Three tickets at the same instant, window 3 alone serving tax (5 min) and idle: 0, 1
    # and 2 people ahead. The first is called at once; the window then starts a whole
    # service for each one ahead, as HallState.estimate gives it, and so it went.
    assert [v.ahead for v in result.visits] == [0, 1, 2]
    assert [v.estimate for v in result.visits] == [0.0, 5.0, 10.0]
    assert waits(result, 3) == [0, 5, 10]


def test_every_call_goes_through_hallstate_routing():
    layout, day = scenario_b()
    real = state_module.choose_next
    with mock.patch.object(state_module, "choose_next", side_effect=real) as spy:
        result = simulate(layout, day, "oldest_eligible")
    called = [v for v in result.visits if v.called is not None]
    assert len(called) == 4
    # Each call asked the routing at least once, and only HallState asked it.
    assert spy.call_count >= len(called)
    picked = [c.args[0].number for c in spy.call_args_list if c.args]
    assert set(picked) <= {1, 2, 3, 4}


def test_without_the_servers_routing_nobody_is_ever_called():
    layout, day = scenario_b()
    with mock.patch.object(state_module, "choose_next", return_value=None):
        result = simulate(layout, day, "full_pooling")
    assert all(v.called is None for v in result.visits)
