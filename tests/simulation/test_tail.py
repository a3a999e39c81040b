"""The longest wait and the mean on seeded Hengyang days (issue 15, "Tail").

The layout's own policy (own_first with ageing after `overdue_minutes`) against full
pooling on the same drawn days, through the real HallState and routing: the longest wait
within 2× pooling's and the mean within 1.15× pooling's. Before ageing, oldest_eligible
reached 2.5× on seed 4242 and 2.2× on seed 2.

Seeds 10 and 11 are quiet days on which no routing measured on the layout's skill lists
meets the ratio (docs/simulation.md, "The tail"): their misses are strict xfails, so a
change that meets them fails here until the document says so; and the reason is pinned:
with every window listing every business, the same routing is within the mean bound on
both. About 13 s.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from queue_server.domain.layout import RoutingPolicyName, load_layout
from queue_server.settings import DEFAULT_LAYOUT
from queue_server.simulation.demand import draw_day, find_demand
from queue_server.simulation.engine import simulate
from queue_server.simulation.policies import full_pooling
from queue_server.simulation.report import wait_figures

BUSY = (1, 2, 3, 4, 4242)
QUIET = (10, 11)
MAX_RATIO, MEAN_RATIO = 2.0, 1.15
ALL_SKILLS = "own routing, every window every business"


def _skill_limited(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=f"{reason} (docs/simulation.md, 'The tail')")


@pytest.fixture(scope="module")
def figures() -> dict[int, dict[str, dict[str, float]]]:
    layout = load_layout(DEFAULT_LAYOUT)
    demand = find_demand(layout)
    policy = layout.routing.policy.value
    out: dict[int, dict[str, dict[str, float]]] = {}
    for seed in BUSY + QUIET:
        day = draw_day(demand, layout, seed)
        out[seed] = {p: wait_figures(simulate(layout, day, p).visits, layout)
                     for p in (policy, "full_pooling")}
        if seed in QUIET:
            # Only the skill lists change: the layout's own routing on the pooled layout.
            pooled = replace(full_pooling(layout), routing=layout.routing)
            out[seed][ALL_SKILLS] = wait_figures(simulate(pooled, day, policy).visits, layout)
    return out


def _own_and_pool(figures, seed: int) -> tuple[dict[str, float], dict[str, float]]:
    policy = load_layout(DEFAULT_LAYOUT).routing.policy.value
    return figures[seed][policy], figures[seed]["full_pooling"]


def test_the_layout_runs_own_first_with_ageing() -> None:
    routing = load_layout(DEFAULT_LAYOUT).routing
    assert routing.policy is RoutingPolicyName.OWN_FIRST and routing.overdue_minutes > 0


@pytest.mark.parametrize("seed", [
    *BUSY,
    pytest.param(10, marks=_skill_limited(
        "seed 10: 22.5 against 5.1 minutes, mortgage at lunch; no routing measured on the "
        "layout's lists came within 2x (best 2.3x, ageing at 6 minutes)")),
    11,
])
def test_longest_wait_stays_within_twice_full_pooling(figures, seed: int) -> None:
    own, pool = _own_and_pool(figures, seed)
    assert own["max_wait_min"] <= MAX_RATIO * pool["max_wait_min"], (seed, own, pool)


@pytest.mark.parametrize("seed", [
    *BUSY,
    pytest.param(10, marks=_skill_limited(
        "seed 10: 0.73 against 0.30 minutes; the layout's skill lists, not the routing")),
    pytest.param(11, marks=_skill_limited(
        "seed 11: 0.28 against 0.22 minutes; the layout's skill lists, not the routing")),
])
def test_mean_stays_within_115_percent_of_full_pooling(figures, seed: int) -> None:
    own, pool = _own_and_pool(figures, seed)
    assert own["mean_wait_min"] <= MEAN_RATIO * pool["mean_wait_min"], (seed, own, pool)


@pytest.mark.parametrize("seed", QUIET)
def test_on_quiet_days_the_gap_is_the_skill_lists(figures, seed: int) -> None:
    # The layout's routing, given every business at every window, is within the mean
    # bound; on the layout's own lists it is not (above). Pooling's lead on these days is
    # work done at windows that do not list the business.
    every, pool = figures[seed][ALL_SKILLS], figures[seed]["full_pooling"]
    assert every["mean_wait_min"] <= MEAN_RATIO * pool["mean_wait_min"], (seed, every, pool)
